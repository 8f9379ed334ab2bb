#!/usr/bin/env node
// Runs the benchmarks in bench/ (each prints usernet beside node:net / node:dgram and the ratio).
// Usage: node scripts/run-bench.mjs [substring-filter ...]   (BENCH_QUICK=1 for the small versions;
// BENCH_VERBOSE=1 prints every warm-up run; BENCH_ONLY=<text> keeps the tcp.bench.ts cases whose name has it)
//
// The benchmarks and the stack are compiled to plain JavaScript first (tsconfig.bench.json ->
// .bench-build/) and run by plain node, as users run the published package: a TypeScript loader
// such as tsx turns on source maps, under which V8 runs this code 2-3 times slower (more GC),
// and the kernel side of each comparison slows down too.
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

/** Compiles src/ and bench/ to .bench-build/; returns the compiler's exit status. */
export function buildBenchmarks() {
  const tsc = spawnSync(process.execPath, [root + 'node_modules/typescript/bin/tsc', '-p', 'tsconfig.bench.json'], { cwd: root, stdio: 'inherit' });
  // src/doors/tun.ts finds the TUN addon at ../../native from its own file.
  if (tsc.status === 0 && !existsSync(root + '.bench-build/native')) symlinkSync('../native', root + '.bench-build/native');
  return tsc.status ?? 1;
}

/** The benchmark files, optionally filtered by substrings of their names. */
export function benchFiles(filters = []) {
  return readdirSync(root + 'bench').filter((f) => /\.bench\.ts$/.test(f)).sort()
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
}

/** The command that runs one compiled benchmark. */
export function benchCommand(file) {
  return [process.execPath, [root + '.bench-build/bench/' + file.replace(/\.ts$/, '.js')]];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (buildBenchmarks() !== 0) process.exit(1);
  let failed = 0;
  for (const f of benchFiles(process.argv.slice(2))) {
    const [cmd, args] = benchCommand(f);
    const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) { failed++; console.error(`${f}: exited with ${r.status}`); }
  }
  process.exit(failed ? 1 : 0);
}
