// host.dns: node:dns for one virtual host.
//
// lookup() is getaddrinfo() with nsswitch's `hosts: files dns`: names are answered from the
// host's table (host.hostsTable(): the network's hosts and localhost, as /etc/hosts would list
// them), and a name the table lacks (for the family asked) goes to the DNS servers of the host's
// resolv.conf through glibc's stub resolver (src/node/dns-stub.ts) when it lists a nameserver;
// without one, the table is all there is. Arguments are checked as Node v20 checks them (same
// ERR_* codes and messages); IP literals come back as they are on the next tick; names are
// answered from a Scheduler event (Node's getaddrinfo runs on the thread pool, so its answer
// always comes later); failures are Node's: `getaddrinfo ENOTFOUND name` (errno -3008, or -3007
// for a name without addresses), `getaddrinfo EAI_AGAIN name` (-3001) when no server answered.
//
// resolve*(), reverse(), getServers() and setServers() are those of a default Resolver
// (src/node/dns-resolver.ts) that follows the host's resolv.conf until setServers() picks
// servers, as Node binds them to its default c-ares channel; dns.promises has the same.
import { ADDRCONFIG, ALL, V4MAPPED } from 'node:dns';
import { promisify } from 'node:util';
import type { Scheduler } from '../links/clock.js';
import type { HostPerformance } from './perf.js';
import { canonicalIP, ipFamily } from '../wire/addr.js';
import type { DgramModule } from './dgram.js';
import type { NetModule } from './net.js';
import { parseResolvConf, type ResolvConf } from './dns-conf.js';
import {
  createResolverClasses, resolverKeys, type PromiseResolver, type PromiseResolverConstructor, type Resolver,
  type ResolverBase, type ResolverConstructor,
} from './dns-resolver.js';
import { stubLookup, stubReverse, UV_EAI_NONAME } from './dns-stub.js';
import { codes, DNSException } from './errors.js';
import { validateBoolean, validateFunction, validateNumber, validateOneOf, validatePort, validateString } from './validators.js';
import { line } from './line.js';

const { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_MISSING_ARGS } = codes;

// getservbyport(port, "tcp"): the service names of /etc/services (IANA's) for the usual ports.
const SERVICES = new Map<number, string>(Object.entries({
  7: 'echo', 9: 'discard', 13: 'daytime', 20: 'ftp-data', 21: 'ftp', 22: 'ssh', 23: 'telnet', 25: 'smtp', 37: 'time',
  43: 'whois', 53: 'domain', 70: 'gopher', 79: 'finger', 80: 'http', 88: 'kerberos', 110: 'pop3', 111: 'sunrpc',
  113: 'auth', 119: 'nntp', 143: 'imap2', 161: 'snmp', 179: 'bgp', 389: 'ldap', 443: 'https', 445: 'microsoft-ds',
  465: 'submissions', 514: 'shell', 554: 'rtsp', 587: 'submission', 631: 'ipp', 636: 'ldaps', 853: 'domain-s',
  873: 'rsync', 993: 'imaps', 995: 'pop3s', 1080: 'socks', 1194: 'openvpn', 1433: 'ms-sql-s', 1812: 'radius',
  2049: 'nfs', 3306: 'mysql', 3389: 'ms-wbt-server', 5060: 'sip', 5061: 'sip-tls', 5222: 'xmpp-client',
  5432: 'postgresql', 5672: 'amqp', 6379: 'redis', 6697: 'ircs-u', 8080: 'http-alt', 9418: 'git',
}).map(([k, v]) => [Number(k), v]));

export interface HostEntry {
  name: string;
  address: string;
  family: 4 | 6;
}

export interface DnsHost {
  hostsTable(): HostEntry[];
  readonly sched: Scheduler;
  /** The host's node:dgram and node:net, for the queries (UDP, and TCP after a truncated answer). */
  dgram(): DgramModule;
  net(): NetModule;
  /** Query IDs and the resolver's other random choices (the network's seeded Random). */
  random(): number;
  /** The host's resolv.conf text. */
  resolvConf(): string;
  /** Whether the host runs (a crashed host's resolvers go quiet). */
  alive(): boolean;
  /** The host's perf_hooks timeline: 'dns' entries (lookup, lookupService, queries) go there while observed. */
  perf?: HostPerformance;
}

export type ResultOrder = 'verbatim' | 'ipv4first' | 'ipv6first';

export interface LookupOptions {
  family?: number | 'IPv4' | 'IPv6';
  hints?: number;
  all?: boolean;
  verbatim?: boolean;
  order?: ResultOrder;
}

export interface LookupAddress {
  address: string;
  family: number;
}

export type LookupCallback = (err: NodeJS.ErrnoException | null, address?: string | LookupAddress[] | null, family?: number) => void;

type ResolverFunctions<R> = Pick<R, Extract<(typeof resolverKeys)[number], keyof R>> & { setServers(servers: readonly string[]): void };

/** Node's error codes of resolver failures (dns.NODATA === 'ENODATA', ...). */
export const dnsErrorCodes = {
  NODATA: 'ENODATA', FORMERR: 'EFORMERR', SERVFAIL: 'ESERVFAIL', NOTFOUND: 'ENOTFOUND', NOTIMP: 'ENOTIMP',
  REFUSED: 'EREFUSED', BADQUERY: 'EBADQUERY', BADNAME: 'EBADNAME', BADFAMILY: 'EBADFAMILY', BADRESP: 'EBADRESP',
  CONNREFUSED: 'ECONNREFUSED', TIMEOUT: 'ETIMEOUT', EOF: 'EOF', FILE: 'EFILE', NOMEM: 'ENOMEM',
  DESTRUCTION: 'EDESTRUCTION', BADSTR: 'EBADSTR', BADFLAGS: 'EBADFLAGS', NONAME: 'ENONAME', BADHINTS: 'EBADHINTS',
  NOTINITIALIZED: 'ENOTINITIALIZED', LOADIPHLPAPI: 'ELOADIPHLPAPI', ADDRGETNETWORKPARAMS: 'EADDRGETNETWORKPARAMS',
  CANCELLED: 'ECANCELLED',
} as const;

export type DnsModule = ResolverFunctions<Resolver> & typeof dnsErrorCodes & {
  lookup(hostname: string, callback: LookupCallback): object;
  lookup(hostname: string, options: number | LookupOptions, callback: LookupCallback): object;
  lookupService(address: string, port: number, callback: (err: NodeJS.ErrnoException | null, hostname?: string, service?: string) => void): object;
  Resolver: ResolverConstructor;
  promises: ResolverFunctions<PromiseResolver> & typeof dnsErrorCodes & {
    Resolver: PromiseResolverConstructor;
    lookup(hostname: string, options?: number | LookupOptions): Promise<LookupAddress | LookupAddress[]>;
    lookupService(address: string, port: number): Promise<{ hostname: string; service: string }>;
    getDefaultResultOrder(): ResultOrder;
    setDefaultResultOrder(order: ResultOrder): void;
  };
  getDefaultResultOrder(): ResultOrder;
  setDefaultResultOrder(order: ResultOrder): void;
  readonly ADDRCONFIG: number;
  readonly V4MAPPED: number;
  readonly ALL: number;
};

const validFamilies = [0, 4, 6];
const validOrders: ResultOrder[] = ['verbatim', 'ipv4first', 'ipv6first'];

function validateHints(hints: number): void {
  if ((hints & ~(ADDRCONFIG | ALL | V4MAPPED)) !== 0) throw new ERR_INVALID_ARG_VALUE('hints', hints);
}

interface Parsed { family: number; all: boolean; order: ResultOrder }

function parseOptions(options: unknown, order: ResultOrder, promise: boolean): Parsed {
  let family = 0;
  let all = false;
  if (typeof options === 'number') {
    validateOneOf(options, 'family', validFamilies);
    family = options;
  } else if (options !== undefined && typeof options !== 'object') {
    throw new ERR_INVALID_ARG_TYPE('options', ['integer', 'object'], options);
  } else {
    const o = (options ?? undefined) as LookupOptions | undefined;
    if (o?.hints != null) {
      validateNumber(o.hints, 'options.hints');
      validateHints(o.hints >>> 0);
    }
    if (o?.family != null) {
      if (!promise && o.family === 'IPv4') family = 4;
      else if (!promise && o.family === 'IPv6') family = 6;
      else { validateOneOf(o.family, 'options.family', validFamilies); family = o.family as number; }
    }
    if (o?.all != null) { validateBoolean(o.all, 'options.all'); all = o.all; }
    if (o?.verbatim != null) { validateBoolean(o.verbatim, 'options.verbatim'); order = o.verbatim ? 'verbatim' : 'ipv4first'; }
    if (o?.order != null) { validateOneOf(o.order, 'options.order', validOrders); order = o.order; }
  }
  return { family, all, order };
}

let warnedHostname = false;
function warnInvalidHostname(hostname: unknown): void {
  if (warnedHostname) return;
  warnedHostname = true;
  process.emitWarning(`The provided hostname "${String(hostname)}" is not a valid hostname, and is supported in the dns module solely for compatibility.`,
    'DeprecationWarning', 'DEP0118');
}

/** host.dns for one host. */
export function createDns(host: DnsHost): DnsModule {
  let defaultOrder: ResultOrder = 'verbatim';
  /** glibc's `rotate` moves the first server on by one each lookup. */
  let rotation = 0;

  /** The table's addresses of a name (nsswitch `files`), in table order, of one family or both. */
  function fromTable(hostname: string, family: number): LookupAddress[] {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    const found: LookupAddress[] = [];
    const seen = new Set<string>();
    for (const e of host.hostsTable()) {
      if (e.name.toLowerCase() !== name) continue;
      if (family !== 0 && e.family !== family) continue;
      if (seen.has(e.address)) continue;
      seen.add(e.address);
      found.push({ address: e.address, family: e.family });
    }
    return found;
  }

  function sorted(list: LookupAddress[], order: ResultOrder): LookupAddress[] {
    if (order === 'ipv4first') return [...list.filter((e) => e.family === 4), ...list.filter((e) => e.family === 6)];
    if (order === 'ipv6first') return [...list.filter((e) => e.family === 6), ...list.filter((e) => e.family === 4)];
    return list;
  }

  /** getaddrinfo(): the table, then DNS; answers from a later event, never synchronously. */
  function getaddrinfo(hostname: string, family: number, order: ResultOrder, done: (err: NodeJS.ErrnoException | null, list?: LookupAddress[]) => void): void {
    // Node's GetAddrInfoReqWrap is an active request: the program waits for it.
    const release = host.sched.request();
    const cb = (err: NodeJS.ErrnoException | null, list?: LookupAddress[]): void => {
      try { done(err, list); } finally { release(); }
    };
    host.sched.after(0, () => {
      const local = fromTable(hostname, family);
      if (local.length > 0) { cb(null, sorted(local, order)); return; }
      const conf = parseResolvConf(host.resolvConf());
      if (conf.nameservers.length === 0) { cb(new DNSException(UV_EAI_NONAME, 'getaddrinfo', hostname) as unknown as NodeJS.ErrnoException); return; }
      stubLookup(host, conf, rotation++, hostname, family as 0 | 4 | 6, (err, addrs) => {
        if (err !== null || addrs === undefined) cb(new DNSException(err ?? UV_EAI_NONAME, 'getaddrinfo', hostname) as unknown as NodeJS.ErrnoException);
        else cb(null, sorted(addrs, order));
      });
    });
  }

  function lookup(hostname: string, options: unknown, callback?: unknown): object {
    let order = defaultOrder;
    if (hostname) validateString(hostname, 'hostname');
    let p: Parsed;
    if (typeof options === 'function') {
      callback = options;
      p = { family: 0, all: false, order };
    } else if (typeof options === 'number') {
      validateFunction(callback, 'callback');
      p = parseOptions(options, order, false);
    } else if (options !== undefined && typeof options !== 'object') {
      validateFunction(arguments.length === 2 ? options : callback, 'callback');
      throw new ERR_INVALID_ARG_TYPE('options', ['integer', 'object'], options);
    } else {
      validateFunction(callback, 'callback');
      p = parseOptions(options, order, false);
    }
    const cb = callback as LookupCallback;
    order = p.order;
    if (!hostname) {
      // Node 26: an empty (or falsy) name is an argument error; before, DEP0118 and no answer.
      if (line.dnsEmptyHostnameThrows) throw new ERR_INVALID_ARG_VALUE('hostname', hostname, 'must be a non-empty string');
      warnInvalidHostname(hostname);
      if (p.all) process.nextTick(cb, null, []);
      else process.nextTick(cb, null, null, p.family === 6 ? 6 : 4);
      return {};
    }
    const literal = ipFamily(hostname);
    if (literal) {
      if (p.all) process.nextTick(cb, null, [{ address: hostname, family: literal }]);
      else process.nextTick(cb, null, hostname, literal);
      return {};
    }
    const hints = typeof options === 'object' && options !== null ? Number((options as LookupOptions).hints ?? 0) >>> 0 : 0;
    const perf = host.perf?.start('dns', 'lookup', { hostname, family: p.family, hints, verbatim: order === 'verbatim', order }) ?? null;
    // Node's GetAddrInfoReqWrap: the callback runs in the caller's async context.
    getaddrinfo(hostname, p.family, order, host.sched.bind((err: NodeJS.ErrnoException | null, found?: LookupAddress[]) => {
      if (err) { cb(err); return; }
      if (p.all) cb(null, found!.map((f) => ({ address: f.address, family: p.family || f.family })));
      else cb(null, found![0]!.address, p.family || found![0]!.family);
      host.perf?.stop(perf, { addresses: found!.map((f) => f.address) }); // Node's stopPerf after the callback
    }, 'GETADDRINFOREQWRAP'));
    return {};
  }

  function lookupPromise(hostname: string, options?: unknown): Promise<LookupAddress | LookupAddress[]> {
    if (hostname) validateString(hostname, 'hostname');
    const p = parseOptions(options, defaultOrder, true);
    return new Promise((res, rej) => {
      if (!hostname) {
        if (line.dnsEmptyHostnameThrows) { rej(new ERR_INVALID_ARG_VALUE('hostname', hostname, 'must be a non-empty string')); return; }
        warnInvalidHostname(hostname);
        res(p.all ? [] : { address: null as unknown as string, family: p.family === 6 ? 6 : 4 });
        return;
      }
      const literal = ipFamily(hostname);
      if (literal) {
        const r = { address: hostname, family: literal };
        res(p.all ? [r] : r);
        return;
      }
      const hints = typeof options === 'object' && options !== null ? Number((options as LookupOptions).hints ?? 0) >>> 0 : 0;
      const perf = host.perf?.start('dns', 'lookup', { hostname, family: p.family, hints, verbatim: p.order === 'verbatim', order: p.order }) ?? null;
      getaddrinfo(hostname, p.family, p.order, (err, found) => {
        if (err) { rej(err); return; }
        const list = found!.map((f) => ({ address: f.address, family: p.family || f.family }));
        res(p.all ? list : list[0]!);
        host.perf?.stop(perf, { addresses: found!.map((f) => f.address) });
      });
    });
  }

  /** getnameinfo(NI_NAMEREQD): the address's name (the table, then a PTR query) and the port's service. */
  function getnameinfo(address: string, port: number, done: (err: NodeJS.ErrnoException | null, hostname?: string, service?: string) => void): void {
    const service = SERVICES.get(port) ?? String(port);
    const release = host.sched.request(); // GetNameInfoReqWrap, as getaddrinfo's
    const cb = (err: NodeJS.ErrnoException | null, hostname?: string, svc?: string): void => {
      try { done(err, hostname, svc); } finally { release(); }
    };
    host.sched.after(0, () => {
      const want = canonicalIP(address);
      const row = host.hostsTable().find((e) => canonicalIP(e.address) === want);
      if (row !== undefined) { cb(null, row.name, service); return; }
      const conf = parseResolvConf(host.resolvConf());
      const fail = (errno: number): void => cb(new DNSException(errno, 'getnameinfo', address) as unknown as NodeJS.ErrnoException);
      if (conf.nameservers.length === 0) { fail(UV_EAI_NONAME); return; }
      stubReverse(host, conf, rotation++, address, (err, name) => (err !== null || name === undefined ? fail(err ?? UV_EAI_NONAME) : cb(null, name, service)));
    });
  }

  function lookupService(address: string, port: number, callback: unknown): object {
    // eslint-disable-next-line prefer-rest-params
    if (arguments.length !== 3) throw new ERR_MISSING_ARGS('address', 'port', 'callback');
    validateString(address, 'address');
    if (ipFamily(address) === 0) throw new ERR_INVALID_ARG_VALUE('address', address);
    validatePort(port);
    validateFunction(callback, 'callback');
    const perf = host.perf?.start('dns', 'lookupService', { host: address, port: +port }) ?? null;
    const cb = callback as Parameters<typeof getnameinfo>[2];
    getnameinfo(address, +port, host.sched.bind((err: NodeJS.ErrnoException | null, hostname?: string, service?: string) => {
      cb(err, hostname, service);
      if (!err) host.perf?.stop(perf, { hostname, service });
    }, 'GETNAMEINFOREQWRAP'));
    return {};
  }

  function lookupServicePromise(address: string, port: number): Promise<{ hostname: string; service: string }> {
    // eslint-disable-next-line prefer-rest-params
    if (arguments.length !== 2) throw new ERR_MISSING_ARGS('address', 'port');
    if (ipFamily(address) === 0) throw new ERR_INVALID_ARG_VALUE('address', address);
    validatePort(port);
    const perf = host.perf?.start('dns', 'lookupService', { host: address, port: +port }) ?? null;
    return new Promise((res, rej) => getnameinfo(address, +port, (err, hostname, service) => {
      if (err) { rej(err); return; }
      res({ hostname: hostname!, service: service! });
      host.perf?.stop(perf, { hostname, service });
    }));
  }
  Object.defineProperty(lookupService, promisify.custom, { value: lookupServicePromise });

  const getDefaultResultOrder = (): ResultOrder => defaultOrder;
  const setDefaultResultOrder = (order: ResultOrder): void => {
    validateOneOf(order, 'dnsOrder', validOrders);
    defaultOrder = order;
  };
  // util.promisify(dns.lookup) resolves to { address, family } as Node's does.
  Object.defineProperty(lookup, promisify.custom, {
    value: (hostname: string, options?: unknown) => lookupPromise(hostname, options),
  });

  const { Resolver, PromiseResolver } = createResolverClasses({
    sched: host.sched,
    dgram: () => host.dgram(),
    net: () => host.net(),
    random: () => host.random(),
    resolvConf: () => parseResolvConf(host.resolvConf()),
    alive: () => host.alive(),
    ...(host.perf !== undefined ? { perf: host.perf } : {}),
  });
  // The default resolver: one channel behind the callback and the promise functions, as in Node.
  // dns.setServers() replaces it with a new one (queries in flight on the old one go on).
  let def = new Resolver() as unknown as ResolverBase;
  const current = (): ResolverBase => { def._refresh(); return def; };
  const setServers = (servers: readonly string[]): void => {
    const r = new Resolver() as unknown as ResolverBase;
    r.setServers(servers);
    def = r;
  };
  const bind = <R>(proto: R): ResolverFunctions<R> => {
    const out: Record<string, unknown> = { setServers };
    for (const key of resolverKeys) {
      const method = (proto as Record<string, (...a: unknown[]) => unknown>)[key]!;
      const f = function (this: unknown, ...args: unknown[]): unknown { return method.apply(current(), args); };
      Object.defineProperty(f, 'name', { value: `bound ${method.name}` });
      out[key] = f;
    }
    return out as ResolverFunctions<R>;
  };
  return {
    ...bind(Resolver.prototype),
    ...dnsErrorCodes,
    lookup: lookup as DnsModule['lookup'],
    lookupService: lookupService as DnsModule['lookupService'],
    Resolver,
    promises: {
      ...bind(PromiseResolver.prototype),
      ...dnsErrorCodes,
      Resolver: PromiseResolver,
      lookup: lookupPromise, lookupService: lookupServicePromise, getDefaultResultOrder, setDefaultResultOrder,
    },
    getDefaultResultOrder,
    setDefaultResultOrder,
    ADDRCONFIG, V4MAPPED, ALL,
  };
}
