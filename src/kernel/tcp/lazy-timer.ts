// One re-armable timer on the network's Scheduler. A connection keeps one per kind
// (retransmission, persist, delayed ACK, keepalive, TIME-WAIT); moving a deadline later only
// stores the new deadline, and the scheduled event re-schedules itself when it fires early,
// so re-arming on every ACK costs no new Scheduler event.
import type { Scheduler, Timer } from '../../links/clock.js';

export class LazyTimer {
  /** Absolute time (ms) at which the handler runs; Infinity when disarmed. */
  deadline = Infinity;
  /** Whether scheduled events keep the network's clock running (false for orphaned connections). */
  refed = true;
  private timer: Timer | null = null;
  private timerAt = Infinity;
  private readonly fireFn: () => void;
  /**
   * On the real clock a kernel's timers never hold the process (the socket handles above do,
   * and the Scheduler runs events while they live); on the virtual clock they move time.
   */
  private readonly holds: boolean;

  constructor(private readonly sched: Scheduler, private readonly handler: () => void) {
    this.fireFn = () => this.fire();
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
    this.timer = this.sched.at(t, this.fireFn, this.refed && this.holds);
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

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const d = this.deadline;
    if (d === Infinity) return;
    if (d > this.sched.now()) {
      this.timerAt = d;
      this.timer = this.sched.at(d, this.fireFn, this.refed && this.holds);
      return;
    }
    this.deadline = Infinity;
    this.handler();
  }
}
