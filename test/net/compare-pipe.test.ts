// The scenarios of scenarios.ts over unix paths: host.net must log exactly what node:net logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Network } from '../../src/index.js';
import { deadline, realLog, scenarios, SCENARIO_DEADLINE, type NetLike } from './scenarios.js';

for (const [name, run] of Object.entries(scenarios)) {
  test(`pipe scenario ${name}: same log as node:net`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'usernet-cmp-'));
    const world = new Network({ seed: 1 });
    try {
      // host.net first, as code of host a (unix paths live in its namespace, not on disk; their
      // directory must exist, as for bind(2)).
      mkdirSync(join(dir, '0'));
      const virt: string[] = [];
      const a = world.host('a');
      await deadline(a.run(({ net }) => run(net as unknown as NetLike, { path: join(dir, '0', `${name}.sock`) }, (l) => virt.push(l))), SCENARIO_DEADLINE, `${name} on host.net`);
      await world.close();
      // node:net: each run of the reference in a directory of its own (a socket file outlives its server).
      let attempt = 0;
      const real = await realLog(run, () => {
        const d = join(dir, String(attempt++));
        mkdirSync(d, { recursive: true });
        return { path: join(d, `${name}.sock`) };
      }, (log) => isDeepStrictEqual(log, virt), name);
      assert.deepEqual(virt, real);
    } finally {
      await world.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
