// The socket calls on TCP sockets, with Linux's results: errno values, bind rules, dual stack,
// options, readiness, ss rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, AF_INET6, addr, connected, drain, must, pair } from './helpers.js';
import { POLLHUP, POLLIN, POLLOUT, SHUT_RD, SHUT_WR, SOCK_STREAM } from '../../src/uapi/socket.js';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';

test('errno results: EINPROGRESS, EALREADY, 0 then EISCONN; EAGAIN; EPIPE after SHUT_WR; ENOTCONN', async () => {
  const p = pair();
  const l = p.tb.socket(AF_INET);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(4));
  assert.equal(l.read(10), -107); // ENOTCONN on a listener
  assert.equal(l.accept(), -11); // EAGAIN
  assert.equal(l.connect(addr('10.0.0.1', 1)), -106); // EISCONN on a listener (Linux)
  const c = p.ta.socket(AF_INET);
  assert.equal(c.read(10), -107); // never connected
  assert.equal(c.write(Buffer.from('x')), -32); // Linux: EPIPE on an unconnected socket
  assert.equal(c.getpeername(), -107);
  assert.equal(c.shutdown(SHUT_WR), -107);
  const c2 = p.ta.socket(AF_INET);
  assert.equal(c2.connect(addr('10.0.0.2', 80)), -115);
  assert.equal(c2.connect(addr('10.0.0.2', 80)), -114);
  assert.equal(c2.write(Buffer.from('early')), -11); // EAGAIN while connecting
  assert.equal(c2.read(10), -11);
  await p.world.run({ for: 10 });
  assert.equal(c2.connect(addr('10.0.0.2', 80)), 0);
  assert.equal(c2.connect(addr('10.0.0.2', 80)), -106);
  must(c2.shutdown(SHUT_WR));
  assert.equal(c2.write(Buffer.from('late')), -32);
  assert.equal(c2.readiness() & POLLOUT, POLLOUT, 'writes fail at once: POLLOUT stays set');
  assert.equal(c2.shutdown(7), -22);
  const a = l.accept();
  assert.ok(typeof a !== 'number');
  const s = a.sock as TcpSocket;
  must(s.shutdown(SHUT_RD));
  const r = s.read(10);
  assert.ok(r instanceof Uint8Array && r.length === 0, 'SHUT_RD: reads end');
  assert.equal(s.readiness() & POLLIN, POLLIN);
});

test('bind rules: EADDRINUSE, SO_REUSEADDR with TIME-WAIT, a listener is never shared; EADDRNOTAVAIL; EINVAL', async () => {
  const p = pair();
  const x = p.ta.socket(AF_INET);
  must(x.bind(addr('0.0.0.0', 8080)));
  const y = p.ta.socket(AF_INET);
  assert.equal(y.bind(addr('10.0.0.1', 8080)), -98);
  assert.equal(x.bind(addr('0.0.0.0', 8081)), -22); // already bound
  const z = p.ta.socket(AF_INET);
  assert.equal(z.bind(addr('10.9.9.9', 80)), -99); // not our address
  assert.equal(z.bind(addr('fd00::1', 80)), -97); // EAFNOSUPPORT
  // Two bound sockets with SO_REUSEADDR share a port; only one may listen.
  const r1 = p.ta.socket(AF_INET);
  const r2 = p.ta.socket(AF_INET);
  must(r1.setsockopt('SOL_SOCKET', 'SO_REUSEADDR', 1));
  must(r2.setsockopt('SOL_SOCKET', 'SO_REUSEADDR', true));
  must(r1.bind(addr('0.0.0.0', 9000)));
  must(r2.bind(addr('0.0.0.0', 9000)));
  must(r1.listen(4));
  assert.equal(r2.listen(4), -98);
  // A server restarting while its old connection sits in TIME-WAIT: both the old and the new
  // socket need SO_REUSEADDR (Linux inet_bind_conflict checks both; node:net always sets it).
  const q = pair();
  const l = q.tb.socket(AF_INET);
  must(l.setsockopt('SOL_SOCKET', 'SO_REUSEADDR', 1));
  must(l.bind(addr('0.0.0.0', 7000)));
  must(l.listen(4));
  const c = q.ta.socket(AF_INET);
  c.connect(addr('10.0.0.2', 7000));
  await q.world.run({ for: 10 });
  const acc = l.accept();
  assert.ok(typeof acc !== 'number');
  const s = acc.sock as TcpSocket;
  s.close();
  await q.world.run({ for: 50 });
  c.close();
  l.close();
  await q.world.run({ for: 50 });
  assert.equal(q.tb.sockets().map((e) => e.state).join(), 'TIME-WAIT');
  const n1 = q.tb.socket(AF_INET);
  assert.equal(n1.bind(addr('0.0.0.0', 7000)), -98, 'TIME-WAIT holds the port');
  const n2 = q.tb.socket(AF_INET);
  must(n2.setsockopt('SOL_SOCKET', 'SO_REUSEADDR', 1));
  must(n2.bind(addr('0.0.0.0', 7000)));
  must(n2.listen(4));
});

test('listen() on an unbound socket takes an ephemeral port; backlog is capped by somaxconn', () => {
  const p = pair();
  const l = p.tb.socket(AF_INET);
  must(l.listen(-1));
  const port = (l.getsockname() as { port: number }).port;
  assert.ok(port >= 32768 && port <= 60999);
  assert.equal(l.backlog, 4096);
  assert.equal(l.getsockopt('SOL_SOCKET', 'SO_ACCEPTCONN'), 1);
  assert.deepEqual(p.tb.sockets().map((e) => [e.state, e.local, e.remote, e.recvQ, e.sendQ]), [['LISTEN', `0.0.0.0:${port}`, '0.0.0.0:*', 0, 4096]]);
});

test('dual stack: an AF_INET6 listener on :: accepts IPv4 clients, seen v4-mapped; IPV6_V6ONLY refuses them', async () => {
  const p = pair();
  const l = p.tb.socket(AF_INET6);
  must(l.bind(addr('::', 80)));
  must(l.listen(4));
  const c4 = p.ta.socket(AF_INET);
  assert.equal(c4.connect(addr('10.0.0.2', 80)), -115);
  const c6 = p.ta.socket(AF_INET6);
  assert.equal(c6.connect(addr('fd00::2', 80)), -115);
  // An AF_INET6 client can reach an IPv4 server through a v4-mapped address.
  const cm = p.ta.socket(AF_INET6);
  assert.equal(cm.connect(addr('::ffff:10.0.0.2', 80)), -115);
  await p.world.run({ for: 20 });
  const peers: string[] = [];
  for (;;) { const a = l.accept(); if (typeof a === 'number') break; peers.push((a.peer as { address: string }).address); }
  assert.deepEqual(peers.sort(), ['::ffff:10.0.0.1', '::ffff:10.0.0.1', 'fd00::1']);
  assert.equal((cm.getsockname() as { address: string }).address, '::ffff:10.0.0.1');
  assert.equal(cm.info().sndMss, 1500 - 40 - 12, 'the mapped connection runs over IPv4');
  assert.equal(c6.info().sndMss, 1500 - 60 - 12);
  const v6only = p.tb.socket(AF_INET6);
  must(v6only.setsockopt('IPPROTO_IPV6', 'IPV6_V6ONLY', 1));
  must(v6only.bind(addr('::', 81)));
  must(v6only.listen(4));
  const c = p.ta.socket(AF_INET);
  c.connect(addr('10.0.0.2', 81));
  await p.world.run({ for: 20 });
  assert.equal(c.getsockopt('SOL_SOCKET', 'SO_ERROR'), 111);
  const m = p.ta.socket(AF_INET6);
  must(m.setsockopt('IPPROTO_IPV6', 'IPV6_V6ONLY', 1));
  assert.equal(m.connect(addr('::ffff:10.0.0.2', 80)), -101); // ENETUNREACH
  assert.equal(m.setsockopt('IPPROTO_IPV6', 'IPV6_V6ONLY', 0), 0);
  const bound = p.ta.socket(AF_INET6);
  must(bound.bind(addr('::', 0)));
  assert.equal(bound.setsockopt('IPPROTO_IPV6', 'IPV6_V6ONLY', 1), -22, 'not once bound');
});

test('socket options: Linux doubles SO_RCVBUF/SO_SNDBUF, TCP_CONGESTION, TCP_MAXSEG, SO_TYPE, bad values', async () => {
  const p = pair();
  const s = p.ta.socket(AF_INET);
  assert.equal(s.getsockopt('SOL_SOCKET', 'SO_TYPE'), SOCK_STREAM);
  assert.equal(s.getsockopt('SOL_SOCKET', 'SO_RCVBUF'), 131072);
  assert.equal(s.getsockopt('SOL_SOCKET', 'SO_SNDBUF'), 16384);
  must(s.setsockopt('SOL_SOCKET', 'SO_RCVBUF', 65536));
  assert.equal(s.getsockopt('SOL_SOCKET', 'SO_RCVBUF'), 131072);
  must(s.setsockopt('SOL_SOCKET', 'SO_SNDBUF', 1 << 30));
  assert.equal(s.getsockopt('SOL_SOCKET', 'SO_SNDBUF'), 212992 * 2, 'capped by wmem_max, then doubled');
  assert.equal(s.getsockopt('IPPROTO_TCP', 'TCP_CONGESTION'), 'cubic');
  must(s.setsockopt('IPPROTO_TCP', 'TCP_CONGESTION', 'reno'));
  assert.equal(s.getsockopt('IPPROTO_TCP', 'TCP_CONGESTION'), 'reno');
  assert.equal(s.setsockopt('IPPROTO_TCP', 'TCP_CONGESTION', 'bbr'), -2); // ENOENT
  assert.equal(s.getsockopt('IPPROTO_TCP', 'TCP_MAXSEG'), 536);
  assert.equal(s.setsockopt('IPPROTO_TCP', 'TCP_MAXSEG', 10), -22);
  must(s.setsockopt('IPPROTO_TCP', 'TCP_MAXSEG', 1000));
  assert.equal(s.setsockopt('IPPROTO_TCP', 'TCP_KEEPIDLE', 0), -22);
  assert.equal(s.setsockopt('IPPROTO_TCP', 'TCP_NOPE', 1), -92); // ENOPROTOOPT
  assert.deepEqual(s.getsockopt('SOL_SOCKET', 'SO_LINGER'), { onoff: 0, linger: 0 });
  const l = p.tb.socket(AF_INET);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(4));
  assert.equal(s.connect(addr('10.0.0.2', 80)), -115);
  await p.world.run({ for: 10 });
  // TCP_MAXSEG before connect: announced and used.
  assert.equal(s.getsockopt('IPPROTO_TCP', 'TCP_MAXSEG'), 1000 - 12);
  const a = l.accept();
  assert.ok(typeof a !== 'number');
  assert.equal((a.sock as TcpSocket).info().sndMss, 1000 - 12);
  assert.equal(s.info().congestion, 'reno');
});

test('SO_MARK: a 32-bit mark, read back, inherited by an accepted connection from its listener', async () => {
  const p = pair();
  const l = p.tb.socket(AF_INET);
  assert.equal(l.getsockopt('SOL_SOCKET', 'SO_MARK'), 0);
  must(l.setsockopt('SOL_SOCKET', 'SO_MARK', 666));
  assert.equal(l.getsockopt('SOL_SOCKET', 'SO_MARK'), 666);
  must(l.setsockopt('SOL_SOCKET', 'SO_MARK', -1));
  assert.equal(l.getsockopt('SOL_SOCKET', 'SO_MARK'), 0xffffffff, 'an unsigned 32-bit value, as Linux keeps sk_mark');
  assert.equal(l.setsockopt('SOL_SOCKET', 'SO_MARK', 'x'), -22);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(4));
  const c = p.ta.socket(AF_INET);
  assert.equal(c.connect(addr('10.0.0.2', 80)), -115);
  await p.world.run({ for: 10 });
  const a = l.accept();
  assert.ok(typeof a !== 'number');
  assert.equal((a.sock as TcpSocket).getsockopt('SOL_SOCKET', 'SO_MARK'), 0xffffffff);
  assert.equal(c.getsockopt('SOL_SOCKET', 'SO_MARK'), 0);
});

test('readiness: POLLHUP after both FINs; onReady called on data, on space, on hangup', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const seen: number[] = [];
  s.onReady = (ev) => seen.push(ev);
  c.write(Buffer.from('abc'));
  await p.world.run({ for: 1 });
  assert.ok(seen.some((e) => (e & POLLIN) !== 0));
  drain(s);
  c.shutdown(SHUT_WR);
  s.shutdown(SHUT_WR);
  await p.world.run({ for: 100 });
  assert.equal(s.readiness() & POLLHUP, POLLHUP);
  assert.equal(c.readiness() & POLLHUP, POLLHUP);
});

test('ss rows: state names, addresses, queues', async () => {
  const p = pair();
  const [c, s] = await connected(p, 443);
  c.write(Buffer.from('12345'));
  await p.world.run({ for: 1 });
  const rows = p.tb.sockets();
  assert.deepEqual(rows.map((r) => [r.proto, r.state, r.local, r.remote.replace(/:\d+$/, ':P'), r.recvQ, r.sendQ]),
    [['tcp', 'LISTEN', '0.0.0.0:443', '0.0.0.0:*', 0, 16], ['tcp', 'ESTAB', '10.0.0.2:443', '10.0.0.1:P', 5, 0]]);
  assert.equal(rows[1]!.info.state, 'ESTAB');
  void s;
});

test('IPv6 link-local peers: connect with a scope id, data both ways', async () => {
  const p = pair();
  const ifa = p.a.kernel.iface('eth0')!;
  const ifb = p.b.kernel.iface('eth0')!;
  const llb = ifb.v6.find((x) => x.address.startsWith('fe80'))!.address;
  const l = p.tb.socket(AF_INET6);
  must(l.bind(addr('::', 80)));
  must(l.listen(4));
  const c = p.ta.socket(AF_INET6);
  assert.equal(c.connect({ family: 6, address: llb, port: 80, scopeid: ifa.ifindex }), -115);
  await p.world.run({ for: 50 });
  const a = l.accept();
  assert.ok(typeof a !== 'number');
  const s = a.sock as TcpSocket;
  c.write(Buffer.from('via link-local'));
  s.write(Buffer.from('back'));
  await p.world.run({ for: 50 });
  assert.equal(drain(s).data.toString(), 'via link-local');
  assert.equal(drain(c).data.toString(), 'back');
  assert.ok((a.peer as { address: string }).address.startsWith('fe80'));
});
