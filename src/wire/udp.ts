// UDP (RFC 768) with the IPv4 (RFC 768) or IPv6 (RFC 8200 §8.1) pseudo-header checksum.

import { WireError } from './error.js';
import { get16, need, put16 } from './bytes.js';
import { foldChecksum, onesSum, pseudoHeaderSum } from './checksum.js';

export const UDP_HEADER_LEN = 8;
const IPPROTO_UDP = 17;

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  /** The length field: header plus data. */
  length: number;
  /** The checksum field as received (0: none was sent, IPv4 only). */
  checksum: number;
  /** length - 8 bytes; bytes beyond the length field are cut. */
  payload: Uint8Array;
}

export function parseUdp(buf: Uint8Array): UdpRepr | WireError {
  if (buf.length < UDP_HEADER_LEN) return new WireError('udp: shorter than 8 bytes');
  const length = get16(buf, 4);
  // RFC 768: length counts header and data, so at least 8.
  if (length < UDP_HEADER_LEN) return new WireError('udp: length field below 8');
  if (length > buf.length) return new WireError('udp: length field beyond received bytes');
  return {
    srcPort: get16(buf, 0),
    dstPort: get16(buf, 2),
    length,
    checksum: get16(buf, 6),
    payload: buf.subarray(UDP_HEADER_LEN, length),
  };
}

/**
 * Checks the checksum of a whole datagram (the IP payload) against src/dst (4 or 16 bytes).
 * RFC 768: a zero checksum field means none was computed (IPv4); RFC 8200 §8.1: over IPv6 a
 * zero checksum is invalid. Only the bytes the length field covers are summed.
 */
export function udpChecksumOk(buf: Uint8Array, src: Uint8Array, dst: Uint8Array): boolean {
  if (buf.length < UDP_HEADER_LEN) return false;
  if (buf[6] === 0 && buf[7] === 0) return src.length === 4;
  let length = get16(buf, 4);
  if (length < UDP_HEADER_LEN || length > buf.length) length = buf.length;
  return foldChecksum(onesSum(buf, 0, length, pseudoHeaderSum(src, dst, IPPROTO_UDP, length))) === 0;
}

/**
 * Writes the 8-byte header at `offset` and the checksum over it and the `payloadLength` bytes
 * already in place at offset+8. RFC 768: a computed zero is sent as 0xffff. Returns 8.
 */
export function emitUdpHeader(
  buf: Uint8Array,
  offset: number,
  srcPort: number,
  dstPort: number,
  payloadLength: number,
  src: Uint8Array,
  dst: Uint8Array,
): number {
  const length = UDP_HEADER_LEN + payloadLength;
  need(buf, offset, length, 'emitUdpHeader');
  if (length > 0xffff) throw new RangeError('emitUdpHeader: datagram longer than 65535 bytes');
  put16(buf, offset, srcPort);
  put16(buf, offset + 2, dstPort);
  put16(buf, offset + 4, length);
  buf[offset + 6] = 0;
  buf[offset + 7] = 0;
  const c = foldChecksum(onesSum(buf, offset, offset + length, pseudoHeaderSum(src, dst, IPPROTO_UDP, length)));
  put16(buf, offset + 6, c === 0 ? 0xffff : c);
  return UDP_HEADER_LEN;
}
