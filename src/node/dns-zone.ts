// An authoritative zone and how it answers a question (RFC 1034 §4.3.2, RFC 2308), kept apart
// from the sockets that carry questions and answers (src/node/dns-server.ts):
//
// - The zone is rooted at '.', so every name is in it: a name with no records and nothing below
//   it is NXDOMAIN; a name that exists without records of the type asked (or has only names
//   below it) is NODATA (NOERROR, no answer). Both carry the closest enclosing SOA in the
//   authority section, its TTL lowered to the SOA's minimum (RFC 2308 §3, §5).
// - A CNAME answers for its name (any type but CNAME asked): it goes in the answer section and
//   the question goes on at its target, up to 8 links (RFC 1034 §3.6.2, §4.3.2 step 3a); the
//   RCODE is the last name's (RFC 6604 §2).
// - ANY answers every record of the name (RFC 1035 §3.2.3; not RFC 8482's minimal answer:
//   Node's resolveAny expects them all).
// - The additional section carries the addresses of MX exchanges, SRV targets and NS names the
//   zone knows (RFC 1035 §3.3.9, §3.3.11, RFC 2782).
// - Other classes than IN are REFUSED, opcodes other than QUERY NOTIMP, zone transfers and
//   other meta-queries (AXFR, IXFR, MAILA, MAILB) NOTIMP, a message that is not exactly one
//   question FORMERR (RFC 1035 §4.1.1).
import {
  DNS_CLASS_IN, DNS_OPCODE_QUERY, DNS_RCODE_FORMERR, DNS_RCODE_NOERROR, DNS_RCODE_NOTIMP, DNS_RCODE_NXDOMAIN,
  DNS_RCODE_REFUSED, DNS_TYPES, dnsNameKey, type DnsMessage, type DnsRdata, type DnsRecordInput,
} from '../wire/dns.js';

/** One record of the zone. */
export interface ZoneRecord {
  name: string;
  ttl: number;
  rdata: DnsRdata;
}

/** What the zone says to a query: the parts of a response. */
export interface ZoneAnswer {
  rcode: number;
  aa: boolean;
  answers: DnsRecordInput[];
  authorities: DnsRecordInput[];
  additionals: DnsRecordInput[];
}

// RFC 1035 §3.2.3: QTYPEs 251-254 (IXFR, AXFR, MAILB, MAILA) are not record types.
const META_QTYPES = new Set([251, 252, 253, 254]);
const MAX_CHAIN = 8;

export class Zone {
  /** Records by owner name (dnsNameKey). */
  private readonly byName = new Map<string, ZoneRecord[]>();
  /** Bumped by every change (the default SOA's serial). */
  serial = 1;

  /**
   * @param dynamic records that come and go with the network (its hosts' addresses and their
   *   PTR names, the root's SOA and NS), read at each question
   */
  constructor(private readonly dynamic: () => ZoneRecord[]) {}

  add(r: ZoneRecord): void {
    const key = dnsNameKey(r.name);
    let list = this.byName.get(key);
    if (list === undefined) { list = []; this.byName.set(key, list); }
    list.push(r);
    this.serial++;
  }

  /** Removes the records of `name` (of one type, and matching `match`); returns how many. */
  remove(name: string, type?: DnsRdata['type'], match?: (r: ZoneRecord) => boolean): number {
    const key = dnsNameKey(name);
    const list = this.byName.get(key);
    if (list === undefined) return 0;
    const keep = list.filter((r) => (type !== undefined && r.rdata.type !== type) || (match !== undefined && !match(r)));
    const removed = list.length - keep.length;
    if (keep.length === 0) this.byName.delete(key); else this.byName.set(key, keep);
    if (removed > 0) this.serial++;
    return removed;
  }

  /** The records the test added (not the network's own), at one name or all. */
  added(name?: string): ZoneRecord[] {
    if (name !== undefined) return [...(this.byName.get(dnsNameKey(name)) ?? [])];
    return [...this.byName.values()].flat();
  }

  /** Every record at a name now, added and dynamic. */
  recordsAt(name: string): ZoneRecord[] {
    return this.snapshot().get(dnsNameKey(name)) ?? [];
  }

  private snapshot(): Map<string, ZoneRecord[]> {
    const all = new Map<string, ZoneRecord[]>();
    for (const [k, v] of this.byName) all.set(k, [...v]);
    for (const r of this.dynamic()) {
      const k = dnsNameKey(r.name);
      const list = all.get(k);
      if (list === undefined) all.set(k, [r]); else list.push(r);
    }
    return all;
  }

  /** The answer to a query message (its header checked, its one question answered). */
  answer(q: DnsMessage): ZoneAnswer {
    const out: ZoneAnswer = { rcode: DNS_RCODE_NOERROR, aa: true, answers: [], authorities: [], additionals: [] };
    if (q.opcode !== DNS_OPCODE_QUERY) return { ...out, aa: false, rcode: DNS_RCODE_NOTIMP };
    if (q.questions.length !== 1) return { ...out, aa: false, rcode: DNS_RCODE_FORMERR };
    const question = q.questions[0]!;
    if (question.class !== DNS_CLASS_IN && question.class !== 255) return { ...out, aa: false, rcode: DNS_RCODE_REFUSED };
    if (META_QTYPES.has(question.type)) return { ...out, aa: false, rcode: DNS_RCODE_NOTIMP };

    const zone = this.snapshot();
    const exists = (key: string): boolean => {
      if (zone.has(key)) return true;
      // An empty non-terminal: a name with names below it (RFC 8020 §2, RFC 4592 §2.2.2).
      const suffix = `.${key}`;
      for (const k of zone.keys()) if (k.endsWith(suffix)) return true;
      return key === '';
    };
    let name = question.name;
    const seen = new Set<string>();
    for (let link = 0; link <= MAX_CHAIN; link++) {
      const key = dnsNameKey(name);
      if (seen.has(key)) break;
      seen.add(key);
      const here = zone.get(key) ?? [];
      const cname = here.find((r) => r.rdata.type === 'CNAME');
      if (cname !== undefined && question.type !== DNS_TYPES.CNAME && question.type !== DNS_TYPES.ANY) {
        out.answers.push(toInput(cname, name));
        name = (cname.rdata as { value: string }).value;
        continue;
      }
      const match = question.type === DNS_TYPES.ANY ? here : here.filter((r) => DNS_TYPES[r.rdata.type] === question.type);
      if (match.length > 0) {
        for (const r of match) out.answers.push(toInput(r, name));
        this.additional(zone, match, out);
        return out;
      }
      if (!exists(key)) out.rcode = DNS_RCODE_NXDOMAIN;
      const soa = negativeSoa(zone, key);
      if (soa !== null) out.authorities.push(soa);
      return out;
    }
    // A chain longer than we follow (or a loop): what we have, as a server that stops would.
    return out;
  }

  /** RFC 1035 §3.3.9 / §3.3.11, RFC 2782: addresses of the names an answer points at. */
  private additional(zone: Map<string, ZoneRecord[]>, records: ZoneRecord[], out: ZoneAnswer): void {
    const targets: string[] = [];
    for (const r of records) {
      if (r.rdata.type === 'MX') targets.push(r.rdata.exchange);
      else if (r.rdata.type === 'SRV') targets.push(r.rdata.name);
      else if (r.rdata.type === 'NS') targets.push(r.rdata.value);
    }
    const done = new Set<string>();
    for (const t of targets) {
      const key = dnsNameKey(t);
      if (done.has(key)) continue;
      done.add(key);
      for (const r of zone.get(key) ?? []) if (r.rdata.type === 'A' || r.rdata.type === 'AAAA') out.additionals.push(toInput(r, t));
    }
  }
}

/** RFC 2308 §3: the SOA of the closest enclosing zone, TTL min(SOA TTL, SOA MINIMUM). */
function negativeSoa(zone: Map<string, ZoneRecord[]>, key: string): DnsRecordInput | null {
  for (let k: string | null = key; k !== null; k = k === '' ? null : k.includes('.') ? k.slice(k.indexOf('.') + 1) : '') {
    const soa = zone.get(k)?.find((r) => r.rdata.type === 'SOA');
    if (soa !== undefined) return { name: soa.name, ttl: Math.min(soa.ttl, (soa.rdata as { minttl: number }).minttl), rdata: soa.rdata };
  }
  return null;
}

function toInput(r: ZoneRecord, name: string): DnsRecordInput {
  return { name, ttl: r.ttl, rdata: r.rdata };
}
