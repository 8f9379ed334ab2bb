import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import {
  emitIcmpv4, ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_FRAG_NEEDED, ICMP_PARAM_PROBLEM, ICMP_TIME_EXCEEDED,
  icmpv4Length, parseIcmpv4, type Icmpv4Repr,
} from '../../src/wire/icmpv4.js';
import {
  emitIcmpv6, ICMP6_ECHO_REQUEST, ICMP6_PACKET_TOO_BIG, ICMP6_PARAM_PROB, icmpv6Length, mld2DecodeMaxResp, mld2DecodeQqic,
  mld2EncodeMaxResp, mld2EncodeQqic, MLD_QUERY, MLD_REPORT, MLD2_CHANGE_TO_EXCLUDE, MLDV2_REPORT, ND_NEIGHBOR_ADVERT,
  ND_NEIGHBOR_SOLICIT, ND_REDIRECT, ND_ROUTER_ADVERT, ND_ROUTER_SOLICIT, parseIcmpv6, type Icmpv6Message, type Icmpv6Repr,
} from '../../src/wire/icmpv6.js';
import { parseIpv6, type Ipv6Repr } from '../../src/wire/ipv6.js';
import { formatIPv6, formatMAC, parseIPv6, solicitedNodeMulticast } from '../../src/wire/addr.js';
import { hex, toHex } from './hex.js';
import { PING, NS_PACKET, MLD2_PACKET } from './vectors.js';

// ---- ICMPv4 ---------------------------------------------------------------------------------

test('known ICMPv4 echo request', () => {
  const m = parseIcmpv4(PING) as Icmpv4Repr;
  assert.ok(!(m instanceof WireError));
  assert.deepEqual([m.type, m.code, m.checksumOk, m.id, m.seq, m.mtu, m.pointer, m.data.length], [ICMP_ECHO_REQUEST, 0, true, 0x1c2d, 1, 0, 0, 56]);
  const out = new Uint8Array(PING.length);
  assert.equal(emitIcmpv4(out, 0, { type: ICMP_ECHO_REQUEST, code: 0, id: 0x1c2d, seq: 1, data: m.data }), 64);
  assert.equal(toHex(out), toHex(PING));
  const bad = PING.slice();
  bad[20] ^= 1;
  assert.equal((parseIcmpv4(bad) as Icmpv4Repr).checksumOk, false);
  assert.ok(parseIcmpv4(PING.subarray(0, 7)) instanceof WireError);
});

test('ICMPv4 error fields: fragmentation-needed MTU (RFC 1191), parameter problem pointer', () => {
  const quoted = hex('4500 0574 0001 4000 4011 0000 0a000001 0a000002 1234 0035 0560 0000');
  const b = new Uint8Array(icmpv4Length(quoted.length));
  emitIcmpv4(b, 0, { type: ICMP_DEST_UNREACH, code: ICMP_FRAG_NEEDED, mtu: 1400, data: quoted });
  let m = parseIcmpv4(b) as Icmpv4Repr;
  assert.deepEqual([m.type, m.code, m.mtu, m.checksumOk, toHex(m.data)], [3, 4, 1400, true, toHex(quoted)]);
  assert.equal(toHex(b.subarray(4, 8)), '00000578');
  emitIcmpv4(b, 0, { type: ICMP_PARAM_PROBLEM, code: 0, pointer: 9, data: quoted });
  m = parseIcmpv4(b) as Icmpv4Repr;
  assert.deepEqual([m.pointer, m.mtu, m.id], [9, 0, 0]);
  assert.equal(toHex(b.subarray(4, 8)), '09000000');
});

test('ICMPv4 emit → parse round-trip', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_PARAM_PROBLEM),
      fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: 120 }),
      (type, code, id, seq, pointer, data) => {
        const b = new Uint8Array(icmpv4Length(data.length) + 1);
        assert.equal(emitIcmpv4(b, 1, { type, code, id, seq, mtu: seq, pointer, data }), 8 + data.length);
        const m = parseIcmpv4(b.subarray(1)) as Icmpv4Repr;
        assert.ok(m.checksumOk);
        assert.equal(m.type, type);
        assert.equal(m.code, code);
        assert.equal(toHex(m.data), toHex(data));
        if (type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY) assert.deepEqual([m.id, m.seq], [id, seq]);
        if (type === ICMP_PARAM_PROBLEM) assert.equal(m.pointer, pointer);
        if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) assert.equal(m.mtu, seq);
      },
    ),
    { numRuns: 300 },
  );
});

// ---- ICMPv6 ---------------------------------------------------------------------------------

test('known neighbour solicitation with source link-layer option', () => {
  const ip = parseIpv6(NS_PACKET) as Ipv6Repr;
  assert.ok(!(ip instanceof WireError));
  assert.equal(ip.hopLimit, 255);
  const m = parseIcmpv6(ip.payload, ip.src, ip.dst);
  assert.ok(!(m instanceof WireError), String(m));
  assert.equal(m.type, ND_NEIGHBOR_SOLICIT);
  assert.ok(m.checksumOk);
  assert.equal(formatIPv6(m.nd!.target!), 'fe80::1');
  assert.equal(formatMAC(m.nd!.sourceLL!), '08:00:27:aa:bb:cc');
  assert.equal(m.nd!.targetLL, undefined);
  // Re-emitting gives the same bytes.
  const out = new Uint8Array(32);
  const len = emitIcmpv6(out, 0, ip.src, ip.dst, { type: ND_NEIGHBOR_SOLICIT, code: 0, nd: { target: parseIPv6('fe80::1')!, sourceLL: hex('080027aabbcc') } });
  assert.equal(len, 32);
  assert.equal(toHex(out), toHex(ip.payload));
  assert.equal(toHex(solicitedNodeMulticast(m.nd!.target!)), toHex(ip.dst));
});

test('known MLDv2 report behind a hop-by-hop router alert', () => {
  const ip = parseIpv6(MLD2_PACKET) as Ipv6Repr;
  assert.ok(!(ip instanceof WireError));
  assert.equal(ip.nextHeader, 58);
  assert.equal(toHex(ip.hopByHop!), '050200000100');
  const m = parseIcmpv6(ip.payload, ip.src, ip.dst) as Icmpv6Repr;
  assert.ok(!(m instanceof WireError));
  assert.ok(m.checksumOk);
  assert.equal(m.type, MLDV2_REPORT);
  assert.equal(m.mld!.version, 2);
  assert.equal(m.mld!.records!.length, 1);
  assert.equal(m.mld!.records![0].type, MLD2_CHANGE_TO_EXCLUDE);
  assert.equal(formatIPv6(m.mld!.records![0].group), 'ff02::1:ff00:1');
  assert.deepEqual(m.mld!.records![0].sources, []);
  const out = new Uint8Array(28);
  emitIcmpv6(out, 0, ip.src, ip.dst, { type: MLDV2_REPORT, code: 0, mld: { version: 2, maxResponse: 0, records: [{ type: 4, group: parseIPv6('ff02::1:ff00:1')!, sources: [] }] } });
  assert.equal(toHex(out), toHex(ip.payload));
});

const LL = parseIPv6('fe80::1')!;
const LL2 = parseIPv6('fe80::2')!;
const ALL_NODES = parseIPv6('ff02::1')!;
const GLOBAL = parseIPv6('2001:db8::5')!;

function roundTrip(src: Uint8Array, dst: Uint8Array, msg: Icmpv6Message): Icmpv6Repr {
  const b = new Uint8Array(icmpv6Length(msg));
  assert.equal(emitIcmpv6(b, 0, src, dst, msg), b.length);
  const m = parseIcmpv6(b, src, dst);
  assert.ok(!(m instanceof WireError), String(m));
  assert.ok(m.checksumOk);
  assert.equal(m.type, msg.type);
  return m;
}

test('ND messages round-trip: RS, RA with prefix and MTU, NA flags, redirect with redirected header', () => {
  const rs = roundTrip(LL, parseIPv6('ff02::2')!, { type: ND_ROUTER_SOLICIT, code: 0, nd: { sourceLL: hex('020000000001') } });
  assert.equal(formatMAC(rs.nd!.sourceLL!), '02:00:00:00:00:01');
  const ra = roundTrip(LL, ALL_NODES, {
    type: ND_ROUTER_ADVERT, code: 0,
    nd: {
      curHopLimit: 64, managed: true, otherConfig: false, routerLifetime: 1800, reachableTime: 30000, retransTimer: 1000,
      sourceLL: hex('020000000001'), mtu: 1500,
      prefixes: [{ prefix: parseIPv6('2001:db8:1::')!, length: 64, onLink: true, autonomous: true, valid: 0xffffffff, preferred: 604800 }],
      unknown: [{ type: 25, data: hex('0000 00000e10 20010db8000000000000000000000053') }], // RDNSS (RFC 8106) kept as unknown
    },
  });
  const nd = ra.nd!;
  assert.deepEqual([nd.curHopLimit, nd.managed, nd.otherConfig, nd.routerLifetime, nd.reachableTime, nd.retransTimer, nd.mtu], [64, true, false, 1800, 30000, 1000, 1500]);
  assert.equal(nd.prefixes!.length, 1);
  const px = nd.prefixes![0];
  assert.deepEqual([formatIPv6(px.prefix), px.length, px.onLink, px.autonomous, px.valid, px.preferred], ['2001:db8:1::', 64, true, true, 0xffffffff, 604800]);
  assert.equal(nd.unknown![0].type, 25);
  assert.equal(nd.unknown![0].data.length, 22);
  const na = roundTrip(GLOBAL, LL, { type: ND_NEIGHBOR_ADVERT, code: 0, nd: { target: GLOBAL, router: true, solicited: true, override: false, targetLL: hex('020000000002') } });
  assert.deepEqual([na.nd!.router, na.nd!.solicited, na.nd!.override, formatIPv6(na.nd!.target!), formatMAC(na.nd!.targetLL!)], [true, true, false, '2001:db8::5', '02:00:00:00:00:02']);
  const quoted = new Uint8Array(45).fill(0x5a);
  const rd = roundTrip(LL, LL2, { type: ND_REDIRECT, code: 0, nd: { target: LL2, redirectDest: GLOBAL, targetLL: hex('020000000002'), redirectedHeader: quoted } });
  assert.equal(formatIPv6(rd.nd!.redirectDest!), '2001:db8::5');
  assert.equal(rd.nd!.redirectedHeader!.length, 48); // padded to 8 octets (RFC 4861 §4.6.3)
  assert.equal(toHex(rd.nd!.redirectedHeader!.subarray(0, 45)), toHex(quoted));
});

test('MLD round-trips: v1 report, v1 and v2 queries; MLDv2 code encodings (RFC 3810 §5.1.3, §5.1.9)', () => {
  const g = parseIPv6('ff12::1234')!;
  const r1 = roundTrip(LL, g, { type: MLD_REPORT, code: 0, mld: { version: 1, maxResponse: 0, group: g } });
  assert.deepEqual([r1.mld!.version, formatIPv6(r1.mld!.group!)], [1, 'ff12::1234']);
  const q1 = roundTrip(LL, ALL_NODES, { type: MLD_QUERY, code: 0, mld: { version: 1, maxResponse: 10000, group: new Uint8Array(16) } });
  assert.deepEqual([q1.mld!.version, q1.mld!.maxResponse, q1.data.length], [1, 10000, 16]);
  const q2 = roundTrip(LL, g, { type: MLD_QUERY, code: 0, mld: { version: 2, maxResponse: 10000, group: g, sources: [GLOBAL, LL2], suppress: true, qrv: 2, qqi: 125 } });
  assert.deepEqual([q2.mld!.version, q2.mld!.maxResponse, q2.mld!.sources!.length, q2.mld!.suppress, q2.mld!.qrv, q2.mld!.qqi], [2, 10000, 2, true, 2, 125]);
  // Exponential forms: code 0x8000 is 0x1000 << 3 = 32768 ms; QQIC 0x80 is 0x10 << 3 = 128 s.
  assert.equal(mld2DecodeMaxResp(0x8000), 32768);
  assert.equal(mld2DecodeMaxResp(0xffff), 0x1fff << 10);
  assert.equal(mld2DecodeQqic(0x80), 128);
  assert.equal(mld2DecodeQqic(0xff), 0x1f << 10);
  for (const ms of [0, 1, 32767, 32768, 40000, 100000, 1000000, 8387584]) {
    const back = mld2DecodeMaxResp(mld2EncodeMaxResp(ms));
    assert.ok(back <= ms && back > ms * 0.99 - 1, `${ms} → ${back}`);
  }
  for (const s of [0, 127, 128, 130, 1000, 31744]) {
    const back = mld2DecodeQqic(mld2EncodeQqic(s));
    assert.ok(back <= s && back > s * 0.93 - 1, `${s} → ${back}`);
  }
  // RFC 3810 §8.1: a query of 25-27 bytes is invalid.
  const b = new Uint8Array(26);
  b[0] = MLD_QUERY;
  emitIcmpv6(b, 0, LL, ALL_NODES, { type: MLD_QUERY, code: 0, data: new Uint8Array(18) });
  assert.ok(parseIcmpv6(b, LL, ALL_NODES) instanceof WireError);
});

test('ICMPv6 errors and echo: MTU, pointer, id/seq', () => {
  const quoted = new Uint8Array(48).fill(3);
  const ptb = roundTrip(GLOBAL, LL, { type: ICMP6_PACKET_TOO_BIG, code: 0, mtu: 1280, data: quoted });
  assert.deepEqual([ptb.mtu, ptb.data.length], [1280, 48]);
  const pp = roundTrip(GLOBAL, LL, { type: ICMP6_PARAM_PROB, code: 1, pointer: 6, data: quoted });
  assert.deepEqual([pp.pointer, pp.code], [6, 1]);
  const echo = roundTrip(GLOBAL, LL, { type: ICMP6_ECHO_REQUEST, code: 0, id: 77, seq: 9, data: hex('616263') });
  assert.deepEqual([echo.id, echo.seq, toHex(echo.data)], [77, 9, '616263']);
  // The pseudo-header is part of the checksum: other addresses fail it.
  const b = new Uint8Array(icmpv6Length({ type: ICMP6_ECHO_REQUEST, code: 0, data: hex('61') }));
  emitIcmpv6(b, 0, GLOBAL, LL, { type: ICMP6_ECHO_REQUEST, code: 0, data: hex('61') });
  assert.equal((parseIcmpv6(b, GLOBAL, LL2) as Icmpv6Repr).checksumOk, false);
});

test('malformed ND is a WireError (RFC 4861 §4.6, §6.1, §7.1.1, §7.1.2, §8.1)', () => {
  const ns = (src: Uint8Array, dst: Uint8Array, mutate: (b: Uint8Array) => Uint8Array) => {
    const msg: Icmpv6Message = { type: ND_NEIGHBOR_SOLICIT, code: 0, nd: { target: GLOBAL, sourceLL: hex('020000000001') } };
    const b = new Uint8Array(icmpv6Length(msg));
    emitIcmpv6(b, 0, src, dst, msg);
    return parseIcmpv6(mutate(b), src, dst);
  };
  const id = (b: Uint8Array) => b;
  assert.ok(!(ns(LL, solicitedNodeMulticast(GLOBAL), id) instanceof WireError));
  assert.ok(ns(LL, GLOBAL, (b) => { b[25] = 0; return b; }) instanceof WireError); // option length zero
  assert.ok(ns(LL, GLOBAL, (b) => { b[25] = 2; return b; }) instanceof WireError); // option overruns
  assert.ok(ns(LL, GLOBAL, (b) => b.subarray(0, 25)) instanceof WireError); // truncated option
  assert.ok(ns(LL, GLOBAL, (b) => b.subarray(0, 20)) instanceof WireError); // shorter than 24
  assert.ok(ns(LL, GLOBAL, (b) => { b[1] = 1; return b; }) instanceof WireError); // code not 0
  assert.ok(ns(LL, GLOBAL, (b) => { b[8] = 0xff; return b; }) instanceof WireError); // multicast target
  // DAD: unspecified source must go to a solicited-node address and carry no source link-layer option.
  assert.ok(ns(new Uint8Array(16), solicitedNodeMulticast(GLOBAL), id) instanceof WireError);
  assert.ok(ns(new Uint8Array(16), GLOBAL, (b) => b.subarray(0, 24)) instanceof WireError);
  const dad: Icmpv6Message = { type: ND_NEIGHBOR_SOLICIT, code: 0, nd: { target: GLOBAL } };
  const d = new Uint8Array(icmpv6Length(dad));
  emitIcmpv6(d, 0, new Uint8Array(16), solicitedNodeMulticast(GLOBAL), dad);
  assert.ok(!(parseIcmpv6(d, new Uint8Array(16), solicitedNodeMulticast(GLOBAL)) instanceof WireError));
  // NA: solicited to a multicast destination; RA and redirect from a global source.
  const na: Icmpv6Message = { type: ND_NEIGHBOR_ADVERT, code: 0, nd: { target: GLOBAL, solicited: true } };
  const a = new Uint8Array(icmpv6Length(na));
  emitIcmpv6(a, 0, GLOBAL, ALL_NODES, na);
  assert.ok(parseIcmpv6(a, GLOBAL, ALL_NODES) instanceof WireError);
  const ra: Icmpv6Message = { type: ND_ROUTER_ADVERT, code: 0, nd: { curHopLimit: 64 } };
  const r = new Uint8Array(icmpv6Length(ra));
  emitIcmpv6(r, 0, GLOBAL, ALL_NODES, ra);
  assert.ok(parseIcmpv6(r, GLOBAL, ALL_NODES) instanceof WireError);
  // A short prefix information option.
  const bad = new Uint8Array(16 + 16);
  emitIcmpv6(bad, 0, LL, ALL_NODES, { type: ND_ROUTER_ADVERT, code: 0, nd: { unknown: [{ type: 3, data: new Uint8Array(14) }] } });
  assert.ok(parseIcmpv6(bad, LL, ALL_NODES) instanceof WireError);
});
