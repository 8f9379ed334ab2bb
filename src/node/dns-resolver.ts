// host.dns.Resolver: node:dns's stub resolver over the host's own UDP (host.dgram), so queries
// are real DNS messages (src/wire/dns.ts) crossing the virtual network. Supports the A, AAAA and
// ANY record types (ANY keeps only A and AAAA records, typed as Node types them), resolve4/resolve6
// with { ttl: true }, setServers/getServers, cancel(), and the promise flavour. Errors are shaped
// as Node's c-ares errors: `queryA ENOTFOUND name` with code, syscall and hostname.
import type { Scheduler, Timer } from '../links/clock.js';
import { ipFamily } from '../wire/addr.js';
import {
  decodeDnsMessage, DNS_CLASS_IN, DNS_RCODE_FORMERR, DNS_RCODE_NOERROR, DNS_RCODE_NOTIMP, DNS_RCODE_NXDOMAIN,
  DNS_RCODE_REFUSED, DNS_RCODE_SERVFAIL, DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_ANY, encodeDnsQuery, type DnsRecord,
} from '../wire/dns.js';
import { WireError } from '../wire/error.js';
import type { DgramModule, Socket } from './dgram.js';
import { codes, DNSException } from './errors.js';
import { validateFunction, validateString } from './validators.js';

const { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_INVALID_IP_ADDRESS } = codes as unknown as Record<string, new (...a: unknown[]) => Error>;

export interface ResolverHost {
  readonly sched: Scheduler;
  dgram(): DgramModule;
  /** Query IDs (RFC 5452 §4.3: unpredictable IDs); a counter when absent. */
  random?: () => number;
}

export interface ResolverOptions { timeout?: number; tries?: number }
export interface RecordWithTtl { address: string; ttl: number }
export interface AnyRecord { address: string; ttl: number; type: 'A' | 'AAAA' }
export type ResolveCallback = (err: NodeJS.ErrnoException | null, records?: unknown) => void;

type RrType = 'A' | 'AAAA' | 'ANY';
const rrTypes: Record<RrType, { qtype: number; syscall: string }> = {
  A: { qtype: DNS_TYPE_A, syscall: 'queryA' },
  AAAA: { qtype: DNS_TYPE_AAAA, syscall: 'queryAaaa' },
  ANY: { qtype: DNS_TYPE_ANY, syscall: 'queryAny' },
};

// resolv.conf(5): with no nameserver configured, the name server on the local machine is used.
const DEFAULT_SERVERS: Server[] = [{ address: '127.0.0.1', port: 53, family: 4 }];
// RFC 1035 §4.2.1: DNS over UDP uses port 53.
const DNS_PORT = 53;
// Node's Resolver documents tries' default as 4; c-ares's default timeout is 2000 ms (-1 = default).
const DEFAULT_TRIES = 4;
const DEFAULT_TIMEOUT = 2000;

interface Server { address: string; port: number; family: 4 | 6 }

/** Parses one setServers entry: 'ip', 'ip:port', '[ipv6]', '[ipv6]:port' (as Node accepts them). */
function parseServer(s: string): Server | null {
  if (ipFamily(s) === 6) return { address: s, port: DNS_PORT, family: 6 };
  const m6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (m6) {
    if (ipFamily(m6[1]!) !== 6) return null;
    return { address: m6[1]!, port: m6[2] ? Number(m6[2]) : DNS_PORT, family: 6 };
  }
  const m4 = /^([^:]+)(?::(\d+))?$/.exec(s);
  if (m4 && ipFamily(m4[1]!) === 4) return { address: m4[1]!, port: m4[2] ? Number(m4[2]) : DNS_PORT, family: 4 };
  return null;
}

function formatServer(s: Server): string {
  if (s.family === 6) return s.port === DNS_PORT ? s.address : `[${s.address}]:${s.port}`;
  return s.port === DNS_PORT ? s.address : `${s.address}:${s.port}`;
}

/** The c-ares status name for an RCODE (RFC 1035 §4.1.1). */
function rcodeError(rcode: number): string {
  switch (rcode) {
    case DNS_RCODE_FORMERR: return 'EFORMERR';
    case DNS_RCODE_SERVFAIL: return 'ESERVFAIL';
    case DNS_RCODE_NXDOMAIN: return 'ENOTFOUND';
    case DNS_RCODE_NOTIMP: return 'ENOTIMP';
    case DNS_RCODE_REFUSED: return 'EREFUSED';
    default: return 'EBADRESP';
  }
}

interface Pending { cancel(): void }

/** The Resolver classes (callback and promise) bound to one host. */
export function createResolverClasses(host: ResolverHost) {
  let idCounter = 0;
  const nextId = (): number => (host.random ? host.random() : ++idCounter) & 0xffff;

  class Resolver {
    #servers: Server[] = [...DEFAULT_SERVERS];
    #timeout: number;
    #tries: number;
    #pending = new Set<Pending>();

    constructor(options?: ResolverOptions) {
      const timeout = options?.timeout ?? -1;
      const tries = options?.tries ?? DEFAULT_TRIES;
      if (!Number.isInteger(timeout) || timeout < -1) throw new ERR_INVALID_ARG_VALUE('options.timeout', timeout);
      if (!Number.isInteger(tries) || tries < 1) throw new ERR_INVALID_ARG_VALUE('options.tries', tries);
      this.#timeout = timeout === -1 ? DEFAULT_TIMEOUT : timeout;
      this.#tries = tries;
    }

    getServers(): string[] { return this.#servers.map(formatServer); }

    setServers(servers: string[]): void {
      if (!Array.isArray(servers)) throw new ERR_INVALID_ARG_TYPE('servers', 'Array', servers);
      const parsed: Server[] = [];
      servers.forEach((s, i) => {
        validateString(s, `servers[${i}]`);
        const p = parseServer(s);
        if (!p) throw new ERR_INVALID_IP_ADDRESS(s);
        parsed.push(p);
      });
      this.#servers = parsed;
    }

    /** Fails every query in flight with ECANCELLED. */
    cancel(): void {
      for (const p of [...this.#pending]) p.cancel();
    }

    resolve(hostname: string, rrtype: string | ResolveCallback, callback?: ResolveCallback): object {
      return this.#resolve(hostname, rrtype, callback);
    }

    #resolve(hostname: string, rrtype: unknown, callback?: unknown): object {
      if (typeof rrtype === 'function') { callback = rrtype; rrtype = 'A'; }
      validateString(hostname, 'name');
      if (rrtype === undefined) rrtype = 'A';
      validateString(rrtype, 'rrtype');
      if (!(rrtype in rrTypes)) throw new ERR_INVALID_ARG_VALUE('rrtype', rrtype);
      validateFunction(callback, 'callback');
      this.#query(hostname, rrtype as RrType, false, callback as ResolveCallback);
      return {};
    }

    resolve4(hostname: string, options: { ttl?: boolean } | ResolveCallback, callback?: ResolveCallback): object { return this.#resolveFamily('A', hostname, options, callback); }
    resolve6(hostname: string, options: { ttl?: boolean } | ResolveCallback, callback?: ResolveCallback): object { return this.#resolveFamily('AAAA', hostname, options, callback); }
    resolveAny(hostname: string, callback: ResolveCallback): object { return this.resolve(hostname, 'ANY', callback); }

    #resolveFamily(type: RrType, hostname: string, options: unknown, callback?: unknown): object {
      if (typeof options === 'function') { callback = options; options = {}; }
      validateString(hostname, 'name');
      validateFunction(callback, 'callback');
      const ttl = Boolean((options as { ttl?: boolean } | undefined)?.ttl);
      this.#query(hostname, type, ttl, callback as ResolveCallback);
      return {};
    }

    /** Sends the query to each server in turn, `tries` rounds, each attempt waiting `timeout`. */
    #query(hostname: string, type: RrType, withTtl: boolean, cb: ResolveCallback): void {
      const { qtype, syscall } = rrTypes[type];
      const servers = this.#servers;
      const attempts = servers.length * this.#tries;
      let attempt = 0;
      let lastError = 'ETIMEOUT';
      let socket: Socket | undefined;
      let timer: Timer | undefined;
      let done = false;
      const finishAttempt = (): void => {
        timer?.cancel(); timer = undefined;
        if (socket) { const s = socket; socket = undefined; s.removeAllListeners('message'); s.on('error', () => {}); try { s.close(); } catch { /* already closed */ } }
      };
      const finish = (err: string | null, records?: unknown): void => {
        if (done) return;
        done = true;
        finishAttempt();
        this.#pending.delete(pending);
        if (err) cb(new DNSException(err, syscall, hostname));
        else cb(null, records);
      };
      const pending: Pending = { cancel: () => finish('ECANCELLED') };
      this.#pending.add(pending);
      const next = (): void => {
        finishAttempt();
        if (done) return;
        if (attempt >= attempts || servers.length === 0) { finish(servers.length === 0 ? 'ECONNREFUSED' : lastError); return; }
        const server = servers[attempt % servers.length]!;
        attempt++;
        const id = nextId();
        const query = encodeDnsQuery(id, hostname, qtype);
        const s = host.dgram().createSocket(server.family === 6 ? 'udp6' : 'udp4');
        socket = s;
        s.on('error', (err: NodeJS.ErrnoException) => {
          if (socket !== s) return;
          // An ICMP port unreachable on the connected socket (RFC 1122 §4.1.3.3): try the next server.
          lastError = err.code === 'ECONNREFUSED' ? 'ECONNREFUSED' : lastError;
          next();
        });
        s.on('message', (msg: Buffer) => {
          if (socket !== s) return;
          const m = decodeDnsMessage(msg);
          // RFC 5452 §9.1: accept only answers that match the query's ID and question.
          if (m instanceof WireError || !m.qr || m.id !== id) return;
          const q = m.questions[0];
          if (m.questions.length > 0 && (!q || q.name.toLowerCase() !== hostname.toLowerCase().replace(/\.$/, '') || q.type !== qtype)) return;
          if (m.rcode !== DNS_RCODE_NOERROR) { finish(rcodeError(m.rcode)); return; }
          const records = answersOf(m.answers, type, withTtl);
          if (records.length === 0) { finish('ENODATA'); return; }
          finish(null, records);
        });
        s.connect(server.port, server.address, () => {
          if (socket !== s) return;
          s.send(query, (err) => { if (err && socket === s) next(); });
        });
        timer = host.sched.after(this.#timeout, host.sched.bind(() => { if (socket === s) next(); }));
      };
      // c-ares answers from its event loop: never synchronously.
      host.sched.after(0, host.sched.bind(next, 'QUERYWRAP'));
    }
  }

  /** dns.promises.Resolver: the same resolver, answering with promises. */
  class PromiseResolver {
    #r: Resolver;
    constructor(options?: ResolverOptions) { this.#r = new Resolver(options); }
    getServers(): string[] { return this.#r.getServers(); }
    setServers(servers: string[]): void { this.#r.setServers(servers); }
    cancel(): void { this.#r.cancel(); }
    resolve(hostname: string, rrtype: string = 'A'): Promise<unknown> {
      return promiseOf((cb) => this.#r.resolve(hostname, rrtype, cb));
    }
    resolve4(hostname: string, options?: { ttl?: boolean }): Promise<unknown> {
      return promiseOf((cb) => this.#r.resolve4(hostname, options ?? {}, cb));
    }
    resolve6(hostname: string, options?: { ttl?: boolean }): Promise<unknown> {
      return promiseOf((cb) => this.#r.resolve6(hostname, options ?? {}, cb));
    }
    resolveAny(hostname: string): Promise<unknown> { return this.resolve(hostname, 'ANY'); }
  }

  return { Resolver, PromiseResolver };
}

function promiseOf(start: (cb: ResolveCallback) => void): Promise<unknown> {
  return new Promise((res, rej) => {
    try { start((err, records) => (err ? rej(err) : res(records))); } catch (e) { rej(e); }
  });
}

function answersOf(answers: DnsRecord[], type: RrType, withTtl: boolean): unknown[] {
  const out: unknown[] = [];
  for (const r of answers) {
    if (r.class !== DNS_CLASS_IN || r.address === undefined) continue;
    const t = r.type === DNS_TYPE_A ? 'A' : 'AAAA';
    if (type === 'ANY') out.push({ address: r.address, ttl: r.ttl, type: t });
    else if (t === type) out.push(withTtl ? { address: r.address, ttl: r.ttl } : r.address);
  }
  return out;
}

export type ResolverClasses = ReturnType<typeof createResolverClasses>;
