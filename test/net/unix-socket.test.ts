// The kernel's unix-domain stream sockets, driven directly through the KernelSocket interface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../../src/links/clock.js';
import { UnixNamespace, UnixSocket, UNIX_DEFAULT_SNDBUF } from '../../src/kernel/unix.js';
import { EADDRINUSE, EAGAIN, ECONNREFUSED, ECONNRESET, EINVAL, ENOENT, ENOTCONN, EPIPE } from '../../src/uapi/errno.js';
import { POLLHUP, POLLIN, POLLOUT, POLLRDHUP, SHUT_WR } from '../../src/uapi/socket.js';

function setup() {
  const sched = new Scheduler('virtual');
  const ns = new UnixNamespace(sched);
  const mk = (): UnixSocket => ns.socket() as UnixSocket;
  return { sched, ns, mk };
}

async function pair(path = '/tmp/s.sock') {
  const env = setup();
  const srv = env.mk();
  assert.equal(srv.bind({ family: 'unix', path }), 0);
  assert.equal(srv.listen(4), 0);
  const cli = env.mk();
  assert.equal(cli.connect({ family: 'unix', path }), 0);
  const acc = srv.accept();
  assert.equal(typeof acc, 'object');
  const peer = (acc as unknown as { sock: UnixSocket }).sock;
  return { ...env, srv, cli, peer };
}

const text = (u: Uint8Array | number): string => {
  assert.equal(typeof u, 'object');
  return Buffer.from(u as Uint8Array).toString();
};

test('bind: EADDRINUSE on an existing path, EINVAL when already bound; the path frees on close', () => {
  const { mk } = setup();
  const a = mk();
  const b = mk();
  assert.equal(a.bind({ family: 'unix', path: '/p' }), 0);
  assert.equal(b.bind({ family: 'unix', path: '/p' }), -EADDRINUSE);
  assert.equal(a.bind({ family: 'unix', path: '/q' }), -EINVAL);
  assert.deepEqual(a.getsockname(), { family: 'unix', path: '/p' });
  a.close();
  assert.equal(b.bind({ family: 'unix', path: '/p' }), 0);
});

test('connect: ENOENT on a missing path, ECONNREFUSED without a listener', () => {
  const { mk } = setup();
  const c = mk();
  assert.equal(c.connect({ family: 'unix', path: '/nope' }), -ENOENT);
  const bound = mk();
  bound.bind({ family: 'unix', path: '/bound' });
  assert.equal(c.connect({ family: 'unix', path: '/bound' }), -ECONNREFUSED);
  assert.equal(c.getpeername(), -ENOTCONN);
});

test('namespaces are per host', () => {
  const sched = new Scheduler('virtual');
  const n1 = new UnixNamespace(sched);
  const n2 = new UnixNamespace(sched);
  const s = n1.socket() as UnixSocket;
  s.bind({ family: 'unix', path: '/x' });
  s.listen(1);
  assert.equal((n2.socket() as UnixSocket).connect({ family: 'unix', path: '/x' }), -ENOENT);
  assert.equal((n1.socket() as UnixSocket).connect({ family: 'unix', path: '/x' }), 0);
});

test('backlog: backlog + 1 connections wait, the next gets EAGAIN', () => {
  const { mk } = setup();
  const s = mk();
  s.bind({ family: 'unix', path: '/b' });
  s.listen(1);
  assert.equal(mk().connect({ family: 'unix', path: '/b' }), 0);
  assert.equal(mk().connect({ family: 'unix', path: '/b' }), 0);
  assert.equal(mk().connect({ family: 'unix', path: '/b' }), -EAGAIN);
  assert.equal(typeof s.accept(), 'object');
  assert.equal(mk().connect({ family: 'unix', path: '/b' }), 0);
});

test('data reaches the peer through a Scheduler event, never inside write()', async () => {
  const { sched, cli, peer, srv } = await pair();
  assert.equal(cli.write(Buffer.from('hello')), 5);
  assert.equal(peer.read(100), -EAGAIN);
  let ready = 0;
  peer.onReady = (r) => { ready = r; };
  await sched.run();
  assert.ok(ready & POLLIN);
  assert.equal(text(peer.read(100)), 'hello');
  assert.deepEqual(peer.getsockname(), { family: 'unix', path: '/tmp/s.sock' });
  assert.deepEqual(peer.getpeername(), { family: 'unix', path: '' });
  assert.deepEqual(cli.getpeername(), { family: 'unix', path: '/tmp/s.sock' });
  assert.equal(srv.accept(), -EAGAIN);
});

test('bounded send buffer: partial write, EAGAIN, then POLLOUT once the reader drains', async () => {
  const { sched, cli, peer } = await pair();
  const big = new Uint8Array(UNIX_DEFAULT_SNDBUF + 1000);
  assert.equal(cli.write(big), UNIX_DEFAULT_SNDBUF);
  assert.equal(cli.write(big), -EAGAIN);
  assert.equal(cli.readiness() & POLLOUT, 0);
  let woke = 0;
  cli.onReady = (r) => { woke |= r; };
  await sched.run();
  let got = 0;
  while (got < UNIX_DEFAULT_SNDBUF) {
    const r = peer.read(65536);
    assert.equal(typeof r, 'object');
    got += (r as Uint8Array).byteLength;
  }
  await sched.run();
  assert.ok(woke & POLLOUT);
  assert.ok(cli.readiness() & POLLOUT);
});

test('half-close: SHUT_WR gives the peer EOF after the data; the other direction still works', async () => {
  const { sched, cli, peer } = await pair();
  cli.write(Buffer.from('last'));
  assert.equal(cli.shutdown(SHUT_WR), 0);
  assert.equal(cli.write(Buffer.from('x')), -EPIPE);
  await sched.run();
  assert.equal(text(peer.read(100)), 'last');
  assert.ok(peer.readiness() & POLLRDHUP);
  assert.equal((peer.read(100) as Uint8Array).byteLength, 0);
  assert.equal(peer.write(Buffer.from('reply')), 5);
  await sched.run();
  assert.equal(text(cli.read(100)), 'reply');
});

test('close: the peer reads the data then EOF with POLLHUP, and writes fail with EPIPE', async () => {
  const { sched, cli, peer } = await pair();
  cli.write(Buffer.from('bye'));
  cli.close();
  await sched.run();
  assert.equal(text(peer.read(100)), 'bye');
  assert.equal((peer.read(100) as Uint8Array).byteLength, 0);
  assert.ok(peer.readiness() & POLLHUP);
  assert.equal(peer.write(Buffer.from('x')), -EPIPE);
});

test('close with unread data resets the peer (ECONNRESET)', async () => {
  const { sched, cli, peer } = await pair();
  peer.write(Buffer.from('unread'));
  await sched.run();
  cli.close();
  await sched.run();
  assert.equal(peer.read(100), -ECONNRESET);
  assert.equal((peer.read(100) as Uint8Array).byteLength, 0);
});

test('closing a listener resets connections it never accepted', async () => {
  const { sched, mk } = setup();
  const s = mk();
  s.bind({ family: 'unix', path: '/l' });
  s.listen(8);
  const c = mk();
  c.connect({ family: 'unix', path: '/l' });
  s.close();
  await sched.run();
  assert.equal(c.read(10), -ECONNRESET);
  assert.equal(c.connect({ family: 'unix', path: '/l' }) < 0, true);
  assert.equal(mk().connect({ family: 'unix', path: '/l' }), -ENOENT);
});
