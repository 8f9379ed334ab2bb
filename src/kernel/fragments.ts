// Fragment reassembly for IPv4 (RFC 791 §3.2, RFC 815) and IPv6 (RFC 8200 §4.5), one
// Reassembler per family and host.
//
// - Timeout from the first fragment: 30 s for IPv4 (Linux ipfrag_time; RFC 791 suggests 15 s),
//   60 s for IPv6 (Linux ip6frag_time, RFC 8200 §4.5's 60 s). On expiry the caller may send ICMP time exceeded
//   (code 1) when fragment zero had arrived.
// - Overlaps: any overlap drops the whole datagram (RFC 5722 §4 for IPv6; IPv4 is held to the
//   same rule, as Linux does since 4.19, because overlapping IPv4 fragments are only ever seen
//   in attacks). Exact duplicates (same offset and length) are ignored, as RFC 8200 §4.5 allows
//   and Linux does: networks duplicate packets.
// - Memory (Linux ipfrag_high_thresh, net.ipv6 ip6frag_high_thresh): each fragment is charged
//   the buffer it pins (mem.ts truesize) and each incomplete datagram its own bookkeeping. While
//   the charge is above high_thresh (4 MiB) every fragment is dropped and counted (ReasmFails),
//   also one that would complete a datagram, until datagrams complete or time out: Linux's
//   inet_frag_find since 4.17 (the FragmentSmack fix). ipfrag_low_thresh is kept as a setting
//   with its range and does nothing, as in Linux since 4.17 ("obsolete"); before 4.17 Linux
//   evicted the oldest datagrams down to it instead.
// - One timer per family, not per datagram: datagrams expire in the order they were created
//   (the Map's order), so the timer is armed for the oldest one only.

import type { Scheduler, Timer } from '../links/clock.js';
import type { Counters } from './stats.js';
import { truesize } from './mem.js';
import { INT_MAX, type SysctlSpec, type SysctlTable } from './sysctl.js';

export const REASM_TIMEOUT_MS = 30_000;
export const REASM6_TIMEOUT_MS = 60_000;
export const REASM_HIGH_THRESH = 4 * 1024 * 1024;
export const REASM_LOW_THRESH = 3 * 1024 * 1024;
/**
 * What an incomplete datagram costs besides its fragments: the queue object, its key string,
 * its fragment list, the fragment's entry and the map entry (measured as SKB_OVERHEAD is: a
 * datagram of one 62-byte fragment holds ~985 bytes).
 */
export const FRAG_QUEUE_OVERHEAD = 640;

interface Frag {
  off: number;
  end: number;
  data: Uint8Array;
}

/** An incomplete datagram. */
export class FragQueue {
  frags: Frag[] = [];
  /** Length of the reassembled payload, known once the last fragment arrived; -1 before. */
  total = -1;
  /** Bytes of fragment data held. */
  bytes = 0;
  /** Bytes charged (truesize of the fragments held, plus the queue's own). */
  mem = FRAG_QUEUE_OVERHEAD;
  /** The whole packet that carried offset 0 (its headers are the reassembled datagram's). */
  first: Uint8Array | null = null;
  /** When the first fragment arrived (the datagram expires timeoutMs later). */
  created = 0;
  /** Whatever the caller needs to finish or report (the arrival interface). */
  ifindex = 0;
  constructor(readonly key: string) {}

  /** Copies the fragment data into `out` at `at`, in order. */
  copyInto(out: Uint8Array, at: number): void {
    for (const f of this.frags) out.set(f.data, at + f.off);
  }
}

export interface ReassemblyParams {
  /** ipfrag_time, in ms. */
  timeoutMs: number;
  /** ipfrag_high_thresh, in bytes: over it, fragments are dropped. */
  highThresh: number;
  /** ipfrag_low_thresh: obsolete since Linux 4.17 (a setting that does nothing, kept for scripts). */
  lowThresh: number;
}

export function defaultReassemblyParams(timeoutMs = REASM_TIMEOUT_MS): ReassemblyParams {
  return { timeoutMs, highThresh: REASM_HIGH_THRESH, lowThresh: REASM_LOW_THRESH };
}

/**
 * net.ipv4.ipfrag_{high_thresh,low_thresh,time} or net.ipv6.ip6frag_*, over `p`: Linux's ranges
 * (low_thresh at most high_thresh, high_thresh at least low_thresh; time in seconds).
 */
export function registerFragSysctls(t: SysctlTable, prefix: 'net.ipv4.ipfrag_' | 'net.ipv6.ip6frag_', p: ReassemblyParams): void {
  t.register(`${prefix}high_thresh`, {
    kind: 'int', get: () => p.highThresh, set: (v) => { p.highThresh = v; }, get min() { return p.lowThresh; }, max: INT_MAX,
  } as SysctlSpec);
  t.register(`${prefix}low_thresh`, {
    kind: 'int', get: () => p.lowThresh, set: (v) => { p.lowThresh = v; }, min: 0, get max() { return p.highThresh; },
  } as SysctlSpec);
  t.register(`${prefix}time`, { kind: 'int', get: () => Math.floor(p.timeoutMs / 1000), set: (v) => { p.timeoutMs = v * 1000; }, min: 0, max: INT_MAX / 1000 | 0 });
}

export class Reassembler {
  /** Incomplete datagrams, oldest first. */
  private readonly queues = new Map<string, FragQueue>();
  private mem = 0;
  private timer: Timer | null = null;

  constructor(
    private readonly sched: Scheduler,
    private readonly stats: Counters,
    /** Called when a datagram times out (after it was removed). */
    private readonly onExpire: (q: FragQueue) => void,
    readonly params: ReassemblyParams = defaultReassemblyParams(),
  ) {}

  /** Bytes charged now (fragments' truesize plus the queues' own). */
  get memory(): number {
    return this.mem;
  }

  /** Incomplete datagrams held now. */
  get size(): number {
    return this.queues.size;
  }

  /**
   * Adds one fragment: `off` (bytes) and `data` of the fragmentable part, `more` (MF / M flag),
   * `packet` the whole packet (kept when off is 0; `data` is a view of it), `maxEnd` the largest
   * payload the family allows. Returns the complete queue (already removed) or null.
   */
  add(key: string, off: number, data: Uint8Array, more: boolean, packet: Uint8Array, maxEnd: number, ifindex: number): FragQueue | null {
    const st = this.stats;
    st.ReasmReqds!++;
    // Linux inet_frag_find: over ipfrag_high_thresh (or with it 0) no fragment is taken.
    const high = this.params.highThresh;
    if (high === 0 || this.mem > high) {
      st.ReasmFails!++;
      return null;
    }
    const end = off + data.length;
    let q = this.queues.get(key);
    if (q === undefined) {
      q = new FragQueue(key);
      q.ifindex = ifindex;
      q.created = this.sched.now();
      this.queues.set(key, q);
      this.mem += q.mem;
      // Unref'd: an incomplete datagram does not keep the process alive.
      if (this.timer === null) this.timer = this.sched.after(this.params.timeoutMs, () => { this.expireDue(); }, false);
    }
    // RFC 791 §3.2 / RFC 8200 §4.5: a datagram may not exceed 65535 bytes ("ping of death").
    if (end > maxEnd) return this.kill(q);
    if (!more) {
      // The last fragment fixes the length; a different one later, or data beyond it, is corrupt.
      if (q.total >= 0 && q.total !== end) return this.kill(q);
      for (const f of q.frags) if (f.end > end) return this.kill(q);
      q.total = end;
    } else if (q.total >= 0 && end > q.total) {
      return this.kill(q);
    }
    if (data.length === 0) {
      // Linux drops empty fragments; an empty last fragment still sets the length above.
      if (more) return null;
    }
    // Insert in order; RFC 5722 §4: any overlap discards the datagram; exact duplicates are ignored.
    const fs = q.frags;
    let i = fs.length;
    while (i > 0 && fs[i - 1]!.off > off) i--;
    const prev = i > 0 ? fs[i - 1]! : null;
    const next = i < fs.length ? fs[i]! : null;
    if (prev !== null && prev.off === off && prev.end === end) return null;
    if ((prev !== null && prev.end > off) || (next !== null && next.off < end)) {
      st.ReasmOverlaps!++;
      return this.kill(q);
    }
    if (data.length > 0) {
      fs.splice(i, 0, { off, end, data });
      q.bytes += data.length;
      // The fragment pins the buffer it arrived in (its data and, for the first, the packet are views of it).
      const t = truesize(packet);
      q.mem += t;
      this.mem += t;
    }
    if (off === 0) q.first = packet;
    if (q.total >= 0 && q.first !== null && q.bytes === q.total) {
      this.remove(q);
      st.ReasmOKs!++;
      return q;
    }
    return null;
  }

  /** Drops everything (host crash). */
  clear(): void {
    this.timer?.cancel();
    this.timer = null;
    this.queues.clear();
    this.mem = 0;
  }

  private remove(q: FragQueue): void {
    if (this.queues.get(q.key) === q) {
      this.queues.delete(q.key);
      this.mem -= q.mem;
    }
    q.mem = 0;
    if (this.queues.size === 0 && this.timer !== null) {
      this.timer.cancel();
      this.timer = null;
    }
  }

  private kill(q: FragQueue): null {
    this.remove(q);
    q.bytes = 0;
    this.stats.ReasmFails!++;
    return null;
  }

  /** The timer: expires every datagram whose time is up, then waits for the oldest left. */
  private expireDue(): void {
    this.timer = null;
    const now = this.sched.now();
    const t = this.params.timeoutMs;
    for (const q of this.queues.values()) {
      const due = q.created + t;
      if (due > now) {
        this.timer = this.sched.after(due - now, () => { this.expireDue(); }, false);
        return;
      }
      this.remove(q);
      this.stats.ReasmTimeout!++;
      this.stats.ReasmFails!++;
      this.onExpire(q);
    }
  }
}
