// DNS messages (RFC 1035 §4): header, questions and resource records, with name compression
// pointers (§4.1.4) on decode. A and AAAA record data decode to addresses; other types keep their
// raw RDATA. Decoding never throws: malformed bytes give a WireError.
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './addr.js';
import { WireError } from './error.js';

// RFC 1035 §3.2.2 / RFC 3596 §2.1 / RFC 1035 §3.2.3: TYPE and QTYPE values.
export const DNS_TYPE_A = 1;
export const DNS_TYPE_CNAME = 5;
export const DNS_TYPE_AAAA = 28;
export const DNS_TYPE_ANY = 255;
// RFC 1035 §3.2.4: the Internet class.
export const DNS_CLASS_IN = 1;
// RFC 1035 §4.1.1: RCODE values.
export const DNS_RCODE_NOERROR = 0;
export const DNS_RCODE_FORMERR = 1;
export const DNS_RCODE_SERVFAIL = 2;
export const DNS_RCODE_NXDOMAIN = 3;
export const DNS_RCODE_NOTIMP = 4;
export const DNS_RCODE_REFUSED = 5;

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** RDATA as received (a view into the message). */
  data: Uint8Array;
  /** For A and AAAA records: the address. */
  address?: string;
}

export interface DnsMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** A record to encode: `address` for A/AAAA, else `data`. */
export interface DnsRecordInput {
  name: string;
  type: number;
  class?: number;
  ttl: number;
  address?: string;
  data?: Uint8Array;
}

export interface DnsMessageInput {
  id: number;
  qr?: boolean;
  opcode?: number;
  aa?: boolean;
  tc?: boolean;
  rd?: boolean;
  ra?: boolean;
  rcode?: number;
  questions?: DnsQuestion[];
  answers?: DnsRecordInput[];
  authorities?: DnsRecordInput[];
  additionals?: DnsRecordInput[];
}

// RFC 1035 §4.1.1: the fixed header is 12 octets.
const HEADER = 12;
// RFC 1035 §2.3.4: labels are 63 octets or less, names 255 octets or less.
const MAX_LABEL = 63;
const MAX_NAME = 255;

/** Encodes a name as labels (no compression). Throws on names that cannot be encoded (programming error). */
function nameBytes(name: string): number[] {
  const out: number[] = [];
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed.length > 0) {
    for (const label of trimmed.split('.')) {
      const b = Buffer.from(label, 'latin1');
      if (b.length === 0 || b.length > MAX_LABEL) throw new RangeError(`bad DNS label in ${JSON.stringify(name)}`);
      out.push(b.length, ...b);
    }
  }
  out.push(0);
  if (out.length > MAX_NAME) throw new RangeError(`DNS name too long: ${name}`);
  return out;
}

function rdataOf(r: DnsRecordInput): Uint8Array {
  if (r.data) return r.data;
  if (r.type === DNS_TYPE_A && r.address !== undefined) {
    const a = parseIPv4(r.address);
    if (a) return a;
  }
  if (r.type === DNS_TYPE_AAAA && r.address !== undefined) {
    const a = parseIPv6(r.address);
    if (a) return a;
  }
  throw new RangeError(`DNS record of type ${r.type} needs data or a valid address`);
}

/** Encodes a message (RFC 1035 §4.1). Names are written without compression. */
export function encodeDnsMessage(m: DnsMessageInput): Uint8Array {
  const parts: number[] = [];
  const u16 = (v: number): void => { parts.push((v >>> 8) & 0xff, v & 0xff); };
  const u32 = (v: number): void => { u16((v >>> 16) & 0xffff); u16(v & 0xffff); };
  const questions = m.questions ?? [];
  const sections = [m.answers ?? [], m.authorities ?? [], m.additionals ?? []];
  u16(m.id & 0xffff);
  // RFC 1035 §4.1.1: QR(1) OPCODE(4) AA TC RD RA Z(3) RCODE(4).
  u16((m.qr ? 0x8000 : 0) | (((m.opcode ?? 0) & 0xf) << 11) | (m.aa ? 0x400 : 0) | (m.tc ? 0x200 : 0) |
    (m.rd ? 0x100 : 0) | (m.ra ? 0x80 : 0) | ((m.rcode ?? 0) & 0xf));
  u16(questions.length);
  for (const s of sections) u16(s.length);
  for (const q of questions) { parts.push(...nameBytes(q.name)); u16(q.type); u16(q.class); }
  for (const s of sections) {
    for (const r of s) {
      const data = rdataOf(r);
      parts.push(...nameBytes(r.name));
      u16(r.type); u16(r.class ?? DNS_CLASS_IN); u32(r.ttl >>> 0); u16(data.length);
      for (let i = 0; i < data.length; i++) parts.push(data[i]!);
    }
  }
  return Uint8Array.from(parts);
}

/** A recursion-desired query for one name and type (RFC 1035 §4.1). */
export function encodeDnsQuery(id: number, name: string, type: number): Uint8Array {
  return encodeDnsMessage({ id, rd: true, questions: [{ name, type, class: DNS_CLASS_IN }] });
}

/** Reads a possibly compressed name at `off`; returns the name and the offset after it in place. */
function readName(b: Uint8Array, off: number): { name: string; end: number } | WireError {
  const labels: string[] = [];
  let pos = off;
  let end = -1;
  let length = 1;
  // RFC 1035 §4.1.4: a pointer must point to a prior occurrence; requiring each pointer to go
  // strictly backwards of the previous one bounds the walk and rules out loops.
  let limit = off;
  for (;;) {
    if (pos >= b.length) return new WireError('dns: name runs past the message');
    const len = b[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= b.length) return new WireError('dns: truncated compression pointer');
      const target = ((len & 0x3f) << 8) | b[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (target >= limit) return new WireError('dns: compression pointer does not point backwards');
      limit = target;
      pos = target;
      continue;
    }
    // RFC 1035 §4.1.4: 0x40 and 0x80 prefixes are reserved.
    if ((len & 0xc0) !== 0) return new WireError('dns: reserved label type');
    if (len === 0) { pos += 1; break; }
    if (pos + 1 + len > b.length) return new WireError('dns: label runs past the message');
    length += len + 1;
    if (length > MAX_NAME) return new WireError('dns: name longer than 255 octets');
    labels.push(Buffer.from(b.buffer, b.byteOffset + pos + 1, len).toString('latin1'));
    pos += 1 + len;
  }
  return { name: labels.join('.'), end: end < 0 ? pos : end };
}

function readRecord(b: Uint8Array, off: number): { rr: DnsRecord; end: number } | WireError {
  const n = readName(b, off);
  if (n instanceof WireError) return n;
  let p = n.end;
  if (p + 10 > b.length) return new WireError('dns: truncated resource record');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = dv.getUint16(p);
  const cls = dv.getUint16(p + 2);
  const ttl = dv.getUint32(p + 4);
  const rdlen = dv.getUint16(p + 8);
  p += 10;
  if (p + rdlen > b.length) return new WireError('dns: RDATA runs past the message');
  const data = b.subarray(p, p + rdlen);
  const rr: DnsRecord = { name: n.name, type, class: cls, ttl, data };
  // RFC 1035 §3.4.1: A RDATA is a 32-bit address; RFC 3596 §2.2: AAAA is 128 bits.
  if (cls === DNS_CLASS_IN && type === DNS_TYPE_A) {
    if (rdlen !== 4) return new WireError('dns: A record RDATA is not 4 octets');
    rr.address = formatIPv4(data);
  } else if (cls === DNS_CLASS_IN && type === DNS_TYPE_AAAA) {
    if (rdlen !== 16) return new WireError('dns: AAAA record RDATA is not 16 octets');
    rr.address = formatIPv6(data);
  }
  return { rr, end: p + rdlen };
}

/** Decodes a DNS message (RFC 1035 §4.1); never throws. */
export function decodeDnsMessage(b: Uint8Array): DnsMessage | WireError {
  if (b.length < HEADER) return new WireError('dns: shorter than the 12-octet header');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const flags = dv.getUint16(2);
  const counts = [dv.getUint16(4), dv.getUint16(6), dv.getUint16(8), dv.getUint16(10)];
  const m: DnsMessage = {
    id: dv.getUint16(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x400) !== 0,
    tc: (flags & 0x200) !== 0,
    rd: (flags & 0x100) !== 0,
    ra: (flags & 0x80) !== 0,
    rcode: flags & 0xf,
    questions: [], answers: [], authorities: [], additionals: [],
  };
  let p = HEADER;
  for (let i = 0; i < counts[0]!; i++) {
    const n = readName(b, p);
    if (n instanceof WireError) return n;
    if (n.end + 4 > b.length) return new WireError('dns: truncated question');
    m.questions.push({ name: n.name, type: dv.getUint16(n.end), class: dv.getUint16(n.end + 2) });
    p = n.end + 4;
  }
  const lists = [m.answers, m.authorities, m.additionals];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const r = readRecord(b, p);
      if (r instanceof WireError) return r;
      lists[s]!.push(r.rr);
      p = r.end;
    }
  }
  return m;
}
