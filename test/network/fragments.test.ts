import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network, HEADROOM, type IpPacket, type TransportProtocol } from '../../src/index.js';
import { emitIpv4Header } from '../../src/wire/ipv4.js';
import { emitEthernetHeader, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { WireError } from '../../src/wire/error.js';
import { EMSGSIZE } from '../../src/uapi/errno.js';

function lan(seed = 11) {
  const world = new Network({ seed });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  const ia = a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const ib = b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  return { world, sw, a, b, ia, ib };
}

test('a 4000-byte ping over MTU 1500 is fragmented and reassembled (v4 and v6)', async () => {
  const { sw, a, b } = lan();
  const seen: Array<{ v: 4 | 6; len: number; off: number; more: boolean }> = [];
  sw.addTap((f) => {
    const type = (f[12]! << 8) | f[13]!;
    if (type === 0x0800) {
      const h = parseIpv4(f.subarray(14));
      if (!(h instanceof WireError) && h.protocol === 1) seen.push({ v: 4, len: h.totalLength, off: h.fragOffset, more: h.mf });
    } else if (type === 0x86dd) {
      const h = parseIpv6(f.subarray(14));
      if (!(h instanceof WireError) && h.fragment) seen.push({ v: 6, len: 40 + h.payloadLength, off: h.fragment.offset, more: h.fragment.more });
    }
  });
  const r4 = await a.ping('10.0.0.2', { size: 4000 });
  assert.equal(r4.bytes, 4008);
  // RFC 791: 1480 data bytes per fragment (a multiple of 8), each way.
  assert.deepEqual(seen.filter((s) => s.v === 4).map((s) => [s.len, s.off, s.more]), [
    [1500, 0, true], [1500, 1480, true], [1068, 2960, false],
    [1500, 0, true], [1500, 1480, true], [1068, 2960, false],
  ]);
  assert.equal(b.kernel.stats.ip.ReasmOKs, 1);
  assert.equal(b.kernel.stats.ip.FragCreates, 3);
  const r6 = await a.ping('fd00::2', { size: 4000 });
  assert.equal(r6.bytes, 4008);
  // RFC 8200 §4.5: 1448 bytes per fragment (1500 - 40 - 8, rounded down to 8).
  assert.deepEqual(seen.filter((s) => s.v === 6).slice(0, 3).map((s) => [s.len, s.off, s.more]), [[1496, 0, true], [1496, 1448, true], [1160, 2896, false]]);
  assert.equal(b.kernel.stats.ip6.ReasmOKs, 1);
  assert.equal(a.kernel.stats.ip6.FragOKs, 1);
  // DF set and too big for the interface: EMSGSIZE at the source, nothing sent.
  await assert.rejects(a.ping('10.0.0.2', { size: 2000, dontFragment: true }), { errno: -EMSGSIZE, code: 'EMSGSIZE' });
});

class Recorder implements TransportProtocol {
  readonly protocol = 17;
  packets: IpPacket[] = [];
  input(pkt: IpPacket): void { this.packets.push(pkt); }
}

/** Raw IPv4 fragment frames from a device plugged into the switch. */
function injector(world: Network, sw: ReturnType<Network['switch']>, dstMac: Uint8Array) {
  const port = sw.connect('raw');
  const got: Uint8Array[] = [];
  port.onFrame = (f) => { got.push(f); };
  const mac = new Uint8Array([2, 0, 0, 0, 0, 0x99]);
  return {
    got,
    frag(id: number, off: number, data: Uint8Array, more: boolean, src = [10, 0, 0, 9]) {
      const f = new Uint8Array(14 + 20 + data.length);
      emitEthernetHeader(f, 0, dstMac, mac, ETHERTYPE_IPV4);
      emitIpv4Header(f, 14, { totalLength: 20 + data.length, id, mf: more, fragOffset: off, ttl: 64, protocol: 17, src: new Uint8Array(src), dst: new Uint8Array([10, 0, 0, 2]) });
      f.set(data, 34);
      port.send(f);
      void world;
    },
  };
}

test('reassembly: out-of-order fragments and exact duplicates are fine; an overlap drops the datagram', async () => {
  const { world, sw, b, ib } = lan();
  const rec = new Recorder();
  b.kernel.register(rec);
  const inj = injector(world, sw, ib.mac);
  const data = new Uint8Array(24).map((_, i) => i);
  inj.frag(1, 16, data.subarray(16), false);
  inj.frag(1, 0, data.subarray(0, 8), true);
  inj.frag(1, 0, data.subarray(0, 8), true); // exact duplicate: ignored
  inj.frag(1, 8, data.subarray(8, 16), true);
  await world.run();
  assert.equal(rec.packets.length, 1);
  assert.deepEqual([...rec.packets[0]!.payload], [...data]);
  // Overlap (RFC 5722 rule, applied to IPv4 as Linux does): the whole datagram goes.
  inj.frag(2, 0, data.subarray(0, 16), true);
  inj.frag(2, 8, data.subarray(8, 24), false);
  inj.frag(2, 16, data.subarray(16), false);
  await world.run();
  assert.equal(rec.packets.length, 1);
  assert.equal(b.kernel.stats.ip.ReasmOverlaps, 1);
  assert.ok(b.kernel.stats.ip.ReasmFails! >= 1);
  // A non-last fragment whose length is not a multiple of 8 is a header error.
  inj.frag(3, 0, data.subarray(0, 5), true);
  await world.run({ for: '31s' });
  assert.equal(b.kernel.stats.ip.InHdrErrors, 1);
  // "Ping of death": offset + length beyond 65535.
  inj.frag(4, 65528, data.subarray(0, 16), false);
  await world.run({ for: '1s' });
  assert.equal(rec.packets.length, 1);
});

test('reassembly timeout: 30 s, then ICMP time exceeded (fragment reassembly) to the source', async () => {
  const { world, sw, a, b, ib } = lan();
  const inj = injector(world, sw, ib.mac);
  // Make the injector's source a real host (a) so the ICMP error is delivered and counted there.
  const data = new Uint8Array(16);
  inj.frag(7, 0, data, true, [10, 0, 0, 1]);
  await world.run({ for: '29s' });
  assert.equal(b.kernel.stats.ip.ReasmTimeout, 0);
  await world.run({ for: '2s' });
  assert.equal(b.kernel.stats.ip.ReasmTimeout, 1);
  assert.equal(b.kernel.stats.icmp.OutTimeExcds, 1);
  await world.run();
  assert.equal(a.kernel.stats.icmp.InTimeExcds, 1);
  // A fragment without offset 0 times out silently.
  inj.frag(8, 8, data, false, [10, 0, 0, 1]);
  await world.run();
  assert.equal(b.kernel.stats.ip.ReasmTimeout, 2);
  assert.equal(b.kernel.stats.icmp.OutTimeExcds, 1);
});

test('run({ for: 0 }) after a lone first fragment leaves the clock where it was (issue 11, bug 4)', async () => {
  const { world, sw, b, ib } = lan();
  const inj = injector(world, sw, ib.mac);
  await world.run({ for: '20ms' });
  inj.frag(9, 0, new Uint8Array(8), true);
  await world.run({ for: 0 });
  assert.equal(world.now(), 20);
  assert.equal(b.kernel.stats.ip.ReasmTimeout, 0, 'the 30 s reassembly timeout has not fired');
});

/** a — lan(1500) — r — link(1280) — b */
function narrow(seed = 9) {
  const world = new Network({ seed });
  const sw = world.switch('lan');
  const a = world.host('a');
  const r = world.host('r', { forwarding: true });
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  r.attach(sw, { ipv4: '10.0.0.254/24', ipv6: 'fd00::fe/64' });
  world.link(r, b, { ipv4: ['10.1.0.1/24', '10.1.0.2/24'], ipv6: ['fd01::1/64', 'fd01::2/64'], mtu: 1280 });
  a.route.add('default', { via: '10.0.0.254' });
  a.route.add('default', { via: 'fd00::fe' });
  b.route.add('default', { via: '10.1.0.1' });
  b.route.add('default', { via: 'fd01::1' });
  return { world, a, r, b };
}

test('path MTU: frag needed / packet too big lower the route MTU; the cache expires after 10 min', async () => {
  const { world, a, r, b } = narrow();
  // IPv4 without DF before any PMTU is known: the router fragments (RFC 791 §2.3).
  assert.equal((await a.ping('10.1.0.2', { size: 1400 })).bytes, 1408);
  assert.equal(r.kernel.stats.ip.FragCreates, 2);
  assert.equal(r.kernel.stats.ip.FragOKs, 1);
  assert.equal(a.route.get('10.1.0.2').mtu, 1500);
  // IPv4 with DF: the router answers "fragmentation needed" with the next-hop MTU (RFC 1191).
  await assert.rejects(a.ping('10.1.0.2', { size: 1400, dontFragment: true }), { code: 'EMSGSIZE', mtu: 1280, reporter: '10.0.0.254', icmpType: 3, icmpCode: 4 });
  assert.equal(a.route.get('10.1.0.2').mtu, 1280);
  assert.equal(a.route.get('10.0.0.2').mtu, 1500);
  // Now the source knows: EMSGSIZE at once for DF; without DF it fragments to fit.
  await assert.rejects(a.ping('10.1.0.2', { size: 1400, dontFragment: true }), { code: 'EMSGSIZE' });
  assert.equal((await a.ping('10.1.0.2', { size: 1400 })).bytes, 1408);
  assert.equal(r.kernel.stats.ip.FragCreates, 2); // the source did it this time
  // IPv6: routers never fragment: packet too big, then the source fragments (RFC 8201, RFC 8200 §5).
  await assert.rejects(a.ping('fd01::2', { size: 1400 }), { code: 'EMSGSIZE', mtu: 1280, icmpType: 2 });
  assert.equal(a.route.get('fd01::2').mtu, 1280);
  assert.equal(r.kernel.stats.ip6.InTooBigErrors, 1);
  assert.equal((await a.ping('fd01::2', { size: 1400 })).bytes, 1408);
  assert.equal(b.kernel.stats.ip6.ReasmOKs, 1);
  // RFC 1191 §6.3: the estimate expires (10 min) and the interface MTU is used again.
  await world.run({ for: '601s' });
  assert.equal(a.route.get('10.1.0.2').mtu, 1500);
  assert.equal(a.route.get('fd01::2').mtu, 1500);
});

test('transports learn the path MTU through icmpError (mtu set, EMSGSIZE)', async () => {
  const { world, a, b } = narrow();
  const errs: Array<{ errno: number; mtu?: number }> = [];
  a.kernel.register({ protocol: 17, input() {}, icmpError(e) { errs.push({ errno: e.errno, ...(e.mtu !== undefined ? { mtu: e.mtu } : {}) }); } });
  b.kernel.register({ protocol: 17, input() {} });
  const buf = new Uint8Array(HEADROOM + 1400);
  assert.equal(a.kernel.output(4, '10.0.0.1', '10.1.0.2', 17, buf, HEADROOM, { dontFragment: true }), 0);
  await world.run({ for: '1s' });
  assert.deepEqual(errs, [{ errno: EMSGSIZE, mtu: 1280 }]);
  const rr = a.kernel.route(4, '10.1.0.2');
  assert.equal(typeof rr === 'number' ? rr : rr.mtu, 1280);
  assert.equal(a.kernel.output(4, '10.0.0.1', '10.1.0.2', 17, new Uint8Array(HEADROOM + 1400), HEADROOM, { dontFragment: true }), -EMSGSIZE);
});
