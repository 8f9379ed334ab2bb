// Shared helpers for benchmarks: each benchmark runs a usernet case and the same case on the
// kernel's loopback with node:net / node:dgram in the same process, and prints the ratio.
// BENCH_QUICK=1 (used by the test suite) makes every benchmark small so it cannot rot.

export const QUICK = process.env.BENCH_QUICK === '1';

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
