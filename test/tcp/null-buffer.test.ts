// host.sys with a NULL buffer (null where the data or the receive buffer goes): Linux's results
// (tcp_sendmsg_locked, tcp_recvmsg, udp_recvmsg, tcp_send_syn_data): -EFAULT where the kernel
// would copy, the checks before the copy unchanged, nothing queued, a stream's data kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pair, tapSegments, type Pair } from './helpers.js';
import { AF_INET, MSG_FASTOPEN, SHUT_WR, SOCK_DGRAM, SOCK_STREAM } from '../../src/uapi/socket.js';

const EAGAIN = -11;
const EFAULT = -14;
const EPIPE = -32;
const EINPROGRESS = -115;

const B = { family: 4 as const, address: '10.0.0.2', port: 80 };

/** A listener on b:80 and a connected client on a, through host.sys: [client fd, server fd, listener fd]. */
async function connected(p: Pair): Promise<[number, number, number]> {
  const l = p.b.sys.socket(AF_INET, SOCK_STREAM);
  assert.equal(p.b.sys.bind(l, { family: 4, address: '0.0.0.0', port: 80 }), 0);
  assert.equal(p.b.sys.listen(l, 8), 0);
  const c = p.a.sys.socket(AF_INET, SOCK_STREAM);
  assert.equal(p.a.sys.connect(c, B), EINPROGRESS);
  await p.world.run({ for: 50 });
  const acc = p.b.sys.accept(l);
  assert.ok(typeof acc !== 'number', `accept ${String(acc)}`);
  return [c, acc.fd, l];
}

test('TCP: a send from NULL fails with EFAULT and queues nothing; a read into NULL fails with EFAULT and leaves the data', async () => {
  const p = pair();
  const sys = p.a.sys;
  const lone = sys.socket(AF_INET, SOCK_STREAM);
  assert.equal(sys.write(lone, null), EPIPE, 'the checks before the copy come first (not connected)');
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  assert.equal(sys.write(c, null), EFAULT);
  assert.equal(sys.send(c, null, 0), EFAULT);
  assert.equal(sys.sendto(c, null, undefined, 0), EFAULT);
  assert.equal(sys.ioctl(c, 'SIOCOUTQ'), 0, 'nothing queued');
  await p.world.run({ for: 10 });
  assert.equal(segs.filter((x) => x.len > 0).length, 0, 'no data on the wire');

  assert.equal(p.b.sys.read(s, 100, null), EAGAIN, 'nothing to copy: the empty queue answers first');
  assert.equal(sys.write(c, Buffer.from('kept')), 4);
  await p.world.run({ for: 10 });
  assert.equal(p.b.sys.read(s, 100, null), EFAULT);
  assert.equal(p.b.sys.recv(s, 100, 0, null), EFAULT);
  assert.equal(p.b.sys.recvfrom(s, 100, 0, null), EFAULT);
  assert.equal(p.b.sys.ioctl(s, 'SIOCINQ'), 4, 'the data stays queued');
  assert.equal(Buffer.from(p.b.sys.read(s, 100) as Uint8Array).toString(), 'kept');
  assert.equal(sys.shutdown(c, SHUT_WR), 0);
  await p.world.run({ for: 10 });
  assert.equal(p.b.sys.read(s, 100, null), 0, 'end of stream: 0, nothing to copy');
});

test('TCP: with the send buffer full, a send from NULL says EAGAIN (it waits for room before it copies)', async () => {
  const p = pair();
  const sys = p.a.sys;
  const [c, s] = await connected(p);
  let n = 0;
  for (let r = 0; r >= 0; r = sys.write(c, Buffer.alloc(65536))) n += r;
  assert.ok(n > 0);
  assert.equal(sys.write(c, null), EAGAIN);
  // The unread server resets the connection: its zero-window probes would keep the clock running.
  p.b.sys.close(s);
  await p.world.run({ for: 10 });
});

test('Fast Open: a NULL send with a cookie cached sends a SYN without data that asks for a new cookie, and says EINPROGRESS', async () => {
  const p = pair();
  for (const h of [p.a, p.b]) h.sysctl('net.ipv4.tcp_fastopen', 3);
  const l = p.b.sys.socket(AF_INET, SOCK_STREAM);
  assert.equal(p.b.sys.bind(l, { family: 4, address: '0.0.0.0', port: 80 }), 0);
  assert.equal(p.b.sys.setsockopt(l, 'IPPROTO_TCP', 'TCP_FASTOPEN', 8), 0);
  assert.equal(p.b.sys.listen(l, 8), 0);
  const sys = p.a.sys;
  const segs = tapSegments(p.link, p.world);
  // Warm the cookie cache: a first Fast Open send asks for one.
  const c0 = sys.socket(AF_INET, SOCK_STREAM);
  assert.equal(sys.sendto(c0, Buffer.from('hi'), B, MSG_FASTOPEN), EINPROGRESS);
  await p.world.run({ for: 50 });
  const cookie = segs.find((x) => x.flags === 'SYN,ACK')?.tcp.options.fastopen?.cookie;
  assert.ok(cookie !== undefined && cookie.length === 8, 'the server handed out a cookie');
  segs.length = 0;

  const c = sys.socket(AF_INET, SOCK_STREAM);
  assert.equal(sys.sendto(c, null, B, MSG_FASTOPEN), EINPROGRESS);
  await p.world.run({ for: 50 });
  const syn = segs.find((x) => x.flags === 'SYN');
  assert.ok(syn !== undefined);
  assert.equal(syn.len, 0, 'no data in the SYN');
  assert.equal(syn.tcp.options.fastopen?.cookie.length, 0, 'a cookie request, not the cached cookie (tcp_send_syn_data fallback)');
  assert.equal(sys.write(c, Buffer.from('after')), 5, 'the connection opened');
});

test('UDP: a receive into NULL fails with EFAULT and the datagram is lost (udp_recvmsg)', async () => {
  const p = pair();
  const r = p.b.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(p.b.sys.bind(r, { family: 4, address: '0.0.0.0', port: 53 }), 0);
  const u = p.a.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(p.a.sys.sendto(u, null, { family: 4, address: '10.0.0.2', port: 53 }), EFAULT);
  assert.equal(p.a.sys.sendto(u, Buffer.from('one'), { family: 4, address: '10.0.0.2', port: 53 }), 3);
  assert.equal(p.a.sys.sendto(u, Buffer.from('two'), { family: 4, address: '10.0.0.2', port: 53 }), 3);
  await p.world.run({ for: 10 });
  assert.equal(p.b.sys.recvfrom(r, 100, 0, null), EFAULT);
  const d = p.b.sys.recvfrom(r, 100);
  assert.ok(typeof d !== 'number');
  assert.equal(Buffer.from(d.data).toString(), 'two');
});
