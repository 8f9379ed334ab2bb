import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Impairment, parseImpairOptions, DEFAULT_LIMIT, type FrameSink } from '../../src/links/impair.js';
import { Random } from '../../src/links/random.js';

class Collect implements FrameSink {
  out: Array<{ frame: Uint8Array; time: number }> = [];
  arrive(frame: Uint8Array, time: number): void { this.out.push({ frame, time }); }
}

function frame(n = 100, id = 0): Uint8Array {
  const f = new Uint8Array(n);
  f[0] = id & 0xff; f[1] = id >>> 8;
  return f;
}

test('options are validated with RangeErrors naming the option; bad options change nothing', () => {
  assert.throws(() => parseImpairOptions({ loss: 1.5 }), /loss must be a probability in \[0, 1\], got 1.5/);
  assert.throws(() => parseImpairOptions({ loss: -0.1 }), RangeError);
  assert.throws(() => parseImpairOptions({ duplicate: NaN }), /duplicate/);
  assert.throws(() => parseImpairOptions({ corrupt: '1%' as unknown as number }), /corrupt/);
  assert.throws(() => parseImpairOptions({ latency: '40 parsecs' }), /latency/);
  assert.throws(() => parseImpairOptions({ latency: -1 }), /latency/);
  assert.throws(() => parseImpairOptions({ jitter: 'x' }), /jitter/);
  assert.throws(() => parseImpairOptions({ rate: '20 mph' }), /rate/);
  assert.throws(() => parseImpairOptions({ limit: 0 }), /limit/);
  assert.throws(() => parseImpairOptions({ limit: 2.5 }), /limit/);
  assert.throws(() => parseImpairOptions({ reorder: 0.1 }), /reorder needs a latency/);
  assert.throws(() => parseImpairOptions({ lattency: 5 } as never), /unknown option 'lattency'/);
  const imp = new Impairment(new Random(1), { latency: 10 });
  assert.throws(() => imp.set({ latency: 20, loss: 2 }), RangeError);
  assert.equal(imp.settings?.latency, 10);
});

test('options parse to plain units; null, {} and all-zero options clear', () => {
  assert.deepEqual(parseImpairOptions({ latency: '40ms', jitter: '5ms', loss: 0.01, reorder: 0.005, duplicate: 0.001, corrupt: 0.0001, rate: '20mbit', limit: 500 }),
    { latency: 40, jitter: 5, loss: 0.01, reorder: 0.005, duplicate: 0.001, corrupt: 0.0001, rate: 20e6, limit: 500 });
  assert.equal(parseImpairOptions({ latency: '1s' })!.latency, 1000);
  assert.equal(parseImpairOptions({ latency: 3 })!.limit, DEFAULT_LIMIT);
  assert.equal(parseImpairOptions(null), null);
  assert.equal(parseImpairOptions({}), null);
  assert.equal(parseImpairOptions({ loss: 0, latency: 0 }), null);
  const imp = new Impairment(new Random(1), { loss: 0.5 });
  assert.equal(imp.active, true);
  imp.set({});
  assert.equal(imp.active, false);
  imp.set({ duplicate: 1 });
  assert.deepEqual(imp.settings, { latency: 0, jitter: 0, loss: 0, reorder: 0, duplicate: 1, corrupt: 0, rate: 0, limit: 1000 });
  imp.set(null);
  assert.equal(imp.settings, null);
});

test('loss over 10,000 frames stays within 5 standard deviations of the set rate, for several seeds', () => {
  const p = 0.1, n = 10000;
  const sd = Math.sqrt(n * p * (1 - p));
  const counts: number[] = [];
  for (const seed of [1, 2, 3]) {
    const imp = new Impairment(new Random(seed), { loss: p });
    const sink = new Collect();
    for (let i = 0; i < n; i++) imp.offer(frame(), i, 0, 0, sink);
    assert.equal(imp.sent, n);
    assert.equal(imp.lost + sink.out.length, n);
    assert.equal(imp.dropped, imp.lost);
    assert.ok(Math.abs(imp.lost - n * p) < 5 * sd, `seed ${seed}: lost ${imp.lost} of ${n}`);
    counts.push(imp.lost);
  }
  assert.ok(new Set(counts).size > 1, 'different seeds lose different numbers of frames');
  // loss 1 drops all, loss 0 none
  const all = new Impairment(new Random(9), { loss: 1 });
  const none = new Impairment(new Random(9), { latency: 1 });
  const s1 = new Collect(), s2 = new Collect();
  for (let i = 0; i < 100; i++) { all.offer(frame(), 0, 0, 0, s1); none.offer(frame(), 0, 0, 0, s2); }
  assert.equal(s1.out.length, 0);
  assert.equal(s2.out.length, 100);
});

test('duplication sends a second copy with its own bytes, at a rate near the setting', () => {
  const imp = new Impairment(new Random(5), { duplicate: 0.2 });
  const sink = new Collect();
  const n = 5000;
  for (let i = 0; i < n; i++) imp.offer(frame(64, i), 0, 0, 0, sink);
  assert.equal(sink.out.length, n + imp.duplicated);
  const sd = Math.sqrt(n * 0.2 * 0.8);
  assert.ok(Math.abs(imp.duplicated - n * 0.2) < 5 * sd, `duplicated ${imp.duplicated}`);
  // A duplicate follows its original, equal in content, different in buffer.
  let pairs = 0;
  for (let i = 1; i < sink.out.length; i++) {
    const a = sink.out[i - 1]!.frame, b = sink.out[i]!.frame;
    if (a[0] === b[0] && a[1] === b[1]) {
      pairs++;
      assert.notEqual(a, b);
      assert.deepEqual(a, b);
    }
  }
  assert.equal(pairs, imp.duplicated);
});

test('corruption flips exactly one bit, in a copy; the original is untouched', () => {
  const imp = new Impairment(new Random(11), { corrupt: 1 });
  const sink = new Collect();
  const positions = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const f = frame(60);
    imp.offer(f, 0, 0, 0, sink);
    const g = sink.out[i]!.frame;
    assert.notEqual(g, f);
    assert.deepEqual(f, frame(60));
    let bits = 0;
    for (let j = 0; j < f.length; j++) {
      const x = f[j]! ^ g[j]!;
      if (x !== 0) positions.add(j);
      for (let v = x; v; v &= v - 1) bits++;
    }
    assert.equal(bits, 1);
  }
  assert.equal(imp.corrupted, 200);
  assert.ok(positions.size > 30, 'the flipped bit lands all over the frame');
});

test('latency delays every frame; jitter spreads it uniformly over latency ± jitter, never negative', () => {
  const imp = new Impairment(new Random(3), { latency: 40, jitter: 10 });
  const sink = new Collect();
  for (let i = 0; i < 2000; i++) imp.offer(frame(), 100, 0, 0, sink);
  const d = sink.out.map((o) => o.time - 100);
  assert.ok(d.every((x) => x >= 30 && x <= 50));
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  assert.ok(Math.abs(mean - 40) < 0.5, `mean delay ${mean}`);
  assert.ok(d.filter((x) => x < 35).length > 400 && d.filter((x) => x > 45).length > 400, 'spread over the whole range');
  const big = new Impairment(new Random(3), { latency: 2, jitter: 10 });
  const s2 = new Collect();
  for (let i = 0; i < 500; i++) big.offer(frame(), 7, 0, 0, s2);
  assert.ok(s2.out.every((o) => o.time >= 7));
  assert.ok(s2.out.some((o) => o.time === 7), 'delays below zero are clamped to zero');
});

test('reorder: that share of frames skips the delay and is counted', () => {
  const imp = new Impairment(new Random(8), { latency: 50, reorder: 0.25 });
  const sink = new Collect();
  const n = 4000;
  for (let i = 0; i < n; i++) imp.offer(frame(), i, 0, 0, sink);
  const skipped = sink.out.filter((o, i) => o.time === i).length;
  assert.equal(skipped, imp.reordered);
  assert.equal(sink.out.filter((o, i) => o.time === i + 50).length, n - skipped);
  const sd = Math.sqrt(n * 0.25 * 0.75);
  assert.ok(Math.abs(skipped - n * 0.25) < 5 * sd, `reordered ${skipped}`);
});

test('rate: frames serialise back to back on the direction\'s queue; the slower of link and shaping rate wins', () => {
  const imp = new Impairment(new Random(1), { rate: '1mbit' });
  const sink = new Collect();
  for (let i = 0; i < 3; i++) imp.offer(frame(1500), 0, i, 0, sink);
  assert.deepEqual(sink.out.map((o) => o.time), [12, 24, 36]);
  // Idle wire: a frame sent later starts when it is sent.
  imp.offer(frame(1500), 100, 0, 0, sink);
  assert.equal(sink.out[3]!.time, 112);
  // Link at 10 Mbit/s, shaping at 1 Mbit/s: 1 Mbit/s. Link at 500 kbit/s: the link.
  const a = new Impairment(new Random(1), { rate: '1mbit' }); const sa = new Collect();
  a.offer(frame(1500), 0, 0, 10e6, sa);
  const b = new Impairment(new Random(1), { rate: '1mbit' }); const sb = new Collect();
  b.offer(frame(1500), 0, 0, 500e3, sb);
  assert.equal(sa.out[0]!.time, 12);
  assert.equal(sb.out[0]!.time, 24);
  // With only a link rate (no impairment) it still serialises.
  const c = new Impairment(new Random(1)); const sc = new Collect();
  c.offer(frame(1000), 5, 0, 8e6, sc);
  assert.equal(sc.out[0]!.time, 6);
});

test('limit: a frame offered while `limit` frames are in flight is dropped and counted', () => {
  const imp = new Impairment(new Random(1), { latency: 10, limit: 3 });
  const sink = new Collect();
  for (let q = 0; q < 5; q++) imp.offer(frame(), 0, q, 0, sink);
  assert.equal(sink.out.length, 3);
  assert.equal(imp.overLimit, 2);
  assert.equal(imp.dropped, 2);
});

test('the same seed gives the same fates; another seed different ones', () => {
  const run = (seed: number): string => {
    const imp = new Impairment(new Random(seed), { latency: 20, jitter: 15, loss: 0.1, duplicate: 0.05, corrupt: 0.05, reorder: 0.1 });
    const sink = new Collect();
    for (let i = 0; i < 500; i++) imp.offer(frame(80, i), i, 0, 0, sink);
    return sink.out.map((o) => `${o.frame[0]! | (o.frame[1]! << 8)}@${o.time.toFixed(6)}:${o.frame.reduce((a, b) => a + b, 0)}`).join(',');
  };
  assert.equal(run(42), run(42));
  assert.notEqual(run(42), run(43));
});
