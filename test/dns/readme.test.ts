// The README's DNS tour runs as written (against the sources) and prints what its comments say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;

test("the README's DNS tour runs and prints what it says", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('world.dns.serve('));
  assert.ok(block, 'the README has a DNS block');
  const dir = mkdtempSync(join(tmpdir(), 'usernet-readme-dns-'));
  const file = join(dir, 'dns.mts');
  writeFileSync(file, block.replace("from 'usernet'", `from '${join(root, 'src/index.ts')}'`));
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^nameserver 10\.0\.0\.53\n/);
  assert.match(r.stdout, /\[ \{ exchange: 'mail\.example\.test', priority: 10(, type: 'MX')? \} \]/);
  assert.match(r.stdout, /\[ 'ns' \]/);
  assert.match(r.stdout, /\{ address: '10\.0\.0\.53', family: 4 \}/);
  assert.match(r.stdout, /queryA ETIMEOUT example\.test/);
});
