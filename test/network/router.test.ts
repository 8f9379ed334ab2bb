import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network, HEADROOM, type IcmpError, type IpPacket, type TransportProtocol } from '../../src/index.js';
import { ECONNREFUSED, EHOSTUNREACH } from '../../src/uapi/errno.js';
import { SKB_OVERHEAD } from '../../src/kernel/mem.js';

/** a — lan1 — r — lan2 — b, with default routes through r. */
function routed(seed = 3) {
  const world = new Network({ seed });
  const lan1 = world.switch('lan1');
  const lan2 = world.switch('lan2');
  const a = world.host('a');
  const b = world.host('b');
  const r = world.host('r', { forwarding: true });
  a.attach(lan1, { ipv4: '10.0.1.1/24', ipv6: 'fd01::1/64' });
  r.attach(lan1, { ipv4: '10.0.1.254/24', ipv6: 'fd01::fe/64' });
  r.attach(lan2, { ipv4: '10.0.2.254/24', ipv6: 'fd02::fe/64' });
  b.attach(lan2, { ipv4: '10.0.2.1/24', ipv6: 'fd02::1/64' });
  for (const [h, n] of [[a, 1], [b, 2]] as const) {
    h.route.add('default', { via: `10.0.${n}.254` });
    h.route.add('default', { via: `fd0${n}::fe` });
  }
  return { world, lan1, lan2, a, b, r };
}

test('a router forwards between two subnets: TTL and hop limit decremented', async () => {
  const { a, b, r } = routed();
  const p4 = await a.ping('10.0.2.1');
  assert.equal(p4.from, '10.0.2.1');
  assert.equal(p4.ttl, 63);
  const p6 = await b.ping('fd01::1');
  assert.equal(p6.ttl, 63);
  assert.equal(r.kernel.stats.ip.ForwDatagrams, 2);
  assert.equal(r.kernel.stats.ip6.OutForwDatagrams, 2);
  assert.deepEqual(a.route.get('10.0.2.1'), { family: 4, dst: '10.0.2.1', dev: 'eth0', ifindex: 2, src: '10.0.1.1', via: '10.0.1.254', mtu: 1500, type: 'unicast' });
  // The router's own neighbours are on both sides.
  assert.deepEqual(r.neigh().filter((n) => n.dst.includes('.')).map((n) => `${n.dst} ${n.dev}`).sort(), ['10.0.1.1 eth0', '10.0.2.1 eth1']);
});

test('TTL expiry gives ICMP time exceeded from the router (v4 and v6)', async () => {
  const { a, r } = routed();
  await assert.rejects(a.ping('10.0.2.1', { ttl: 1 }), (e: Error & { code: string; reporter: string; icmpType: number }) => {
    assert.equal(e.code, 'EHOSTUNREACH');
    assert.equal(e.reporter, '10.0.1.254');
    assert.equal(e.icmpType, 11);
    assert.match(e.message, /From 10\.0\.1\.254 icmp_seq=\d+ Time to live exceeded/);
    return true;
  });
  await assert.rejects(a.ping('fd02::1', { ttl: 1 }), { code: 'EHOSTUNREACH', icmpType: 3, reporter: 'fd01::fe' });
  assert.equal(r.kernel.stats.icmp.OutTimeExcds, 1);
  assert.equal(r.kernel.stats.icmp6.OutTimeExcds, 1);
  assert.equal(r.kernel.stats.ip.InHdrErrors, 1);
});

test('no route at the router gives net unreachable; no route at the host is ENETUNREACH at once', async () => {
  const { a, r } = routed();
  await assert.rejects(a.ping('192.168.7.7'), { code: 'ENETUNREACH', icmpType: 3, icmpCode: 0, reporter: '10.0.1.254' });
  await assert.rejects(a.ping('2001:db8::7'), { code: 'ENETUNREACH', icmpType: 1, icmpCode: 0, reporter: 'fd01::fe' });
  assert.equal(r.kernel.stats.ip.InNoRoutes, 1);
  assert.equal(r.kernel.stats.ip6.InNoRoutes, 1);
  await assert.rejects(r.ping('192.168.7.7'), { code: 'ENETUNREACH' });
});

test('a host that does not forward drops packets not addressed to it (InAddrErrors)', async () => {
  const { world, a, b, r } = routed();
  r.forwarding = false;
  await assert.rejects(a.ping('10.0.2.1', { timeout: '2s' }), { code: 'ETIMEDOUT' });
  assert.equal(r.kernel.stats.ip.InAddrErrors, 1);
  assert.equal(b.kernel.stats.ip.InReceives, 0);
  await world.run();
});

test('ARP failure after 3 requests 1 s apart: FAILED, host unreachable to the sender', async () => {
  const world = new Network({ seed: 1 });
  const sw = world.switch('lan');
  const a = world.host('a');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const t0 = world.now();
  await assert.rejects(a.ping('10.0.0.99'), (e: Error & { code: string; reporter: string }) => {
    assert.equal(e.code, 'EHOSTUNREACH');
    assert.equal(e.reporter, '10.0.0.1');
    assert.match(e.message, /Destination Host Unreachable/);
    return true;
  });
  assert.equal(world.now() - t0, 3000);
  assert.equal(a.kernel.stats.arp.OutRequests, 3);
  assert.equal(a.kernel.stats.arp.ResolveFailed, 1);
  assert.deepEqual(a.neigh(), [{ dst: '10.0.0.99', dev: 'eth0', state: 'FAILED' }]);
  await assert.rejects(a.ping('fd00::99'), { code: 'EHOSTUNREACH', icmpType: 1, icmpCode: 3 });
  assert.equal(a.kernel.stats.ndisc.OutSolicits, 3);
  assert.equal(a.neigh().find((n) => n.dst === 'fd00::99')?.state, 'FAILED');
});

/** A minimal transport on the IpLayer contract: records what it gets; optionally answers port unreachable. */
class Recorder implements TransportProtocol {
  readonly protocol = 17;
  packets: IpPacket[] = [];
  errors: IcmpError[] = [];
  constructor(private readonly refuse?: (pkt: IpPacket) => void) {}
  input(pkt: IpPacket): void {
    this.packets.push(pkt);
    this.refuse?.(pkt);
  }
  icmpError(err: IcmpError): void {
    this.errors.push(err);
  }
}

function udpLike(srcPort: number, dstPort: number, data: number[]): Uint8Array {
  const buf = new Uint8Array(HEADROOM + 8 + data.length);
  const v = new DataView(buf.buffer);
  v.setUint16(HEADROOM, srcPort);
  v.setUint16(HEADROOM + 2, dstPort);
  v.setUint16(HEADROOM + 4, 8 + data.length);
  buf.set(data, HEADROOM + 8);
  return buf;
}

test('transports: output, input, port unreachable back as icmpError with ECONNREFUSED (v4 and v6)', async () => {
  const { world, a, b } = routed();
  const ra = new Recorder();
  const rb = new Recorder((pkt) => b.kernel.sendUnreachable(pkt, 'port'));
  a.kernel.register(ra);
  b.kernel.register(rb);
  assert.equal(a.kernel.output(4, '10.0.1.1', '10.0.2.1', 17, udpLike(5000, 7, [1, 2, 3]), HEADROOM), 0);
  assert.equal(a.kernel.output(6, 'fd01::1', 'fd02::1', 17, udpLike(5000, 7, [4]), HEADROOM), 0);
  await world.run();
  assert.equal(rb.packets.length, 2);
  const p = rb.packets[0]!;
  assert.equal(p.src, '10.0.1.1');
  assert.equal(p.dst, '10.0.2.1');
  assert.equal(p.ttl, 63);
  assert.equal(p.ifindex, 2);
  assert.deepEqual([...p.payload.subarray(8)], [1, 2, 3]);
  assert.equal(ra.errors.length, 2);
  const e4 = ra.errors[0]!;
  assert.equal(e4.errno, ECONNREFUSED);
  assert.equal(e4.reporter, '10.0.2.1');
  assert.deepEqual([e4.src, e4.dst, e4.protocol, e4.type, e4.code], ['10.0.1.1', '10.0.2.1', 17, 3, 3]);
  assert.equal((e4.transport[0]! << 8) | e4.transport[1]!, 5000);
  const e6 = ra.errors[1]!;
  assert.deepEqual([e6.family, e6.errno, e6.src, e6.dst, e6.type, e6.code], [6, ECONNREFUSED, 'fd01::1', 'fd02::1', 1, 4]);
  // With no transport for the protocol at all: protocol unreachable (ENOPROTOOPT on Linux).
  assert.equal(a.kernel.output(4, '10.0.1.1', '10.0.2.1', 200, udpLike(1, 2, []), HEADROOM), 0);
  await world.run();
  assert.equal(b.kernel.stats.ip.InUnknownProtos, 1);
  assert.equal(b.kernel.stats.icmp.OutDestUnreachs, 2);
});

test('ICMP errors are rate-limited per destination like Linux (burst 6, then 1 per second)', async () => {
  const { world, a, b } = routed();
  const ra = new Recorder();
  a.kernel.register(ra);
  b.kernel.register(new Recorder((pkt) => b.kernel.sendUnreachable(pkt, 'port')));
  for (let i = 0; i < 10; i++) a.kernel.output(4, '10.0.1.1', '10.0.2.1', 17, udpLike(5000, 9, [i]), HEADROOM);
  await world.run();
  assert.equal(ra.errors.length, 6);
  assert.equal(b.kernel.stats.icmp.OutRateLimited, 4);
  await world.run({ for: '1s' });
  a.kernel.output(4, '10.0.1.1', '10.0.2.1', 17, udpLike(5000, 9, [0]), HEADROOM);
  await world.run();
  assert.equal(ra.errors.length, 7);
  assert.equal(ra.errors[0]!.errno, ECONNREFUSED);
  void EHOSTUNREACH;
});

test('a point-to-point link between two hosts: addresses, ping, capture target', async () => {
  const world = new Network({ seed: 5 });
  const a = world.host('a');
  const b = world.host('b');
  const wan = world.link(a, b, { ipv4: ['192.0.2.1/30', '192.0.2.2/30'], ipv6: ['2001:db8::1/64', '2001:db8::2/64'] });
  assert.deepEqual(wan.interfaces.map((i) => i.name), ['eth0', 'eth0']);
  const frames: number[] = [];
  wan.addTap((f) => frames.push(f.length));
  wan.impair({ latency: '20ms' });
  // The first ping waits for ARP (one more round trip), as on Linux; the second does not.
  assert.equal((await a.ping('192.0.2.2')).time, 80);
  assert.equal((await a.ping('192.0.2.2')).time, 40);
  assert.equal((await b.ping('2001:db8::1')).time, 80);
  assert.ok(frames.length >= 8);
  const l3 = world.link(a, b, { ipv4: ['198.51.100.1/30', '198.51.100.2/30'], layer: 3 });
  assert.equal(l3.layer, 3);
  assert.equal((await a.ping('198.51.100.2')).from, '198.51.100.2');
  assert.equal(a.iface('eth1')!.arp, null);
});

test('packets queued while resolving are bounded (Linux unres_qlen_bytes, each charged as its truesize); each one dropped on failure is reported', async () => {
  const world = new Network({ seed: 8 });
  const sw = world.switch('lan');
  const a = world.host('a');
  a.attach(sw, { ipv4: '10.0.0.1/24' });
  const rec = new Recorder();
  a.kernel.register(rec);
  for (let i = 0; i < 200; i++) assert.equal(a.kernel.output(4, '10.0.0.1', '10.0.0.99', 17, udpLike(5000, 9, new Array(1400).fill(i)), HEADROOM), 0);
  // Each queued frame is charged as Linux's skb->truesize: its bytes plus the bookkeeping of a
  // held packet (mem.ts SKB_OVERHEAD), not just its bytes.
  const charged = 14 + 20 + 8 + 1400 + SKB_OVERHEAD;
  const kept = Math.floor(212_992 / charged);
  assert.ok(kept < Math.floor(212_992 / (14 + 20 + 8 + 1400)));
  assert.equal(a.kernel.stats.arp.UnresolvedDiscards, 200 - kept);
  await world.run();
  assert.equal(rec.errors.length, kept);
  assert.ok(rec.errors.every((e) => e.errno === EHOSTUNREACH && e.type === 3 && e.code === 1 && e.dst === '10.0.0.99'));
  // The newest packets were kept (the oldest dropped first): the quotes carry their fill bytes.
  assert.equal(rec.errors[0]!.transport[8], 200 - kept);
  assert.equal(rec.errors[kept - 1]!.transport[8], 199);
});

test('unreachable / prohibit / blackhole routes at the router; interface MTU and link state changes apply at once', async () => {
  const { world, a, r } = routed();
  r.route.add('192.168.1.0/24', { type: 'unreachable' });
  r.route.add('192.168.2.0/24', { type: 'prohibit' });
  r.route.add('192.168.3.0/24', { type: 'blackhole' });
  r.route.add('2001:db8:2::/48', { type: 'prohibit' });
  assert.deepEqual(r.route.list(4).filter((x) => x.type !== 'unicast').map((x) => `${x.type} ${x.dst}`), ['unreachable 192.168.1.0/24', 'prohibit 192.168.2.0/24', 'blackhole 192.168.3.0/24']);
  await assert.rejects(a.ping('192.168.1.1'), { code: 'EHOSTUNREACH', icmpCode: 1 });
  await assert.rejects(a.ping('192.168.2.1'), { code: 'EHOSTUNREACH', icmpCode: 13 }); // Linux: EHOSTUNREACH for code 13
  await assert.rejects(a.ping('192.168.3.1', { timeout: '1s' }), { code: 'ETIMEDOUT' });
  await assert.rejects(a.ping('2001:db8:2::1'), { code: 'EACCES', icmpCode: 1 });          // Linux: EACCES for v6 code 1
  assert.throws(() => r.route.get('192.168.1.1'), { code: 'EHOSTUNREACH' });
  // ip link set dev eth0 mtu 1400: the next route lookup sees it.
  const eth0 = a.iface('eth0')!;
  eth0.mtu = 1400;
  assert.equal(a.route.get('10.0.2.1').mtu, 1400);
  assert.throws(() => { eth0.mtu = 20; }, RangeError);
  // ip link set dev eth0 down: its routes are skipped.
  eth0.up = false;
  assert.throws(() => a.route.get('10.0.2.1'), { code: 'ENETUNREACH' });
  eth0.up = true;
  assert.equal((await a.ping('10.0.2.1')).ttl, 63);
  await world.run();
});

test('a neighbour that goes away: STALE, DELAY, PROBE (3 unicast probes), FAILED; then resolution starts over', async () => {
  const world = new Network({ seed: 12 });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24' });
  const ib = b.attach(sw, { ipv4: '10.0.0.2/24' });
  await a.ping('10.0.0.2');
  await world.run({ for: '60s' });
  assert.equal(a.neigh()[0]!.state, 'STALE');
  ib.port!.detach();
  const requests = a.kernel.stats.arp.OutRequests!;
  const p = a.ping('10.0.0.2', { timeout: '20s' });
  assert.equal(a.neigh()[0]!.state, 'DELAY');
  await world.run({ for: '5s' });
  assert.equal(a.neigh()[0]!.state, 'PROBE');
  await world.run({ for: '3s' });
  assert.equal(a.neigh()[0]!.state, 'FAILED');
  assert.equal(a.kernel.stats.arp.OutRequests! - requests, 3); // ucast_solicit
  await assert.rejects(p, { code: 'ETIMEDOUT' });              // sent while DELAY: not queued, lost
  await assert.rejects(a.ping('10.0.0.2'), { code: 'EHOSTUNREACH' });
  assert.equal(a.kernel.stats.arp.OutRequests! - requests, 6); // mcast_solicit again
});
