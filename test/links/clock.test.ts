import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, parseDuration, type Timer } from '../../src/links/clock.js';
import { Random } from '../../src/links/random.js';

test('events run in time order, same-time events in scheduling order, virtual time jumps', async () => {
  const s = new Scheduler('virtual');
  const seen: string[] = [];
  s.after(30, () => seen.push(`c@${s.now()}`));
  s.after(10, () => seen.push(`a@${s.now()}`));
  s.after(10, () => seen.push(`b@${s.now()}`));
  s.after(0, () => s.after(5, () => seen.push(`d@${s.now()}`)));
  await s.run();
  assert.deepEqual(seen, ['d@5', 'a@10', 'b@10', 'c@30']);
  assert.equal(s.now(), 30);
});

test('microtasks and nextTicks drain between two events, as between two I/O callbacks', async () => {
  const s = new Scheduler('virtual');
  const seen: string[] = [];
  s.after(1, () => { seen.push('e1'); process.nextTick(() => seen.push('tick1')); void Promise.resolve().then(() => seen.push('micro1')); });
  s.after(1, () => seen.push('e2'));
  await s.run();
  assert.deepEqual(seen, ['e1', 'tick1', 'micro1', 'e2']);
});

test('cancelled timers never run; run({for}) stops at the limit', async () => {
  const s = new Scheduler('virtual');
  let ran = 0;
  const t = s.after(5, () => ran++);
  t.cancel();
  s.after(100, () => ran += 10);
  await s.run(50);
  assert.equal(ran, 0);
  assert.equal(s.now(), 50);
  await s.run(60);
  assert.equal(ran, 10);
  assert.equal(s.now(), 110);
});

test('only unref\'d events left: the pump stops; run() still runs them', async () => {
  const s = new Scheduler('virtual');
  let ran = false;
  s.after(1000, () => { ran = true; }, false);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(ran, false);
  await s.run();
  assert.equal(ran, true);
});

test('real clock paces events to the wall clock', async () => {
  const s = new Scheduler('real');
  const t0 = performance.now();
  await new Promise<void>((resolve) => s.after(30, resolve));
  assert.ok(performance.now() - t0 >= 25, 'waited about 30 ms');
});

test('parseDuration', () => {
  assert.equal(parseDuration('40ms'), 40);
  assert.equal(parseDuration('2s'), 2000);
  assert.equal(parseDuration('100us'), 0.1);
  assert.equal(parseDuration(5), 5);
  assert.throws(() => parseDuration('soon'), RangeError);
  assert.throws(() => parseDuration(-1), RangeError);
});

test('random: same seed same sequence, uniform enough', () => {
  const a = new Random(7), b = new Random(7), c = new Random(8);
  const sa = Array.from({ length: 5 }, () => a.u32());
  assert.deepEqual(sa, Array.from({ length: 5 }, () => b.u32()));
  assert.notDeepEqual(sa, Array.from({ length: 5 }, () => c.u32()));
  const r = new Random(1);
  let sum = 0;
  for (let i = 0; i < 10000; i++) sum += r.next();
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
});

test('cancelled events do not pile up while time stands still; the live ones still run in order', async () => {
  const s = new Scheduler('virtual');
  const ran: number[] = [];
  const live: Timer[] = [];
  for (let i = 0; i < 5000; i++) {
    const t = s.at(1000 + (i % 97), () => ran.push(i));
    if (i % 500 === 0) live.push(t);
    else t.cancel();
  }
  assert.ok(s.size < 600, `heap holds ${s.size} events for ${live.length} live ones`);
  await s.run();
  const want = live.map((_, k) => k * 500).sort((a, b) => (1000 + (a % 97)) - (1000 + (b % 97)) || a - b);
  assert.deepEqual(ran, want);
});

test('run({ for }) never passes its limit, even when the limit is reached right after a batch of due events (issue 11, bug 4)', async () => {
  const s = new Scheduler('virtual');
  let late = 0;
  s.after(20, () => {});
  s.after(30_000, () => late++, false); // like the reassembly timeout of a lone first fragment: unref'd
  await s.run(20);
  assert.equal(s.now(), 20);
  s.after(0, () => {}); // an event due now: run({ for: 0 }) runs it, then must stop
  await s.run(0);
  assert.equal(s.now(), 20, 'the clock stays at the limit');
  assert.equal(late, 0, 'the unref\'d event 30 s ahead did not run');
  await s.run(10);
  assert.equal(s.now(), 30);
  assert.equal(late, 0);
});
