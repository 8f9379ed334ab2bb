// host.dns.Resolver and host.dns.promises.Resolver: Node's resolver classes over the host's own
// sockets. Each Resolver is one c-ares channel (src/node/dns-channel.ts) whose queries cross the
// virtual network as real DNS messages; answers become Node's records (src/node/dns-answers.ts).
//
// As in Node: every resolve type (resolve, resolve4/6 with { ttl }, resolveAny, resolveCaa,
// resolveCname, resolveMx, resolveNaptr, resolveNs, resolvePtr, resolveSoa, resolveSrv,
// resolveTlsa, resolveTxt), reverse (the host's loopback names first, as c-ares reads /etc/hosts,
// then a PTR query; any failure is ENOTFOUND), getServers/setServers (refused with
// ERR_DNS_SET_SERVERS_FAILED while queries are in flight), setLocalAddress, cancel, the options
// timeout (ms; -1 or 0: resolv.conf's `options timeout:N`, else 2000), tries (default 4) and
// maxTimeout, argument errors (ERR_*), and errors shaped as Node's c-ares errors:
// `queryMx ETIMEOUT example.org` with code, syscall and hostname.
//
// A new Resolver reads the host's resolver configuration when it is made (nameservers, timeout,
// rotate), as c-ares reads /etc/resolv.conf when a channel is created.
import { domainToASCII } from 'node:url';
import type { Scheduler } from '../links/clock.js';
import type { HostPerformance } from './perf.js';
import { canonicalIP, ipFamily } from '../wire/addr.js';
import { DNS_TYPES, isDnsName, reverseName } from '../wire/dns.js';
import { Channel } from './dns-channel.js';
import { parseAnswer, replyStatus, type RrType } from './dns-answers.js';
import { DNS_PORT, formatNameServer, parseNameServer, type NameServer, type ResolvConf } from './dns-conf.js';
import type { DgramModule } from './dgram.js';
import type { NetModule } from './net.js';
import { codes, defineError, DNSException } from './errors.js';
import { validateFunction, validateInt32, validateString, validateUint32 } from './validators.js';

const { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_INVALID_IP_ADDRESS } = codes;
const ERR_DNS_SET_SERVERS_FAILED = defineError('ERR_DNS_SET_SERVERS_FAILED', Error,
  (err: string, servers: string[]) => `c-ares failed to set servers: "${err}" [${String(servers)}]`);
/** Node's C++ THROW_ERR_INVALID_ARG_VALUE(env, message). */
const ERR_INVALID_ARG_VALUE_MSG = defineError('ERR_INVALID_ARG_VALUE', TypeError, (message: string) => message);

/** libuv's EINVAL, as Node reports a reverse() of something that is not an address. */
const UV_EINVAL = -22;
// c-ares's defaults (Node passes tries itself): a 2000 ms timeout; with none configured, the
// server on the machine itself.
const DEFAULT_TIMEOUT = 2000;
const DEFAULT_TRIES = 4;
const LOCALHOST_SERVER: NameServer = { address: '127.0.0.1', port: DNS_PORT, family: 4 };

export interface ResolverHost {
  readonly sched: Scheduler;
  dgram(): DgramModule;
  net(): NetModule;
  /** A uniform 32-bit random number (the network's seeded Random). */
  random(): number;
  /** The host's resolver configuration now (its resolv.conf). */
  resolvConf(): ResolvConf;
  /** Whether the host runs (a crashed host's programs are gone: their resolvers go quiet). */
  alive(): boolean;
  /** The host's perf_hooks timeline: a 'dns' entry per query while observed, as Node's. */
  perf?: HostPerformance;
}

export interface ResolverOptions { timeout?: number; tries?: number; maxTimeout?: number }

// The records Node's resolve*() answer with (Node's @types names).
export interface RecordWithTtl { address: string; ttl: number }
export interface MxRecord { exchange: string; priority: number }
export interface SrvRecord { name: string; port: number; priority: number; weight: number }
export interface NaptrRecord { flags: string; service: string; regexp: string; replacement: string; order: number; preference: number }
export interface SoaRecord { nsname: string; hostmaster: string; serial: number; refresh: number; retry: number; expire: number; minttl: number }
export interface CaaRecord { critical: number; issue?: string; issuewild?: string; iodef?: string; contactemail?: string; contactphone?: string; [tag: string]: string | number | undefined }
export interface TlsaRecord { certUsage: number; selector: number; match: number; data: ArrayBuffer }
export type AnyRecord =
  | { type: 'A' | 'AAAA'; address: string; ttl: number }
  | { type: 'CNAME' | 'NS' | 'PTR'; value: string }
  | ({ type: 'MX' } & MxRecord) | { type: 'TXT'; entries: string[] } | ({ type: 'SRV' } & SrvRecord)
  | ({ type: 'NAPTR' } & NaptrRecord) | ({ type: 'SOA' } & SoaRecord) | ({ type: 'CAA' } & CaaRecord) | TlsaRecord;

export type ResolveCallback<T = unknown> = (err: NodeJS.ErrnoException | null, records: T) => void;
/** What a callback resolve*() returns (Node's QueryReqWrap). */
export interface QueryReq { bindingName: string; hostname: string; ttl: boolean; callback: ResolveCallback<never> }

interface ResolverCommon {
  getServers(): string[];
  setServers(servers: readonly string[]): void;
  setLocalAddress(ipv4: string, ipv6?: string): void;
  cancel(): void;
}

/** Node's dns.Resolver. */
export interface Resolver extends ResolverCommon {
  resolve(hostname: string, callback: ResolveCallback<string[]>): QueryReq;
  resolve(hostname: string, rrtype: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR', callback: ResolveCallback<string[]>): QueryReq;
  resolve(hostname: string, rrtype: 'ANY', callback: ResolveCallback<AnyRecord[]>): QueryReq;
  resolve(hostname: string, rrtype: 'MX', callback: ResolveCallback<MxRecord[]>): QueryReq;
  resolve(hostname: string, rrtype: 'TXT', callback: ResolveCallback<string[][]>): QueryReq;
  resolve(hostname: string, rrtype: 'SOA', callback: ResolveCallback<SoaRecord>): QueryReq;
  resolve(hostname: string, rrtype: string, callback: ResolveCallback<unknown>): QueryReq;
  resolve4(hostname: string, callback: ResolveCallback<string[]>): QueryReq;
  resolve4(hostname: string, options: { ttl: true }, callback: ResolveCallback<RecordWithTtl[]>): QueryReq;
  resolve4(hostname: string, options: { ttl?: boolean }, callback: ResolveCallback<string[] | RecordWithTtl[]>): QueryReq;
  resolve6(hostname: string, callback: ResolveCallback<string[]>): QueryReq;
  resolve6(hostname: string, options: { ttl: true }, callback: ResolveCallback<RecordWithTtl[]>): QueryReq;
  resolve6(hostname: string, options: { ttl?: boolean }, callback: ResolveCallback<string[] | RecordWithTtl[]>): QueryReq;
  resolveAny(hostname: string, callback: ResolveCallback<AnyRecord[]>): QueryReq;
  resolveCaa(hostname: string, callback: ResolveCallback<CaaRecord[]>): QueryReq;
  resolveCname(hostname: string, callback: ResolveCallback<string[]>): QueryReq;
  resolveMx(hostname: string, callback: ResolveCallback<MxRecord[]>): QueryReq;
  resolveNaptr(hostname: string, callback: ResolveCallback<NaptrRecord[]>): QueryReq;
  resolveNs(hostname: string, callback: ResolveCallback<string[]>): QueryReq;
  resolvePtr(hostname: string, callback: ResolveCallback<string[]>): QueryReq;
  resolveSoa(hostname: string, callback: ResolveCallback<SoaRecord>): QueryReq;
  resolveSrv(hostname: string, callback: ResolveCallback<SrvRecord[]>): QueryReq;
  resolveTlsa(hostname: string, callback: ResolveCallback<TlsaRecord[]>): QueryReq;
  resolveTxt(hostname: string, callback: ResolveCallback<string[][]>): QueryReq;
  reverse(ip: string, callback: ResolveCallback<string[]>): QueryReq;
}

/** Node's dns.promises.Resolver. */
export interface PromiseResolver extends ResolverCommon {
  resolve(hostname: string, rrtype?: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR'): Promise<string[]>;
  resolve(hostname: string, rrtype: 'ANY'): Promise<AnyRecord[]>;
  resolve(hostname: string, rrtype: 'MX'): Promise<MxRecord[]>;
  resolve(hostname: string, rrtype: 'TXT'): Promise<string[][]>;
  resolve(hostname: string, rrtype: 'SOA'): Promise<SoaRecord>;
  resolve(hostname: string, rrtype: string): Promise<unknown>;
  resolve4(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolve4(hostname: string, options?: { ttl?: boolean }): Promise<string[]>;
  resolve6(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolve6(hostname: string, options?: { ttl?: boolean }): Promise<string[]>;
  resolveAny(hostname: string): Promise<AnyRecord[]>;
  resolveCaa(hostname: string): Promise<CaaRecord[]>;
  resolveCname(hostname: string): Promise<string[]>;
  resolveMx(hostname: string): Promise<MxRecord[]>;
  resolveNaptr(hostname: string): Promise<NaptrRecord[]>;
  resolveNs(hostname: string): Promise<string[]>;
  resolvePtr(hostname: string): Promise<string[]>;
  resolveSoa(hostname: string): Promise<SoaRecord>;
  resolveSrv(hostname: string): Promise<SrvRecord[]>;
  resolveTlsa(hostname: string): Promise<TlsaRecord[]>;
  resolveTxt(hostname: string): Promise<string[][]>;
  reverse(ip: string): Promise<string[]>;
}

export type ResolverConstructor = new (options?: ResolverOptions) => Resolver;
export type PromiseResolverConstructor = new (options?: ResolverOptions) => PromiseResolver;

/** Node's binding name of each resolve type (the syscall in errors) and its Resolver method. */
const bindings: ReadonlyArray<readonly [RrType, string, string]> = [
  ['ANY', 'queryAny', 'resolveAny'], ['A', 'queryA', 'resolve4'], ['AAAA', 'queryAaaa', 'resolve6'],
  ['CAA', 'queryCaa', 'resolveCaa'], ['CNAME', 'queryCname', 'resolveCname'], ['MX', 'queryMx', 'resolveMx'],
  ['NS', 'queryNs', 'resolveNs'], ['TLSA', 'queryTlsa', 'resolveTlsa'], ['TXT', 'queryTxt', 'resolveTxt'],
  ['SRV', 'querySrv', 'resolveSrv'], ['PTR', 'queryPtr', 'resolvePtr'], ['NAPTR', 'queryNaptr', 'resolveNaptr'],
  ['SOA', 'querySoa', 'resolveSoa'],
];

/** Node's toASCII (IDNA, lower case) and c-ares's check of the name; null: EBADNAME. */
function queryName(name: string): string | null {
  // eslint-disable-next-line no-control-regex
  let ascii = /^[\x00-\x7f]*$/.test(name) ? name.toLowerCase() : domainToASCII(name) || name;
  if (ascii.endsWith('.') && ascii !== '.') ascii = ascii.slice(0, -1);
  if (ascii === '' || ascii === '.') return '';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f-\uffff]/.test(ascii) || !isDnsName(ascii)) return null;
  return ascii;
}

/** The channel settings of a new Resolver: its options over the host's resolv.conf. */
function channelOptions(conf: ResolvConf, timeout: number, tries: number, maxTimeout: number) {
  const fromConf = conf.timeout !== undefined && conf.timeout > 0 ? conf.timeout * 1000 : DEFAULT_TIMEOUT;
  return {
    timeout: timeout > 0 ? timeout : fromConf,
    // Node's ChannelWrap::StartTimer(): every `timeout` ms when 1..1000, else every second.
    tick: timeout > 0 && timeout <= 1000 ? timeout : 1000,
    tries, maxTimeout, rotate: conf.rotate,
  };
}

type Req = QueryReq;
type AnyCallback = (err: NodeJS.ErrnoException | null, records?: unknown) => void;

/** The Resolver machinery under both classes: one c-ares channel and its settings. */
export interface ResolverBase extends ResolverCommon {
  /** @internal */ _query(type: RrType, syscall: string, hostname: string, withTtl: boolean, done: AnyCallback): void;
  /** @internal */ _reverse(ip: string, done: (err: NodeJS.ErrnoException | null, names?: string[]) => void): void;
  /** @internal Picks up a changed resolv.conf (the default resolver; not after setServers()). */ _refresh(): void;
}

/** The Resolver classes (callback and promise) bound to one host. */
export function createResolverClasses(host: ResolverHost) {
  const errorOf = (code: string | number, syscall: string, hostname: string): NodeJS.ErrnoException =>
    new DNSException(code, syscall, hostname) as unknown as NodeJS.ErrnoException;

  class Base implements ResolverBase {
    /** The c-ares channel (Node's ChannelWrap is `_handle` too). */
    _handle: Channel;
    #options: { timeout: number; tries: number; maxTimeout: number };
    /** The resolv.conf the channel was made from; null once setServers() chose the servers. */
    #conf: string | null;

    constructor(options?: ResolverOptions) {
      const { timeout = -1, tries = DEFAULT_TRIES, maxTimeout = 0 } = { ...options };
      validateInt32(timeout, 'options.timeout', -1);
      validateInt32(tries, 'options.tries', 1);
      validateUint32(maxTimeout, 'options.maxTimeout');
      this.#options = { timeout, tries, maxTimeout };
      const conf = host.resolvConf();
      this.#conf = JSON.stringify(conf);
      this._handle = this.#make(conf);
    }

    #make(conf: ResolvConf): Channel {
      const { timeout, tries, maxTimeout } = this.#options;
      return new Channel(host, channelOptions(conf, timeout, tries, maxTimeout),
        conf.nameservers.length > 0 ? conf.nameservers : [LOCALHOST_SERVER]);
    }

    _refresh(): void {
      if (this.#conf === null || this._handle.active > 0) return;
      const conf = host.resolvConf();
      const key = JSON.stringify(conf);
      if (key === this.#conf) return;
      this.#conf = key;
      this._handle = this.#make(conf);
    }

    cancel(): void { this._handle.cancel(); }

    getServers(): string[] {
      // As Node: whatever the handle returns, in the address form setServers takes.
      return (this._handle.getServers() || []).map(([address, port]) => formatNameServer({ address, port, family: ipFamily(address) === 6 ? 6 : 4 }));
    }

    setServers(servers: readonly string[]): void {
      if (!Array.isArray(servers)) throw new ERR_INVALID_ARG_TYPE('servers', 'Array', servers);
      const parsed: NameServer[] = [];
      servers.forEach((s: unknown, i) => {
        validateString(s, `servers[${i}]`);
        const p = parseNameServer(s);
        if (!p) throw new ERR_INVALID_IP_ADDRESS(s);
        parsed.push(p);
      });
      // Node's ChannelWrap::SetServers(): not while queries are in flight.
      if (this._handle.active > 0) throw new ERR_DNS_SET_SERVERS_FAILED('There are pending queries.', [...servers]);
      this._handle.setServers(parsed);
      this.#conf = null;
    }

    setLocalAddress(ipv4: string, ipv6?: string): void {
      validateString(ipv4, 'ipv4');
      if (ipv6 !== undefined) validateString(ipv6, 'ipv6');
      // Node's SetLocalAddress(): at most one address of each family; the other is the kernel's choice.
      const f0 = ipFamily(ipv4);
      if (f0 === 0) throw new ERR_INVALID_ARG_VALUE_MSG('Invalid IP address.');
      let v4 = f0 === 4 ? ipv4 : undefined;
      let v6 = f0 === 6 ? ipv4 : undefined;
      if (ipv6 !== undefined) {
        const f1 = ipFamily(ipv6);
        if (f1 === 0) throw new ERR_INVALID_ARG_VALUE_MSG('Invalid IP address.');
        if (f1 === f0) throw new ERR_INVALID_ARG_VALUE_MSG(`Cannot specify two IPv${f0} addresses.`);
        if (f1 === 4) v4 = ipv6; else v6 = ipv6;
      }
      this._handle.setLocalAddress(v4, v6);
    }

    _query(type: RrType, syscall: string, hostname: string, withTtl: boolean, callback: AnyCallback): void {
      // Node's QueryReqWrap: the answer comes in the caller's async context, timed for perf_hooks.
      const perf = host.perf?.start('dns', syscall, { host: hostname, ttl: withTtl }) ?? null;
      const done = host.sched.bind((err: NodeJS.ErrnoException | null, records?: unknown): void => {
        callback(err, records);
        if (!err) host.perf?.stop(perf, { result: records });
      }, 'QUERYWRAP');
      const name = queryName(hostname);
      if (name === null) { host.sched.after(0, () => done(errorOf('EBADNAME', syscall, hostname))); return; }
      this._handle.query(name, DNS_TYPES[type], (status, answer) => {
        if (status !== 'SUCCESS' || answer === undefined) { done(errorOf(status, syscall, hostname)); return; }
        const bad = replyStatus(answer);
        if (bad !== null) { done(errorOf(bad, syscall, hostname)); return; }
        const r = parseAnswer(type, answer, withTtl);
        if ('error' in r) done(errorOf(r.error, syscall, hostname));
        else done(null, r.records);
      });
    }

    /** c-ares ares_gethostbyaddr() with its lookups "fb" (files, then DNS). Throws EINVAL for a non-address. */
    _reverse(ip: string, callback: (err: NodeJS.ErrnoException | null, names?: string[]) => void): void {
      if (ipFamily(ip) === 0) throw errorOf(UV_EINVAL, 'getHostByAddr', ip);
      const perf = host.perf?.start('dns', 'getHostByAddr', { host: ip, ttl: false }) ?? null;
      const done = host.sched.bind((err: NodeJS.ErrnoException | null, names?: string[]): void => {
        callback(err, names);
        if (!err) host.perf?.stop(perf, { result: names });
      }, 'QUERYWRAP');
      // The host's /etc/hosts as c-ares reads it has the loopback lines, one name each: a hit
      // there answers with the line's further names, of which there are none.
      const canonical = canonicalIP(ip);
      if (canonical === '127.0.0.1' || canonical === '::1') { host.sched.after(0, () => done(null, [])); return; }
      this._handle.query(reverseName(ip)!, DNS_TYPES.PTR, (status, answer) => {
        if (status === 'ECANCELLED' || status === 'EDESTRUCTION') { done(errorOf(status, 'getHostByAddr', ip)); return; }
        const r = status === 'SUCCESS' && answer !== undefined && replyStatus(answer) === null ? parseAnswer('PTR', answer, false) : null;
        // Any other failure sends c-ares on to the next lookup source, and there is none.
        if (r === null || 'error' in r) done(errorOf('ENOTFOUND', 'getHostByAddr', ip));
        else done(null, r.records as string[]);
      });
    }
  }

  const typeMethod = (rrtype: string): string | undefined => bindings.find(([t]) => t === rrtype)?.[2];

  /** Node's callback resolver. */
  class CallbackResolver extends Base {
    resolve(hostname: string, rrtype?: unknown, callback?: unknown): Req {
      let method: string | undefined;
      if (typeof rrtype === 'string') {
        method = typeMethod(rrtype);
        if (method === undefined) throw new ERR_INVALID_ARG_VALUE('rrtype', rrtype);
      } else if (typeof rrtype === 'function') {
        method = 'resolve4';
        callback = rrtype;
      } else {
        throw new ERR_INVALID_ARG_TYPE('rrtype', 'string', rrtype);
      }
      return (CallbackResolver.prototype as unknown as Record<string, (n: string, cb: unknown) => Req>)[method]!.call(this, hostname, callback);
    }
  }
  for (const [type, bindingName, method] of bindings) {
    const query = function (this: Base, name: string, options?: unknown, cb?: unknown): Req {
      let callback = options;
      let opts: unknown;
      if (arguments.length > 2) { opts = options; callback = cb; }
      validateString(name, 'name');
      validateFunction(callback, 'callback');
      const ttl = Boolean((opts as { ttl?: unknown } | null | undefined)?.ttl);
      this._query(type, bindingName, name, ttl, callback as AnyCallback);
      return { bindingName, hostname: name, ttl, callback: callback as ResolveCallback<never> };
    };
    define(CallbackResolver.prototype, method, query, bindingName);
  }
  define(CallbackResolver.prototype, 'reverse', function (this: Base, ip: string, callback: AnyCallback): Req {
    validateString(ip, 'name');
    validateFunction(callback, 'callback');
    this._reverse(ip, callback);
    return { bindingName: 'getHostByAddr', hostname: ip, ttl: false, callback };
  }, 'getHostByAddr');

  /** Node's dns.promises.Resolver: the same channel, answering with promises. */
  class PromisesResolver extends Base {
    resolve(hostname: string, rrtype?: unknown): Promise<unknown> {
      let method = 'resolve4';
      if (rrtype !== undefined) {
        validateString(rrtype, 'rrtype');
        const m = typeMethod(rrtype);
        if (m === undefined) throw new ERR_INVALID_ARG_VALUE('rrtype', rrtype);
        method = m;
      }
      return (PromisesResolver.prototype as unknown as Record<string, (n: string) => Promise<unknown>>)[method]!.call(this, hostname);
    }
  }
  for (const [type, bindingName, method] of bindings) {
    define(PromisesResolver.prototype, method, function (this: Base, name: string, options?: { ttl?: boolean }): Promise<unknown> {
      validateString(name, 'name');
      const ttl = Boolean(options?.ttl);
      return new Promise((res, rej) => this._query(type, bindingName, name, ttl, (err, records) => (err ? rej(err) : res(records))));
    }, bindingName);
  }
  define(PromisesResolver.prototype, 'reverse', function (this: Base, ip: string): Promise<unknown> {
    validateString(ip, 'name');
    return new Promise((res, rej) => {
      try { this._reverse(ip, (err, names) => (err ? rej(err) : res(names))); } catch (e) { rej(e); }
    });
  }, 'getHostByAddr');

  Object.defineProperty(CallbackResolver, 'name', { value: 'Resolver' });
  Object.defineProperty(PromisesResolver, 'name', { value: 'Resolver' });
  return {
    Resolver: CallbackResolver as unknown as ResolverConstructor,
    PromiseResolver: PromisesResolver as unknown as PromiseResolverConstructor,
  };
}

/** A method on a prototype, non-enumerable as class methods are, named as Node names it. */
function define(proto: object, key: string, fn: (...args: never[]) => unknown, name: string): void {
  Object.defineProperty(fn, 'name', { value: name });
  Object.defineProperty(proto, key, { value: fn, writable: true, configurable: true, enumerable: false });
}

/** The Resolver methods every dns module binds to its default resolver (Node's resolverKeys). */
export const resolverKeys = [
  'getServers', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCaa', 'resolveCname', 'resolveMx',
  'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTlsa', 'resolveTxt', 'reverse',
] as const;

export type ResolverClasses = ReturnType<typeof createResolverClasses>;
