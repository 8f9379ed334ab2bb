// A host's receive rounds (Linux net_rx_action with net.core.netdev_budget): a CPU's softirq
// takes at most `netdev_budget` (300) frames in one round before it lets the host's programs
// run, and takes the rest in later rounds. Here a round is a run of consecutive Scheduler events
// that bring this host frames with nothing else of the network in between; past the budget the
// frames wait in the host's backlog, in arrival order, and one event per round takes the next
// `netdev_budget` of them. Events already due at the same instant (a program's handle that has
// something to accept or read) run between two rounds: a burst of 10,000 handshakes arriving at
// one instant over zero-time links is taken 300 at a time with the listener's accept loop in
// between, not all before the program first runs.
import type { Scheduler } from '../links/clock.js';
import type { Interface } from './interface.js';

/** Linux net.core.netdev_budget default. */
export const NETDEV_BUDGET = 300;

/** Frames of one host waiting for its next receive round. */
export class SoftnetBacklog {
  private ifaces: Interface[] = [];
  private frames: Uint8Array[] = [];
  private gsos: number[] = [];
  private head = 0;

  constructor(private readonly softnet: Softnet) {}

  get length(): number { return this.frames.length - this.head; }

  clear(): void {
    this.ifaces = [];
    this.frames = [];
    this.gsos = [];
    this.head = 0;
  }

  push(iface: Interface, frame: Uint8Array, gso: number): void {
    this.ifaces.push(iface);
    this.frames.push(frame);
    this.gsos.push(gso);
  }

  /** Takes up to `budget` frames; whether some are left. */
  take(budget: number): boolean {
    let n = 0;
    while (n < budget && this.head < this.frames.length) {
      const i = this.head++;
      const iface = this.ifaces[i]!;
      const frame = this.frames[i]!;
      const gso = this.gsos[i]!;
      this.ifaces[i] = undefined as unknown as Interface;
      this.frames[i] = undefined as unknown as Uint8Array;
      n++;
      this.softnet.used = n;
      iface.deliver(frame, gso);
    }
    return this.head < this.frames.length;
  }
}

/** The receive side of one host's softirq. */
export class Softnet {
  /** net.core.netdev_budget: frames one receive round takes (Linux default 300). */
  budget = NETDEV_BUDGET;
  /** Frames taken in the current round. */
  used = 0;
  /** Rounds cut short by the budget (Linux softnet_stat time_squeeze). */
  squeezed = 0;
  /** Scheduler.eventsRun when this host last took a frame. */
  private lastEvent = -2;
  private backlog: SoftnetBacklog | null = null;

  constructor(private readonly sched: Scheduler) {}

  /** A frame from one of the host's links. */
  rx(iface: Interface, frame: Uint8Array, gso: number): void {
    if (this.backlog !== null) { this.backlog.push(iface, frame, gso); return; }
    const ev = this.sched.eventsRun;
    if (ev - this.lastEvent > 1) this.used = 0; // something else ran since: a new round
    this.lastEvent = ev;
    if (this.used < (this.budget > 0 ? this.budget : 1)) {
      this.used++;
      iface.deliver(frame, gso);
      return;
    }
    this.squeezed++;
    this.backlog = new SoftnetBacklog(this);
    this.backlog.push(iface, frame, gso);
    this.sched.after(0, () => { this.nextRound(); });
  }

  /** Frames waiting for a later round. */
  get waiting(): number { return this.backlog?.length ?? 0; }

  /** Forgets the waiting frames (the host crashed). */
  flush(): void {
    this.backlog?.clear();
    this.backlog = null;
  }

  private nextRound(): void {
    const b = this.backlog;
    if (b === null) return;
    this.used = 0;
    const more = b.take(this.budget > 0 ? this.budget : 1); // 0: Linux still polls once a round
    this.lastEvent = this.sched.eventsRun;
    if (this.backlog !== b) return; // flushed meanwhile
    if (more) { this.squeezed++; this.sched.after(0, () => { this.nextRound(); }); } else this.backlog = null;
  }
}
