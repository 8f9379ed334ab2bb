// TCP header (RFC 9293 §3.1) and options: MSS (RFC 9293 §3.2), window scale and timestamps
// (RFC 7323 §2.2, §3.2), SACK-permitted and SACK blocks (RFC 2018 §2, §3), Fast Open cookies
// (RFC 7413 §4.1.1; also the experimental kind 254 with magic 0xF989, RFC 6994).

import { WireError } from './error.js';
import { get16, get32, need, put16, put32 } from './bytes.js';
import { foldChecksum, onesSum, pseudoHeaderSum } from './checksum.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
export const TCP_HEADER_LEN = 20;
export const TCP_MAX_OPTIONS_LEN = 40;

// RFC 9293 §3.2 option kinds.
export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERMITTED = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;
/** RFC 7413 §4.1.1: the Fast Open cookie option. */
export const TCPOPT_FASTOPEN = 34;
/** RFC 6994 shared experimental option; Fast Open's draft form uses magic 0xF989 (Linux TCPOPT_EXP). */
export const TCPOPT_EXP = 254;
export const TCPOPT_FASTOPEN_MAGIC = 0xf989;

const IPPROTO_TCP = 6;

export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  /** SACK blocks as [left edge, right edge) sequence numbers, unsigned 32-bit. */
  sack?: Array<[number, number]>;
  timestamp?: { tsval: number; tsecr: number };
  /**
   * RFC 7413 §4.1.1 Fast Open: `cookie` empty is a cookie request; `exp` the experimental form
   * (kind 254, magic 0xF989). Parsed only with an even cookie length of 0 or 4..16 bytes (as
   * Linux tcp_parse_fastopen_option); `invalid` marks one of another length.
   */
  fastopen?: { cookie: Uint8Array; exp: boolean; invalid?: boolean };
  /** Options of other kinds, kept in order (emitted after the known ones). */
  unknown?: Array<{ kind: number; data: Uint8Array }>;
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  headerLength: number;
  flags: number;
  /** The raw 16-bit window field, unscaled. */
  window: number;
  checksum: number;
  urgent: number;
  options: TcpOptions;
  payload: Uint8Array;
}

export interface TcpHeaderFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent?: number;
  options?: TcpOptions;
}

/**
 * RFC 9293 §3.1 option walk: EOL ends the list, NOP is one byte, every other option is
 * kind, length (including both), data. RFC 9293 §3.2 (MUST-7): an illegal length (below 2
 * or past the header) is a WireError, never a crash. A known kind with the wrong length is
 * ignored, as Linux does.
 */
function parseOptions(buf: Uint8Array, start: number, end: number): TcpOptions | WireError {
  const o: TcpOptions = {};
  let i = start;
  while (i < end) {
    const kind = buf[i];
    if (kind === TCPOPT_EOL) break;
    if (kind === TCPOPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return new WireError('tcp: option kind without length');
    const len = buf[i + 1];
    if (len < 2) return new WireError('tcp: option length below 2');
    if (i + len > end) return new WireError('tcp: option overruns the header');
    switch (kind) {
      case TCPOPT_MSS:
        if (len === 4) o.mss = get16(buf, i + 2);
        break;
      case TCPOPT_WSCALE:
        // RFC 7323 §2.3: a shift above 14 is used as 14 (that clamp is TCP's job; the raw value is kept).
        if (len === 3) o.wscale = buf[i + 2];
        break;
      case TCPOPT_SACK_PERMITTED:
        if (len === 2) o.sackPermitted = true;
        break;
      case TCPOPT_SACK:
        // RFC 2018 §3: 8 bytes per block after kind and length.
        if (len >= 10 && (len - 2) % 8 === 0) {
          const blocks: Array<[number, number]> = o.sack ?? [];
          for (let p = i + 2; p < i + len; p += 8) blocks.push([get32(buf, p), get32(buf, p + 4)]);
          o.sack = blocks;
        }
        break;
      case TCPOPT_TIMESTAMP:
        if (len === 10) o.timestamp = { tsval: get32(buf, i + 2), tsecr: get32(buf, i + 6) };
        break;
      case TCPOPT_FASTOPEN:
        o.fastopen = fastopenCookie(buf, i + 2, len - 2, false);
        break;
      case TCPOPT_EXP:
        if (len >= 4 && get16(buf, i + 2) === TCPOPT_FASTOPEN_MAGIC) {
          o.fastopen = fastopenCookie(buf, i + 4, len - 4, true);
          break;
        }
        (o.unknown ??= []).push({ kind, data: buf.subarray(i + 2, i + len) });
        break;
      default:
        (o.unknown ??= []).push({ kind, data: buf.subarray(i + 2, i + len) });
    }
    i += len;
  }
  return o;
}

/** RFC 7413 §4.1.1: a cookie of 4 to 16 bytes, even; 0 is a request (Linux tcp_parse_fastopen_option). */
function fastopenCookie(buf: Uint8Array, at: number, len: number, exp: boolean): { cookie: Uint8Array; exp: boolean; invalid?: boolean } {
  const cookie = buf.subarray(at, at + len);
  if (len === 0 || (len >= 4 && len <= 16 && (len & 1) === 0)) return { cookie, exp };
  return { cookie, exp, invalid: true };
}

export function parseTcp(buf: Uint8Array): TcpRepr | WireError {
  if (buf.length < TCP_HEADER_LEN) return new WireError('tcp: shorter than 20 bytes');
  // RFC 9293 §3.1: data offset in 32-bit words, at least 5.
  const headerLength = (buf[12] >>> 4) << 2;
  if (headerLength < TCP_HEADER_LEN) return new WireError('tcp: data offset below 5');
  if (headerLength > buf.length) return new WireError('tcp: data offset beyond the segment');
  const options = parseOptions(buf, TCP_HEADER_LEN, headerLength);
  if (options instanceof WireError) return options;
  return {
    srcPort: get16(buf, 0),
    dstPort: get16(buf, 2),
    seq: get32(buf, 4),
    ack: get32(buf, 8),
    headerLength,
    flags: buf[13],
    window: get16(buf, 14),
    checksum: get16(buf, 16),
    urgent: get16(buf, 18),
    options,
    payload: buf.subarray(headerLength),
  };
}

/** RFC 9293 §3.1: checksum over the pseudo-header (4- or 16-byte addresses) and the whole segment. */
export function tcpChecksumOk(buf: Uint8Array, src: Uint8Array, dst: Uint8Array): boolean {
  return foldChecksum(onesSum(buf, 0, buf.length, pseudoHeaderSum(src, dst, IPPROTO_TCP, buf.length))) === 0;
}

// Emitted layout (the one Linux uses, so every option stays 4-byte aligned):
//   MSS(4) | SACK-perm+TS(12) or NOP NOP TS(12) or NOP NOP SACK-perm(4) | NOP WS(4)
//   | NOP NOP SACK(2+8n) | Fast Open (2+n or 4+n, then NOP NOP when that leaves 2 over)
//   | unknown options | EOL padding to a multiple of 4.
function rawOptionsLength(o: TcpOptions): number {
  let n = 0;
  if (o.mss !== undefined) n += 4;
  if (o.timestamp) n += 12;
  else if (o.sackPermitted) n += 4;
  if (o.wscale !== undefined) n += 4;
  if (o.sack && o.sack.length > 0) n += 4 + 8 * o.sack.length;
  if (o.fastopen) n += (fastopenLength(o.fastopen) + 3) & ~3;
  if (o.unknown) for (const u of o.unknown) n += 2 + u.data.length;
  return n;
}

/** Bytes the options take in the header: padded to a multiple of 4. Throws above 40. */
export function tcpOptionsLength(o: TcpOptions): number {
  const n = (rawOptionsLength(o) + 3) & ~3;
  if (n > TCP_MAX_OPTIONS_LEN) throw new RangeError(`tcpOptionsLength: ${n} bytes of options (max 40)`);
  return n;
}

function fastopenLength(f: { cookie: Uint8Array; exp: boolean }): number {
  return (f.exp ? 4 : 2) + f.cookie.length;
}

function emitOptions(buf: Uint8Array, p: number, end: number, o: TcpOptions): void {
  if (o.mss !== undefined) {
    buf[p] = TCPOPT_MSS;
    buf[p + 1] = 4;
    put16(buf, p + 2, o.mss);
    p += 4;
  }
  if (o.timestamp) {
    if (o.sackPermitted) {
      buf[p] = TCPOPT_SACK_PERMITTED;
      buf[p + 1] = 2;
    } else {
      buf[p] = TCPOPT_NOP;
      buf[p + 1] = TCPOPT_NOP;
    }
    buf[p + 2] = TCPOPT_TIMESTAMP;
    buf[p + 3] = 10;
    put32(buf, p + 4, o.timestamp.tsval >>> 0);
    put32(buf, p + 8, o.timestamp.tsecr >>> 0);
    p += 12;
  } else if (o.sackPermitted) {
    buf[p] = TCPOPT_NOP;
    buf[p + 1] = TCPOPT_NOP;
    buf[p + 2] = TCPOPT_SACK_PERMITTED;
    buf[p + 3] = 2;
    p += 4;
  }
  if (o.wscale !== undefined) {
    buf[p] = TCPOPT_NOP;
    buf[p + 1] = TCPOPT_WSCALE;
    buf[p + 2] = 3;
    buf[p + 3] = o.wscale;
    p += 4;
  }
  if (o.sack && o.sack.length > 0) {
    buf[p] = TCPOPT_NOP;
    buf[p + 1] = TCPOPT_NOP;
    buf[p + 2] = TCPOPT_SACK;
    buf[p + 3] = 2 + 8 * o.sack.length;
    p += 4;
    for (const [l, r] of o.sack) {
      put32(buf, p, l >>> 0);
      put32(buf, p + 4, r >>> 0);
      p += 8;
    }
  }
  if (o.fastopen) {
    // Linux tcp_options_write: kind and length (or 254, length, magic), the cookie, and NOP NOP
    // when the length leaves two bytes of a word over.
    const f = o.fastopen;
    const len = fastopenLength(f);
    if (f.exp) {
      buf[p] = TCPOPT_EXP;
      buf[p + 1] = len;
      put16(buf, p + 2, TCPOPT_FASTOPEN_MAGIC);
    } else {
      buf[p] = TCPOPT_FASTOPEN;
      buf[p + 1] = len;
    }
    buf.set(f.cookie, p + len - f.cookie.length);
    p += len;
    if ((len & 3) === 2) {
      buf[p] = TCPOPT_NOP;
      buf[p + 1] = TCPOPT_NOP;
      p += 2;
    }
  }
  if (o.unknown) {
    for (const u of o.unknown) {
      buf[p] = u.kind;
      buf[p + 1] = 2 + u.data.length;
      buf.set(u.data, p + 2);
      p += 2 + u.data.length;
    }
  }
  while (p < end) buf[p++] = TCPOPT_EOL; // RFC 9293 §3.1: padding is zeros
}

/**
 * Writes header and options, then the checksum over them and the `payloadLength` bytes already
 * in place after the header. Returns the header length. With `checksum` 'partial' the field
 * holds only the folded pseudo-header sum, as Linux leaves it for checksum offload
 * (CHECKSUM_PARTIAL, e.g. on loopback, where no wire can corrupt the segment and nobody checks).
 */
export function emitTcpHeader(
  buf: Uint8Array,
  offset: number,
  h: TcpHeaderFields,
  payloadLength: number,
  src: Uint8Array,
  dst: Uint8Array,
  checksum: 'full' | 'partial' = 'full',
): number {
  const optLen = h.options ? tcpOptionsLength(h.options) : 0;
  const hl = TCP_HEADER_LEN + optLen;
  const total = hl + payloadLength;
  need(buf, offset, total, 'emitTcpHeader');
  const o = offset;
  put16(buf, o, h.srcPort);
  put16(buf, o + 2, h.dstPort);
  put32(buf, o + 4, h.seq >>> 0);
  put32(buf, o + 8, h.ack >>> 0);
  buf[o + 12] = (hl >>> 2) << 4;
  buf[o + 13] = h.flags;
  put16(buf, o + 14, h.window);
  buf[o + 16] = 0;
  buf[o + 17] = 0;
  put16(buf, o + 18, h.urgent ?? 0);
  if (optLen > 0 && h.options) emitOptions(buf, o + TCP_HEADER_LEN, o + hl, h.options);
  const pseudo = pseudoHeaderSum(src, dst, IPPROTO_TCP, total);
  if (checksum === 'partial') put16(buf, o + 16, ~foldChecksum(pseudo) & 0xffff);
  else put16(buf, o + 16, foldChecksum(onesSum(buf, o, o + total, pseudo)));
  return hl;
}

const FLAG_NAMES: Array<[number, string]> = [
  [TCP_FIN, 'FIN'],
  [TCP_SYN, 'SYN'],
  [TCP_RST, 'RST'],
  [TCP_PSH, 'PSH'],
  [TCP_ACK, 'ACK'],
  [TCP_URG, 'URG'],
  [TCP_ECE, 'ECE'],
  [TCP_CWR, 'CWR'],
];

/** 'SYN,ACK' style, low bit first; '' for no flags. */
export function formatTcpFlags(flags: number): string {
  let s = '';
  for (const [bit, name] of FLAG_NAMES) {
    if ((flags & bit) !== 0) s += s.length > 0 ? ',' + name : name;
  }
  return s;
}
