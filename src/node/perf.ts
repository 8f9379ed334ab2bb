// perf_hooks entries of one host, as Node emits them for its own net and dns (internal/perf/
// observe's startPerf/stopPerf): a 'net' entry named 'connect' for each TCP connection made
// (detail { host, port }), a 'dns' entry named 'lookup' for each lookup (detail { hostname,
// family, hints, verbatim, addresses }). Only while something observes that type, as in Node.
// Times are the host's clock in milliseconds (virtual or real).
//
//   const obs = new host.perf_hooks.PerformanceObserver((list) => list.getEntries());
//   obs.observe({ type: 'net' });            // or { entryTypes: ['net', 'dns'] }
import { codes } from './errors.js';
import { validateFunction } from './validators.js';

const { ERR_INVALID_ARG_TYPE, ERR_MISSING_ARGS } = codes;

/** The entry types a host emits. */
export const HOST_ENTRY_TYPES: readonly string[] = Object.freeze(['dns', 'net']);

/** One entry, shaped like Node's PerformanceNodeEntry. */
export class HostPerformanceEntry {
  constructor(readonly name: string, readonly entryType: string, readonly startTime: number,
    readonly duration: number, readonly detail: Record<string, unknown>) {}
  toJSON(): Record<string, unknown> {
    return { name: this.name, entryType: this.entryType, startTime: this.startTime, duration: this.duration, detail: this.detail };
  }
}

/** What an observer's callback receives (PerformanceObserverEntryList). */
export class HostPerformanceEntryList {
  constructor(private readonly list: readonly HostPerformanceEntry[]) {}
  getEntries(): HostPerformanceEntry[] { return [...this.list]; }
  getEntriesByType(type: string): HostPerformanceEntry[] { return this.list.filter((e) => e.entryType === type); }
  getEntriesByName(name: string, type?: string): HostPerformanceEntry[] {
    return this.list.filter((e) => e.name === name && (type === undefined || e.entryType === type));
  }
}

/** A measurement started while someone observed its type (Node's perf context). */
export interface PerfMark {
  readonly type: string;
  readonly name: string;
  readonly startTime: number;
  readonly detail: Record<string, unknown>;
}

export type ObserverCallback = (list: HostPerformanceEntryList, observer: HostObserverLike) => void;
export interface HostObserverLike {
  observe(options: { type?: string; entryTypes?: string[] }): void;
  disconnect(): void;
  takeRecords(): HostPerformanceEntry[];
}

/** One host's timeline of 'net' and 'dns' entries and the observers of it. */
export class HostPerformance {
  private readonly observers = new Set<Observer>();
  private readonly pending = new Set<Observer>();
  private dispatching = false;
  /** host.perf_hooks.PerformanceObserver. */
  readonly PerformanceObserver: new (callback: ObserverCallback) => HostObserverLike;

  constructor(readonly now: () => number) {
    const perf = this;
    this.PerformanceObserver = class PerformanceObserver extends Observer {
      static get supportedEntryTypes(): readonly string[] { return HOST_ENTRY_TYPES; }
      constructor(callback: ObserverCallback) { super(perf, callback); }
    };
  }

  /** Node's hasObserver(type). */
  hasObserver(type: string): boolean {
    for (const o of this.observers) if (o.types.has(type)) return true;
    return false;
  }

  /** startPerf: null when nobody observes `type` (then stop() does nothing). */
  start(type: string, name: string, detail: Record<string, unknown>): PerfMark | null {
    if (!this.hasObserver(type)) return null;
    return { type, name, detail, startTime: this.now() };
  }

  /** stopPerf: the entry goes to every observer of its type, delivered on a later turn. */
  stop(mark: PerfMark | null, detail?: Record<string, unknown>): void {
    if (mark === null || !this.hasObserver(mark.type)) return;
    const entry = new HostPerformanceEntry(mark.name, mark.type, mark.startTime, this.now() - mark.startTime, { ...mark.detail, ...detail });
    for (const o of this.observers) {
      if (!o.types.has(entry.entryType)) continue;
      o.buffer.push(entry);
      this.pending.add(o);
    }
    if (this.pending.size > 0 && !this.dispatching) {
      this.dispatching = true;
      setImmediate(() => {
        this.dispatching = false;
        const due = [...this.pending];
        this.pending.clear();
        for (const o of due) o.dispatch();
      });
    }
  }

  /** @internal */ connect(o: Observer): void { this.observers.add(o); }
  /** @internal */ disconnect(o: Observer): void { this.observers.delete(o); this.pending.delete(o); }
}

class Observer implements HostObserverLike {
  readonly types = new Set<string>();
  buffer: HostPerformanceEntry[] = [];
  constructor(private readonly perf: HostPerformance, private readonly callback: ObserverCallback) {
    validateFunction(callback, 'callback');
  }

  observe(options: { type?: string; entryTypes?: string[] } = {}): void {
    if (options === null || typeof options !== 'object') throw new ERR_INVALID_ARG_TYPE('options', 'Object', options);
    const { type, entryTypes } = options;
    if (type === undefined && entryTypes === undefined) throw new ERR_MISSING_ARGS('options.entryTypes', 'options.type');
    const wanted = entryTypes !== undefined ? entryTypes : [type!];
    if (!Array.isArray(wanted)) throw new ERR_INVALID_ARG_TYPE('options.entryTypes', 'string[]', entryTypes);
    if (entryTypes !== undefined) this.types.clear();
    for (const t of wanted) if (HOST_ENTRY_TYPES.includes(t)) this.types.add(t);
    if (this.types.size > 0) this.perf.connect(this);
  }

  disconnect(): void {
    this.types.clear();
    this.buffer = [];
    this.perf.disconnect(this);
  }

  takeRecords(): HostPerformanceEntry[] {
    const out = this.buffer;
    this.buffer = [];
    return out;
  }

  /** @internal */
  dispatch(): void {
    if (this.buffer.length === 0) return;
    const list = new HostPerformanceEntryList(this.takeRecords());
    this.callback.call(this, list, this);
  }
}
