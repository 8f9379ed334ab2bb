// Fragment reassembly for IPv4 (RFC 791 §3.2, RFC 815) and IPv6 (RFC 8200 §4.5), one
// Reassembler per family and host.
//
// - Timeout: 30 s from the first fragment (Linux ipfrag_time = 30 s; RFC 791 suggests 15 s,
//   RFC 8200 §4.5 requires 60 s at most). On expiry the caller may send ICMP time exceeded
//   (code 1) when fragment zero had arrived.
// - Overlaps: any overlap drops the whole datagram (RFC 5722 §4 for IPv6; IPv4 is held to the
//   same rule, as Linux does since 4.19, because overlapping IPv4 fragments are only ever seen
//   in attacks). Exact duplicates (same offset and length) are ignored, as RFC 8200 §4.5 allows
//   and Linux does: networks duplicate packets.
// - Memory: at most 4 MiB of fragment data per host and family (Linux ipfrag_high_thresh);
//   over it the oldest incomplete datagrams are dropped.

import type { Scheduler, Timer } from '../links/clock.js';
import type { Counters } from './stats.js';

export const REASM_TIMEOUT_MS = 30_000;
export const REASM_HIGH_THRESH = 4 * 1024 * 1024;

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
  /** The whole packet that carried offset 0 (its headers are the reassembled datagram's). */
  first: Uint8Array | null = null;
  timer: Timer | null = null;
  /** Whatever the caller needs to finish or report (the arrival interface). */
  ifindex = 0;
  constructor(readonly key: string) {}

  /** Copies the fragment data into `out` at `at`, in order. */
  copyInto(out: Uint8Array, at: number): void {
    for (const f of this.frags) out.set(f.data, at + f.off);
  }
}

export interface ReassemblyParams {
  timeoutMs: number;
  highThresh: number;
}

export class Reassembler {
  private readonly queues = new Map<string, FragQueue>();
  private mem = 0;

  constructor(
    private readonly sched: Scheduler,
    private readonly stats: Counters,
    /** Called when a datagram times out (after it was removed). */
    private readonly onExpire: (q: FragQueue) => void,
    readonly params: ReassemblyParams = { timeoutMs: REASM_TIMEOUT_MS, highThresh: REASM_HIGH_THRESH },
  ) {}

  /** Bytes of fragment data held now. */
  get memory(): number {
    return this.mem;
  }

  /** Incomplete datagrams held now. */
  get size(): number {
    return this.queues.size;
  }

  /**
   * Adds one fragment: `off` (bytes) and `data` of the fragmentable part, `more` (MF / M flag),
   * `packet` the whole packet (kept when off is 0), `maxEnd` the largest payload the family
   * allows. Returns the complete queue (already removed) or null.
   */
  add(key: string, off: number, data: Uint8Array, more: boolean, packet: Uint8Array, maxEnd: number, ifindex: number): FragQueue | null {
    const st = this.stats;
    st.ReasmReqds!++;
    const end = off + data.length;
    let q = this.queues.get(key);
    if (q === undefined) {
      q = new FragQueue(key);
      q.ifindex = ifindex;
      const qq = q;
      // Unref'd: an incomplete datagram does not keep the process alive.
      q.timer = this.sched.after(this.params.timeoutMs, () => this.expire(qq), false);
      this.queues.set(key, q);
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
      this.mem += data.length;
    }
    if (off === 0) q.first = packet;
    if (q.total >= 0 && q.first !== null && q.bytes === q.total) {
      this.remove(q);
      st.ReasmOKs!++;
      return q;
    }
    // Linux ipfrag_high_thresh: over the bound, drop the oldest incomplete datagrams.
    while (this.mem > this.params.highThresh) {
      const oldest = this.queues.values().next().value as FragQueue;
      this.kill(oldest);
      if (oldest === q) break;
    }
    return null;
  }

  /** Drops everything (host crash). */
  clear(): void {
    for (const q of this.queues.values()) q.timer?.cancel();
    this.queues.clear();
    this.mem = 0;
  }

  private remove(q: FragQueue): void {
    if (this.queues.get(q.key) === q) this.queues.delete(q.key);
    q.timer?.cancel();
    q.timer = null;
    this.mem -= q.bytes;
  }

  private kill(q: FragQueue): null {
    this.remove(q);
    q.bytes = 0;
    this.stats.ReasmFails!++;
    return null;
  }

  private expire(q: FragQueue): void {
    if (this.queues.get(q.key) !== q) return;
    q.timer = null;
    this.remove(q);
    this.stats.ReasmTimeout!++;
    this.stats.ReasmFails!++;
    this.onExpire(q);
  }
}
