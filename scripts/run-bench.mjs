#!/usr/bin/env node
// Runs the benchmarks in bench/ (each prints usernet beside node:net / node:dgram and the ratio).
// Usage: node scripts/run-bench.mjs [substring-filter ...]   (BENCH_QUICK=1 for the small versions)
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = readdirSync(root + 'bench').filter((f) => /\.bench\.ts$/.test(f)).sort()
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
let failed = 0;
for (const f of files) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/' + f], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.error(`${f}: exited with ${r.status}`); }
}
process.exit(failed ? 1 : 0);
