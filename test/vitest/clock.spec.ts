// Vitest's fake timers beside host code, and usernet/test's forSeeds under Vitest (run by
// test/world/vitest.test.ts; the built package, dist/). Each file runs in a process of its own:
// the first test's vi.useFakeTimers() comes before any code of the process ran as a host.
import { test, expect, vi } from 'vitest';
import { Network, type Host } from '../../dist/index.js';
import { forSeeds } from '../../dist/testkit/index.js';

function twoHosts(world: Network): [Host, Host] {
  const lan = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(lan, { ipv4: '10.0.0.1/24' });
  b.attach(lan, { ipv4: '10.0.0.2/24' });
  return [a, b];
}

test('vi.useFakeTimers(): the test\'s timers and Date are fake, host code keeps the network\'s timers; vi.useRealTimers() gives the network\'s Date back', async () => {
  vi.useFakeTimers();
  const t0 = Date.now();
  const world = new Network({ seed: 1, epoch: '2030-01-01T00:00:00Z' });
  const [a, b] = twoHosts(world);
  b.run(({ net }) => { net.createServer((s) => s.end('hi')).listen(80); });
  const got = a.run(({ net }) => new Promise<string>((resolve) => {
    setTimeout(() => {
      const at = world.now();
      net.connect(80, '10.0.0.2').on('data', (d) => resolve(`${String(d)} after ${at}`));
    }, 10_000);
  }));
  let fired = false;
  setTimeout(() => { fired = true; }, 1000); // the test's own: fake
  await world.sleep('20s'); // the network runs, the test's fake clock does not move
  expect(await got).toBe('hi after 10000');
  expect(fired).toBe(false);
  vi.advanceTimersByTime(1000);
  expect(fired).toBe(true);
  expect(Date.now() - t0).toBe(1000);
  // A fake Date is host code's too while installed (see the README's clock rules).
  expect(a.run(() => Date.now())).toBe(t0 + 1000);
  vi.useRealTimers();
  expect(a.run(() => new Date().toISOString())).toBe('2030-01-01T00:00:20.000Z');
  expect(Math.abs(Date.now() - t0)).toBeLessThan(600_000); // the test's: Node's own again
  await world.close();
});

test('vi.useFakeTimers({ toFake }) without Date: host code\'s Date is the network\'s while the test\'s timers are fake', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'] });
  const world = new Network({ seed: 1, epoch: '2030-01-01T00:00:00Z' });
  const [a] = twoHosts(world);
  const when = a.run(() => new Promise<string>((r) => setTimeout(() => r(new Date().toISOString()), 2500)));
  await world.sleep('3s');
  expect(await when).toBe('2030-01-01T00:00:02.500Z');
  vi.useRealTimers();
  await world.close();
});

// VITEST_FAIL_SEED=N makes seed N fail, with a number drawn by host code (the host's seeded Math.random).
forSeeds(test, 'forSeeds under Vitest', async (world, seed) => {
  const [a] = twoHosts(world);
  const drawn = await a.run(() => new Promise<number>((r) => setTimeout(() => r(Math.random()), 1000)));
  expect(world.now()).toBe(1000);
  if (process.env.VITEST_FAIL_SEED === String(seed)) throw new Error(`seed ${seed} drew ${drawn}`);
}, { seeds: [1, 2] });
