// world.dns: the network's DNS. One zone, authoritative for every name (rooted at '.'): the
// network's hosts with their addresses (A, AAAA, and a PTR name for every address, kept up to
// date as hosts and addresses come and go) plus the records a test adds. Servers for it run on
// hosts of the network, on their own sockets (so partitions, crashes, impairments and captures
// see real DNS traffic), and every host whose resolv.conf was not set by hand lists them:
//
//   const ns = world.dns.serve({ attach: lan, ipv4: '10.0.0.53/24' });   // a host 'ns' of its own
//   world.dns.serve(b);                                                   // or on an existing host
//   world.dns.add('example.test', 'MX', { exchange: 'mail.example.test', priority: 10 });
//   await a.dns.promises.resolveMx('example.test');
//   a.resolvConf = 'nameserver 10.0.0.99\noptions timeout:1\n';         // this host looks elsewhere
//
// A server is a program of its host: it dies with a crash and, like a daemon enabled at boot,
// comes back with restart(). Port 53 of other hosts stays free for their own programs.
import { ipFamily } from '../wire/addr.js';
import { isDnsName, reverseName, type DnsRdata, type DnsTypeName } from '../wire/dns.js';
import { Zone, type ZoneRecord } from '../node/dns-zone.js';
import { DnsServer, type DnsServerOptions, type DnsServerStats } from '../node/dns-server.js';
import { formatResolvConf, type NameServer } from '../node/dns-conf.js';
import { codes } from '../node/errors.js';
import type { Switch } from '../links/switch.js';
import type { Cable } from '../links/cable.js';
import type { Port } from '../links/port.js';
import type { Host } from './host.js';
import type { Network } from './network.js';

const { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE } = codes;

/** The record types world.dns.add() takes. */
export type ZoneRecordType = Exclude<DnsTypeName, 'ANY' | 'OPT'>;

/** The data of a record, per type: an address, a name, strings, or an object shaped as Node returns it. */
export type ZoneRecordData =
  | string
  | string[]
  | { exchange: string; priority: number }
  | { name: string; port: number; priority?: number; weight?: number }
  | { nsname: string; hostmaster: string; serial?: number; refresh?: number; retry?: number; expire?: number; minttl?: number }
  | { order: number; preference: number; flags: string; service: string; regexp: string; replacement: string }
  | { critical?: number; tag?: string; value?: string; issue?: string; issuewild?: string; iodef?: string; [tag: string]: unknown }
  | { certUsage: number; selector: number; match: number; data: ArrayBuffer | Uint8Array };

/** One record as world.dns.records() lists it: Node's resolveAny shape with the owner name and TTL. */
export type ZoneEntry = { name: string; type: ZoneRecordType; ttl: number } & Record<string, unknown>;

/** Where world.dns.serve() puts a host of its own: like world.gateway(). */
export interface DnsHostOptions {
  attach?: Switch | Cable | Port;
  ipv4?: string | readonly string[];
  ipv6?: string | readonly string[];
  /** The host's name (default 'ns'). */
  name?: string;
}

/** A running server of the network's zone. */
export interface NetworkDnsServer {
  readonly host: Host;
  readonly port: number;
  /** The addresses hosts' resolv.conf list for it (IPv4 first, then global IPv6). */
  readonly addresses: string[];
  /** Hold each answer this long (ms): a slow server. */
  delay: number;
  stats(): DnsServerStats;
  /** Stops it: hosts that list it get no answer (ICMP port unreachable, ECONNREFUSED). */
  close(): void;
}

const TYPES: readonly ZoneRecordType[] = ['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SRV', 'TLSA', 'TXT'];

function u32(v: unknown, name: string, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new ERR_INVALID_ARG_VALUE(name, v, 'must be an integer from 0 to 4294967295');
  return v;
}
function u16(v: unknown, name: string, dflt?: number): number {
  const n = u32(v, name, dflt);
  if (n > 0xffff) throw new ERR_INVALID_ARG_VALUE(name, v, 'must be an integer from 0 to 65535');
  return n;
}
function u8(v: unknown, name: string, dflt?: number): number {
  const n = u32(v, name, dflt);
  if (n > 0xff) throw new ERR_INVALID_ARG_VALUE(name, v, 'must be an integer from 0 to 255');
  return n;
}
function dname(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new ERR_INVALID_ARG_TYPE(name, 'string', v);
  if (!isDnsName(v)) throw new ERR_INVALID_ARG_VALUE(name, v, 'is not a DNS name');
  return v.endsWith('.') && v !== '.' ? v.slice(0, -1) : v === '.' ? '' : v;
}
function text(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new ERR_INVALID_ARG_TYPE(name, 'string', v);
  if (Buffer.byteLength(v, 'latin1') > 255) throw new ERR_INVALID_ARG_VALUE(name, v, 'is longer than 255 octets');
  return v;
}
function obj(v: unknown, type: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ERR_INVALID_ARG_TYPE('data', 'Object', v);
  void type;
  return v as Record<string, unknown>;
}

/** The record data of world.dns.add()'s arguments, checked. */
export function rdataOf(type: ZoneRecordType, data: unknown): DnsRdata {
  switch (type) {
    case 'A': case 'AAAA':
      if (typeof data !== 'string') throw new ERR_INVALID_ARG_TYPE('data', 'string', data);
      if (ipFamily(data) !== (type === 'A' ? 4 : 6)) throw new ERR_INVALID_ARG_VALUE('data', data, `is not an IPv${type === 'A' ? 4 : 6} address`);
      return { type, address: data };
    case 'CNAME': case 'NS': case 'PTR':
      return { type, value: dname(data, 'data') };
    case 'TXT': {
      const entries = typeof data === 'string' ? [data] : data;
      if (!Array.isArray(entries)) throw new ERR_INVALID_ARG_TYPE('data', ['string', 'Array'], data);
      return { type, entries: entries.map((e, i) => text(e, `data[${i}]`)) };
    }
    case 'MX': {
      const o = obj(data, type);
      return { type, exchange: dname(o.exchange, 'data.exchange'), priority: u16(o.priority, 'data.priority', 0) };
    }
    case 'SRV': {
      const o = obj(data, type);
      return { type, name: dname(o.name, 'data.name'), port: u16(o.port, 'data.port'), priority: u16(o.priority, 'data.priority', 0), weight: u16(o.weight, 'data.weight', 0) };
    }
    case 'SOA': {
      const o = obj(data, type);
      return {
        type, nsname: dname(o.nsname, 'data.nsname'), hostmaster: dname(o.hostmaster, 'data.hostmaster'), serial: u32(o.serial, 'data.serial', 1),
        refresh: u32(o.refresh, 'data.refresh', 3600), retry: u32(o.retry, 'data.retry', 600), expire: u32(o.expire, 'data.expire', 86400),
        minttl: u32(o.minttl, 'data.minttl', 60),
      };
    }
    case 'NAPTR': {
      const o = obj(data, type);
      return {
        type, order: u16(o.order, 'data.order'), preference: u16(o.preference, 'data.preference'), flags: text(o.flags ?? '', 'data.flags'),
        service: text(o.service ?? '', 'data.service'), regexp: text(o.regexp ?? '', 'data.regexp'), replacement: dname(o.replacement ?? '', 'data.replacement'),
      };
    }
    case 'CAA': {
      const o = obj(data, type);
      let tag = o.tag;
      let value = o.value;
      if (tag === undefined) {
        // Node's shape: { critical, issue: 'ca.example' }.
        const keys = Object.keys(o).filter((k) => k !== 'critical' && k !== 'type');
        if (keys.length !== 1) throw new ERR_INVALID_ARG_VALUE('data', data, "must have one property tag (such as 'issue') besides critical");
        tag = keys[0];
        value = o[keys[0]!];
      }
      const t = text(tag, 'data.tag');
      if (!/^[A-Za-z0-9]{1,15}$/.test(t)) throw new ERR_INVALID_ARG_VALUE('data.tag', tag, 'must be 1-15 letters and digits (RFC 8659 §4.1)');
      if (typeof value !== 'string') throw new ERR_INVALID_ARG_TYPE('data.value', 'string', value);
      return { type, critical: u8(o.critical, 'data.critical', 0), tag: t, value };
    }
    case 'TLSA': {
      const o = obj(data, type);
      const d = o.data;
      if (!(d instanceof ArrayBuffer) && !(d instanceof Uint8Array)) throw new ERR_INVALID_ARG_TYPE('data.data', ['ArrayBuffer', 'Uint8Array'], d);
      return { type, certUsage: u8(o.certUsage, 'data.certUsage'), selector: u8(o.selector, 'data.selector'), match: u8(o.match, 'data.match'), data: new Uint8Array(d.slice(0)) };
    }
  }
}

/** A record's data as Node's resolveAny shows it (without `type`, which the entry has). */
function shapeOf(r: DnsRdata): Record<string, unknown> {
  const { type: _t, ...rest } = r;
  void _t;
  if (r.type === 'CAA') return { critical: r.critical, [r.tag]: r.value };
  if (r.type === 'TLSA') return { certUsage: r.certUsage, selector: r.selector, match: r.match, data: new Uint8Array(r.data).buffer };
  return rest;
}

interface Served {
  server: DnsServer;
  host: Host;
  public: NetworkDnsServer;
}

export class NetworkDns {
  /** TTL of the records (added without one, and the network's own), seconds. */
  ttl = 300;
  private readonly zone: Zone;
  private readonly served: Served[] = [];

  constructor(private readonly network: Network) {
    this.zone = new Zone(() => this.networkRecords());
  }

  /**
   * Adds a record: `add('www', 'CNAME', 'web')`, `add('mail.test', 'MX', { exchange, priority })`,
   * `add('t', 'TXT', ['v=spf1 -all'])`, `add('_sip._udp.t', 'SRV', { name, port, priority, weight })`.
   * Data is shaped as Node's resolve*() return it. RFC 1034 §3.6.2: a name with a CNAME has no other data.
   */
  add(name: string, type: ZoneRecordType, data: ZoneRecordData, opts: { ttl?: number } = {}): this {
    const owner = dname(name, 'name');
    if (typeof type !== 'string') throw new ERR_INVALID_ARG_TYPE('type', 'string', type);
    if (!TYPES.includes(type)) throw new ERR_INVALID_ARG_VALUE('type', type, `must be one of: ${TYPES.join(', ')}`);
    const ttl = u32(opts.ttl, 'options.ttl', this.ttl);
    const rdata = rdataOf(type, data);
    const here = this.zone.recordsAt(owner);
    if ((type === 'CNAME' && here.length > 0) || (type !== 'CNAME' && here.some((r) => r.rdata.type === 'CNAME'))) {
      throw new ERR_INVALID_ARG_VALUE('name', name, 'would have a CNAME and other data (RFC 1034 §3.6.2)');
    }
    this.zone.add({ name: owner, ttl, rdata });
    return this;
  }

  /** Removes records added at `name` (all, of one type, or the one with this data); returns how many. */
  remove(name: string, type?: ZoneRecordType, data?: ZoneRecordData): number {
    const owner = dname(name, 'name');
    if (type === undefined) return this.zone.remove(owner);
    const want = data === undefined ? undefined : JSON.stringify(shapeOf(rdataOf(type, data)));
    return this.zone.remove(owner, type, want === undefined ? undefined : (r) => JSON.stringify(shapeOf(r.rdata)) === want);
  }

  /** The zone's records at a name (or all of them), the network's own included, as Node shapes them. */
  records(name?: string): ZoneEntry[] {
    const list: ZoneRecord[] = name !== undefined ? this.zone.recordsAt(dname(name, 'name')) : [...this.zone.added(), ...this.networkRecords()];
    return list.map((r) => ({ name: r.name, type: r.rdata.type as ZoneRecordType, ttl: r.ttl, ...shapeOf(r.rdata) }));
  }

  /**
   * Serves the zone on `target` (a host of the network), or on a host of its own made like
   * world.gateway() makes one (`{ attach, ipv4, ipv6, name: 'ns' }`). Options: `port` (53),
   * `address` (all), `delay` (ms before each answer).
   */
  serve(target: Host | DnsHostOptions, opts: DnsServerOptions = {}): NetworkDnsServer {
    let host: Host;
    if (target !== null && typeof target === 'object' && 'kernel' in target) {
      host = target as Host;
    } else {
      const o = (target ?? {}) as DnsHostOptions;
      host = this.network.host(o.name ?? 'ns');
      if (o.attach !== undefined) host.attach(o.attach, { ...(o.ipv4 ? { ipv4: o.ipv4 } : {}), ...(o.ipv6 ? { ipv6: o.ipv6 } : {}) });
    }
    const server = new DnsServer({ sched: this.network.sched, dgram: () => host.dgram, net: () => host.net }, this.zone, opts);
    server.start();
    const served: Served = {
      server, host,
      public: {
        host, port: server.port,
        get addresses() { return addressesOf(host, server.address); },
        get delay() { return server.delay; },
        set delay(v: number) { server.delay = v; },
        stats: () => server.stats(),
        close: () => { server.close(); const i = this.served.indexOf(served); if (i >= 0) this.served.splice(i, 1); },
      },
    };
    this.served.push(served);
    return served.public;
  }

  /** The servers running now. */
  get servers(): readonly NetworkDnsServer[] {
    return this.served.map((s) => s.public);
  }

  /** @internal The resolv.conf of a host that has none of its own: every server of the zone. */
  _resolvConfFor(_host: Host): string {
    const list: NameServer[] = [];
    for (const s of this.served) {
      for (const address of addressesOf(s.host, s.server.address)) {
        list.push({ address, port: s.server.port, family: ipFamily(address) === 6 ? 6 : 4 });
      }
    }
    return formatResolvConf(list);
  }

  /** @internal A host booted again: its servers start, as daemons enabled at boot do. */
  _restarted(host: Host): void {
    for (const s of this.served) if (s.host === host) s.server.start();
  }

  /**
   * The network's own records: A, AAAA and PTR for every host's addresses (link-local and
   * loopback left out); at the root, an NS per server host and the SOA (unless one was added):
   * `ns hostmaster.ns <serial: changes so far> 3600 600 86400 <ttl>`, the first server's host
   * as the primary ('localhost' while none runs).
   */
  private networkRecords(): ZoneRecord[] {
    const out: ZoneRecord[] = [];
    const ttl = this.ttl;
    if (!this.zone.added('').some((r) => r.rdata.type === 'SOA')) {
      const nsname = this.served[0]?.host.name ?? 'localhost';
      out.push({ name: '', ttl, rdata: { type: 'SOA', nsname, hostmaster: `hostmaster.${nsname}`, serial: this.zone.serial, refresh: 3600, retry: 600, expire: 86400, minttl: ttl } });
    }
    for (const h of this.network.hosts.values()) {
      for (const i of h.kernel.interfaces) {
        if (i === h.kernel.lo) continue;
        for (const a of i.v4) {
          out.push({ name: h.name, ttl, rdata: { type: 'A', address: a.address } });
          out.push({ name: reverseName(a.address)!, ttl, rdata: { type: 'PTR', value: h.name } });
        }
        for (const a of i.v6) {
          if (a.scope !== 'global') continue;
          out.push({ name: h.name, ttl, rdata: { type: 'AAAA', address: a.address } });
          out.push({ name: reverseName(a.address)!, ttl, rdata: { type: 'PTR', value: h.name } });
        }
      }
    }
    for (const s of this.served) out.push({ name: '', ttl, rdata: { type: 'NS', value: s.host.name } });
    return out;
  }
}

/** A server's addresses as clients list them: the one it is bound to, or the host's (IPv4, then global IPv6). */
function addressesOf(host: Host, bound: string | undefined): string[] {
  if (bound !== undefined && bound !== '::' && bound !== '0.0.0.0') return [bound];
  const v4: string[] = [];
  const v6: string[] = [];
  for (const i of host.kernel.interfaces) {
    if (i === host.kernel.lo) continue;
    for (const a of i.v4) v4.push(a.address);
    for (const a of i.v6) if (a.scope === 'global') v6.push(a.address);
  }
  return [...v4, ...v6];
}

