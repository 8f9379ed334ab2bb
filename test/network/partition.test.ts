import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Network, type Host } from '../../src/index.js';
import type { NetSocket } from '../../src/node/net.js';

/** a, b, c on one switch. */
function lan(seed = 5) {
  const world = new Network({ seed });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  const c = world.host('c');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  c.attach(sw, { ipv4: '10.0.0.3/24', ipv6: 'fd00::3/64' });
  return { world, sw, a, b, c };
}

/** A bound dual-stack UDP socket on `h` that records what it receives (closed when the test ends). */
async function udpSink(t: TestContext, h: Host, port: number) {
  const s = h.dgram.createSocket('udp6');
  const got: string[] = [];
  s.on('message', (m) => got.push(m.toString()));
  s.bind(port);
  await once(s, 'listening');
  t.after(() => { try { s.close(); } catch { /* closed already */ } });
  return { s, got };
}

async function sendUdp(from: Host, to: string, port: number, text: string, type: 'udp4' | 'udp6' = 'udp4'): Promise<void> {
  const s = from.dgram.createSocket(type);
  await new Promise<void>((resolve, reject) => s.send(text, port, to, (e) => (e ? reject(e) : resolve())));
  s.close();
}

test('a partition cuts UDP and ping both ways on one switch; heal() restores them; the others are untouched', async (t) => {
  const { world, a, b, c } = lan();
  const inA = await udpSink(t, a, 5000);
  const inB = await udpSink(t, b, 5000);
  await sendUdp(a, '10.0.0.2', 5000, 'before');
  await world.run({ for: '10ms' });
  assert.deepEqual(inB.got, ['before']);

  const cut = world.partition([a], [b]);
  assert.equal(cut.active, true);
  await sendUdp(a, '10.0.0.2', 5000, 'a->b cut');
  await sendUdp(b, '10.0.0.1', 5000, 'b->a cut');
  await sendUdp(a, 'fd00::2', 5000, 'a->b v6 cut', 'udp6').catch(() => {});
  await assert.rejects(a.ping('10.0.0.2', { timeout: '1s' }), { code: 'ETIMEDOUT' });
  await assert.rejects(b.ping('fd00::1', { timeout: '1s' }), (e: Error & { code: string }) => ['ETIMEDOUT', 'EHOSTUNREACH'].includes(e.code));
  // c is in neither group: it still talks to both.
  assert.equal((await c.ping('10.0.0.1')).from, '10.0.0.1');
  assert.equal((await c.ping('10.0.0.2')).from, '10.0.0.2');
  await sendUdp(c, '10.0.0.2', 5000, 'c->b');
  await world.run({ for: '10ms' });
  assert.deepEqual(inB.got, ['before', 'c->b']);
  assert.deepEqual(inA.got, []);
  const st = cut.stats();
  assert.ok(st['a->b'] >= 3, `a->b drops: ${st['a->b']}`);
  assert.ok(st['b->a'] >= 2, `b->a drops: ${st['b->a']}`);
  assert.equal(st.dropped, st['a->b'] + st['b->a']);

  cut.heal();
  assert.equal(cut.active, false);
  assert.deepEqual(world.partitions, []);
  assert.equal((await a.ping('10.0.0.2')).from, '10.0.0.2');
  assert.equal((await b.ping('fd00::1')).from, 'fd00::1');
  await sendUdp(a, '10.0.0.2', 5000, 'after');
  await sendUdp(b, '10.0.0.1', 5000, 'after');
  await world.run({ for: '10ms' });
  assert.deepEqual(inB.got, ['before', 'c->b', 'after']);
  assert.deepEqual(inA.got, ['after']);
  assert.deepEqual(cut.stats(), st, 'nothing more is counted once healed');
  await world.run();
});

test('with no partition the ports hand frames straight to the interfaces (no filter on the path)', () => {
  const { world, a, b } = lan();
  const ia = a.iface('eth0')!;
  const ib = b.iface('eth0')!;
  assert.equal(ia.port!.onFrame, ia.receive);
  const cut = world.partition([a], [b]);
  assert.notEqual(ia.port!.onFrame, ia.receive);
  assert.notEqual(ib.port!.onFrame, ib.receive);
  cut.heal();
  cut.heal(); // idempotent
  assert.equal(ia.port!.onFrame, ia.receive);
  assert.equal(ib.port!.onFrame, ib.receive);
});

test('oneWay: B reaches A (address resolution included, from cold caches) but nothing of A reaches B', async (t) => {
  const { world, a, b } = lan(8);
  const cut = world.partition([a], [b], { oneWay: true });
  assert.equal(cut.oneWay, true);
  const inA = await udpSink(t, a, 6000);
  const inB = await udpSink(t, b, 6000);
  await sendUdp(b, '10.0.0.1', 6000, 'b->a v4');
  await sendUdp(b, 'fd00::1', 6000, 'b->a v6', 'udp6');
  await sendUdp(a, '10.0.0.2', 6000, 'a->b v4');
  await sendUdp(a, 'fd00::2', 6000, 'a->b v6', 'udp6');
  await world.run({ for: '100ms' });
  assert.deepEqual(inA.got.sort(), ['b->a v4', 'b->a v6']);
  assert.deepEqual(inB.got, []);
  const st = cut.stats();
  assert.ok(st['a->b'] >= 2, `a->b drops: ${st['a->b']}`);
  assert.equal(st['b->a'], 0);
  // A ping from b gets no reply (the reply is A -> B).
  await assert.rejects(b.ping('10.0.0.1', { timeout: '1s' }), { code: 'ETIMEDOUT' });
  assert.equal(a.kernel.stats.icmp.OutEchoReps, 1);
  cut.heal();
  await sendUdp(a, '10.0.0.2', 6000, 'healed');
  await world.run({ for: '10ms' });
  assert.deepEqual(inB.got, ['healed']);
  await world.run();
});

test('a full cut also cuts address resolution: a sender with a cold cache gets EHOSTUNREACH', async () => {
  const { world, a, b } = lan(9);
  const cut = world.partition([a], [b]);
  await assert.rejects(a.ping('10.0.0.2'), { code: 'EHOSTUNREACH' });
  assert.ok(cut.stats()['a->b'] >= 3, 'the ARP requests were dropped');
  assert.equal(b.kernel.stats.arp.InRequests, 0);
  cut.heal();
  assert.equal((await a.ping('10.0.0.2')).from, '10.0.0.2');
  await world.run();
});

test('a partition across a router: the router forwards, the packets die at the far host', async () => {
  const world = new Network({ seed: 4 });
  const lan1 = world.switch('lan1');
  const lan2 = world.switch('lan2');
  const a = world.host('a');
  const b = world.host('b');
  const r = world.host('r', { forwarding: true });
  a.attach(lan1, { ipv4: '10.0.1.1/24', ipv6: 'fd01::1/64' });
  r.attach(lan1, { ipv4: '10.0.1.254/24', ipv6: 'fd01::fe/64' });
  r.attach(lan2, { ipv4: '10.0.2.254/24', ipv6: 'fd02::fe/64' });
  b.attach(lan2, { ipv4: '10.0.2.1/24', ipv6: 'fd02::1/64' });
  a.route.add('default', { via: '10.0.1.254' });
  a.route.add('default', { via: 'fd01::fe' });
  b.route.add('default', { via: '10.0.2.254' });
  b.route.add('default', { via: 'fd02::fe' });
  assert.equal((await a.ping('10.0.2.1')).ttl, 63);

  const cut = world.partition([a], [b]);
  const fwd = r.kernel.stats.ip.ForwDatagrams!;
  await assert.rejects(a.ping('10.0.2.1', { timeout: '1s' }), { code: 'ETIMEDOUT' });
  await assert.rejects(a.ping('fd02::1', { timeout: '1s' }), { code: 'ETIMEDOUT' });
  await assert.rejects(b.ping('10.0.1.1', { timeout: '1s' }), { code: 'ETIMEDOUT' });
  assert.equal(r.kernel.stats.ip.ForwDatagrams, fwd + 2, 'the router forwarded both echo requests');
  // The router is in neither group: both sides still reach it.
  assert.equal((await a.ping('10.0.1.254')).from, '10.0.1.254');
  assert.equal((await b.ping('10.0.2.254')).from, '10.0.2.254');
  assert.equal(cut.stats()['a->b'], 2);
  assert.equal(cut.stats()['b->a'], 1);
  cut.heal();
  assert.equal((await a.ping('10.0.2.1')).from, '10.0.2.1');
  assert.equal((await b.ping('fd01::1')).from, 'fd01::1');
  await world.run();
});

test('a partition on a point-to-point cable counts its drops like the rest', async () => {
  const world = new Network({ seed: 2 });
  const a = world.host('a');
  const b = world.host('b');
  const link = world.link(a, b, { ipv4: ['192.0.2.1/30', '192.0.2.2/30'] });
  await a.ping('192.0.2.2');
  const cut = world.partition([b], [a]);
  await assert.rejects(b.ping('192.0.2.1', { timeout: '500ms' }), { code: 'ETIMEDOUT' });
  assert.ok(cut.stats()['a->b'] >= 1, 'group A is b here: b -> a dropped at a');
  assert.equal(cut.stats()['b->a'], 0, 'a sent nothing: no echo request reached it');
  assert.equal(a.kernel.stats.icmp.InEchos, 0, 'no echo request reached a');
  assert.equal(b.kernel.stats.icmp.InEchos, 1, 'only the one from before the cut reached b');
  assert.equal(link.stats()['b->a'].delivered, link.stats()['b->a'].frames, 'the cable itself delivered the frame');
  cut.heal();
  await world.run();
});

/** `size` bytes from a to b's sink server; resolves with the digest b received and what a counted. */
async function transfer(t: TestContext, seed: number, size: number, cutAtMs: number, healAfter: string) {
  const world = new Network({ seed });
  const sw = world.switch('lan', { rate: '10mbit' });
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24' });
  b.attach(sw, { ipv4: '10.0.0.2/24' });
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >>> 8)) & 0xff;
  const h = createHash('sha256');
  let got = 0;
  let doneAt = -1;
  const server = b.net.createServer((s: NetSocket) => {
    s.on('data', (d: Buffer) => { h.update(d); got += d.length; });
    s.on('end', () => { doneAt = world.now(); s.end(); });
  }).listen(9000);
  const c = a.net.connect(9000, '10.0.0.2');
  t.after(() => { c.destroy(); server.close(); });
  await once(c, 'connect');
  c.end(data);
  await world.run({ for: cutAtMs });
  assert.ok(got > 0 && got < size, `part of the data crossed before the cut (${got})`);
  const cut = world.partition([a], [b]);
  const retransBefore = a.tcp.stats.RetransSegs!;
  await world.run({ for: healAfter });
  const gotDuringCut = got;
  cut.heal();
  await once(c, 'close');
  server.close();
  await world.run();
  return { digest: h.digest('hex'), got, gotDuringCut, doneAt, retrans: a.tcp.stats.RetransSegs! - retransBefore, drops: cut.stats(), want: createHash('sha256').update(data).digest('hex') };
}

test('a TCP transfer across a partition healed after 3 s completes with identical bytes, retransmissions counted', async (t) => {
  const r = await transfer(t, 21, 512 * 1024, 100, '3s');
  t.diagnostic(JSON.stringify(r));
  assert.ok(r.gotDuringCut < r.got, 'the cut stopped the transfer');
  assert.equal(r.got, 512 * 1024);
  assert.equal(r.digest, r.want);
  assert.ok(r.retrans >= 3, `retransmissions: ${r.retrans}`);
  assert.ok(r.drops['a->b'] >= r.retrans, `drops: ${JSON.stringify(r.drops)}`);
  assert.ok(r.doneAt > 3000, `finished after the heal (${r.doneAt} ms)`);
  // Deterministic on the virtual clock: the same seed, the same run.
  const again = await transfer(t, 21, 512 * 1024, 100, '3s');
  assert.deepEqual(again, r);
});

test('overlapping partitions: each heal() removes only its own cut', async () => {
  const { world, a, b, c } = lan(6);
  const p1 = world.partition([a], [b]);
  const p2 = world.partition([a, c], [b]);
  assert.deepEqual(world.partitions, [p1, p2]);
  await assert.rejects(a.ping('10.0.0.2', { timeout: '500ms' }), (e: Error & { code: string }) => ['ETIMEDOUT', 'EHOSTUNREACH'].includes(e.code));
  p1.heal();
  await assert.rejects(a.ping('10.0.0.2', { timeout: '500ms' }), (e: Error & { code: string }) => ['ETIMEDOUT', 'EHOSTUNREACH'].includes(e.code));
  await assert.rejects(c.ping('10.0.0.2', { timeout: '500ms' }), (e: Error & { code: string }) => ['ETIMEDOUT', 'EHOSTUNREACH'].includes(e.code));
  assert.equal((await a.ping('10.0.0.3')).from, '10.0.0.3', 'a and c are on the same side');
  p1.heal();
  assert.deepEqual(world.partitions, [p2]);
  p2.heal();
  assert.equal((await a.ping('10.0.0.2')).from, '10.0.0.2');
  assert.equal((await c.ping('10.0.0.2')).from, '10.0.0.2');
  await world.run();
});

test('an interface attached after the partition is cut too', async () => {
  const { world, a, b } = lan(7);
  const cut = world.partition([a], [b]);
  const sw2 = world.switch('lan2');
  a.attach(sw2, { ipv4: '10.9.0.1/24' });
  b.attach(sw2, { ipv4: '10.9.0.2/24' });
  await assert.rejects(a.ping('10.9.0.2', { timeout: '500ms' }), (e: Error & { code: string }) => ['ETIMEDOUT', 'EHOSTUNREACH'].includes(e.code));
  assert.ok(cut.stats()['a->b'] > 0);
  cut.heal();
  assert.equal((await a.ping('10.9.0.2')).from, '10.9.0.2');
  await world.run();
});

test('arguments are checked Node-style', () => {
  const { world, a, b } = lan();
  const other = new Network().host('x');
  assert.throws(() => world.partition('a' as never, [b]), {
    code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError',
    message: 'The "groupA" argument must be an instance of Array. Received type string (\'a\')',
  });
  assert.throws(() => world.partition([a], [{ name: 'b' }] as never), {
    code: 'ERR_INVALID_ARG_TYPE', message: 'The "groupB[0]" argument must be an instance of Host. Received an instance of Object',
  });
  assert.throws(() => world.partition([], [b]), { code: 'ERR_INVALID_ARG_VALUE', message: "The argument 'groupA' must not be empty. Received []" });
  assert.throws(() => world.partition([a], [other]), {
    code: 'ERR_INVALID_ARG_VALUE', message: "The argument 'groupB[0]' must be a host of this network. Received Host { name: 'x', state: 'up' }",
  });
  assert.throws(() => world.partition([a, b], [b]), { code: 'ERR_INVALID_ARG_VALUE', message: /must not contain a host of groupA \(b is in both\)/ });
  assert.throws(() => world.partition([a], [b], { oneWay: 1 } as never), {
    code: 'ERR_INVALID_ARG_TYPE', message: 'The "opts.oneWay" property must be of type boolean. Received type number (1)',
  });
  assert.throws(() => world.partition([a], [b], 'x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.deepEqual(world.partitions, [], 'nothing was cut by a refused call');
});
