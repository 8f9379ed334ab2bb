// Vitest (a test dependency) running test/vitest/clock.spec.ts: its fake timers beside host code,
// and usernet/test's forSeeds under Vitest with a failing seed's replay command, which
// reproduces the failure. The specs import dist/: the suite runs after `npm run build`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const vitest = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

interface JsonReport {
  testResults: Array<{ name: string; assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
}

test('Vitest: fake timers beside host code, forSeeds and a failing seed\'s replay command', () => {
  assert.ok(existsSync(new URL('../../dist/testkit/index.js', import.meta.url)), 'dist/ is built (npm run build)');
  const env: NodeJS.ProcessEnv = { ...process.env, VITEST_FAIL_SEED: '2' };
  delete env.NODE_TEST_CONTEXT;
  delete env.USERNET_SEEDS;
  delete env.USERNET_JOBS;
  const r = spawnSync(process.execPath, [vitest, 'run', '--reporter=json', 'test/vitest/clock.spec.ts'], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
  const json = r.stdout.slice(r.stdout.indexOf('{'));
  let report: JsonReport;
  try { report = JSON.parse(json) as JsonReport; } catch { assert.fail(`no JSON report:\n${r.stdout}\n${r.stderr}`); }
  const results = new Map(report.testResults.flatMap((f) => f.assertionResults).map((t) => [t.title, t]));
  const status = (title: string) => results.get(title)?.status ?? 'missing';
  const first = [...results.keys()];
  assert.equal(status(first.find((t) => t.startsWith('vi.useFakeTimers():'))!), 'passed', JSON.stringify(report, null, 1).slice(0, 4000));
  assert.equal(status(first.find((t) => t.startsWith('vi.useFakeTimers({ toFake })'))!), 'passed', JSON.stringify(report, null, 1).slice(0, 4000));
  assert.equal(status('forSeeds under Vitest (seed 1)'), 'passed');
  assert.equal(status('forSeeds under Vitest (seed 2)'), 'failed');
  assert.notEqual(r.status, 0);
  const message = results.get('forSeeds under Vitest (seed 2)')!.failureMessages.join('\n');
  const drew = /seed 2 drew (0\.\d+)/.exec(message)?.[1];
  assert.ok(drew, message);
  const replay = /replay: (USERNET_SEEDS=2 npx vitest run .*)$/m.exec(message)?.[1];
  assert.ok(replay, message);
  // The replay command runs that seed alone (`npx vitest` is this package's vitest), and fails the same way.
  const again = spawnSync('sh', ['-c', replay], { cwd: root, env: { ...env, USERNET_SEEDS: undefined }, encoding: 'utf8', timeout: 300_000 });
  const out = again.stdout + again.stderr;
  assert.notEqual(again.status, 0, out);
  assert.ok(out.includes(`seed 2 drew ${drew}`), `the same number drawn again:\n${out.slice(0, 3000)}`);
  assert.match(out, /1 failed/);
  assert.match(out, /3 skipped|skipped/);
});
