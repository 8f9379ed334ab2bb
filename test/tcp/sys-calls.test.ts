// host.sys additions with Linux's results: recv/recvfrom with MSG_PEEK, ioctl SIOCINQ / SIOCOUTQ /
// SIOCOUTQNSD, and epoll (level- and edge-triggered, one-shot) over TCP, UDP and unix sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/world/network.js';
import type { Host } from '../../src/world/host.js';
import {
  AF_INET, AF_UNIX, EPOLLET, EPOLLONESHOT, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, MSG_PEEK, POLLIN, POLLOUT,
  SHUT_WR, SOCK_DGRAM, SOCK_STREAM,
} from '../../src/uapi/socket.js';
import { dropOutgoing } from './helpers.js';

const EAGAIN = -11;
const EINVAL = -22;
const ENOTTY = -25;
const EBADF = -9;
const EEXIST = -17;
const ENOENT = -2;

interface Two { world: Network; a: Host; b: Host }

function two(): Two {
  const world = new Network({ seed: 5 });
  const a = world.host('a');
  const b = world.host('b');
  world.link(a, b, { ipv4: ['10.0.0.1/24', '10.0.0.2/24'] });
  return { world, a, b };
}

/** A TCP connection a -> b:80 through host.sys: [client fd on a, server fd on b, listener fd on b]. */
async function tcpPair(t: Two): Promise<[number, number, number]> {
  const l = t.b.sys.socket(AF_INET, SOCK_STREAM);
  assert.equal(t.b.sys.bind(l, { family: 4, address: '0.0.0.0', port: 80 }), 0);
  assert.equal(t.b.sys.listen(l, 8), 0);
  const c = t.a.sys.socket(AF_INET, SOCK_STREAM);
  assert.equal(t.a.sys.connect(c, { family: 4, address: '10.0.0.2', port: 80 }), -115);
  await t.world.run({ for: 50 });
  const acc = t.b.sys.accept(l);
  assert.ok(typeof acc !== 'number', `accept ${String(acc)}`);
  return [c, acc.fd, l];
}

test('TCP: recv with MSG_PEEK leaves the data queued; EOF and errors peek too', async () => {
  const t = two();
  const [c, s] = await tcpPair(t);
  assert.equal(t.b.sys.recv(s, 100, MSG_PEEK), EAGAIN);
  t.a.sys.write(c, Buffer.from('hello '));
  await t.world.run({ for: 10 });
  t.a.sys.write(c, Buffer.from('world'));
  await t.world.run({ for: 10 });
  assert.equal(Buffer.from(t.b.sys.recv(s, 100, MSG_PEEK) as Uint8Array).toString(), 'hello world', 'peek spans segments');
  assert.equal(Buffer.from(t.b.sys.recv(s, 3, MSG_PEEK) as Uint8Array).toString(), 'hel');
  assert.equal(Buffer.from(t.b.sys.recv(s, 100) as Uint8Array).toString(), 'hello world', 'still all there');
  assert.equal(t.b.sys.recv(s, 100, MSG_PEEK), EAGAIN);
  t.a.sys.shutdown(c, SHUT_WR);
  await t.world.run({ for: 10 });
  const eof = t.b.sys.recv(s, 100, MSG_PEEK);
  assert.ok(eof instanceof Uint8Array && eof.length === 0, 'EOF');
  assert.equal(t.b.sys.recv(99, 10), EBADF);
});

test('TCP: ioctl SIOCINQ (FIN not counted), SIOCOUTQ and SIOCOUTQNSD follow the queues; EINVAL on a listener', async () => {
  const t = two();
  const [c, s, l] = await tcpPair(t);
  assert.equal(t.b.sys.ioctl(l, 'SIOCINQ'), EINVAL);
  assert.equal(t.b.sys.ioctl(s, 'SIOCINQ'), 0);
  assert.equal(t.b.sys.ioctl(s, 'SIOCGIFADDR' as never), ENOTTY);
  // Unacknowledged data: a's segments are lost for now.
  const restore = dropOutgoing(t.a, (seg) => seg.payload.length > 0);
  t.a.sys.write(c, new Uint8Array(3000));
  assert.equal(t.a.sys.ioctl(c, 'SIOCOUTQ'), 3000);
  assert.equal(t.a.sys.ioctl(c, 'TIOCOUTQ'), 3000);
  assert.equal(t.a.sys.ioctl(c, 'SIOCOUTQNSD'), 0, 'everything was sent (initial window)');
  restore();
  await t.world.run({ for: 1500 }); // the RTO resends it
  assert.equal(t.a.sys.ioctl(c, 'SIOCOUTQ'), 0);
  assert.equal(t.b.sys.ioctl(s, 'SIOCINQ'), 3000);
  assert.equal(t.b.sys.ioctl(s, 0x541b), 3000, 'FIONREAD by number');
  t.a.sys.shutdown(c, SHUT_WR);
  await t.world.run({ for: 10 });
  assert.equal(t.b.sys.ioctl(s, 'FIONREAD'), 3000, 'the FIN is not a byte to read');
  t.b.sys.read(s, 10000);
  assert.equal(t.b.sys.ioctl(s, 'SIOCINQ'), 0);
});

test('UDP: MSG_PEEK on recvfrom and recv; SIOCINQ is the next datagram\'s size', async () => {
  const t = two();
  const u = t.b.sys.socket(AF_INET, SOCK_DGRAM);
  t.b.sys.bind(u, { family: 4, address: '0.0.0.0', port: 53 });
  const v = t.a.sys.socket(AF_INET, SOCK_DGRAM);
  t.a.sys.sendto(v, new Uint8Array(100), { family: 4, address: '10.0.0.2', port: 53 });
  t.a.sys.sendto(v, new Uint8Array(7), { family: 4, address: '10.0.0.2', port: 53 });
  await t.world.run({ for: 10 });
  assert.equal(t.b.sys.ioctl(u, 'SIOCINQ'), 100);
  const p = t.b.sys.recvfrom(u, 65536, MSG_PEEK);
  assert.ok(typeof p !== 'number' && p.data.length === 100 && p.from.family === 4 && p.from.address === '10.0.0.1');
  assert.equal((t.b.sys.recv(u, 10, MSG_PEEK) as Uint8Array).length, 10);
  assert.equal((t.b.sys.recv(u, 65536) as Uint8Array).length, 100);
  assert.equal(t.b.sys.ioctl(u, 'SIOCINQ'), 7);
  assert.equal(t.b.sys.ioctl(u, 'SIOCOUTQ'), 0);
  assert.equal(t.b.sys.ioctl(u, 'SIOCOUTQNSD'), ENOTTY);
});

test('unix stream: MSG_PEEK and SIOCINQ / SIOCOUTQ', async () => {
  const t = two();
  const sys = t.a.sys;
  const l = sys.socket(AF_UNIX, SOCK_STREAM);
  sys.bind(l, { family: 'unix', path: '/s' });
  sys.listen(l, 4);
  const c = sys.socket(AF_UNIX, SOCK_STREAM);
  sys.connect(c, { family: 'unix', path: '/s' });
  await t.world.run({ for: 1 });
  const acc = sys.accept(l);
  assert.ok(typeof acc !== 'number');
  sys.write(c, Buffer.from('ab'));
  sys.write(c, Buffer.from('cd'));
  assert.equal(sys.ioctl(c, 'SIOCOUTQ'), 4);
  await t.world.run({ for: 1 });
  assert.equal(sys.ioctl(acc.fd, 'SIOCINQ'), 4);
  assert.equal(Buffer.from(sys.recv(acc.fd, 10, MSG_PEEK) as Uint8Array).toString(), 'abcd');
  assert.equal(Buffer.from(sys.recv(acc.fd, 10) as Uint8Array).toString(), 'abcd');
  assert.equal(sys.ioctl(c, 'SIOCOUTQ'), 0);
  assert.equal(sys.ioctl(l, 'SIOCINQ'), EINVAL);
});

test('epoll: level-triggered reports while ready; edge-triggered once per wakeup; one-shot until MOD; DEL; close forgets', async () => {
  const t = two();
  const [c, s, l] = await tcpPair(t);
  const sys = t.b.sys;
  const ep = sys.epollCreate();
  assert.ok(ep > 0);
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_ADD, s, { events: POLLIN }), 0);
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_ADD, s, { events: POLLIN }), EEXIST);
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_MOD, l, { events: POLLIN }), ENOENT);
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_ADD, 77, { events: POLLIN }), EBADF);
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_ADD, ep, { events: POLLIN }), EINVAL);
  assert.equal(sys.epollCtl(s, EPOLL_CTL_ADD, s, { events: POLLIN }), EINVAL, 'not an epoll descriptor');
  assert.deepEqual(sys.epollWait(ep, 8), []);
  assert.equal(sys.epollWait(ep, 0), EINVAL);
  // The epoll descriptor is readable while something is ready: watch() waits for it.
  let woke = 0;
  sys.watch(ep, POLLIN, () => { woke++; });
  t.a.sys.write(c, Buffer.from('x'));
  await t.world.run({ for: 10 });
  assert.ok(woke >= 1, 'watch on the epoll descriptor fired');
  // Level-triggered: reported again and again while data waits.
  assert.deepEqual(sys.epollWait(ep, 8), [{ events: POLLIN, data: s }]);
  assert.deepEqual(sys.epollWait(ep, 8), [{ events: POLLIN, data: s }]);
  sys.read(s, 10);
  assert.deepEqual(sys.epollWait(ep, 8), []);

  // Edge-triggered: once per arrival, with the readiness of the moment, even when not drained.
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_MOD, s, { events: POLLIN | POLLOUT | EPOLLET, data: 'conn' }), 0);
  assert.deepEqual(sys.epollWait(ep, 8), [{ events: POLLOUT, data: 'conn' }]);
  assert.deepEqual(sys.epollWait(ep, 8), []);
  t.a.sys.write(c, Buffer.from('yy'));
  await t.world.run({ for: 10 });
  assert.deepEqual(sys.epollWait(ep, 8), [{ events: POLLIN | POLLOUT, data: 'conn' }]);
  assert.deepEqual(sys.epollWait(ep, 8), []);
  sys.read(s, 1);
  assert.deepEqual(sys.epollWait(ep, 8), [], 'a read is no wakeup');
  t.a.sys.write(c, Buffer.from('z'));
  await t.world.run({ for: 10 });
  assert.deepEqual(sys.epollWait(ep, 8), [{ events: POLLIN | POLLOUT, data: 'conn' }]);

  // One-shot: reported once, then silent until re-armed.
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_MOD, s, { events: POLLIN | EPOLLONESHOT }), 0);
  assert.deepEqual(sys.epollWait(ep, 8), [{ events: POLLIN, data: s }]);
  assert.deepEqual(sys.epollWait(ep, 8), []);
  t.a.sys.write(c, Buffer.from('w'));
  await t.world.run({ for: 10 });
  assert.deepEqual(sys.epollWait(ep, 8), []);
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_MOD, s, { events: POLLIN | EPOLLONESHOT }), 0);
  assert.deepEqual(sys.epollWait(ep, 8), [{ events: POLLIN, data: s }]);

  // maxevents and DEL.
  const u = sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_MOD, s, { events: POLLOUT }), 0);
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_ADD, u, { events: POLLOUT }), 0);
  assert.equal((sys.epollWait(ep, 1) as unknown[]).length, 1);
  assert.equal((sys.epollWait(ep, 8) as unknown[]).length, 2);
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_DEL, u), 0);
  assert.equal(sys.epollCtl(ep, EPOLL_CTL_DEL, u), ENOENT);
  assert.deepEqual(sys.epollWait(ep, 8), [{ events: POLLOUT, data: s }]);
  // Closing a descriptor takes it out of the epoll set.
  sys.close(s);
  assert.deepEqual(sys.epollWait(ep, 8), []);
  assert.equal(sys.read(ep, 10), EINVAL, 'an epoll descriptor is not read');
  assert.equal(sys.close(ep), 0);
  assert.equal(sys.epollWait(ep, 8), EBADF);
});
