import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../../src/links/clock.js';
import { Random } from '../../src/links/random.js';
import { Switch, MAC_AGEING_MS } from '../../src/links/switch.js';
import type { Port } from '../../src/links/port.js';
import { BROADCAST, eth, frameId } from './frames.js';

const A = '02:00:00:00:00:0a', B = '02:00:00:00:00:0b', C = '02:00:00:00:00:0c', D = '02:00:00:00:00:0d';

interface Got { id: number; time: number; frame: Uint8Array }

function lan(opts: { rate?: string; seed?: number } = {}): {
  sched: Scheduler; sw: Switch; ports: Record<string, Port>; got: Record<string, Got[]>;
} {
  const sched = new Scheduler();
  const sw = new Switch('lan', sched, new Random(opts.seed ?? 1), opts.rate ? { rate: opts.rate } : {});
  const ports: Record<string, Port> = {};
  const got: Record<string, Got[]> = {};
  for (const n of ['a', 'b', 'c']) {
    const p = sw.connect(n);
    const g: Got[] = [];
    p.onFrame = (frame) => g.push({ id: frameId(frame), time: sched.now(), frame });
    ports[n] = p; got[n] = g;
  }
  return { sched, sw, ports, got };
}

const ids = (g: Got[]): number[] => g.map((x) => x.id);

test('unknown unicast floods to every port but the ingress one; replies teach the switch; then unicast goes to one port', async () => {
  const { sched, sw, ports, got } = lan();
  assert.equal(ports.a!.name, 'lan:a'); assert.equal(ports.a!.layer, 2); assert.equal(ports.a!.mtu, 1500);
  ports.a!.send(eth(B, A, 46, 1));           // B unknown: flood
  await sched.run();
  assert.deepEqual([ids(got.a!), ids(got.b!), ids(got.c!)], [[], [1], [1]]);
  ports.b!.send(eth(A, B, 46, 2));           // A learned on a: only a
  await sched.run();
  assert.deepEqual([ids(got.a!), ids(got.b!), ids(got.c!)], [[2], [1], [1]]);
  ports.a!.send(eth(B, A, 46, 3));           // B learned on b: only b
  await sched.run();
  assert.deepEqual([ids(got.a!), ids(got.b!), ids(got.c!)], [[2], [1, 3], [1]]);
  assert.deepEqual(sw.macTable().map((e) => [e.mac, e.port]).sort(), [[A, 'a'], [B, 'b']]);
  const s = sw.stats();
  assert.equal(s.frames, 3); assert.equal(s.flooded, 1); assert.equal(s.forwarded, 2); assert.equal(s.delivered, 4);
  assert.equal(s.macs, 2); assert.equal(s.dropped, 0);
});

test('broadcast and multicast flood to every other port, never back to the sender, each receiver with its own bytes', async () => {
  const { sched, sw, ports, got } = lan();
  const f = eth(BROADCAST, A, 46, 7);
  ports.a!.send(f);
  ports.b!.send(eth('01:00:5e:00:00:fb', B, 46, 8));   // IPv4 multicast MAC
  ports.c!.send(eth('33:33:00:00:00:01', C, 46, 9));   // IPv6 multicast MAC
  await sched.run();
  assert.deepEqual(ids(got.a!), [8, 9]);
  assert.deepEqual(ids(got.b!), [7, 9]);
  assert.deepEqual(ids(got.c!), [7, 8]);
  const copies = [got.b![0]!.frame, got.c![0]!.frame];
  assert.notEqual(copies[0], copies[1]);
  assert.deepEqual(copies[0], copies[1]);
  assert.ok(copies.includes(f), 'one receiver gets the original (no needless copy)');
  assert.equal(sw.stats().flooded, 3);
  // Multicast sources are never learned.
  ports.a!.send(eth(B, '01:00:00:00:00:01', 46, 10));
  assert.ok(!sw.macTable().some((e) => e.mac === '01:00:00:00:00:01'));
});

test('a frame for a MAC learned on its own ingress port is filtered, not echoed', async () => {
  const { sched, sw, ports, got } = lan();
  ports.a!.send(eth(BROADCAST, A, 46, 1));
  ports.a!.send(eth(BROADCAST, D, 46, 2));   // D is also behind port a (a hub there)
  await sched.run();
  ports.a!.send(eth(D, A, 46, 3));
  await sched.run();
  assert.deepEqual([ids(got.a!), ids(got.b!), ids(got.c!)], [[], [1, 2], [1, 2]]);
  assert.equal(sw.stats().filtered, 1);
  assert.equal(sw.stats().dropped, 0);
});

test('a MAC that moves to another port is relearned there', async () => {
  const { sched, sw, ports, got } = lan();
  ports.a!.send(eth(BROADCAST, A, 46, 1));
  ports.c!.send(eth(BROADCAST, A, 46, 2));   // A now behind c
  ports.b!.send(eth(A, B, 46, 3));
  await sched.run();
  assert.deepEqual(ids(got.c!), [1, 3]);
  assert.deepEqual(ids(got.a!), [2]);
  assert.equal(sw.macTable().find((e) => e.mac === A)?.port, 'c');
});

test('entries age out 300 s after the MAC was last seen as a source (checked lazily)', async () => {
  const { sched, sw, ports, got } = lan();
  ports.a!.send(eth(BROADCAST, A, 46, 1));
  await sched.run();
  await sched.run(MAC_AGEING_MS - 1);
  assert.equal(sw.macTable()[0]?.ageMs, MAC_AGEING_MS - 1);
  ports.b!.send(eth(A, B, 46, 2));           // still known: only a
  await sched.run();
  assert.deepEqual(ids(got.c!), [1]);
  await sched.run(1);                        // A last seen exactly 300 s ago
  ports.b!.send(eth(A, B, 46, 3));           // aged out: flooded again
  await sched.run();
  assert.deepEqual(ids(got.a!), [2, 3]);
  assert.deepEqual(ids(got.c!), [1, 3]);
  assert.deepEqual(sw.macTable().map((e) => e.mac), [B]);
  // Being seen again refreshes an entry.
  await sched.run(MAC_AGEING_MS - 10);
  ports.b!.send(eth(BROADCAST, B, 46, 4));
  await sched.run(MAC_AGEING_MS - 10);
  assert.deepEqual(sw.macTable().map((e) => [e.mac, e.ageMs]), [[B, MAC_AGEING_MS - 10]]);
  assert.equal(sched.size, 0, 'no periodic timers');
});

test('detaching a port flushes its MACs, stops floods to it and drops what it sends; a new port may take its name', async () => {
  const { sched, sw, ports, got } = lan();
  ports.c!.send(eth(BROADCAST, C, 46, 1));
  await sched.run();
  assert.throws(() => sw.connect('c'), /already connected/);
  ports.c!.detach();
  assert.ok(!sw.macTable().some((e) => e.mac === C));
  ports.a!.send(eth(C, A, 46, 2));           // C unknown again: floods to b only
  ports.c!.send(eth(A, C, 46, 3));
  await sched.run();
  assert.deepEqual(ids(got.b!), [1, 2]);
  assert.deepEqual(ids(got.c!), []);
  const st = sw.stats();
  assert.equal(st.ports.find((p) => p.name === 'c')!.in.unplugged, 1);
  assert.equal(st.ports.find((p) => p.name === 'c')!.attached, false);
  const c2 = sw.connect('c');
  let n = 0;
  c2.onFrame = () => n++;
  ports.a!.send(eth(BROADCAST, A, 46, 4));
  await sched.run();
  assert.equal(n, 1);
});

test('oversize and runt frames are refused at the port and counted; the switch has no echo of them', async () => {
  const { sched, sw, ports, got } = lan();
  ports.a!.send(eth(BROADCAST, A, 1501, 1));
  ports.a!.send(new Uint8Array(13));
  ports.a!.send(eth(BROADCAST, A, 1500, 2));
  await sched.run();
  assert.deepEqual(ids(got.b!), [2]);
  const s = sw.stats();
  assert.equal(s.oversize, 1); assert.equal(s.runt, 1); assert.equal(s.dropped, 2);
  assert.equal(s.ports[0]!.in.oversize, 1);
  assert.throws(() => new Switch('x', sched, new Random(1), { mtu: 0 }), /mtu/);
});

test('known unicast costs one scheduler event per frame and no copy', async () => {
  const { sched, ports, got } = lan();
  ports.a!.send(eth(BROADCAST, A, 46, 0));
  ports.b!.send(eth(BROADCAST, B, 46, 0));
  await sched.run();
  const before = sched.eventsRun;
  const frames = Array.from({ length: 50 }, (_, i) => eth(B, A, 46, i + 1));
  for (const f of frames) ports.a!.send(f);
  await sched.run();
  assert.equal(sched.eventsRun - before, 50);
  assert.ok(got.b!.slice(1).every((g, i) => g.frame === frames[i]));
});

test('with a rate the switch stores and forwards: one port link in, one out, egress queues shared by senders', async () => {
  const { sched, ports, got } = lan({ rate: '1mbit' });
  ports.b!.send(eth(BROADCAST, B, 1486, 0));     // learn B (in at 12, out at 24)
  await sched.run();
  const t0 = sched.now();
  assert.equal(t0, 24);
  got.b!.length = 0;
  for (let i = 1; i <= 3; i++) ports.a!.send(eth(B, A, 1486, i));
  await sched.run();
  // Frame i is in the switch at 12 i and out at 12 (i + 1).
  assert.deepEqual(got.b!.map((g) => [g.id, g.time - t0]), [[1, 24], [2, 36], [3, 48]]);
  // Two senders to one receiver: both arrive at 12, then queue on b's link.
  got.b!.length = 0;
  const t1 = sched.now();
  ports.a!.send(eth(B, A, 1486, 10));
  ports.c!.send(eth(B, C, 1486, 11));
  await sched.run();
  assert.deepEqual(got.b!.map((g) => [g.id, g.time - t1]), [[10, 24], [11, 36]]);
});

test('impairments apply to every frame the switch sends out, each flood copy on its own', async () => {
  const { sched, sw, ports, got } = lan({ seed: 3 });
  sw.impair({ latency: 10 });
  ports.a!.send(eth(BROADCAST, A, 46, 1));
  await sched.run();
  assert.deepEqual(got.b!.map((g) => g.time), [10]);
  assert.deepEqual(got.c!.map((g) => g.time), [10]);
  assert.equal(sw.impairment()?.latency, 10);
  // A port connected later gets the switch's impairments too.
  const d = sw.connect('d');
  const atD: number[] = [];
  d.onFrame = () => atD.push(sched.now());
  const t0 = sched.now();
  ports.b!.send(eth(BROADCAST, B, 46, 2));
  await sched.run();
  assert.deepEqual(atD, [t0 + 10]);
  // Loss per copy: over many broadcasts, some copies reach b but not c.
  sw.impair({ loss: 0.5 });
  got.b!.length = 0; got.c!.length = 0;
  for (let i = 0; i < 200; i++) ports.a!.send(eth(BROADCAST, A, 46, 1000 + i));
  await sched.run();
  const atB = new Set(ids(got.b!)), atC = new Set(ids(got.c!));
  assert.ok([...atB].some((x) => !atC.has(x)));
  const s = sw.stats();
  assert.equal(s.lost + s.delivered - 5, 200 * 3, 'every copy to b, c and d is either lost or delivered');
  sw.impair(null);
  assert.equal(sw.impairment(), null);
});

test('taps see each frame once, as it enters the switch, however many ports it floods to', async () => {
  const { sched, sw, ports } = lan();
  const seen: Array<[number, number]> = [];
  const untap = sw.addTap((f, time, layer) => { assert.equal(layer, 2); seen.push([frameId(f), time]); });
  ports.a!.send(eth(BROADCAST, A, 46, 1));
  sched.after(3, () => ports.b!.send(eth(A, B, 46, 2)));
  await sched.run();
  assert.deepEqual(seen, [[1, 0], [2, 3]]);
  untap();
  ports.a!.send(eth(BROADCAST, A, 46, 3));
  await sched.run();
  assert.equal(seen.length, 2);
  assert.equal(sw.captureName, 'lan');
});

test('same seed, same deliveries through an impaired switch; another seed differs', async () => {
  const run = async (seed: number): Promise<string> => {
    const { sched, sw, ports, got } = lan({ seed, rate: '10mbit' });
    sw.impair({ latency: 2, jitter: 1, loss: 0.1, duplicate: 0.05, reorder: 0.1 });
    for (let i = 0; i < 100; i++) sched.at(i * 0.05, () => ports[['a', 'b', 'c'][i % 3]!]!.send(eth(i % 4 === 0 ? BROADCAST : [A, B, C][(i + 1) % 3]!, [A, B, C][i % 3]!, 100, i)));
    await sched.run();
    return ['a', 'b', 'c'].map((n) => got[n]!.map((g) => `${g.id}@${g.time.toFixed(6)}`).join(' ')).join(' | ');
  };
  assert.equal(await run(5), await run(5));
  assert.notEqual(await run(5), await run(6));
});
