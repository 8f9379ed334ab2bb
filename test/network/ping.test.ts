import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Network } from '../../src/index.js';

function lan(seed = 7) {
  const world = new Network({ seed });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  const ia = a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const ib = b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  return { world, sw, a, b, ia, ib };
}

test('two hosts on a switch ping each other over IPv4 and IPv6, resolving with ARP and NDP', async () => {
  const { world, a, b, ia, ib } = lan();
  const r4 = await a.ping('10.0.0.2');
  assert.deepEqual(r4, { time: 0, ttl: 64, bytes: 64, from: '10.0.0.2', seq: r4.seq });
  const r6 = await b.ping('fd00::1');
  assert.equal(r6.from, 'fd00::1');
  assert.equal(r6.ttl, 64);
  assert.equal(r6.bytes, 64);
  // a asked (REACHABLE from the unicast reply); b learned a from the request (STALE), then
  // sent its reply through the entry: DELAY (RFC 4861 §7.3.3).
  assert.deepEqual(a.neigh().find((n) => n.dst === '10.0.0.2'), { dst: '10.0.0.2', dev: 'eth0', state: 'REACHABLE', lladdr: ib.macString });
  assert.deepEqual(b.neigh().find((n) => n.dst === '10.0.0.1'), { dst: '10.0.0.1', dev: 'eth0', state: 'DELAY', lladdr: ia.macString });
  assert.equal(b.neigh().find((n) => n.dst === 'fd00::1')?.state, 'REACHABLE');
  assert.equal(a.neigh().find((n) => n.dst === 'fd00::2')?.state, 'DELAY');
  // After DELAY_FIRST_PROBE_TIME (5 s) the unicast probe is answered: REACHABLE everywhere.
  await world.run();
  assert.equal(world.now(), 5000);
  for (const n of [...a.neigh(), ...b.neigh()]) assert.equal(n.state, 'REACHABLE', JSON.stringify(n));
  // ReachableTime (15..45 s) later without traffic, entries are STALE (evaluated lazily).
  await world.run({ for: '46s' });
  for (const n of [...a.neigh(), ...b.neigh()]) assert.equal(n.state, 'STALE', JSON.stringify(n));
  assert.equal(a.kernel.stats.arp.OutRequests, 1);
  assert.equal(b.kernel.stats.icmp.OutEchoReps, 1);
  assert.equal(a.kernel.stats.icmp6.OutEchoReplies, 1);
});

test('ping by host name, to loopback and to an own address (through lo)', async () => {
  const { a, b } = lan();
  assert.equal((await a.ping('b')).from, '10.0.0.2');
  assert.equal((await a.ping('b', { family: 6 })).from, 'fd00::2');
  const lo4 = await a.ping('127.0.0.1');
  assert.equal(lo4.from, '127.0.0.1');
  assert.equal((await a.ping('::1')).from, '::1');
  assert.equal((await a.ping('10.0.0.1')).from, '10.0.0.1');
  // Packets to own addresses never touch the wire: no ARP for ourselves.
  assert.equal(a.neigh().some((n) => n.dst === '10.0.0.1'), false);
  assert.ok(a.iface('lo')!.stats.rxPackets >= 6);
  await assert.rejects(a.ping('nosuchhost'), { code: 'ENOTFOUND' });
  // Link-local with a scope id (RFC 4007 §11), by name and by index.
  const bll = b.iface('eth0')!.v6.find((x) => x.scope === 'link')!.address;
  assert.equal((await a.ping(`${bll}%eth0`)).from, bll);
  assert.equal((await a.ping(`${bll}%2`)).from, bll);
  assert.equal(a.route.get(`${bll}`).dev, 'eth0');
});

test('addr, route.list, route.get and neigh answer like ip(8)', async () => {
  const { a, ia } = lan();
  const addr = a.addr();
  assert.deepEqual(addr.map((i) => [i.ifname, i.ifindex, i.mtu]), [['lo', 1, 65536], ['eth0', 2, 1500]]);
  assert.deepEqual(addr[0]!.addrs.map((x) => `${x.address}/${x.prefix}`), ['127.0.0.1/8', '::1/128']);
  assert.match(ia.macString, /^02:/);
  const eth = addr[1]!.addrs;
  assert.deepEqual(eth.find((x) => x.family === 4), { family: 4, address: '10.0.0.1', prefix: 24, scope: 'global', broadcast: '10.0.0.255' });
  // RFC 4291 Appendix A: the link-local is the modified EUI-64 of the MAC.
  const m = ia.mac;
  const ll = eth.find((x) => x.scope === 'link')!;
  assert.equal(ll.prefix, 64);
  assert.ok(ll.address.startsWith('fe80::'));
  assert.ok(ll.address.includes(((m[3]! << 8) | m[4]!).toString(16)) || ll.address.includes(`fe${m[3]!.toString(16).padStart(2, '0')}`));
  assert.deepEqual(a.route.list().map((r) => `${r.dst} dev ${r.dev} metric ${r.metric}`), [
    '10.0.0.0/24 dev eth0 metric 0', 'fe80::/64 dev eth0 metric 256', 'fd00::/64 dev eth0 metric 256',
  ]);
  assert.deepEqual(a.route.get('10.0.0.77'), { family: 4, dst: '10.0.0.77', dev: 'eth0', ifindex: 2, src: '10.0.0.1', mtu: 1500, type: 'unicast' });
  assert.deepEqual(a.route.get('10.0.0.1'), { family: 4, dst: '10.0.0.1', dev: 'lo', ifindex: 1, src: '10.0.0.1', mtu: 65536, type: 'local' });
  assert.equal(a.route.get('10.0.0.255').type, 'broadcast');
  assert.equal(a.route.get('fd00::9').src, 'fd00::1');
  assert.equal(a.route.get(ll.address.replace(/::.*$/, '::1')).src, ll.address);
  assert.throws(() => a.route.get('192.168.1.1'), { code: 'ENETUNREACH', message: 'RTNETLINK answers: Network is unreachable' });
  a.route.add('default', { via: '10.0.0.254' });
  assert.deepEqual(a.route.get('192.168.1.1'), { family: 4, dst: '192.168.1.1', dev: 'eth0', ifindex: 2, src: '10.0.0.1', via: '10.0.0.254', mtu: 1500, type: 'unicast' });
  assert.throws(() => a.route.add('default', { via: '10.0.0.254' }), { code: 'EEXIST' });
  assert.throws(() => a.route.add('10.9.0.0/16', { via: '172.16.0.1' }), { code: 'ENETUNREACH' });
  a.route.add('10.9.0.0/16', { via: '10.0.0.253' });
  assert.equal(a.route.get('10.9.1.1').via, '10.0.0.253');   // longest prefix wins over default
  a.route.del('10.9.0.0/16');
  assert.equal(a.route.get('10.9.1.1').via, '10.0.0.254');
  assert.throws(() => a.route.del('10.9.0.0/16'), { code: 'ESRCH' });
  a.route.add('default', { via: 'fd00::fe' });
  assert.equal(a.route.get('2001:db8::1').via, 'fd00::fe');
  assert.equal(a.route.list(6).find((r) => r.dst === 'default')?.metric, 1024);
  await a.ping('10.0.0.2');
  const n = a.neigh();
  assert.deepEqual(Object.keys(n[0]!).sort(), ['dev', 'dst', 'lladdr', 'state']);
});

test('the same seed gives byte-identical captures', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'usernet-'));
  async function once(path: string) {
    const { world, sw, a, b } = lan(42);
    const cap = world.capture(sw, path);
    await a.ping('b');
    await b.ping('fd00::1', { size: 300 });
    await world.run();
    await cap.close();
    return readFileSync(path);
  }
  const x = await once(join(dir, 'x.pcap'));
  const y = await once(join(dir, 'y.pcap'));
  assert.ok(x.length > 24 + 8 * 16);
  assert.deepEqual(x, y);
});

test('captures of an interface (Ethernet) and of lo (raw IP) see what the host sends and receives', async () => {
  const { world, a, ia } = lan(3);
  const dir = mkdtempSync(join(tmpdir(), 'usernet-'));
  const eth = world.capture(ia, join(dir, 'eth0.pcap'));
  const lo = world.capture(a.iface('lo')!, join(dir, 'lo.pcap'));
  assert.equal(ia.captureName, 'a:eth0');
  await a.ping('10.0.0.2');
  await a.ping('127.0.0.1');
  await eth.close();
  await lo.close();
  const e = readFileSync(join(dir, 'eth0.pcap'));
  const l = readFileSync(join(dir, 'lo.pcap'));
  assert.equal(e.readUInt32LE(20), 1);   // LINKTYPE_ETHERNET
  assert.equal(l.readUInt32LE(20), 101); // LINKTYPE_RAW
  assert.ok(eth.packets >= 4);           // ARP request + reply, echo request + reply (+ MLD reports)
  assert.equal(lo.packets, 2);           // echo request and reply through lo
});

test('a real-clock network pings too (time paced to the wall clock)', async () => {
  const world = new Network({ seed: 1, clock: 'real' });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24' });
  b.attach(sw, { ipv4: '10.0.0.2/24' });
  const r = await a.ping('b');
  assert.equal(r.from, '10.0.0.2');
  // Wall time: a loaded machine may freeze the process for a second; a paced clock still ends.
  assert.ok(r.time >= 0 && r.time < 5000, `${r.time} ms`);
  assert.ok(world.now() > 0);
});
