// A host's sysctl settings (Linux /proc/sys/net/...): Linux's names, value syntax, ranges and
// defaults (Documentation/networking/ip-sysctl.rst). Each part of the kernel registers the
// settings it reads (TCP's in tcp/sysctl.ts); host.sysctl() reads and writes them.
//
//   table.read('net.ipv4.tcp_sack')                 -> 1
//   table.write('net.ipv4.tcp_rmem', '4096 87380 6291456')  -> undefined, or a SysctlFailure
//
// Values are integers, vectors of integers (tcp_rmem) or strings (tcp_congestion_control).
// Writes take what `sysctl -w` takes: numbers (decimal, 0x hex or 0 octal, as proc_dointvec
// reads them), text with the integers separated by blanks, or an array; a vector written
// with fewer numbers changes only the first ones, as in Linux.

import { LazyMap } from '../links/lazy.js';

export type SysctlValue = number | string | number[];

/** Why a read or write failed: ENOENT (no such setting), EINVAL (bad value), EPERM (read-only). */
export interface SysctlFailure {
  code: 'ENOENT' | 'EINVAL' | 'EPERM';
  /** What was wrong, for the error message. */
  reason: string;
  /** For EINVAL of a number: the accepted range in words ('0 or 1', '>= 1 and <= 127'). */
  range?: string;
  /** The value refused. */
  received?: unknown;
}

interface IntSpec {
  kind: 'int';
  get(): number;
  set(v: number): void;
  /** Inclusive range, or the list of accepted values. */
  min?: number;
  max?: number;
  values?: readonly number[];
  /** An unsigned int (proc_douintvec): 0 to 4294967295 rather than a C int's range. */
  unsigned?: boolean;
}

interface VectorSpec {
  kind: 'vector';
  get(): number[];
  set(v: number[]): void;
  /** Each element's inclusive range. */
  min?: number;
  max?: number;
}

interface StringSpec {
  kind: 'string';
  get(): string;
  set?(v: string): void;
  /** The accepted values (set) or none (read-only). */
  values?(): readonly string[];
  /** Whether a value of a free-form setting is well formed (tcp_fastopen_key). */
  valid?(v: string): boolean;
}

export type SysctlSpec = IntSpec | VectorSpec | StringSpec;

/** Largest value of a C int (proc_dointvec). */
export const INT_MAX = 0x7fffffff;
/** Largest value of a C unsigned int (proc_douintvec). */
export const UINT_MAX = 0xffffffff;

/** Parses one integer as proc_dointvec does (base 0: 10, 0x16 or 0 octal, with a sign). */
function parseInt0(t: string): number | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(t);
  if (m === null) return null;
  const body = m[2]!;
  let n: number;
  if (body.length > 1 && (body[1] === 'x' || body[1] === 'X')) n = parseInt(body.slice(2), 16);
  else if (body.length > 1 && body[0] === '0') n = parseInt(body, 8);
  else n = parseInt(body, 10);
  return m[1] === '-' ? -n : n;
}

function rangeText(s: { min?: number; max?: number; values?: readonly number[]; unsigned?: boolean }): string {
  if (s.unsigned === true) s = { min: s.min ?? 0, max: s.max ?? UINT_MAX };
  if (s.values !== undefined) {
    const v = s.values.map(String);
    return v.length <= 2 ? v.join(' or ') : `${v.slice(0, -1).join(', ')} or ${v[v.length - 1]}`;
  }
  if (s.min !== undefined && s.max !== undefined) return `>= ${s.min} and <= ${s.max}`;
  if (s.min !== undefined) return `>= ${s.min}`;
  if (s.max !== undefined) return `<= ${s.max}`;
  return 'an integer';
}

function inRange(s: { min?: number; max?: number; values?: readonly number[]; unsigned?: boolean }, n: number): boolean {
  if (s.values !== undefined) return s.values.includes(n);
  const [lo, hi] = s.unsigned === true ? [0, UINT_MAX] : [-INT_MAX - 1, INT_MAX];
  return (s.min === undefined || n >= s.min) && (s.max === undefined || n <= s.max) && n >= lo && n <= hi;
}

/** Integers from a written value: a number, a boolean, an array, or text (blank-separated). */
function integers(v: unknown): number[] | null {
  if (typeof v === 'boolean') return [v ? 1 : 0];
  if (typeof v === 'number') return Number.isInteger(v) ? [v] : null;
  if (Array.isArray(v)) {
    const out: number[] = [];
    for (const x of v) {
      if (typeof x === 'number' && Number.isInteger(x)) out.push(x);
      else if (typeof x === 'string') { const n = parseInt0(x.trim()); if (n === null) return null; out.push(n); }
      else return null;
    }
    return out.length > 0 ? out : null;
  }
  if (typeof v === 'string') {
    const parts = v.trim().split(/\s+/);
    if (parts.length === 0 || parts[0] === '') return null;
    const out: number[] = [];
    for (const p of parts) { const n = parseInt0(p); if (n === null) return null; out.push(n); }
    return out;
  }
  return null;
}

/** The settings of one host, by Linux name. */
export class SysctlTable {
  private readonly _specs = new LazyMap<string, SysctlSpec>();
  /** Registrations not run yet (see provide()). */
  private pending: Array<(t: SysctlTable) => void> | null = null;

  /** Adds a setting (a layer's own); replaces one of the same name. */
  register(name: string, spec: SysctlSpec): void {
    this.specs.set(name, spec);
  }

  /**
   * Registers a layer's settings when the table is first looked at: `fn` calls register().
   * A host whose settings nobody reads or writes never builds their specs (most hosts of a big
   * network).
   */
  provide(fn: (t: SysctlTable) => void): void {
    if (this.pending === null) this.pending = [fn];
    else this.pending.push(fn);
  }

  private get specs(): Map<string, SysctlSpec> {
    const p = this.pending;
    if (p !== null) {
      this.pending = null;
      for (const fn of p) fn(this);
    }
    return this._specs;
  }

  /**
   * 'net/ipv4/tcp_sack' and '/proc/sys/net/ipv4/tcp_sack' name 'net.ipv4.tcp_sack', as sysctl(8)
   * takes them; a module parameter's file '/sys/module/tcp_cubic/parameters/hystart' names
   * 'tcp_cubic.hystart', as the kernel command line does.
   */
  static canonical(name: string): string {
    const m = /^\/?sys\/module\/([^/]+)\/parameters\/([^/]+)$/.exec(name);
    if (m !== null) return `${m[1]}.${m[2]}`;
    return name.replace(/^\/proc\/sys\//, '').replace(/^\//, '').replace(/\//g, '.');
  }

  has(name: string): boolean {
    return this.specs.has(SysctlTable.canonical(name));
  }

  /** Every name, sorted (sysctl -a's order). */
  names(): string[] {
    return [...this.specs.keys()].sort();
  }

  read(name: string): SysctlValue | SysctlFailure {
    const spec = this.specs.get(SysctlTable.canonical(name));
    if (spec === undefined) return { code: 'ENOENT', reason: 'no such setting' };
    return spec.get();
  }

  /** Writes a setting; undefined when it took the value. */
  write(name: string, value: unknown): SysctlFailure | undefined {
    const spec = this.specs.get(SysctlTable.canonical(name));
    if (spec === undefined) return { code: 'ENOENT', reason: 'no such setting' };
    switch (spec.kind) {
      case 'int': {
        const v = integers(value);
        if (v === null || v.length !== 1) return { code: 'EINVAL', reason: 'expects one integer', received: value };
        const n = v[0]!;
        if (!inRange(spec, n)) return { code: 'EINVAL', reason: 'out of range', range: rangeText(spec), received: n };
        spec.set(n);
        return undefined;
      }
      case 'vector': {
        const v = integers(value);
        const cur = spec.get();
        if (v === null || v.length > cur.length) {
          return { code: 'EINVAL', reason: `expects up to ${cur.length} integers separated by blanks`, received: value };
        }
        for (const n of v) if (!inRange(spec, n)) return { code: 'EINVAL', reason: 'out of range', range: rangeText(spec), received: n };
        // proc_dointvec: fewer values than the vector holds change only the first ones.
        const next = cur.slice();
        for (let i = 0; i < v.length; i++) next[i] = v[i]!;
        spec.set(next);
        return undefined;
      }
      case 'string': {
        if (spec.set === undefined) return { code: 'EPERM', reason: 'read-only' };
        if (typeof value !== 'string') return { code: 'EINVAL', reason: 'expects a string', received: value };
        const t = value.trim();
        const ok = spec.values?.();
        if (ok !== undefined && !ok.includes(t)) return { code: 'EINVAL', reason: `expects one of ${ok.map((x) => `'${x}'`).join(', ')}`, received: value };
        if (spec.valid !== undefined && !spec.valid(t)) return { code: 'EINVAL', reason: 'malformed value', received: value };
        spec.set(t);
        return undefined;
      }
    }
  }
}

/** A 0/1 setting over a boolean. */
export function boolSysctl(get: () => boolean, set: (on: boolean) => void): SysctlSpec {
  return { kind: 'int', values: [0, 1], get: () => (get() ? 1 : 0), set: (v) => set(v !== 0) };
}
