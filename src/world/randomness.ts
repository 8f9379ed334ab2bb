// Seeded randomness for code that runs as a host of a virtual-clock network: Math.random,
// crypto.randomBytes / randomFillSync / randomFill / randomInt / randomUUID / getRandomValues
// (node:crypto's and globalThis.crypto's) draw from the host's own Random, derived from the
// network's seed and the host's name, so the same seed and programs draw the same numbers. On
// the real clock and outside any host they are Node's own. Key generation, TLS and the rest of
// OpenSSL draw their own randomness.

import { createRequire, syncBuiltinESMExports } from 'node:module';
import { Random } from '../links/random.js';
import { hostContext, type RunContext } from './context.js';

const require = createRequire(import.meta.url);

/** A host's program randomness: independent of the kernel's draws (adding a program changes none of those). */
const sources = new WeakMap<object, Random>();

function sourceOf(ctx: RunContext): Random | undefined {
  if (!ctx.virtual) return undefined;
  let r = sources.get(ctx.host);
  if (r === undefined) {
    const host = ctx.host as unknown as { name: string; network: { seed: number } };
    sources.set(ctx.host, r = new Random(hash(`${host.network.seed}\u0000${host.name}\u0000programs`)));
  }
  return r;
}

/** FNV-1a over a string's UTF-16 units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function current(): Random | undefined {
  const ctx = hostContext.getStore();
  return ctx === undefined ? undefined : sourceOf(ctx);
}

/** 53 random bits as a double in [0, 1), as V8's Math.random gives. */
function double(r: Random): number {
  return ((r.u32() >>> 5) * 67108864 + (r.u32() >>> 6)) / 9007199254740992;
}

function fillView(r: Random, view: ArrayBufferView, offset = 0, size?: number): void {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  r.fill(bytes.subarray(offset, size === undefined ? undefined : offset + size));
}

function uuid(r: Random): string {
  const b = r.fill(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40; // RFC 9562 §5.4: version 4
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Replaces obj[name] (a data property or a getter, as node:crypto's getRandomValues is). */
function put(obj: Record<string, unknown>, name: string, value: unknown): void {
  const d = Object.getOwnPropertyDescriptor(obj, name);
  if (d !== undefined && !d.configurable) { if (d.writable) obj[name] = value; return; }
  Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: d?.enumerable ?? true });
}

let installed = false;

/** Patches the random sources once per process (see the top of this file). */
export function installRandomness(): void {
  if (installed) return;
  installed = true;

  const mathRandom = Math.random;
  Math.random = function random(): number {
    const r = current();
    return r === undefined ? mathRandom() : double(r);
  };

  const crypto = require('node:crypto') as Record<string, unknown>;
  const real = {
    randomBytes: crypto.randomBytes as (n: number, cb?: (e: Error | null, b: Buffer) => void) => Buffer | undefined,
    randomFillSync: crypto.randomFillSync as (b: ArrayBufferView, o?: number, s?: number) => ArrayBufferView,
    randomFill: crypto.randomFill as (...a: unknown[]) => void,
    randomInt: crypto.randomInt as (...a: unknown[]) => number | undefined,
    randomUUID: crypto.randomUUID as (o?: unknown) => string,
    getRandomValues: crypto.getRandomValues as <T extends ArrayBufferView>(a: T) => T,
  };

  put(crypto, 'randomBytes', function randomBytes(size: number, cb?: (e: Error | null, b: Buffer) => void): Buffer | undefined {
    const r = current();
    if (r === undefined || typeof size !== 'number' || !(size >= 0) || (cb !== undefined && typeof cb !== 'function')) return real.randomBytes(size, cb);
    const buf = Buffer.allocUnsafe(size);
    r.fill(buf);
    if (cb === undefined) return buf;
    setImmediate(cb, null, buf); // the host's immediate: in order, on the network's clock
    return undefined;
  });
  for (const alias of ['pseudoRandomBytes', 'prng', 'rng']) if (alias in crypto) put(crypto, alias, crypto.randomBytes);
  put(crypto, 'randomFillSync', function randomFillSync<T extends ArrayBufferView>(buf: T, offset = 0, size?: number): T {
    const r = current();
    if (r === undefined || !ArrayBuffer.isView(buf)) return real.randomFillSync(buf, offset, size) as T;
    fillView(r, buf, offset, size);
    return buf;
  });
  put(crypto, 'randomFill', function randomFill(buf: ArrayBufferView, ...rest: unknown[]): void {
    const r = current();
    const cb = rest[rest.length - 1];
    if (r === undefined || !ArrayBuffer.isView(buf) || typeof cb !== 'function') { real.randomFill(buf, ...rest); return; }
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const size = typeof rest[1] === 'number' ? rest[1] : undefined;
    fillView(r, buf, offset, size);
    setImmediate(cb as (e: null, b: ArrayBufferView) => void, null, buf);
  });
  put(crypto, 'randomInt', function randomInt(...args: unknown[]): number | undefined {
    const r = current();
    const cb = typeof args[args.length - 1] === 'function' ? args.pop() as (e: null, n: number) => void : undefined;
    let min = 0;
    let max = args[0];
    if (args.length >= 2) { min = args[0] as number; max = args[1]; }
    if (r === undefined || !Number.isSafeInteger(min) || !Number.isSafeInteger(max) || (max as number) <= min) {
      return real.randomInt(...args, ...(cb ? [cb] : []));
    }
    const n = min + Math.floor(double(r) * ((max as number) - min));
    if (cb === undefined) return n;
    setImmediate(cb, null, n);
    return undefined;
  });
  put(crypto, 'randomUUID', function randomUUID(options?: unknown): string {
    const r = current();
    return r === undefined ? real.randomUUID(options) : uuid(r);
  });
  put(crypto, 'getRandomValues', function getRandomValues<T extends ArrayBufferView>(array: T): T {
    const r = current();
    if (r === undefined || !ArrayBuffer.isView(array)) return real.getRandomValues(array);
    if (array.byteLength > 65536) return real.getRandomValues(array); // Node's QuotaExceededError
    fillView(r, array);
    return array;
  });
  const web = globalThis.crypto as unknown as Record<string, unknown> | undefined;
  if (web !== undefined) {
    const webGet = (web.getRandomValues as (a: ArrayBufferView) => ArrayBufferView).bind(web);
    const webUuid = (web.randomUUID as () => string).bind(web);
    put(web, 'getRandomValues', function getRandomValues<T extends ArrayBufferView>(array: T): T {
      const r = current();
      if (r === undefined || !ArrayBuffer.isView(array) || array.byteLength > 65536) return webGet(array) as T;
      fillView(r, array);
      return array;
    });
    put(web, 'randomUUID', function randomUUID(): string {
      const r = current();
      return r === undefined ? webUuid() : uuid(r);
    });
  }
  syncBuiltinESMExports();
}
