// The small version of every benchmark runs in the suite so none can rot: each must finish and
// print its ratio against node:net / node:dgram on the kernel's loopback. bench/tun.bench.ts may
// instead print `tun: skipped: <reason>` where it cannot run (no root, no TUN): the test skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;
for (const f of readdirSync(root + 'bench').filter((n) => n.endsWith('.bench.ts')).sort()) {
  test(`bench/${f} (BENCH_QUICK=1) runs and prints its ratio`, (t) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/' + f], {
      cwd: root, encoding: 'utf8', timeout: 180_000, env: { ...process.env, BENCH_QUICK: '1' },
    });
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    const skipped = f === 'tun.bench.ts' ? /^tun: skipped: (.+)$/m.exec(r.stdout) : null;
    if (skipped) { t.skip(skipped[1]); return; }
    assert.match(r.stdout, /ratio \d+\.\d+x/);
    console.log(r.stdout.trim());
  });
}
