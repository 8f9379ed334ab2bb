// The README's tour runs as written (against the sources), so the documentation cannot rot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;

test("the README's tour runs and prints what it says", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'the README has a js block');
  const dir = mkdtempSync(join(tmpdir(), 'usernet-readme-'));
  const file = join(dir, 'tour.mts');
  writeFileSync(file, block.replace("from 'usernet'", `from '${join(root, 'src/index.ts')}'`).replace("'lan.pcap'", `'${join(dir, 'lan.pcap')}'`));
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /echo: hello/);
  assert.match(r.stdout, /from: '10\.0\.0\.2'/);
  assert.match(r.stdout, /TIME-WAIT/);
});
