// The network's clock and event scheduler.
//
// Every timer in a network (frames in flight, retransmission, delayed ACK, TIME_WAIT, socket
// timeouts) is an event on one Scheduler. With `clock: 'virtual'` time jumps to the next event
// whenever nothing is due now; with `clock: 'real'` events are paced to the wall clock.
//
// Each due event runs in its own macrotask (a setImmediate callback), so that, as in Node, the
// nextTick queue and microtasks drain between two I/O callbacks. Events due at the same time run
// in the order they were scheduled: runs are deterministic for a given seed and program.

import { AsyncResource } from 'node:async_hooks';

export type ClockMode = 'virtual' | 'real';

// Node's own timers and wall clock, taken before anything can replace the globals: once code runs
// as hosts, src/world/time.ts points the globals at the network's clock, and the scheduler itself
// must keep running on the machine's.
const { setImmediate, setTimeout, clearTimeout, setInterval, clearInterval } = globalThis;
const wallNow = performance.now.bind(performance);
const wallOrigin = performance.timeOrigin;

/** Node's own clocks and timers, as they were before hosts' code ran (for the links and doors). */
export const machine = { setImmediate, setTimeout, clearTimeout, setInterval, clearInterval, now: wallNow, timeOrigin: wallOrigin };

/**
 * What the world tells the scheduler once code runs as hosts of its network (src/world/time.ts):
 * whether real work that host code awaits is outstanding (virtual time waits for it), and where
 * an exception thrown by a program's callback goes.
 */
export interface ProgramHooks {
  /** True while real work (a file read, a child process) started by host code is outstanding. */
  realWork(): boolean;
  /** A callback into host code threw, inside that code's async context: true when handled. */
  uncaught(err: unknown): boolean;
  /** Before events run (each batch due at one time): the world checks its clocks are in place. */
  beforeEvents(): void;
}

/** A scheduled event. `cancel()` is O(1); cancelled events are dropped when they reach the top. */
export class Timer {
  /** @internal */ seq: number;
  /** @internal */ cancelled = false;
  /** @internal */ refed: boolean;
  /** @internal */ readonly sched: Scheduler;
  /** What `fn` is called on (`this`): lets a timer's owner pass a shared function instead of a closure of its own. */
  readonly self: unknown;
  constructor(sched: Scheduler, readonly time: number, seq: number, readonly fn: () => void, refed: boolean, self?: unknown) {
    this.sched = sched;
    this.self = self;
    this.seq = seq;
    this.refed = refed;
  }
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.sched._dropped(this);
  }
  /** Whether the event is still waiting to run. */
  get pending(): boolean { return !this.cancelled; }
  /** An unref'd event does not keep the process alive (like `timeout.unref()`). */
  unref(): this { if (this.refed && !this.cancelled) { this.refed = false; this.sched._refs--; this.sched._refsDropped(); } return this; }
  ref(): this { if (!this.refed && !this.cancelled) { this.refed = true; this.sched._refs++; this.sched._kick(); } return this; }
}

/** Parses '40ms', '2s', '1.5min', '100us' or a number of milliseconds. */
export function parseDuration(v: number | string, what = 'duration'): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${what} must be a non-negative number of ms, got ${v}`);
    return v;
  }
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(ns|us|µs|ms|s|sec|m|min|h)?\s*$/.exec(v);
  if (!m) throw new RangeError(`${what}: cannot parse '${v}' (use e.g. '40ms', '2s')`);
  const n = Number(m[1]);
  switch (m[2] ?? 'ms') {
    case 'ns': return n / 1e6;
    case 'us': case 'µs': return n / 1e3;
    case 'ms': return n;
    case 's': case 'sec': return n * 1e3;
    case 'm': case 'min': return n * 60e3;
    case 'h': return n * 3600e3;
  }
  throw new RangeError(`${what}: cannot parse '${v}'`);
}

const noop = (): void => {};

/** Counts the handles that hold a program alive (see Scheduler.refOwner). */
export interface RefCounter {
  refHandle(): void;
  unrefHandle(): void;
}

export class Scheduler {
  readonly mode: ClockMode;
  private _now = 0;
  private heap: Timer[] = [];
  private seq = 0;
  /** Cancelled timers still in the heap (an upper bound: run events are marked cancelled too). */
  private cancelledInHeap = 0;
  /** @internal number of live ref'd timers */ _refs = 0;
  /** Ref'd handles (listening sockets, open sockets) that keep the process alive with nothing scheduled. */
  private handleRefs = 0;
  private keepAlive: ReturnType<typeof setInterval> | null = null;
  private pumping = false;
  private realTimer: ReturnType<typeof setTimeout> | null = null;
  private realBase = 0;
  private runAll = 0;
  private limit = Infinity;
  private idleWaiters: Array<() => void> = [];
  private limitWaiters: Array<{ time: number; resolve: () => void }> = [];
  /** Errors thrown by events are reported here, then rethrown asynchronously if nobody listens. */
  onError: ((err: unknown) => void) | null = null;
  /** Counts, for `world.stats()` and benchmarks. */
  eventsRun = 0;
  /** Set by stop(): nothing runs any more. */
  private stopped = false;
  /** Program immediates queued and not yet run (virtual time waits for them). */
  private held = 0;
  /** Node immediates the scheduler queued that have not run yet. */
  private immediates = 0;
  /**
   * Set by the world: who else counts a handle made now as holding it alive (the program whose
   * code is running), besides the scheduler. Handles ask once, when they are made.
   */
  refOwner: (() => RefCounter | null) | null = null;
  /** Set by the world once code runs as hosts (see ProgramHooks). */
  private hooks: ProgramHooks | null = null;
  /** The async context events run in once programs exist: none of theirs (see adoptPrograms). */
  private root: AsyncResource | null = null;

  constructor(mode: ClockMode = 'virtual') {
    this.mode = mode;
    if (mode === 'real') this.realBase = wallNow();
  }

  /** Current time in milliseconds since the network was created. */
  now(): number {
    if (this.mode === 'real') {
      const t = wallNow() - this.realBase;
      if (t > this._now) this._now = t;
    }
    return this._now;
  }

  /** Runs fn at absolute time `time` (ms), as a method of `self` if given. */
  at<T = undefined>(time: number, fn: (this: T) => void, refed = true, self?: T): Timer {
    const now = this.now();
    if (this.stopped) { const dead = new Timer(this, now, this.seq++, fn as () => void, false, self); dead.cancelled = true; return dead; }
    const t = new Timer(this, time < now ? now : time, this.seq++, fn as () => void, refed, self);
    if (refed) this._refs++;
    this.push(t);
    this._kick();
    return t;
  }

  /** Runs fn after `delay` ms. */
  after(delay: number, fn: () => void, refed = true): Timer {
    return this.at(this.now() + (delay > 0 ? delay : 0), fn, refed);
  }

  /** Holds the process open (a listening or connected socket, a bound datagram socket). */
  refHandle(): void {
    if (this.handleRefs++ === 0 && this.keepAlive === null) {
      this.keepAlive = setInterval(() => {}, 1 << 30);
      // On the real clock, events run while handles keep the process alive (see pump).
      if (this.mode === 'real') this._kick();
    }
  }
  unrefHandle(): void {
    if (--this.handleRefs <= 0) {
      this.handleRefs = 0;
      if (this.keepAlive !== null) { clearInterval(this.keepAlive); this.keepAlive = null; }
    }
  }

  /**
   * Code runs as hosts of this network from now on: events run outside any program's async
   * context (callbacks enter their own), virtual time waits for what `hooks.realWork()` reports,
   * and exceptions thrown by program callbacks go to `hooks.uncaught`.
   */
  adoptPrograms(hooks: ProgramHooks, root: AsyncResource): void {
    this.hooks = hooks;
    this.root = root;
  }

  /**
   * Stops for good: every scheduled event is dropped, events scheduled later never run, run()
   * calls still waiting resolve, and nothing of the network holds the process open.
   */
  stop(): void {
    this.stopped = true;
    for (const t of this.heap) t.cancelled = true;
    this.heap = [];
    this.cancelledInHeap = 0;
    this._refs = 0;
    this.handleRefs = 0;
    if (this.keepAlive !== null) { clearInterval(this.keepAlive); this.keepAlive = null; }
    if (this.realTimer !== null) { clearTimeout(this.realTimer); this.realTimer = null; }
    const waiters = [...this.idleWaiters, ...this.limitWaiters.map((w) => w.resolve)];
    this.idleWaiters = [];
    this.limitWaiters = [];
    this.limit = Infinity;
    for (const w of waiters) w();
  }

  /** Whether stop() was called. */
  get isStopped(): boolean { return this.stopped; }

  /** Whether adoptPrograms() was called. */
  get hasPrograms(): boolean { return this.hooks !== null; }

  /** A program queued an immediate: virtual time does not advance until release(). */
  hold(): void { this.held++; }
  /** The immediate ran or was cleared. */
  release(): void {
    if (--this.held === 0) this._kick();
  }

  /**
   * An exception thrown by a callback into host code (a handle's, a timer's), caught inside that
   * code's async context: true when the world took it (the program it belonged to was told or
   * ended); false means the caller rethrows it.
   */
  raise(err: unknown): boolean {
    return this.hooks !== null && this.hooks.uncaught(err);
  }

  /**
   * `fn` bound to the caller's async context, as Node binds a callback to the resource that will
   * call it: it runs in that context, and what it throws goes to raise() first.
   */
  bind<A extends unknown[]>(fn: (...args: A) => void, type = 'Timeout'): (...args: A) => void {
    const resource = new AsyncResource(type);
    const guarded = (args: A): void => {
      try {
        fn(...args);
      } catch (err) {
        if (!this.raise(err)) throw err;
      }
    };
    return (...args: A) => { resource.runInAsyncScope(guarded, null, args); };
  }

  /**
   * A request made now (libuv's uv_req_t: a getaddrinfo, a getnameinfo): it holds the program
   * whose code made it alive until the returned function is called, once it completed (an
   * active request keeps Node's loop alive whatever the handles do).
   */
  request(): () => void {
    const owner = this.refOwner?.() ?? null;
    if (owner === null) return noop;
    owner.refHandle();
    let open = true;
    return () => { if (open) { open = false; owner.unrefHandle(); } };
  }

  /** Number of events still scheduled (including unref'd ones). */
  get size(): number { return this.heap.length; }

  /**
   * Runs until nothing is left scheduled, or, with `forMs`, until time has advanced that far.
   * Unref'd events run too while a run() is waiting.
   */
  run(forMs?: number): Promise<void> {
    // A waiter stops counting as "a run() is waiting" the moment it is resolved (not a microtask
    // later): the pump may look at the heap again in the same macrotask, and must not run past
    // the limit for a run() that is already over.
    if (forMs !== undefined) {
      const time = this.now() + forMs;
      return new Promise<void>((resolve) => {
        this.limitWaiters.push({ time, resolve: () => { this.runAll--; resolve(); } });
        this.limitWaiters.sort((a, b) => a.time - b.time);
        this.limit = Math.min(this.limit, time);
        this.runAll++;
        this._kick();
      });
    }
    return new Promise<void>((resolve) => {
      this.runAll++;
      this.idleWaiters.push(() => { this.runAll--; resolve(); });
      this._kick();
    });
  }

  /** @internal A timer was cancelled (it stays in the heap until it reaches the top, or a compaction). */
  _dropped(t: Timer): void {
    if (t.refed) { t.refed = false; this._refs--; this._refsDropped(); }
    // While time stands still (a virtual clock on loopback) cancelled events never reach the top:
    // once they are most of the heap, rebuild it without them (amortised O(1) per cancel).
    if (++this.cancelledInHeap > 256 && this.cancelledInHeap * 2 > this.heap.length) this.compact();
  }

  private compact(): void {
    const live = this.heap.filter((t) => !t.cancelled);
    live.sort((a, b) => a.time - b.time || a.seq - b.seq); // a sorted array is a valid min-heap
    this.heap = live;
    this.cancelledInHeap = 0;
  }

  /** @internal With no ref'd event left, the wall-clock wait for the next one must not hold the process. */
  _refsDropped(): void {
    if (this._refs === 0 && this.realTimer !== null) this.realTimer.unref();
  }

  /**
   * Whether events run without a run() waiting. On the real clock always: the wait for the
   * next event is an unref'd timer when no ref'd event is left, so unref'd events run whenever
   * the process is alive for another reason, as libuv runs unref'd timers. On the virtual
   * clock only while ref'd events are scheduled: unref'd events alone never move time.
   */
  private alive(): boolean {
    return this._refs > 0 || this.mode === 'real';
  }

  /** @internal Makes sure the pump will look at the heap. */
  _kick(): void {
    if (this.pumping) return;
    this.pumping = true;
    if (this.mode === 'real' && this.realTimer !== null) { clearTimeout(this.realTimer); this.realTimer = null; }
    this.immediates++;
    setImmediate(this.kicked);
  }

  private kicked = (): void => {
    this.immediates--;
    if (this.root === null) this.pump();
    else this.root.runInAsyncScope(this.pump);
  };

  /**
   * The timers and immediates of Node's that the scheduler itself holds now (ref'd: what
   * process.getActiveResourcesInfo() counts as 'Timeout' and 'Immediate'), so that a listing of
   * the process's resources can leave them out.
   */
  machineResources(): { timeouts: number; immediates: number } {
    return { timeouts: (this.keepAlive !== null ? 1 : 0) + (this.realTimer?.hasRef() ? 1 : 0), immediates: this.immediates };
  }

  /**
   * Whether virtual time may move on now: not while programs' immediates wait to run, nor while
   * real work that host code awaits is outstanding (then it looks again 1 ms of wall time later).
   */
  private mayAdvance(): boolean {
    if (this.held > 0) return false; // release() kicks
    if (this.hooks !== null && this.hooks.realWork()) {
      this.pumping = true;
      setTimeout(() => { this.pumping = false; this._kick(); }, 1);
      return false;
    }
    return true;
  }

  private pump = (): void => {
    this.pumping = false;
    if (this.hooks !== null) this.hooks.beforeEvents();
    // Drop cancelled events at the top.
    while (this.heap.length > 0 && this.heap[0]!.cancelled) { this.pop(); if (this.cancelledInHeap > 0) this.cancelledInHeap--; }
    const wantAll = this.runAll > 0;
    if (this.heap.length === 0) {
      if (this.mode === 'virtual' && !this.mayAdvance()) return;
      this.settleIdle();
      return;
    }
    const top = this.heap[0]!;
    if (!wantAll && !this.alive()) return; // only unref'd events left: let the process exit
    const now = this.now();
    if (top.time > now && this.mode === 'virtual' && !this.mayAdvance()) return;
    if (top.time > this.limit) { this.reachLimit(this.limit); return; }
    if (top.time > now) {
      if (this.mode === 'real') {
        this.realTimer = setTimeout(() => { this.realTimer = null; this._kick(); }, Math.max(0, Math.ceil(top.time - now)));
        if (!wantAll && this._refs === 0) this.realTimer.unref();
        return;
      }
      this._now = top.time; // virtual time jumps to the next event
    }
    // Run every event due now, each in its own macrotask, in order: the first one here, the rest
    // in setImmediate callbacks queued together, then look again.
    const t = this._now;
    const first = this.pop();
    this.pumping = true;
    while (this.heap.length > 0 && this.heap[0]!.time <= t) {
      const e = this.pop();
      if (!e.cancelled) { this.immediates++; setImmediate(this.runQueued, e); }
      else if (this.cancelledInHeap > 0) this.cancelledInHeap--;
    }
    this.immediates++;
    setImmediate(this.afterBatch);
    this.runOne(first);
  };

  private afterBatch = (): void => {
    this.immediates--;
    this.pumping = false;
    if (this.limitWaiters.length > 0) this.checkLimitWaiters();
    this.pump();
  };

  private runQueued = (e: Timer): void => {
    this.immediates--;
    this.runOne(e);
  };

  private runOne = (e: Timer): void => {
    if (e.cancelled) return;
    e.cancelled = true;
    if (e.refed) { e.refed = false; this._refs--; this._refsDropped(); }
    this.eventsRun++;
    try {
      e.fn.call(e.self);
    } catch (err) {
      if (this.onError) this.onError(err);
      else throw err;
    }
  };

  private checkLimitWaiters(): void {
    const now = this.now();
    while (this.limitWaiters.length > 0 && this.limitWaiters[0]!.time <= now) {
      this.limitWaiters.shift()!.resolve();
    }
    this.limit = this.limitWaiters.length > 0 ? this.limitWaiters[0]!.time : Infinity;
  }

  private reachLimit(limit: number): void {
    if (this.mode === 'virtual') this._now = Math.max(this._now, limit);
    else {
      const wait = limit - this.now();
      if (wait > 0) { this.pumping = true; setTimeout(() => { this.pumping = false; this.checkLimitWaiters(); this._kick(); }, Math.ceil(wait)); return; }
    }
    this.checkLimitWaiters();
    this._kick();
  }

  private settleIdle(): void {
    if (this.limitWaiters.length > 0) {
      // Nothing left: time still advances to the requested limit.
      this.reachLimit(this.limitWaiters[0]!.time);
      return;
    }
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }

  // Binary min-heap on (time, seq).
  private push(t: Timer): void {
    const h = this.heap;
    let i = h.length;
    h.push(t);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pp = h[p]!;
      if (pp.time < t.time || (pp.time === t.time && pp.seq < t.seq)) break;
      h[i] = pp;
      i = p;
    }
    h[i] = t;
  }

  private pop(): Timer {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n) {
          const a = h[l]!, b = h[r]!;
          if (b.time < a.time || (b.time === a.time && b.seq < a.seq)) c = r;
        }
        const cc = h[c]!;
        if (last.time < cc.time || (last.time === cc.time && last.seq < cc.seq)) break;
        h[i] = cc;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
