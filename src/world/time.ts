// One clock for programs and the network. Once code runs as a host (host.run, host.spawn), the
// process's time globals dispatch on the async context (src/world/context.ts):
//
//   setTimeout / setInterval / their clears     the network's scheduler, the host's clock rate
//   setImmediate / clearImmediate               Node's own, but virtual time waits for them
//   Date, Date.now(), new Date()                the host's wall clock (network epoch + offset)
//   performance.now(), performance.timeOrigin   the host's monotonic clock
//   process.hrtime(), process.hrtime.bigint()   the same, in nanoseconds
//   node:timers, node:timers/promises           the same functions (also as ESM named imports)
//   AbortSignal.timeout()                       a timer of the host
//
// Outside any host every one of them is Node's own and behaves as before. They are patched once
// per process, the first time code runs as a host (installTime()).
//
// When virtual time may advance (src/links/clock.ts mayAdvance): only when no event is due now,
// no immediate a host's code queued is waiting, and no real work that host code started (a file
// read, a DNS query to the real resolver, a child process, compression or crypto on the thread
// pool) is outstanding. Real work freezes virtual time until it settles: it is seen through an
// async_hooks init hook (which libuv requests were created inside a host context) and
// process._getActiveRequests() (which are still outstanding).

import { AsyncResource, createHook } from 'node:async_hooks';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { ProgramHooks, Scheduler, Timer } from '../links/clock.js';
import { AbortError } from '../node/errors.js';
import { validateAbortSignal, validateBoolean, validateFunction, validateObject, validateUint32 } from '../node/validators.js';
import { hostContext, type Cancellable, type RunContext } from './context.js';

const require = createRequire(import.meta.url);

/** Node's TIMEOUT_MAX: 2^31 - 1 ms. */
const TIMEOUT_MAX = 2 ** 31 - 1;

const kContext = Symbol('usernet.context');
const kImmediate = Symbol('usernet.immediate');

/** Node's own functions, as they were before installTime(). */
const real = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
  Date: globalThis.Date,
  dateNow: Date.now,
  perfNow: performance.now.bind(performance),
  hrtime: process.hrtime,
  hrtimeBigint: process.hrtime.bigint,
  abortTimeout: AbortSignal.timeout.bind(AbortSignal),
  /** The process's performance object (a fake timer library may put another in its place). */
  performance: globalThis.performance as unknown as Record<string, unknown>,
};

/** Timers set by host code, by the number their [Symbol.toPrimitive]() gave (clearTimeout(id)). */
const byId = new Map<number, Timeout>();
let nextId = 2 ** 31; // above Node's async ids, which its own timers' primitives are

/** The timer object host code gets from setTimeout/setInterval: Node's Timeout, on the scheduler. */
export class Timeout implements Cancellable {
  _idleTimeout: number;
  _onTimeout: ((...args: unknown[]) => void) | null;
  _timerArgs: unknown[] | undefined;
  _repeat: number | null;
  _destroyed = false;
  /** @internal */ readonly [kContext]: RunContext;
  private event: Timer | null = null;
  private refed = true;
  private id = 0;
  private readonly resource: AsyncResource;

  constructor(ctx: RunContext, callback: (...args: unknown[]) => void, after: unknown, args: unknown[] | undefined, repeat: boolean) {
    let ms = Number(after);
    if (!(ms >= 1 && ms <= TIMEOUT_MAX)) {
      if (ms > TIMEOUT_MAX) {
        process.emitWarning(`${ms} does not fit into a 32-bit signed integer.\nTimeout duration was set to 1.`, 'TimeoutOverflowWarning');
      }
      ms = 1;
    }
    this[kContext] = ctx;
    this._idleTimeout = ms;
    this._onTimeout = callback;
    this._timerArgs = args;
    this._repeat = repeat ? ms : null;
    this.resource = new AsyncResource('Timeout');
    ctx.pending.add(this);
    this.arm();
  }

  private arm(): void {
    const ctx = this[kContext];
    this.event = ctx.sched.after(ctx.clock.toNetwork(this._idleTimeout), this.fire, this.refed);
  }

  private fire = (): void => {
    this.event = null;
    const ctx = this[kContext];
    if (ctx.dead || this._onTimeout === null) return;
    this.resource.runInAsyncScope(this.call, this);
    if (this.event !== null || this._destroyed) return; // refresh()ed or cleared inside
    if (this._repeat !== null && !ctx.dead) this.arm();
    else this.destroy();
  };

  private call(): void {
    try {
      const args = this._timerArgs;
      if (args === undefined) this._onTimeout!();
      else this._onTimeout!(...args);
    } catch (err) {
      if (!this[kContext].sched.raise(err)) throw err;
    }
  }

  private destroy(): void {
    this._destroyed = true;
    const ctx = this[kContext];
    ctx.pending.delete(this);
    if (this.id !== 0) byId.delete(this.id);
    ctx.program?.idleSoon();
  }

  /** clearTimeout(this). */
  close(): this {
    if (this.event !== null) { this.event.cancel(); this.event = null; }
    if (!this._destroyed) this.destroy();
    return this;
  }

  /** @internal The context died. */
  cancel(): void {
    this.close();
  }

  ref(): this {
    this.refed = true;
    this.event?.ref();
    return this;
  }

  unref(): this {
    this.refed = false;
    this.event?.unref();
    this[kContext].program?.idleSoon();
    return this;
  }

  hasRef(): boolean {
    return this.refed;
  }

  /** Starts the delay again from now (also after it fired, as Node's refresh does). */
  refresh(): this {
    if (this._onTimeout === null) return this;
    if (this.event !== null) this.event.cancel();
    if (this._destroyed) { this._destroyed = false; this[kContext].pending.add(this); if (this.id !== 0) byId.set(this.id, this); }
    this.arm();
    return this;
  }

  [Symbol.toPrimitive](): number {
    if (this.id === 0) {
      this.id = nextId++;
      if (!this._destroyed) byId.set(this.id, this);
    }
    return this.id;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The timer a dead process's code gets: it never fires (the code of a program that ended runs no more). */
function inert(ctx: RunContext): Timeout {
  return new Timeout(ctx, () => {}, 1, undefined, false).close();
}

/** What clearTimeout and clearInterval take: one of ours, or one of Node's. */
function clearTimer(timer: unknown): void {
  if (timer instanceof Timeout) { timer.close(); return; }
  if (typeof timer === 'number' || typeof timer === 'string') {
    const t = byId.get(Number(timer));
    if (t !== undefined) { t.close(); return; }
  }
  real.clearTimeout(timer as Parameters<typeof clearTimeout>[0]);
}

// ---- the patched globals ----------------------------------------------------------------------

function setTimeoutHost(this: unknown, callback: unknown, after?: unknown, ...args: unknown[]): unknown {
  const ctx = hostContext.getStore();
  if (ctx === undefined) return (real.setTimeout as (...a: unknown[]) => unknown).apply(this, [callback, after, ...args]);
  validateFunction(callback, 'callback');
  if (ctx.dead) { ctx.refuse('setTimeout'); return inert(ctx); }
  return new Timeout(ctx, callback as (...a: unknown[]) => void, after, args.length > 0 ? args : undefined, false);
}

function setIntervalHost(this: unknown, callback: unknown, repeat?: unknown, ...args: unknown[]): unknown {
  const ctx = hostContext.getStore();
  if (ctx === undefined) return (real.setInterval as (...a: unknown[]) => unknown).apply(this, [callback, repeat, ...args]);
  validateFunction(callback, 'callback');
  if (ctx.dead) { ctx.refuse('setInterval'); return inert(ctx); }
  return new Timeout(ctx, callback as (...a: unknown[]) => void, repeat, args.length > 0 ? args : undefined, true);
}

function clearTimeoutHost(timer: unknown): void { clearTimer(timer); }
function clearIntervalHost(timer: unknown): void { clearTimer(timer); }

/** An immediate of host code: Node's own, holding virtual time until it ran or was cleared. */
interface HeldImmediate extends Cancellable {
  ctx: RunContext;
  held: boolean;
  immediate: NodeJS.Immediate | null;
}

function releaseImmediate(h: HeldImmediate): void {
  if (!h.held) return;
  h.held = false;
  h.ctx.pending.delete(h);
  h.ctx.sched.release();
  h.ctx.program?.idleSoon();
}

function setImmediateHost(this: unknown, callback: unknown, ...args: unknown[]): unknown {
  const ctx = hostContext.getStore();
  if (ctx === undefined) return (real.setImmediate as (...a: unknown[]) => unknown).apply(this, [callback, ...args]);
  validateFunction(callback, 'callback');
  if (ctx.dead) { ctx.refuse('setImmediate'); return real.setImmediate(() => {}); }
  const h: HeldImmediate = {
    ctx, held: true, immediate: null,
    cancel() { if (this.immediate !== null) real.clearImmediate(this.immediate); releaseImmediate(this); },
  };
  const fn = callback as (...a: unknown[]) => void;
  const imm = real.setImmediate(function (this: NodeJS.Immediate) {
    try {
      if (!ctx.dead) fn.apply(this, args);
    } finally {
      releaseImmediate(h);
    }
  });
  h.immediate = imm;
  (imm as unknown as Record<symbol, HeldImmediate>)[kImmediate] = h;
  ctx.pending.add(h);
  ctx.sched.hold();
  return imm;
}

function clearImmediateHost(immediate: unknown): void {
  const h = immediate !== null && typeof immediate === 'object' ? (immediate as Record<symbol, HeldImmediate | undefined>)[kImmediate] : undefined;
  if (h !== undefined) releaseImmediate(h);
  real.clearImmediate(immediate as NodeJS.Immediate);
}

function dateNowHost(): number {
  const ctx = hostContext.getStore();
  return ctx === undefined ? real.dateNow() : Math.floor(ctx.clock.now());
}

/** Date: `new Date()` and `Date()` read the host's clock in host code; everything else is Node's Date. */
const DateHost = new Proxy(real.Date, {
  construct(target, args, newTarget) {
    if (args.length === 0) {
      const ctx = hostContext.getStore();
      if (ctx !== undefined) return Reflect.construct(target, [Math.floor(ctx.clock.now())], newTarget) as object;
    }
    return Reflect.construct(target, args, newTarget) as object;
  },
  apply(target, thisArg, args) {
    const ctx = hostContext.getStore();
    if (ctx !== undefined) return new target(Math.floor(ctx.clock.now())).toString();
    return Reflect.apply(target, thisArg, args) as string;
  },
});

function perfNowHost(): number {
  const ctx = hostContext.getStore();
  return ctx === undefined ? real.perfNow() : ctx.clock.mono();
}

function monoNs(ctx: RunContext): bigint {
  return BigInt(Math.round(ctx.clock.mono() * 1e6));
}

function hrtimeOf(time?: [number, number]): [number, number] {
  const ctx = hostContext.getStore();
  if (ctx === undefined) return real.hrtime(time);
  if (time !== undefined && (!Array.isArray(time) || time.length !== 2)) return real.hrtime(time); // Node's argument errors
  const ns = monoNs(ctx);
  let s = Number(ns / 1_000_000_000n);
  let n = Number(ns % 1_000_000_000n);
  if (time !== undefined) {
    s -= time[0];
    n -= time[1];
    if (n < 0) { s--; n += 1e9; }
  }
  return [s, n];
}

function hrtimeBigintHost(): bigint {
  const ctx = hostContext.getStore();
  return ctx === undefined ? real.hrtimeBigint() : monoNs(ctx);
}

function abortTimeoutHost(delay: number): AbortSignal {
  const ctx = hostContext.getStore();
  if (ctx === undefined) return real.abortTimeout(delay);
  validateUint32(delay, 'delay', false);
  if (ctx.dead) ctx.refuse('AbortSignal.timeout');
  const ac = new AbortController();
  // Node's timeout signals do not hold the process open either.
  new Timeout(ctx, () => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), delay, undefined, false).unref();
  return ac.signal;
}

// ---- node:timers/promises ---------------------------------------------------------------------

interface TimerPromiseOptions {
  signal?: AbortSignal;
  ref?: boolean;
}

function promiseOptions(options: unknown): TimerPromiseOptions {
  validateObject(options, 'options');
  const o = options as TimerPromiseOptions;
  validateAbortSignal(o.signal, 'options.signal');
  if (o.ref !== undefined) validateBoolean(o.ref, 'options.ref');
  return o;
}

function abortedError(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason });
}

/** A promise settled by a timer or an immediate of `ctx`, cancelled by an abort signal. */
function timerPromise<T>(ctx: RunContext, start: (done: () => void) => Cancellable & { unref?(): unknown }, value: T, o: TimerPromiseOptions): Promise<T> {
  const { signal, ref = true } = o;
  if (signal?.aborted) return Promise.reject(abortedError(signal));
  return new Promise<T>((resolve, reject) => {
    let onAbort: (() => void) | null = null;
    const t = start(() => {
      if (onAbort !== null) signal!.removeEventListener('abort', onAbort);
      resolve(value);
    });
    if (!ref) t.unref?.();
    if (signal !== undefined) {
      onAbort = () => { t.cancel(); reject(abortedError(signal)); };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

function immediateStarter(ctx: RunContext): (done: () => void) => Cancellable & { unref(): unknown } {
  return (done) => {
    const imm = hostContext.run(ctx, () => setImmediateHost(done)) as NodeJS.Immediate;
    return { cancel: () => clearImmediateHost(imm), unref: () => imm.unref() };
  };
}

function makePromiseTimers(tp: typeof import('node:timers/promises')) {
  const realTp = { setTimeout: tp.setTimeout, setImmediate: tp.setImmediate, setInterval: tp.setInterval };
  const realScheduler = tp.scheduler ? { wait: tp.scheduler.wait.bind(tp.scheduler), yield: tp.scheduler.yield.bind(tp.scheduler) } : null;

  function setTimeoutP<T = void>(delay?: number, value?: T, options: unknown = {}): Promise<T> {
    const ctx = hostContext.getStore();
    if (ctx === undefined) return realTp.setTimeout(delay, value as T, options as TimerPromiseOptions);
    let o: TimerPromiseOptions;
    try { o = promiseOptions(options); } catch (e) { return Promise.reject(e); }
    if (ctx.dead) ctx.refuse('timers/promises setTimeout');
    return timerPromise(ctx, (done) => new Timeout(ctx, done, delay, undefined, false), value as T, o);
  }

  function setImmediateP<T = void>(value?: T, options: unknown = {}): Promise<T> {
    const ctx = hostContext.getStore();
    if (ctx === undefined) return realTp.setImmediate(value as T, options as TimerPromiseOptions);
    let o: TimerPromiseOptions;
    try { o = promiseOptions(options); } catch (e) { return Promise.reject(e); }
    if (ctx.dead) ctx.refuse('timers/promises setImmediate');
    return timerPromise(ctx, immediateStarter(ctx), value as T, o);
  }

  function setIntervalP<T = void>(delay?: number, value?: T, options: unknown = {}): AsyncIterableIterator<T> {
    const ctx = hostContext.getStore();
    if (ctx === undefined) return realTp.setInterval(delay, value as T, options as TimerPromiseOptions);
    const o = promiseOptions(options);
    return intervalIterator(ctx, delay, value as T, o);
  }

  const scheduler = {
    wait(delay: number, options?: { signal?: AbortSignal }): Promise<void> {
      const ctx = hostContext.getStore();
      if (ctx === undefined) return realScheduler!.wait(delay, options);
      return setTimeoutP(delay, undefined, { signal: options?.signal });
    },
    yield(): Promise<void> {
      const ctx = hostContext.getStore();
      if (ctx === undefined) return realScheduler!.yield();
      return setImmediateP();
    },
  };
  return { setTimeoutP, setImmediateP, setIntervalP, scheduler, hasScheduler: realScheduler !== null, native: realTp };
}

/** timers/promises setInterval: an async iterator that yields `value` once per tick it has not consumed. */
function intervalIterator<T>(ctx: RunContext, delay: unknown, value: T, o: TimerPromiseOptions): AsyncIterableIterator<T> {
  const { signal, ref = true } = o;
  let pending = 0;
  let waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  let done = false;
  let failure: unknown = null;
  let timer: Timeout | null = null;
  const onAbort = (): void => {
    failure = abortedError(signal!);
    stop();
    if (waiter !== null) { const w = waiter; waiter = null; w.reject(failure); }
  };
  const stop = (): void => {
    done = true;
    timer?.close();
    signal?.removeEventListener('abort', onAbort);
  };
  if (signal?.aborted) failure = abortedError(signal);
  else {
    if (ctx.dead) ctx.refuse('timers/promises setInterval');
    timer = new Timeout(ctx, () => {
      pending++;
      if (waiter !== null) { const w = waiter; waiter = null; pending--; w.resolve({ value, done: false }); }
    }, delay, undefined, true);
    if (!ref) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  }
  const it: AsyncIterableIterator<T> = {
    next(): Promise<IteratorResult<T>> {
      if (failure !== null) { const f = failure; failure = null; done = true; return Promise.reject(f); }
      if (done) return Promise.resolve({ value: undefined, done: true });
      if (pending > 0) { pending--; return Promise.resolve({ value, done: false }); }
      return new Promise((resolve, reject) => { waiter = { resolve, reject }; });
    },
    return(): Promise<IteratorResult<T>> {
      stop();
      if (waiter !== null) { const w = waiter; waiter = null; w.resolve({ value: undefined, done: true }); }
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() { return it; },
  };
  return it;
}

// ---- real work --------------------------------------------------------------------------------

/** async_hooks types that are never real work (promises, ticks, timers, immediates). */
const notWork = new Set(['PROMISE', 'Timeout', 'Immediate', 'TickObject', 'Microtask', 'TIMERWRAP']);

/** Real requests (libuv's) started by host code of each virtual network, until seen settled. */
const outstanding = new WeakMap<Scheduler, object[]>();

/** Whether real work started by code of the network on `sched` is still outstanding. */
/** Whether the ChildProcess owning process handle `handle` still waits for stdio to close. */
function childOpen(handle: object): boolean {
  const owner = Object.getOwnPropertySymbols(handle).find((s) => s.description === 'owner_symbol');
  if (owner === undefined) return false;
  const child = (handle as Record<symbol, unknown>)[owner] as { _closesGot?: unknown; _closesNeeded?: unknown } | undefined;
  return typeof child?._closesGot === 'number' && typeof child._closesNeeded === 'number' && child._closesGot < child._closesNeeded;
}

/**
 * Node 26's fs.promises.readFile is a ReadFileJob (thread-pool work) that neither
 * process._getActiveRequests() nor getActiveResourcesInfo() lists: it is done once the
 * callback it is given as `ondone` has been called.
 */
const jobsDone = new WeakSet<object>();
function watchJob(job: object): void {
  if (Object.prototype.hasOwnProperty.call(job, 'ondone')) return;
  Object.defineProperty(job, 'ondone', {
    configurable: true,
    set(fn: unknown) {
      const call = typeof fn === 'function'
        ? function (this: unknown, ...args: unknown[]) { jobsDone.add(job); return (fn as (...a: unknown[]) => unknown).apply(this, args); }
        : fn;
      Object.defineProperty(job, 'ondone', { value: call, writable: true, configurable: true, enumerable: true });
    },
  });
}

function realWorkOf(sched: Scheduler): boolean {
  const list = outstanding.get(sched);
  if (list === undefined || list.length === 0) return false;
  const process_ = process as unknown as { _getActiveRequests(): object[]; _getActiveHandles(): Array<{ _handle?: unknown }> };
  const active = new Set<unknown>(process_._getActiveRequests());
  let children: Set<unknown> | null = null;
  let n = 0;
  for (const r of list) {
    let live = active.has(r) || (r.constructor?.name === 'ReadFileJob' && !jobsDone.has(r));
    if (!live && r.constructor?.name === 'Process') {
      // A child process: its handle stays among the active ones until it exited, and its
      // ChildProcess is not done until its stdio pipes closed too ('close', which execFile's
      // callback waits for); the pipes may close well after the exit on a loaded machine.
      children ??= new Set(process_._getActiveHandles().map((h) => h?._handle));
      live = children.has(r) || childOpen(r);
    }
    if (live) list[n++] = r;
  }
  list.length = n;
  return n > 0;
}

// ---- fake timers ------------------------------------------------------------------------------
//
// @sinonjs/fake-timers (and so Vitest's vi.useFakeTimers()) and node:test's mock.timers replace
// the timer functions (global, node:timers', node:timers/promises') by assigning them, and put
// back what they found (sinon by assigning, node:test by redefining the property with the
// descriptor it saved). Those properties are accessors: an assignment makes the assigned function
// what code outside any host gets, while host code keeps the network's clock; each assignment
// makes a new accessor, so a saved descriptor put back restores what outside code had then.
// Date stays a data property (mock.timers reads its descriptor's value): a fake Date is host
// code's Date too while it is installed.

const TIMER_NAMES = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'] as const;
type TimerName = typeof TIMER_NAMES[number];
const PROMISE_NAMES = ['setTimeout', 'setImmediate', 'setInterval'] as const;

/** The time functions host code gets, as installed (code outside any host gets Node's). */
const gen0: Record<TimerName, object> = {
  setTimeout: setTimeoutHost, clearTimeout: clearTimeoutHost, setInterval: setIntervalHost,
  clearInterval: clearIntervalHost, setImmediate: setImmediateHost, clearImmediate: clearImmediateHost,
};

/** What each of our versions gives code outside any host (the function or Date it wraps). */
const outsideOf = new WeakMap<object, unknown>();

/** Whether `timer` is one host code got from setTimeout/setInterval/setImmediate. */
function isHostTimer(timer: unknown): boolean {
  if (timer instanceof Timeout) return true;
  if (typeof timer === 'number' || typeof timer === 'string') return byId.has(Number(timer));
  return timer !== null && typeof timer === 'object' && kImmediate in timer;
}

/** Our version of a time function whose code outside any host gets `outside`. */
function versionFor(ours: object, outside: unknown): unknown {
  if (outside === outsideOf.get(ours)) return ours;
  if (typeof outside !== 'function') return outside; // not a timer function: left as assigned
  const out = outside as (...a: unknown[]) => unknown;
  let v: object;
  if (ours === gen0.clearTimeout || ours === gen0.clearInterval || ours === gen0.clearImmediate) {
    const host = ours as (t: unknown) => void;
    v = { [out.name]: function (this: unknown, timer: unknown) { return isHostTimer(timer) ? host(timer) : out.call(this, timer); } }[out.name]!;
  } else {
    const host = ours as (...a: unknown[]) => unknown;
    v = { [out.name]: function (this: unknown, ...args: unknown[]) { return (hostContext.getStore() === undefined ? out : host).apply(this, args); } }[out.name]!;
  }
  // What a fake timer library hangs on its functions (sinon's .clock, util.promisify.custom).
  for (const key of Reflect.ownKeys(out)) {
    if (key === 'length' || key === 'name' || key === 'prototype') continue;
    const d = Object.getOwnPropertyDescriptor(out, key)!;
    Object.defineProperty(v, key, { ...d, configurable: true });
  }
  const custom = Symbol.for('nodejs.util.promisify.custom');
  const ourCustom = (ours as Record<symbol, ((...a: unknown[]) => unknown) | undefined>)[custom];
  if (ourCustom !== undefined) {
    const theirs = (out as unknown as Record<symbol, ((...a: unknown[]) => unknown) | undefined>)[custom];
    Object.defineProperty(v, custom, {
      configurable: true,
      value: (...a: unknown[]) => (hostContext.getStore() === undefined && theirs !== undefined ? theirs : ourCustom)(...a),
    });
  }
  outsideOf.set(v, outside);
  return v;
}

/**
 * obj[name] becomes an accessor returning `ours` (what obj[name] was is what code outside any
 * host gets); assigning it a function makes a new accessor returning a version of ours around
 * that function (or, given back one of our versions, that version again).
 */
function stick(obj: Record<string, unknown>, name: string, ours: object, native: unknown): void {
  outsideOf.set(ours, native);
  const was = obj[name];
  define(obj, name, ours, was === native ? ours : versionFor(ours, was)); // fakes already on: they stay
}

function define(obj: Record<string, unknown>, name: string, ours: object, value: unknown): void {
  const enumerable = Object.getOwnPropertyDescriptor(obj, name)?.enumerable ?? true;
  Object.defineProperty(obj, name, {
    configurable: true,
    enumerable,
    get: () => value,
    set(v: unknown) {
      if (v === value) return;
      if (typeof v === 'function' && outsideOf.has(v)) define(obj, name, ours, v); // one of ours, put back
      else define(obj, name, ours, versionFor(ours, v));
    },
  });
}

// ---- install ----------------------------------------------------------------------------------

let installed = false;

const hrtimeHost = hrtimeOf as typeof process.hrtime;

/**
 * Date, performance.now and process.hrtime become the network's where they are Node's own: at
 * install, and whenever code runs as a host after that. A fake timer library installed before
 * the first host code (Vitest's vi.useFakeTimers() at the top of a test) keeps its fakes, host
 * code's too while they are installed; uninstalling puts Node's own back (sinon's by assigning
 * what it found, node:test's by redefining the property), and the next host code or network
 * event finds them and puts the network's back. A data property for Date: node:test's
 * mock.timers reads its descriptor's value.
 */
export function reclaimClocks(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  if (g.Date === real.Date || g.Date === undefined) g.Date = DateHost;
  if (process.hrtime === real.hrtime) process.hrtime = hrtimeHost;
  const perf = real.performance;
  if (perf.now !== perfNowHost && !Object.prototype.hasOwnProperty.call(perf, 'now')) perf.now = perfNowHost;
}

/** Patches the time globals once per process (see the top of this file). */
export function installTime(): void {
  if (installed) return;
  installed = true;

  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of TIMER_NAMES) stick(g, name, gen0[name], real[name]);
  // setTimeout[util.promisify.custom] and setImmediate's: timers/promises' versions, as in Node.
  const tp = require('node:timers/promises') as typeof import('node:timers/promises') & Record<string, unknown>;
  const pt = makePromiseTimers(tp);
  Object.defineProperty(setTimeoutHost, Symbol.for('nodejs.util.promisify.custom'), { value: pt.setTimeoutP });
  Object.defineProperty(setImmediateHost, Symbol.for('nodejs.util.promisify.custom'), { value: pt.setImmediateP });

  real.Date.now = dateNowHost;
  Object.defineProperty(real.Date.prototype, 'constructor', { value: DateHost, writable: true, configurable: true, enumerable: false });
  const perf = real.performance;
  const realOrigin = perf.timeOrigin as number;
  Object.defineProperty(perf, 'timeOrigin', {
    configurable: true, enumerable: true,
    get() {
      const ctx = hostContext.getStore();
      return ctx === undefined ? realOrigin : ctx.clock.now() - ctx.clock.mono();
    },
  });
  hrtimeHost.bigint = hrtimeBigintHost;
  reclaimClocks();
  AbortSignal.timeout = abortTimeoutHost;

  const timers = require('node:timers') as Record<string, unknown>;
  for (const name of TIMER_NAMES) stick(timers, name, gen0[name], real[name]);
  const promiseGen0 = { setTimeout: pt.setTimeoutP, setImmediate: pt.setImmediateP, setInterval: pt.setIntervalP };
  for (const name of PROMISE_NAMES) stick(tp, name, promiseGen0[name], pt.native[name]);
  if (pt.hasScheduler) {
    const s = tp.scheduler as unknown as Record<string, unknown>;
    s.wait = pt.scheduler.wait;
    s.yield = pt.scheduler.yield;
  }
  syncBuiltinESMExports();

  // Real work started inside a host context of a virtual network (see realWorkOf).
  createHook({
    init(_id, type, _trigger, resource) {
      if (notWork.has(type)) return;
      const ctx = hostContext.getStore();
      if (ctx === undefined || !ctx.virtual) return;
      let list = outstanding.get(ctx.sched);
      if (list === undefined) outstanding.set(ctx.sched, list = []);
      list.push(resource);
      if (type === 'FSREQCALLBACK' && (resource as object).constructor?.name === 'ReadFileJob') watchJob(resource as object);
    },
  }).enable();
}

/**
 * The network on `sched` gets host code: the globals are patched, scheduler events run outside
 * any host's context, virtual time waits for real work, and exceptions of program callbacks go
 * to `uncaught`.
 */
export function adoptPrograms(sched: Scheduler, uncaught: (err: unknown) => boolean): void {
  installTime();
  reclaimClocks();
  if (sched.hasPrograms) return;
  const hooks: ProgramHooks = {
    realWork: () => realWorkOf(sched),
    uncaught,
    beforeEvents: reclaimClocks,
  };
  const root = hostContext.exit(() => new AsyncResource('usernet.Scheduler'));
  sched.adoptPrograms(hooks, root);
}
