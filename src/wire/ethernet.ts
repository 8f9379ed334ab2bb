// Ethernet II frames (IEEE 802.3 clause 3 with a type field), 802.1Q VLAN tags read on input.

import { WireError } from './error.js';
import { get16, need, put16 } from './bytes.js';

export const ETH_HEADER_LEN = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
/** IEEE 802.1ad service tag (outer tag of Q-in-Q). */
export const ETHERTYPE_QINQ = 0x88a8;

export interface EthernetRepr {
  dst: Uint8Array;
  src: Uint8Array;
  /** The type after any VLAN tags. Values below 0x0600 are IEEE 802.3 length fields, passed through. */
  etherType: number;
  /** The outermost VLAN tag, when the frame had one. */
  vlan?: { pcp: number; dei: boolean; id: number };
  /** Everything after the header and tags, link padding included (IP cuts it by its own length). */
  payload: Uint8Array;
}

export function parseEthernet(buf: Uint8Array): EthernetRepr | WireError {
  if (buf.length < ETH_HEADER_LEN) return new WireError('ethernet: frame shorter than 14 bytes');
  let etherType = get16(buf, 12);
  let off = ETH_HEADER_LEN;
  let vlan: EthernetRepr['vlan'];
  // IEEE 802.1Q §9.6: TPID, then PCP(3) DEI(1) VID(12); read up to two tags (802.1ad outer + C-tag).
  for (let tags = 0; tags < 2 && (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ); tags++) {
    if (buf.length < off + 4) return new WireError('ethernet: truncated VLAN tag');
    const tci = get16(buf, off);
    if (vlan === undefined) vlan = { pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, id: tci & 0x0fff };
    etherType = get16(buf, off + 2);
    off += 4;
  }
  const repr: EthernetRepr = {
    dst: buf.subarray(0, 6),
    src: buf.subarray(6, 12),
    etherType,
    payload: buf.subarray(off),
  };
  if (vlan !== undefined) repr.vlan = vlan;
  return repr;
}

/** Writes destination, source and type (no tag); returns 14. */
export function emitEthernetHeader(
  buf: Uint8Array,
  offset: number,
  dst: Uint8Array,
  src: Uint8Array,
  etherType: number,
): number {
  need(buf, offset, ETH_HEADER_LEN, 'emitEthernetHeader');
  for (let i = 0; i < 6; i++) {
    buf[offset + i] = dst[i];
    buf[offset + 6 + i] = src[i];
  }
  put16(buf, offset + 12, etherType);
  return ETH_HEADER_LEN;
}
