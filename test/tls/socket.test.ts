// host.tls's TLSSocket and connect() as Node's: a TLSSocket made without a socket connects through
// the host, `onread`, argument errors thrown at the call, the transport's inactivity timer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { routedPair } from './helpers.js';

test('tls: new TLSSocket() with no socket, then connect(): the host connects it, then the handshake runs', async () => {
  const { world, a, b } = routedPair(11, false);
  let connections = 0;
  const server = b.tls.createServer((s) => s.end('hello over b')).on('connection', () => { connections++; }).listen(443);
  // Node's types want a socket; Node's TLSSocket takes none (and makes its own).
  const NoSocket = a.tls.TLSSocket as unknown as new (socket?: null, options?: object) => TLSSocket;
  const c = new NoSocket(undefined, { servername: 'b' });
  const events: string[] = [];
  let got = '';
  c.on('connect', () => events.push('connect'));
  let peer: string | undefined;
  c.on('secure', () => { events.push('secure'); peer = c.remoteAddress; });
  c.on('data', (d: Buffer) => { got += String(d); });
  c.on('end', () => events.push('end'));
  // As on Node's, connect() connects the transport; the handshake waits for _start().
  assert.equal(c.connect(443, '192.0.2.2', () => (c as unknown as { _start(): void })._start()), c);
  await world.run();
  assert.equal(connections, 1);
  assert.deepEqual(events, ['connect', 'secure', 'end']);
  assert.equal(got, 'hello over b');
  assert.equal(c.encrypted, true);
  assert.equal(peer, '192.0.2.2');
  server.close();

  // A connection refused reaches the TLS socket as the transport's error, as on Node's.
  const refused = new NoSocket();
  let err: NodeJS.ErrnoException | null = null;
  refused.on('error', (e: NodeJS.ErrnoException) => { err = e; });
  refused.connect({ port: 444, host: '192.0.2.2' });
  await world.run();
  assert.equal((err as NodeJS.ErrnoException | null)?.code, 'ECONNREFUSED');
  assert.equal(refused.destroyed, true);
});

test('tls: connect({ onread }) hands every read to the callback in the caller\'s buffer, no data events', async () => {
  const { world, a, b } = routedPair(12, false);
  const body = Buffer.alloc(100_000, 'z');
  const server = b.tls.createServer((s) => s.end(body)).listen(443);
  const buffer = Buffer.alloc(4096);
  let total = 0;
  let inBuffer = true;
  let dataEvents = 0;
  const c = a.tls.connect({
    host: 'b', port: 443,
    onread: { buffer, callback: (n: number, buf: Buffer) => { total += n; if (buf !== buffer) inBuffer = false; return true; } },
  } as unknown as import('node:tls').ConnectionOptions);
  c.on('data', () => { dataEvents++; });
  c.on('end', () => c.end());
  await world.run();
  assert.equal(total, body.length);
  assert.equal(inBuffer, true);
  assert.equal(dataEvents, 0);
  server.close();
});

test('tls: connect()\'s argument errors are thrown at the call, with Node\'s codes and messages, and open nothing', async () => {
  const { world, a } = routedPair(13, false);
  const sys = a.sys as unknown as { socket: (...x: unknown[]) => unknown };
  const socketCall = sys.socket;
  let opened = 0;
  sys.socket = (...x: unknown[]) => { opened++; return socketCall.apply(sys, x); };
  const missing = /^The "options" or "port" or "path" argument must be specified$/;
  for (const args of [[], [{}], [{ host: 'b' }]] as unknown[][]) {
    assert.throws(() => (a.tls.connect as (...x: unknown[]) => unknown)(...args), { code: 'ERR_MISSING_ARGS', message: missing });
  }
  for (const port of [-1, 70000, 'abc']) {
    assert.throws(() => a.tls.connect({ port } as unknown as import('node:tls').ConnectionOptions), { code: 'ERR_SOCKET_BAD_PORT', message: /^Port should be >= 0 and < 65536\. Received / });
  }
  await world.run();
  sys.socket = socketCall;
  assert.equal(opened, 0);
});

test('tls: traffic through TLS refreshes the inactivity timer of the host socket under it; idle, it fires', async () => {
  const { world, a, b } = routedPair(14, false);
  const server = b.tls.createServer((s) => s.on('data', (d) => s.write(d))).listen(443);
  const raw = a.net.connect(443, 'b') as Socket;
  let timedOutAt = -1;
  raw.setTimeout(1000, () => { timedOutAt = world.now(); raw.destroy(); });
  const c = a.tls.connect({ socket: raw, servername: 'b' });
  let echoed = 0;
  c.on('data', (d: Buffer) => { echoed += d.length; });
  c.on('error', () => {});
  await new Promise<void>((r) => c.once('secureConnect', () => r()));
  // A write every 600 ms for 3 s: the 1 s timeout never fires while the TLS socket is busy.
  const start = world.now();
  for (let i = 0; i < 5; i++) {
    c.write('ping');
    await world.sleep(600);
  }
  assert.equal(timedOutAt, -1, 'no timeout while traffic flows');
  assert.equal(echoed, 20);
  await world.run();
  assert.ok(timedOutAt >= start + 3000 + 400 && timedOutAt <= start + 3000 + 1100, `idle timeout after the last write (at ${timedOutAt - start} ms)`);
  server.close();
});
