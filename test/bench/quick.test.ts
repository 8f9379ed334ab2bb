// The small version of every benchmark runs in the suite so none can rot: each must finish and
// print its ratio against node:net / node:dgram on the kernel's loopback. bench/tun.bench.ts may
// instead print `tun: skipped: <reason>` where it cannot run (no root, no TUN): the test skips.
// They run as `npm run bench` runs them: compiled to plain JavaScript (scripts/run-bench.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
// @ts-expect-error: a plain ES module without types (scripts/ holds the repository's tools)
import { benchCommand, benchFiles, buildBenchmarks } from '../../scripts/run-bench.mjs';

const built = (buildBenchmarks as () => number)();

for (const f of (benchFiles as () => string[])()) {
  test(`bench/${f} (BENCH_QUICK=1) runs and prints its ratio`, (t) => {
    assert.equal(built, 0, 'tsc -p tsconfig.bench.json failed');
    const [cmd, args] = (benchCommand as (f: string) => [string, string[]])(f);
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, BENCH_QUICK: '1' } });
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    const skipped = f === 'tun.bench.ts' ? /^tun: skipped: (.+)$/m.exec(r.stdout) : null;
    if (skipped) { t.skip(skipped[1]); return; }
    assert.match(r.stdout, /ratio \d+\.\d+x/);
    console.log(r.stdout.trim());
  });
}
