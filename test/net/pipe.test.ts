// host.net over unix-domain sockets (pipe handles), compared with real node:net on real paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as realNet from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler } from '../../src/links/clock.js';
import { Sys } from '../../src/sys/sys.js';
import { AF_UNIX, SOCK_STREAM } from '../../src/uapi/socket.js';
import { UnixNamespace, registerUnix } from '../../src/kernel/unix.js';
import { createNet, type NetModule } from '../../src/node/net.js';

function virtualHost(): { net: NetModule; sys: Sys; sched: Scheduler } {
  const sched = new Scheduler('virtual');
  const sys = new Sys();
  registerUnix(sys, new UnixNamespace(sched));
  const net = createNet({
    loop: { sys, sched },
    lookup: () => { assert.fail('unix-domain sockets never resolve names'); },
  });
  return { net, sys, sched };
}

type AnyNet = Pick<typeof realNet, 'createServer' | 'connect'>;

/** A real directory for node:net's paths; the virtual host uses the same names. */
function realDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'usernet-pipe-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Echo over a path; records both sides' events in order. */
async function echoScenario(net: AnyNet, path: string): Promise<{ events: string[]; reply: string; address: unknown }> {
  const events: string[] = [];
  let address: unknown;
  const reply = await new Promise<string>((resolve, reject) => {
    const server = net.createServer((s) => {
      events.push('server:connection');
      s.on('data', (d) => { events.push(`server:data:${d}`); s.write(d); });
      s.on('end', () => { events.push('server:end'); s.end(); });
      s.on('finish', () => events.push('server:finish'));
      s.on('close', (hadError: boolean) => { events.push(`server:close:${hadError}`); server.close(); });
    });
    let closes = 0;
    const closed = (): void => { if (++closes === 2) resolve(got); };
    server.on('close', () => { events.push('server-closed'); closed(); });
    server.on('error', reject);
    let got = '';
    server.listen(path, () => {
      events.push('listening');
      address = server.address();
      const c = net.connect(path, () => {
        events.push('client:connect');
        c.end('ping');
      });
      c.on('ready', () => events.push('client:ready'));
      c.on('data', (d) => { got += d; events.push(`client:data:${d}`); });
      c.on('end', () => events.push('client:end'));
      c.on('finish', () => events.push('client:finish'));
      c.on('close', (hadError: boolean) => { events.push(`client:close:${hadError}`); closed(); });
      c.on('error', reject);
    });
  });
  return { events, reply, address };
}

test('echo over a unix path: same reply, address() and event order as node:net', async () => {
  const { dir, done } = realDir();
  try {
    const path = join(dir, 'echo.sock');
    const real = await echoScenario(realNet, path);
    const virt = await echoScenario(virtualHost().net as unknown as AnyNet, path);
    assert.equal(virt.reply, 'ping');
    assert.equal(virt.address, path);
    assert.deepEqual(virt, real);
  } finally { done(); }
});

async function errorOf(fn: (done: (e: NodeJS.ErrnoException) => void) => void): Promise<Record<string, unknown>> {
  const e = await new Promise<NodeJS.ErrnoException>((resolve) => fn(resolve));
  return { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, address: (e as { address?: string }).address, port: (e as { port?: number }).port, ctor: e.constructor.name };
}

test('EADDRINUSE on a path in use: the error is shaped as node:net shapes it', async () => {
  const { dir, done } = realDir();
  try {
    const path = join(dir, 'busy.sock');
    const run = (net: AnyNet) => errorOf((cb) => {
      const a = net.createServer().listen(path, () => {
        const b = net.createServer();
        b.on('error', (e) => { a.close(); cb(e); });
        b.listen(path);
      });
    });
    const real = await run(realNet);
    const virt = await run(virtualHost().net as unknown as AnyNet);
    assert.equal(virt.code, 'EADDRINUSE');
    assert.equal(virt.message, `listen EADDRINUSE: address already in use ${path}`);
    assert.deepEqual(virt, real);
  } finally { done(); }
});

test('ENOENT when connecting to a missing path, as node:net reports it', async () => {
  const { dir, done } = realDir();
  try {
    const path = join(dir, 'missing.sock');
    const run = (net: AnyNet) => errorOf((cb) => {
      const events: string[] = [];
      const c = net.connect(path);
      c.on('close', (hadError: boolean) => events.push(`close:${hadError}`));
      c.on('error', (e) => { events.push('error'); c.on('close', () => cb(Object.assign(e, { events }))); });
    });
    const real = await run(realNet);
    const virt = await run(virtualHost().net as unknown as AnyNet);
    assert.equal(virt.code, 'ENOENT');
    assert.equal(virt.message, `connect ENOENT ${path}`);
    assert.deepEqual(virt, real);
  } finally { done(); }
});

test('ECONNREFUSED when the path is bound but nobody listens', async () => {
  const { net, sys } = virtualHost();
  const fd = sys.socket(AF_UNIX, SOCK_STREAM);
  assert.equal(sys.bind(fd, { family: 'unix', path: '/run/idle.sock' }), 0);
  const e = await new Promise<NodeJS.ErrnoException>((resolve) => net.connect('/run/idle.sock').on('error', resolve));
  assert.equal(e.code, 'ECONNREFUSED');
  assert.equal(e.syscall, 'connect');
  assert.equal(e.message, 'connect ECONNREFUSED /run/idle.sock');
  assert.equal((e as { address?: string }).address, '/run/idle.sock');
});

test('half-close: with allowHalfOpen the server still writes after the client ends', async () => {
  const { net } = virtualHost();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    let got = '';
    s.on('data', (d: Buffer) => { got += d; });
    s.on('end', () => {
      assert.equal(s.writable, true);
      s.end(`got ${got}`);
    });
  });
  await new Promise<void>((r) => server.listen('/s', () => r()));
  const c = net.connect({ path: '/s', allowHalfOpen: true });
  c.end('abc');
  let reply = '';
  c.on('data', (d: Buffer) => { reply += d; });
  await new Promise<void>((r) => c.on('close', () => r()));
  assert.equal(reply, 'got abc');
  server.close();
});

test('write() returns false past the high-water mark and drain follows', async () => {
  const { net } = virtualHost();
  let received = 0;
  const server = net.createServer((s) => {
    s.pause();
    setImmediate(() => s.resume());
    s.on('data', (d: Buffer) => { received += d.length; });
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen('/big', () => r()));
  const c = net.connect('/big');
  await new Promise<void>((r) => c.on('connect', () => r()));
  const chunk = Buffer.alloc(64 * 1024, 7);
  let writes = 0;
  while (c.write(chunk)) writes++;
  assert.ok(writes < 100, 'write() reports back-pressure');
  assert.ok(c.writableLength > 0);
  await new Promise<void>((r) => c.once('drain', () => r()));
  c.end();
  await new Promise<void>((r) => c.on('close', () => r()));
  assert.equal(received, (writes + 1) * chunk.length);
  assert.equal(c.bytesWritten, received);
  server.close();
});

test('a server closes after its connections: close(cb), then ERR_SERVER_NOT_RUNNING', async () => {
  const { net } = virtualHost();
  const server = net.createServer((s) => s.end());
  await new Promise<void>((r) => server.listen('/c', () => r()));
  assert.equal(server.listening, true);
  const c = net.connect('/c');
  c.resume();
  await new Promise<void>((r) => c.on('close', () => r()));
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  assert.equal(server.listening, false);
  const e = await new Promise<Error & { code?: string }>((r) => server.close((err) => r(err!)));
  assert.equal(e.code, 'ERR_SERVER_NOT_RUNNING');
});

test('connecting to a file that is no socket is refused, as on Linux', async () => {
  const { dir, done } = realDir();
  try {
    const path = join(dir, 'plain-file');
    writeFileSync(path, 'not a socket');
    const run = (net: AnyNet) => errorOf((cb) => { net.connect(path).on('error', cb); });
    const real = await run(realNet);
    const virt = await run(virtualHost().net as unknown as AnyNet);
    assert.equal(virt.code, 'ECONNREFUSED');
    assert.deepEqual(virt, real);
  } finally { done(); }
});
