// DNS names (RFC 1035 §2.3.4, §3.1, §4.1.4): presentation form <-> labels, a message writer that
// compresses names with pointers, and a reader that follows them. Names are in the form c-ares
// hands them to Node: labels joined by '.', no trailing dot, the root is ''; a '.', '\' or other
// special octet inside a label is escaped ('\.', '\\'), octets outside printable ASCII are '\DDD'.
import { WireError } from './error.js';

// RFC 1035 §2.3.4: labels are 63 octets or less, names 255 octets or less.
const MAX_LABEL = 63;
const MAX_NAME = 255;
// RFC 1035 §4.1.4: a pointer holds a 14-bit offset.
const MAX_POINTER = 0x3fff;

/** The labels of a presentation-form name ('a.b\.c' → ['a', 'b.c'] as octets); null if malformed. */
export function dnsLabels(name: string): Uint8Array[] | null {
  const labels: Uint8Array[] = [];
  if (name === '' || name === '.') return labels;
  const s = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  let cur: number[] = [];
  let total = 1;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c === 0x2e) { // '.'
      if (cur.length === 0 || cur.length > MAX_LABEL) return null;
      labels.push(Uint8Array.from(cur));
      total += cur.length + 1;
      cur = [];
      continue;
    }
    if (c === 0x5c) { // '\': \DDD or \X
      const d = /^[0-9]{3}/.exec(s.slice(i + 1, i + 4));
      if (d) { c = Number(d[0]); i += 3; if (c > 255) return null; } else { if (i + 1 >= s.length) return null; c = s.charCodeAt(++i); }
    }
    if (c > 255) return null;
    cur.push(c);
  }
  if (cur.length === 0 || cur.length > MAX_LABEL) return null;
  labels.push(Uint8Array.from(cur));
  total += cur.length + 1;
  return total > MAX_NAME ? null : labels;
}

/** Whether a name can be encoded (labels of 1-63 octets, 255 octets in all). */
export function isDnsName(name: string): boolean {
  return dnsLabels(name) !== null;
}

/** A name in canonical comparison form (RFC 4343: case-insensitive for ASCII; no trailing dot). */
export function dnsNameKey(name: string): string {
  const n = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  return n.toLowerCase();
}

// c-ares writes these octets of a label with a backslash (its is_reservedch()).
const RESERVED = new Set([0x22, 0x2e, 0x3b, 0x5c, 0x28, 0x29, 0x40, 0x24]);

function labelText(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = off; i < off + len; i++) {
    const c = b[i]!;
    if (RESERVED.has(c)) s += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c > 0x7e) s += '\\' + String(c).padStart(3, '0');
    else s += String.fromCharCode(c);
  }
  return s;
}

/** A message under construction: bytes, and where each name suffix was written (for pointers). */
export class DnsWriter {
  private buf = new Uint8Array(512);
  len = 0;
  private readonly names = new Map<string, number>();

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  u8(v: number): void { this.room(1); this.buf[this.len++] = v & 0xff; }
  u16(v: number): void { this.room(2); this.buf[this.len++] = (v >>> 8) & 0xff; this.buf[this.len++] = v & 0xff; }
  u32(v: number): void { this.u16((v >>> 16) & 0xffff); this.u16(v & 0xffff); }
  bytes(b: Uint8Array): void { this.room(b.length); this.buf.set(b, this.len); this.len += b.length; }
  /** Overwrites a 16-bit value already written (a length filled in afterwards). */
  set16(at: number, v: number): void { this.buf[at] = (v >>> 8) & 0xff; this.buf[at + 1] = v & 0xff; }

  /** Writes a name; with `compress`, a known suffix becomes a pointer (RFC 1035 §4.1.4). */
  name(name: string, compress: boolean): void {
    const labels = dnsLabels(name);
    if (labels === null) throw new RangeError(`not a DNS name: ${JSON.stringify(name)}`);
    for (let i = 0; i < labels.length; i++) {
      // Length-prefixed labels: a label may itself hold a '.' octet.
      const key = labels.slice(i).map((l) => String.fromCharCode(l.length) + Buffer.from(l).toString('latin1').toLowerCase()).join('');
      const at = this.names.get(key);
      if (compress && at !== undefined) { this.u16(0xc000 | at); return; }
      if (this.len <= MAX_POINTER && !this.names.has(key)) this.names.set(key, this.len);
      this.u8(labels[i]!.length);
      this.bytes(labels[i]!);
    }
    this.u8(0);
  }

  /** Forgets names written at or after `len` and goes back there (a record that did not fit). */
  truncate(len: number): void {
    this.len = len;
    for (const [k, v] of this.names) if (v >= len) this.names.delete(k);
  }

  finish(): Uint8Array { return this.buf.slice(0, this.len); }
}


/** Reads a possibly compressed name at `off`; returns the name and the offset after it in place. */
export function readDnsName(b: Uint8Array, off: number, end = b.length): { name: string; end: number } | WireError {
  const labels: string[] = [];
  let pos = off;
  let after = -1;
  let length = 1;
  // RFC 1035 §4.1.4: a pointer must point to a prior occurrence; requiring each pointer to go
  // strictly backwards of the previous one bounds the walk and rules out loops.
  let limit = off;
  for (;;) {
    // Inline labels must lie within `end` (the RDATA) until a pointer leads elsewhere.
    if (pos >= (after < 0 ? end : b.length)) return new WireError('dns: name runs past its bounds');
    const len = b[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= (after < 0 ? end : b.length)) return new WireError('dns: truncated compression pointer');
      const target = ((len & 0x3f) << 8) | b[pos + 1]!;
      if (after < 0) after = pos + 2;
      if (target >= limit) return new WireError('dns: compression pointer does not point backwards');
      limit = target;
      pos = target;
      continue;
    }
    // RFC 1035 §4.1.4 / RFC 6891 §5: the 0x40 and 0x80 label types are not in use.
    if ((len & 0xc0) !== 0) return new WireError('dns: reserved label type');
    if (len === 0) { pos += 1; break; }
    if (pos + 1 + len > (after < 0 ? end : b.length)) return new WireError('dns: label runs past its bounds');
    length += len + 1;
    if (length > MAX_NAME) return new WireError('dns: name longer than 255 octets');
    labels.push(labelText(b, pos + 1, len));
    pos += 1 + len;
  }
  return { name: labels.join('.'), end: after < 0 ? pos : after };
}

