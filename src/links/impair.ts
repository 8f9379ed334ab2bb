// Impairments on one direction of a wire, in the manner of Linux netem (tc-netem(8)).
//
// A frame offered to a direction at time `now` goes through these steps, in this order, each
// drawing from the network's seeded Random only when its option is set:
//   1. loss       with probability `loss` the frame is dropped (it never uses the wire).
//   2. limit      if `limit` frames of this direction are already in flight (queued for the wire or
//                 delayed), the frame is dropped, like a full netem queue. Default 1000 frames. It
//                 applies only when frames wait (a rate, latency or jitter is set): frames that
//                 arrive at once never fill a queue.
//   3. duplicate  with probability `duplicate` a second copy (its own bytes) follows the frame
//                 through the remaining steps (the copy is not duplicated again).
//   Then for each copy:
//   4. corrupt    with probability `corrupt` one random bit of a copy of the frame is flipped.
//   5. rate       the copy is serialised on a per-direction transmit queue: it finishes at
//                 max(now, busyUntil) + bits / rate, and busyUntil moves there. The rate used is the
//                 slower of the wire's own rate and the impairment's `rate`.
//   6. delay      it then arrives `latency` later, spread uniformly over latency ± jitter (never
//                 below zero) when `jitter` is set. As in netem, jitter can reorder frames.
//      reorder    with probability `reorder` a copy skips step 6 and arrives as soon as it has been
//                 serialised, overtaking frames sent earlier that are still delayed (netem's
//                 "reorder": those packets are sent immediately). Like netem, reordering needs a
//                 latency or jitter to overtake anything, so reorder without one is refused.

import type { Random } from './random.js';
import { parseDuration } from './clock.js';
import { parseRate, serialisationMs } from './rate.js';

export interface ImpairOptions {
  /** One-way delay: ms, or a duration string ('40ms'). */
  latency?: number | string;
  /** Uniform spread around the latency: ms, or a duration string. */
  jitter?: number | string;
  /** Probability in [0, 1] that a frame is lost. */
  loss?: number;
  /** Probability in [0, 1] that a frame skips the delay and overtakes earlier ones. */
  reorder?: number;
  /** Probability in [0, 1] that a frame is sent twice. */
  duplicate?: number;
  /** Probability in [0, 1] that one bit of a frame is flipped. */
  corrupt?: number;
  /** Shaping rate: bit/s, or a tc rate string ('20mbit'). */
  rate?: number | string;
  /** Most frames waiting in one direction (for the wire or a delay); default 1000. Beyond it frames drop. */
  limit?: number;
}

/** Validated impairment settings in plain units (ms, probabilities, bit/s; 0 = off). */
export interface ImpairSettings {
  readonly latency: number;
  readonly jitter: number;
  readonly loss: number;
  readonly reorder: number;
  readonly duplicate: number;
  readonly corrupt: number;
  readonly rate: number;
  readonly limit: number;
}

/** netem's default queue limit, and Linux's default txqueuelen: frames in flight per direction. */
export const DEFAULT_LIMIT = 1000;

const KEYS = new Set(['latency', 'jitter', 'loss', 'reorder', 'duplicate', 'corrupt', 'rate', 'limit']);

function probability(v: unknown, name: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
    throw new RangeError(`impair: ${name} must be a probability in [0, 1], got ${String(v)}`);
  }
  return v;
}

/**
 * Validates impairment options. Returns null when they impair nothing (null, {}, or only zeros),
 * which clears a direction. Throws a RangeError naming the bad option.
 */
export function parseImpairOptions(opts: ImpairOptions | null | undefined): ImpairSettings | null {
  if (opts === null || opts === undefined) return null;
  if (typeof opts !== 'object') throw new TypeError(`impair: options must be an object or null, got ${typeof opts}`);
  for (const k of Object.keys(opts)) {
    if (!KEYS.has(k)) throw new RangeError(`impair: unknown option '${k}' (known: ${[...KEYS].join(', ')})`);
  }
  const latency = opts.latency === undefined ? 0 : parseDuration(opts.latency, 'impair: latency');
  const jitter = opts.jitter === undefined ? 0 : parseDuration(opts.jitter, 'impair: jitter');
  const loss = probability(opts.loss, 'loss');
  const reorder = probability(opts.reorder, 'reorder');
  const duplicate = probability(opts.duplicate, 'duplicate');
  const corrupt = probability(opts.corrupt, 'corrupt');
  const rate = opts.rate === undefined ? 0 : parseRate(opts.rate, 'impair: rate');
  let limit = DEFAULT_LIMIT;
  if (opts.limit !== undefined) {
    if (typeof opts.limit !== 'number' || !Number.isInteger(opts.limit) || opts.limit < 1) {
      throw new RangeError(`impair: limit must be a whole number of frames >= 1, got ${String(opts.limit)}`);
    }
    limit = opts.limit;
  }
  if (reorder > 0 && latency === 0 && jitter === 0) {
    throw new RangeError('impair: reorder needs a latency (or jitter) for frames to overtake, as with netem');
  }
  if (latency === 0 && jitter === 0 && loss === 0 && duplicate === 0 && corrupt === 0 && rate === 0 && opts.limit === undefined) {
    return null;
  }
  return Object.freeze({ latency, jitter, loss, reorder, duplicate, corrupt, rate, limit });
}

/** Where the copies of a frame that survive go: `time` is when the frame reaches the far end. */
export interface FrameSink {
  arrive(frame: Uint8Array, time: number): void;
}

/** The impairments and transmit queue of one direction of a wire, with their counters. */
export class Impairment {
  private s: ImpairSettings | null = null;
  /** When the transmit queue is free again (network ms). */
  busyUntil = 0;
  /** Frames offered to this direction while it impaired or serialised them. */
  sent = 0;
  /** Frames dropped here: lost + overLimit. */
  dropped = 0;
  lost = 0;
  overLimit = 0;
  duplicated = 0;
  corrupted = 0;
  reordered = 0;

  constructor(private readonly random: Random, opts: ImpairOptions | null = null) {
    this.set(opts);
  }

  /** Replaces the settings (validated first: a bad option throws and changes nothing). null or {} clears. */
  set(opts: ImpairOptions | null): void {
    this.s = parseImpairOptions(opts);
  }

  /** Installs settings already validated (one parse shared by many directions). */
  setParsed(s: ImpairSettings | null): void {
    this.s = s;
  }

  get settings(): ImpairSettings | null { return this.s; }

  /** Whether any impairment is set (with none and no wire rate, frames can skip this entirely). */
  get active(): boolean { return this.s !== null; }

  /**
   * Decides the fate of `frame`, offered at `now` while `queued` frames of this direction are in
   * flight, on a wire running at `linkRate` bit/s (0 = instantaneous). Calls `sink.arrive` once for
   * each copy that reaches the far end: 0, 1 or 2 times.
   */
  offer(frame: Uint8Array, now: number, queued: number, linkRate: number, sink: FrameSink): void {
    this.sent++;
    const s = this.s;
    const limit = s === null ? DEFAULT_LIMIT : s.limit;
    if (s !== null && this.random.chance(s.loss)) { this.lost++; this.dropped++; return; }
    // Only frames that wait (for the wire or a delay) occupy the queue; frames due now never fill it.
    const waits = linkRate > 0 || (s !== null && (s.rate > 0 || s.latency > 0 || s.jitter > 0));
    if (waits && queued >= limit) { this.overLimit++; this.dropped++; return; }
    const dup = s !== null && this.random.chance(s.duplicate);
    const original = frame;
    this.one(frame, now, linkRate, s, sink);
    if (dup) {
      this.duplicated++;
      if (waits && queued + 1 >= limit) { this.overLimit++; this.dropped++; return; }
      this.one(new Uint8Array(original), now, linkRate, s, sink);
    }
  }

  private one(frame: Uint8Array, now: number, linkRate: number, s: ImpairSettings | null, sink: FrameSink): void {
    let t = now;
    let rate = linkRate;
    if (s !== null && s.rate > 0 && (rate === 0 || s.rate < rate)) rate = s.rate;
    if (rate > 0) {
      const start = this.busyUntil > now ? this.busyUntil : now;
      t = start + serialisationMs(frame.length, rate);
      this.busyUntil = t;
    }
    if (s !== null) {
      if (frame.length > 0 && this.random.chance(s.corrupt)) {
        frame = new Uint8Array(frame);
        const bit = this.random.int(frame.length * 8);
        frame[bit >>> 3] ^= 1 << (bit & 7);
        this.corrupted++;
      }
      if (s.latency > 0 || s.jitter > 0) {
        if (this.random.chance(s.reorder)) {
          this.reordered++;
        } else {
          const d = s.jitter > 0 ? s.latency - s.jitter + 2 * s.jitter * this.random.next() : s.latency;
          if (d > 0) t += d;
        }
      }
    }
    sink.arrive(frame, t);
  }
}
