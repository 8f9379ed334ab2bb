import { test } from 'node:test';
import { tsharkAvailable, tsharkRead, TSHARK_MISSING } from '../tshark.js';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Network, HEADROOM, type IpPacket, type TransportProtocol } from '../../src/index.js';
import { parseIpv4, emitIpv4Header } from '../../src/wire/ipv4.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { parseIcmpv6, emitIcmpv6, MLD_QUERY } from '../../src/wire/icmpv6.js';
import { parseIgmp, emitIgmpv3Query, emitIgmpv2, IGMP_QUERY } from '../../src/wire/igmp.js';
import { emitEthernetHeader } from '../../src/wire/ethernet.js';
import { formatIPv4, formatIPv6, parseIPv6, multicastMac } from '../../src/wire/addr.js';
import { WireError } from '../../src/wire/error.js';

interface Report { t: number; v: 4 | 6; from: string; type: number; records: Array<[number, string, string[]]> }

function lan(seed = 13) {
  const world = new Network({ seed });
  const sw = world.switch('lan');
  const hosts = ['a', 'b', 'c'].map((n, i) => {
    const h = world.host(n);
    const iface = h.attach(sw, { ipv4: `10.0.0.${i + 1}/24`, ipv6: `fd00::${i + 1}/64` });
    return { h, iface };
  });
  const reports: Report[] = [];
  sw.addTap((f, t) => {
    const type = (f[12]! << 8) | f[13]!;
    if (type === 0x0800) {
      const ip = parseIpv4(f.subarray(14));
      if (ip instanceof WireError || ip.protocol !== 2) return;
      const m = parseIgmp(ip.payload);
      if (m instanceof WireError || m.type === IGMP_QUERY) return;
      reports.push({ t, v: 4, from: formatIPv4(ip.src), type: m.type, records: (m.records ?? [{ type: 0, group: m.group, sources: [] }]).map((r) => [r.type, formatIPv4(r.group), r.sources.map((s) => formatIPv4(s))]) });
    } else if (type === 0x86dd) {
      const ip = parseIpv6(f.subarray(14));
      if (ip instanceof WireError || ip.nextHeader !== 58) return;
      const m = parseIcmpv6(ip.payload, ip.src, ip.dst);
      if (m instanceof WireError || m.mld === undefined || m.type === MLD_QUERY) return;
      reports.push({ t, v: 6, from: formatIPv6(ip.src), type: m.type, records: (m.mld.records ?? [{ type: 0, group: m.mld.group!, sources: [] }]).map((r) => [r.type, formatIPv6(r.group), r.sources.map((s) => formatIPv6(s))]) });
    }
  });
  return { world, sw, hosts, reports };
}

class Recorder implements TransportProtocol {
  readonly protocol = 17;
  packets: IpPacket[] = [];
  input(pkt: IpPacket): void { this.packets.push(pkt); }
}

function datagram(n: number): Uint8Array {
  const b = new Uint8Array(HEADROOM + 8 + n);
  b[HEADROOM + 5] = 8 + n;
  return b;
}

test('joining sends IGMPv3 / MLDv2 state-change reports twice; the group is delivered only to members', async () => {
  const { world, hosts, reports } = lan();
  const [a, b, c] = hosts.map((x) => x.h) as [typeof hosts[0]['h'], typeof hosts[0]['h'], typeof hosts[0]['h']];
  await world.run(); // settle the solicited-node MLD reports of the address configuration
  // Every IPv6 address joined its solicited-node group and reported it (RFC 4861 §7.2.1, RFC 3810 §6).
  assert.ok(reports.some((r) => r.v === 6 && r.records.some(([t, g]) => t === 4 && g === 'ff02::1:ff00:1')));
  reports.length = 0;
  const recs = hosts.map((x) => { const r = new Recorder(); x.h.kernel.register(r); return r; });
  assert.equal(a.kernel.joinGroup(4, '239.1.2.3', 0), 0);
  assert.equal(a.kernel.joinGroup(6, 'ff05::1:3', 0), 0);
  assert.equal(a.kernel.isMember(4, '239.1.2.3', 2), true);
  assert.equal(c.kernel.isMember(4, '239.1.2.3', 2), false);
  await world.run();
  // CHANGE_TO_EXCLUDE_MODE {} (type 4), sent [Robustness Variable] = 2 times, within 1 s.
  const ll = a.iface('eth0')!.v6.find((x) => x.scope === 'link')!.address;
  assert.ok(reports.every((r) => r.from === (r.v === 4 ? '10.0.0.1' : ll) && r.type === (r.v === 4 ? 0x22 : 143)));
  assert.equal(reports.filter((r) => r.v === 4).length, 2);
  assert.equal(reports.filter((r) => r.v === 6).length, 2);
  assert.deepEqual(reports.find((r) => r.v === 4)!.records, [[4, '239.1.2.3', []]]);
  assert.deepEqual(reports.find((r) => r.v === 6)!.records, [[4, 'ff05::1:3', []]]);
  assert.ok(reports[reports.length - 1]!.t - reports[0]!.t <= 1000);
  // b sends to the groups: only a gets them; c's NIC filter drops the frames.
  const otherHostBefore = c.kernel.stats.link.InOtherHost!;
  assert.equal(b.kernel.output(4, '10.0.0.2', '239.1.2.3', 17, datagram(4), HEADROOM), 0);
  assert.equal(b.kernel.output(6, 'fd00::2', 'ff05::1:3', 17, datagram(4), HEADROOM), 0);
  await world.run();
  assert.equal(recs[0]!.packets.length, 2);
  assert.equal(recs[0]!.packets[0]!.multicast, true);
  assert.equal(recs[0]!.packets[0]!.ttl, 1); // RFC 1112 §6.1: multicast TTL defaults to 1
  assert.equal(recs[0]!.packets[0]!.ifindex, 2);
  assert.equal(recs[2]!.packets.length, 0);
  assert.equal(c.kernel.stats.link.InOtherHost! - otherHostBefore, 2);
  // Leaving: CHANGE_TO_INCLUDE_MODE {} (type 3); then nothing is delivered.
  reports.length = 0;
  assert.equal(a.kernel.leaveGroup(4, '239.1.2.3', 0), 0);
  assert.equal(a.kernel.leaveGroup(4, '239.1.2.3', 0), -99); // EADDRNOTAVAIL
  await world.run();
  assert.deepEqual(reports.filter((r) => r.v === 4).map((r) => r.records), [[[3, '239.1.2.3', []]], [[3, '239.1.2.3', []]]]);
  b.kernel.output(4, '10.0.0.2', '239.1.2.3', 17, datagram(4), HEADROOM);
  await world.run();
  assert.equal(recs[0]!.packets.length, 2);
  void c;
});

test('a switch remembers per group which ports drop its frames: a join, a leave, a capture, a link down and a crash change that at once; counters as if each port had been visited', async () => {
  const { world, sw, hosts } = lan();
  const [a, b, c] = hosts.map((x) => x.h) as [typeof hosts[0]['h'], typeof hosts[0]['h'], typeof hosts[0]['h']];
  await world.run();
  const recs = hosts.map((x) => { const r = new Recorder(); x.h.kernel.register(r); return r; });
  const send = async (): Promise<void> => {
    assert.equal(b.kernel.output(4, '10.0.0.2', '239.1.2.3', 17, datagram(4), HEADROOM), 0);
    await world.run();
  };
  const ai = a.iface('eth0')!, ci = c.iface('eth0')!;
  const before = { a: a.kernel.stats.link.InOtherHost!, c: c.kernel.stats.link.InOtherHost!, arx: ai.stats.rxPackets, crx: ci.stats.rxPackets, delivered: sw.stats().delivered };
  await send();
  await send(); // the second flood of the group is served from what the switch remembered
  assert.equal(a.kernel.stats.link.InOtherHost! - before.a, 2);
  assert.equal(c.kernel.stats.link.InOtherHost! - before.c, 2);
  assert.equal(ai.stats.rxPackets - before.arx, 2);
  assert.equal(ci.stats.rxPackets - before.crx, 2);
  assert.equal(sw.stats().delivered - before.delivered, 4, 'each dropped copy counts as delivered to its port');
  assert.equal(recs[0]!.packets.length + recs[2]!.packets.length, 0);
  // c joins: the next frame of the group reaches it.
  assert.equal(c.kernel.joinGroup(4, '239.1.2.3', 0), 0);
  await world.run();
  await send();
  assert.equal(recs[2]!.packets.length, 1);
  assert.equal(recs[0]!.packets.length, 0);
  // A capture of a's interface sees every frame that reaches it, the group's too; not once removed.
  const seen: number[] = [];
  const untap = ai.addTap((f) => { if (f[0] === 0x01 && f[1] === 0x00 && f[2] === 0x5e) seen.push(f.length); });
  await send();
  assert.equal(seen.length, 1);
  untap();
  await send();
  assert.equal(seen.length, 1);
  assert.equal(recs[2]!.packets.length, 3);
  // c leaves: nothing more for it, and its NIC counts the frame as for another host again.
  assert.equal(c.kernel.leaveGroup(4, '239.1.2.3', 0), 0);
  await world.run();
  const cOther = c.kernel.stats.link.InOtherHost!;
  await send();
  assert.equal(recs[2]!.packets.length, 3);
  assert.equal(c.kernel.stats.link.InOtherHost! - cOther, 1);
  // a's link down: a down interface takes nothing and counts nothing.
  ai.up = false;
  const aDown = { other: a.kernel.stats.link.InOtherHost!, rx: ai.stats.rxPackets };
  await send();
  assert.deepEqual({ other: a.kernel.stats.link.InOtherHost!, rx: ai.stats.rxPackets }, aDown);
  ai.up = true;
  await send();
  assert.equal(a.kernel.stats.link.InOtherHost! - aDown.other, 1);
  // c crashed: its port is unplugged, the copy is counted there; back up, it is dropped by c's filter again.
  c.crash();
  const unplugged = sw.stats().unplugged;
  await send();
  assert.equal(sw.stats().unplugged, unplugged);
  c.restart();
  await send();
  assert.equal(c.kernel.stats.link.InOtherHost!, 1, 'counters start again from zero after a restart');
});

test('source-specific joins report ALLOW / BLOCK records; multicast loop; broadcasts reach every host and the sender', async () => {
  const { world, hosts, reports } = lan(2);
  const [a, b] = [hosts[0]!.h, hosts[1]!.h];
  await world.run();
  reports.length = 0;
  a.kernel.joinGroup(4, '232.1.1.1', 2, '10.0.0.2');
  await world.run();
  assert.deepEqual(reports[0]!.records, [[5, '232.1.1.1', ['10.0.0.2']]]);
  a.kernel.leaveGroup(4, '232.1.1.1', 2, '10.0.0.2');
  await world.run();
  assert.deepEqual(reports[2]!.records, [[6, '232.1.1.1', ['10.0.0.2']]]);
  // Loopback of multicast to our own group (IP_MULTICAST_LOOP), on by default.
  const ra = new Recorder();
  const rb = new Recorder();
  a.kernel.register(ra);
  b.kernel.register(rb);
  a.kernel.joinGroup(4, '239.9.9.9', 2);
  a.kernel.output(4, '10.0.0.1', '239.9.9.9', 17, datagram(1), HEADROOM);
  a.kernel.output(4, '10.0.0.1', '239.9.9.9', 17, datagram(1), HEADROOM, { multicastLoop: false });
  await world.run();
  assert.equal(ra.packets.length, 1);
  assert.equal(ra.packets[0]!.ifindex, 2);
  // Limited and subnet broadcast: delivered on b, and looped back to the sender (Linux ip_mc_output).
  a.kernel.output(4, '10.0.0.1', '255.255.255.255', 17, datagram(2), HEADROOM);
  a.kernel.output(4, '10.0.0.1', '10.0.0.255', 17, datagram(3), HEADROOM);
  await world.run();
  assert.deepEqual(rb.packets.map((p) => [p.dst, p.multicast]), [['255.255.255.255', true], ['10.0.0.255', true]]);
  assert.equal(ra.packets.length, 3);
  assert.equal(b.kernel.addressType(4, '10.0.0.255'), 'broadcast');
  assert.equal(b.kernel.addressType(4, '239.1.1.1'), 'multicast');
  assert.equal(b.kernel.addressType(4, '10.0.0.2'), 'local');
  // Echo requests to broadcast are ignored (Linux icmp_echo_ignore_broadcasts = 1).
  await assert.rejects(a.ping('10.0.0.255', { timeout: '1s' }), { code: 'ETIMEDOUT' });
});

test('queries are answered: IGMPv3 and MLDv2 general queries, an IGMPv2 query switches to v2 reports', async () => {
  const { world, sw, hosts, reports } = lan(4);
  const a = hosts[0]!.h;
  a.kernel.joinGroup(4, '239.1.1.1', 2);
  a.kernel.joinGroup(6, 'ff0e::42', 2);
  await world.run();
  reports.length = 0;
  const q = sw.connect('querier');
  q.onFrame = () => {};
  const qmac = new Uint8Array([2, 0, 0, 0, 0, 0x77]);
  // IGMPv3 general query, max response 1 s (code 10 = 10 tenths).
  const igmp = new Uint8Array(12);
  emitIgmpv3Query(igmp, 0, 10, new Uint8Array(4));
  const f4 = new Uint8Array(14 + 24 + 12);
  emitEthernetHeader(f4, 0, multicastMac(new Uint8Array([224, 0, 0, 1])), qmac, 0x0800);
  emitIpv4Header(f4, 14, { totalLength: 36, id: 1, ttl: 1, protocol: 2, src: new Uint8Array([10, 0, 0, 250]), dst: new Uint8Array([224, 0, 0, 1]), options: new Uint8Array([148, 4, 0, 0]) });
  f4.set(igmp, 38);
  const t0 = world.now();
  q.send(f4);
  // MLDv2 general query from a link-local router, hop limit 1.
  const src6 = parseIPv6('fe80::77')!;
  const dst6 = parseIPv6('ff02::1')!;
  const mld = new Uint8Array(28);
  emitIcmpv6(mld, 0, src6, dst6, { type: MLD_QUERY, code: 0, mld: { version: 2, maxResponse: 1000, group: new Uint8Array(16), sources: [], qrv: 2, qqi: 125 } });
  const f6 = new Uint8Array(14 + 40 + 8 + 28);
  emitEthernetHeader(f6, 0, multicastMac(dst6), qmac, 0x86dd);
  f6.set([0x60, 0, 0, 0, 0, 36, 0, 1], 14);
  f6.set(src6, 22);
  f6.set(dst6, 38);
  f6.set([58, 0, 5, 2, 0, 0, 1, 0], 54);
  f6.set(mld, 62);
  q.send(f6);
  await world.run();
  const v4 = reports.filter((r) => r.v === 4 && r.from === '10.0.0.1');
  assert.equal(v4.length, 1);
  assert.deepEqual(v4[0]!.records, [[2, '239.1.1.1', []]]); // MODE_IS_EXCLUDE {}
  assert.ok(v4[0]!.t - t0 <= 1000);
  const v6 = reports.filter((r) => r.v === 6 && r.records.some(([, g]) => g === 'ff0e::42'));
  assert.equal(v6.length, 1);
  assert.ok(v6[0]!.records.some(([t, g]) => t === 2 && g.startsWith('ff02::1:ff'))); // solicited-node groups are reported too
  assert.equal(a.kernel.stats.igmp.InQueries, 1);
  assert.equal(a.kernel.stats.icmp6.InGroupMembQueries, 1);
  // IGMPv2 query: answered with a v2 report sent to the group; later joins use v2 too.
  reports.length = 0;
  const q2 = new Uint8Array(8);
  emitIgmpv2(q2, 0, IGMP_QUERY, 10, new Uint8Array(4));
  const g2 = new Uint8Array(14 + 24 + 8);
  g2.set(f4.subarray(0, 38));
  emitIpv4Header(g2, 14, { totalLength: 32, id: 2, ttl: 1, protocol: 2, src: new Uint8Array([10, 0, 0, 250]), dst: new Uint8Array([224, 0, 0, 1]), options: new Uint8Array([148, 4, 0, 0]) });
  g2.set(q2, 38);
  q.send(g2);
  await world.run();
  assert.deepEqual(reports.filter((r) => r.v === 4).map((r) => [r.type, r.records[0]![1]]), [[0x16, '239.1.1.1']]);
  reports.length = 0;
  a.kernel.leaveGroup(4, '239.1.1.1', 2);
  await world.run();
  assert.deepEqual(reports.filter((r) => r.v === 4).map((r) => r.type), [0x17]); // IGMPv2 leave
});

test('a capture with IGMP and MLD traffic reads in tshark without warnings', async (t) => {
  if (!tsharkAvailable) { t.skip(TSHARK_MISSING); return; }
  const { world, sw, hosts } = lan(6);
  const path = join(mkdtempSync(join(tmpdir(), 'usernet-')), 'mcast.pcap');
  const cap = world.capture(sw, path);
  const a = hosts[0]!.h;
  a.kernel.joinGroup(4, '239.1.1.1', 2);
  a.kernel.joinGroup(4, '232.1.1.1', 2, '10.0.0.9');
  a.kernel.joinGroup(6, 'ff0e::42', 2);
  a.kernel.joinGroup(6, 'ff3e::4242', 2, 'fd00::9');
  hosts[1]!.h.kernel.output(4, '10.0.0.2', '239.1.1.1', 17, datagram(4), HEADROOM);
  await world.run();
  a.kernel.leaveGroup(4, '239.1.1.1', 2);
  a.kernel.leaveGroup(6, 'ff0e::42', 2);
  await world.run();
  await cap.close();
  const read = tsharkRead(path);
  assert.deepEqual(read.flagged, []);
  const all = read.lines.join('\n');
  assert.match(all, /Membership Report \/ Join group 239\.1\.1\.1 for any sources/);
  assert.match(all, /Multicast Listener Report Message v2/);
});

test('all-hosts (224.0.0.1) and all-nodes (ff02::1) reach every host, the sender included', async () => {
  const { world, hosts } = lan(8);
  const recs = hosts.map((x) => { const r = new Recorder(); x.h.kernel.register(r); return r; });
  const a = hosts[0]!.h;
  assert.equal(a.kernel.isMember(4, '224.0.0.1', 2), true);
  a.kernel.output(4, '10.0.0.1', '224.0.0.1', 17, datagram(1), HEADROOM);
  a.kernel.output(6, 'fd00::1', 'ff02::1', 17, datagram(1), HEADROOM);
  await world.run();
  assert.deepEqual(recs.map((r) => r.packets.map((p) => p.dst)), [['224.0.0.1', 'ff02::1'], ['224.0.0.1', 'ff02::1'], ['224.0.0.1', 'ff02::1']]);
  // RFC 4443 §4.1: echo to all-nodes is answered by every node (from a link-local source).
  const r = await hosts[1]!.h.ping('ff02::1%eth0');
  assert.ok(r.from.startsWith('fe80::'));
});
