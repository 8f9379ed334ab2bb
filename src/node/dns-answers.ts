// A DNS answer as Node's resolve*() hands it over: what c-ares's reply parsers and Node's
// cares_wrap make of a response, type by type, with the same errors:
//
// - RCODE and answer count first (c-ares ares_dns_query_reply_tostatus): NOERROR with no answer
//   records is ENODATA, FORMERR EFORMERR, SERVFAIL ESERVFAIL, NXDOMAIN ENOTFOUND, NOTIMP ENOTIMP,
//   REFUSED EREFUSED.
// - A / AAAA / CNAME follow the CNAME chain from the question (RFC 1034 §3.6.2); an address's TTL
//   is the lowest of its own and the chain's; resolveCname answers the chain's last name.
// - PTR keeps the PTR records of the question's name (through CNAMEs); NS, MX, TXT, SRV, NAPTR,
//   CAA, TLSA every record of the type; SOA the first (none: EBADRESP). A type with no record in
//   a non-empty answer is ENODATA.
// - ANY lists A (or the CNAME instead), AAAA, MX, NS, TXT, SRV, PTR, NAPTR, SOA, TLSA, CAA, in
//   that order, each tagged with `type`; only A and AAAA carry a TTL.
import { DNS_CLASS_IN, DNS_RCODE_FORMERR, DNS_RCODE_NOERROR, DNS_RCODE_NOTIMP, DNS_RCODE_NXDOMAIN, DNS_RCODE_REFUSED,
  DNS_RCODE_SERVFAIL, dnsNameKey, type DnsMessage, type DnsRdata, type DnsRecord } from '../wire/dns.js';

/** Node's resolve types (resolveMap's keys). */
export type RrType = 'A' | 'AAAA' | 'ANY' | 'CAA' | 'CNAME' | 'MX' | 'NAPTR' | 'NS' | 'PTR' | 'SOA' | 'SRV' | 'TLSA' | 'TXT';

export type Parsed = { error: string } | { records: unknown };

type Of<T extends DnsRdata['type']> = Extract<DnsRdata, { type: T }>;

// Node 24 and later tag MX, SRV and CAA records with their `type` outside resolveAny too (a CAA
// record's tag then comes after it); Node 20 and 22 do not.
const TAGGED = Number(process.versions.node.split('.')[0]) >= 24;

/** The status c-ares gives a well-formed reply before any parsing. */
export function replyStatus(m: DnsMessage): string | null {
  switch (m.rcode) {
    case DNS_RCODE_NOERROR: return m.answers.length > 0 ? null : 'ENODATA';
    case DNS_RCODE_FORMERR: return 'EFORMERR';
    case DNS_RCODE_SERVFAIL: return 'ESERVFAIL';
    case DNS_RCODE_NXDOMAIN: return 'ENOTFOUND';
    case DNS_RCODE_NOTIMP: return 'ENOTIMP';
    case DNS_RCODE_REFUSED: return 'EREFUSED';
    default: return null;
  }
}

function ofType<T extends DnsRdata['type']>(answers: DnsRecord[], type: T): Array<{ rr: DnsRecord; d: Of<T> }> {
  const out: Array<{ rr: DnsRecord; d: Of<T> }> = [];
  for (const rr of answers) if (rr.class === DNS_CLASS_IN && rr.rdata?.type === type) out.push({ rr, d: rr.rdata as Of<T> });
  return out;
}

interface AddrInfo { name: string; cname: boolean; addrs: Array<{ address: string; ttl: number; family: 4 | 6 }>; cnameTtl: number }

/** c-ares ares_parse_into_addrinfo(): the chain from the question's name, and the addresses. */
function addrInfo(m: DnsMessage): AddrInfo | null {
  let name = m.questions[0]?.name ?? '';
  let cname = false;
  let cnameTtl = Infinity;
  const addrs: AddrInfo['addrs'] = [];
  for (const rr of m.answers) {
    if (rr.class !== DNS_CLASS_IN || rr.rdata === undefined) continue;
    const d = rr.rdata;
    if (d.type === 'CNAME') {
      name = d.value;
      cname = true;
      cnameTtl = Math.min(cnameTtl, rr.ttl);
    } else if (d.type === 'A' || d.type === 'AAAA') {
      addrs.push({ address: d.address, ttl: rr.ttl, family: d.type === 'A' ? 4 : 6 });
    }
  }
  if (!cname && addrs.length === 0) return null;
  return { name, cname, addrs, cnameTtl };
}

function addresses(m: DnsMessage, family: 4 | 6, withTtl: boolean): Parsed {
  const ai = addrInfo(m);
  if (ai === null) return { error: 'ENODATA' };
  const list = ai.addrs.filter((a) => a.family === family);
  if (list.length === 0) return { error: 'ENODATA' };
  return { records: list.map((a) => (withTtl ? { address: a.address, ttl: Math.min(a.ttl, ai.cnameTtl) } : a.address)) };
}

function ptrNames(m: DnsMessage): string[] {
  let name = dnsNameKey(m.questions[0]?.name ?? '');
  const out: string[] = [];
  for (const rr of m.answers) {
    if (rr.class !== DNS_CLASS_IN || rr.rdata === undefined || dnsNameKey(rr.name) !== name) continue;
    if (rr.rdata.type === 'CNAME') name = dnsNameKey(rr.rdata.value);
    else if (rr.rdata.type === 'PTR') out.push(rr.rdata.value);
  }
  return out;
}

const shapes = {
  MX: (d: Of<'MX'>) => (TAGGED ? { exchange: d.exchange, priority: d.priority, type: 'MX' } : { exchange: d.exchange, priority: d.priority }),
  TXT: (d: Of<'TXT'>) => [...d.entries],
  SRV: (d: Of<'SRV'>) => (TAGGED ? { name: d.name, port: d.port, priority: d.priority, weight: d.weight, type: 'SRV' } : { name: d.name, port: d.port, priority: d.priority, weight: d.weight }),
  NAPTR: (d: Of<'NAPTR'>) => ({ flags: d.flags, service: d.service, regexp: d.regexp, replacement: d.replacement, order: d.order, preference: d.preference }),
  SOA: (d: Of<'SOA'>) => ({ nsname: d.nsname, hostmaster: d.hostmaster, serial: d.serial, refresh: d.refresh, retry: d.retry, expire: d.expire, minttl: d.minttl }),
  CAA: (d: Of<'CAA'>) => (TAGGED ? { critical: d.critical, type: 'CAA', [d.tag]: d.value } : { critical: d.critical, [d.tag]: d.value }),
  TLSA: (d: Of<'TLSA'>) => ({ certUsage: d.certUsage, selector: d.selector, match: d.match, data: new Uint8Array(d.data).buffer }),
};

function list<T extends 'MX' | 'TXT' | 'SRV' | 'NAPTR' | 'CAA'>(m: DnsMessage, type: T): Parsed {
  const found = ofType(m.answers, type);
  if (found.length === 0) return { error: 'ENODATA' };
  return { records: found.map(({ d }) => (shapes[type] as (x: Of<T>) => unknown)(d)) };
}

/** Node's records for a reply to a `type` query (the reply's RCODE already checked). */
export function parseAnswer(type: RrType, m: DnsMessage, withTtl: boolean): Parsed {
  switch (type) {
    case 'A': return addresses(m, 4, withTtl);
    case 'AAAA': return addresses(m, 6, withTtl);
    case 'CNAME': {
      const ai = addrInfo(m);
      return ai === null ? { error: 'ENODATA' } : { records: [ai.name] };
    }
    case 'NS': {
      const ns = ofType(m.answers, 'NS');
      return ns.length === 0 ? { error: 'ENODATA' } : { records: ns.map(({ d }) => d.value) };
    }
    case 'PTR': {
      const names = ptrNames(m);
      return names.length === 0 ? { error: 'ENODATA' } : { records: names };
    }
    case 'SOA': {
      const soa = ofType(m.answers, 'SOA')[0];
      return soa === undefined ? { error: 'EBADRESP' } : { records: shapes.SOA(soa.d) };
    }
    case 'TLSA':
      return { records: ofType(m.answers, 'TLSA').filter(({ d }) => d.data.length > 0).map(({ d }) => shapes.TLSA(d)) };
    case 'MX': case 'TXT': case 'SRV': case 'NAPTR': case 'CAA':
      return list(m, type);
    case 'ANY':
      return { records: anyRecords(m) };
  }
}

/** Node's AnyTraits::Parse(): every type it knows, grouped in its order. */
function anyRecords(m: DnsMessage): unknown[] {
  const out: unknown[] = [];
  const ai = addrInfo(m);
  if (ai !== null && ai.cname) out.push({ value: ai.name, type: 'CNAME' });
  else if (ai !== null) for (const a of ai.addrs) if (a.family === 4) out.push({ address: a.address, ttl: a.ttl, type: 'A' });
  if (ai !== null) for (const a of ai.addrs) if (a.family === 6) out.push({ address: a.address, ttl: Math.min(a.ttl, ai.cnameTtl), type: 'AAAA' });
  for (const { d } of ofType(m.answers, 'MX')) out.push({ ...shapes.MX(d), type: 'MX' });
  for (const { d } of ofType(m.answers, 'NS')) out.push({ value: d.value, type: 'NS' });
  for (const { d } of ofType(m.answers, 'TXT')) out.push({ entries: [...d.entries], type: 'TXT' });
  for (const { d } of ofType(m.answers, 'SRV')) out.push({ ...shapes.SRV(d), type: 'SRV' });
  for (const name of ptrNames(m)) out.push({ value: name, type: 'PTR' });
  for (const { d } of ofType(m.answers, 'NAPTR')) out.push({ ...shapes.NAPTR(d), type: 'NAPTR' });
  const soa = ofType(m.answers, 'SOA')[0];
  if (soa !== undefined) out.push({ ...shapes.SOA(soa.d), type: 'SOA' });
  for (const { d } of ofType(m.answers, 'TLSA')) if (d.data.length > 0) out.push(shapes.TLSA(d));
  for (const { d } of ofType(m.answers, 'CAA')) out.push({ ...shapes.CAA(d), type: 'CAA' });
  return out;
}
