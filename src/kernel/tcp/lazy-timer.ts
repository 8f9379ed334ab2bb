// One re-armable timer on the network's Scheduler. A connection keeps one per kind
// (retransmission, persist, delayed ACK, keepalive, TIME-WAIT); moving a deadline later only
// stores the new deadline, and the scheduled event re-schedules itself when it fires early,
// so re-arming on every ACK costs no new Scheduler event. The handler is a plain function of the
// timer's owner, and the Scheduler calls one shared function on the timer (no closure per timer):
// a connection makes each timer when first used.
import type { Scheduler, Timer } from '../../links/clock.js';

export class LazyTimer<O = unknown> {
  /** Absolute time (ms) at which the handler runs; Infinity when disarmed. */
  deadline = Infinity;
  /** Whether scheduled events keep the network's clock running (false for orphaned connections). */
  refed = true;
  private timer: Timer | null = null;
  private timerAt = Infinity;
  /**
   * On the real clock a kernel's timers never hold the process (the socket handles above do,
   * and the Scheduler runs events while they live); on the virtual clock they move time.
   */
  private readonly holds: boolean;

  constructor(private readonly sched: Scheduler, private readonly handler: (owner: O) => void, private readonly owner: O) {
    this.holds = sched.mode !== 'real';
  }

  get armed(): boolean { return this.deadline !== Infinity; }

  /** Arms (or re-arms) to run at absolute time `t`. */
  at(t: number): void {
    this.deadline = t;
    if (this.timer !== null) {
      if (this.timerAt <= t) return; // the pending event fires first and re-schedules
      this.timer.cancel();
    }
    this.timerAt = t;
    this.timer = this.sched.at(t, fireLazy, this.refed && this.holds, this);
  }

  /** Arms to run `ms` from now. */
  after(ms: number): void { this.at(this.sched.now() + ms); }

  /** Arms only if not armed already. */
  ensure(ms: number): void { if (this.deadline === Infinity) this.after(ms); }

  /** Disarms cheaply: the pending event, if any, will find nothing to do. */
  clear(): void { this.deadline = Infinity; }

  /** Disarms and removes the pending event from the Scheduler. */
  stop(): void {
    this.deadline = Infinity;
    if (this.timer !== null) { this.timer.cancel(); this.timer = null; this.timerAt = Infinity; }
  }

  /** Stops holding the clock (an orphaned connection). */
  unref(): void {
    this.refed = false;
    if (this.timer !== null) this.timer.unref();
  }

  /** @internal the scheduled event came due */
  fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const d = this.deadline;
    if (d === Infinity) return;
    if (d > this.sched.now()) {
      this.timerAt = d;
      this.timer = this.sched.at(d, fireLazy, this.refed && this.holds, this);
      return;
    }
    this.deadline = Infinity;
    this.handler(this.owner);
  }
}

/** The Scheduler's event of every LazyTimer: a shared function called on the timer (no closure per timer). */
function fireLazy(this: { fire(): void }): void { this.fire(); }

/** What the retransmission timer slot is running for (Linux ICSK_TIME_RETRANS / LOSS_PROBE / REO_TIMEOUT). */
export const RTX_RTO = 0;
export const RTX_PROBE = 1;
export const RTX_REO = 2;
export type RtxKind = typeof RTX_RTO | typeof RTX_PROBE | typeof RTX_REO;

/**
 * The connection's retransmission timer slot, shared as Linux shares icsk_retransmit_timer: the
 * RTO (RFC 6298) and, ahead of it, either the tail loss probe timeout (RFC 8985 §7.2) or the
 * RACK reordering timer (RFC 8985 §6.2 step 5). One Scheduler event serves all three: it is set
 * for the earlier of the RTO deadline and the early one. `at`/`after`/`armed` are about the RTO.
 */
export class RetransmitTimer<O = unknown> {
  /** RTO deadline (Infinity: disarmed). */
  rtoAt = Infinity;
  /** Deadline of the probe or reordering timer (Infinity: none), and which of the two it is. */
  earlyAt = Infinity;
  earlyKind: RtxKind = RTX_PROBE;
  private readonly t: LazyTimer<{ fire(): void }>;

  constructor(private readonly sched: Scheduler, private readonly handler: (owner: O, kind: RtxKind) => void, private readonly owner: O) {
    this.t = new LazyTimer<{ fire(): void }>(sched, fireRetransmit, this);
  }

  get refed(): boolean { return this.t.refed; }
  set refed(on: boolean) { this.t.refed = on; }
  /** Whether the RTO is armed. */
  get armed(): boolean { return this.rtoAt !== Infinity; }

  /** Arms (or re-arms) the RTO for absolute time `t`. */
  at(t: number): void {
    this.rtoAt = t;
    this.sync();
  }

  /** Arms the RTO `ms` from now. */
  after(ms: number): void { this.at(this.sched.now() + ms); }

  /** Arms the probe or reordering timer for absolute time `t` (replacing the other one). */
  early(kind: RtxKind, t: number): void {
    if (this.earlyAt === t && this.earlyKind === kind) return;
    this.earlyKind = kind;
    this.earlyAt = t;
    this.sync();
  }

  /** Disarms the early timer if it is of this kind. */
  cancel(kind: RtxKind): void {
    if (this.earlyAt === Infinity || this.earlyKind !== kind) return;
    this.earlyAt = Infinity;
    this.sync();
  }

  /** Disarms everything and removes the pending event. */
  stop(): void {
    this.rtoAt = Infinity;
    this.earlyAt = Infinity;
    this.t.stop();
  }

  unref(): void { this.t.unref(); }

  private sync(): void {
    const d = this.earlyAt < this.rtoAt ? this.earlyAt : this.rtoAt;
    if (d === this.t.deadline) return;
    if (d === Infinity) this.t.clear();
    else this.t.at(d);
  }

  /** @internal the slot's event came due */
  fire(): void {
    const now = this.sched.now();
    if (this.earlyAt <= now) {
      const k = this.earlyKind;
      this.earlyAt = Infinity;
      this.sync();
      this.handler(this.owner, k);
      return;
    }
    if (this.rtoAt <= now) {
      this.rtoAt = Infinity;
      this.sync();
      this.handler(this.owner, RTX_RTO);
      return;
    }
    this.sync();
  }
}

function fireRetransmit(r: { fire(): void }): void { r.fire(); }
