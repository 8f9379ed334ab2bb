// host.dns: node:dns's lookup for one virtual host, answered from the host's table of names
// (host.hostsTable(): the network's hosts and localhost, as /etc/hosts would list them).
// Arguments are checked as Node v20 checks them (same ERR_* codes and messages); IP literals
// come back as they are on the next tick; names are answered from a Scheduler event (Node's
// getaddrinfo runs on the thread pool, so its answer always comes later); unknown names fail
// with Node's `getaddrinfo ENOTFOUND name` error (errno -3008, code 'ENOTFOUND').
import { ADDRCONFIG, ALL, V4MAPPED } from 'node:dns';
import { promisify } from 'node:util';
import type { HostPerformance } from './perf.js';
import type { Scheduler } from '../links/clock.js';
import { ipFamily } from '../wire/addr.js';
import type { DgramModule } from './dgram.js';
import { createResolverClasses, type ResolverClasses } from './dns-resolver.js';
import { codes, DNSException, UV_EAI_NONAME } from './errors.js';
import { validateBoolean, validateFunction, validateNumber, validateOneOf, validateString } from './validators.js';

const { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE } = codes;

export interface HostEntry {
  name: string;
  address: string;
  family: 4 | 6;
}

export interface DnsHost {
  hostsTable(): HostEntry[];
  readonly sched: Scheduler;
  /** The host's node:dgram, for the Resolver's queries (without it, Resolver queries fail with ECONNREFUSED). */
  dgram?: () => DgramModule;
  /** Query IDs for the Resolver (the network's seeded Random). */
  random?: () => number;
  /** The host's perf_hooks timeline: 'dns' lookup entries go there while observed. */
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

export interface DnsModule {
  lookup(hostname: string, callback: LookupCallback): object;
  lookup(hostname: string, options: number | LookupOptions, callback: LookupCallback): object;
  Resolver: ResolverClasses['Resolver'];
  /** The default resolver's methods (Node's dns.resolve, resolve4, ... and setServers). */
  resolve: InstanceType<ResolverClasses['Resolver']>['resolve'];
  resolve4: InstanceType<ResolverClasses['Resolver']>['resolve4'];
  resolve6: InstanceType<ResolverClasses['Resolver']>['resolve6'];
  resolveAny: InstanceType<ResolverClasses['Resolver']>['resolveAny'];
  getServers(): string[];
  setServers(servers: string[]): void;
  promises: {
    Resolver: ResolverClasses['PromiseResolver'];
    resolve: InstanceType<ResolverClasses['PromiseResolver']>['resolve'];
    resolve4: InstanceType<ResolverClasses['PromiseResolver']>['resolve4'];
    resolve6: InstanceType<ResolverClasses['PromiseResolver']>['resolve6'];
    resolveAny: InstanceType<ResolverClasses['PromiseResolver']>['resolveAny'];
    getServers(): string[];
    setServers(servers: string[]): void;
    lookup(hostname: string, options?: number | LookupOptions): Promise<LookupAddress | LookupAddress[]>;
    getDefaultResultOrder(): ResultOrder;
    setDefaultResultOrder(order: ResultOrder): void;
  };
  getDefaultResultOrder(): ResultOrder;
  setDefaultResultOrder(order: ResultOrder): void;
  readonly ADDRCONFIG: number;
  readonly V4MAPPED: number;
  readonly ALL: number;
}

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

  /** The addresses of a name, in table order, filtered by family and sorted by `order`. */
  function resolve(hostname: string, family: number, order: ResultOrder): string[] {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    let found: HostEntry[] = [];
    const seen = new Set<string>();
    for (const e of host.hostsTable()) {
      if (e.name.toLowerCase() !== name) continue;
      if (family !== 0 && e.family !== family) continue;
      if (seen.has(e.address)) continue;
      seen.add(e.address);
      found.push(e);
    }
    if (order === 'ipv4first') found = [...found.filter((e) => e.family === 4), ...found.filter((e) => e.family === 6)];
    else if (order === 'ipv6first') found = [...found.filter((e) => e.family === 6), ...found.filter((e) => e.family === 4)];
    return found.map((e) => e.address);
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
    host.sched.after(0, host.sched.bind(() => {
      const found = resolve(hostname, p.family, order);
      if (found.length === 0) { cb(new DNSException(UV_EAI_NONAME, 'getaddrinfo', hostname)); return; }
      if (p.all) cb(null, found.map((address) => ({ address, family: p.family || ipFamily(address) })));
      else cb(null, found[0]!, p.family || ipFamily(found[0]!));
      host.perf?.stop(perf, { addresses: found }); // Node's stopPerf after the callback
    }, 'GETADDRINFOREQWRAP'));
    return {};
  }

  function lookupPromise(hostname: string, options?: unknown): Promise<LookupAddress | LookupAddress[]> {
    if (hostname) validateString(hostname, 'hostname');
    const p = parseOptions(options, defaultOrder, true);
    return new Promise((res, rej) => {
      if (!hostname) {
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
      host.sched.after(0, () => {
        const found = resolve(hostname, p.family, p.order);
        if (found.length === 0) { rej(new DNSException(UV_EAI_NONAME, 'getaddrinfo', hostname)); return; }
        const list = found.map((address) => ({ address, family: p.family || ipFamily(address) }));
        res(p.all ? list : list[0]!);
        host.perf?.stop(perf, { addresses: found });
      });
    });
  }

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
    dgram: () => {
      if (!host.dgram) throw new Error('host.dns: no dgram to send DNS queries on');
      return host.dgram();
    },
    random: host.random,
  });
  // One default resolver behind both the callback and the promise functions, as in Node.
  const def = new PromiseResolver();
  const defCb = new Resolver();
  const setServers = (servers: string[]): void => { def.setServers(servers); defCb.setServers(servers); };
  const getServers = (): string[] => def.getServers();
  return {
    lookup: lookup as DnsModule['lookup'],
    Resolver,
    resolve: defCb.resolve.bind(defCb),
    resolve4: defCb.resolve4.bind(defCb),
    resolve6: defCb.resolve6.bind(defCb),
    resolveAny: defCb.resolveAny.bind(defCb),
    getServers, setServers,
    promises: {
      Resolver: PromiseResolver,
      resolve: def.resolve.bind(def), resolve4: def.resolve4.bind(def), resolve6: def.resolve6.bind(def), resolveAny: def.resolveAny.bind(def),
      getServers, setServers,
      lookup: lookupPromise, getDefaultResultOrder, setDefaultResultOrder,
    },
    getDefaultResultOrder,
    setDefaultResultOrder,
    ADDRCONFIG, V4MAPPED, ALL,
  };
}
