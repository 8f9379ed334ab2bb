// IPv4 header (RFC 791 §3.1). Options are kept as a view and walked only to check their lengths.

import { WireError } from './error.js';
import { get16, need, put16 } from './bytes.js';
import { foldChecksum, onesSum } from './checksum.js';

export const IPV4_HEADER_LEN = 20;

/** RFC 791 §3.1 option kinds. */
export const IPOPT_END = 0;
export const IPOPT_NOOP = 1;
export const IPOPT_RR = 7;
export const IPOPT_TS = 68;
export const IPOPT_SEC = 130;
export const IPOPT_LSRR = 131;
export const IPOPT_SSRR = 137;
/** RFC 2113: router alert. */
export const IPOPT_RA = 148;

export interface Ipv4Repr {
  tos: number;
  totalLength: number;
  id: number;
  df: boolean;
  mf: boolean;
  /** Fragment offset in bytes (the header field times 8). */
  fragOffset: number;
  ttl: number;
  protocol: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** The option bytes (headerLength - 20 of them, possibly empty). */
  options: Uint8Array;
  headerLength: number;
  checksumOk: boolean;
  /** Exactly totalLength - headerLength bytes: trailing link padding is cut. */
  payload: Uint8Array;
}

export interface Ipv4HeaderFields {
  tos?: number;
  totalLength: number;
  id: number;
  df?: boolean;
  mf?: boolean;
  /** Bytes; a multiple of 8. */
  fragOffset?: number;
  ttl: number;
  protocol: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Padded with zeros (End of Option List) to a multiple of 4; at most 40 bytes. */
  options?: Uint8Array;
}

export function parseIpv4(buf: Uint8Array): Ipv4Repr | WireError {
  const len = buf.length;
  if (len < IPV4_HEADER_LEN) return new WireError('ipv4: shorter than 20 bytes');
  const b0 = buf[0];
  if (b0 >>> 4 !== 4) return new WireError('ipv4: version is not 4');
  const headerLength = (b0 & 0x0f) << 2;
  // RFC 791 §3.1: IHL counts 32-bit words, minimum 5.
  if (headerLength < IPV4_HEADER_LEN) return new WireError('ipv4: header length below 20');
  if (headerLength > len) return new WireError('ipv4: header longer than packet');
  const totalLength = get16(buf, 2);
  if (totalLength < headerLength) return new WireError('ipv4: total length below header length');
  if (totalLength > len) return new WireError('ipv4: total length beyond received bytes');
  const ff = get16(buf, 6);
  return {
    tos: buf[1],
    totalLength,
    id: get16(buf, 4),
    // RFC 791 §3.1: flags bit 0 reserved, bit 1 DF, bit 2 MF; offset in 8-octet units.
    df: (ff & 0x4000) !== 0,
    mf: (ff & 0x2000) !== 0,
    fragOffset: (ff & 0x1fff) << 3,
    ttl: buf[8],
    protocol: buf[9],
    src: buf.subarray(12, 16),
    dst: buf.subarray(16, 20),
    options: buf.subarray(IPV4_HEADER_LEN, headerLength),
    headerLength,
    // RFC 791 §3.1 / RFC 1071: the header checksum sums to zero when intact.
    checksumOk: foldChecksum(onesSum(buf, 0, headerLength)) === 0,
    payload: buf.subarray(headerLength, totalLength),
  };
}

/**
 * RFC 791 §3.1 option format: single-octet End (0) and No-Op (1); every other option is
 * type, length (counting type and length, at least 2), data. True when the walk stays inside.
 */
export function ipv4OptionsValid(options: Uint8Array): boolean {
  return forEachIpv4Option(options, () => {});
}

/**
 * Iterates options as (kind, offset of the option within `options`, length); stops at End.
 * Returns false when a length overruns (same rule as ipv4OptionsValid).
 */
export function forEachIpv4Option(
  options: Uint8Array,
  fn: (kind: number, offset: number, length: number) => void,
): boolean {
  const n = options.length;
  let i = 0;
  while (i < n) {
    const kind = options[i];
    if (kind === IPOPT_END) return true;
    if (kind === IPOPT_NOOP) {
      i++;
      continue;
    }
    if (i + 1 >= n) return false;
    const olen = options[i + 1];
    if (olen < 2 || i + olen > n) return false;
    fn(kind, i, olen);
    i += olen;
  }
  return true;
}

/** Writes the header with its checksum; returns the header length (20 + padded options). */
export function emitIpv4Header(buf: Uint8Array, offset: number, h: Ipv4HeaderFields): number {
  const opt = h.options;
  const optLen = opt === undefined ? 0 : (opt.length + 3) & ~3;
  if (optLen > 40) throw new RangeError('emitIpv4Header: options longer than 40 bytes');
  const hl = IPV4_HEADER_LEN + optLen;
  need(buf, offset, hl, 'emitIpv4Header');
  if (h.totalLength > 0xffff || h.totalLength < hl) throw new RangeError(`emitIpv4Header: total length ${h.totalLength}`);
  const frag = h.fragOffset ?? 0;
  if ((frag & 7) !== 0 || frag > 0xfff8) throw new RangeError('emitIpv4Header: fragment offset not a multiple of 8');
  const o = offset;
  buf[o] = 0x40 | (hl >>> 2);
  buf[o + 1] = h.tos ?? 0;
  put16(buf, o + 2, h.totalLength);
  put16(buf, o + 4, h.id);
  put16(buf, o + 6, (h.df ? 0x4000 : 0) | (h.mf ? 0x2000 : 0) | (frag >>> 3));
  buf[o + 8] = h.ttl;
  buf[o + 9] = h.protocol;
  buf[o + 10] = 0;
  buf[o + 11] = 0;
  const s = h.src;
  const d = h.dst;
  buf[o + 12] = s[0];
  buf[o + 13] = s[1];
  buf[o + 14] = s[2];
  buf[o + 15] = s[3];
  buf[o + 16] = d[0];
  buf[o + 17] = d[1];
  buf[o + 18] = d[2];
  buf[o + 19] = d[3];
  if (opt !== undefined && optLen > 0) {
    buf.set(opt, o + IPV4_HEADER_LEN);
    buf.fill(0, o + IPV4_HEADER_LEN + opt.length, o + hl); // RFC 791 §3.1: pad with End of Option List
  }
  put16(buf, o + 10, foldChecksum(onesSum(buf, o, o + hl)));
  return hl;
}
