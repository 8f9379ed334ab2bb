// One direction of a wire: frames go in at one end and come out at the other through Scheduler
// events, after serialisation at the wire's rate and any impairments. A cable has two lanes; a
// switch has one lane out to every port (and one in from it when the ports have a rate).
//
// With no rate and no impairment a frame costs one Scheduler event and no copy: it goes straight
// into the delivery queue, due now. A TCP super-frame (gso > 0, src/wire/gso.ts) crosses such a
// lane whole; a lane with a rate or an impairment first cuts it into the frames a NIC would have
// sent, so that serialisation, loss, duplication, corruption and reordering act on real frames.
// The counters always count real frames and their bytes.

import type { Scheduler } from './clock.js';
import type { Random } from './random.js';
import { DeliveryQueue } from './delivery.js';
import { Impairment, type FrameSink } from './impair.js';
import { gsoSegmentCount, gsoWireBytes, segmentTcp } from '../wire/gso.js';

/** Hands a frame to whatever is at the far end; false when nothing is plugged in there. */
export type Receiver = (frame: Uint8Array, gso: number) => boolean;

export interface LaneStats {
  /** Frames put on the wire (accepted by the sending end). */
  frames: number;
  /** Bytes of those frames. */
  bytes: number;
  /** Frames handed to the far end (duplicates included). */
  delivered: number;
  /** Frames in flight now. */
  queued: number;
  /** Every frame that was not delivered: oversize + lost + overLimit + unplugged. */
  dropped: number;
  /** Refused by the sending end: larger than the MTU allows. */
  oversize: number;
  /** Lost to the `loss` impairment. */
  lost: number;
  /** Dropped because `limit` frames were already in flight. */
  overLimit: number;
  /** Sent from, or arriving at, an end that was detached or had no receiver. */
  unplugged: number;
  duplicated: number;
  corrupted: number;
  reordered: number;
}

export class Lane implements FrameSink {
  readonly impairment: Impairment;
  frames = 0;
  bytes = 0;
  delivered = 0;
  oversize = 0;
  unplugged = 0;
  private readonly queue = new DeliveryQueue();

  /** Bytes of link header before the IP header: 14 on Ethernet, 0 on a layer-3 wire. */
  private readonly l3: number;

  /** `rate` is the wire's own speed in bit/s; 0 means frames take no time to send. */
  constructor(private readonly sched: Scheduler, random: Random, readonly rate: number, private readonly receive: Receiver, layer: 2 | 3 = 2) {
    this.impairment = new Impairment(random);
    this.l3 = layer === 2 ? 14 : 0;
  }

  /** Whether super-frames must be cut before they go on this lane (a rate or an impairment). */
  get needsFrames(): boolean { return this.rate !== 0 || this.impairment.active; }

  /** Frames in flight. */
  get queued(): number { return this.queue.size; }

  /** Puts a frame on the wire now. The lane keeps `frame` (no copy). */
  send(frame: Uint8Array, gso = 0): void {
    if (this.rate === 0 && !this.impairment.active) {
      if (gso > 0) {
        this.frames += gsoSegmentCount(frame, this.l3, gso);
        this.bytes += gsoWireBytes(frame, this.l3, gso);
      } else {
        this.frames++;
        this.bytes += frame.length;
      }
      this.arrive(frame, this.sched.now(), gso);
      return;
    }
    if (gso > 0) {
      const segs = segmentTcp(frame, this.l3, gso);
      if (segs.length === 0) { this.frames++; this.bytes += frame.length; this.oversize++; return; }
      for (let i = 0; i < segs.length; i++) this.send(segs[i]!, 0);
      return;
    }
    this.frames++;
    this.bytes += frame.length;
    this.impairment.offer(frame, this.sched.now(), this.queue.size, this.rate, this);
  }

  /** @internal FrameSink: schedules the arrival of a frame at the far end. */
  arrive(frame: Uint8Array, time: number, gso = 0): void {
    this.queue.push(frame, time, gso);
    this.sched.at(time, this.fire);
  }

  // One bound function for every arrival event: the earliest frame in flight is the one due.
  private readonly fire = (): void => {
    const q = this.queue;
    const f = q.pop();
    if (f === undefined) return;
    const gso = q.poppedGso;
    if (this.receive(f, gso)) this.delivered += gso > 0 ? gsoSegmentCount(f, this.l3, gso) : 1;
    else this.unplugged += gso > 0 ? gsoSegmentCount(f, this.l3, gso) : 1;
  };

  stats(): LaneStats {
    const i = this.impairment;
    return {
      frames: this.frames,
      bytes: this.bytes,
      delivered: this.delivered,
      queued: this.queue.size,
      dropped: this.oversize + i.dropped + this.unplugged,
      oversize: this.oversize,
      lost: i.lost,
      overLimit: i.overLimit,
      unplugged: this.unplugged,
      duplicated: i.duplicated,
      corrupted: i.corrupted,
      reordered: i.reordered,
    };
  }
}

/** Adds lane stats field by field (for totals over many lanes). */
export function addLaneStats(into: LaneStats, s: LaneStats): LaneStats {
  into.frames += s.frames; into.bytes += s.bytes; into.delivered += s.delivered; into.queued += s.queued;
  into.dropped += s.dropped; into.oversize += s.oversize; into.lost += s.lost; into.overLimit += s.overLimit;
  into.unplugged += s.unplugged; into.duplicated += s.duplicated; into.corrupted += s.corrupted;
  into.reordered += s.reordered;
  return into;
}

export function emptyLaneStats(): LaneStats {
  return { frames: 0, bytes: 0, delivered: 0, queued: 0, dropped: 0, oversize: 0, lost: 0, overLimit: 0,
    unplugged: 0, duplicated: 0, corrupted: 0, reordered: 0 };
}

/** Largest layer-2 frame for an MTU: the 14-byte Ethernet header, plus 4 for an 802.1Q tag. */
export function fitsMtu(frame: Uint8Array, layer: 2 | 3, mtu: number): boolean {
  const n = frame.length;
  if (layer === 3) return n <= mtu;
  if (n <= mtu + 14) return true;
  // IEEE 802.1Q: a tagged frame carries 4 more bytes of header, not more payload.
  return n <= mtu + 18 && n >= 14 && frame[12] === 0x81 && frame[13] === 0x00;
}

// RFC 791 §3.2: every internet module must forward a 68-octet datagram, so no MTU is smaller.
/** Checks an MTU option: a whole number of bytes in [68, 65536]. */
export function checkMtu(mtu: unknown, what: string): number {
  if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 68 || mtu > 65536) {
    throw new RangeError(`${what}: mtu must be a whole number of bytes in [68, 65536], got ${String(mtu)}`);
  }
  return mtu;
}
