// Fake timers installed before the first code of the process ran as a host, Date, performance and
// process.hrtime among them (its own file: a process of its own). Vitest's vi.useFakeTimers() at
// the top of a test fakes all of them (every API but nextTick and queueMicrotask).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import { Network } from '../../src/index.js';

test('sinon with everything Vitest fakes, installed before the first host code of a network: the test\'s Date stays fake; after uninstall host code gets the network\'s clocks back', async () => {
  const NodeDate = Date;
  const clock = FakeTimers.install({ now: 1000, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date', 'performance', 'hrtime'] });
  const world = new Network({ seed: 1, epoch: '2030-01-01T00:00:00Z' });
  const a = world.host('a');
  try {
    // A fake Date is host code's too while it is installed (the rule when installed after).
    assert.equal(a.run(() => Date.now()), 1000);
    clock.tick(500);
    assert.equal(Date.now(), 1500, 'the test\'s Date is still the fake once host code ran');
    assert.equal(new Date().getTime(), 1500);
  } finally {
    clock.uninstall();
  }
  assert.equal(globalThis.Date, NodeDate, 'uninstall gave code outside hosts Node\'s Date');
  assert.ok(Math.abs(Date.now() - NodeDate.prototype.getTime.call(new NodeDate())) < 1000);
  assert.equal(a.run(() => new Date().toISOString()), '2030-01-01T00:00:00.000Z', 'host code right after: the network\'s Date');
  await world.sleep('2s');
  // The next host code finds Node's own clocks and the network's come back.
  const t = a.run(() => [Date.now(), new Date().toISOString(), performance.now(), process.hrtime.bigint()]);
  assert.deepEqual(t, [Date.parse('2030-01-01T00:00:02Z'), '2030-01-01T00:00:02.000Z', 2000, 2_000_000_000n]);
  // And a network event, with no host.run in between: a program's timer reads them too.
  const again = FakeTimers.install({ now: 7, toFake: ['Date', 'performance', 'hrtime'] });
  const seen = a.run(() => new Promise<unknown[]>((r) => setTimeout(() => r([new Date().toISOString(), performance.now()]), 1000)));
  again.uninstall();
  assert.deepEqual(await seen, ['2030-01-01T00:00:03.000Z', 3000]);
  await world.close();
});
