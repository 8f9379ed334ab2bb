// Must-show of issue 9: an unmodified replicated key-value store (fixtures/kv, node:net and
// setTimeout only) as three programs on three hosts and a client on a fourth, across a router
// with latency and loss; the leader partitioned away and healed, a replica crashed and restarted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Network } from '../../src/index.js';
import { checkDeterminism, forSeeds } from '../../src/testkit/index.js';
import { kvScenario } from './kv-scenario.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

// What the store's design promises: no acknowledged write is ever lost. Availability is not
// promised while no leader has a majority behind it: a write may then time out (5 s) (seed 83 of
// 1..100 once: elections from 19.6 s to 30.7 s, a follower crashed at 22 s; seed 100 earlier, a
// retransmission timer backed off during the partition). Seed 53 lost k30 until a new leader
// committed a no-op of its own term before serving reads (Raft section 8): a leader elected after
// the last write did not know k30 was committed and answered null.
// USERNET_SEEDS=1..100 over the sweep (fixtures/kv-sweep.ts): 100 of 100 pass since.
forSeeds(test, 'the client of the kv store sees every acknowledged write after a partition, a heal, a crash and a restart', async (world) => {
  const r = await kvScenario(world, { writes: 30 });
  assert.equal(r.code, 0, r.report);
  const m = /acked (\d+)\/30, lost 0,/.exec(r.report);
  assert.ok(m, r.report);
  assert.ok(Number(m[1]) >= 27, r.report);
  assert.ok(r.output.filter((l) => / leader$/.test(l)).length >= 2, 'a new leader was elected during the partition');
}, { seeds: [1, 2] });

test('two minutes of virtual time take seconds of wall time', async () => {
  const world = new Network({ seed: 7 });
  const t0 = performance.now();
  const r = await kvScenario(world, { writes: 120 });
  const wall = performance.now() - t0;
  await world.close();
  assert.equal(r.code, 0, r.report);
  assert.ok(world.now() > 120_000, `virtual ${world.now()} ms`);
  assert.ok(wall < world.now() / 5, `wall ${Math.round(wall)} ms for ${Math.round(world.now())} ms of virtual time`);
  console.log(`# kv: ${Math.round(world.now() / 1000)} s of virtual time in ${(wall / 1000).toFixed(1)} s of wall time`);
});

test('same seed: the same frames on every wire and the same program output, twice', async () => {
  const d = await checkDeterminism((w) => kvScenario(w, { writes: 15 }), { seed: 3 });
  assert.equal(d, null, d ? `first difference at ${d.index}: ${JSON.stringify(d.first)} vs ${JSON.stringify(d.second)}` : '');
});

test('a seed made to fail prints a replay command, and the command reproduces the failure', () => {
  const file = 'test/world/fixtures/kv-sweep.ts';
  const base = { ...process.env };
  delete base.NODE_TEST_CONTEXT; // a test run of its own, not a child of this one
  const env = { ...base, KV_UNSAFE: '1', KV_WRITES: '30', USERNET_SEEDS: '11' };
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', file], { cwd: root, env, encoding: 'utf8', timeout: 240_000 });
  assert.notEqual(r.status, 0, 'the unsafe store loses an acknowledged write on seed 11');
  const out = r.stdout + r.stderr;
  const replay = [...out.matchAll(/^\s*replay: (USERNET_SEEDS=11 node .*kv-sweep\.ts)$/gm)].pop()?.[1];
  assert.ok(replay, `a replay command in:\n${out.slice(0, 2000)}`);
  const lost = /lost \d+: [k\d ]+/.exec(out)?.[0];
  assert.ok(lost);
  const again = spawnSync('sh', ['-c', replay], { cwd: root, env: { ...base, KV_UNSAFE: '1', KV_WRITES: '30' }, encoding: 'utf8', timeout: 240_000 });
  assert.notEqual(again.status, 0);
  assert.ok((again.stdout + again.stderr).includes(lost), 'the same writes are lost again');
});
