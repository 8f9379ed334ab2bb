// ARP for IPv4 over Ethernet (RFC 826). Other hardware or protocol types are WireErrors.

import { WireError } from './error.js';
import { get16, need, put16 } from './bytes.js';

export const ARP_LEN = 28;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const HTYPE_ETHERNET = 1;
const PTYPE_IPV4 = 0x0800;

export interface ArpRepr {
  /** Any opcode is returned; the kernel acts on ARP_REQUEST and ARP_REPLY. */
  op: number;
  senderMac: Uint8Array;
  senderIp: Uint8Array;
  targetMac: Uint8Array;
  targetIp: Uint8Array;
}

export function parseArp(buf: Uint8Array): ArpRepr | WireError {
  // Ethernet frames are padded to 60 bytes, so bytes after the 28 are ignored.
  if (buf.length < ARP_LEN) return new WireError('arp: shorter than 28 bytes');
  // RFC 826 "Packet format": ar$hrd, ar$pro, ar$hln, ar$pln, ar$op, then the addresses.
  if (get16(buf, 0) !== HTYPE_ETHERNET) return new WireError('arp: hardware type is not Ethernet');
  if (get16(buf, 2) !== PTYPE_IPV4) return new WireError('arp: protocol type is not IPv4');
  if (buf[4] !== 6 || buf[5] !== 4) return new WireError('arp: address lengths are not 6 and 4');
  return {
    op: get16(buf, 6),
    senderMac: buf.subarray(8, 14),
    senderIp: buf.subarray(14, 18),
    targetMac: buf.subarray(18, 24),
    targetIp: buf.subarray(24, 28),
  };
}

/** Writes the 28-byte ARP packet; returns 28. */
export function emitArp(repr: ArpRepr, buf: Uint8Array, offset: number): number {
  need(buf, offset, ARP_LEN, 'emitArp');
  put16(buf, offset, HTYPE_ETHERNET);
  put16(buf, offset + 2, PTYPE_IPV4);
  buf[offset + 4] = 6;
  buf[offset + 5] = 4;
  put16(buf, offset + 6, repr.op);
  buf.set(repr.senderMac.subarray(0, 6), offset + 8);
  buf.set(repr.senderIp.subarray(0, 4), offset + 14);
  buf.set(repr.targetMac.subarray(0, 6), offset + 18);
  buf.set(repr.targetIp.subarray(0, 4), offset + 24);
  return ARP_LEN;
}
