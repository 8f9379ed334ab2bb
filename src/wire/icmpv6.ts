// ICMPv6 (RFC 4443) with the IPv6 pseudo-header checksum (RFC 8200 §8.1), Neighbor Discovery
// messages and options (RFC 4861 §4), MLDv1 (RFC 2710 §3) and MLDv2 (RFC 3810 §5).

import { WireError } from './error.js';
import { get16, get32, need, put16, put32 } from './bytes.js';
import { foldChecksum, onesSum, pseudoHeaderSum } from './checksum.js';
import { isLinkLocalIP, isMulticastIP, isUnspecifiedIP } from './addr.js';

const IPPROTO_ICMPV6 = 58;
export const ICMPV6_HEADER_LEN = 8;

export const ICMP6_DST_UNREACH = 1;
export const ICMP6_PACKET_TOO_BIG = 2;
export const ICMP6_TIME_EXCEEDED = 3;
export const ICMP6_PARAM_PROB = 4;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;
export const MLD_QUERY = 130;
export const MLD_REPORT = 131;
export const MLD_DONE = 132;
export const ND_ROUTER_SOLICIT = 133;
export const ND_ROUTER_ADVERT = 134;
export const ND_NEIGHBOR_SOLICIT = 135;
export const ND_NEIGHBOR_ADVERT = 136;
export const ND_REDIRECT = 137;
export const MLDV2_REPORT = 143;

// RFC 4443 §3.1 destination unreachable codes.
export const ICMP6_NOROUTE = 0;
export const ICMP6_ADM_PROHIBITED = 1;
export const ICMP6_BEYOND_SCOPE = 2;
export const ICMP6_ADDR_UNREACH = 3;
export const ICMP6_PORT_UNREACH = 4;
export const ICMP6_POLICY_FAIL = 5;
export const ICMP6_REJECT_ROUTE = 6;
// RFC 4443 §3.3 time exceeded codes.
export const ICMP6_TIME_EXCEED_TRANSIT = 0;
export const ICMP6_TIME_EXCEED_REASSEMBLY = 1;
// RFC 4443 §3.4 parameter problem codes.
export const ICMP6_PARAMPROB_HEADER = 0;
export const ICMP6_PARAMPROB_NEXTHEADER = 1;
export const ICMP6_PARAMPROB_OPTION = 2;

// RFC 4861 §4.6 option types.
export const ND_OPT_SOURCE_LL = 1;
export const ND_OPT_TARGET_LL = 2;
export const ND_OPT_PREFIX_INFO = 3;
export const ND_OPT_REDIRECTED_HEADER = 4;
export const ND_OPT_MTU = 5;

// RFC 3810 §5.2.12 multicast address record types.
export const MLD2_MODE_IS_INCLUDE = 1;
export const MLD2_MODE_IS_EXCLUDE = 2;
export const MLD2_CHANGE_TO_INCLUDE = 3;
export const MLD2_CHANGE_TO_EXCLUDE = 4;
export const MLD2_ALLOW_NEW_SOURCES = 5;
export const MLD2_BLOCK_OLD_SOURCES = 6;

export interface NdPrefix {
  prefix: Uint8Array;
  length: number;
  onLink: boolean;
  autonomous: boolean;
  /** Seconds; 0xffffffff is infinity (RFC 4861 §4.6.2). */
  valid: number;
  preferred: number;
}

export interface NdRepr {
  /** NS, NA, Redirect: the target address. */
  target?: Uint8Array;
  /** NA flags (RFC 4861 §4.4). */
  router?: boolean;
  solicited?: boolean;
  override?: boolean;
  sourceLL?: Uint8Array;
  targetLL?: Uint8Array;
  /** RA fields (RFC 4861 §4.2): hop limit, lifetime in seconds, reachable/retrans in ms. */
  curHopLimit?: number;
  routerLifetime?: number;
  reachableTime?: number;
  retransTimer?: number;
  /** RA M and O flags. */
  managed?: boolean;
  otherConfig?: boolean;
  /** MTU option (RFC 4861 §4.6.4). */
  mtu?: number;
  prefixes?: NdPrefix[];
  /** Redirect: the destination address (RFC 4861 §4.5). */
  redirectDest?: Uint8Array;
  /** Redirected Header option: the quoted packet (RFC 4861 §4.6.3). */
  redirectedHeader?: Uint8Array;
  /** Options of other types, kept (RFC 4861 §4.6: unknown options are skipped). */
  unknown?: Array<{ type: number; data: Uint8Array }>;
}

export interface MldRecord {
  type: number;
  group: Uint8Array;
  sources: Uint8Array[];
}

export interface MldRepr {
  version: 1 | 2;
  /** Maximum response delay in milliseconds (MLDv2: decoded from the Max Resp Code). */
  maxResponse: number;
  /** MLDv1 messages and queries: the multicast address (unspecified for a general query). */
  group?: Uint8Array;
  /** MLDv2 report. */
  records?: MldRecord[];
  /** MLDv2 query. */
  sources?: Uint8Array[];
  /** MLDv2 query: S flag, robustness variable, query interval in seconds (RFC 3810 §5.1.7-5.1.9). */
  suppress?: boolean;
  qrv?: number;
  qqi?: number;
}

export interface Icmpv6Repr {
  type: number;
  code: number;
  checksumOk: boolean;
  /** Echo identifier and sequence (0 otherwise). */
  id: number;
  seq: number;
  /** Packet too big: the MTU (0 otherwise). */
  mtu: number;
  /** Parameter problem: the byte offset of the error (0 otherwise). */
  pointer: number;
  /** Everything after the 8-byte header (for errors: as much of the invoking packet as fits). */
  data: Uint8Array;
  nd?: NdRepr;
  mld?: MldRepr;
}

export interface Icmpv6Message {
  type: number;
  code: number;
  id?: number;
  seq?: number;
  mtu?: number;
  pointer?: number;
  /** The body after the 8-byte header; ignored when `nd` (ND types) or `mld` (MLD types) is given. */
  data?: Uint8Array;
  nd?: NdRepr;
  mld?: MldRepr;
}

/** RFC 4443 §2.1: types below 128 are errors. */
export function isIcmpv6Error(type: number): boolean {
  return type < 128;
}

// ---- MLDv2 encodings ------------------------------------------------------------------------

/** RFC 3810 §5.1.3: Maximum Response Code → milliseconds. */
export function mld2DecodeMaxResp(code: number): number {
  if (code < 0x8000) return code;
  return ((code & 0x0fff) | 0x1000) * 2 ** (((code >>> 12) & 7) + 3);
}

/** RFC 3810 §5.1.3: milliseconds → Maximum Response Code (rounded down, clamped). */
export function mld2EncodeMaxResp(ms: number): number {
  if (ms < 0x8000) return Math.max(0, Math.floor(ms));
  for (let exp = 0; exp < 8; exp++) {
    const mant = Math.floor(ms / 2 ** (exp + 3)) - 0x1000;
    if (mant < 0x1000) return 0x8000 | (exp << 12) | mant;
  }
  return 0xffff;
}

/** RFC 3810 §5.1.9: QQIC → seconds. */
export function mld2DecodeQqic(code: number): number {
  if (code < 0x80) return code;
  return ((code & 0x0f) | 0x10) << (((code >>> 4) & 7) + 3);
}

/** RFC 3810 §5.1.9: seconds → QQIC (rounded down, clamped). */
export function mld2EncodeQqic(s: number): number {
  if (s < 0x80) return Math.max(0, Math.floor(s));
  for (let exp = 0; exp < 8; exp++) {
    const mant = Math.floor(s / 2 ** (exp + 3)) - 0x10;
    if (mant < 0x10) return 0x80 | (exp << 4) | mant;
  }
  return 0xff;
}

// ---- parse ----------------------------------------------------------------------------------

function parseNdOptions(buf: Uint8Array, off: number, nd: NdRepr): WireError | null {
  const len = buf.length;
  while (off < len) {
    if (off + 2 > len) return new WireError('nd: truncated option');
    const type = buf[off];
    const olen = buf[off + 1] << 3;
    // RFC 4861 §4.6: length in units of 8 octets; zero is invalid and the packet is discarded.
    if (olen === 0) return new WireError('nd: option with length zero');
    if (off + olen > len) return new WireError('nd: option overruns the message');
    switch (type) {
      case ND_OPT_SOURCE_LL: // RFC 4861 §4.6.1 (on Ethernet, 6 bytes of address)
        nd.sourceLL = buf.subarray(off + 2, off + 8);
        break;
      case ND_OPT_TARGET_LL:
        nd.targetLL = buf.subarray(off + 2, off + 8);
        break;
      case ND_OPT_PREFIX_INFO: {
        // RFC 4861 §4.6.2: length 4; prefix length, L/A flags, lifetimes, reserved, prefix.
        if (olen !== 32) return new WireError('nd: prefix information option length is not 4');
        const flags = buf[off + 3];
        (nd.prefixes ??= []).push({
          prefix: buf.subarray(off + 16, off + 32),
          length: buf[off + 2],
          onLink: (flags & 0x80) !== 0,
          autonomous: (flags & 0x40) !== 0,
          valid: get32(buf, off + 4),
          preferred: get32(buf, off + 8),
        });
        break;
      }
      case ND_OPT_REDIRECTED_HEADER: // RFC 4861 §4.6.3: 6 reserved bytes, then the IP packet
        nd.redirectedHeader = buf.subarray(off + 8, off + olen);
        break;
      case ND_OPT_MTU: // RFC 4861 §4.6.4: 2 reserved bytes, 32-bit MTU
        nd.mtu = get32(buf, off + 4);
        break;
      default: // RFC 4861 §4.6: unknown options are skipped (kept here for the caller)
        (nd.unknown ??= []).push({ type, data: buf.subarray(off + 2, off + olen) });
    }
    off += olen;
  }
  return null;
}

/** RFC 4291 §2.7.1: ff02::1:ff00:0/104. */
function isSolicitedNode(a: Uint8Array): boolean {
  if (a[0] !== 0xff || a[1] !== 0x02 || a[11] !== 1 || a[12] !== 0xff) return false;
  for (let i = 2; i < 11; i++) if (a[i] !== 0) return false;
  return true;
}

function parseNd(buf: Uint8Array, type: number, src: Uint8Array, dst: Uint8Array): NdRepr | WireError {
  const len = buf.length;
  // RFC 4861 §6.1.1, §6.1.2, §7.1.1, §7.1.2, §8.1: ICMP code is 0 for every ND message.
  if (buf[1] !== 0) return new WireError('nd: code is not 0');
  const nd: NdRepr = {};
  let optStart: number;
  switch (type) {
    case ND_ROUTER_SOLICIT:
      optStart = 8; // RFC 4861 §4.1
      break;
    case ND_ROUTER_ADVERT: // RFC 4861 §4.2
      if (len < 16) return new WireError('nd: router advertisement shorter than 16 bytes');
      // RFC 4861 §6.1.2: the source is a link-local address.
      if (!isLinkLocalIP(src)) return new WireError('nd: router advertisement from a non-link-local source');
      nd.curHopLimit = buf[4];
      nd.managed = (buf[5] & 0x80) !== 0;
      nd.otherConfig = (buf[5] & 0x40) !== 0;
      nd.routerLifetime = get16(buf, 6);
      nd.reachableTime = get32(buf, 8);
      nd.retransTimer = get32(buf, 12);
      optStart = 16;
      break;
    case ND_NEIGHBOR_SOLICIT: // RFC 4861 §4.3
      if (len < 24) return new WireError('nd: neighbor solicitation shorter than 24 bytes');
      nd.target = buf.subarray(8, 24);
      // RFC 4861 §7.1.1: the target is not a multicast address.
      if (isMulticastIP(nd.target)) return new WireError('nd: neighbor solicitation for a multicast target');
      // RFC 4861 §7.1.1: from the unspecified address only to a solicited-node multicast address.
      if (isUnspecifiedIP(src) && !isSolicitedNode(dst)) {
        return new WireError('nd: DAD solicitation not sent to a solicited-node address');
      }
      optStart = 24;
      break;
    case ND_NEIGHBOR_ADVERT: // RFC 4861 §4.4
      if (len < 24) return new WireError('nd: neighbor advertisement shorter than 24 bytes');
      nd.router = (buf[4] & 0x80) !== 0;
      nd.solicited = (buf[4] & 0x40) !== 0;
      nd.override = (buf[4] & 0x20) !== 0;
      nd.target = buf.subarray(8, 24);
      // RFC 4861 §7.1.2: target not multicast; a multicast destination means Solicited is 0.
      if (isMulticastIP(nd.target)) return new WireError('nd: neighbor advertisement for a multicast target');
      if (nd.solicited && isMulticastIP(dst)) return new WireError('nd: solicited advertisement to a multicast address');
      optStart = 24;
      break;
    default: // ND_REDIRECT, RFC 4861 §4.5
      if (len < 40) return new WireError('nd: redirect shorter than 40 bytes');
      // RFC 4861 §8.1: link-local source; destination not multicast; target link-local or the destination.
      if (!isLinkLocalIP(src)) return new WireError('nd: redirect from a non-link-local source');
      nd.target = buf.subarray(8, 24);
      nd.redirectDest = buf.subarray(24, 40);
      if (isMulticastIP(nd.redirectDest)) return new WireError('nd: redirect for a multicast destination');
      if (!isLinkLocalIP(nd.target)) {
        for (let i = 0; i < 16; i++) {
          if (nd.target[i] !== nd.redirectDest[i]) return new WireError('nd: redirect target neither link-local nor the destination');
        }
      }
      optStart = 40;
  }
  const err = parseNdOptions(buf, optStart, nd);
  if (err) return err;
  // RFC 4861 §6.1.1, §7.1.1: no source link-layer option when the source is unspecified.
  if ((type === ND_ROUTER_SOLICIT || type === ND_NEIGHBOR_SOLICIT) && nd.sourceLL && isUnspecifiedIP(src)) {
    return new WireError('nd: source link-layer option from the unspecified address');
  }
  return nd;
}

function parseMld(buf: Uint8Array, type: number): MldRepr | WireError {
  const len = buf.length;
  if (type === MLDV2_REPORT) {
    // RFC 3810 §5.2: reserved(2), number of records(2), then records.
    const n = get16(buf, 6);
    const records: MldRecord[] = [];
    let off = 8;
    for (let r = 0; r < n; r++) {
      // RFC 3810 §5.2.4: type, aux data len (32-bit words), number of sources, address, sources, aux.
      if (off + 20 > len) return new WireError('mld: truncated multicast address record');
      const nsrc = get16(buf, off + 2);
      const end = off + 20 + nsrc * 16 + buf[off + 1] * 4;
      if (end > len) return new WireError('mld: address record overruns the message');
      const sources: Uint8Array[] = [];
      for (let k = 0; k < nsrc; k++) sources.push(buf.subarray(off + 20 + 16 * k, off + 36 + 16 * k));
      records.push({ type: buf[off], group: buf.subarray(off + 4, off + 20), sources });
      off = end;
    }
    return { version: 2, maxResponse: 0, records };
  }
  // RFC 2710 §3: max response delay(2), reserved(2), multicast address(16).
  if (len < 24) return new WireError('mld: message shorter than 24 bytes');
  if (type !== MLD_QUERY || len === 24) {
    // RFC 3810 §8.1: a 24-byte query is MLDv1.
    return { version: 1, maxResponse: get16(buf, 4), group: buf.subarray(8, 24) };
  }
  // RFC 3810 §5.1: a query of 28 bytes or more is MLDv2; 25-27 bytes is invalid (§8.1).
  if (len < 28) return new WireError('mld: query of 25 to 27 bytes');
  const nsrc = get16(buf, 26);
  if (28 + nsrc * 16 > len) return new WireError('mld: query sources overrun the message');
  const sources: Uint8Array[] = [];
  for (let k = 0; k < nsrc; k++) sources.push(buf.subarray(28 + 16 * k, 44 + 16 * k));
  return {
    version: 2,
    maxResponse: mld2DecodeMaxResp(get16(buf, 4)),
    group: buf.subarray(8, 24),
    sources,
    suppress: (buf[24] & 0x08) !== 0,
    qrv: buf[24] & 0x07,
    qqi: mld2DecodeQqic(buf[25]),
  };
}

/** Parses a whole ICMPv6 message; src and dst (16 bytes) form the checksum's pseudo-header. */
export function parseIcmpv6(buf: Uint8Array, src: Uint8Array, dst: Uint8Array): Icmpv6Repr | WireError {
  const len = buf.length;
  if (len < ICMPV6_HEADER_LEN) return new WireError('icmpv6: shorter than 8 bytes');
  if (src.length !== 16 || dst.length !== 16) return new WireError('icmpv6: addresses are not 16 bytes');
  const type = buf[0];
  const code = buf[1];
  const repr: Icmpv6Repr = {
    type,
    code,
    // RFC 4443 §2.3: checksum over the pseudo-header and the whole message.
    checksumOk: foldChecksum(onesSum(buf, 0, len, pseudoHeaderSum(src, dst, IPPROTO_ICMPV6, len))) === 0,
    id: 0,
    seq: 0,
    mtu: 0,
    pointer: 0,
    data: buf.subarray(ICMPV6_HEADER_LEN),
  };
  switch (type) {
    case ICMP6_ECHO_REQUEST:
    case ICMP6_ECHO_REPLY: // RFC 4443 §4.1, §4.2
      repr.id = get16(buf, 4);
      repr.seq = get16(buf, 6);
      break;
    case ICMP6_PACKET_TOO_BIG: // RFC 4443 §3.2
      repr.mtu = get32(buf, 4);
      break;
    case ICMP6_PARAM_PROB: // RFC 4443 §3.4
      repr.pointer = get32(buf, 4);
      break;
    case ND_ROUTER_SOLICIT:
    case ND_ROUTER_ADVERT:
    case ND_NEIGHBOR_SOLICIT:
    case ND_NEIGHBOR_ADVERT:
    case ND_REDIRECT: {
      const nd = parseNd(buf, type, src, dst);
      if (nd instanceof WireError) return nd;
      repr.nd = nd;
      break;
    }
    case MLD_QUERY:
    case MLD_REPORT:
    case MLD_DONE:
    case MLDV2_REPORT: {
      const mld = parseMld(buf, type);
      if (mld instanceof WireError) return mld;
      repr.mld = mld;
      break;
    }
  }
  return repr;
}

// ---- emit -----------------------------------------------------------------------------------

function isNdType(t: number): boolean {
  return t >= ND_ROUTER_SOLICIT && t <= ND_REDIRECT;
}

function isMldType(t: number): boolean {
  return t === MLD_QUERY || t === MLD_REPORT || t === MLD_DONE || t === MLDV2_REPORT;
}

function ndFixedLength(t: number): number {
  switch (t) {
    case ND_ROUTER_SOLICIT:
      return 8;
    case ND_ROUTER_ADVERT:
      return 16;
    case ND_REDIRECT:
      return 40;
    default:
      return 24;
  }
}

/** Option size rounded up to 8 octets (RFC 4861 §4.6). */
function optSize(dataLen: number): number {
  return (dataLen + 2 + 7) & ~7;
}

function ndOptionsLength(nd: NdRepr): number {
  let n = 0;
  if (nd.sourceLL) n += optSize(nd.sourceLL.length);
  if (nd.targetLL) n += optSize(nd.targetLL.length);
  if (nd.prefixes) n += 32 * nd.prefixes.length;
  if (nd.mtu !== undefined) n += 8;
  if (nd.redirectedHeader) n += 8 + ((nd.redirectedHeader.length + 7) & ~7);
  if (nd.unknown) for (const u of nd.unknown) n += optSize(u.data.length);
  return n;
}

function mldLength(type: number, mld: MldRepr): number {
  if (type === MLDV2_REPORT) {
    let n = 8;
    for (const r of mld.records ?? []) n += 20 + 16 * r.sources.length;
    return n;
  }
  if (type === MLD_QUERY && mld.version === 2) return 28 + 16 * (mld.sources?.length ?? 0);
  return 24;
}

/** The length emitIcmpv6 will write for `m`. */
export function icmpv6Length(m: Icmpv6Message): number {
  if (m.nd && isNdType(m.type)) return ndFixedLength(m.type) + ndOptionsLength(m.nd);
  if (m.mld && isMldType(m.type)) return mldLength(m.type, m.mld);
  return ICMPV6_HEADER_LEN + (m.data?.length ?? 0);
}

function putAddr(buf: Uint8Array, o: number, a: Uint8Array | undefined): void {
  if (a) buf.set(a.subarray(0, 16), o);
  else buf.fill(0, o, o + 16);
}

function putOpt(buf: Uint8Array, o: number, type: number, data: Uint8Array): number {
  const size = optSize(data.length);
  buf[o] = type;
  buf[o + 1] = size >>> 3;
  buf.set(data, o + 2);
  buf.fill(0, o + 2 + data.length, o + size);
  return size;
}

function emitNd(buf: Uint8Array, o: number, type: number, nd: NdRepr): void {
  switch (type) {
    case ND_ROUTER_ADVERT:
      buf[o + 4] = nd.curHopLimit ?? 0;
      buf[o + 5] = (nd.managed ? 0x80 : 0) | (nd.otherConfig ? 0x40 : 0);
      put16(buf, o + 6, nd.routerLifetime ?? 0);
      put32(buf, o + 8, nd.reachableTime ?? 0);
      put32(buf, o + 12, nd.retransTimer ?? 0);
      break;
    case ND_NEIGHBOR_ADVERT:
      buf[o + 4] = (nd.router ? 0x80 : 0) | (nd.solicited ? 0x40 : 0) | (nd.override ? 0x20 : 0);
      putAddr(buf, o + 8, nd.target);
      break;
    case ND_NEIGHBOR_SOLICIT:
      putAddr(buf, o + 8, nd.target);
      break;
    case ND_REDIRECT:
      putAddr(buf, o + 8, nd.target);
      putAddr(buf, o + 24, nd.redirectDest);
      break;
  }
  let p = o + ndFixedLength(type);
  if (nd.sourceLL) p += putOpt(buf, p, ND_OPT_SOURCE_LL, nd.sourceLL);
  if (nd.targetLL) p += putOpt(buf, p, ND_OPT_TARGET_LL, nd.targetLL);
  for (const px of nd.prefixes ?? []) {
    buf[p] = ND_OPT_PREFIX_INFO;
    buf[p + 1] = 4;
    buf[p + 2] = px.length;
    buf[p + 3] = (px.onLink ? 0x80 : 0) | (px.autonomous ? 0x40 : 0);
    put32(buf, p + 4, px.valid >>> 0);
    put32(buf, p + 8, px.preferred >>> 0);
    put32(buf, p + 12, 0);
    putAddr(buf, p + 16, px.prefix);
    p += 32;
  }
  if (nd.mtu !== undefined) {
    buf[p] = ND_OPT_MTU;
    buf[p + 1] = 1;
    put16(buf, p + 2, 0);
    put32(buf, p + 4, nd.mtu >>> 0);
    p += 8;
  }
  if (nd.redirectedHeader) {
    const h = nd.redirectedHeader;
    const size = 8 + ((h.length + 7) & ~7);
    buf[p] = ND_OPT_REDIRECTED_HEADER;
    buf[p + 1] = size >>> 3;
    buf.fill(0, p + 2, p + 8);
    buf.set(h, p + 8);
    buf.fill(0, p + 8 + h.length, p + size);
    p += size;
  }
  for (const u of nd.unknown ?? []) p += putOpt(buf, p, u.type, u.data);
}

function emitMld(buf: Uint8Array, o: number, type: number, mld: MldRepr): void {
  if (type === MLDV2_REPORT) {
    const records = mld.records ?? [];
    put16(buf, o + 6, records.length);
    let p = o + 8;
    for (const r of records) {
      buf[p] = r.type;
      buf[p + 1] = 0; // no auxiliary data
      put16(buf, p + 2, r.sources.length);
      putAddr(buf, p + 4, r.group);
      p += 20;
      for (const s of r.sources) {
        putAddr(buf, p, s);
        p += 16;
      }
    }
    return;
  }
  if (type === MLD_QUERY && mld.version === 2) {
    const sources = mld.sources ?? [];
    put16(buf, o + 4, mld2EncodeMaxResp(mld.maxResponse));
    putAddr(buf, o + 8, mld.group);
    buf[o + 24] = (mld.suppress ? 0x08 : 0) | ((mld.qrv ?? 0) & 7);
    buf[o + 25] = mld2EncodeQqic(mld.qqi ?? 0);
    put16(buf, o + 26, sources.length);
    let p = o + 28;
    for (const s of sources) {
      putAddr(buf, p, s);
      p += 16;
    }
    return;
  }
  put16(buf, o + 4, Math.min(0xffff, Math.max(0, Math.floor(mld.maxResponse))));
  putAddr(buf, o + 8, mld.group);
}

/** Writes the message with its checksum (pseudo-header from src/dst); returns its length. */
export function emitIcmpv6(
  buf: Uint8Array,
  offset: number,
  src: Uint8Array,
  dst: Uint8Array,
  m: Icmpv6Message,
): number {
  const len = icmpv6Length(m);
  need(buf, offset, len, 'emitIcmpv6');
  const o = offset;
  buf[o] = m.type;
  buf[o + 1] = m.code;
  if (m.nd && isNdType(m.type)) {
    buf.fill(0, o + 2, o + ndFixedLength(m.type));
    emitNd(buf, o, m.type, m.nd);
  } else if (m.mld && isMldType(m.type)) {
    buf.fill(0, o + 2, o + (m.type === MLDV2_REPORT ? 8 : m.type === MLD_QUERY && m.mld.version === 2 ? 28 : 24));
    emitMld(buf, o, m.type, m.mld);
  } else {
    put16(buf, o + 2, 0);
    put32(buf, o + 4, 0);
    if (m.type === ICMP6_ECHO_REQUEST || m.type === ICMP6_ECHO_REPLY || m.id !== undefined || m.seq !== undefined) {
      put16(buf, o + 4, m.id ?? 0);
      put16(buf, o + 6, m.seq ?? 0);
    }
    if (m.type === ICMP6_PACKET_TOO_BIG) put32(buf, o + 4, (m.mtu ?? 0) >>> 0);
    else if (m.type === ICMP6_PARAM_PROB) put32(buf, o + 4, (m.pointer ?? 0) >>> 0);
    if (m.data && m.data.length > 0) buf.set(m.data, o + ICMPV6_HEADER_LEN);
  }
  put16(buf, o + 2, 0);
  put16(buf, o + 2, foldChecksum(onesSum(buf, o, o + len, pseudoHeaderSum(src, dst, IPPROTO_ICMPV6, len))));
  return len;
}
