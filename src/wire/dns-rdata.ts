// DNS record data (RDATA) of the types Node resolves, decoded to the shapes Node gives them and
// encoded back: A (RFC 1035 §3.4.1), AAAA (RFC 3596 §2.2), NS, CNAME, PTR, MX, SOA, TXT (RFC 1035
// §3.3), SRV (RFC 2782), NAPTR (RFC 3403 §4.1), CAA (RFC 8659 §4.1), TLSA (RFC 6698 §2.1).
// Text (TXT strings, NAPTR fields, CAA tags and values) is one octet per character (latin1), as
// Node's OneByteString reads it. Decoding never throws: data that does not parse is a WireError.
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './addr.js';
import { WireError } from './error.js';
import { readDnsName, type DnsWriter } from './dns-name.js';

export type DnsRdata =
  | { type: 'A'; address: string }
  | { type: 'AAAA'; address: string }
  | { type: 'NS'; value: string }
  | { type: 'CNAME'; value: string }
  | { type: 'PTR'; value: string }
  | { type: 'MX'; priority: number; exchange: string }
  | { type: 'TXT'; entries: string[] }
  | { type: 'SRV'; priority: number; weight: number; port: number; name: string }
  | { type: 'SOA'; nsname: string; hostmaster: string; serial: number; refresh: number; retry: number; expire: number; minttl: number }
  | { type: 'NAPTR'; order: number; preference: number; flags: string; service: string; regexp: string; replacement: string }
  | { type: 'CAA'; critical: number; tag: string; value: string }
  | { type: 'TLSA'; certUsage: number; selector: number; match: number; data: Uint8Array };

/** Reads a <character-string> (RFC 1035 §3.3): a length octet and that many octets. */
function readString(b: Uint8Array, p: number, end: number): { s: string; end: number } | WireError {
  if (p >= end) return new WireError('dns: character-string missing');
  const len = b[p]!;
  if (p + 1 + len > end) return new WireError('dns: character-string runs past RDATA');
  return { s: Buffer.from(b.buffer, b.byteOffset + p + 1, len).toString('latin1'), end: p + 1 + len };
}

/**
 * The record data at b[off, off + len) of `type` (class IN), decoded; undefined for a type not
 * listed above (its raw RDATA is all there is). Names may point back into the whole message.
 */
export function decodeRdata(b: Uint8Array, dv: DataView, off: number, len: number, type: number): DnsRdata | WireError | undefined {
  const end = off + len;
  const name = (p: number): { name: string; end: number } | WireError => readDnsName(b, p, end);
  switch (type) {
    case 1: // A
      if (len !== 4) return new WireError('dns: A record RDATA is not 4 octets');
      return { type: 'A', address: formatIPv4(b, off) };
    case 28: // AAAA
      if (len !== 16) return new WireError('dns: AAAA record RDATA is not 16 octets');
      return { type: 'AAAA', address: formatIPv6(b.subarray(off, end)) };
    case 2: case 5: case 12: { // NS, CNAME, PTR
      const n = name(off);
      if (n instanceof WireError) return n;
      return { type: type === 2 ? 'NS' : type === 5 ? 'CNAME' : 'PTR', value: n.name };
    }
    case 15: { // MX
      if (len < 3) return new WireError('dns: MX RDATA too short');
      const n = name(off + 2);
      if (n instanceof WireError) return n;
      return { type: 'MX', priority: dv.getUint16(off), exchange: n.name };
    }
    case 16: { // TXT: one or more character-strings
      const entries: string[] = [];
      for (let p = off; p < end;) {
        const s = readString(b, p, end);
        if (s instanceof WireError) return s;
        entries.push(s.s);
        p = s.end;
      }
      return { type: 'TXT', entries };
    }
    case 33: { // SRV
      if (len < 7) return new WireError('dns: SRV RDATA too short');
      const n = name(off + 6);
      if (n instanceof WireError) return n;
      return { type: 'SRV', priority: dv.getUint16(off), weight: dv.getUint16(off + 2), port: dv.getUint16(off + 4), name: n.name };
    }
    case 6: { // SOA
      const m = name(off);
      if (m instanceof WireError) return m;
      const r = name(m.end);
      if (r instanceof WireError) return r;
      if (r.end + 20 > end) return new WireError('dns: SOA RDATA too short');
      const p = r.end;
      return {
        type: 'SOA', nsname: m.name, hostmaster: r.name, serial: dv.getUint32(p), refresh: dv.getUint32(p + 4),
        retry: dv.getUint32(p + 8), expire: dv.getUint32(p + 12), minttl: dv.getUint32(p + 16),
      };
    }
    case 35: { // NAPTR
      if (len < 7) return new WireError('dns: NAPTR RDATA too short');
      const flags = readString(b, off + 4, end);
      if (flags instanceof WireError) return flags;
      const service = readString(b, flags.end, end);
      if (service instanceof WireError) return service;
      const regexp = readString(b, service.end, end);
      if (regexp instanceof WireError) return regexp;
      const repl = name(regexp.end);
      if (repl instanceof WireError) return repl;
      return {
        type: 'NAPTR', order: dv.getUint16(off), preference: dv.getUint16(off + 2), flags: flags.s, service: service.s,
        regexp: regexp.s, replacement: repl.name,
      };
    }
    case 257: { // CAA: flags, tag length, tag, value
      if (len < 2) return new WireError('dns: CAA RDATA too short');
      const tagLen = b[off + 1]!;
      if (tagLen === 0 || off + 2 + tagLen > end) return new WireError('dns: CAA tag missing or too long');
      return {
        type: 'CAA', critical: b[off]!,
        tag: Buffer.from(b.buffer, b.byteOffset + off + 2, tagLen).toString('latin1'),
        value: Buffer.from(b.buffer, b.byteOffset + off + 2 + tagLen, len - 2 - tagLen).toString('latin1'),
      };
    }
    case 52: // TLSA
      if (len < 3) return new WireError('dns: TLSA RDATA too short');
      return { type: 'TLSA', certUsage: b[off]!, selector: b[off + 1]!, match: b[off + 2]!, data: b.subarray(off + 3, end) };
    default:
      return undefined;
  }
}

function writeString(w: DnsWriter, s: string): void {
  const bytes = Buffer.from(s, 'latin1');
  if (bytes.length > 255) throw new RangeError(`DNS character-string longer than 255 octets: ${JSON.stringify(s.slice(0, 20))}...`);
  w.u8(bytes.length);
  w.bytes(bytes);
}

/** Writes record data; names of RFC 1035's types are compressed, SRV's and NAPTR's are not (RFC 3597 §4). */
export function encodeRdata(w: DnsWriter, r: DnsRdata): void {
  switch (r.type) {
    case 'A': {
      const a = parseIPv4(r.address);
      if (!a) throw new RangeError(`not an IPv4 address: ${r.address}`);
      w.bytes(a);
      return;
    }
    case 'AAAA': {
      const a = parseIPv6(r.address);
      if (!a) throw new RangeError(`not an IPv6 address: ${r.address}`);
      w.bytes(a);
      return;
    }
    case 'NS': case 'CNAME': case 'PTR':
      w.name(r.value, true);
      return;
    case 'MX':
      w.u16(r.priority);
      w.name(r.exchange, true);
      return;
    case 'TXT':
      for (const e of r.entries) writeString(w, e);
      return;
    case 'SRV':
      w.u16(r.priority); w.u16(r.weight); w.u16(r.port);
      w.name(r.name, false);
      return;
    case 'SOA':
      w.name(r.nsname, true);
      w.name(r.hostmaster, true);
      w.u32(r.serial); w.u32(r.refresh); w.u32(r.retry); w.u32(r.expire); w.u32(r.minttl);
      return;
    case 'NAPTR':
      w.u16(r.order); w.u16(r.preference);
      writeString(w, r.flags); writeString(w, r.service); writeString(w, r.regexp);
      w.name(r.replacement, false);
      return;
    case 'CAA': {
      const tag = Buffer.from(r.tag, 'latin1');
      if (tag.length === 0 || tag.length > 255) throw new RangeError(`bad CAA tag: ${JSON.stringify(r.tag)}`);
      w.u8(r.critical); w.u8(tag.length); w.bytes(tag);
      w.bytes(Buffer.from(r.value, 'latin1'));
      return;
    }
    case 'TLSA':
      w.u8(r.certUsage); w.u8(r.selector); w.u8(r.match);
      w.bytes(r.data);
      return;
  }
}
