// The scenarios of scenarios.ts over unix paths: host.net must log exactly what node:net logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as realNet from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler } from '../../src/links/clock.js';
import { Sys } from '../../src/sys/sys.js';
import { UnixNamespace, registerUnix } from '../../src/kernel/unix.js';
import { createNet } from '../../src/node/net.js';
import { scenarios, type NetLike } from './scenarios.js';

function virtualNet(): NetLike {
  const sched = new Scheduler('virtual');
  const sys = new Sys();
  registerUnix(sys, new UnixNamespace(sched));
  return createNet({ loop: { sys, sched }, lookup: () => assert.fail('no lookups over unix paths') }) as unknown as NetLike;
}

for (const [name, run] of Object.entries(scenarios)) {
  test(`pipe scenario ${name}: same log as node:net`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'usernet-cmp-'));
    try {
      const path = join(dir, `${name}.sock`);
      const real: string[] = [];
      await run(realNet, { path }, (l) => real.push(l));
      const virt: string[] = [];
      await run(virtualNet(), { path }, (l) => virt.push(l));
      assert.deepEqual(virt, real);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
