// Send and receive queues.
//
// Send queue: a list of chunks (Skb, after Linux's sk_buff) in sequence order. write() copies the
// caller's bytes once, into the payload area of a chunk that leaves SKB_ROOM bytes free in front
// (the network headroom plus the largest TCP header). A chunk grows up to one segment's worth
// ("size goal": the MSS, 64 KiB-ish on loopback), so the first transmission of a whole chunk
// writes the TCP header into that free room and hands the very same buffer to IP: one copy from
// the application to the wire. Once sent, a chunk's bytes are never written again (the wire may
// keep the frame, and on loopback the receiver holds views of it); retransmissions and segments
// cut differently build a fresh buffer (the slow path).
//
// Receive queue: views of arriving frames, handed to read() without copying; read() copies only
// when asked for more than the first view holds. Out-of-order data waits in a sorted list.
import { HEADROOM } from '../ip-types.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqSub } from './seq.js';
import { SKB_OVERHEAD, truesize } from '../mem.js';
import { peekViews } from '../socket.js';

/** Free bytes before each chunk's payload: headroom for IP and link headers, plus 60 for TCP's. */
export const SKB_ROOM = HEADROOM + 60;
/** Linux MAX_SKB_FRAGS: buffers one packet may reference (a zerocopy send's iovec pieces). */
export const MAX_SKB_FRAGS = 17;
/**
 * What a send-queue chunk costs against SO_SNDBUF beyond its payload, as Linux charges an skb of
 * tcp_stream_alloc_skb (x86-64): SKB_TRUESIZE(skb_end_offset) of a MAX_TCP_HEADER head =
 * sk_buff 256 + skb_shared_info 320 + the 704 bytes of its 1 KiB kmalloc head.
 */
export const SKB_TRUESIZE_HEAD = 1280;
/**
 * Linux tcp_fragment's allowance beyond SO_SNDBUF for cutting sent chunks: twice
 * SKB_TRUESIZE(GSO_LEGACY_MAX_SIZE) (64 KiB of data plus a 256-byte sk_buff and a 320-byte
 * skb_shared_info), since tcp_sendmsg may overshoot sk_wmem_queued by one whole chunk.
 */
export const FRAGMENT_SLACK = 2 * (65536 + 256 + 320);
/** A new chunk for a small write starts this big and grows by reallocation while unsent. */
const SKB_MIN_ALLOC = 2048;
/**
 * Small chunks are carved from slabs this big: fewer allocations for the GC to track. Slabs and
 * large chunks (up to 64 KiB + room on loopback) stay below glibc's default mmap threshold
 * (128 KiB), so freed storage is reused from the heap instead of being mapped afresh (page faults).
 */
const SLAB_SIZE = 64 << 10;
/** A host's first slab (then 16, 32, 64 KiB). */
const SLAB_FIRST = 8 << 10;
const EMPTY_SLAB = new Uint8Array(0);

/**
 * Storage for send-queue chunks, one per host: pieces of a slab (8-byte aligned), or a buffer of
 * their own when larger than a quarter slab that does not fit. A slab is freed by the GC once
 * none of its pieces is referenced any more (sent frames, views a receiver holds).
 */
export class ChunkAllocator {
  private slab: Uint8Array = EMPTY_SLAB;
  private used = 0;
  /**
   * The next slab's size: a host's first slab is small and each next one twice the last, up to
   * SLAB_SIZE, so that the many hosts of a big network that write a little do not each hold 64 KiB.
   */
  private nextSlab = SLAB_FIRST;

  alloc(size: number): Uint8Array {
    if (this.used + size > this.slab.length) {
      const n = this.nextSlab;
      if (size > SLAB_SIZE >> 2 || size > n) return Buffer.allocUnsafeSlow(size);
      if (n < SLAB_SIZE) this.nextSlab = n * 2;
      this.slab = Buffer.allocUnsafeSlow(n);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + size);
    this.used = (this.used + size + 7) & ~7;
    return out;
  }
}

export class Skb {
  /** Whether the room before `off` may still take this chunk's header (never sent, never cut). */
  inPlace = true;
  /** Time of the last transmission (-1: never sent). */
  sentAt = -1;
  /** Time of the first transmission. */
  firstSentAt = -1;
  /** Transmissions so far. */
  txCount = 0;
  /**
   * Rank of the latest transmission among the connection's (RACK's order of transmissions:
   * RFC 8985 §6.2 breaks ties of equal times by sequence number, which a clock that stands still
   * between a retransmission and the new data after it would get wrong).
   */
  txOrder = 0;
  /** RFC 6675 scoreboard: SACKed by the receiver. */
  sacked = false;
  /** Deemed lost (RFC 6675 IsLost, or everything after an RTO). */
  lost = false;
  /** Retransmitted and not yet acknowledged or SACKed since (Linux TCPCB_SACKED_RETRANS). */
  retrans = false;
  /** Ever retransmitted (RFC 6298 §3, Karn: no RTT sample from it). */
  everRetrans = false;
  /** Zerocopy buffers this chunk references (Linux skb frags; at most MAX_SKB_FRAGS). */
  frags = 0;
  /** PSH goes with this chunk (Linux tcp_mark_push), besides the queue's last. */
  psh = false;
  /** Ends a record (MSG_EOR): later writes start a new chunk, never merged with it (Linux TCP_SKB_CB eor). */
  eor = false;
  /** Neighbours in the send queue's transmission-time list (SendQueue.tsHead), while linked. */
  tsPrev: Skb | null = null;
  tsNext: Skb | null = null;
  tsLinked = false;

  constructor(
    public seq: number,
    public buf: Uint8Array,
    public off: number,
    public len: number,
    public fin: boolean,
  ) {}

  /** Sequence number just past this chunk (a FIN takes one). */
  get end(): number { return (this.seq + this.len + (this.fin ? 1 : 0)) >>> 0; }
  /** Payload capacity of the buffer. */
  get cap(): number { return this.buf.length - this.off; }
}

export class SendQueue {
  /** Chunks in sequence order; [head, sendIdx) were sent, [sendIdx, length) not yet. */
  skbs: Skb[] = [];
  head = 0;
  sendIdx = 0;
  /** Payload bytes held (sent and unacknowledged, plus unsent). */
  bytes = 0;
  /** Payload bytes not yet sent. */
  unsentBytes = 0;
  /**
   * Sent chunks whose latest transmission may still be in flight (neither acknowledged, SACKed
   * nor deemed lost since), oldest transmission first (Linux tsorted_sent_queue): RACK's loss
   * detection walks it from the head and stops at the first chunk sent after RACK.xmit_ts.
   */
  tsHead: Skb | null = null;
  tsTail: Skb | null = null;

  get count(): number { return this.skbs.length - this.head; }
  /** What the queue costs against SO_SNDBUF (Linux sk_wmem_queued: each chunk's truesize). */
  get wmem(): number { return this.bytes + (this.skbs.length - this.head) * SKB_TRUESIZE_HEAD; }
  get empty(): boolean { return this.head >= this.skbs.length; }
  first(): Skb | undefined { return this.skbs[this.head]; }
  last(): Skb | undefined { return this.head < this.skbs.length ? this.skbs[this.skbs.length - 1] : undefined; }
  /** The first chunk never sent. */
  unsent(): Skb | undefined { return this.skbs[this.sendIdx]; }
  /** Whether a FIN is queued (sent or not). */
  hasFin(): boolean { const l = this.last(); return l !== undefined && l.fin; }

  /**
   * Copies `data[from, from + n)` to the tail, the first byte getting sequence number `seq`;
   * chunks hold at most `goal` payload bytes. `zc`: a zerocopy send's buffer, which Linux would
   * reference as one fragment of each chunk it lands in: a chunk takes at most MAX_SKB_FRAGS.
   */
  append(data: Uint8Array, from: number, n: number, seq: number, goal: number, mem: ChunkAllocator, zc = false): void {
    this.bytes += n;
    this.unsentBytes += n;
    let tail = this.sendIdx < this.skbs.length ? this.skbs[this.skbs.length - 1]! : undefined;
    if (tail !== undefined && tail.eor) tail = undefined;
    if (zc && tail !== undefined && tail.frags >= MAX_SKB_FRAGS) {
      tail.psh = true; // Linux tcp_sendmsg_locked: a chunk out of fragments is pushed, a new one begun
      tail = undefined;
    }
    let counted: Skb | undefined;
    while (n > 0) {
      if (tail !== undefined && !tail.fin && tail.len < goal) {
        if (zc && tail !== counted) { tail.frags++; counted = tail; }
        let room = tail.cap - tail.len;
        if (room === 0) {
          // Grow the unsent tail chunk (its few bytes are copied again, the price of coalescing small writes).
          const size = Math.min(goal, Math.max(tail.cap * 2, tail.len + n));
          const nb = mem.alloc(SKB_ROOM + size);
          nb.set(tail.buf.subarray(tail.off, tail.off + tail.len), SKB_ROOM);
          tail.buf = nb;
          tail.off = SKB_ROOM;
          room = size - tail.len;
        }
        const k = room < n ? room : n;
        tail.buf.set(k === data.length && from === 0 ? data : data.subarray(from, from + k), tail.off + tail.len);
        tail.len += k;
        from += k;
        n -= k;
        seq = seqAdd(seq, k);
        continue;
      }
      // A bulk writer (a write of a whole chunk or more) gets whole chunks at once, also for the
      // rest of a write that spills into a new chunk: the next write fills it without a regrow.
      const size = data.length >= goal ? goal : Math.min(goal, Math.max(n, SKB_MIN_ALLOC));
      const buf = mem.alloc(SKB_ROOM + size);
      tail = new Skb(seq, buf, SKB_ROOM, 0, false);
      this.skbs.push(tail);
    }
  }

  /** Queues a FIN after everything else (on the unsent tail chunk, or as a chunk of its own). */
  appendFin(seq: number): void {
    const tail = this.sendIdx < this.skbs.length ? this.skbs[this.skbs.length - 1]! : undefined;
    if (tail !== undefined && !tail.fin) { tail.fin = true; return; }
    this.skbs.push(new Skb(seq, EMPTY, 0, 0, true));
  }

  /** Marks the first unsent chunk as sent. */
  advanceSend(): void {
    const s = this.skbs[this.sendIdx]!;
    this.unsentBytes -= s.len;
    this.sendIdx++;
  }

  /** Puts a chunk just (re)transmitted at the tail of the transmission-time list. */
  tsPush(s: Skb): void {
    if (s.tsLinked) {
      if (this.tsTail === s) return;
      this.tsUnlink(s);
    }
    const t = this.tsTail;
    s.tsPrev = t;
    s.tsNext = null;
    if (t !== null) t.tsNext = s;
    else this.tsHead = s;
    this.tsTail = s;
    s.tsLinked = true;
  }

  /** Takes a chunk out of the transmission-time list (acknowledged, SACKed or deemed lost). */
  tsUnlink(s: Skb): void {
    if (!s.tsLinked) return;
    const p = s.tsPrev;
    const n = s.tsNext;
    if (p !== null) p.tsNext = n;
    else this.tsHead = n;
    if (n !== null) n.tsPrev = p;
    else this.tsTail = p;
    s.tsPrev = null;
    s.tsNext = null;
    s.tsLinked = false;
  }

  /** Removes the first chunk (fully acknowledged). */
  shift(): Skb {
    const s = this.skbs[this.head]!;
    if (s.tsLinked) this.tsUnlink(s);
    this.skbs[this.head] = undefined as unknown as Skb;
    this.head++;
    this.bytes -= s.len;
    if (this.sendIdx < this.head) { this.unsentBytes -= s.len; this.sendIdx = this.head; }
    if (this.head === this.skbs.length) {
      this.skbs.length = 0;
      this.sendIdx -= this.head;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.skbs.length) {
      this.skbs.splice(0, this.head);
      this.sendIdx -= this.head;
      this.head = 0;
    }
    return s;
  }

  /** Drops the first `n` payload bytes of the first chunk (a partial acknowledgment). */
  trimHead(n: number): void {
    const s = this.skbs[this.head]!;
    s.seq = seqAdd(s.seq, n);
    s.off += n;
    s.len -= n;
    s.inPlace = false;
    this.bytes -= n;
    if (this.sendIdx === this.head) this.unsentBytes -= n;
  }

  /**
   * Cuts the chunk at absolute index `i` after `n` payload bytes into two chunks sharing the
   * buffer (no copy). The second one can no longer be sent in place.
   */
  split(i: number, n: number): void {
    const s = this.skbs[i]!;
    const t = new Skb(seqAdd(s.seq, n), s.buf, s.off + n, s.len - n, s.fin);
    t.inPlace = false;
    t.sentAt = s.sentAt;
    t.firstSentAt = s.firstSentAt;
    t.txCount = s.txCount;
    t.txOrder = s.txOrder;
    t.sacked = s.sacked;
    t.lost = s.lost;
    t.retrans = s.retrans;
    t.everRetrans = s.everRetrans;
    t.psh = s.psh;
    s.psh = false;
    t.eor = s.eor; // Linux tcp_skb_fragment_eor
    s.eor = false;
    if (s.tsLinked) {
      // Both pieces were sent at the same time: the second follows the first in the time list.
      const nx = s.tsNext;
      t.tsPrev = s;
      t.tsNext = nx;
      t.tsLinked = true;
      s.tsNext = t;
      if (nx !== null) nx.tsPrev = t;
      else this.tsTail = t;
    }
    s.len = n;
    s.fin = false;
    this.skbs.splice(i + 1, 0, t);
    if (this.sendIdx > i) this.sendIdx++;
  }

  /**
   * Linux tcp_fragment's guard for chunks already sent (TCP_FRAG_IN_RTX_QUEUE): no cut while
   * half of what the queue is charged (sk_wmem_queued) exceeds `sndbuf` plus FRAGMENT_SLACK,
   * except of the first or the last chunk sent: a peer's SACK blocks cannot cut the queue into
   * ever more chunks of a few bytes, each charged a whole chunk's bookkeeping (CVE-2019-11478).
   */
  mayCutSent(i: number, sndbuf: number): boolean {
    return this.wmem >> 1 <= sndbuf + FRAGMENT_SLACK || i === this.head || i === this.sendIdx - 1;
  }

  /** Absolute index of the chunk holding sequence number `seq`, or -1. */
  indexOf(seq: number): number {
    const a = this.skbs;
    let lo = this.head;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = a[mid]!;
      if (seqLt(seq, s.seq)) hi = mid - 1;
      else if (seqGe(seq, s.end) && !(s.len === 0 && s.seq === seq)) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** Copies payload bytes [seq, seq + n) into `dst` at `at`; they may span several chunks. */
  copyOut(seq: number, n: number, dst: Uint8Array, at: number): void {
    let i = this.indexOf(seq);
    while (n > 0 && i >= 0 && i < this.skbs.length) {
      const s = this.skbs[i]!;
      const from = seqSub(seq, s.seq);
      let k = s.len - from;
      if (k > n) k = n;
      if (k > 0) {
        dst.set(s.buf.subarray(s.off + from, s.off + from + k), at);
        at += k;
        n -= k;
        seq = seqAdd(seq, k);
      }
      i++;
    }
  }

  /** Forgets everything (reset, abort). */
  clear(): void {
    this.skbs = [];
    this.tsHead = null;
    this.tsTail = null;
    this.head = 0;
    this.sendIdx = 0;
    this.bytes = 0;
    this.unsentBytes = 0;
  }
}

const EMPTY = new Uint8Array(0);

/** In-order received data, as views of the frames it arrived in. */
export class RecvQueue {
  private views: Uint8Array[] = [];
  private head = 0;
  /** Bytes of views[head] already read. */
  private headOff = 0;
  bytes = 0;
  /** Bytes charged: the truesize of every view held (mem.ts; Linux sk_rmem_alloc's share). */
  mem = 0;

  get count(): number { return this.views.length - this.head; }

  push(v: Uint8Array): void {
    if (v.length === 0) return;
    this.views.push(v);
    this.bytes += v.length;
    this.mem += truesize(v);
  }

  /**
   * Whether copying the data into compact buffers would free at least half of what it holds
   * (views pinning much larger frames, or many small ones).
   */
  wasteful(): boolean {
    return this.mem > 2 * (this.bytes + (this.count > 0 ? SKB_OVERHEAD : 0)) && this.count > 1;
  }

  /** Linux tcp_collapse on the receive queue: the unread bytes copied into one compact buffer. */
  collapse(): void {
    if (this.bytes === 0) return;
    const out = new Uint8Array(this.bytes);
    let at = 0;
    for (let i = this.head; i < this.views.length; i++) {
      const v = this.views[i]!;
      const w = i === this.head && this.headOff > 0 ? v.subarray(this.headOff) : v;
      out.set(w, at);
      at += w.length;
    }
    this.views = [out];
    this.head = 0;
    this.headOff = 0;
    this.mem = truesize(out);
  }

  /**
   * Up to `max` bytes. A view of the frame when the first view holds at least half of `max`
   * (a shorter read is what a stream socket may return); small pieces are joined by one copy.
   */
  read(max: number): Uint8Array {
    const v = this.views[this.head]!;
    const avail = v.length - this.headOff;
    if (avail >= max || avail * 2 >= max || this.head === this.views.length - 1) {
      const n = avail < max ? avail : max;
      const out = this.headOff === 0 && n === v.length ? v : v.subarray(this.headOff, this.headOff + n);
      this.consume(n);
      return out;
    }
    // RFC 9293 §3.9.1 RECEIVE: the buffer is filled from several segments; one copy to join them.
    const n = this.bytes < max ? this.bytes : max;
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const w = this.views[this.head]!;
      const k = Math.min(w.length - this.headOff, n - at);
      out.set(w.subarray(this.headOff, this.headOff + k), at);
      at += k;
      this.consume(k);
    }
    return out;
  }

  /** Up to `max` bytes from the front, left queued (MSG_PEEK). */
  peek(max: number): Uint8Array {
    return peekViews(this.views, this.head, this.headOff, this.bytes < max ? this.bytes : max);
  }

  private consume(n: number): void {
    this.bytes -= n;
    this.headOff += n;
    const v = this.views[this.head]!;
    if (this.headOff >= v.length) {
      this.mem -= truesize(v);
      this.views[this.head] = EMPTY;
      this.head++;
      this.headOff = 0;
      if (this.head === this.views.length) { this.views.length = 0; this.head = 0; }
      else if (this.head >= 1024 && this.head * 2 >= this.views.length) { this.views.splice(0, this.head); this.head = 0; }
    }
  }

  clear(): void {
    this.views = [];
    this.head = 0;
    this.headOff = 0;
    this.bytes = 0;
    this.mem = 0;
  }
}

/** One held out-of-order segment: a node of the queue's skip list. */
class OooNode {
  /** Successors at each level (next[0]: the following segment). */
  next: Array<OooNode | null>;
  /** The preceding segment (level 0), or null for the first. */
  prev: OooNode | null = null;
  constructor(public seq: number, public end: number, public data: Uint8Array, public mem: number, levels: number) {
    this.next = new Array<OooNode | null>(levels).fill(null);
  }
}

const MAX_LEVEL = 20;
/** The SACK blocks of a queue that has never held a segment (shared, frozen: noteSack makes a queue its own). */
const NO_BLOCKS: ReadonlyArray<[number, number]> = Object.freeze([]);
/** Collapsed runs are copied into buffers of at most this much (Linux collapses into page-sized skbs). */
const COLLAPSE_CHUNK = 64 << 10;

/**
 * Segments that arrived above RCV.NXT (RFC 9293 §3.10.7.4: "segments with higher beginning
 * sequence numbers ... may be held for later processing"), sorted and without overlap, in a
 * skip list (Linux keeps them in an rbtree): O(log n) to insert anywhere, O(1) to take the first.
 * Each segment is charged its truesize (mem.ts); the owner keeps the total under SO_RCVBUF with
 * collapse() and pruneFrom() (Linux tcp_collapse_ofo_queue, tcp_prune_ofo_queue).
 * SACK blocks are kept as Linux keeps them (tcp_sack_new_ofo_skb): at most four, the one with
 * the latest segment first (RFC 2018 §4), extended and merged as segments arrive.
 */
export class OooQueue {
  /** The skip list's head and the search's scratch, made with the first segment held (most connections never hold one). */
  private _head: OooNode | null = null;
  private _update: OooNode[] | null = null;
  private tail: OooNode | null = null;
  private level = 1;
  private rnd = 0x2545f491;
  /** Segments held. */
  count = 0;
  /** Payload bytes held. */
  bytes = 0;
  /** Bytes charged (truesize of every segment). */
  mem = 0;
  /** Sequence number of a FIN seen out of order, or -1. */
  finSeq = -1;
  /** SACK blocks, the most recent first (RFC 2018 §4), each [start, end). */
  blocks: Array<[number, number]> = NO_BLOCKS as Array<[number, number]>;
  /** Skip-list nodes visited by searches so far (what an insert costs, counted rather than timed). */
  steps = 0;

  private get head(): OooNode { return this._head ??= new OooNode(0, 0, EMPTY, 0, MAX_LEVEL); }
  private get update(): OooNode[] { return this._update ??= new Array<OooNode>(MAX_LEVEL); }

  get empty(): boolean { return this.count === 0 && this.finSeq < 0; }

  /** The held segments in order (for tests and invariant checks). */
  segments(): Array<{ seq: number; end: number; data: Uint8Array }> {
    const out: Array<{ seq: number; end: number; data: Uint8Array }> = [];
    for (let n = this.head.next[0]!; n !== null; n = n.next[0]!) out.push({ seq: n.seq, end: n.end, data: n.data });
    return out;
  }

  /** The sequence number just past the highest segment held (only when count > 0). */
  get highest(): number { return this.tail!.end; }

  /**
   * Inserts data starting at `seq` (the parts not held already); returns the number of new bytes
   * kept. The caller made room for truesize(data) first.
   */
  insert(seq: number, data: Uint8Array, fin: boolean): number {
    const end = seqAdd(seq, data.length);
    if (fin) this.finSeq = end;
    if (data.length === 0) return 0;
    this.noteSack(seq, end);
    // The first segment ending after seq.
    const f = this.floor(seq);
    let next = f !== null && seqGt(f.end, seq) ? f : f !== null ? f.next[0]! : this.head.next[0]!;
    let added = 0;
    let cur = seq;
    while (seqLt(cur, end)) {
      if (next === null || seqLe(end, next.seq)) {
        added += this.put(cur, end, cur === seq ? data : data.subarray(seqSub(cur, seq)));
        break;
      }
      if (seqLt(cur, next.seq)) added += this.put(cur, next.seq, data.subarray(seqSub(cur, seq), seqSub(next.seq, seq)));
      if (seqGt(next.end, cur)) cur = next.end;
      next = next.next[0]!;
    }
    return added;
  }

  /**
   * Moves data now in order (starting at or below `rcvNxt`) out: calls `take` with each piece
   * (trimmed to start at rcvNxt) and returns the new RCV.NXT.
   */
  drain(rcvNxt: number, take: (data: Uint8Array) => void): number {
    let n = this.head.next[0]!;
    while (n !== null && seqLe(n.seq, rcvNxt)) {
      this.unlinkFirst(n);
      if (seqGt(n.end, rcvNxt)) {
        take(seqSub(rcvNxt, n.seq) === 0 ? n.data : n.data.subarray(seqSub(rcvNxt, n.seq)));
        rcvNxt = n.end;
      }
      n = this.head.next[0]!;
    }
    // Linux tcp_sack_remove: blocks now at or below RCV.NXT are gone.
    const b = this.blocks;
    for (let i = b.length - 1; i >= 0; i--) if (seqLe(b[i]![0], rcvNxt)) b.splice(i, 1);
    return rcvNxt;
  }

  /**
   * Up to `max` SACK blocks (RFC 2018 §4): the block holding the most recently received
   * segment first, then the most recently reported others.
   */
  sackBlocks(max: number, rcvNxt: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const b of this.blocks) {
      if (out.length >= max) break;
      if (seqGt(b[1], rcvNxt)) out.push(b);
    }
    return out;
  }

  /** Whether collapse() would free at least half of what the queue is charged. */
  wasteful(): boolean {
    return this.count > 0 && this.mem > 2 * (this.bytes + this.count * SKB_OVERHEAD);
  }

  /**
   * Linux tcp_collapse_ofo_queue: every run of contiguous segments is copied into compact
   * buffers (up to 64 KiB each), and a lone segment pinning a much larger frame into one of its
   * own size. Returns the bytes freed.
   */
  collapse(): number {
    const before = this.mem;
    const segs: OooNode[] = [];
    let n = this.head.next[0]!;
    while (n !== null) {
      // The run from n: contiguous segments, up to COLLAPSE_CHUNK bytes.
      let r = n;
      let len = n.data.length;
      let runMem = n.mem;
      while (r.next[0] !== null && r.next[0]!.seq === r.end && len + r.next[0]!.data.length <= COLLAPSE_CHUNK) {
        r = r.next[0]!;
        len += r.data.length;
        runMem += r.mem;
      }
      const after = r.next[0]!;
      if (r === n && n.mem <= 2 * (len + SKB_OVERHEAD)) {
        segs.push(n);
      } else {
        const out = new Uint8Array(len);
        let at = 0;
        for (let k = n; ; k = k.next[0]!) { out.set(k.data, at); at += k.data.length; if (k === r) break; }
        const t = truesize(out);
        if (t < runMem) segs.push(new OooNode(n.seq, r.end, out, t, 1));
        else for (let k = n; ; k = k.next[0]!) { segs.push(k); if (k === r) break; }
      }
      n = after;
    }
    this.rebuild(segs);
    return before - this.mem;
  }

  /**
   * Linux tcp_prune_ofo_queue: drops held segments from the highest down, only those beginning
   * at or after `seq` (the segment being made room for), until `need` bytes are free. Returns the
   * bytes freed.
   */
  pruneFrom(seq: number, need: number): number {
    let freed = 0;
    while (freed < need && this.tail !== null && seqGe(this.tail.seq, seq)) {
      const t = this.tail;
      freed += t.mem;
      this.unlink(t);
    }
    if (freed > 0) {
      // The blocks reach no further than what is left (Linux resets them; keeping the rest tells the sender more).
      const top = this.tail !== null ? this.tail.end : -1;
      const b = this.blocks;
      for (let i = b.length - 1; i >= 0; i--) {
        if (top === -1 || seqGe(b[i]![0], top)) b.splice(i, 1);
        else if (seqGt(b[i]![1], top)) b[i] = [b[i]![0], top];
      }
      if (this.finSeq >= 0 && (top === -1 || seqGt(this.finSeq, top))) this.finSeq = -1;
    }
    return freed;
  }

  clear(): void {
    this._head?.next.fill(null);
    this.tail = null;
    this.level = 1;
    this.count = 0;
    this.bytes = 0;
    this.mem = 0;
    this.finSeq = -1;
    this.blocks = NO_BLOCKS as Array<[number, number]>;
  }

  // ---- the skip list ----------------------------------------------------------------------------

  /** The last segment beginning at or before seq, or null. */
  private floor(seq: number): OooNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = x.next[i]!;
      while (nx !== null && seqLe(nx.seq, seq)) { x = nx; nx = x.next[i]!; this.steps++; }
    }
    this.steps += this.level;
    return x === this.head ? null : x;
  }

  /** Adds [seq, end) holding `data` (a gap between held segments); returns its length. */
  private put(seq: number, end: number, data: Uint8Array): number {
    const up = this.update;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = x.next[i]!;
      while (nx !== null && seqLt(nx.seq, seq)) { x = nx; nx = x.next[i]!; this.steps++; }
      up[i] = x;
    }
    this.steps += this.level;
    const lv = this.randomLevel();
    if (lv > this.level) {
      for (let i = this.level; i < lv; i++) up[i] = this.head;
      this.level = lv;
    }
    const node = new OooNode(seq, end, data, truesize(data), lv);
    for (let i = 0; i < lv; i++) {
      node.next[i] = up[i]!.next[i]!;
      up[i]!.next[i] = node;
    }
    const after = node.next[0]!;
    node.prev = up[0] === this.head ? null : up[0]!;
    if (after !== null) after.prev = node;
    else this.tail = node;
    this.count++;
    this.bytes += data.length;
    this.mem += node.mem;
    return data.length;
  }

  private unlinkFirst(n: OooNode): void {
    const h = this.head;
    for (let i = 0; i < n.next.length; i++) if (h.next[i] === n) h.next[i] = n.next[i]!;
    const after = n.next[0]!;
    if (after !== null) after.prev = null;
    else this.tail = null;
    this.dropped(n);
  }

  private unlink(n: OooNode): void {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = x.next[i]!;
      while (nx !== null && nx !== n && seqLt(nx.seq, n.seq)) { x = nx; nx = x.next[i]!; }
      if (nx === n) x.next[i] = n.next[i]!;
    }
    const after = n.next[0]!;
    if (after !== null) after.prev = n.prev;
    else this.tail = n.prev;
    this.dropped(n);
  }

  private dropped(n: OooNode): void {
    this.count--;
    this.bytes -= n.data.length;
    this.mem -= n.mem;
    while (this.level > 1 && this.head.next[this.level - 1] === null) this.level--;
  }

  /** Rebuilds the list from segments in order (after collapse). */
  private rebuild(segs: OooNode[]): void {
    const blocks = this.blocks;
    const fin = this.finSeq;
    this.clear();
    this.blocks = blocks;
    this.finSeq = fin;
    for (const n of segs) this.put(n.seq, n.end, n.data);
  }

  /** Levels with probability 1/4 each (deterministic: xorshift32 from a fixed seed). */
  private randomLevel(): number {
    let r = this.rnd;
    r ^= r << 13; r ^= r >>> 17; r ^= r << 5;
    this.rnd = r >>> 0;
    let lv = 1;
    while (lv < MAX_LEVEL && (r & 3) === 0) { lv++; r >>>= 2; }
    return lv;
  }

  /** Linux tcp_sack_new_ofo_skb: a new segment extends the block it touches (moved first) or starts one. */
  private noteSack(seq: number, end: number): void {
    let b = this.blocks;
    if (b === NO_BLOCKS) b = this.blocks = [];
    for (let i = 0; i < b.length; i++) {
      const x = b[i]!;
      if (seqLe(seq, x[1]) && seqLe(x[0], end)) {
        let lo = seqLt(seq, x[0]) ? seq : x[0];
        let hi = seqGt(end, x[1]) ? end : x[1];
        b.splice(i, 1);
        // tcp_sack_maybe_coalesce: blocks the grown one now touches merge into it.
        for (let k = b.length - 1; k >= 0; k--) {
          const y = b[k]!;
          if (seqLe(lo, y[1]) && seqLe(y[0], hi)) {
            if (seqLt(y[0], lo)) lo = y[0];
            if (seqGt(y[1], hi)) hi = y[1];
            b.splice(k, 1);
          }
        }
        b.unshift([lo, hi]);
        return;
      }
    }
    b.unshift([seq, end]);
    if (b.length > 4) b.length = 4;
  }
}
