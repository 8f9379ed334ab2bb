import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Network } from '../../src/index.js';
import type { NetSocket } from '../../src/node/net.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseTcp, TCP_RST } from '../../src/wire/tcp.js';
import { WireError } from '../../src/wire/error.js';
import { formatMAC } from '../../src/wire/addr.js';
import { AF_INET, SOCK_DGRAM, SOCK_STREAM } from '../../src/uapi/socket.js';
import { ENETDOWN } from '../../src/uapi/errno.js';

function lan(seed = 12) {
  const world = new Network({ seed });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const ib = b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  return { world, sw, a, b, ib };
}

/** Every frame on the switch, as (time, source MAC, bytes). */
function wireLog(sw: ReturnType<Network['switch']>) {
  const frames: Array<{ time: number; src: string; frame: Uint8Array }> = [];
  sw.addTap((f, time) => frames.push({ time, src: formatMAC(f.subarray(6, 12)), frame: f.slice() }));
  return frames;
}

/** The TCP segment in an Ethernet frame, with its IPv4 addresses, or null. */
function tcpOf(frame: Uint8Array) {
  if (frame[12] !== 0x08 || frame[13] !== 0x00) return null;
  const ip = parseIpv4(frame.subarray(14));
  if (ip instanceof WireError || ip.protocol !== 6) return null;
  const seg = parseTcp(ip.payload);
  return seg instanceof WireError ? null : { src: ip.src.join('.'), dst: ip.dst.join('.'), ...seg };
}

/** Ref'd Node timers: the Scheduler holds one while any handle keeps the process alive. */
function liveTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

test('after restart, a peer still ESTABLISHED gets a RST for its next segment (RFC 9293 §3.10.7.1): ECONNRESET', async (t: TestContext) => {
  const { world, sw, a, b, ib } = lan();
  const server = b.net.createServer((s: NetSocket) => s.pipe(s)).listen(7);
  const c = a.net.connect(7, '10.0.0.2');
  t.after(() => { c.destroy(); server.close(); });
  c.write('hello');
  const [echo] = await once(c, 'data');
  assert.equal(String(echo), 'hello');
  await world.run({ for: '1s' }); // the last ACKs land before the power goes
  const serverClosed = once(server, 'close');
  const wire = wireLog(sw);

  b.crash();
  assert.equal(b.state, 'crashed');
  await serverClosed;
  await world.run({ for: '1s' });
  assert.equal(wire.length, 0, 'nothing was sent by the crash');
  b.restart();
  assert.equal(b.state, 'up');
  assert.equal(a.ss().find((r) => r.proto === 'tcp')?.state, 'ESTAB', 'a does not know yet');

  const failed = once(c, 'error');
  const closed = new Promise((resolve) => c.once('close', (hadError: boolean) => resolve([hadError])));
  c.write('are you there?');
  const [err] = await failed as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNRESET');
  assert.equal(err.message, 'read ECONNRESET');
  assert.deepEqual(await closed, [true]);

  // On the wire: a's data segment, then (after b resolved a's MAC again) one RST from b whose
  // sequence number is the ACK field of that segment, as §3.10.7.1 asks for a segment with ACK.
  const segs = wire.map((w) => ({ src: w.src, tcp: tcpOf(w.frame) })).filter((w) => w.tcp !== null);
  const data = segs.filter((w) => w.tcp!.src === '10.0.0.1' && w.tcp!.payload.length > 0);
  const rsts = segs.filter((w) => w.tcp!.src === '10.0.0.2');
  assert.equal(data.length, 1);
  assert.equal(rsts.length, 1);
  const rst = rsts[0]!.tcp!;
  assert.equal(rsts[0]!.src, ib.macString);
  assert.equal(rst.flags & TCP_RST, TCP_RST);
  assert.equal(rst.seq, data[0]!.tcp!.ack);
  assert.equal(rst.dstPort, data[0]!.tcp!.srcPort);
  // And in the counters: b booted with fresh ones.
  assert.equal(b.tcp.stats.OutRsts, 1);
  assert.equal(b.tcp.stats.InSegs, 1);
  assert.equal(a.tcp.stats.EstabResets, 1);
  await world.run();
});

test('crash(): the host\'s servers and sockets close without error, pending callbacks run, nothing holds the process', async () => {
  const baseline = liveTimers();
  const { world, a, b } = lan(13);
  const aServer = a.net.createServer((s: NetSocket) => s.pause()).listen(80); // reads nothing: b's writes back up
  const aSockets: NetSocket[] = [];
  aServer.on('connection', (s: NetSocket) => aSockets.push(s));
  const bServer = b.net.createServer((s: NetSocket) => s.pipe(s)).listen(7);
  const unixServer = b.net.createServer().listen('/run/b.sock');
  const c = a.net.connect(7, '10.0.0.2');
  const [accepted] = await once(bServer, 'connection') as [NetSocket];
  const out = b.net.connect(80, '10.0.0.1');
  await once(out, 'connect');
  const udp = b.dgram.createSocket('udp4');
  udp.bind(53);
  await once(udp, 'listening');
  udp.addMembership('239.1.2.3');
  const events: string[] = [];
  const errors: unknown[] = [];
  const watch = (name: string, e: NodeJS.EventEmitter) => {
    e.on('close', (hadError?: boolean) => events.push(`${name} close${hadError === undefined ? '' : ` ${hadError}`}`));
    e.on('error', (err) => errors.push(err));
  };
  watch('server', bServer); watch('unix', unixServer); watch('accepted', accepted); watch('out', out); watch('udp', udp);
  // A write that cannot complete (a reads nothing and the buffers fill) and a ping that waits for ARP.
  let writeCb: unknown = 'not called';
  out.write(Buffer.alloc(8 << 20), (e) => { writeCb = e; });
  await world.run({ for: '1s' });
  assert.equal(writeCb, 'not called');
  const ping = b.ping('10.0.0.99').then(() => null, (e: Error & { code: string }) => e);
  assert.ok(b.sys.size >= 5);
  assert.ok(b.neigh().length > 0);

  b.crash();
  // The kernel forgot everything at once.
  assert.deepEqual(b.ss(), []);
  assert.equal(b.sys.size, 0);
  assert.deepEqual(b.tcp.connections(), []);
  assert.equal(b.udp.sockets.size, 0);
  assert.deepEqual(b.neigh(), []);
  assert.deepEqual(b.kernel.mcast.list().filter((g) => g.group === '239.1.2.3'), []);
  const pe = await ping;
  assert.equal(pe?.code, 'ERR_HOST_DOWN');
  assert.match(pe!.message, /^ping 10\.0\.0\.99: host b is down/);
  await world.run({ for: '10ms' });
  assert.deepEqual(events.sort(), ['accepted close false', 'out close false', 'server close', 'udp close', 'unix close']);
  assert.deepEqual(errors, []);
  // As in Node (stream_base_commons onWriteComplete): a write finishing on a destroyed socket calls back with null.
  assert.equal(writeCb, null, 'the pending write callback ran');

  // a's side still believes in its connections; once a lets go, nothing is left to hold the process.
  c.destroy();
  for (const s of aSockets) s.destroy();
  aServer.close();
  await world.run();
  assert.equal(liveTimers(), baseline);
});

test('restart(): the same configuration with empty state; the host serves again on the same address', async (t: TestContext) => {
  const world = new Network({ seed: 14 });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b', { forwarding: true, tcp: { timeWaitMs: 1000 } });
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const ib = b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64', mtu: 1400 });
  b.route.add('10.9.0.0/16', { via: '10.0.0.1' });
  ib.addAddress('10.0.0.22/24');
  const old = b.net.createServer((s: NetSocket) => s.pipe(s)).listen(7);
  const c1 = a.net.connect(7, 'b');
  c1.end('one');
  const [d1] = await once(c1, 'data');
  assert.equal(String(d1), 'one');
  await world.run({ for: '2s' });
  const config = { addr: b.addr(), routes: b.route.list(), forwarding: b.forwarding, timeWait: b.tcp.config.timeWaitMs };
  assert.ok(b.kernel.stats.ip.InReceives! > 0);
  const oldClosed = once(old, 'close');

  b.crash();
  await oldClosed;
  b.restart();
  assert.deepEqual({ addr: b.addr(), routes: b.route.list(), forwarding: b.forwarding, timeWait: b.tcp.config.timeWaitMs }, config);
  assert.deepEqual(b.neigh(), []);
  assert.deepEqual(b.ss(), []);
  assert.equal(b.kernel.stats.ip.InReceives, 0, 'counters start from zero');
  assert.equal(b.tcp.stats.PassiveOpens, 0);
  assert.equal(ib.stats.rxPackets, 0);

  const server = b.net.createServer((s: NetSocket) => s.pipe(s)).listen(7);
  t.after(() => server.close());
  await once(server, 'listening');
  assert.deepEqual(b.sys.openFiles().map((f) => f.fd), [3], 'descriptors are handed out from 3 again');
  for (const to of ['10.0.0.2', '10.0.0.22', 'fd00::2']) {
    const c = a.net.connect(7, to);
    c.end(`to ${to}`);
    const [d] = await once(c, 'data');
    assert.equal(String(d), `to ${to}`);
  }
  assert.equal(b.tcp.stats.PassiveOpens, 3);
  assert.equal(ib.mtu, 1400);
});

test('a host that crashes during a transfer and never returns: the peer\'s writes time out (ETIMEDOUT)', async (t: TestContext) => {
  const world = new Network({ seed: 15 });
  const a = world.host('a', { tcp: { retries2: 4 } });
  const b = world.host('b');
  const link = world.link(a, b, { ipv4: ['192.0.2.1/30', '192.0.2.2/30'], rate: '10mbit' });
  let received = 0;
  const server = b.net.createServer((s: NetSocket) => s.on('data', (d: Buffer) => { received += d.length; })).listen(9);
  const c = a.net.connect(9, '192.0.2.2');
  t.after(() => { c.destroy(); });
  await once(c, 'connect');
  c.write(Buffer.alloc(4 << 20));
  await world.run({ for: '100ms' });
  assert.ok(received > 0);
  const crashedAt = world.now();
  const serverClosed = once(server, 'close');
  b.crash();
  await serverClosed;
  const [err] = await once(c, 'error') as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ETIMEDOUT');
  const waited = world.now() - crashedAt;
  assert.ok(waited > 1000 && waited < 30_000, `gave up after ${waited} ms`);
  assert.equal(a.tcp.stats.TCPAbortOnTimeout, 1);
  // What a kept sending toward the dead host was dropped at the unplugged end, and counted.
  assert.ok(link.stats()['a->b'].unplugged >= 5, `unplugged: ${link.stats()['a->b'].unplugged}`);
  assert.equal(link.stats()['b->a'].frames, link.stats()['b->a'].delivered, 'b sent nothing after the crash that was lost');
  await world.run();
});

test('a crashed host refuses work clearly; crash() twice is a no-op, restart() of a running host is an error', async () => {
  const { world, a, b } = lan(16);
  const net = b.net;
  const dgram = b.dgram;
  const sys = b.sys;
  assert.equal(b.up, true);
  assert.throws(() => b.restart(), { code: 'ERR_INVALID_STATE', message: 'Invalid state: host b is running; restart() boots a crashed host' });
  b.crash();
  b.crash();
  assert.equal(b.up, false);
  assert.throws(() => net.createServer(), { code: 'ERR_HOST_DOWN', message: 'net.Server: host b is down (crashed; host.restart() boots it)' });
  assert.throws(() => b.net.connect(7, '10.0.0.1'), { code: 'ERR_HOST_DOWN', message: /^net\.Socket: host b is down/ });
  assert.throws(() => new net.Socket(), { code: 'ERR_HOST_DOWN' });
  assert.throws(() => dgram.createSocket('udp4'), { code: 'ERR_HOST_DOWN', message: /^dgram\.Socket: host b is down/ });
  assert.equal(sys.socket(AF_INET, SOCK_STREAM), -ENETDOWN);
  assert.equal(sys.socket(AF_INET, SOCK_DGRAM), -ENETDOWN);
  await assert.rejects(b.ping('10.0.0.1'), { code: 'ERR_HOST_DOWN' });
  assert.throws(() => b.attach(world.switch('other')), { code: 'ERR_HOST_DOWN' });
  // b is dark: a's pings go unanswered.
  await assert.rejects(a.ping('10.0.0.2', { timeout: '1s' }), (e: Error & { code: string }) => ['ETIMEDOUT', 'EHOSTUNREACH'].includes(e.code));
  b.restart();
  const s = dgram.createSocket('udp4');
  s.bind(5);
  await once(s, 'listening');
  s.close();
  assert.equal((await a.ping('10.0.0.2')).from, '10.0.0.2');
  await world.run();
});

test('crash() sends nothing: connections over the wire and over lo, multicast memberships and half-resolved packets all go silently', async (t: TestContext) => {
  const { world, sw, a, b } = lan(17);
  const aSockets: NetSocket[] = [];
  const server = a.net.createServer((s: NetSocket) => { aSockets.push(s); s.pipe(s); }).listen(7);
  b.net.createServer((s: NetSocket) => s.pipe(s)).listen(8);
  t.after(() => { for (const s of aSockets) s.destroy(); server.close(); });
  const toA = b.net.connect(7, '10.0.0.1');
  const toSelf = b.net.connect(8, '127.0.0.1');
  await Promise.all([once(toA, 'connect'), once(toSelf, 'connect')]);
  const m = b.dgram.createSocket({ type: 'udp6' });
  m.bind(9000);
  await once(m, 'listening');
  m.addMembership('ff12::1:2');
  const u = b.dgram.createSocket('udp4');
  u.send('to nobody', 9, '10.0.0.77'); // waits for ARP to resolve 10.0.0.77
  await world.run({ for: '10ms' });
  const wire = wireLog(sw);
  b.crash();
  await world.run({ for: '10s' });
  assert.deepEqual(wire.filter((w) => w.src === b.iface('eth0')!.macString).map((w) => w.time), [], 'no frame from b after the crash');
  assert.equal(b.iface('eth0')!.stats.txPackets > 0, true, 'b had sent frames before');
  assert.equal(b.kernel.stats.tcp.OutRsts, 0);
  b.restart();
  assert.deepEqual(b.kernel.mcast.list().filter((g) => g.group === 'ff12::1:2'), []);
  assert.ok(b.kernel.mcast.list().some((g) => g.group.startsWith('ff02::1:ff')), 'the solicited-node groups of its addresses stay');
  await world.run();
});

test('an in-process device of a crashed host counts what is written to it as drops', async () => {
  const world = new Network({ seed: 18 });
  const h = world.host('h');
  const dev = h.attachDevice('tun0', { ipv4: '10.5.0.1/24' });
  const echo = new Uint8Array([0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 5, 0, 2, 10, 5, 0, 1, 8, 0, 0xf7, 0xfe, 0, 1, 0, 0]);
  // IPv4 header checksum for the packet above.
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (echo[i]! << 8) | echo[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  echo[10] = (~sum >>> 8) & 0xff;
  echo[11] = ~sum & 0xff;
  const replies: Uint8Array[] = [];
  dev.on('packet', (p) => replies.push(p));
  dev.write(echo);
  await world.run({ for: '10ms' });
  assert.equal(replies.length, 1, 'the host answers the echo request');
  h.crash();
  dev.write(echo);
  await world.run({ for: '10ms' });
  assert.equal(dev.stats.drops, 1);
  assert.equal(replies.length, 1);
  h.restart();
  dev.write(echo);
  await world.run({ for: '10ms' });
  assert.equal(replies.length, 2, 'answered again after the restart');
  dev.close();
  await world.run();
});

test('restart() draws new boot-time secrets: the same 4-tuple gets another ISN and timestamp offset (RFC 6528 §3)', async () => {
  const world = new Network({ seed: 21 });
  const h = world.host('h');
  const isnBefore = h.tcp.isn.isn('10.0.0.1', 40000, '10.0.0.2', 80);
  const tsBefore = h.tcp.isn.tsOffset('10.0.0.1', '10.0.0.2');
  assert.equal(h.tcp.isn.isn('10.0.0.1', 40000, '10.0.0.2', 80), isnBefore, 'the same secret gives the same ISN at the same time');
  h.crash();
  h.restart();
  assert.notEqual(h.tcp.isn.isn('10.0.0.1', 40000, '10.0.0.2', 80), isnBefore);
  assert.notEqual(h.tcp.isn.tsOffset('10.0.0.1', '10.0.0.2'), tsBefore);
});
