// One resolver channel, as c-ares 1.34 runs one for each Node Resolver: queries sent to a list
// of servers over UDP (a connected socket per server, shared by the queries in flight) and over
// TCP when an answer comes back truncated (RFC 1035 §4.2.2, RFC 7766 §5), retried and timed
// out the way c-ares does it, on the host's clock:
//
// - A query goes to the best server: the fewest consecutive failures, then configuration order
//   (`rotate`: a random one of the best). Every timeout, refusal (ICMP port unreachable, a TCP
//   connection refused or closed) or malformed answer counts a failure against the server and
//   is one try; after tries × servers tries the query ends with the last error (ETIMEOUT,
//   ECONNREFUSED, EBADRESP). A well-formed answer ends it, whatever its RCODE (Node sets
//   ARES_FLAG_NOCHECKRESP), and clears the server's failures.
// - Try k waits timeout << (k / servers): from the second round through the list, a random
//   50-100% of that, never less than `timeout`, never more than `maxTimeout` when set.
//   `timeout` starts as the configured one, at least 250 ms, and once 3 queries to a server
//   have been answered it becomes 5 × their mean latency (250 ms to 5 s): c-ares's
//   per-server metrics over the last minute, 15 minutes, hour, day and the channel's life.
// - Node looks at the channel's timeouts on a periodic timer (every `timeout` ms, 1 s at most,
//   running while the channel has sockets open): a try times out at the first tick strictly
//   after its deadline (a deadline that falls on a tick is seen one tick later, as on a real
//   loop where the tick's cached time lags the send).
// - Answers are matched by query ID and question (RFC 5452 §9.1; not the QR bit, as c-ares);
//   answers to queries no longer waiting are dropped. Sockets close when no query uses them.
//
// Not modelled: c-ares's probes of failed servers (server_retry_chance), EDNS and DNS cookies
// (Node's channel sends neither), the query cache (Node turns it off).
import type { Scheduler, Timer } from '../links/clock.js';
import {
  decodeDnsMessage, DnsTcpReader, dnsNameKey, DNS_RCODE_NOERROR, DNS_RCODE_NXDOMAIN, encodeDnsQuery, frameDnsTcp,
  type DnsMessage,
} from '../wire/dns.js';
import { WireError } from '../wire/error.js';
import type { NameServer } from './dns-conf.js';
import type { DgramModule, Socket as DgramSocket } from './dgram.js';
import type { NetModule } from './net.js';

/** A c-ares status, as Node names it in `err.code` ('SUCCESS' for an answer). */
export type AresStatus = 'SUCCESS' | 'ETIMEOUT' | 'ECONNREFUSED' | 'EBADRESP' | 'ECANCELLED' | 'EDESTRUCTION' | 'ENOTFOUND' | 'UNKNOWN_ARES_ERROR';

export interface ChannelHost {
  readonly sched: Scheduler;
  dgram(): DgramModule;
  net(): NetModule;
  /** A uniform 32-bit random number (query IDs, jitter, rotation). */
  random(): number;
  /** False once the host crashed: the program that owned the channel is gone. */
  alive(): boolean;
}

export interface ChannelOptions {
  /** The configured timeout of a try, ms (> 0). */
  timeout: number;
  /** The period of Node's timeout timer, ms. */
  tick: number;
  tries: number;
  /** Cap on a try's timeout, ms; 0: none. */
  maxTimeout: number;
  rotate: boolean;
}

// c-ares ares_metrics.c: MIN_TIMEOUT_MS, MAX_TIMEOUT_MS, AVG_TIMEOUT_MULTIPLIER, MIN_COUNT_FOR_AVERAGE.
const MIN_TIMEOUT = 250;
const MAX_TIMEOUT = 5000;
const AVG_MULTIPLIER = 5;
const MIN_COUNT = 3;
// c-ares's metric buckets: 1 minute, 15 minutes, 1 hour, 1 day (in seconds), and since the start.
const BUCKETS = [60, 900, 3600, 86400, 0];

interface Bucket { ts: number; total: number; count: number; prevTs: number; prevTotal: number; prevCount: number }

interface ServerState extends NameServer {
  /** Position in the configuration (ties between equally good servers). */
  readonly index: number;
  failures: number;
  readonly metrics: Bucket[];
  udp: Conn | null;
  tcp: Conn | null;
}

interface Query {
  readonly qid: number;
  readonly name: string;
  readonly qtype: number;
  readonly bytes: Uint8Array;
  tries: number;
  error: AresStatus | null;
  tcp: boolean;
  /** When the current try was sent, and when it times out. */
  sent: number;
  deadline: number;
  conn: Conn | null;
  readonly done: (status: AresStatus, answer?: DnsMessage) => void;
}

/** A socket to one server (UDP, or TCP with its framing), and the queries waiting on it. */
interface Conn {
  readonly server: ServerState;
  readonly tcp: boolean;
  readonly queries: Set<Query>;
  write(bytes: Uint8Array): void;
  close(): void;
}

function metricTs(divisor: number, nowSec: number, previous: boolean): number {
  if (divisor === 0) return previous ? 0 : 1;
  if (previous) return divisor >= nowSec ? 0 : Math.floor((nowSec - divisor) / divisor);
  return Math.floor(nowSec / divisor);
}

export class Channel {
  private servers: ServerState[] = [];
  private readonly queries = new Map<number, Query>();
  private readonly conns = new Set<Conn>();
  private ticker: Timer | null = null;
  private local4: string | undefined;
  private local6: string | undefined;
  /** The program that owned the channel died (its host crashed): nothing more happens. */
  private dead = false;

  constructor(private readonly host: ChannelHost, private readonly opts: ChannelOptions, servers: readonly NameServer[]) {
    this.setServers(servers);
  }

  /** Queries not finished yet. */
  get active(): number { return this.queries.size; }

  /** The servers in configuration order. */
  list(): NameServer[] {
    return [...this.servers].sort((a, b) => a.index - b.index).map(({ address, port, family }) => ({ address, port, family }));
  }

  /** As Node's ChannelWrap::GetServers() returns them: [address, port] pairs. */
  getServers(): Array<[string, number]> {
    return this.list().map((s) => [s.address, s.port]);
  }

  setServers(list: readonly NameServer[]): void {
    for (const c of [...this.conns]) this.closeConn(c);
    this.servers = list.map((s, index) => ({
      address: s.address, port: s.port, family: s.family, index, failures: 0, udp: null, tcp: null,
      metrics: BUCKETS.map(() => ({ ts: 0, total: 0, count: 0, prevTs: 0, prevTotal: 0, prevCount: 0 })),
    }));
  }

  /** Node's setLocalAddress: the source address of the sockets opened from now on, per family. */
  setLocalAddress(ipv4: string | undefined, ipv6: string | undefined): void {
    this.local4 = ipv4;
    this.local6 = ipv6;
  }

  /** Sends a query; `done` gets 'SUCCESS' and the answer, or the error. Never calls back synchronously. */
  query(name: string, qtype: number, done: (status: AresStatus, answer?: DnsMessage) => void): void {
    // The host crashed and booted again: what the channel held went with the crash, it starts afresh.
    if (this.dead && this.host.alive()) this.dead = false;
    // RFC 7686 §2: .onion names are not looked up in DNS (c-ares answers ENOTFOUND at once).
    if (/(^|\.)onion\.?$/i.test(name)) {
      this.host.sched.after(0, () => { if (!this.dead) done('ENOTFOUND'); });
      return;
    }
    if (this.servers.length === 0) {
      // c-ares 1.34 ends it with ARES_ENOSERVER, which Node does not know by name.
      this.host.sched.after(0, () => { if (!this.dead) done('UNKNOWN_ARES_ERROR'); });
      return;
    }
    let qid: number;
    do qid = this.host.random() & 0xffff; while (this.queries.has(qid));
    const q: Query = {
      qid, name, qtype, bytes: encodeDnsQuery(qid, name, qtype), tries: 0, error: null, tcp: false,
      sent: 0, deadline: 0, conn: null, done,
    };
    this.queries.set(qid, q);
    // Node's resolve() returns before anything is answered.
    this.host.sched.after(0, () => { if (this.queries.get(qid) === q) { this.send(q, null); this.cleanup(); } });
  }

  /** Ends every query with ECANCELLED (Node's resolver.cancel()). */
  cancel(): void {
    for (const q of [...this.queries.values()]) this.end(q, 'ECANCELLED');
    this.cleanup();
  }

  private now(): number { return this.host.sched.now(); }

  /** The best server now: fewest consecutive failures, then configuration order (c-ares's sorted list). */
  private pick(): ServerState {
    const sorted = [...this.servers].sort((a, b) => a.failures - b.failures || a.index - b.index);
    if (!this.opts.rotate) return sorted[0]!;
    const best = sorted.filter((s) => s.failures === sorted[0]!.failures);
    return best[(this.host.random() & 0xff) % best.length]!;
  }

  /** c-ares ares_send_query(): onto a connection to a server, with this try's deadline. */
  private send(q: Query, to: ServerState | null): void {
    const server = to ?? this.pick();
    let conn = q.tcp ? server.tcp : server.udp;
    if (conn === null) {
      try {
        conn = q.tcp ? this.openTcp(server) : this.openUdp(server);
      } catch {
        // A socket that cannot be made is a refusal by this server (c-ares: ECONNREFUSED).
        server.failures++;
        this.requeue(q, 'ECONNREFUSED', true);
        return;
      }
    }
    conn.write(q.tcp ? frameDnsTcp(q.bytes) : q.bytes);
    q.sent = this.now();
    q.deadline = q.sent + this.tryTimeout(q, server);
    q.conn = conn;
    conn.queries.add(q);
  }

  /** c-ares ares_calc_query_timeout() with ares_metrics_server_timeout(). */
  private tryTimeout(q: Query, server: ServerState): number {
    const base = this.serverTimeout(server);
    let t = base;
    const rounds = Math.floor(q.tries / this.servers.length);
    if (rounds > 0) t *= 2 ** rounds;
    if (this.opts.maxTimeout > 0 && t > this.opts.maxTimeout) t = this.opts.maxTimeout;
    if (rounds > 0) {
      const r = this.host.random() & 0xffff;
      t -= Math.floor(t * ((r / 0xffff) * 0.5));
    }
    return Math.max(t, base);
  }

  private serverTimeout(server: ServerState): number {
    const nowSec = Math.floor(this.now() / 1000);
    let t = 0;
    for (let i = 0; i < BUCKETS.length; i++) {
      const m = server.metrics[i]!;
      if (metricTs(BUCKETS[i]!, nowSec, false) !== m.ts || m.count < MIN_COUNT) {
        if (metricTs(BUCKETS[i]!, nowSec, true) !== m.prevTs || m.prevCount < MIN_COUNT) continue;
        t = Math.floor(m.prevTotal / m.prevCount);
      } else {
        t = Math.floor(m.total / m.count);
      }
      t *= AVG_MULTIPLIER;
      break;
    }
    if (t === 0) t = this.opts.timeout;
    if (t < MIN_TIMEOUT) t = MIN_TIMEOUT;
    const max = this.opts.maxTimeout > 0 ? this.opts.maxTimeout : MAX_TIMEOUT;
    return t > max ? max : t;
  }

  /** c-ares ares_metrics_record(): an answered query's latency goes into the server's buckets. */
  private record(server: ServerState, q: Query): void {
    const ms = Math.max(1, Math.floor(this.now() - q.sent));
    const nowSec = Math.floor(this.now() / 1000);
    for (let i = 0; i < BUCKETS.length; i++) {
      const m = server.metrics[i]!;
      const ts = metricTs(BUCKETS[i]!, nowSec, false);
      if (ts !== m.ts) {
        m.prevTs = m.ts; m.prevTotal = m.total; m.prevCount = m.count;
        m.ts = ts; m.total = 0; m.count = 0;
      }
      m.count++;
      m.total += ms;
    }
  }

  /** c-ares ares_requeue_query(): another try, or the end with the last error. */
  private requeue(q: Query, status: AresStatus, countTry: boolean): void {
    this.detach(q);
    q.error = status;
    if (countTry) q.tries++;
    if (q.tries < this.servers.length * this.opts.tries) this.send(q, null);
    else this.end(q, q.error ?? 'ETIMEOUT');
  }

  private detach(q: Query): void {
    q.conn?.queries.delete(q);
    q.conn = null;
  }

  private end(q: Query, status: AresStatus, answer?: DnsMessage): void {
    if (this.queries.get(q.qid) !== q) return;
    this.detach(q);
    this.queries.delete(q.qid);
    q.done(status, answer);
  }

  /** c-ares process_answer(). */
  private answer(conn: Conn, bytes: Uint8Array): void {
    if (this.dead || bytes.length === 0) return;
    const m = decodeDnsMessage(bytes);
    if (m instanceof WireError) {
      // Malformations are never accepted: the connection is dropped and its queries tried again.
      this.connError(conn, 'EBADRESP');
      return;
    }
    const q = this.queries.get(m.id);
    if (q === undefined || !sameQuestion(q, m)) return;
    const server = conn.server;
    this.detach(q);
    // RFC 1035 §4.2.1 / RFC 7766 §5: a truncated UDP answer is asked again over TCP.
    if (m.tc && !conn.tcp) {
      q.tcp = true;
      this.send(q, null);
      return;
    }
    if (server.failures > 0) server.failures = 0;
    if (m.rcode === DNS_RCODE_NOERROR || m.rcode === DNS_RCODE_NXDOMAIN) this.record(server, q);
    this.end(q, 'SUCCESS', m);
  }

  /** c-ares handle_conn_error(): the server failed; the connection closes; its queries are tried again. */
  private connError(conn: Conn, status: AresStatus): void {
    if (this.dead) return;
    conn.server.failures++;
    const waiting = [...conn.queries];
    this.closeConn(conn);
    for (const q of waiting) this.requeue(q, status, true);
  }

  /** Node's timer tick: tries past their deadline time out (c-ares process_timeouts()). */
  private tick = (): void => {
    this.ticker = null;
    if (this.dead) return;
    const now = this.now();
    const due = [...this.queries.values()].filter((q) => q.conn !== null && q.deadline < now).sort((a, b) => a.deadline - b.deadline);
    for (const q of due) {
      if (q.conn === null || this.queries.get(q.qid) !== q) continue;
      q.conn.server.failures++;
      this.requeue(q, 'ETIMEOUT', true);
    }
    this.cleanup();
    if (this.conns.size > 0) this.ticker = this.host.sched.after(this.opts.tick, this.tick);
  };

  /** Sockets no query waits on close (c-ares without ARES_FLAG_STAYOPEN); the timer stops with the last. */
  private cleanup(): void {
    for (const c of [...this.conns]) if (c.queries.size === 0) this.closeConn(c);
    if (this.conns.size === 0 && this.ticker !== null) { this.ticker.cancel(); this.ticker = null; }
  }

  private opened(conn: Conn): void {
    this.conns.add(conn);
    // Node's ChannelWrap::StartTimer(): with the first socket, a repeating timer.
    if (this.ticker === null) this.ticker = this.host.sched.after(this.opts.tick, this.tick);
  }

  private closeConn(conn: Conn): void {
    if (!this.conns.delete(conn)) return;
    if (conn.tcp) { if (conn.server.tcp === conn) conn.server.tcp = null; } else if (conn.server.udp === conn) conn.server.udp = null;
    for (const q of conn.queries) q.conn = null;
    conn.queries.clear();
    conn.close();
  }

  /** The program died with its host: every socket is gone, no callback will run. */
  private die(): void {
    if (this.dead) return;
    this.dead = true;
    this.ticker?.cancel();
    this.ticker = null;
    this.queries.clear();
    for (const c of [...this.conns]) this.closeConn(c);
    for (const server of this.servers) server.failures = 0;
  }

  private openUdp(server: ServerState): Conn {
    const s: DgramSocket = this.host.dgram().createSocket(server.family === 6 ? 'udp6' : 'udp4');
    let closing = false;
    let connected = false;
    const queue: Uint8Array[] = [];
    const conn: Conn = {
      server, tcp: false, queries: new Set(),
      write: (bytes) => {
        if (!connected) { queue.push(bytes); return; }
        s.send(bytes, (err) => { if (err && !closing) this.connError(conn, 'ECONNREFUSED'); });
      },
      close: () => { closing = true; s.removeAllListeners('message'); try { s.close(); } catch { /* already closed */ } },
    };
    s.on('message', (msg: Buffer) => { this.answer(conn, msg); this.cleanup(); });
    // An ICMP error on the connected socket (port unreachable): c-ares reads it as ECONNREFUSED.
    s.on('error', () => { if (!closing) this.failed(conn); });
    s.on('close', () => { if (!closing) this.failed(conn); });
    const connect = (): void => {
      s.connect(server.port, server.address, () => {
        if (closing) return;
        connected = true;
        for (const b of queue.splice(0)) conn.write(b);
      });
    };
    const local = server.family === 6 ? this.local6 : this.local4;
    if (local !== undefined) s.bind({ address: local, port: 0 }, connect);
    else connect();
    server.udp = conn;
    this.opened(conn);
    return conn;
  }

  private openTcp(server: ServerState): Conn {
    const local = server.family === 6 ? this.local6 : this.local4;
    const s = this.host.net().connect({ port: server.port, host: server.address, ...(local !== undefined ? { localAddress: local } : {}) });
    let closing = false;
    const reader = new DnsTcpReader();
    const conn: Conn = {
      server, tcp: true, queries: new Set(),
      write: (bytes) => { s.write(bytes); },
      close: () => { closing = true; s.removeAllListeners('data'); s.on('error', () => {}); s.destroy(); },
    };
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => {
      for (const m of reader.push(chunk)) { if (closing) return; this.answer(conn, m); }
      this.cleanup();
    });
    // A refused, reset or closed connection: c-ares's ECONNREFUSED for every query on it.
    s.on('error', () => { if (!closing) this.failed(conn); });
    s.on('close', () => { if (!closing) this.failed(conn); });
    server.tcp = conn;
    this.opened(conn);
    return conn;
  }

  /** A socket failed or closed under a connection: a refusal, or the host crashed with the program. */
  private failed(conn: Conn): void {
    if (!this.host.alive()) { this.die(); return; }
    this.connError(conn, 'ECONNREFUSED');
    this.cleanup();
  }
}

/** c-ares same_questions(): the answer's question is the query's (names without case). */
function sameQuestion(q: Query, m: DnsMessage): boolean {
  if (m.questions.length !== 1) return false;
  const a = m.questions[0]!;
  return a.type === q.qtype && a.class === 1 && dnsNameKey(a.name) === dnsNameKey(q.name);
}
