// usernet/test's determinism check per seed: forSeeds with `check: true` (or USERNET_CHECK=1)
// runs each seed twice and fails the seed, naming the first journal entry that differs, when the
// two runs do not agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Network } from '../../src/index.js';
import { forSeeds, type TestFunction } from '../../src/testkit/index.js';

/** Two hosts on a switch; a sends b one datagram of `size` bytes. */
async function datagram(world: Network, size: number): Promise<void> {
  const lan = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(lan, { ipv4: '10.0.0.1/24' });
  b.attach(lan, { ipv4: '10.0.0.2/24' });
  const rx = b.dgram.createSocket('udp4');
  const got = new Promise<number>((resolve) => rx.on('message', (m) => resolve(m.length)));
  await new Promise<void>((resolve) => rx.bind(5000, resolve));
  const tx = a.dgram.createSocket('udp4');
  tx.send(Buffer.alloc(size, 1), 5000, '10.0.0.2');
  await world.run();
  assert.equal(await got, size);
  tx.close();
  rx.close();
}

/** Registers through forSeeds with a test function that only collects; returns the seeds' runs. */
function collect(name: string, fn: (world: Network) => Promise<void>, seeds: number[]): Map<string, () => Promise<void>> {
  const runs = new Map<string, () => Promise<void>>();
  const collector: TestFunction = (n, f) => { runs.set(n, f); };
  const saved = process.env.USERNET_SEEDS;
  delete process.env.USERNET_SEEDS;
  try { forSeeds(collector, name, fn, { seeds, check: true }); } finally { if (saved !== undefined) process.env.USERNET_SEEDS = saved; }
  return runs;
}

test('check: a deterministic scenario passes each seed run twice', async () => {
  let calls = 0;
  const runs = collect('same datagram', (w) => { calls++; return datagram(w, 100); }, [1, 2]);
  assert.deepEqual([...runs.keys()], ['same datagram (seed 1)', 'same datagram (seed 2)']);
  for (const run of runs.values()) await run();
  assert.equal(calls, 4, 'each seed ran twice');
});

test('check: a scenario that differs between its two runs fails its seed at the first differing entry, with the replay command', async () => {
  let calls = 0;
  const runs = collect('growing datagram', (w) => datagram(w, 100 + calls++), [7]);
  const run = runs.get('growing datagram (seed 7)');
  assert.ok(run);
  await assert.rejects(run(), (err: Error) => {
    assert.match(err.message, /^seed 7 is not deterministic: the two runs first differ at journal entry \d+:/);
    assert.match(err.message, /first run: .*\n\s+second run: /);
    assert.match(err.message, /replay: USERNET_SEEDS=7 node .*--test-name-pattern=.*seed-check\.test\.ts/);
    return true;
  });
});
