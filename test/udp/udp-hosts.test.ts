// UDP between hosts of a real virtual network (kernel, switch, ARP/NDP), through host.sys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/index.js';
import { AF_INET, AF_INET6, SOCK_DGRAM, POLLIN, POLLERR, type Datagram, type InetAddr } from '../../src/uapi/socket.js';
import { EACCES, EAGAIN, ECONNREFUSED } from '../../src/uapi/errno.js';
import { parseEthernet } from '../../src/wire/ethernet.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { parseIcmpv6 } from '../../src/wire/icmpv6.js';
import { WireError } from '../../src/wire/error.js';

function lan() {
  const world = new Network({ seed: 11 });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  const c = world.host('c');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  c.attach(sw, { ipv4: '10.0.0.3/24', ipv6: 'fd00::3/64' });
  return { world, sw, a, b, c };
}
const v4 = (address: string, port: number): InetAddr => ({ family: 4, address, port });
const v6 = (address: string, port: number): InetAddr => ({ family: 6, address, port });
const text = (d: Datagram | number): string => (typeof d === 'number' ? `errno ${d}` : Buffer.from(d.data).toString());

test('udp hosts: a datagram each way in IPv4 and IPv6 across the switch', async () => {
  const { world, a, b } = lan();
  for (const [domain, addrOf] of [[AF_INET, (h: string) => v4(h === 'a' ? '10.0.0.1' : '10.0.0.2', 4000)],
    [AF_INET6, (h: string) => v6(h === 'a' ? 'fd00::1' : 'fd00::2', 4000)]] as const) {
    const sa = a.sys.socket(domain, SOCK_DGRAM);
    const sb = b.sys.socket(domain, SOCK_DGRAM);
    assert.equal(a.sys.bind(sa, addrOf('a')), 0);
    assert.equal(b.sys.bind(sb, addrOf('b')), 0);
    assert.equal(a.sys.sendto(sa, Buffer.from('ping'), addrOf('b')), 4);
    await world.run();
    const d = b.sys.recvfrom(sb) as Datagram;
    assert.equal(text(d), 'ping');
    assert.deepEqual({ address: (d.from as InetAddr).address, port: (d.from as InetAddr).port },
      { address: addrOf('a').address, port: 4000 });
    assert.equal(b.sys.sendto(sb, Buffer.from('pong'), d.from), 4);
    await world.run();
    assert.equal(text(a.sys.recvfrom(sa)), 'pong');
    a.sys.close(sa); b.sys.close(sb);
  }
  assert.equal(b.kernel.stats.udp!.InDatagrams, 1);
  assert.equal(b.kernel.stats.udp6!.InDatagrams, 1);
  assert.equal(a.kernel.stats.udp!.OutDatagrams, 1);
});

test('udp hosts: ICMP port unreachable reaches a connected socket as ECONNREFUSED, once', async () => {
  const { world, a, b } = lan();
  const s = a.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(a.sys.connect(s, v4('10.0.0.2', 9)), 0);
  const woke: number[] = [];
  a.sys.watch(s, POLLIN, (r) => woke.push(r));
  assert.equal(a.sys.send(s, Buffer.from('x')), 1);
  await world.run();
  assert.equal(b.kernel.stats.udp!.NoPorts, 1);
  assert.ok(woke.some((r) => (r & POLLERR) !== 0));
  assert.equal(a.sys.recvfrom(s), -ECONNREFUSED);
  assert.equal(a.sys.recvfrom(s), -EAGAIN);
  // The next send after another refusal fails with it (Linux sock_error in sendmsg).
  a.sys.send(s, Buffer.from('y'));
  await world.run();
  assert.equal(a.sys.send(s, Buffer.from('z')), -ECONNREFUSED);
  // An unconnected socket is not told.
  const u = a.sys.socket(AF_INET6, SOCK_DGRAM);
  a.sys.sendto(u, Buffer.from('x'), v6('fd00::2', 9));
  await world.run();
  assert.equal(b.kernel.stats.udp6!.NoPorts, 1);
  assert.equal(a.sys.getsockopt(u, 'SOL_SOCKET', 'SO_ERROR'), 0);
  assert.equal(a.sys.recvfrom(u), -EAGAIN);
});

test('udp hosts: broadcast needs SO_BROADCAST and reaches every host listening on the port', async () => {
  const { world, a, b, c } = lan();
  const rb = b.sys.socket(AF_INET, SOCK_DGRAM);
  const rc = c.sys.socket(AF_INET, SOCK_DGRAM);
  b.sys.bind(rb, v4('0.0.0.0', 67));
  c.sys.bind(rc, v4('0.0.0.0', 67));
  const s = a.sys.socket(AF_INET, SOCK_DGRAM);
  assert.equal(a.sys.sendto(s, Buffer.from('hello all'), v4('255.255.255.255', 67)), -EACCES);
  assert.equal(a.sys.sendto(s, Buffer.from('hello all'), v4('10.0.0.255', 67)), -EACCES);
  assert.equal(a.sys.setsockopt(s, 'SOL_SOCKET', 'SO_BROADCAST', 1), 0);
  assert.equal(a.sys.sendto(s, Buffer.from('hello all'), v4('10.0.0.255', 67)), 9);
  await world.run();
  assert.equal(text(b.sys.recvfrom(rb)), 'hello all');
  assert.equal(text(c.sys.recvfrom(rc)), 'hello all');
  // A socket bound to the unicast address does not hear broadcasts (Linux).
  const only = b.sys.socket(AF_INET, SOCK_DGRAM);
  b.sys.bind(only, v4('10.0.0.2', 68));
  a.sys.sendto(s, Buffer.from('again'), v4('255.255.255.255', 68));
  await world.run();
  assert.equal(b.sys.recvfrom(only), -EAGAIN);
  assert.equal(b.kernel.stats.udp!.IgnoredMulti, 1);
});

test('udp hosts: joining a group sends IGMP / MLD reports; multicast reaches joined hosts; loopback on and off', async () => {
  const { world, sw, a, b, c } = lan();
  const igmp: string[] = [];
  const mld: string[] = [];
  sw.addTap((frame) => {
    const e = parseEthernet(frame);
    if (e instanceof WireError) return;
    if (e.etherType === 0x0800) {
      const ip = parseIpv4(e.payload);
      if (!(ip instanceof WireError) && ip.protocol === 2) igmp.push(`${ip.src.join('.')}>${ip.dst.join('.')}`);
    } else if (e.etherType === 0x86dd) {
      const ip = parseIpv6(e.payload);
      if (ip instanceof WireError || ip.nextHeader !== 58) return;
      const m = parseIcmpv6(ip.payload, ip.src, ip.dst);
      if (!(m instanceof WireError) && (m.type === 131 || m.type === 143)) mld.push(String(m.type));
    }
  });
  const rb = b.sys.socket(AF_INET, SOCK_DGRAM);
  b.sys.bind(rb, v4('0.0.0.0', 5000));
  assert.equal(b.sys.setsockopt(rb, 'IPPROTO_IP', 'IP_ADD_MEMBERSHIP', { multiaddr: '239.1.2.3', interface: '10.0.0.2' }), 0);
  const rc = c.sys.socket(AF_INET, SOCK_DGRAM);
  c.sys.bind(rc, v4('0.0.0.0', 5000)); // not joined
  const rb6 = b.sys.socket(AF_INET6, SOCK_DGRAM);
  b.sys.bind(rb6, v6('::', 5001));
  assert.equal(b.sys.setsockopt(rb6, 'IPPROTO_IPV6', 'IPV6_JOIN_GROUP', { multiaddr: 'ff12::1:2', interface: 2 }), 0);
  await world.run();
  assert.ok(igmp.some((x) => x.startsWith('10.0.0.2>')), `IGMP reports: ${igmp.join(' ')}`);
  assert.ok(mld.length > 0, 'an MLD report');

  const s = a.sys.socket(AF_INET, SOCK_DGRAM);
  a.sys.bind(s, v4('0.0.0.0', 5000));
  a.sys.setsockopt(s, 'IPPROTO_IP', 'IP_ADD_MEMBERSHIP', { multiaddr: '239.1.2.3', interface: '10.0.0.1' });
  a.sys.sendto(s, Buffer.from('m1'), v4('239.1.2.3', 5000));
  await world.run();
  assert.equal(text(b.sys.recvfrom(rb)), 'm1');
  assert.equal(c.sys.recvfrom(rc), -EAGAIN);
  assert.equal(text(a.sys.recvfrom(s)), 'm1'); // IP_MULTICAST_LOOP is on by default
  a.sys.setsockopt(s, 'IPPROTO_IP', 'IP_MULTICAST_LOOP', 0);
  a.sys.sendto(s, Buffer.from('m2'), v4('239.1.2.3', 5000));
  await world.run();
  assert.equal(text(b.sys.recvfrom(rb)), 'm2');
  assert.equal(a.sys.recvfrom(s), -EAGAIN);

  const s6 = a.sys.socket(AF_INET6, SOCK_DGRAM);
  a.sys.setsockopt(s6, 'IPPROTO_IPV6', 'IPV6_MULTICAST_IF', 2);
  assert.equal(a.sys.sendto(s6, Buffer.from('six'), v6('ff12::1:2', 5001)), 3);
  await world.run();
  assert.equal(text(b.sys.recvfrom(rb6)), 'six');

  // Leaving stops delivery.
  assert.equal(b.sys.setsockopt(rb, 'IPPROTO_IP', 'IP_DROP_MEMBERSHIP', { multiaddr: '239.1.2.3', interface: '10.0.0.2' }), 0);
  a.sys.sendto(s, Buffer.from('m3'), v4('239.1.2.3', 5000));
  await world.run();
  assert.equal(b.sys.recvfrom(rb), -EAGAIN);
});

test('udp hosts: a full receive buffer drops and counts RcvbufErrors', async () => {
  const { world, a, b } = lan();
  const r = b.sys.socket(AF_INET, SOCK_DGRAM);
  b.sys.setsockopt(r, 'SOL_SOCKET', 'SO_RCVBUF', 4096); // 8192 after Linux doubles it
  b.sys.bind(r, v4('0.0.0.0', 7000));
  const s = a.sys.socket(AF_INET, SOCK_DGRAM);
  for (let i = 0; i < 10; i++) a.sys.sendto(s, new Uint8Array(1000), v4('10.0.0.2', 7000));
  await world.run();
  let n = 0;
  while (typeof b.sys.recvfrom(r) !== 'number') n++;
  assert.equal(n, 5);
  assert.equal(b.kernel.stats.udp!.RcvbufErrors, 5);
  assert.equal(b.kernel.stats.udp!.InErrors, 5);
});

test('udp hosts: trace prints one line per socket call', async () => {
  const { world, a } = lan();
  const lines: string[] = [];
  const stop = a.trace((l) => lines.push(l));
  const s = a.sys.socket(AF_INET, SOCK_DGRAM);
  a.sys.bind(s, v4('10.0.0.1', 53));
  const t = a.sys.socket(AF_INET, SOCK_DGRAM);
  a.sys.bind(t, v4('10.0.0.1', 53));
  a.sys.sendto(s, Buffer.from('q'), v4('127.0.0.1', 53));
  a.sys.close(t);
  await world.run();
  a.sys.recvfrom(s);
  stop();
  a.sys.close(s);
  assert.deepEqual(lines, [
    'socket(AF_INET, SOCK_DGRAM, 0) = 3',
    'bind(3, {10.0.0.1:53}) = 0',
    'socket(AF_INET, SOCK_DGRAM, 0) = 4',
    'bind(4, {10.0.0.1:53}) = -1 EADDRINUSE',
    'sendto(3, 1 bytes, {127.0.0.1:53}) = 1',
    'close(4) = 0',
    'recvfrom(3, 65536) = -1 EAGAIN', // bound to 10.0.0.1: the datagram to 127.0.0.1 found no socket
  ]);
});
