// Maps and sets that allocate their hash table on first insertion. An empty Map costs about
// 180 bytes of heap; a host has a few dozen tables (connections, listeners, caches, rate
// limiters) that stay empty in most hosts of a big network. Same interface as Map and Set;
// iteration sees entries added while it runs, as Map's does, once the table exists.

const EMPTY_MAP: ReadonlyMap<unknown, unknown> = new Map();
const EMPTY_SET: ReadonlySet<unknown> = new Set();

export class LazyMap<K, V> implements Map<K, V> {
  private m: Map<K, V> | null = null;

  get size(): number { return this.m === null ? 0 : this.m.size; }
  get(key: K): V | undefined { return this.m === null ? undefined : this.m.get(key); }
  has(key: K): boolean { return this.m !== null && this.m.has(key); }
  set(key: K, value: V): this {
    (this.m ??= new Map()).set(key, value);
    return this;
  }
  delete(key: K): boolean { return this.m !== null && this.m.delete(key); }
  clear(): void { this.m?.clear(); }
  forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    this.m?.forEach((v, k) => fn.call(thisArg, v, k, this));
  }
  entries(): MapIterator<[K, V]> { return (this.m ?? (EMPTY_MAP as unknown as Map<K, V>)).entries(); }
  keys(): MapIterator<K> { return (this.m ?? (EMPTY_MAP as unknown as Map<K, V>)).keys(); }
  values(): MapIterator<V> { return (this.m ?? (EMPTY_MAP as unknown as Map<K, V>)).values(); }
  [Symbol.iterator](): MapIterator<[K, V]> { return this.entries(); }
  get [Symbol.toStringTag](): string { return 'Map'; }
}

export class LazySet<T> implements Set<T> {
  private s: Set<T> | null = null;

  get size(): number { return this.s === null ? 0 : this.s.size; }
  has(value: T): boolean { return this.s !== null && this.s.has(value); }
  add(value: T): this {
    (this.s ??= new Set()).add(value);
    return this;
  }
  delete(value: T): boolean { return this.s !== null && this.s.delete(value); }
  clear(): void { this.s?.clear(); }
  forEach(fn: (value: T, value2: T, set: Set<T>) => void, thisArg?: unknown): void {
    this.s?.forEach((v) => fn.call(thisArg, v, v, this));
  }
  entries(): SetIterator<[T, T]> { return (this.s ?? (EMPTY_SET as unknown as Set<T>)).entries(); }
  keys(): SetIterator<T> { return (this.s ?? (EMPTY_SET as unknown as Set<T>)).keys(); }
  values(): SetIterator<T> { return (this.s ?? (EMPTY_SET as unknown as Set<T>)).values(); }
  [Symbol.iterator](): SetIterator<T> { return this.values(); }
  get [Symbol.toStringTag](): string { return 'Set'; }
}
