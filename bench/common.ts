// Shared helpers for benchmarks: each benchmark runs a usernet case and the same case on the
// kernel's loopback with node:net / node:dgram in the same process, and prints the ratio.
// BENCH_QUICK=1 (used by the test suite) makes every benchmark small so it cannot rot.

import type * as nodeNet from 'node:net';

export const QUICK = process.env.BENCH_QUICK === '1';

/** What a bulk transfer needs of a net module: node:net, or a usernet host's host.net. */
export type NetLike = Pick<typeof nodeNet, 'createServer' | 'connect'>;

/**
 * Sends `bytes` in writes of `chunk` from a client to a server that counts them, over `server`'s
 * and `client`'s net modules (write until write() returns false, then wait for 'drain', as an
 * application does); resolves with the byte count the server read.
 */
export async function netBulk(server: NetLike, client: NetLike, host: string, bytes: number, chunk: Uint8Array): Promise<number> {
  let got = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  const srv = server.createServer((s) => { s.on('data', (d: Buffer) => { got += d.length; }); s.on('end', () => { s.end(); done(); }); });
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  const c = client.connect((srv.address() as nodeNet.AddressInfo).port, host);
  await new Promise<void>((r) => c.once('connect', () => r()));
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!c.write(chunk)) { c.once('drain', pump); return; }
      }
      c.end();
      resolve();
    };
    pump();
  });
  await finished;
  c.destroy();
  srv.close();
  return got;
}

/**
 * Opens and closes `count` connections one after another to a server that writes one byte and
 * ends; resolves with the number completed.
 */
export async function netConnections(server: NetLike, client: NetLike, host: string, count: number): Promise<number> {
  const srv = server.createServer((s) => { s.end('x'); });
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  const port = (srv.address() as nodeNet.AddressInfo).port;
  let n = 0;
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) => {
      const c = client.connect(port, host);
      c.on('error', reject);
      c.on('data', () => {});
      c.on('end', () => { c.end(); });
      c.on('close', () => { n++; resolve(); });
    });
  }
  srv.close();
  return n;
}

export interface Measured {
  /** What was counted per second: datagrams, bytes, connections, round trips. */
  unit: string;
  count: number;
  ms: number;
}

export function rate(m: Measured): number {
  return m.count / (m.ms / 1000);
}

function fmt(n: number): string {
  if (n >= 1e9) return (n / 1e9).toFixed(2) + 'G';
  if (n >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return n.toFixed(1);
}

/** Prints one comparison line and returns the ratio usernet / kernel (higher is better for usernet). */
export function report(name: string, usernet: Measured, kernel: Measured, goal?: number): number {
  const ratio = rate(usernet) / rate(kernel);
  const g = goal === undefined ? '' : ` (goal ${goal.toFixed(1)}x${ratio >= goal ? ', met' : ', not met'})`;
  console.log(
    `${name}: usernet ${fmt(rate(usernet))} ${usernet.unit}/s, kernel ${fmt(rate(kernel))} ${kernel.unit}/s, ratio ${ratio.toFixed(2)}x${g}`,
  );
  return ratio;
}

/** Times an async function with the wall clock. */
export async function time(fn: () => Promise<number>, unit: string): Promise<Measured> {
  const t0 = performance.now();
  const count = await fn();
  return { unit, count, ms: performance.now() - t0 };
}

export interface CompareOptions {
  /** Measured rounds per side, alternating kernel and usernet (QUICK: 1). */
  rounds?: number;
  /** Warm-up: each side runs at least this many times and for at least `warmMs` (QUICK: once). */
  warmRuns?: number;
  warmMs?: number;
  goal?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Runs a usernet case beside the same case on the kernel's loopback and prints the ratio. Both
 * sides first warm up the same way, taking turns (V8 optimises the code of both paths only after
 * many calls: a first run can be several times slower than the tenth), until each has run
 * `warmRuns` times and the warm-up lasted 2 * `warmMs`; then `rounds` measured rounds alternate
 * kernel and usernet, so a noisy moment on the shared machine hits both. The printed rates and
 * ratio are those of the medians.
 */
export async function compare(
  name: string, unit: string, kernel: () => Promise<number>, usernet: () => Promise<number>, opts: CompareOptions = {},
): Promise<number> {
  const rounds = QUICK ? 1 : opts.rounds ?? 5;
  const warmRuns = QUICK ? 1 : opts.warmRuns ?? 5;
  const warmMs = QUICK ? 0 : opts.warmMs ?? 2000;
  const verbose = process.env.BENCH_VERBOSE === '1';
  // Warm-up alternates the two sides as the measured rounds do, so that each warms up under the
  // same conditions (a long run of one side first changes how the heap and the JIT then treat
  // the other).
  const t0 = performance.now();
  for (let i = 0; i < warmRuns || performance.now() - t0 < 2 * warmMs; i++) {
    for (const fn of [kernel, usernet]) {
      const m = await time(fn, unit);
      if (verbose) console.log(`  warm-up ${fn === kernel ? 'kernel' : 'usernet'} ${i}: ${rate(m).toExponential(3)} ${unit}/s`);
    }
  }
  const k: Measured[] = [];
  const u: Measured[] = [];
  for (let i = 0; i < rounds; i++) {
    k.push(await time(kernel, unit));
    u.push(await time(usernet, unit));
  }
  const mk = { unit, count: 1, ms: 1000 / median(k.map(rate)) };
  const mu = { unit, count: 1, ms: 1000 / median(u.map(rate)) };
  const spread = rounds > 1 ? ` [ratio per round: ${u.map((m, i) => (rate(m) / rate(k[i]!)).toFixed(2)).join(' ')}]` : '';
  const r = report(name, mu, mk, opts.goal);
  if (spread) console.log(`  ${spread.trim()}`);
  return r;
}
