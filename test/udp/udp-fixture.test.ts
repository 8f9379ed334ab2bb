// UDP and sys over a fixture IP layer (test/udp/fake-ip.ts): socket rules that do not need
// the real IP layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Udp } from '../../src/kernel/udp.js';
import { Random } from '../../src/links/random.js';
import { Sys } from '../../src/sys/sys.js';
import { AF_INET, AF_INET6, SOCK_DGRAM, POLLIN, POLLERR, type Datagram, type InetAddr, type PollFd } from '../../src/uapi/socket.js';
import {
  EACCES, EADDRINUSE, EADDRNOTAVAIL, EAGAIN, EBADF, ECONNREFUSED, EDESTADDRREQ, EINVAL, EMSGSIZE, ENOTCONN,
} from '../../src/uapi/errno.js';
import { FakeIp, FakeSegment, settle } from './fake-ip.js';

function pair() {
  const seg = new FakeSegment();
  const ipa = new FakeIp(seg, '10.0.0.1', 'fd00::1');
  const ipb = new FakeIp(seg, '10.0.0.2', 'fd00::2');
  const mk = (ip: FakeIp, seed: number) => {
    const udp = new Udp(ip, new Random(seed));
    const sys = new Sys();
    sys.registerFactory(AF_INET, SOCK_DGRAM, () => udp.socket(AF_INET));
    sys.registerFactory(AF_INET6, SOCK_DGRAM, () => udp.socket(AF_INET6));
    return { ip, udp, sys };
  };
  return { seg, a: mk(ipa, 1), b: mk(ipb, 2) };
}
const v4 = (address: string, port: number): InetAddr => ({ family: 4, address, port });
const v6 = (address: string, port: number): InetAddr => ({ family: 6, address, port });
const text = (d: Datagram | number): string => (typeof d === 'number' ? `errno ${d}` : Buffer.from(d.data).toString());

test('udp: datagrams both ways in IPv4 and IPv6, sender address and port reported', async () => {
  const { a, b } = pair();
  const s = b.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(s, 3);
  assert.equal(b.sys.bind(s, v4('0.0.0.0', 5353)), 0);
  const c = a.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(a.sys.sendto(c, Buffer.from('hello'), v4('10.0.0.2', 5353)), 5);
  await settle();
  const d = b.sys.recvfrom(s) as Datagram;
  assert.equal(text(d), 'hello');
  const from = d.from as InetAddr;
  assert.equal(from.address, '10.0.0.1');
  const me = a.sys.getsockname(c) as InetAddr;
  assert.equal(from.port, me.port);
  assert.ok(me.port >= 32768 && me.port <= 60999);
  assert.equal(b.sys.sendto(s, [Buffer.from('wor'), Buffer.from('ld')], from), 5);
  await settle();
  assert.equal(text(a.sys.recvfrom(c)), 'world');
  assert.equal(a.sys.recvfrom(c), -EAGAIN);
  // IPv6
  const s6 = b.sys.socket(AF_INET6, SOCK_DGRAM);
  assert.equal(b.sys.bind(s6, v6('fd00::2', 9)), 0);
  const c6 = a.sys.socket(AF_INET6, SOCK_DGRAM);
  assert.equal(a.sys.sendto(c6, Buffer.from('six'), v6('fd00::2', 9)), 3);
  await settle();
  const d6 = b.sys.recvfrom(s6) as Datagram;
  assert.equal(text(d6), 'six');
  assert.equal((d6.from as InetAddr).address, 'fd00::1');
  assert.equal(b.udp.stats4.InDatagrams, 1);
  assert.equal(b.udp.stats6.InDatagrams, 1);
});

test('udp: a dual-stack socket receives IPv4 as v4-mapped; v6only does not', async () => {
  const { a, b } = pair();
  const s = b.sys.socket(AF_INET6, SOCK_DGRAM);
  assert.equal(b.sys.bind(s, v6('::', 7000)), 0);
  const c = a.sys.socket(AF_INET, SOCK_DGRAM);
  a.sys.sendto(c, Buffer.from('x'), v4('10.0.0.2', 7000));
  await settle();
  const d = b.sys.recvfrom(s) as Datagram;
  assert.equal((d.from as InetAddr).address, '::ffff:10.0.0.1');
  assert.equal((d.from as InetAddr).family, 6);
  const o = b.sys.socket(AF_INET6, SOCK_DGRAM);
  assert.equal(b.sys.setsockopt(o, 'IPPROTO_IPV6', 'IPV6_V6ONLY', 1), 0);
  assert.equal(b.sys.bind(o, v6('::', 7001)), 0);
  assert.equal(b.sys.setsockopt(o, 'IPPROTO_IPV6', 'IPV6_V6ONLY', 0), -EINVAL); // only before bind
  a.sys.sendto(c, Buffer.from('y'), v4('10.0.0.2', 7001));
  await settle();
  assert.equal(b.sys.recvfrom(o), -EAGAIN);
  assert.equal(b.udp.stats4.NoPorts, 1);
  assert.equal(b.ip.unreachables.length, 1);
  // The v6only socket leaves the IPv4 port free.
  const f = b.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(b.sys.bind(f, v4('0.0.0.0', 7001)), 0);
  assert.equal(b.sys.bind(b.sys.socket(AF_INET, SOCK_DGRAM), v4('0.0.0.0', 7000)), -EADDRINUSE);
});

test('udp: bind errors like Linux', () => {
  const { a } = pair();
  const s = a.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(a.sys.bind(s, v4('10.0.0.9', 1)), -EADDRNOTAVAIL);
  assert.equal(a.sys.bind(s, v4('10.0.0.1', 53)), 0);
  assert.equal(a.sys.bind(s, v4('10.0.0.1', 54)), -EINVAL); // already bound
  const t = a.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(a.sys.bind(t, v4('10.0.0.1', 53)), -EADDRINUSE);
  assert.equal(a.sys.bind(t, v4('0.0.0.0', 53)), -EADDRINUSE);
  assert.equal(a.sys.bind(t, v4('127.0.0.1', 53)), 0);
  assert.equal(a.sys.bind(99, v4('0.0.0.0', 1)), -EBADF);
  assert.equal(a.sys.bind(a.sys.socket(AF_INET, SOCK_DGRAM), v6('::', 1)), -97); // EAFNOSUPPORT
  assert.equal(a.sys.bind(a.sys.socket(AF_INET, SOCK_DGRAM), v4('not-an-ip', 1)), -EINVAL);
});

test('udp: SO_REUSEADDR lets two sockets share a port; both hear broadcasts', async () => {
  const { a, b } = pair();
  const s1 = b.sys.socket(AF_INET, SOCK_DGRAM);
  const s2 = b.sys.socket(AF_INET, SOCK_DGRAM);
  for (const s of [s1, s2]) {
    assert.equal(b.sys.setsockopt(s, 'SOL_SOCKET', 'SO_REUSEADDR', true), 0);
    assert.equal(b.sys.bind(s, v4('0.0.0.0', 67)), 0);
  }
  const c = a.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(a.sys.sendto(c, Buffer.from('dhcp'), v4('255.255.255.255', 67)), -EACCES);
  assert.equal(a.sys.sendto(c, Buffer.from('dhcp'), v4('10.0.0.255', 67)), -EACCES);
  assert.equal(a.sys.setsockopt(c, 'SOL_SOCKET', 'SO_BROADCAST', 1), 0);
  assert.equal(a.sys.sendto(c, Buffer.from('dhcp'), v4('255.255.255.255', 67)), 4);
  await settle();
  assert.equal(text(b.sys.recvfrom(s1)), 'dhcp');
  assert.equal(text(b.sys.recvfrom(s2)), 'dhcp');
});

test('udp: connected socket: filters other senders, ICMP port unreachable -> ECONNREFUSED once', async () => {
  const { a, b } = pair();
  const c = a.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(a.sys.send(c, Buffer.from('x')), -EDESTADDRREQ);
  assert.equal(a.sys.getpeername(c), -ENOTCONN);
  assert.equal(a.sys.connect(c, v4('10.0.0.2', 4000)), 0);
  assert.deepEqual(a.sys.getpeername(c), v4('10.0.0.2', 4000));
  assert.equal((a.sys.getsockname(c) as InetAddr).address, '10.0.0.1'); // the route's source, fixed by connect
  let woke = 0;
  a.sys.watch(c, POLLIN, (r) => { if (r & POLLERR) woke++; });
  assert.equal(a.sys.send(c, Buffer.from('ping')), 4);
  await settle(5);
  assert.equal(woke, 1);
  assert.equal(a.sys.getsockopt(c, 'SOL_SOCKET', 'SO_ERROR'), ECONNREFUSED);
  assert.equal(a.sys.getsockopt(c, 'SOL_SOCKET', 'SO_ERROR'), 0);
  a.sys.send(c, Buffer.from('ping'));
  await settle(5);
  assert.equal(a.sys.recvfrom(c), -ECONNREFUSED);
  assert.equal(a.sys.recvfrom(c), -EAGAIN);
  // An unconnected socket hears nothing of it (Linux without IP_RECVERR).
  const u = a.sys.socket(AF_INET, SOCK_DGRAM);
  a.sys.sendto(u, Buffer.from('ping'), v4('10.0.0.2', 4001));
  await settle(5);
  assert.equal(a.sys.getsockopt(u, 'SOL_SOCKET', 'SO_ERROR'), 0);
  // Filtering: only the peer's datagrams reach a connected socket.
  const srv = b.sys.socket(AF_INET, SOCK_DGRAM);
  b.sys.bind(srv, v4('0.0.0.0', 4000));
  const other = b.sys.socket(AF_INET, SOCK_DGRAM);
  b.sys.bind(other, v4('0.0.0.0', 4002));
  const port = (a.sys.getsockname(c) as InetAddr).port;
  b.sys.sendto(other, Buffer.from('stranger'), v4('10.0.0.1', port));
  b.sys.sendto(srv, Buffer.from('peer'), v4('10.0.0.1', port));
  await settle();
  assert.equal(text(a.sys.recvfrom(c)), 'peer');
  assert.equal(a.sys.recvfrom(c), -EAGAIN);
  // Disconnect (AF_UNSPEC): the ephemeral port and address are released.
  assert.equal(a.sys.connect(c, { family: 4, address: '', port: 0 }), 0);
  assert.deepEqual(a.sys.getsockname(c), v4('0.0.0.0', 0));
});

test('udp: receive buffer limit drops and counts RcvbufErrors; SO_RCVBUF doubles like Linux', async () => {
  const { a, b } = pair();
  const s = b.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(b.sys.getsockopt(s, 'SOL_SOCKET', 'SO_RCVBUF'), 212992);
  assert.equal(b.sys.setsockopt(s, 'SOL_SOCKET', 'SO_RCVBUF', 4096), 0);
  assert.equal(b.sys.getsockopt(s, 'SOL_SOCKET', 'SO_RCVBUF'), 8192);
  assert.equal(b.sys.setsockopt(s, 'SOL_SOCKET', 'SO_RCVBUF', 1), 0);
  assert.equal(b.sys.getsockopt(s, 'SOL_SOCKET', 'SO_RCVBUF'), 2304);
  assert.equal(b.sys.setsockopt(s, 'SOL_SOCKET', 'SO_RCVBUF', 1 << 30), 0);
  assert.equal(b.sys.getsockopt(s, 'SOL_SOCKET', 'SO_RCVBUF'), 425984);
  b.sys.setsockopt(s, 'SOL_SOCKET', 'SO_RCVBUF', 4096);
  b.sys.bind(s, v4('0.0.0.0', 9999));
  const c = a.sys.socket(AF_INET, SOCK_DGRAM);
  for (let i = 0; i < 20; i++) a.sys.sendto(c, new Uint8Array(1000), v4('10.0.0.2', 9999));
  await settle();
  let got = 0;
  while (typeof b.sys.recvfrom(s) !== 'number') got++;
  // Each 1000-byte datagram costs 576 + 1152 = 1728 bytes: queued while the charge is <= 8192.
  assert.equal(got, 5);
  assert.equal(b.udp.stats4.RcvbufErrors, 15);
  assert.equal(b.udp.stats4.InErrors, 15);
});

test('udp: message size limits and truncation', async () => {
  const { a, b } = pair();
  const c = a.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(a.sys.sendto(c, new Uint8Array(65508), v4('10.0.0.2', 1)), -EMSGSIZE);
  const c6 = a.sys.socket(AF_INET6, SOCK_DGRAM);
  assert.equal(a.sys.sendto(c6, new Uint8Array(65528), v6('fd00::2', 1)), -EMSGSIZE);
  const s = b.sys.socket(AF_INET, SOCK_DGRAM);
  b.sys.bind(s, v4('0.0.0.0', 1));
  assert.equal(a.sys.sendto(c, new Uint8Array(65507), v4('10.0.0.2', 1)), 65507);
  a.sys.sendto(c, Buffer.from('abcdef'), v4('10.0.0.2', 1));
  await settle();
  assert.equal((b.sys.recvfrom(s) as Datagram).data.length, 65507);
  const d = b.sys.recvfrom(s, 3) as Datagram;
  assert.equal(text(d), 'abc');
  assert.equal(d.truncated, true);
});

test('udp: multicast: join, delivery to joined hosts, loopback on and off, source filters', async () => {
  const { seg, a, b } = pair();
  const r = b.sys.socket(AF_INET, SOCK_DGRAM);
  b.sys.bind(r, v4('0.0.0.0', 5000));
  assert.equal(b.sys.setsockopt(r, 'IPPROTO_IP', 'IP_ADD_MEMBERSHIP', { multiaddr: '10.0.0.1' }), -EINVAL);
  assert.equal(b.sys.setsockopt(r, 'IPPROTO_IP', 'IP_ADD_MEMBERSHIP', { multiaddr: '239.1.1.1' }), 0);
  assert.equal(b.sys.setsockopt(r, 'IPPROTO_IP', 'IP_ADD_MEMBERSHIP', { multiaddr: '239.1.1.1' }), -EADDRINUSE);
  assert.ok(b.ip.isMember(4, '239.1.1.1', 2));
  const s = a.sys.socket(AF_INET, SOCK_DGRAM);
  a.sys.bind(s, v4('0.0.0.0', 5000));
  a.sys.setsockopt(s, 'IPPROTO_IP', 'IP_ADD_MEMBERSHIP', { multiaddr: '239.1.1.1', interface: '10.0.0.1' });
  assert.equal(a.sys.sendto(s, Buffer.from('m1'), v4('239.1.1.1', 5000)), 2);
  await settle();
  assert.equal(seg.log.at(-1)!.ttl, 1); // IP_MULTICAST_TTL defaults to 1
  assert.equal(text(b.sys.recvfrom(r)), 'm1');
  assert.equal(text(a.sys.recvfrom(s)), 'm1'); // looped back
  a.sys.setsockopt(s, 'IPPROTO_IP', 'IP_MULTICAST_LOOP', 0);
  a.sys.setsockopt(s, 'IPPROTO_IP', 'IP_MULTICAST_TTL', 8);
  a.sys.sendto(s, Buffer.from('m2'), v4('239.1.1.1', 5000));
  await settle();
  assert.equal(seg.log.at(-1)!.ttl, 8);
  assert.equal(text(b.sys.recvfrom(r)), 'm2');
  assert.equal(a.sys.recvfrom(s), -EAGAIN);
  assert.equal(b.sys.setsockopt(r, 'IPPROTO_IP', 'IP_DROP_MEMBERSHIP', { multiaddr: '239.1.1.1' }), 0);
  assert.equal(b.sys.setsockopt(r, 'IPPROTO_IP', 'IP_DROP_MEMBERSHIP', { multiaddr: '239.1.1.1' }), -EADDRNOTAVAIL);
  assert.ok(!b.ip.isMember(4, '239.1.1.1', 2));
  // Source-specific: only the listed source gets through.
  assert.equal(b.sys.setsockopt(r, 'IPPROTO_IP', 'IP_ADD_SOURCE_MEMBERSHIP', { multiaddr: '232.1.1.1', sourceaddr: '10.0.0.7' }), 0);
  a.sys.sendto(s, Buffer.from('m3'), v4('232.1.1.1', 5000));
  await settle();
  assert.equal(b.sys.recvfrom(r), -EAGAIN);
  assert.equal(b.sys.setsockopt(r, 'IPPROTO_IP', 'IP_ADD_SOURCE_MEMBERSHIP', { multiaddr: '232.1.1.1', sourceaddr: '10.0.0.1' }), 0);
  a.sys.sendto(s, Buffer.from('m4'), v4('232.1.1.1', 5000));
  await settle();
  assert.equal(text(b.sys.recvfrom(r)), 'm4');
  assert.equal(b.sys.setsockopt(r, 'IPPROTO_IP', 'IP_ADD_MEMBERSHIP', { multiaddr: '232.1.1.1' }), -EADDRINUSE);
});

test('sys: lowest free descriptor, trace lines, poll and watch', async () => {
  const { a } = pair();
  const lines: string[] = [];
  const stop = a.sys.trace((l) => lines.push(l));
  const x = a.sys.socket(AF_INET, SOCK_DGRAM);
  const y = a.sys.socket(AF_INET, SOCK_DGRAM);
  const z = a.sys.socket(AF_INET, SOCK_DGRAM);
  assert.deepEqual([x, y, z], [3, 4, 5]);
  a.sys.close(y);
  assert.equal(a.sys.socket(AF_INET, SOCK_DGRAM), 4);
  a.sys.bind(x, v4('10.0.0.1', 53));
  a.sys.bind(z, v4('10.0.0.1', 53));
  assert.equal(a.sys.close(42), -EBADF);
  stop();
  a.sys.close(x);
  assert.deepEqual(lines, [
    'socket(AF_INET, SOCK_DGRAM, 0) = 3',
    'socket(AF_INET, SOCK_DGRAM, 0) = 4',
    'socket(AF_INET, SOCK_DGRAM, 0) = 5',
    'close(4) = 0',
    'socket(AF_INET, SOCK_DGRAM, 0) = 4',
    'bind(3, {10.0.0.1:53}) = 0',
    'bind(5, {10.0.0.1:53}) = -1 EADDRINUSE',
    'close(42) = -1 EBADF',
  ]);
  assert.equal(a.sys.socket(99 as never, SOCK_DGRAM), -97);
  // watch: immediate (deferred) callback when already ready, then edges.
  const s = a.sys.socket(AF_INET, SOCK_DGRAM);
  a.sys.bind(s, v4('127.0.0.1', 1000));
  const seen: number[] = [];
  const unwatch = a.sys.watch(s, POLLIN, (r) => seen.push(r));
  assert.deepEqual(seen, []);
  a.sys.sendto(s, Buffer.from('self'), v4('127.0.0.1', 1000));
  await settle();
  assert.deepEqual(seen, [POLLIN]);
  const pf: PollFd[] = [{ fd: s, events: POLLIN }, { fd: 77, events: POLLIN }];
  assert.equal(a.sys.poll(pf), 2);
  assert.equal(pf[0]!.revents, POLLIN);
  assert.equal(pf[1]!.revents, 0x20);
  const again: number[] = [];
  a.sys.watch(s, POLLIN, (r) => again.push(r));
  assert.deepEqual(again, []);
  await Promise.resolve();
  assert.deepEqual(again, [POLLIN]);
  unwatch();
});

test('udp: SO_REUSEPORT group shares a port; each flow sticks to one socket; most specific bind wins', async () => {
  const { a, b } = pair();
  const g = [b.sys.socket(AF_INET, SOCK_DGRAM), b.sys.socket(AF_INET, SOCK_DGRAM)];
  for (const s of g) {
    b.sys.setsockopt(s, 'SOL_SOCKET', 'SO_REUSEPORT', 1);
    assert.equal(b.sys.bind(s, v4('0.0.0.0', 8000)), 0);
  }
  const senders = Array.from({ length: 16 }, () => a.sys.socket(AF_INET, SOCK_DGRAM));
  for (let round = 0; round < 2; round++) {
    for (const s of senders) a.sys.sendto(s, Buffer.from(String(s)), v4('10.0.0.2', 8000));
  }
  await settle();
  const byFlow = new Map<string, Set<number>>();
  const counts = [0, 0];
  g.forEach((s, i) => {
    for (;;) {
      const d = b.sys.recvfrom(s);
      if (typeof d === 'number') break;
      counts[i]!++;
      const k = text(d);
      byFlow.set(k, (byFlow.get(k) ?? new Set()).add(i));
    }
  });
  assert.equal(counts[0]! + counts[1]!, 32);
  assert.ok(counts[0]! > 0 && counts[1]! > 0, `both sockets get flows: ${counts}`);
  for (const [, socks] of byFlow) assert.equal(socks.size, 1);
  // A socket bound to the address itself takes unicast from the wildcard group.
  const specific = b.sys.socket(AF_INET, SOCK_DGRAM);
  b.sys.setsockopt(specific, 'SOL_SOCKET', 'SO_REUSEPORT', 1);
  assert.equal(b.sys.bind(specific, v4('10.0.0.2', 8000)), 0);
  a.sys.sendto(senders[0]!, Buffer.from('to specific'), v4('10.0.0.2', 8000));
  await settle();
  assert.equal(text(b.sys.recvfrom(specific)), 'to specific');
});
