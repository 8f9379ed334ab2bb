// DNS messages (RFC 1035 §4): header, questions and resource records. Names are written with
// compression pointers (§4.1.4) and read with them followed; record data of the types Node
// resolves is decoded and encoded by src/wire/dns-rdata.ts; EDNS(0)'s OPT pseudo-record
// (RFC 6891) is read into `edns` and written from it; DNS over TCP frames messages with a
// two-octet length (RFC 1035 §4.2.2, RFC 7766 §8). Decoding never throws: malformed bytes give
// a WireError (c-ares rejects such a response whole, as EBADRESP).
// Names: src/wire/dns-name.ts.
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './addr.js';
import { WireError } from './error.js';
import { decodeRdata, encodeRdata, type DnsRdata } from './dns-rdata.js';
import { DnsWriter, dnsNameKey, readDnsName } from './dns-name.js';
import { copyBytes } from './bytes.js';

export type { DnsRdata } from './dns-rdata.js';
export { DnsWriter, dnsLabels, dnsNameKey, isDnsName, readDnsName } from './dns-name.js';

// RFC 1035 §3.2.2, RFC 3596 §2.1 (AAAA), RFC 2782 (SRV), RFC 3403 §4.1 (NAPTR), RFC 6891 §6.1.1
// (OPT), RFC 6698 §7.1 (TLSA), RFC 1035 §3.2.3 (ANY), RFC 8659 §7.1 (CAA): TYPE values.
export const DNS_TYPES = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, NAPTR: 35, OPT: 41,
  TLSA: 52, ANY: 255, CAA: 257,
} as const;
export type DnsTypeName = keyof typeof DNS_TYPES;
export const DNS_TYPE_A = DNS_TYPES.A;
export const DNS_TYPE_NS = DNS_TYPES.NS;
export const DNS_TYPE_CNAME = DNS_TYPES.CNAME;
export const DNS_TYPE_SOA = DNS_TYPES.SOA;
export const DNS_TYPE_PTR = DNS_TYPES.PTR;
export const DNS_TYPE_MX = DNS_TYPES.MX;
export const DNS_TYPE_TXT = DNS_TYPES.TXT;
export const DNS_TYPE_AAAA = DNS_TYPES.AAAA;
export const DNS_TYPE_SRV = DNS_TYPES.SRV;
export const DNS_TYPE_NAPTR = DNS_TYPES.NAPTR;
export const DNS_TYPE_OPT = DNS_TYPES.OPT;
export const DNS_TYPE_TLSA = DNS_TYPES.TLSA;
export const DNS_TYPE_ANY = DNS_TYPES.ANY;
export const DNS_TYPE_CAA = DNS_TYPES.CAA;

const typeNames = new Map<number, DnsTypeName>(Object.entries(DNS_TYPES).map(([k, v]) => [v, k as DnsTypeName]));
/** 'MX' for 15; undefined for a type this codec does not name. */
export function dnsTypeName(type: number): DnsTypeName | undefined {
  return typeNames.get(type);
}

// RFC 1035 §3.2.4: the Internet class.
export const DNS_CLASS_IN = 1;
// RFC 1035 §4.1.1: RCODE values.
export const DNS_RCODE_NOERROR = 0;
export const DNS_RCODE_FORMERR = 1;
export const DNS_RCODE_SERVFAIL = 2;
export const DNS_RCODE_NXDOMAIN = 3;
export const DNS_RCODE_NOTIMP = 4;
export const DNS_RCODE_REFUSED = 5;
// RFC 1035 §4.1.1: OPCODE 0 is a standard query.
export const DNS_OPCODE_QUERY = 0;
// RFC 1035 §4.2.1: messages carried by UDP are restricted to 512 octets (without EDNS(0)).
export const DNS_UDP_MAX = 512;

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
  /** The record data of a known type, decoded (class IN; names in it decompressed). */
  rdata?: DnsRdata;
  /** For A and AAAA records: the address. */
  address?: string;
}

/** EDNS(0) (RFC 6891 §6.1.3): what the OPT pseudo-record says. */
export interface DnsEdns {
  /** The sender's UDP payload size (RFC 6891 §6.2.3). */
  udpSize: number;
  /** The upper 8 bits of the 12-bit RCODE. */
  extendedRcode: number;
  version: number;
  /** DNSSEC OK (RFC 3225). */
  do: boolean;
  /** Options as [code, data] pairs. */
  options: Array<[number, Uint8Array]>;
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
  /** The additional section without the OPT pseudo-record (that is `edns`). */
  additionals: DnsRecord[];
  edns?: DnsEdns;
}

/** A record to encode: `rdata` (a known type), `address` (A/AAAA) or raw `data` with `type`. */
export type DnsRecordInput =
  | { name: string; class?: number; ttl: number; rdata: DnsRdata; type?: number }
  | { name: string; type: number; class?: number; ttl: number; address?: string; data?: Uint8Array; rdata?: undefined };

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
  edns?: Partial<DnsEdns>;
}

// RFC 1035 §4.1.1: the fixed header is 12 octets.
const HEADER = 12;
function typeOf(r: DnsRecordInput): number {
  if (r.rdata !== undefined) return DNS_TYPES[r.rdata.type];
  return r.type;
}

function writeRecord(w: DnsWriter, r: DnsRecordInput): void {
  const type = typeOf(r);
  w.name(r.name, true);
  w.u16(type);
  w.u16(r.class ?? DNS_CLASS_IN);
  w.u32(r.ttl >>> 0);
  const lenAt = w.len;
  w.u16(0);
  if (r.rdata !== undefined) encodeRdata(w, r.rdata);
  else if (r.data !== undefined) w.bytes(r.data);
  else if (r.address !== undefined && type === DNS_TYPE_A && parseIPv4(r.address)) w.bytes(parseIPv4(r.address)!);
  else if (r.address !== undefined && type === DNS_TYPE_AAAA && parseIPv6(r.address)) w.bytes(parseIPv6(r.address)!);
  else throw new RangeError(`DNS record of type ${type} needs rdata, data or a valid address`);
  w.set16(lenAt, w.len - lenAt - 2);
}

function writeOpt(w: DnsWriter, e: Partial<DnsEdns>): void {
  // RFC 6891 §6.1.2-3: root owner, CLASS = UDP payload size, TTL = extended RCODE, version, DO.
  w.u8(0);
  w.u16(DNS_TYPE_OPT);
  w.u16(Math.max(DNS_UDP_MAX, e.udpSize ?? DNS_UDP_MAX));
  w.u8(e.extendedRcode ?? 0);
  w.u8(e.version ?? 0);
  w.u16(e.do ? 0x8000 : 0);
  const lenAt = w.len;
  w.u16(0);
  for (const [code, data] of e.options ?? []) { w.u16(code); w.u16(data.length); w.bytes(data); }
  w.set16(lenAt, w.len - lenAt - 2);
}

export interface EncodeOptions {
  /**
   * The most octets the message may take (a UDP response: 512, or the client's EDNS(0) size).
   * When the answer or authority records do not all fit, the message goes out with the TC bit
   * and the question only (RFC 1035 §4.1.1, RFC 2181 §9); additional records that do not fit
   * are left out without TC.
   */
  maxSize?: number;
}

/** Encodes a message (RFC 1035 §4.1) with name compression. Throws on unencodable input (a programming error). */
export function encodeDnsMessage(m: DnsMessageInput, opts: EncodeOptions = {}): Uint8Array {
  const max = opts.maxSize ?? Infinity;
  const w = new DnsWriter();
  const questions = m.questions ?? [];
  const answers = m.answers ?? [];
  const authorities = m.authorities ?? [];
  const additionals = m.additionals ?? [];
  const header = (tc: boolean, an: number, ns: number, ar: number): void => {
    w.truncate(0);
    w.u16(m.id & 0xffff);
    // RFC 1035 §4.1.1: QR(1) OPCODE(4) AA TC RD RA Z(3) RCODE(4).
    w.u16((m.qr ? 0x8000 : 0) | (((m.opcode ?? 0) & 0xf) << 11) | (m.aa ? 0x400 : 0) | (tc ? 0x200 : 0) |
      (m.rd ? 0x100 : 0) | (m.ra ? 0x80 : 0) | ((m.rcode ?? 0) & 0xf));
    w.u16(questions.length); w.u16(an); w.u16(ns); w.u16(ar);
    for (const q of questions) { w.name(q.name, true); w.u16(q.type); w.u16(q.class); }
  };
  const edns = m.edns !== undefined ? 1 : 0;
  header(m.tc ?? false, answers.length, authorities.length, additionals.length + edns);
  for (const r of answers) writeRecord(w, r);
  for (const r of authorities) writeRecord(w, r);
  if (w.len > max) {
    header(true, 0, 0, edns);
    if (m.edns) writeOpt(w, m.edns);
    return w.finish();
  }
  // Additional records that do not fit are dropped (RFC 2181 §9: no TC for those); OPT stays.
  let fitted = 0;
  const optRoom = m.edns ? 11 + (m.edns.options ?? []).reduce((n, [, d]) => n + 4 + d.length, 0) : 0;
  for (const r of additionals) {
    const at = w.len;
    writeRecord(w, r);
    if (w.len + optRoom > max) { w.truncate(at); break; }
    fitted++;
  }
  if (m.edns) writeOpt(w, m.edns);
  if (fitted !== additionals.length) w.set16(10, fitted + edns);
  return w.finish();
}

/** A recursion-desired query for one name and type (RFC 1035 §4.1), as c-ares sends it (no EDNS). */
export function encodeDnsQuery(id: number, name: string, type: number): Uint8Array {
  return encodeDnsMessage({ id, rd: true, questions: [{ name, type, class: DNS_CLASS_IN }] });
}

function readRecord(b: Uint8Array, dv: DataView, off: number): { rr: DnsRecord; end: number } | WireError {
  const n = readDnsName(b, off);
  if (n instanceof WireError) return n;
  let p = n.end;
  if (p + 10 > b.length) return new WireError('dns: truncated resource record');
  const type = dv.getUint16(p);
  const cls = dv.getUint16(p + 2);
  const ttl = dv.getUint32(p + 4);
  const rdlen = dv.getUint16(p + 8);
  p += 10;
  if (p + rdlen > b.length) return new WireError('dns: RDATA runs past the message');
  const data = b.subarray(p, p + rdlen);
  const rr: DnsRecord = { name: n.name, type, class: cls, ttl, data };
  if (cls === DNS_CLASS_IN) {
    const rdata = decodeRdata(b, dv, p, rdlen, type);
    if (rdata instanceof WireError) return rdata;
    if (rdata !== undefined) {
      rr.rdata = rdata;
      if (rdata.type === 'A' || rdata.type === 'AAAA') rr.address = rdata.address;
    }
  }
  return { rr, end: p + rdlen };
}

function readOpt(rr: DnsRecord): DnsEdns | WireError {
  const options: Array<[number, Uint8Array]> = [];
  const d = rr.data;
  // RFC 6891 §6.1.2: OPTION-CODE, OPTION-LENGTH, OPTION-DATA, repeated.
  for (let p = 0; p < d.length;) {
    if (p + 4 > d.length) return new WireError('dns: truncated EDNS option');
    const code = (d[p]! << 8) | d[p + 1]!;
    const len = (d[p + 2]! << 8) | d[p + 3]!;
    if (p + 4 + len > d.length) return new WireError('dns: EDNS option runs past the OPT record');
    options.push([code, d.subarray(p + 4, p + 4 + len)]);
    p += 4 + len;
  }
  return { udpSize: rr.class, extendedRcode: rr.ttl >>> 24, version: (rr.ttl >>> 16) & 0xff, do: (rr.ttl & 0x8000) !== 0, options };
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
    const n = readDnsName(b, p);
    if (n instanceof WireError) return n;
    if (n.end + 4 > b.length) return new WireError('dns: truncated question');
    m.questions.push({ name: n.name, type: dv.getUint16(n.end), class: dv.getUint16(n.end + 2) });
    p = n.end + 4;
  }
  const lists = [m.answers, m.authorities, m.additionals];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const r = readRecord(b, dv, p);
      if (r instanceof WireError) return r;
      p = r.end;
      // RFC 6891 §6.1.1: the OPT pseudo-record lives in the additional section, once.
      if (r.rr.type === DNS_TYPE_OPT && s === 2) {
        if (m.edns !== undefined || r.rr.name !== '') return new WireError('dns: a second OPT record, or one not owned by the root');
        const e = readOpt(r.rr);
        if (e instanceof WireError) return e;
        m.edns = e;
        continue;
      }
      lists[s]!.push(r.rr);
    }
  }
  return m;
}

/** The 16-bit RCODE of a response with EDNS(0)'s upper bits (RFC 6891 §6.1.3). */
export function dnsRcode(m: DnsMessage): number {
  return m.rcode | ((m.edns?.extendedRcode ?? 0) << 4);
}

/** A message framed for TCP: a two-octet length first (RFC 1035 §4.2.2). */
export function frameDnsTcp(msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(msg.length + 2);
  out[0] = msg.length >>> 8;
  out[1] = msg.length & 0xff;
  out.set(msg, 2);
  return out;
}

/** Cuts a TCP byte stream into DNS messages (RFC 1035 §4.2.2): push chunks, get whole messages. */
export class DnsTcpReader {
  private pending: Uint8Array = new Uint8Array(0);

  /** The messages completed by this chunk (each a copy, independent of the input). */
  push(chunk: Uint8Array): Uint8Array[] {
    let b: Uint8Array;
    if (this.pending.length === 0) b = chunk;
    else { b = new Uint8Array(this.pending.length + chunk.length); b.set(this.pending); b.set(chunk, this.pending.length); }
    const out: Uint8Array[] = [];
    let p = 0;
    while (p + 2 <= b.length) {
      const len = (b[p]! << 8) | b[p + 1]!;
      if (p + 2 + len > b.length) break;
      out.push(copyBytes(b, p + 2, p + 2 + len));
      p += 2 + len;
    }
    this.pending = copyBytes(b, p);
    return out;
  }

  /** Octets of an incomplete message still waiting. */
  get buffered(): number { return this.pending.length; }
}

/** The name a PTR query asks for an address (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa); null for a non-address. */
export function reverseName(address: string): string | null {
  const v4 = parseIPv4(address);
  if (v4) return `${v4[3]}.${v4[2]}.${v4[1]}.${v4[0]}.in-addr.arpa`;
  const v6 = parseIPv6(address);
  if (!v6) return null;
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) nibbles.push((v6[i]! & 0xf).toString(16), (v6[i]! >>> 4).toString(16));
  return `${nibbles.join('.')}.ip6.arpa`;
}

/** The address a reverse name stands for ('4.3.2.1.in-addr.arpa' → '1.2.3.4'), or null. */
export function addressOfReverseName(name: string): string | null {
  const n = dnsNameKey(name);
  let m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(n);
  if (m) {
    const b = [m[4], m[3], m[2], m[1]].map(Number);
    if (b.some((x) => x > 255)) return null;
    return formatIPv4(Uint8Array.from(b));
  }
  m = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(n);
  if (!m) return null;
  const nib = m[1]!.split('.').filter(Boolean).reverse();
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = (parseInt(nib[2 * i]!, 16) << 4) | parseInt(nib[2 * i + 1]!, 16);
  return formatIPv6(b);
}
