// Addresses: bytes on the wire, canonical strings in the kernel and at the API.
// IPv4 text is dotted decimal like net.isIPv4 (no leading zeros); IPv6 text follows RFC 4291 §2.2
// on input and RFC 5952 on output. Special ranges per RFC 4291 §2.4-2.7 and RFC 1122 §3.2.1.3.

import { copyBytes } from './bytes.js';

export const BROADCAST_MAC: Uint8Array = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

const HEX = '0123456789abcdef';

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---- IPv4 -------------------------------------------------------------------------------

/** Dotted decimal with exactly four parts 0-255, no leading zeros (as net.isIPv4). */
export function parseIPv4(s: string): Uint8Array | null {
  const out = new Uint8Array(4);
  return parseIPv4Into(s, 0, s.length, out, 0) ? out : null;
}

function parseIPv4Into(s: string, start: number, end: number, out: Uint8Array, off: number): boolean {
  let part = 0;
  let i = start;
  while (part < 4) {
    const p = i;
    let v = 0;
    while (i < end) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      i++;
      if (i - p > 3) return false;
    }
    const digits = i - p;
    if (digits === 0 || v > 255) return false;
    if (digits > 1 && s.charCodeAt(p) === 48) return false; // leading zero
    out[off + part] = v;
    part++;
    if (part < 4) {
      if (i >= end || s.charCodeAt(i) !== 46 /* . */) return false;
      i++;
    }
  }
  return i === end;
}

/** Dotted decimal of 4 bytes at `off`. */
export function formatIPv4(b: Uint8Array, off = 0): string {
  return b[off] + '.' + b[off + 1] + '.' + b[off + 2] + '.' + b[off + 3];
}

// ---- IPv6 -------------------------------------------------------------------------------

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** RFC 4007 §11.2 zone index; like net.isIPv6, one or more of [0-9A-Za-z.:-]. */
function validZone(s: string, from: number): boolean {
  if (from >= s.length) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 48 && c <= 58) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46;
    if (!ok) return false;
  }
  return true;
}

/**
 * RFC 4291 §2.2 text forms: eight groups of 1-4 hex digits, one "::" for a run of zero groups,
 * a trailing dotted IPv4 in place of the last two groups. A zone ("%eth0") is stripped.
 */
export function parseIPv6(s: string): Uint8Array | null {
  let end = s.indexOf('%');
  if (end === 0) return null;
  if (end < 0) end = s.length;
  else if (!validZone(s, end + 1)) return null;
  if (end < 2) return null;
  const out = new Uint8Array(16);
  const groups: number[] = [];
  let gap = -1; // index in groups where "::" sits
  let i = 0;
  if (s.charCodeAt(0) === 58 /* : */) {
    if (s.charCodeAt(1) !== 58) return null;
    gap = 0;
    i = 2;
    if (i === end) return out; // "::"
  }
  while (i < end) {
    const p = i;
    let v = 0;
    while (i < end) {
      const h = hexVal(s.charCodeAt(i));
      if (h < 0) break;
      v = (v << 4) | h;
      i++;
    }
    const digits = i - p;
    if (i < end && s.charCodeAt(i) === 46 /* . */) {
      // Embedded IPv4 (RFC 4291 §2.2 form 3): must be last and fit in the last 32 bits.
      if (groups.length > 6) return null;
      const tmp = new Uint8Array(4);
      if (!parseIPv4Into(s, p, end, tmp, 0)) return null;
      groups.push((tmp[0] << 8) | tmp[1], (tmp[2] << 8) | tmp[3]);
      i = end;
      break;
    }
    if (digits === 0 || digits > 4) return null;
    groups.push(v);
    if (groups.length > 8) return null;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return null;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return null; // at most one "::"
      gap = groups.length;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return null; // trailing single ':'
    }
  }
  const n = groups.length;
  if (gap < 0) {
    if (n !== 8) return null;
  } else if (n > 7) {
    return null; // "::" must stand for at least one group
  }
  const tail = gap < 0 ? 0 : n - gap;
  const head = gap < 0 ? n : gap;
  for (let k = 0; k < head; k++) {
    out[2 * k] = groups[k] >>> 8;
    out[2 * k + 1] = groups[k] & 0xff;
  }
  for (let k = 0; k < tail; k++) {
    const g = groups[gap + k];
    const pos = 8 - tail + k;
    out[2 * pos] = g >>> 8;
    out[2 * pos + 1] = g & 0xff;
  }
  return out;
}

function hex16(v: number): string {
  if (v < 0x10) return HEX[v];
  if (v < 0x100) return HEX[v >>> 4] + HEX[v & 15];
  if (v < 0x1000) return HEX[v >>> 8] + HEX[(v >>> 4) & 15] + HEX[v & 15];
  return HEX[v >>> 12] + HEX[(v >>> 8) & 15] + HEX[(v >>> 4) & 15] + HEX[v & 15];
}

/**
 * RFC 5952 §4 canonical text of 16 bytes at `off`: lowercase, no leading zeros, the longest run
 * of two or more zero groups (the first on a tie) as "::"; RFC 5952 §5: IPv4-mapped as ::ffff:a.b.c.d.
 */
export function formatIPv6(b: Uint8Array, off = 0): string {
  // RFC 5952 §5 / RFC 4291 §2.5.5.2: ::ffff:0:0/96
  let mapped = b[off + 10] === 0xff && b[off + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) if (b[off + i] !== 0) mapped = false;
  if (mapped) return '::ffff:' + formatIPv4(b, off + 12);
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = b[off + 2 * g] === 0 && b[off + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      const len = g - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLen < 2) bestStart = -1; // RFC 5952 §4.2.2: "::" never shortens a single 16-bit 0 field
  let s = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      s += '::';
      g += bestLen - 1;
      continue;
    }
    if (s.length > 0 && s.charCodeAt(s.length - 1) !== 58) s += ':';
    s += hex16((b[off + 2 * g] << 8) | b[off + 2 * g + 1]);
  }
  return s;
}

export function parseIP(s: string): Uint8Array | null {
  return s.indexOf(':') >= 0 ? parseIPv6(s) : parseIPv4(s);
}

/** Text of a 4- or 16-byte address. */
export function formatIP(b: Uint8Array): string {
  if (b.length === 4) return formatIPv4(b, 0);
  if (b.length === 16) return formatIPv6(b, 0);
  throw new RangeError(`formatIP: address of ${b.length} bytes`);
}

/** 4 or 6 for a valid IPv4/IPv6 address string, else 0 (like net.isIP). */
export function ipFamily(s: string): 0 | 4 | 6 {
  if (s.indexOf(':') >= 0) return parseIPv6(s) ? 6 : 0;
  return parseIPv4(s) ? 4 : 0;
}

/** The canonical text of an address string ('::FFFF:1.2.3.4' → '::ffff:1.2.3.4'), or null. */
export function canonicalIP(s: string): string | null {
  const b = parseIP(s);
  return b ? formatIP(b) : null;
}

/** '10.0.0.1/24', 'fd00::1/64'; a bare address has the full-length prefix. The address is not masked. */
export function parseCIDR(s: string): { address: Uint8Array; prefix: number } | null {
  const slash = s.indexOf('/');
  const address = parseIP(slash < 0 ? s : s.slice(0, slash));
  if (!address) return null;
  const max = address.length * 8;
  if (slash < 0) return { address, prefix: max };
  const t = s.slice(slash + 1);
  if (t.length === 0 || t.length > 3) return null;
  let prefix = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    prefix = prefix * 10 + c;
  }
  if (t.length > 1 && t.charCodeAt(0) === 48) return null;
  if (prefix > max) return null;
  return { address, prefix };
}

/** True when the first `prefix` bits of a and b agree (addresses of different lengths never match). */
export function prefixMatch(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  if (a.length !== b.length) return false;
  const full = prefix >>> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff00 >>> rest) & 0xff;
  return ((a[full] ^ b[full]) & mask) === 0;
}

/** A new address with the host bits (after `prefix`) cleared. */
export function networkOf(a: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const bits = prefix - i * 8;
    out[i] = bits >= 8 ? a[i] : bits <= 0 ? 0 : a[i] & ((0xff00 >>> bits) & 0xff);
  }
  return out;
}

/** RFC 919 / RFC 1122 §3.2.1.3: the directed broadcast of an IPv4 subnet (host bits all set). */
export function broadcastOf(a4: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(a4.length);
  for (let i = 0; i < a4.length; i++) {
    const bits = prefix - i * 8;
    out[i] = bits >= 8 ? a4[i] : bits <= 0 ? 0xff : a4[i] | (0xff >>> bits);
  }
  return out;
}

// ---- classes of addresses -----------------------------------------------------------------

/** IPv4 224.0.0.0/4 (RFC 5771), IPv6 ff00::/8 (RFC 4291 §2.7). */
export function isMulticastIP(b: Uint8Array): boolean {
  return b.length === 4 ? (b[0] & 0xf0) === 0xe0 : b[0] === 0xff;
}

/** IPv4 127.0.0.0/8 (RFC 1122 §3.2.1.3), IPv6 ::1 (RFC 4291 §2.5.3). */
export function isLoopbackIP(b: Uint8Array): boolean {
  if (b.length === 4) return b[0] === 127;
  if (b.length !== 16 || b[15] !== 1) return false;
  for (let i = 0; i < 15; i++) if (b[i] !== 0) return false;
  return true;
}

/** 0.0.0.0 or :: (RFC 4291 §2.5.2). */
export function isUnspecifiedIP(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return b.length === 4 || b.length === 16;
}

/** IPv4 169.254.0.0/16 (RFC 3927), IPv6 fe80::/10 (RFC 4291 §2.5.6). */
export function isLinkLocalIP(b: Uint8Array): boolean {
  if (b.length === 4) return b[0] === 169 && b[1] === 254;
  return b.length === 16 && b[0] === 0xfe && (b[1] & 0xc0) === 0x80;
}

/** The limited broadcast 255.255.255.255 (RFC 919). */
export function isBroadcastIPv4(b: Uint8Array): boolean {
  return b.length === 4 && b[0] === 255 && b[1] === 255 && b[2] === 255 && b[3] === 255;
}

/** RFC 4291 §2.5.5.2: ::ffff:0:0/96. */
export function isV4Mapped(b16: Uint8Array): boolean {
  if (b16.length !== 16 || b16[10] !== 0xff || b16[11] !== 0xff) return false;
  for (let i = 0; i < 10; i++) if (b16[i] !== 0) return false;
  return true;
}

export function v4Mapped(b4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(b4.subarray(0, 4), 12);
  return out;
}

/** The last four bytes of a 16-byte address, as a new 4-byte address. */
export function unmapV4(b16: Uint8Array): Uint8Array {
  return copyBytes(b16, 12, 16);
}

/** RFC 4291 §2.7.1: ff02::1:ff00:0/104 plus the low 24 bits of the address. */
export function solicitedNodeMulticast(b16: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = 0xff;
  out[1] = 0x02;
  out[11] = 0x01;
  out[12] = 0xff;
  out[13] = b16[13];
  out[14] = b16[14];
  out[15] = b16[15];
  return out;
}

/** RFC 1112 §6.4: 01:00:5e + low 23 bits for IPv4; RFC 2464 §7: 33:33 + low 32 bits for IPv6. */
export function multicastMac(ip: Uint8Array): Uint8Array {
  const out = new Uint8Array(6);
  if (ip.length === 4) {
    out[0] = 0x01;
    out[1] = 0x00;
    out[2] = 0x5e;
    out[3] = ip[1] & 0x7f;
    out[4] = ip[2];
    out[5] = ip[3];
  } else {
    out[0] = 0x33;
    out[1] = 0x33;
    out[2] = ip[12];
    out[3] = ip[13];
    out[4] = ip[14];
    out[5] = ip[15];
  }
  return out;
}

/** RFC 4291 §2.5.6 + Appendix A, RFC 2464 §5: fe80::/64 with the modified EUI-64 of the MAC. */
export function linkLocalFromMac(mac: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out[8] = mac[0] ^ 0x02; // invert the universal/local bit
  out[9] = mac[1];
  out[10] = mac[2];
  out[11] = 0xff;
  out[12] = 0xfe;
  out[13] = mac[3];
  out[14] = mac[4];
  out[15] = mac[5];
  return out;
}

// ---- MAC ----------------------------------------------------------------------------------

/** 'aa:bb:cc:dd:ee:ff' (or '-' separated; 1-2 hex digits a part). */
export function parseMAC(s: string): Uint8Array | null {
  const parts = s.split(s.indexOf('-') >= 0 ? '-' : ':');
  if (parts.length !== 6) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const p = parts[i];
    if (p.length < 1 || p.length > 2) return null;
    let v = 0;
    for (let k = 0; k < p.length; k++) {
      const h = hexVal(p.charCodeAt(k));
      if (h < 0) return null;
      v = (v << 4) | h;
    }
    out[i] = v;
  }
  return out;
}

/** '02:00:00:00:00:01' for 6 bytes at `off`. */
export function formatMAC(b: Uint8Array, off = 0): string {
  // One flat string (concatenation would leave a tree of 17 pieces behind every kept MAC text).
  const c = MAC_CHARS;
  for (let i = 0; i < 6; i++) {
    const v = b[off + i]!;
    c[3 * i] = HEX_CODES[v >>> 4]!;
    c[3 * i + 1] = HEX_CODES[v & 15]!;
  }
  return String.fromCharCode.apply(null, c);
}

const HEX_CODES = [...'0123456789abcdef'].map((ch) => ch.charCodeAt(0));
/** Scratch: the 17 character codes of a MAC text, the colons in place. */
const MAC_CHARS: number[] = Array.from({ length: 17 }, () => 58);

/** IEEE 802: the group bit (least significant bit of the first octet); broadcast included. */
export function isMulticastMac(b: Uint8Array): boolean {
  return (b[0] & 1) === 1;
}

export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4] && a[5] === b[5]
  );
}
