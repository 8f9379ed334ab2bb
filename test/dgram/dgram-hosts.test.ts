// host.dgram between virtual hosts on the virtual clock: events, callbacks and their timing,
// implicit bind, connect, ICMP-refused connected sockets, broadcast, multicast, ref/unref.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/index.js';
import type { RemoteInfo, Socket } from '../../src/node/dgram.js';

function lan() {
  const world = new Network({ seed: 5 });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  return { world, a, b };
}

function next<T extends unknown[]>(s: Socket, ev: string): Promise<T> {
  return new Promise((resolve) => s.once(ev, (...args: unknown[]) => resolve(args as T)));
}

test('dgram hosts: echo by host name in both families; rinfo; implicit bind', async () => {
  const { world, a, b } = lan();
  const server = b.dgram.createSocket('udp6'); // dual stack: IPv4 clients appear v4-mapped
  server.on('message', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
  server.bind(7);
  await next(server, 'listening');
  assert.deepEqual(server.address(), { address: '::', family: 'IPv6', port: 7 });

  const seen: Array<[string, RemoteInfo]> = [];
  for (const type of ['udp4', 'udp6'] as const) {
    const c = a.dgram.createSocket(type);
    const got = next<[Buffer, RemoteInfo]>(c, 'message');
    const listening = next(c, 'listening');
    c.send(`hi ${type}`, 7, 'b'); // not bound: bound to an ephemeral port first
    void world.run();
    await listening;
    const port = c.address().port;
    assert.ok(port >= 32768 && port <= 60999);
    const [msg, rinfo] = await got;
    seen.push([msg.toString(), rinfo]);
    c.close();
  }
  server.close();
  await world.run();
  assert.deepEqual(seen, [
    ['hi udp4', { address: '10.0.0.2', family: 'IPv4', port: 7, size: 7 }],
    ['hi udp6', { address: 'fd00::2', family: 'IPv6', port: 7, size: 7 }],
  ]);
});

test('dgram hosts: the send callback comes on a later tick (lookup, then send) with the byte count, as in Node', async () => {
  const { world, a, b } = lan();
  const r = b.dgram.createSocket('udp4');
  r.bind(9000);
  const s = a.dgram.createSocket('udp4');
  s.bind(0);
  void world.run();
  await next(s, 'listening');
  const order: string[] = [];
  const done = new Promise<void>((resolve) => {
    s.send([Buffer.from('ab'), 'cd', new Uint16Array([1])], 9000, '10.0.0.2', (err, n) => {
      order.push(`cb ${err} ${n}`);
      resolve();
    });
  });
  order.push('after send()');
  process.nextTick(() => order.push('tick'));
  await done;
  assert.deepEqual(order, ['after send()', 'tick', 'cb null 6']); // node:dgram gives the same order
  const [msg] = await (void world.run(), next<[Buffer]>(r, 'message'));
  assert.deepEqual([...msg], [0x61, 0x62, 0x63, 0x64, 1, 0]);
  s.close(); r.close();
  await world.run();
});

test('dgram hosts: connect, remoteAddress, send without address; refused peer emits recvmsg ECONNREFUSED', async () => {
  const { world, a, b } = lan();
  const r = b.dgram.createSocket('udp4');
  r.bind(5000);
  const c = a.dgram.createSocket('udp4');
  c.connect(5000, 'b');
  void world.run();
  await next(c, 'connect');
  assert.deepEqual(c.remoteAddress(), { address: '10.0.0.2', family: 'IPv4', port: 5000 });
  assert.equal(c.address().address, '10.0.0.1'); // connect fixed the source address
  assert.throws(() => c.send('x', 0, 1, 5000, '10.0.0.2'), { code: 'ERR_SOCKET_DGRAM_IS_CONNECTED', message: 'Already connected' });
  c.send('over');
  void world.run();
  const [msg] = await next<[Buffer]>(r, 'message');
  assert.equal(msg.toString(), 'over');
  // The peer goes away: its host answers with ICMP port unreachable.
  r.close();
  c.send('anyone?');
  void world.run();
  const [err] = await next<[Error & { code: string; errno: number; syscall: string }]>(c, 'error');
  assert.equal(err.message, 'recvmsg ECONNREFUSED');
  assert.equal(err.code, 'ECONNREFUSED');
  assert.equal(err.syscall, 'recvmsg');
  assert.equal(err.errno, -111);
  c.disconnect();
  assert.throws(() => c.remoteAddress(), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
  c.close();
  await world.run();
});

test('dgram hosts: broadcast without setBroadcast fails with send EACCES; with it, it is heard', async () => {
  const { world, a, b } = lan();
  const r = b.dgram.createSocket({ type: 'udp4', reuseAddr: true });
  r.bind(6000);
  const s = a.dgram.createSocket('udp4');
  s.bind();
  void world.run();
  await next(s, 'listening');
  const err = await new Promise<Error | null>((resolve) => s.send('x', 6000, '10.0.0.255', resolve));
  assert.equal(err?.message, 'send EACCES 10.0.0.255:6000');
  s.setBroadcast(true);
  s.send('to all', 6000, '10.0.0.255');
  void world.run();
  const [msg, rinfo] = await next<[Buffer, RemoteInfo]>(r, 'message');
  assert.equal(msg.toString(), 'to all');
  assert.equal(rinfo.address, '10.0.0.1');
  s.close(); r.close();
  await world.run();
});

test('dgram hosts: multicast with addMembership, setMulticastLoopback, source-specific membership', async () => {
  const { world, a, b } = lan();
  const r = b.dgram.createSocket({ type: 'udp4', reuseAddr: true });
  r.bind(7000, () => r.addMembership('239.9.9.9', '10.0.0.2'));
  const s = a.dgram.createSocket({ type: 'udp4', reuseAddr: true });
  s.bind(7000, () => {
    s.addMembership('239.9.9.9');
    s.setMulticastTTL(4);
    s.setMulticastInterface('10.0.0.1');
  });
  await world.run();
  const heard: string[] = [];
  r.on('message', (m) => heard.push(`b:${m}`));
  s.on('message', (m) => heard.push(`a:${m}`));
  s.send('one', 7000, '239.9.9.9');
  await world.run();
  s.setMulticastLoopback(false);
  s.send('two', 7000, '239.9.9.9');
  await world.run();
  assert.deepEqual(heard.sort(), ['a:one', 'b:one', 'b:two']);
  assert.throws(() => r.addMembership('239.9.9.9', '10.0.0.2'), { code: 'EADDRINUSE', syscall: 'addMembership', message: 'addMembership EADDRINUSE' });
  assert.throws(() => r.dropMembership('239.1.1.1'), { code: 'EADDRNOTAVAIL', message: 'dropMembership EADDRNOTAVAIL' });
  r.dropMembership('239.9.9.9', '10.0.0.2');
  // Source-specific: 232.1.1.1 from 10.0.0.1 only.
  r.addSourceSpecificMembership('10.0.0.1', '232.1.1.1', '10.0.0.2');
  s.send('ssm', 7000, '232.1.1.1');
  await world.run();
  assert.ok(heard.includes('b:ssm'));
  s.close(); r.close();
  await world.run();
});

test('dgram hosts: a receiving socket holds a handle reference; unref() releases it; close events', async () => {
  const { world, a } = lan();
  const sched = a.kernel.sched as unknown as { handleRefs: number };
  const s = a.dgram.createSocket('udp4');
  assert.equal(sched.handleRefs, 0); // an unbound socket does not keep the process alive
  s.bind(0);
  await world.run();
  assert.equal(sched.handleRefs, 1);
  s.unref();
  assert.equal(sched.handleRefs, 0);
  s.ref();
  assert.equal(sched.handleRefs, 1);
  const closed = next(s, 'close');
  await s[Symbol.asyncDispose]();
  await closed;
  assert.equal(sched.handleRefs, 0);
  assert.throws(() => s.address(), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
});

test('dgram hosts: an AbortSignal closes the socket; reuseAddr lets two sockets share a port', async () => {
  const { world, a } = lan();
  const ac = new AbortController();
  const s = a.dgram.createSocket({ type: 'udp4', signal: ac.signal });
  s.bind(4444);
  await world.run();
  const t = a.dgram.createSocket('udp4');
  const err = new Promise<Error>((resolve) => t.once('error', resolve));
  t.bind(4444);
  void world.run();
  assert.equal((await err).message, 'bind EADDRINUSE 0.0.0.0:4444');
  const closed = next(s, 'close');
  ac.abort();
  await closed;
  t.close();
  const u1 = a.dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const u2 = a.dgram.createSocket({ type: 'udp4', reuseAddr: true });
  u1.bind(4445); u2.bind(4445);
  await world.run();
  assert.equal(u1.address().port, 4445);
  assert.equal(u2.address().port, 4445);
  u1.close(); u2.close();
  await world.run();
});
