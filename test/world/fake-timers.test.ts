// Fake timers beside the network's clock: @sinonjs/fake-timers (what Vitest's vi.useFakeTimers()
// and Jest's modern fake timers install) and node:test's mock.timers fake the timers of the test's
// own code; host code keeps the network's clock, and the network keeps running.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import FakeTimers from '@sinonjs/fake-timers';
import { Network, type Host } from '../../src/index.js';

const require = createRequire(import.meta.url);
const EPOCH = Date.parse('2024-01-01T00:00:00Z');
const realSetTimeout = setTimeout;
/** A promise that settles after `ms` of the machine's time, whatever fakes are installed. */
const wall = (ms: number) => new Promise<'wall'>((r) => realSetTimeout(() => r('wall'), ms));

function lan(): { world: Network; a: Host; b: Host } {
  const world = new Network({ seed: 1 });
  const sw = world.switch('lan');
  const a = world.host('a');
  a.attach(sw, { ipv4: '10.0.0.1/24' });
  const b = world.host('b');
  b.attach(sw, { ipv4: '10.0.0.2/24' });
  return { world, a, b };
}

/** Host code that waits 30 s (global setTimeout, node:timers' and a timers/promises one) and connects. */
async function hostWaitsAndConnects(world: Network, a: Host, b: Host): Promise<string> {
  await b.run(({ net }) => { net.createServer((s) => s.end('hi')).listen(80); });
  const got = a.run(async ({ net }) => {
    await new Promise((r) => setTimeout(r, 10_000));
    await new Promise((r) => (require('node:timers') as typeof import('node:timers')).setTimeout(r, 10_000));
    await (require('node:timers/promises') as typeof import('node:timers/promises')).setTimeout(10_000);
    const at = world.now();
    return new Promise<string>((r) => net.connect(80, 'b').on('data', (d) => r(`${String(d)} at ${at}`)));
  });
  return Promise.race([got, wall(5000).then(() => 'stalled')]);
}

// First in the file (its own process): fakes installed before any code ran as a host.
test('@sinonjs/fake-timers installed before the first host code: host code still on the network\'s clock', async () => {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'] });
  const { world, a, b } = lan();
  try {
    assert.equal(await hostWaitsAndConnects(world, a, b), 'hi at 30000');
    let fired = false;
    setTimeout(() => { fired = true; }, 1000); // the test's own: fake
    assert.equal(await Promise.race([new Promise((r) => setImmediate(r)).then(() => 'immediate'), wall(50)]), 'wall', 'setImmediate is faked outside hosts');
    assert.equal(fired, false);
    clock.tick(1000);
    assert.equal(fired, true);
  } finally {
    clock.uninstall();
    await world.close();
  }
  assert.equal(await Promise.race([new Promise((r) => setTimeout(() => r('real'), 1)), wall(2000)]), 'real');
});

test('@sinonjs/fake-timers install(): the test\'s timers are fake, host code\'s are the network\'s; uninstall() restores', async () => {
  const { world, a, b } = lan();
  await a.run(() => {}); // the time globals are the network's from here on
  // Its defaults but process.nextTick and queueMicrotask (as Vitest's): faking those stops Node's
  // own streams, node:test's reporter among them, with or without a network.
  const clock = FakeTimers.install({ toNotFake: ['nextTick', 'queueMicrotask'] });
  try {
    assert.equal((setTimeout as unknown as { clock?: unknown }).clock, clock, 'sinon finds its clock on setTimeout');
    assert.equal(await hostWaitsAndConnects(world, a, b), 'hi at 30000');
    // A fake Date, performance and process.hrtime are host code's too while installed (documented).
    assert.deepEqual(await a.run(() => [Date.now(), performance.now(), process.hrtime()]), [0, 0, [0, 0]]);
    const order: string[] = [];
    setTimeout(() => order.push('fake 500'), 500);
    const id = setTimeout(() => order.push('cleared'), 100);
    clearTimeout(id);
    await world.sleep('1s');
    assert.deepEqual(order, []);
    clock.tick(500);
    assert.deepEqual(order, ['fake 500']);
    // Host code clears its own timers with the global clearTimeout while the fakes are on.
    const cleared = await a.run(async () => {
      let ran = false;
      const t = setTimeout(() => { ran = true; }, 100);
      clearTimeout(t);
      await new Promise((r) => setTimeout(r, 200));
      return !ran;
    });
    assert.ok(cleared);
  } finally {
    clock.uninstall();
  }
  assert.equal((setTimeout as unknown as { clock?: unknown }).clock, undefined);
  assert.equal(await Promise.race([new Promise((r) => setTimeout(() => r('real'), 1)), wall(2000)]), 'real');
  assert.equal(await a.run(() => Date.now()), EPOCH + world.now());
  const t0 = world.now();
  assert.equal(await a.run(async () => { await new Promise((r) => setTimeout(r, 5000)); return world.now(); }), t0 + 5000);
  await world.close();
});

test('@sinonjs/fake-timers without Date: host code\'s Date is the network\'s', async () => {
  const { world, a } = lan();
  await world.sleep('3s');
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  try {
    assert.equal(await a.run(() => Date.now()), EPOCH + 3000);
    assert.equal(await a.run(async () => { await new Promise((r) => setTimeout(r, 2000)); return new Date().toISOString(); }), '2024-01-01T00:00:05.000Z');
  } finally {
    clock.uninstall();
    await world.close();
  }
});

test('node:test mock.timers: the test\'s timers are mocked, host code\'s are the network\'s; reset() restores', async () => {
  const { world, a, b } = lan();
  await a.run(() => {});
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'setImmediate'] });
  try {
    assert.equal(await hostWaitsAndConnects(world, a, b), 'hi at 30000');
    let fired = false;
    setTimeout(() => { fired = true; }, 1000);
    await world.sleep('2s');
    assert.equal(fired, false);
    mock.timers.tick(1000);
    assert.equal(fired, true);
  } finally {
    mock.timers.reset();
  }
  // reset() puts back the property descriptors it saved: the test's timers are Node's again.
  assert.equal(await Promise.race([new Promise((r) => setTimeout(() => r('real'), 1)), wall(2000)]), 'real');
  assert.equal(await Promise.race([new Promise((r) => setImmediate(() => r('real'))), wall(2000)]), 'real');
  const t0 = world.now();
  assert.equal(await a.run(async () => { await new Promise((r) => setTimeout(r, 5000)); return world.now(); }), t0 + 5000);
  await world.close();
});
