// "Code that runs as a host": an async context (AsyncLocalStorage) that follows the code through
// promises, timers and I/O callbacks. `host.run(fn)` and spawned programs enter it; the globals
// such code sees (timers, Date, performance.now, process.hrtime: src/world/time.ts) read it and
// answer with the host's clock on the network's scheduler. Outside any host they are Node's own.
//
// A RunContext is one "process" of a host: the context host.run() code shares, or one spawned
// program. It owns the timers and immediates its code set, so that a crash (or the program's
// end) takes them away with it.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Scheduler } from '../links/clock.js';
import type { HostClock } from './host-clock.js';

/** What a context needs of its host. */
export interface ContextHost {
  readonly name: string;
  readonly clock: HostClock;
  readonly network: { readonly sched: Scheduler };
}

/** Something a context cancels when it dies (a timer, an immediate). */
export interface Cancellable {
  cancel(): void;
}

/** What a context knows of the spawned program it belongs to (src/world/program.ts). */
export interface ContextProgram {
  /** Something that held the program alive went away: it may have nothing left to do. */
  idleSoon(): void;
}

export class RunContext {
  readonly sched: Scheduler;
  readonly clock: HostClock;
  /** Whether the network runs on virtual time (else time is real: timers still go through the scheduler). */
  readonly virtual: boolean;
  /** Timers and immediates set by this context's code and still pending. */
  readonly pending = new Set<Cancellable>();
  /** Set when the host crashed or the program ended: its code must not run on. */
  dead = false;
  /** The spawned program this context is, or null for host.run() code. */
  program: ContextProgram | null = null;

  constructor(readonly host: ContextHost, readonly label: string) {
    this.sched = host.network.sched;
    this.clock = host.clock;
    this.virtual = this.sched.mode === 'virtual';
  }

  /** What a call from this context's code after its death does: throws (host.run code of a crashed host), or nothing (a program's: it gets timers that never fire). */
  refuse: (what: string) => void = (what) => { throw new Error(`${what}: the process of host ${this.host.name} is dead`); };

  /** The process died: its pending timers and immediates are dropped. */
  kill(): void {
    this.dead = true;
    for (const p of [...this.pending]) p.cancel();
    this.pending.clear();
  }
}

/** The one AsyncLocalStorage of the process: which host (and which of its programs) is running. */
export const hostContext = new AsyncLocalStorage<RunContext>();

/** The context of the running code, or undefined outside any host. */
export function currentContext(): RunContext | undefined {
  return hostContext.getStore();
}
