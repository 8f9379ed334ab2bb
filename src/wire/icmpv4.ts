// ICMP for IPv4 (RFC 792), with the next-hop MTU of RFC 1191 §4 in "fragmentation needed".

import { WireError } from './error.js';
import { get16, need, put16 } from './bytes.js';
import { foldChecksum, onesSum } from './checksum.js';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAM_PROBLEM = 12;
export const ICMP_TIMESTAMP = 13;
export const ICMP_TIMESTAMP_REPLY = 14;

// Destination unreachable codes (RFC 792, RFC 1812 §5.2.7.1).
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_SR_FAILED = 5;
export const ICMP_NET_UNKNOWN = 6;
export const ICMP_HOST_UNKNOWN = 7;
export const ICMP_NET_PROHIBITED = 9;
export const ICMP_HOST_PROHIBITED = 10;
export const ICMP_ADMIN_PROHIBITED = 13;

// Time exceeded codes (RFC 792).
export const ICMP_EXC_TTL = 0;
export const ICMP_EXC_FRAGTIME = 1;

export const ICMPV4_HEADER_LEN = 8;

export interface Icmpv4Repr {
  type: number;
  code: number;
  checksumOk: boolean;
  /** Echo / timestamp identifier and sequence number (0 for other types). */
  id: number;
  seq: number;
  /** Destination unreachable, fragmentation needed: the next-hop MTU (RFC 1191 §4), else 0. */
  mtu: number;
  /** Parameter problem: the octet pointer (RFC 792), else 0. */
  pointer: number;
  /** After the 8-byte header: the echo payload, or the quoted original datagram of an error. */
  data: Uint8Array;
  /** Redirect: the gateway address (RFC 792), present only for type 5. */
  gateway?: Uint8Array;
}

export interface Icmpv4Message {
  type: number;
  code: number;
  id?: number;
  seq?: number;
  mtu?: number;
  pointer?: number;
  data: Uint8Array;
}

function hasIdSeq(type: number): boolean {
  return type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY || type === ICMP_TIMESTAMP || type === ICMP_TIMESTAMP_REPLY;
}

/** RFC 1122 §3.2.2: error messages (as opposed to queries), which are never sent about other errors. */
export function isIcmpv4Error(type: number): boolean {
  return (
    type === ICMP_DEST_UNREACH || type === ICMP_SOURCE_QUENCH || type === ICMP_REDIRECT ||
    type === ICMP_TIME_EXCEEDED || type === ICMP_PARAM_PROBLEM
  );
}

export function parseIcmpv4(buf: Uint8Array): Icmpv4Repr | WireError {
  if (buf.length < ICMPV4_HEADER_LEN) return new WireError('icmp: shorter than 8 bytes');
  const type = buf[0];
  const code = buf[1];
  const idSeq = hasIdSeq(type);
  const repr: Icmpv4Repr = {
    type,
    code,
    // RFC 792: the checksum covers the whole ICMP message.
    checksumOk: foldChecksum(onesSum(buf, 0, buf.length)) === 0,
    id: idSeq ? get16(buf, 4) : 0,
    seq: idSeq ? get16(buf, 6) : 0,
    // RFC 1191 §4: next-hop MTU in the low 16 bits of the unused field.
    mtu: type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED ? get16(buf, 6) : 0,
    pointer: type === ICMP_PARAM_PROBLEM ? buf[4] : 0,
    data: buf.subarray(ICMPV4_HEADER_LEN),
  };
  if (type === ICMP_REDIRECT) repr.gateway = buf.subarray(4, 8);
  return repr;
}

export function icmpv4Length(dataLen: number): number {
  return ICMPV4_HEADER_LEN + dataLen;
}

/** Writes the message (copying `data` after the header) with its checksum; returns its length. */
export function emitIcmpv4(buf: Uint8Array, offset: number, m: Icmpv4Message): number {
  const len = ICMPV4_HEADER_LEN + m.data.length;
  need(buf, offset, len, 'emitIcmpv4');
  const o = offset;
  buf[o] = m.type;
  buf[o + 1] = m.code;
  buf[o + 2] = 0;
  buf[o + 3] = 0;
  put16(buf, o + 4, 0);
  put16(buf, o + 6, 0);
  if (hasIdSeq(m.type)) {
    put16(buf, o + 4, m.id ?? 0);
    put16(buf, o + 6, m.seq ?? 0);
  } else if (m.type === ICMP_DEST_UNREACH) {
    put16(buf, o + 6, m.mtu ?? 0); // RFC 1191 §4 (zero unless fragmentation needed)
  } else if (m.type === ICMP_PARAM_PROBLEM) {
    buf[o + 4] = m.pointer ?? 0;
  }
  // TypedArray.set copes with `data` already overlapping the destination.
  if (m.data.length > 0) buf.set(m.data, o + ICMPV4_HEADER_LEN);
  put16(buf, o + 2, foldChecksum(onesSum(buf, o, o + len)));
  return len;
}
