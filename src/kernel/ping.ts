// ICMP and ICMPv6 echo from the host itself, like iputils `ping -c 1`: one echo request
// (RFC 792 type 8 / RFC 4443 §4.1 type 128), resolved with the reply's time, TTL and size, or
// rejected with the ICMP error a router or the host itself reported, or on timeout.

import { parseDuration } from '../links/clock.js';
import type { Timer } from '../links/clock.js';
import { emitIcmpv4, ICMP_ECHO_REQUEST } from '../wire/icmpv4.js';
import { ENOBUFS, errnoName, ETIMEDOUT } from '../uapi/errno.js';
import { HEADROOM, IPPROTO_ICMP, IPPROTO_ICMPV6 } from './ip-types.js';
import type { Kernel } from './kernel.js';
import { emitIcmpv6, ICMP6_ECHO_REQUEST } from '../wire/icmpv6.js';
import { LazyMap } from '../links/lazy.js';

export interface PingOptions {
  /** 4 or 6; by default the family of the target address. */
  family?: 4 | 6;
  /** How long to wait for the reply: ms or a duration string. Default 10 s. */
  timeout?: number | string;
  /** Bytes of echo data (ping -s); default 56, as iputils. */
  size?: number;
  /** TTL / hop limit of the request (ping -t). */
  ttl?: number;
  /** Set DF and never fragment at the source (ping -M do). */
  dontFragment?: boolean;
  /** Source address (ping -I address). */
  source?: string;
  /** Output interface index (ping -I dev). */
  ifindex?: number;
}

export interface PingResult {
  /** Round trip in ms of network time. */
  time: number;
  /** TTL / hop limit of the reply as received. */
  ttl: number;
  /** ICMP bytes of the reply (8-byte header + data), as ping prints "64 bytes from". */
  bytes: number;
  /** Who answered. */
  from: string;
  seq: number;
}

/** A ping that failed: the code is the errno name Linux's ping socket would report. */
export interface PingError extends Error {
  code: string;
  errno: number;
  /** The host that sent the ICMP error, when one did. */
  reporter?: string;
  icmpType?: number;
  icmpCode?: number;
  /** For "fragmentation needed" / "packet too big". */
  mtu?: number;
}

interface Pending {
  target: string;
  family: 4 | 6;
  seq: number;
  sent: number;
  timer: Timer;
  resolve: (r: PingResult) => void;
  reject: (e: PingError) => void;
}

// iputils ping's texts for ICMP errors (ping_common / ping4 pr_icmph, ping6 pr_icmph).
const V4_UNREACH = [
  'Destination Net Unreachable', 'Destination Host Unreachable', 'Destination Protocol Unreachable',
  'Destination Port Unreachable', 'Frag needed and DF set', 'Source Route Failed', 'Destination Net Unknown',
  'Destination Host Unknown', 'Source Host Isolated', 'Destination Net Prohibited', 'Destination Host Prohibited',
  'Destination Net Unreachable for Type of Service', 'Destination Host Unreachable for Type of Service',
  'Packet filtered', 'Precedence Violation', 'Precedence Cutoff',
];
const V6_UNREACH = ['No route', 'Administratively prohibited', 'Beyond scope of source address', 'Address unreachable', 'Port unreachable'];

function describe(family: 4 | 6, type: number, code: number, mtu?: number): string {
  if (family === 4) {
    if (type === 3) return code === 4 ? `Frag needed and DF set (mtu = ${mtu ?? 0})` : V4_UNREACH[code] ?? `Dest Unreachable, Bad Code: ${code}`;
    if (type === 11) return code === 0 ? 'Time to live exceeded' : 'Frag reassembly time exceeded';
    if (type === 12) return 'Parameter problem';
    return `Bad ICMP type: ${type}`;
  }
  if (type === 1) return `Destination unreachable: ${V6_UNREACH[code] ?? `Unknown code ${code}`}`;
  if (type === 2) return `Packet too big: mtu=${mtu ?? 0}`;
  if (type === 3) return code === 0 ? 'Time exceeded: Hop limit' : 'Time exceeded: Defragmentation failure';
  if (type === 4) return 'Parameter problem';
  return `Unknown ICMPv6 type: ${type}`;
}

export class Pinger {
  private readonly pending = new LazyMap<number, Pending>();
  private nextSeq = 1;
  /** The identifier of this host's echo requests (a ping socket's "port"). */
  private readonly ident: number;

  constructor(private readonly k: Kernel) {
    this.ident = k.random.u32() & 0xffff;
  }

  ping(target: string, opts: PingOptions = {}): Promise<PingResult> {
    const k = this.k;
    const family = opts.family ?? (target.includes(':') ? 6 : 4);
    const size = opts.size ?? 56;
    if (!Number.isInteger(size) || size < 0 || size > 65507) return Promise.reject(new RangeError(`ping: size must be 0..65507, got ${size}`));
    const timeout = parseDuration(opts.timeout ?? 10_000, 'ping: timeout');
    const seq = this.nextSeq;
    this.nextSeq = (seq % 0xffff) + 1;
    const key = (family * 0x10000 + seq) >>> 0;
    const route = k.route(family, target, opts.ifindex !== undefined ? { ifindex: opts.ifindex } : undefined);
    const zone = target.indexOf('%');
    if (zone >= 0 && typeof route !== 'number') {
      opts = { ...opts, ifindex: route.ifindex };
      target = target.slice(0, zone);
    }
    if (typeof route === 'number') return Promise.reject(fail(`ping: connect: ${route === -101 ? 'Network is unreachable' : errnoName(route)} (${target})`, route));
    const src = opts.source ?? route.src;
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = i & 0xff; // iputils fills the pattern 0, 1, 2, ...
    const buf = new Uint8Array(HEADROOM + 8 + size);
    let rc: number;
    const outOpts = { dontFragment: opts.dontFragment ?? false, ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}), ...(opts.ifindex !== undefined ? { ifindex: opts.ifindex } : {}) };
    const sent = k.sched.now();
    if (family === 4) {
      emitIcmpv4(buf, HEADROOM, { type: ICMP_ECHO_REQUEST, code: 0, id: this.ident, seq, data });
      k.stats.icmp.OutMsgs!++;
      k.stats.icmp.OutEchos!++;
      rc = k.output(4, src, target, IPPROTO_ICMP, buf, HEADROOM, outOpts);
    } else {
      const s = k.ipv6.bytes(src);
      const d = k.ipv6.bytes(target);
      emitIcmpv6(buf, HEADROOM, s, d, { type: ICMP6_ECHO_REQUEST, code: 0, id: this.ident, seq, data });
      k.stats.icmp6.OutMsgs!++;
      k.stats.icmp6.OutEchos!++;
      rc = k.output(6, src, target, IPPROTO_ICMPV6, buf, HEADROOM, outOpts);
    }
    if (rc > 0) rc = -ENOBUFS; // a qdisc drop: Linux ip_send_skb's net_xmit_errno
    if (rc < 0) return Promise.reject(fail(`ping: sendmsg: ${rc === -90 ? 'Message too long' : errnoName(rc)} (${target})`, rc));
    return new Promise<PingResult>((resolve, reject) => {
      const timer = k.sched.after(timeout, () => {
        if (this.pending.get(key)?.timer !== timer) return;
        this.pending.delete(key);
        reject(fail(`ping ${target}: no reply within ${timeout} ms (icmp_seq=${seq})`, -ETIMEDOUT));
      });
      this.pending.set(key, { target, family, seq, sent, timer, resolve, reject });
    });
  }

  /** An echo reply arrived. */
  reply(family: 4 | 6, from: string, id: number, seq: number, ttl: number, bytes: number): void {
    if (id !== this.ident) return;
    const key = (family * 0x10000 + seq) >>> 0;
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    p.timer.cancel();
    p.resolve({ time: this.k.sched.now() - p.sent, ttl, bytes, from, seq });
  }

  /** An ICMP error quoting one of our echo requests arrived. */
  error(family: 4 | 6, reporter: string, id: number, seq: number, type: number, code: number, errno: number, mtu?: number): void {
    if (id !== this.ident) return;
    const key = (family * 0x10000 + seq) >>> 0;
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    p.timer.cancel();
    const e = fail(`ping ${p.target}: From ${reporter} icmp_seq=${seq} ${describe(family, type, code, mtu)}`, -errno);
    e.reporter = reporter;
    e.icmpType = type;
    e.icmpCode = code;
    if (mtu !== undefined) e.mtu = mtu;
    p.reject(e);
  }

  /**
   * Forgets every outstanding ping (host crash); with `fail`, each one's promise is rejected with
   * the error it makes (so that nobody awaits a reply forever).
   */
  clear(fail?: (target: string, seq: number) => Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      p.timer.cancel();
      if (fail !== undefined) p.reject(fail(p.target, p.seq) as PingError);
    }
  }
}

function fail(message: string, negErrno: number): PingError {
  return Object.assign(new Error(message), { code: errnoName(negErrno), errno: negErrno }) as PingError;
}
