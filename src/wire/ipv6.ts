// IPv6 header (RFC 8200 §3) and the extension-header walk (RFC 8200 §4): hop-by-hop options,
// routing, fragment and destination options. The walk never reads past the payload length.

import { WireError } from './error.js';
import { get16, get32, need, put16, put32 } from './bytes.js';

export const IPV6_HEADER_LEN = 40;
export const IPV6_HOPOPTS = 0;
export const IPV6_ROUTING = 43;
export const IPV6_FRAGMENT = 44;
export const IPV6_DSTOPTS = 60;
export const IPV6_NONXT = 59;
export const IPV6_FRAGMENT_HEADER_LEN = 8;

export interface Ipv6ExtHeader {
  type: number;
  /** Offset of the extension header from the start of the IPv6 packet. */
  offset: number;
  length: number;
}

export interface Ipv6Repr {
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** The upper-layer protocol after the extension headers (for a fragment: the fragment header's). */
  nextHeader: number;
  extHeaders: Ipv6ExtHeader[];
  /** The option area of the hop-by-hop header (after its next-header and length bytes). */
  hopByHop?: Uint8Array;
  routing?: { type: number; segmentsLeft: number; data: Uint8Array };
  fragment?: { offset: number; more: boolean; id: number; nextHeader: number };
  /** The option area of the last destination-options header walked. */
  destOptions?: Uint8Array;
  /** Bytes after all extension headers (for a fragment: everything after the fragment header). */
  payload: Uint8Array;
  /** The 40-byte header plus the extension headers before the fragment header (all of them when
   *  the packet is not a fragment). */
  unfragmentable: Uint8Array;
}

export interface Ipv6HeaderFields {
  trafficClass?: number;
  flowLabel?: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
}

export function parseIpv6(buf: Uint8Array): Ipv6Repr | WireError {
  if (buf.length < IPV6_HEADER_LEN) return new WireError('ipv6: shorter than 40 bytes');
  const w0 = get32(buf, 0);
  if (w0 >>> 28 !== 6) return new WireError('ipv6: version is not 6');
  const payloadLength = get16(buf, 4);
  const end = IPV6_HEADER_LEN + payloadLength;
  // RFC 8200 §3: payload length counts everything after the fixed header; link padding is cut.
  if (end > buf.length) return new WireError('ipv6: payload length beyond received bytes');
  const repr: Ipv6Repr = {
    trafficClass: (w0 >>> 20) & 0xff,
    flowLabel: w0 & 0xfffff,
    payloadLength,
    hopLimit: buf[7],
    src: buf.subarray(8, 24),
    dst: buf.subarray(24, 40),
    nextHeader: buf[6],
    extHeaders: [],
    payload: buf, // replaced below
    unfragmentable: buf,
  };
  let nh = buf[6];
  let off = IPV6_HEADER_LEN;
  for (;;) {
    if (nh === IPV6_HOPOPTS || nh === IPV6_ROUTING || nh === IPV6_DSTOPTS) {
      // RFC 8200 §4.1: hop-by-hop options only immediately after the IPv6 header.
      if (nh === IPV6_HOPOPTS && off !== IPV6_HEADER_LEN) return new WireError('ipv6: hop-by-hop header not first');
      if (off + 2 > end) return new WireError('ipv6: truncated extension header');
      // RFC 8200 §4.3, §4.4, §4.6: Hdr Ext Len in 8-octet units, not counting the first 8.
      const len = (buf[off + 1] + 1) << 3;
      if (off + len > end) return new WireError('ipv6: extension header overruns the payload');
      repr.extHeaders.push({ type: nh, offset: off, length: len });
      if (nh === IPV6_HOPOPTS) {
        repr.hopByHop = buf.subarray(off + 2, off + len);
      } else if (nh === IPV6_DSTOPTS) {
        repr.destOptions = buf.subarray(off + 2, off + len);
      } else {
        // RFC 8200 §4.4: routing type, segments left, type-specific data.
        repr.routing = { type: buf[off + 2], segmentsLeft: buf[off + 3], data: buf.subarray(off + 4, off + len) };
      }
      nh = buf[off];
      off += len;
      continue;
    }
    if (nh === IPV6_FRAGMENT) {
      // RFC 8200 §4.5: next header, reserved, offset(13) res(2) M(1), identification(32).
      if (off + IPV6_FRAGMENT_HEADER_LEN > end) return new WireError('ipv6: truncated fragment header');
      repr.extHeaders.push({ type: nh, offset: off, length: IPV6_FRAGMENT_HEADER_LEN });
      const fo = get16(buf, off + 2);
      const fragNext = buf[off];
      repr.fragment = { offset: fo & 0xfff8, more: (fo & 1) !== 0, id: get32(buf, off + 4), nextHeader: fragNext };
      repr.nextHeader = fragNext;
      repr.unfragmentable = buf.subarray(0, off);
      // The rest is fragment data: headers after this one are only parsed after reassembly.
      repr.payload = buf.subarray(off + IPV6_FRAGMENT_HEADER_LEN, end);
      return repr;
    }
    // Upper-layer header, No Next Header (RFC 8200 §4.7) or a type this stack does not walk.
    repr.nextHeader = nh;
    repr.unfragmentable = buf.subarray(0, off);
    repr.payload = buf.subarray(off, end);
    return repr;
  }
}

export interface Ipv6Option {
  /** The option type byte (its top two bits are the unknown-option action, RFC 8200 §4.2). */
  type: number;
  /** Offset of the option's type byte within the option area given. */
  offset: number;
  data: Uint8Array;
}

/**
 * RFC 8200 §4.2: walks a hop-by-hop or destination option area (TLVs; Pad1 is one byte,
 * PadN and all others carry a length). Padding is skipped; an overrun is a WireError.
 */
export function parseIpv6Options(area: Uint8Array): Ipv6Option[] | WireError {
  const out: Ipv6Option[] = [];
  const n = area.length;
  let i = 0;
  while (i < n) {
    const type = area[i];
    if (type === 0) {
      i++; // Pad1
      continue;
    }
    if (i + 2 > n) return new WireError('ipv6: option without length');
    const len = area[i + 1];
    if (i + 2 + len > n) return new WireError('ipv6: option overruns its header');
    if (type !== 1) out.push({ type, offset: i, data: area.subarray(i + 2, i + 2 + len) }); // 1 = PadN
    i += 2 + len;
  }
  return out;
}

/** RFC 8200 §4.2: the action for an unrecognised option, from the two high bits of its type. */
export const IPV6_OPT_SKIP = 0;
export const IPV6_OPT_DISCARD = 1;
export const IPV6_OPT_DISCARD_ICMP = 2;
export const IPV6_OPT_DISCARD_ICMP_UNLESS_MULTICAST = 3;
export function ipv6OptionAction(type: number): number {
  return type >>> 6;
}

/** Writes the fixed header; returns 40. */
export function emitIpv6Header(buf: Uint8Array, offset: number, h: Ipv6HeaderFields): number {
  need(buf, offset, IPV6_HEADER_LEN, 'emitIpv6Header');
  if (h.payloadLength > 0xffff) throw new RangeError('emitIpv6Header: payload longer than 65535 (no jumbograms)');
  const o = offset;
  put32(buf, o, ((6 << 28) | (((h.trafficClass ?? 0) & 0xff) << 20) | ((h.flowLabel ?? 0) & 0xfffff)) >>> 0);
  put16(buf, o + 4, h.payloadLength);
  buf[o + 6] = h.nextHeader;
  buf[o + 7] = h.hopLimit;
  const s = h.src;
  const d = h.dst;
  for (let i = 0; i < 16; i++) {
    buf[o + 8 + i] = s[i];
    buf[o + 24 + i] = d[i];
  }
  return IPV6_HEADER_LEN;
}

/** RFC 8200 §4.5: writes an 8-byte fragment header; `fragOffset` in bytes, a multiple of 8. */
export function emitIpv6FragmentHeader(
  buf: Uint8Array,
  offset: number,
  nextHeader: number,
  fragOffset: number,
  more: boolean,
  id: number,
): number {
  need(buf, offset, IPV6_FRAGMENT_HEADER_LEN, 'emitIpv6FragmentHeader');
  if ((fragOffset & 7) !== 0 || fragOffset < 0 || fragOffset > 0xfff8) {
    throw new RangeError('emitIpv6FragmentHeader: offset not a multiple of 8 below 65536');
  }
  buf[offset] = nextHeader;
  buf[offset + 1] = 0;
  put16(buf, offset + 2, fragOffset | (more ? 1 : 0));
  put32(buf, offset + 4, id >>> 0);
  return IPV6_FRAGMENT_HEADER_LEN;
}
