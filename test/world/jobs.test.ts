// usernet/test's USERNET_JOBS: forSeeds runs the seeds in worker processes, and the report is
// the same as without them (one test per seed, its error, the replay command).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerExecArgv } from '../../src/testkit/jobs.js';
import { jobCount } from '../../src/testkit/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('USERNET_JOBS=2: seeds run in two worker processes, failures reported per seed with their replay command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'usernet-jobs-'));
  try {
    const log = join(dir, 'log');
    const env: NodeJS.ProcessEnv = { ...process.env, USERNET_JOBS: '2', JOBS_LOG: log };
    delete env.NODE_TEST_CONTEXT;
    delete env.USERNET_SEEDS;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'test/world/fixtures/jobs-sweep.ts'], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
    const out = r.stdout + r.stderr;
    assert.notEqual(r.status, 0, out);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const plain = lines.filter((l) => l.startsWith('plain '));
    assert.equal(plain.length, 1, 'the file\'s other test ran once, not in the workers');
    const parent = plain[0]!.split(' ')[1];
    const seeds = new Map(lines.filter((l) => l.startsWith('seed ')).map((l) => { const f = l.split(' '); return [Number(f[1]), { at: f[3], pid: f[4] }]; }));
    assert.deepEqual([...seeds.keys()].sort(), [1, 2, 3, 4], lines.join('\n'));
    for (const s of seeds.values()) { assert.equal(s.at, '1000'); assert.notEqual(s.pid, parent); }
    assert.equal(new Set([...seeds.values()].map((s) => s.pid)).size, 2, `two workers: ${lines.join('\n')}`);
    for (const s of [1, 2]) assert.match(out, new RegExp(`^ok \\d+ - jobs \\(seed ${s}\\)$`, 'm'));
    for (const s of [3, 4]) assert.match(out, new RegExp(`^not ok \\d+ - jobs \\(seed ${s}\\)$`, 'm'));
    assert.match(out, new RegExp(`seed 3 fails in ${seeds.get(3)!.pid}`));
    assert.match(out, /the worker process running seed 4 exited \(code 9\)/);
    // The replay command is the one of a run without workers: that seed alone, in one process.
    assert.match(out, /replay: USERNET_SEEDS=3 node (?:\S+ )*--test --test-name-pattern='\^jobs \\\(seed 3\\\)\$' \S*jobs-sweep\.ts/);
    assert.doesNotMatch(out, /replay: .*USERNET_JOBS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('USERNET_JOBS is read as a number of processes, or auto', () => {
  assert.equal(jobCount(undefined), 1);
  assert.equal(jobCount('3'), 3);
  assert.ok(jobCount('auto') >= 1);
  assert.throws(() => jobCount('0'), /USERNET_JOBS: cannot read '0'/);
  assert.throws(() => jobCount('two'), TypeError);
});

test('a worker keeps the loaders and drops the test runner\'s flags', () => {
  assert.deepEqual(
    workerExecArgv(['--import', 'tsx', '--test', '--test-reporter', 'spec', '--test-name-pattern=x', '--enable-source-maps', '--test-concurrency=2']),
    ['--import', 'tsx', '--enable-source-maps', '--test-name-pattern=(?!)'],
  );
});
