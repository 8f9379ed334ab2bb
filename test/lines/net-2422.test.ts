// What Node 24.22 and 26 added to net, dgram and dns, followed on those lines and absent before:
// socket.setTypeOfService() / getTypeOfService() and the typeOfService option (IP_TOS,
// IPV6_TCLASS), setKeepAlive()'s interval and count (TCP_KEEPINTVL, TCP_KEEPCNT), net.BoundSocket,
// dgram bindSync() / connectSync(), a dgram bind callback that no longer swallows bind errors,
// net._setSimultaneousAccepts gone (24), dns.lookup('') an argument error (26). Errors are compared
// with what the running Node's own modules throw where that needs no socket of the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import nodeNet from 'node:net';
import { line } from '../../src/node/line.js';
import type { NetSocket } from '../../src/node/net.js';
import { lan, listening } from './lan.js';

type Sock = NetSocket & Record<string, (...a: unknown[]) => unknown>;
const why = (what: string): string => `Node ${process.versions.node} has no ${what} (24.22 and 26 have)`;

/** The error a call throws, as { code, message }. */
function thrown(fn: () => unknown): { code?: string; message: string } {
  try { fn(); } catch (e) { const err = e as { code?: string; message: string }; return { code: err.code, message: err.message }; }
  assert.fail('did not throw');
}

/** The TOS byte of IPv4, or the traffic class of IPv6, TCP packets from `src` seen on the switch. */
function tosOnWire(sw: ReturnType<typeof lan>['sw'], src: string): number[] {
  const seen: number[] = [];
  const v6 = src.includes(':');
  sw.addTap((frame) => {
    const ip = frame.subarray(14);
    if (!v6 && ip[0]! >>> 4 === 4 && ip[9] === 6 && ip.subarray(12, 16).join('.') === src) seen.push(ip[1]! & 0xfc);
    if (v6 && ip[0]! >>> 4 === 6 && ip[6] === 6 && ip[8] === 0xfd && ip[23] === Number(src.split(':').at(-1))) {
      seen.push((((ip[0]! & 0x0f) << 4) | (ip[1]! >>> 4)) & 0xfc);
    }
  });
  return seen;
}

test('what each line has: the methods and module members are there exactly when Node has them', () => {
  const { a } = lan();
  const sock = new a.net.Socket() as unknown as Record<string, unknown>;
  const udp = a.dgram.createSocket('udp4') as unknown as Record<string, unknown>;
  const nodeSock = nodeNet.Socket.prototype as unknown as Record<string, unknown>;
  assert.equal(typeof sock.setTypeOfService, typeof nodeSock.setTypeOfService);
  assert.equal(typeof sock.getTypeOfService, typeof nodeSock.getTypeOfService);
  assert.equal(typeof a.net.BoundSocket, typeof (nodeNet as unknown as Record<string, unknown>).BoundSocket);
  assert.equal('_setSimultaneousAccepts' in a.net, '_setSimultaneousAccepts' in nodeNet);
  assert.equal(typeof udp.bindSync, line.dgramSync ? 'function' : 'undefined');
  assert.equal(typeof udp.connectSync, line.dgramSync ? 'function' : 'undefined');
  (udp as unknown as { close(): void }).close();
});

test('setTypeOfService / getTypeOfService and the typeOfService option: IP_TOS and IPV6_TCLASS on the wire', { skip: !line.typeOfService && why('setTypeOfService') }, async () => {
  const { world, sw, a, b } = lan();
  const v4 = tosOnWire(sw, '10.0.0.1');
  const accepted: Sock[] = [];
  const server = b.net.createServer((s) => { accepted.push(s as Sock); s.on('data', () => {}); });
  await listening(server.listen(80));

  // Without a handle: kept, and 0 before anything is set.
  const idle = new a.net.Socket() as Sock;
  assert.equal(idle.getTypeOfService(), 0);
  assert.equal(idle.setTypeOfService(7), idle);
  assert.equal(idle.getTypeOfService(), 7);

  // Argument errors as Node's own socket throws them.
  for (const bad of [256, -1, 1.5, '1', NaN, undefined] as unknown[]) {
    const mine = thrown(() => idle.setTypeOfService(bad as number));
    const node = thrown(() => (new nodeNet.Socket() as unknown as Sock).setTypeOfService(bad as number));
    assert.deepEqual(mine, node, String(bad));
  }
  assert.deepEqual(thrown(() => new a.net.Socket({ typeOfService: 300 } as object)),
    thrown(() => new nodeNet.Socket({ typeOfService: 300 } as object)));

  // The option: set once connected; before that the handle has no socket (EBADF, as libuv's).
  const c = a.net.connect({ port: 80, host: '10.0.0.2', typeOfService: 0x28 } as object) as Sock;
  assert.deepEqual(thrown(() => c.getTypeOfService()), { code: 'EBADF', message: 'getTypeOfService EBADF' });
  await new Promise((r) => c.once('connect', r));
  v4.length = 0; // the handshake went before the option was applied, as on Node's
  assert.equal(c.getTypeOfService(), 0x28);
  assert.equal(a.sys.getsockopt((c._handle as unknown as { fd: number }).fd, 'IPPROTO_IP', 'IP_TOS'), 0x28);
  c.write('x'.repeat(1000));
  await world.sleep(50);
  assert.ok(v4.length > 0 && v4.every((t) => t === 0x28), `IPv4 TOS on the wire: ${[...new Set(v4)]}`);
  c.setTypeOfService(0x10);
  v4.length = 0;
  c.write('y');
  await world.sleep(50);
  assert.deepEqual([...new Set(v4)], [0x10]);

  // IPv6: the traffic class, on an accepted socket too.
  const v6 = tosOnWire(sw, 'fd00::2');
  const c6 = a.net.connect({ port: 80, host: 'fd00::2' }) as Sock;
  await new Promise((r) => c6.once('connect', r));
  await world.sleep(10);
  const s6 = accepted.at(-1)!;
  assert.equal(s6.setTypeOfService(0x48), s6);
  assert.equal(s6.getTypeOfService(), 0x48);
  assert.equal(b.sys.getsockopt((s6._handle as unknown as { fd: number }).fd, 'IPPROTO_IPV6', 'IPV6_TCLASS'), 0x48);
  v6.length = 0;
  s6.write('z');
  await world.sleep(50);
  assert.deepEqual([...new Set(v6)], [0x48]);
  c.destroy(); c6.destroy(); server.close();
});

test('setKeepAlive: TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT as libuv sets them; the interval and count from Node 24.22', async () => {
  const { world, a, b } = lan();
  const server = b.net.createServer((s) => { s.on('error', () => {}); });
  await listening(server.listen(80));
  const c = a.net.connect(80, '10.0.0.2') as Sock;
  await new Promise((r) => c.once('connect', r));
  const fd = (c._handle as unknown as { fd: number }).fd;
  const opts = (): unknown[] => ['SO_KEEPALIVE', 'TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT']
    .map((n) => a.sys.getsockopt(fd, n === 'SO_KEEPALIVE' ? 'SOL_SOCKET' : 'IPPROTO_TCP', n));
  const before = opts();
  // libuv's uv_tcp_keepalive (every line): the delay, then a 1 s interval and 10 probes.
  c.setKeepAlive(true, 9000);
  assert.deepEqual(opts(), [1, 9, 1, 10]);
  // A delay under a second: SO_KEEPALIVE alone (libuv's UV_EINVAL, which Node ignores).
  c.setKeepAlive(false);
  c.setKeepAlive(true, 500);
  assert.deepEqual(opts(), [1, 9, 1, 10]);
  c.setKeepAlive(false);
  assert.equal(opts()[0], 0);
  void before;

  if (!line.keepAliveInterval) {
    (c.setKeepAlive as (...a: unknown[]) => unknown)(true, 7000, 3000, 4);
    assert.deepEqual(opts(), [1, 7, 1, 10], 'the interval and count are not this line\'s');
    c.destroy(); server.close();
    return;
  }
  c.setKeepAlive({ enable: true, initialDelay: 7000, interval: 3000, count: 4 } as never);
  assert.deepEqual(opts(), [1, 7, 3, 4]);
  // Not a uint32 (negative, fractional, a string): libuv's 1 s and 10 probes.
  c.setKeepAlive({ enable: true, initialDelay: 5000, interval: -1000, count: 1.5 } as never);
  assert.deepEqual(opts(), [1, 5, 1, 10]);
  // Past the kernel's limit (TCP_KEEPCNT 127): EINVAL there, ignored by Node.
  c.setKeepAlive({ enable: true, initialDelay: 6000, interval: 2000, count: 200 } as never);
  assert.deepEqual(opts(), [1, 6, 2, 10]);

  // End to end: an unanswered peer is given up after idle + count x interval (7 + 4 x 3 s).
  c.setKeepAlive({ enable: true, initialDelay: 7000, interval: 3000, count: 4 } as never);
  const t0 = world.now();
  world.partition([a], [b]);
  let gaveUp: { code?: string; at: number } | null = null;
  c.once('error', (e: Error & { code?: string }) => { gaveUp = { code: e.code, at: world.now() - t0 }; });
  await world.run({ for: '25s' });
  assert.equal(gaveUp!.code, 'ETIMEDOUT');
  assert.ok(gaveUp!.at >= 19_000 && gaveUp!.at < 19_100, `gave up after ${gaveUp!.at} ms`);
  server.close();
});

test('setKeepAlive before connecting: the interval and count are applied once connected', { skip: !line.keepAliveInterval && why('setKeepAlive interval/count') }, async () => {
  const { a, b } = lan();
  const server = b.net.createServer();
  await listening(server.listen(80));
  const c = new a.net.Socket() as Sock;
  c.setKeepAlive({ enable: true, initialDelay: 4000, interval: 2000, count: 3 } as never);
  c.connect(80, '10.0.0.2');
  await new Promise((r) => c.once('connect', r));
  const fd = (c._handle as unknown as { fd: number }).fd;
  assert.deepEqual(['TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT'].map((n) => a.sys.getsockopt(fd, 'IPPROTO_TCP', n)), [4, 2, 3]);
  c.destroy(); server.close();
});

test('net.BoundSocket: bound at once, adopted by one server or one socket', { skip: !line.boundSocket && why('net.BoundSocket') }, async () => {
  const { a, b } = lan();
  type Bound = { address(): unknown; fd(): number; close(): void; isPipe: boolean; [Symbol.dispose](): void };
  const BoundA = a.net.BoundSocket as unknown as new (o?: object) => Bound;
  const BoundB = b.net.BoundSocket as unknown as new (o?: object) => Bound;
  const NodeBound = (nodeNet as unknown as { BoundSocket: new (o?: object) => Bound }).BoundSocket;

  // A server adopts it: listening on the address bound, the BoundSocket spent.
  const bound = new BoundB({ host: '10.0.0.2', port: 0 });
  const addr = bound.address() as { address: string; family: string; port: number };
  assert.equal(addr.address, '10.0.0.2');
  assert.equal(addr.family, 'IPv4');
  assert.ok(addr.port > 0);
  assert.equal(typeof bound.fd(), 'number');
  assert.equal(bound.isPipe, false);
  // Both with SO_REUSEADDR (libuv's) and neither listening: Linux lets a second bind the port.
  new BoundB({ host: '10.0.0.2', port: addr.port }).close();
  const peers: Array<number | undefined> = [];
  const server = b.net.createServer((s) => { peers.push(s.remotePort); s.end('hi'); });
  server.listen(bound);
  await listening(server);
  assert.deepEqual(server.address(), addr);
  // Listening, it has the port: another bind fails within the call.
  assert.deepEqual(thrown(() => new BoundB({ host: '10.0.0.2', port: addr.port })),
    { code: 'EADDRINUSE', message: `bind EADDRINUSE 10.0.0.2:${addr.port}` });
  assert.deepEqual(thrown(() => bound.address()), { code: 'ERR_SOCKET_HANDLE_ADOPTED', message: 'The bound socket has already been adopted by a server or socket' });
  assert.throws(() => bound.close(), { code: 'ERR_SOCKET_HANDLE_ADOPTED' });

  // A client socket adopts one: connect() goes out within the call, from the port bound.
  const src = new BoundA({ host: '10.0.0.1', port: 40000 });
  const c = new a.net.Socket({ handle: src } as object);
  assert.throws(() => c.connect({ port: addr.port, host: '10.0.0.2', localPort: 1234 }), {
    code: 'ERR_INVALID_ARG_VALUE', message: /localAddress and localPort cannot be used with an adopted bound socket/,
  });
  c.connect(addr.port, '10.0.0.2');
  assert.equal(c.localPort, 40000);
  const got = await new Promise<string>((r) => { let d = ''; c.on('data', (x: Buffer) => { d += x; }).on('end', () => r(d)); });
  assert.equal(got, 'hi');
  assert.deepEqual(peers, [40000]);

  // Argument errors as Node's (they come before any socket is made).
  for (const o of [{ host: 'localhost' }, { port: 70000 }, { ipv6Only: 1 }, { path: '/x', port: 1 }, { path: 5 }]) {
    assert.deepEqual(thrown(() => new BoundA(o)), thrown(() => new NodeBound(o)), JSON.stringify(o));
  }
  assert.deepEqual(thrown(() => new BoundA(5 as never)), thrown(() => new NodeBound(5 as never)));

  // reusePort: a group on one port; IPv6 and ipv6Only.
  const r1 = new BoundB({ host: '10.0.0.2', port: 9000, reusePort: true });
  const r2 = new BoundB({ host: '10.0.0.2', port: 9000, reusePort: true });
  r1.close(); r2.close();
  {
    using v6 = new BoundB({ ipv6Only: true, port: 9001 });
    assert.deepEqual(v6.address(), { address: '::', family: 'IPv6', port: 9001 });
  }
  // Disposed: the port is free again.
  new BoundB({ ipv6Only: true, port: 9001 }).close();

  // Unix-domain: a server's path is its address; a client's own path is its localAddress.
  const sp = new BoundB({ path: '\0bound-server' });
  assert.equal(sp.isPipe, true);
  assert.equal(sp.address(), '\0bound-server');
  const ps = b.net.createServer((s) => s.end('unix'));
  ps.listen({ handle: sp });
  await listening(ps);
  assert.equal(ps.address(), '\0bound-server');
  const cp = new BoundB({ path: '\0bound-client' });
  const pc = new b.net.Socket({ handle: cp } as object);
  pc.connect('\0bound-server');
  assert.equal(pc.localAddress, '\0bound-client');
  const gotUnix = await new Promise<string>((r) => { let d = ''; pc.on('data', (x: Buffer) => { d += x; }).on('end', () => r(d)); });
  assert.equal(gotUnix, 'unix');

  // One host's BoundSocket is not another's to adopt.
  const other = new BoundA({ host: '10.0.0.1', port: 0 });
  assert.throws(() => b.net.createServer().listen(other), { code: 'ERR_INVALID_ARG_VALUE' });
  other.close();
  server.close(); ps.close();
});

test('dgram bindSync / connectSync: bound and connected within the call, errors thrown', { skip: !line.dgramSync && why('dgram bindSync') }, async () => {
  const { world, a, b } = lan();
  type Sync = { bindSync(o?: object): { address: string; port: number; family: string }; connectSync(port: unknown, address?: unknown): void };
  const rx = b.dgram.createSocket('udp4');
  const rxs = rx as unknown as Sync;
  let listened = false;
  rx.on('listening', () => { listened = true; });
  const addr = rxs.bindSync({ address: '10.0.0.2', port: 0 });
  assert.equal(addr.address, '10.0.0.2');
  assert.ok(addr.port > 0);
  assert.equal(listened, false, "'listening' on the next tick");
  await new Promise((r) => process.nextTick(r));
  assert.equal(listened, true);
  assert.throws(() => rxs.bindSync(), { code: 'ERR_SOCKET_ALREADY_BOUND' });

  const other = b.dgram.createSocket('udp4') as unknown as Sync & { close(): void };
  assert.deepEqual(thrown(() => other.bindSync({ address: '10.0.0.2', port: addr.port })),
    { code: 'EADDRINUSE', message: `bind EADDRINUSE 10.0.0.2:${addr.port}` });
  assert.deepEqual(thrown(() => other.bindSync({ address: 'localhost' })), {
    code: 'ERR_INVALID_ARG_VALUE',
    message: "The property 'options.address' must be a numeric IP address; bindSync does not perform DNS resolution. Received 'localhost'",
  });
  other.close();

  const got: string[] = [];
  rx.on('message', (m: Buffer, r) => { got.push(`${m} from ${r.address}`); });
  const tx = a.dgram.createSocket('udp4');
  const txs = tx as unknown as Sync;
  let connected = false;
  tx.on('connect', () => { connected = true; });
  assert.deepEqual(thrown(() => txs.connectSync(addr.port, 'b.example')), {
    code: 'ERR_INVALID_ARG_VALUE',
    message: "The argument 'address' must be a numeric IP address; connectSync does not perform DNS resolution. Received 'b.example'",
  });
  assert.throws(() => txs.connectSync(0, '10.0.0.2'), { code: 'ERR_SOCKET_BAD_PORT' });
  txs.connectSync(addr.port, '10.0.0.2');
  assert.deepEqual(tx.remoteAddress(), { address: '10.0.0.2', family: 'IPv4', port: addr.port });
  assert.ok(tx.address().port > 0, 'bound implicitly');
  assert.equal(tx.address().address, '10.0.0.1', 'the source connect chose (Linux ip4_datagram_connect)');
  assert.equal(connected, false);
  assert.throws(() => txs.connectSync(addr.port, '10.0.0.2'), { code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' });
  tx.send('one');
  await world.sleep(10);
  assert.equal(connected, true);
  assert.deepEqual(got, ['one from 10.0.0.1']);

  // connectSync without an address: the loopback; sendBlockList checked within the call.
  const lo = a.dgram.createSocket('udp6') as unknown as Sync & { remoteAddress(): { address: string }; close(): void };
  lo.connectSync(9);
  assert.equal(lo.remoteAddress().address, '::1');
  const list = new nodeNet.BlockList();
  list.addAddress('10.0.0.2');
  const blocked = a.dgram.createSocket({ type: 'udp4', sendBlockList: list } as never) as unknown as Sync & { close(): void };
  assert.deepEqual(thrown(() => blocked.connectSync(addr.port, '10.0.0.2')), { code: 'ERR_IP_BLOCKED', message: 'IP(10.0.0.2) is blocked by net.BlockList' });
  blocked.close(); lo.close(); tx.close(); rx.close();
});

test('dgram bind(port, callback): a bind error nobody listens for is thrown from Node 24.22, swallowed before', async () => {
  const { world, a } = lan();
  const first = a.dgram.createSocket('udp4');
  await new Promise<void>((r) => first.bind(5353, () => r()));
  const second = a.dgram.createSocket('udp4');
  let called = false;
  second.bind(5353, () => { called = true; });
  // Node's bind callback is cleaned up from errorMonitor (24.22, 26), from 'error' before.
  assert.equal(second.listenerCount('error'), line.dgramBindErrorMonitor ? 0 : 1);
  // What emit('error') does with the bind error: throws it where nobody listens (24.22, 26).
  const thrownByEmit: string[] = [];
  const emit = second.emit.bind(second);
  (second as unknown as { emit: (...x: unknown[]) => boolean }).emit = (ev: unknown, ...rest: unknown[]): boolean => {
    try { return emit(ev as string, ...rest); } catch (e) { thrownByEmit.push((e as { code?: string }).code ?? String(e)); return false; }
  };
  await world.sleep(10);
  assert.equal(called, false);
  assert.deepEqual(thrownByEmit, line.dgramBindErrorMonitor ? ['EADDRINUSE'] : []);
  first.close(); second.close();
});

test("dns.lookup(''): an argument error on Node 26, an empty answer before", async () => {
  const { a } = lan();
  if (line.dnsEmptyHostnameThrows) {
    const err = { code: 'ERR_INVALID_ARG_VALUE', message: "The argument 'hostname' must be a non-empty string. Received ''" };
    assert.throws(() => a.dns.lookup('', () => {}), err);
    await assert.rejects(a.dns.promises.lookup(''), err);
  } else {
    const r = await new Promise<unknown[]>((res) => a.dns.lookup('', (...x: unknown[]) => res(x)));
    assert.deepEqual(r, [null, null, 4]);
  }
});
