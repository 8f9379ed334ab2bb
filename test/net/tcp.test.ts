// host.net over TCP between virtual hosts: echo and event order, error shapes, back-pressure,
// timeouts on the virtual clock, half-open sockets, resets, addresses, name resolution.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/index.js';
import type { NetSocket } from '../../src/node/net.js';

function lan() {
  const world = new Network({ seed: 7 });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  return { world, a, b };
}

const closed = (s: NetSocket): Promise<void> => new Promise((r) => s.on('close', () => r()));

test('echo between two hosts: both sides see listening, connection, data, end, close in order', async () => {
  const { a, b } = lan();
  const log: string[] = [];
  const server = b.net.createServer((s) => {
    log.push('server:connection');
    s.on('data', (d: Buffer) => { log.push(`server:data:${d}`); s.write(d); });
    s.on('end', () => { log.push('server:end'); s.end(); });
    s.on('close', (hadError: boolean) => { log.push(`server:close:${hadError}`); server.close(); });
  });
  server.on('listening', () => log.push('listening'));
  server.listen(7);
  await new Promise((r) => server.once('listening', r));
  assert.deepEqual(server.address(), { address: '::', family: 'IPv6', port: 7 });
  const c = a.net.connect(7, '10.0.0.2', () => { log.push('client:connect'); c.end('ping'); });
  let reply = '';
  c.on('data', (d: Buffer) => { reply += d; log.push(`client:data:${d}`); });
  c.on('end', () => log.push('client:end'));
  c.on('close', (hadError: boolean) => log.push(`client:close:${hadError}`));
  await Promise.all([closed(c), new Promise((r) => server.on('close', r))]);
  assert.equal(reply, 'ping');
  const order = (...names: string[]): void => {
    const idx = names.map((n) => log.indexOf(n));
    assert.ok(idx.every((i) => i >= 0), `all of ${names} in ${log}`);
    assert.deepEqual([...idx].sort((x, y) => x - y), idx, `${names} in order in ${log}`);
  };
  order('listening', 'server:connection', 'server:data:ping', 'server:end', 'server:close:false');
  order('listening', 'client:connect', 'client:data:ping', 'client:end', 'client:close:false');
});

test('addresses: local and remote as node:net reports them, IPv4 clients mapped on a dual-stack server', async () => {
  const { a, b } = lan();
  let seen: Record<string, unknown> = {};
  const server = b.net.createServer((s) => {
    seen = { remoteAddress: s.remoteAddress, remoteFamily: s.remoteFamily, localAddress: s.localAddress, localPort: s.localPort };
    s.end();
  }).listen(8080);
  await new Promise((r) => server.once('listening', r));
  const c = a.net.connect({ port: 8080, host: '10.0.0.2', localAddress: '10.0.0.1', localPort: 40001 });
  await new Promise((r) => c.once('connect', r));
  assert.equal(c.remoteAddress, '10.0.0.2');
  assert.equal(c.remotePort, 8080);
  assert.equal(c.remoteFamily, 'IPv4');
  assert.equal(c.localAddress, '10.0.0.1');
  assert.equal(c.localPort, 40001);
  assert.deepEqual(c.address(), { address: '10.0.0.1', family: 'IPv4', port: 40001 });
  c.resume();
  await closed(c);
  assert.deepEqual(seen, { remoteAddress: '::ffff:10.0.0.1', remoteFamily: 'IPv6', localAddress: '::ffff:10.0.0.2', localPort: 8080 });
  server.close();
});

test('ECONNREFUSED: the error node:net builds, message text included', async () => {
  const { a } = lan();
  const c = a.net.connect(80, '10.0.0.2');
  const events: string[] = [];
  c.on('connect', () => events.push('connect'));
  const e = await new Promise<NodeJS.ErrnoException & { address?: string; port?: number }>((r) => c.on('error', r));
  await closed(c);
  assert.equal(e.message, 'connect ECONNREFUSED 10.0.0.2:80');
  assert.equal(e.code, 'ECONNREFUSED');
  assert.equal(e.errno, -111);
  assert.equal(e.syscall, 'connect');
  assert.equal(e.address, '10.0.0.2');
  assert.equal(e.port, 80);
  assert.deepEqual(events, []);
});

test('EADDRINUSE: listen on a port in use fails as node:net fails', async () => {
  const { b } = lan();
  const one = b.net.createServer().listen(9000);
  await new Promise((r) => one.once('listening', r));
  const two = b.net.createServer();
  const e = await new Promise<NodeJS.ErrnoException & { address?: string; port?: number }>((r) => two.on('error', r).listen(9000));
  assert.equal(e.message, 'listen EADDRINUSE: address already in use :::9000');
  assert.equal(e.code, 'EADDRINUSE');
  assert.equal(e.syscall, 'listen');
  assert.equal(e.address, '::');
  assert.equal(e.port, 9000);
  assert.equal(two.listening, false);
  one.close();
});

test('host names resolve through host.dns for connect and listen', async () => {
  const { a, b } = lan();
  const server = b.net.createServer((s) => s.end(`hello ${s.remoteAddress}`)).listen(7000, 'b');
  await new Promise((r) => server.once('listening', r));
  const addr = server.address() as { address: string };
  assert.ok(addr.address === '10.0.0.2' || addr.address === 'fd00::2', addr.address);
  const c = a.net.connect(7000, 'b');
  const lookups: unknown[] = [];
  c.on('lookup', (err: unknown, address: unknown, family: unknown, host: unknown) => lookups.push([err, address, family, host]));
  let got = '';
  c.on('data', (d: Buffer) => { got += d; });
  await closed(c);
  assert.match(got, /^hello /);
  assert.ok(lookups.length >= 1);
  server.close();
});

test('write() returns false at the high-water mark, drain follows, every byte arrives', async () => {
  const { a, b } = lan();
  let received = 0;
  const server = b.net.createServer((s) => {
    s.on('data', (d: Buffer) => { received += d.length; });
    s.on('end', () => s.end());
  }).listen(5001);
  await new Promise((r) => server.once('listening', r));
  const c = a.net.connect(5001, '10.0.0.2');
  await new Promise((r) => c.once('connect', r));
  const chunk = Buffer.alloc(256 * 1024, 1);
  let n = 1;
  while (c.write(chunk)) n++;
  assert.ok(c.writableNeedDrain);
  await new Promise((r) => c.once('drain', r));
  c.end();
  c.resume();
  await closed(c);
  assert.equal(received, n * chunk.length);
  assert.equal(c.bytesWritten, received);
  server.close();
});

test('setTimeout runs on the network clock: an idle socket times out after the virtual delay', async () => {
  const { world, a, b } = lan();
  const server = b.net.createServer((s) => s.resume()).listen(5002);
  await new Promise((r) => server.once('listening', r));
  const c = a.net.connect(5002, '10.0.0.2');
  await new Promise((r) => c.once('connect', r));
  const t0 = world.now();
  const wall0 = Date.now();
  c.setTimeout(60_000);
  await new Promise((r) => c.once('timeout', r));
  const elapsed = world.now() - t0;
  assert.ok(elapsed >= 60_000 && elapsed < 61_000, `virtual ${elapsed} ms`);
  assert.ok(Date.now() - wall0 < 10_000, 'far less than a minute of wall time');
  c.destroy();
  server.close();
});

test('half-open: with allowHalfOpen the server answers after the client has ended', async () => {
  const { a, b } = lan();
  const server = b.net.createServer({ allowHalfOpen: true }, (s) => {
    let got = '';
    s.on('data', (d: Buffer) => { got += d; });
    s.on('end', () => setTimeout(() => s.end(`late reply to ${got}`), 10));
  }).listen(5003);
  await new Promise((r) => server.once('listening', r));
  const c = a.net.connect({ port: 5003, host: '10.0.0.2', allowHalfOpen: true });
  c.end('question');
  let got = '';
  c.on('data', (d: Buffer) => { got += d; });
  await closed(c);
  assert.equal(got, 'late reply to question');
  server.close();
});

test('resetAndDestroy: the peer sees ECONNRESET as node:net reports it', async () => {
  const { a, b } = lan();
  let server: ReturnType<typeof b.net.createServer> | undefined;
  const serverErr = new Promise<NodeJS.ErrnoException>((resolve) => {
    server = b.net.createServer((s) => { s.on('error', resolve); }).listen(5004);
  });
  await new Promise((r) => server!.once('listening', r));
  const c = a.net.connect(5004, '10.0.0.2');
  await new Promise((r) => c.once('connect', r));
  c.resetAndDestroy();
  const e = await serverErr;
  assert.equal(e.code, 'ECONNRESET');
  assert.equal(e.message, 'read ECONNRESET');
  assert.equal(e.syscall, 'read');
  server!.close();
});

test('autoSelectFamily: an unreachable IPv6 address gives way to IPv4 after the attempt timeout', async () => {
  const { a, b } = lan();
  const server = b.net.createServer((s) => s.end('v4')).listen(5005, '10.0.0.2');
  await new Promise((r) => server.once('listening', r));
  const lookup = (_h: string, opts: { all?: boolean }, cb: (e: Error | null, a: unknown, f?: number) => void): void => {
    const list = [{ address: 'fd00::99', family: 6 }, { address: '10.0.0.2', family: 4 }];
    // Answers later, as a resolver does (listeners are attached after connect() returns).
    setImmediate(() => { if (opts.all) cb(null, list); else cb(null, list[0]!.address, 6); });
  };
  const c = a.net.connect({ port: 5005, host: 'dual.example', lookup, autoSelectFamily: true, autoSelectFamilyAttemptTimeout: 100 });
  const attempts: string[] = [];
  c.on('connectionAttempt', (ip: string) => attempts.push(`try ${ip}`));
  c.on('connectionAttemptTimeout', (ip: string) => attempts.push(`timeout ${ip}`));
  let got = '';
  c.on('data', (d: Buffer) => { got += d; });
  await closed(c);
  assert.equal(got, 'v4');
  assert.deepEqual(attempts, ['try fd00::99', 'timeout fd00::99', 'try 10.0.0.2']);
  assert.deepEqual(c.autoSelectFamilyAttemptedAddresses, ['fd00::99:5005', '10.0.0.2:5005']);
  server.close();
});
