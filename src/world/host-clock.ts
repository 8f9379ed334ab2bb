// A host's own clock: what code running as the host reads from Date, performance.now() and
// process.hrtime(), and what its timers are measured against. It follows the network's clock,
// set off by an offset (a wall clock set wrong: Date only) and a drift in parts per million (an
// oscillator running fast or slow: every clock of the host, its timers too), as Jepsen's clock
// nemesis bumps and strobes clocks. The wires, the kernels and other hosts never see it.
//
//   mono(t) = t + drift accumulated since t = 0        performance.now(), process.hrtime()
//   wall(t) = epoch + offset + mono(t)                  Date.now(), new Date()

import { parseDuration, type Scheduler } from '../links/clock.js';

export interface HostClockSettings {
  /** How far the host's wall clock is ahead (ms, or '2s'; negative: behind). */
  offset?: number | string;
  /** How fast the host's clocks run, in parts per million (100: 0.1 ms fast per second). */
  drift?: number;
}

export class HostClock {
  private _offset = 0;
  private _drift = 0;
  /** Drift accumulated up to `since` (ms). */
  private accrued = 0;
  /** Network time at the last change of drift. */
  private since = 0;

  constructor(private readonly sched: Scheduler, private readonly epoch: number) {}

  /** The wall clock's offset from the network's, ms (drift not included). */
  get offset(): number { return this._offset; }
  set offset(v: number) { this.set({ offset: v }); }

  /** Drift in parts per million. */
  get drift(): number { return this._drift; }
  set drift(v: number) { this.set({ drift: v }); }

  /** Changes offset and/or drift, now; what drift accumulated so far stays. */
  set(s: HostClockSettings): this {
    if (s.offset !== undefined) this._offset = signedDuration(s.offset, 'clock offset');
    if (s.drift !== undefined) {
      if (typeof s.drift !== 'number' || !Number.isFinite(s.drift) || s.drift <= -1e6) {
        throw new RangeError(`clock drift must be a number of parts per million above -1000000, got ${String(s.drift)}`);
      }
      const t = this.sched.now();
      this.accrued += (t - this.since) * this._drift * 1e-6;
      this.since = t;
      this._drift = s.drift;
    }
    return this;
  }

  /** Offset and drift back to 0 (the drift accumulated so far stays in the clocks). */
  reset(): this {
    return this.set({ offset: 0, drift: 0 });
  }

  /** Monotonic time of the host, ms since the network started (performance.now()). */
  mono(): number {
    const t = this.sched.now();
    return t + this.accrued + (t - this.since) * this._drift * 1e-6;
  }

  /** The host's wall clock, ms since 1970 (Date.now()). */
  now(): number {
    return this.epoch + this._offset + this.mono();
  }

  /** How much network time passes while the host's clocks advance `ms`. */
  toNetwork(ms: number): number {
    return this._drift === 0 ? ms : ms / (1 + this._drift * 1e-6);
  }
}

function signedDuration(v: number | string, what: string): number {
  if (typeof v === 'string' && /^\s*-/.test(v)) return -parseDuration(v.replace(/^\s*-/, ''), what);
  if (typeof v === 'number' && v < 0 && Number.isFinite(v)) return v;
  return parseDuration(v, what);
}
