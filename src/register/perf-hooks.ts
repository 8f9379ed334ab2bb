// usernet/register: perf_hooks.PerformanceObserver (and the global one) also observe the
// virtual host's 'net' and 'dns' entries, which Node's own net and dns would have emitted, besides
// Node's own entries (lookupService, resolve*: Node's dns still answers those); one callback
// receives both, as one observer would.
import type { HostObserverLike, HostPerformance, HostPerformanceEntry } from '../node/perf.js';
import { HOST_ENTRY_TYPES } from '../node/perf.js';

interface ObserveOptions { type?: string; entryTypes?: string[]; buffered?: boolean }
interface NodeObserver { observe(o: ObserveOptions): void; disconnect(): void; takeRecords(): unknown[] }
type NodeObserverClass = new (cb: (list: unknown, obs: unknown) => void) => NodeObserver;

export function observeHostEntries(perfHooks: Record<string, unknown>, perf: HostPerformance): void {
  const Base = perfHooks.PerformanceObserver as NodeObserverClass & { supportedEntryTypes: readonly string[] };
  const HostObserver = perf.PerformanceObserver;
  const PerformanceObserver = class PerformanceObserver extends Base {
    static override get supportedEntryTypes(): readonly string[] { return Base.supportedEntryTypes; }
    readonly #host: HostObserverLike;
    constructor(callback: (list: unknown, obs: unknown) => void) {
      super((list) => callback(list, this)); // Node validates the callback
      this.#host = new HostObserver((list) => callback(list, this));
    }
    override observe(options: ObserveOptions = {}): void {
      // Node's own entries too: the dns functions the host does not answer stay Node's.
      super.observe(options);
      const { type, entryTypes } = options ?? {};
      const ours = (t: unknown): t is string => typeof t === 'string' && HOST_ENTRY_TYPES.includes(t);
      if (Array.isArray(entryTypes)) {
        const mine = entryTypes.filter(ours);
        if (mine.length > 0) this.#host.observe({ entryTypes: mine });
      } else if (ours(type)) {
        this.#host.observe({ type });
      }
    }
    override disconnect(): void {
      this.#host.disconnect();
      super.disconnect();
    }
    override takeRecords(): Array<unknown | HostPerformanceEntry> {
      return [...super.takeRecords(), ...this.#host.takeRecords()];
    }
  };
  perfHooks.PerformanceObserver = PerformanceObserver;
  if ((globalThis as Record<string, unknown>).PerformanceObserver === Base) {
    (globalThis as Record<string, unknown>).PerformanceObserver = PerformanceObserver;
  }
}
