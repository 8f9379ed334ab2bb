import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeliveryQueue } from '../../src/links/delivery.js';

test('the delivery queue pops in (time, push order) for any interleaving of pushes and pops', () => {
  fc.assert(fc.property(
    fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(-1)), { maxLength: 300 }),
    (ops) => {
      const q = new DeliveryQueue();
      const model: Array<{ time: number; seq: number; f: Uint8Array }> = [];
      let seq = 0;
      let base = 0; // pushes never go below the time of the last pop, as on a clock
      for (const op of ops) {
        if (op >= 0) {
          const f = new Uint8Array(1);
          const time = base + op;
          q.push(f, time);
          model.push({ time, seq: seq++, f });
        } else {
          model.sort((a, b) => a.time - b.time || a.seq - b.seq);
          const want = model.shift();
          const got = q.pop();
          assert.equal(got, want?.f);
          if (want) base = want.time;
        }
        assert.equal(q.size, model.length);
      }
      model.sort((a, b) => a.time - b.time || a.seq - b.seq);
      for (const m of model) assert.equal(q.pop(), m.f);
      assert.equal(q.pop(), undefined);
    },
  ), { numRuns: 300 });
});

test('a long in-order run stays in the FIFO and compacts (no unbounded growth)', () => {
  const q = new DeliveryQueue();
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 20000; i++) {
    const f = new Uint8Array(1);
    frames.push(f);
    q.push(f, i);
    if (i >= 10) assert.equal(q.pop(), frames[i - 10]);
  }
  assert.equal(q.size, 10);
  for (let i = 19990; i < 20000; i++) assert.equal(q.pop(), frames[i]);
  assert.equal(q.size, 0);
});
