// The neighbour table of one interface and address family: the state machine that ARP (RFC 826)
// and IPv6 neighbour discovery (RFC 4861 §7.3) share, with Linux's states and defaults
// (net/core/neighbour.c). Expiry of REACHABLE is evaluated lazily when an entry is used or
// listed; timers run only while a neighbour is being solicited (INCOMPLETE, DELAY, PROBE).

import { formatMAC, macEquals } from '../wire/addr.js';
import type { Scheduler, Timer } from '../links/clock.js';
import type { Random } from '../links/random.js';
import { segmentTcp } from '../wire/gso.js';
import type { Counters } from './stats.js';
import { LazyMap } from '../links/lazy.js';
import { copyBytes } from '../wire/bytes.js';
import { SKB_OVERHEAD } from './mem.js';

export const NUD_INCOMPLETE = 1;
export const NUD_REACHABLE = 2;
export const NUD_STALE = 3;
export const NUD_DELAY = 4;
export const NUD_PROBE = 5;
export const NUD_FAILED = 6;
export const NUD_PERMANENT = 7;

export type NeighbourState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'PERMANENT';
const STATE_NAMES: readonly NeighbourState[] = ['FAILED', 'INCOMPLETE', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'FAILED', 'PERMANENT'];

/** Linux defaults (net.ipv4.neigh.default.* / net.ipv6.neigh.default.*), RFC 4861 §10 constants. */
export interface NeighbourParams {
  /** RFC 4861 §10 REACHABLE_TIME; Linux base_reachable_time_ms 30000. */
  baseReachableMs: number;
  /** RFC 4861 §10 RETRANS_TIMER; Linux retrans_time_ms 1000. */
  retransMs: number;
  /** RFC 4861 §10 DELAY_FIRST_PROBE_TIME; Linux delay_first_probe_time 5 s. */
  delayFirstProbeMs: number;
  /** RFC 4861 §10 MAX_MULTICAST_SOLICIT; Linux mcast_solicit 3 (ARP: broadcast requests). */
  mcastSolicit: number;
  /** RFC 4861 §10 MAX_UNICAST_SOLICIT; Linux ucast_solicit 3. */
  ucastSolicit: number;
  /**
   * Bytes of packets queued per unresolved neighbour, each charged its length plus SKB_OVERHEAD (mem.ts); Linux
   * unres_qlen_bytes default 212992 (SK_WMEM_MAX). Over it the oldest queued packet is dropped,
   * as __neigh_event_send does.
   */
  queueBytes: number;
  /** Linux gc_stale_time 60 s: entries unused this long are collected (NeighbourGroup's periodic collection). */
  gcStaleMs: number;
}

export const DEFAULT_NEIGHBOUR_PARAMS: NeighbourParams = {
  baseReachableMs: 30_000,
  retransMs: 1_000,
  delayFirstProbeMs: 5_000,
  mcastSolicit: 3,
  ucastSolicit: 3,
  queueBytes: 212_992,
  gcStaleMs: 60_000,
};

/** One line of `ip neigh`. */
export interface NeighbourInfo {
  dst: string;
  dev: string;
  lladdr?: string;
  state: NeighbourState;
  router?: boolean;
}

export class Neighbour {
  state = NUD_INCOMPLETE;
  mac: Uint8Array | null = null;
  /** When reachability was last confirmed (ms). */
  confirmed = 0;
  /** When the entry was last used to send (ms), for garbage collection. */
  used = 0;
  /** Solicitations sent in the current INCOMPLETE or PROBE phase. */
  probes = 0;
  timer: Timer | null = null;
  queue: Uint8Array[] = [];
  queueBytes = 0;
  router = false;
  /** When the state or address last changed (Linux n->updated), for forced collection. */
  updated = 0;
  /** Creation order in its NeighbourGroup (Linux's gc_list order). */
  seq = 0;
  constructor(readonly key: string, readonly ip: Uint8Array) {}
}

/** Linux's gc_thresh defaults (net.ipv4.neigh.default.gc_thresh1/2/3, the same for IPv6). */
export const GC_THRESH1 = 128;
export const GC_THRESH2 = 512;
export const GC_THRESH3 = 1024;

/**
 * The entries of one address family on one host, whatever interface they are on, as Linux's one
 * neighbour table per family (arp_tbl, nd_tbl) counts them against gc_thresh1/2/3 (PERMANENT
 * entries are not counted). Each interface's NeighbourTable holds its own entries and counts
 * them here (net/core/neighbour.c: neigh_alloc, neigh_forced_gc, neigh_periodic_work).
 */
export class NeighbourGroup {
  /** gc_thresh1: below this many entries the periodic collection leaves them alone. */
  gcThresh1 = GC_THRESH1;
  /** gc_thresh2: past it a new entry first forces a collection, at most once per 5 s. */
  gcThresh2 = GC_THRESH2;
  /** gc_thresh3: the most entries; a new one past it forces a collection, and fails if that frees nothing. */
  gcThresh3 = GC_THRESH3;
  /** Entries counted (Linux gc_entries). */
  entries = 0;
  /** Last forced collection (Linux last_flush), ms. */
  lastFlush = 0;
  /** Last periodic collection, ms. */
  private lastPeriodic = 0;
  private nextSeq = 0;
  readonly tables: NeighbourTable[] = [];

  /** @internal */
  seq(): number { return this.nextSeq++; }

  /**
   * Linux neigh_alloc's check before a new entry: whether it may be made (false: the table is
   * full, table_fulls).
   */
  admit(now: number, staleMs: number, periodMs: number): boolean {
    if (this.entries >= this.gcThresh1 && now - this.lastPeriodic >= periodMs) this.periodic(now, staleMs);
    const entries = this.entries;
    if (entries >= this.gcThresh3 || (entries >= this.gcThresh2 && now - this.lastFlush > 5_000)) {
      if (this.forced(now) === 0 && entries >= this.gcThresh3) return false;
    }
    return true;
  }

  /**
   * Linux neigh_forced_gc: down to gc_thresh2, oldest first, the entries nothing holds (no timer
   * running: not INCOMPLETE, REACHABLE, DELAY or PROBE; not PERMANENT) that FAILED or whose state
   * has not changed for 5 s. Returns how many went.
   */
  private forced(now: number): number {
    this.lastFlush = now;
    const max = this.entries - this.gcThresh2;
    if (max <= 0) return 0;
    const found: Array<[NeighbourTable, Neighbour]> = [];
    for (const t of this.tables) {
      for (const n of t.entries.values()) {
        t.ageEntry(n, now);
        if (n.state === NUD_FAILED || (n.state === NUD_STALE && now - n.updated >= 5_000)) found.push([t, n]);
      }
    }
    found.sort((a, b) => a[1].seq - b[1].seq);
    let shrunk = 0;
    for (const [t, n] of found) {
      if (shrunk >= max) break;
      if (t.delete(n.key)) shrunk++;
    }
    return shrunk;
  }

  /** Linux neigh_periodic_work, when it would have run: entries unused for gc_stale_time, and FAILED ones, go. */
  private periodic(now: number, staleMs: number): void {
    this.lastPeriodic = now;
    for (const t of this.tables) {
      for (const n of [...t.entries.values()]) {
        if (this.entries < this.gcThresh1) return;
        t.ageEntry(n, now);
        if ((n.state === NUD_STALE || n.state === NUD_FAILED) && (n.state === NUD_FAILED || now - n.used > staleMs)) t.delete(n.key);
      }
    }
  }
}

/** The protocol side: ARP or NDP. */
export interface Resolver {
  /** Sends one solicitation (ARP request / neighbour solicitation), unicast to n.mac when `unicast`. */
  solicit(table: NeighbourTable, n: Neighbour, unicast: boolean): void;
  /** Resolution failed; called for each queued frame (Ethernet frame) that is dropped. */
  unreachable(table: NeighbourTable, frame: Uint8Array): void;
}

/** What the table needs of its interface. */
export interface NeighbourLink {
  readonly name: string;
  /** 0, or NET_XMIT_DROP when the interface's qdisc dropped it. */
  transmit(frame: Uint8Array, gso?: number): number;
}

export class NeighbourTable {
  readonly entries = new LazyMap<string, Neighbour>();
  /** RFC 4861 §6.3.2: ReachableTime is drawn uniformly from [0.5, 1.5] × BaseReachableTime. */
  readonly reachableMs: number;
  private readonly onTimer: (n: Neighbour) => void;

  constructor(
    readonly link: NeighbourLink,
    readonly family: 4 | 6,
    private readonly sched: Scheduler,
    random: Random,
    private readonly resolver: Resolver,
    private readonly counters: Counters,
    readonly group: NeighbourGroup = new NeighbourGroup(),
    readonly params: NeighbourParams = DEFAULT_NEIGHBOUR_PARAMS,
  ) {
    this.reachableMs = Math.round(params.baseReachableMs * (0.5 + random.next()));
    this.onTimer = (n) => this.timerFired(n);
    group.tables.push(this);
  }

  /**
   * Sends an Ethernet frame whose header is written except for the destination MAC
   * (frame[0..6]), resolving the neighbour first when needed (RFC 4861 §7.2.2).
   */
  send(key: string, ip: Uint8Array, frame: Uint8Array, gso = 0): number {
    const now = this.sched.now();
    let n = this.entries.get(key);
    if (n === undefined) {
      const made = this.create(key, ip, now);
      // Linux ip_finish_output2: no neighbour entry could be made (table full): the packet is
      // dropped (Linux's -EINVAL does not reach the sender here).
      if (made === null) return 0;
      this.enqueueFrames(made, frame, gso);
      this.startSolicit(made);
      return 0;
    }
    n.used = now;
    // RFC 4861 §7.3.3: after ReachableTime without confirmation the entry becomes STALE.
    this.age(n, now);
    switch (n.state) {
      case NUD_REACHABLE:
        break;
      case NUD_STALE:
        // RFC 4861 §7.3.3: the first packet sent to a STALE neighbour moves it to DELAY.
        n.state = NUD_DELAY;
        n.updated = now;
        this.arm(n, this.params.delayFirstProbeMs);
        break;
      case NUD_DELAY:
      case NUD_PROBE:
      case NUD_PERMANENT:
        break;
      case NUD_INCOMPLETE:
        this.enqueueFrames(n, frame, gso);
        return 0;
      default: // NUD_FAILED: Linux restarts resolution when there is something to send
        this.enqueueFrames(n, frame, gso);
        this.startSolicit(n);
        return 0;
    }
    this.put(n.mac!, frame);
    // Linux neigh_output -> dev_queue_xmit: the qdisc's answer (NET_XMIT_DROP) goes back to the sender.
    return this.link.transmit(frame, gso);
  }

  /** Queues a frame until resolution; a TCP super-frame waits as the frames it stands for. */
  private enqueueFrames(n: Neighbour, frame: Uint8Array, gso: number): void {
    if (gso === 0) { this.enqueue(n, frame); return; }
    for (const f of segmentTcp(frame, 14, gso)) this.enqueue(n, f);
  }

  /**
   * Information from the neighbour: `mac` (null when the message carried none), `confirmed`
   * (a solicited advertisement / ARP reply to us), `create` (may create an entry: RFC 4861
   * §7.2.3 for solicitations with a source link-layer address, Linux arp_process for requests
   * to us), `override` (RFC 4861 §7.2.5 O flag; ARP always overrides).
   */
  update(key: string, ip: Uint8Array, mac: Uint8Array | null, confirmed: boolean, create: boolean, override: boolean, router?: boolean): void {
    const now = this.sched.now();
    let n = this.entries.get(key);
    if (n === undefined) {
      if (!create || mac === null) return;
      const made = this.create(key, ip, now);
      if (made === null) return;
      n = made;
      n.mac = copyBytes(mac, 0, 6);
      n.state = confirmed ? NUD_REACHABLE : NUD_STALE;
      if (confirmed) n.confirmed = now;
      if (router !== undefined) n.router = router;
      return;
    }
    if (router !== undefined) n.router = router;
    if (n.state === NUD_PERMANENT) return;
    if (n.state === NUD_INCOMPLETE || n.state === NUD_FAILED) {
      // RFC 4861 §7.2.5: an advertisement without a link-layer address cannot complete an entry.
      if (mac === null) return;
      n.mac = copyBytes(mac, 0, 6);
      n.state = confirmed ? NUD_REACHABLE : NUD_STALE;
      n.updated = now;
      if (confirmed) n.confirmed = now;
      this.cancel(n);
      this.flush(n);
      return;
    }
    const changed = mac !== null && !macEquals(mac, n.mac!);
    if (changed && !override) {
      // RFC 4861 §7.2.5: O=0 with a different address: REACHABLE becomes STALE, nothing else.
      if (n.state === NUD_REACHABLE) { n.state = NUD_STALE; n.updated = now; }
      return;
    }
    if (changed) n.mac = copyBytes(mac!, 0, 6);
    if (confirmed || changed) n.updated = now;
    if (confirmed) {
      n.state = NUD_REACHABLE;
      n.confirmed = now;
      n.probes = 0;
      this.cancel(n);
    } else if (changed) {
      n.state = NUD_STALE;
      this.cancel(n);
    }
  }

  /** The entry, with lazy expiry applied. */
  lookup(key: string): Neighbour | undefined {
    const n = this.entries.get(key);
    if (n !== undefined) this.age(n, this.sched.now());
    return n;
  }

  /** Adds a permanent entry (`ip neigh add ... nud permanent`). */
  addPermanent(key: string, ip: Uint8Array, mac: Uint8Array): void {
    // A permanent entry is not counted against gc_thresh (Linux exempt_from_gc).
    let n = this.entries.get(key);
    if (n === undefined) n = this.make(key, ip, this.sched.now());
    else if (n.state !== NUD_PERMANENT) this.group.entries--;
    this.cancel(n);
    n.mac = copyBytes(mac, 0, 6);
    n.state = NUD_PERMANENT;
    this.flush(n);
  }

  delete(key: string): boolean {
    const n = this.entries.get(key);
    if (n === undefined) return false;
    this.cancel(n);
    this.entries.delete(key);
    if (n.state !== NUD_PERMANENT) this.group.entries--;
    return true;
  }

  /** Drops every entry (interface down, host crash). */
  clear(): void {
    for (const n of this.entries.values()) {
      this.cancel(n);
      if (n.state !== NUD_PERMANENT) this.group.entries--;
    }
    this.entries.clear();
  }

  list(format: (ip: Uint8Array) => string): NeighbourInfo[] {
    const now = this.sched.now();
    const out: NeighbourInfo[] = [];
    for (const n of this.entries.values()) {
      this.age(n, now);
      const info: NeighbourInfo = { dst: format(n.ip), dev: this.link.name, state: STATE_NAMES[n.state]! };
      if (n.mac !== null && n.state !== NUD_INCOMPLETE && n.state !== NUD_FAILED) info.lladdr = formatMAC(n.mac);
      if (n.router) info.router = true;
      out.push(info);
    }
    return out;
  }

  // ---- internals ----------------------------------------------------------------------------

  private age(n: Neighbour, now: number): void {
    if (n.state === NUD_REACHABLE && now - n.confirmed > this.reachableMs) {
      n.state = NUD_STALE;
      n.updated = n.confirmed + this.reachableMs; // when Linux's timer would have made it STALE
    }
  }

  /** @internal Lazy expiry of REACHABLE (for NeighbourGroup's collections). */
  ageEntry(n: Neighbour, now: number): void { this.age(n, now); }

  /** A new entry, counted against the family's gc_thresh (Linux neigh_alloc); null when the table is full. */
  private create(key: string, ip: Uint8Array, now: number): Neighbour | null {
    if (!this.group.admit(now, this.params.gcStaleMs, this.params.baseReachableMs / 2)) {
      this.counters['TableFulls']!++;
      return null;
    }
    this.group.entries++;
    return this.make(key, ip, now);
  }

  private make(key: string, ip: Uint8Array, now: number): Neighbour {
    const n = new Neighbour(key, copyBytes(ip));
    n.used = now;
    n.updated = now;
    n.seq = this.group.seq();
    this.entries.set(key, n);
    return n;
  }

  private put(mac: Uint8Array, frame: Uint8Array): void {
    frame[0] = mac[0]!;
    frame[1] = mac[1]!;
    frame[2] = mac[2]!;
    frame[3] = mac[3]!;
    frame[4] = mac[4]!;
    frame[5] = mac[5]!;
  }

  private enqueue(n: Neighbour, frame: Uint8Array): void {
    // Linux __neigh_event_send: each packet charged its skb->truesize; over unres_qlen_bytes the
    // oldest queued packet is dropped. The packets are the host's own or forwarded ones, built in
    // buffers of their own or in slabs shared with others: charged their bytes plus the
    // bookkeeping of a held packet (a locally built SYN-ACK: ~400 bytes; Linux ~900).
    const size = frame.length + SKB_OVERHEAD;
    while (n.queue.length > 0 && n.queueBytes + size > this.params.queueBytes) {
      n.queueBytes -= n.queue.shift()!.length + SKB_OVERHEAD;
      this.counters['UnresolvedDiscards']!++;
    }
    n.queue.push(frame);
    n.queueBytes += size;
  }

  private flush(n: Neighbour): void {
    const q = n.queue;
    if (q.length === 0) return;
    n.queue = [];
    n.queueBytes = 0;
    for (const f of q) {
      this.put(n.mac!, f);
      this.link.transmit(f);
    }
  }

  private startSolicit(n: Neighbour): void {
    // RFC 4861 §7.2.2 / RFC 826: INCOMPLETE, first solicitation now (multicast / broadcast).
    n.state = NUD_INCOMPLETE;
    n.mac = null;
    n.probes = 1;
    this.resolver.solicit(this, n, false);
    this.arm(n, this.params.retransMs);
  }

  private arm(n: Neighbour, ms: number): void {
    if (n.timer !== null) n.timer.cancel();
    // Unref'd: a neighbour being resolved does not keep the process alive by itself.
    n.timer = this.sched.after(ms, () => this.onTimer(n), false);
  }

  private cancel(n: Neighbour): void {
    if (n.timer !== null) {
      n.timer.cancel();
      n.timer = null;
    }
  }

  private timerFired(n: Neighbour): void {
    n.timer = null;
    if (this.entries.get(n.key) !== n) return;
    switch (n.state) {
      case NUD_INCOMPLETE:
        // RFC 4861 §7.3.3 / Linux: MAX_MULTICAST_SOLICIT tries, RetransTimer apart.
        if (n.probes < this.params.mcastSolicit) {
          n.probes++;
          this.resolver.solicit(this, n, false);
          this.arm(n, this.params.retransMs);
        } else this.fail(n);
        return;
      case NUD_DELAY:
        // RFC 4861 §7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME: PROBE with unicast solicitations.
        n.state = NUD_PROBE;
        n.updated = this.sched.now();
        n.probes = 1;
        this.resolver.solicit(this, n, true);
        this.arm(n, this.params.retransMs);
        return;
      case NUD_PROBE:
        if (n.probes < this.params.ucastSolicit) {
          n.probes++;
          this.resolver.solicit(this, n, true);
          this.arm(n, this.params.retransMs);
        } else this.fail(n);
        return;
    }
  }

  private fail(n: Neighbour): void {
    // RFC 4861 §7.3.3: retransmissions exhausted: the entry fails and queued packets are
    // answered with ICMP destination unreachable (address unreachable) to their senders.
    n.state = NUD_FAILED;
    n.updated = this.sched.now();
    n.mac = null;
    this.counters['ResolveFailed']!++;
    const q = n.queue;
    n.queue = [];
    n.queueBytes = 0;
    for (const f of q) this.resolver.unreachable(this, f);
  }
}
