import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../../src/links/clock.js';
import { Random } from '../../src/links/random.js';
import { Cable } from '../../src/links/cable.js';
import type { Port } from '../../src/links/port.js';
import { eth, frameId } from './frames.js';

const A = '02:00:00:00:00:0a', B = '02:00:00:00:00:0b';

function receiver(sched: Scheduler, port: Port): Array<{ id: number; time: number; frame: Uint8Array }> {
  const got: Array<{ id: number; time: number; frame: Uint8Array }> = [];
  port.onFrame = (frame) => got.push({ id: frameId(frame), time: sched.now(), frame });
  return got;
}

test('a plain cable delivers the same buffer to the other end, through one scheduler event per frame', async () => {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(1));
  const [a, b] = c.ends;
  assert.equal(a.name, 'wan:a'); assert.equal(b.name, 'wan:b');
  assert.equal(a.layer, 2); assert.equal(a.mtu, 1500);
  const got = receiver(sched, b);
  const frames = [eth(B, A, 46, 1), eth(B, A, 46, 2), eth(B, A, 46, 3)];
  for (const f of frames) a.send(f);
  assert.equal(got.length, 0, 'never delivered synchronously');
  const before = sched.eventsRun;
  await sched.run();
  assert.equal(sched.eventsRun - before, 3);
  assert.deepEqual(got.map((g) => g.id), [1, 2, 3]);
  assert.ok(got.every((g, i) => g.frame === frames[i] && g.time === 0));
  const s = c.stats()['a->b'];
  assert.equal(s.frames, 3); assert.equal(s.bytes, 180); assert.equal(s.delivered, 3); assert.equal(s.dropped, 0); assert.equal(s.queued, 0);
});

test('latency: frames arrive that much later', async () => {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(1));
  c.impair({ latency: '40ms' });
  const got = receiver(sched, c.ends[1]);
  c.ends[0].send(eth(B, A, 46, 1));
  sched.after(5, () => c.ends[0].send(eth(B, A, 46, 2)));
  await sched.run();
  assert.deepEqual(got.map((g) => [g.id, g.time]), [[1, 40], [2, 45]]);
});

test('rate: 1500-byte frames at 1 Mbit/s take 12 ms each, back to back; latency adds after serialisation', async () => {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(1), { rate: '1mbit' });
  assert.equal(c.rate, 1e6);
  const got = receiver(sched, c.ends[1]);
  for (let i = 1; i <= 4; i++) c.ends[0].send(eth(B, A, 1486, i));
  await sched.run();
  assert.deepEqual(got.map((g) => [g.id, g.time]), [[1, 12], [2, 24], [3, 36], [4, 48]]);
  // The wire is idle again: a frame sent now starts now.
  got.length = 0;
  c.impair({ latency: 5 });
  const t0 = sched.now();
  for (let i = 1; i <= 2; i++) c.ends[0].send(eth(B, A, 1486, i));
  await sched.run();
  assert.deepEqual(got.map((g) => g.time - t0), [17, 29]);
});

test('the two directions are independent (full duplex)', async () => {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(1), { rate: '1mbit' });
  const atB = receiver(sched, c.ends[1]);
  const atA = receiver(sched, c.ends[0]);
  c.impair({ latency: 100 }, 'b->a');
  c.ends[0].send(eth(B, A, 1486, 1));
  c.ends[1].send(eth(A, B, 1486, 2));
  await sched.run();
  assert.deepEqual(atB.map((g) => [g.id, g.time]), [[1, 12]]);
  assert.deepEqual(atA.map((g) => [g.id, g.time]), [[2, 112]]);
  assert.equal(c.impairment('a->b'), null);
  assert.equal(c.impairment('b->a')?.latency, 100);
  assert.throws(() => c.impair({ latency: 1 }, 'up' as never), RangeError);
});

test('impair() again replaces the settings; impair(null) and impair({}) clear them', async () => {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(1));
  const got = receiver(sched, c.ends[1]);
  c.impair({ latency: 10, loss: 1 });
  c.impair({ latency: 20 });
  c.ends[0].send(eth(B, A, 46, 1));
  await sched.run();
  assert.deepEqual(got.map((g) => g.time), [20]);
  for (const clear of [null, {}]) {
    c.impair({ latency: 20 });
    c.impair(clear);
    const t0 = sched.now();
    c.ends[0].send(eth(B, A, 46, 2));
    await sched.run();
    assert.equal(got[got.length - 1]!.time, t0);
  }
  assert.throws(() => c.impair({ loss: 3 }), /loss must be a probability/);
});

test('oversize frames are refused by the sending end and counted (layer 2: mtu + 14, +4 with an 802.1Q tag)', async () => {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(1), { mtu: 1500 });
  const got = receiver(sched, c.ends[1]);
  let tapped = 0;
  c.addTap(() => tapped++);
  c.ends[0].send(eth(B, A, 1500, 1));
  c.ends[0].send(eth(B, A, 1501, 2));
  const tagged = eth(B, A, 1504, 3); tagged[12] = 0x81; tagged[13] = 0x00;
  c.ends[0].send(tagged);
  const tooTagged = eth(B, A, 1505, 4); tooTagged[12] = 0x81; tooTagged[13] = 0x00;
  c.ends[0].send(tooTagged);
  await sched.run();
  assert.deepEqual(got.map((g) => g.id), [1, 3]);
  const s = c.stats()['a->b'];
  assert.equal(s.oversize, 2); assert.equal(s.dropped, 2); assert.equal(s.frames, 2);
  assert.equal(tapped, 2, 'refused frames never reach the wire');

  const l3 = new Cable('tun', sched, new Random(1), { mtu: 1280, layer: 3 });
  let n = 0;
  l3.ends[0].onFrame = () => n++;
  l3.ends[1].send(new Uint8Array(1280));
  l3.ends[1].send(new Uint8Array(1281));
  await sched.run();
  assert.equal(n, 1);
  assert.equal(l3.stats()['b->a'].oversize, 1);
  assert.throws(() => new Cable('x', sched, new Random(1), { mtu: 20 }), /mtu/);
  assert.throws(() => new Cable('x', sched, new Random(1), { layer: 4 as never }), /layer/);
  assert.throws(() => new Cable('x', sched, new Random(1), { rate: 'quick' }), /rate/);
});

test('a detached end drops what it would send and what arrives for it, frames in flight included; attach() plugs it back', async () => {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(1));
  c.impair({ latency: 10 });
  const [a, b] = c.ends;
  const got = receiver(sched, b);
  a.send(eth(B, A, 46, 1));          // in flight when b is unplugged
  sched.after(5, () => b.detach());
  await sched.run();
  a.send(eth(B, A, 46, 2));          // b is detached
  b.send(eth(A, B, 46, 3));          // from a detached end
  await sched.run();
  assert.equal(got.length, 0);
  assert.equal(c.stats()['a->b'].unplugged, 2);
  assert.equal(c.stats()['b->a'].unplugged, 1);
  assert.equal(c.stats()['b->a'].frames, 0);
  b.attach();
  a.send(eth(B, A, 46, 4));
  await sched.run();
  assert.deepEqual(got.map((g) => g.id), [4]);
});

test('taps see each frame once, as it is put on the wire, before impairments (lost frames too)', async () => {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(1));
  c.impair({ latency: 30, loss: 0.5 });
  const seen: Array<[number, number, number]> = [];
  const untap = c.addTap((f, time, layer) => seen.push([frameId(f), time, layer]));
  const got = receiver(sched, c.ends[1]);
  for (let i = 0; i < 20; i++) sched.at(i, () => c.ends[0].send(eth(B, A, 46, i)));
  sched.at(7, () => c.ends[1].send(eth(A, B, 46, 100)));
  await sched.run();
  assert.equal(seen.length, 21);
  assert.deepEqual(seen.filter((s) => s[0] < 100).map((s) => s[1]), Array.from({ length: 20 }, (_, i) => i));
  assert.ok(seen.every((s) => s[2] === 2));
  assert.ok(got.length < 20 && got.length > 0);
  untap();
  c.ends[0].send(eth(B, A, 46, 50));
  await sched.run();
  assert.equal(seen.length, 21);
});

async function lossyRun(seed: number): Promise<{ got: Array<{ id: number; time: number }>; stats: ReturnType<Cable['stats']> }> {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(seed), { rate: '100mbit' });
  c.impair({ latency: '20ms', jitter: '4ms', loss: 0.05, duplicate: 0.02, reorder: 0.05, corrupt: 0.01 });
  const got = receiver(sched, c.ends[1]);
  for (let i = 0; i < 300; i++) sched.at(i * 0.1, () => c.ends[0].send(eth(B, A, 200, i)));
  await sched.run();
  return { got: got.map(({ id, time }) => ({ id, time })), stats: c.stats() };
}

test('the same seed gives the same deliveries at the same times; a different seed does not', async () => {
  const r1 = await lossyRun(7), r2 = await lossyRun(7), r3 = await lossyRun(8);
  assert.deepEqual(r1.got, r2.got);
  assert.deepEqual(r1.stats, r2.stats);
  assert.notDeepEqual(r1.got, r3.got);
  // Duplication and reordering are observable at the receiver.
  const s = r1.stats['a->b'];
  assert.ok(s.duplicated > 0 && s.reordered > 0 && s.lost > 0);
  const ids = r1.got.map((g) => g.id);
  assert.equal(ids.length, 300 - s.lost + s.duplicated);
  assert.equal(ids.length - new Set(ids).size, s.duplicated);
  let inversions = 0;
  for (let i = 1; i < ids.length; i++) if (ids[i]! < ids[i - 1]!) inversions++;
  assert.ok(inversions > 0, 'some frames overtake others');
  assert.ok(r1.got.every((g, i) => i === 0 || g.time >= r1.got[i - 1]!.time), 'deliveries in time order');
});

test('loss over 10,000 frames through a cable stays within 5 standard deviations of the setting', async () => {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(2024));
  c.impair({ loss: 0.02 });
  let n = 0;
  c.ends[1].onFrame = () => n++;
  for (let i = 0; i < 10000; i++) c.ends[0].send(eth(B, A, 46, i));
  await sched.run();
  const s = c.stats()['a->b'];
  assert.equal(s.delivered, n);
  assert.equal(n + s.lost, 10000);
  const sd = Math.sqrt(10000 * 0.02 * 0.98);
  assert.ok(Math.abs(s.lost - 200) < 5 * sd, `lost ${s.lost}`);
});

test('limit: with a slow rate the direction queues at most `limit` frames and drops the rest', async () => {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(1), { rate: '1mbit' });
  c.impair({ limit: 10 });
  let n = 0;
  c.ends[1].onFrame = () => n++;
  for (let i = 0; i < 25; i++) c.ends[0].send(eth(B, A, 1486, i));
  assert.equal(c.stats()['a->b'].queued, 10);
  await sched.run();
  assert.equal(n, 10);
  assert.equal(c.stats()['a->b'].overLimit, 15);
  assert.equal(sched.now(), 120);
});
