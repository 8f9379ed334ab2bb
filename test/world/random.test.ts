import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Network } from '../../src/index.js';

function draws(seed: number, host = 'a'): string[] {
  const world = new Network({ seed });
  const h = world.host(host);
  return h.run(() => [
    String(Math.random()),
    crypto.randomBytes(8).toString('hex'),
    crypto.randomUUID(),
    String(crypto.randomInt(1000)),
    Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(4))).toString('hex'),
    globalThis.crypto.randomUUID(),
    crypto.randomFillSync(Buffer.alloc(4)).toString('hex'),
  ]);
}

test('programs\' randomness is the host\'s seeded source on the virtual clock: same seed, same draws', () => {
  const one = draws(7);
  assert.deepEqual(draws(7), one);
  assert.notDeepEqual(draws(8), one);
  assert.notDeepEqual(draws(7, 'b'), one, 'each host has its own stream');
  assert.match(one[2]!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const x = Number(one[0]);
  assert.ok(x >= 0 && x < 1);
  // Outside any host: Node's own (two draws differ).
  assert.notEqual(crypto.randomUUID(), crypto.randomUUID());
  assert.notEqual(Math.random(), Math.random());
});

test('async crypto randomness calls back on the host\'s clock; the real clock keeps Node\'s randomness', async () => {
  const world = new Network({ seed: 3 });
  const a = world.host('a');
  const got = await a.run(() => new Promise<string>((r) => crypto.randomBytes(4, (e, b) => r(b.toString('hex')))));
  const again = await new Network({ seed: 3 }).host('a').run(() => new Promise<string>((r) => crypto.randomBytes(4, (e, b) => r(b.toString('hex')))));
  assert.equal(got, again);
  const real = new Network({ seed: 3, clock: 'real' }).host('a');
  assert.notEqual(real.run(() => crypto.randomUUID()), real.run(() => crypto.randomUUID()));
});
