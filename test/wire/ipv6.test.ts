import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import {
  emitIpv6FragmentHeader, emitIpv6Header, IPV6_DSTOPTS, IPV6_FRAGMENT, IPV6_HOPOPTS, IPV6_NONXT, IPV6_ROUTING,
  ipv6OptionAction, parseIpv6, parseIpv6Options, type Ipv6Option, type Ipv6Repr,
} from '../../src/wire/ipv6.js';
import { formatIPv6 } from '../../src/wire/addr.js';
import { hex, toHex } from './hex.js';

const SRC = hex('fe800000000000000a0027fffeaabbcc');
const DST = hex('20010db8000000000000000000000001');

function packet(nextHeader: number, body: Uint8Array, extra = 0): Uint8Array {
  const b = new Uint8Array(40 + body.length + extra);
  emitIpv6Header(b, 0, { payloadLength: body.length, nextHeader, hopLimit: 64, src: SRC, dst: DST, trafficClass: 0xb8, flowLabel: 0xabcde });
  b.set(body, 40);
  return b;
}

test('fixed header fields and padding cut', () => {
  const p = parseIpv6(packet(17, hex('0001000200080000'), 5)) as Ipv6Repr;
  assert.ok(!(p instanceof WireError));
  assert.deepEqual([p.trafficClass, p.flowLabel, p.payloadLength, p.hopLimit, p.nextHeader], [0xb8, 0xabcde, 8, 64, 17]);
  assert.equal(formatIPv6(p.src), 'fe80::a00:27ff:feaa:bbcc');
  assert.equal(formatIPv6(p.dst), '2001:db8::1');
  assert.equal(p.payload.length, 8);
  assert.deepEqual(p.extHeaders, []);
  assert.equal(p.unfragmentable.length, 40);
});

test('extension header walk: hop-by-hop, destination options, routing, then UDP', () => {
  const body = hex(`
    3c00 0502 0000 0100
    2b00 c204 00000000
    1102 0001 00000000 20010db8000000000000000000000099
    0001000200080000`);
  const p = parseIpv6(packet(IPV6_HOPOPTS, body)) as Ipv6Repr;
  assert.ok(!(p instanceof WireError), String(p));
  assert.equal(p.nextHeader, 17);
  assert.deepEqual(p.extHeaders, [
    { type: IPV6_HOPOPTS, offset: 40, length: 8 },
    { type: IPV6_DSTOPTS, offset: 48, length: 8 },
    { type: IPV6_ROUTING, offset: 56, length: 24 },
  ]);
  assert.equal(toHex(p.hopByHop!), '050200000100');
  assert.equal(toHex(p.destOptions!), 'c20400000000');
  assert.deepEqual([p.routing!.type, p.routing!.segmentsLeft, p.routing!.data.length], [0, 1, 20]);
  assert.equal(toHex(p.payload), '0001000200080000');
  assert.equal(p.unfragmentable.length, 80);
  // RFC 2711 router alert, then PadN.
  const opts = parseIpv6Options(p.hopByHop!) as Ipv6Option[];
  assert.deepEqual(opts.map((o) => [o.type, o.offset, toHex(o.data)]), [[5, 0, '0000']]);
  const d = parseIpv6Options(p.destOptions!) as Ipv6Option[];
  assert.deepEqual(d.map((o) => [o.type, ipv6OptionAction(o.type), toHex(o.data)]), [[0xc2, 3, '00000000']]);
});

test('fragment header: offset, M flag, id; unfragmentable part; payload is the fragment data', () => {
  const frag = new Uint8Array(8);
  emitIpv6FragmentHeader(frag, 0, 58, 1448, true, 0xdeadbeef);
  assert.equal(toHex(frag), '3a0005a9deadbeef');
  const body = new Uint8Array(8 + 8 + 16);
  body.set(hex('2c00 0104 00000000'), 0); // destination options before the fragment header
  body.set(frag, 8);
  body.fill(0x77, 16);
  const p = parseIpv6(packet(IPV6_DSTOPTS, body)) as Ipv6Repr;
  assert.ok(!(p instanceof WireError));
  assert.deepEqual(p.fragment, { offset: 1448, more: true, id: 0xdeadbeef, nextHeader: 58 });
  assert.equal(p.nextHeader, 58);
  assert.equal(p.unfragmentable.length, 48);
  assert.equal(p.payload.length, 16);
  assert.ok(p.payload.every((v) => v === 0x77));
  assert.throws(() => emitIpv6FragmentHeader(frag, 0, 58, 1447, false, 1), RangeError);
});

test('No Next Header and unknown upper layers stop the walk', () => {
  const p = parseIpv6(packet(IPV6_NONXT, hex('deadbeef'))) as Ipv6Repr;
  assert.equal(p.nextHeader, IPV6_NONXT);
  assert.equal(p.payload.length, 4);
});

test('malformed IPv6 packets are WireErrors', () => {
  assert.ok(parseIpv6(new Uint8Array(39)) instanceof WireError);
  const v4 = packet(17, new Uint8Array(8));
  v4[0] = 0x45;
  assert.ok(parseIpv6(v4) instanceof WireError);
  const short = packet(17, new Uint8Array(8)).subarray(0, 47);
  assert.ok(parseIpv6(short) instanceof WireError); // payload length beyond bytes
  assert.ok(parseIpv6(packet(IPV6_HOPOPTS, hex('1101 0000 0000 0000'))) instanceof WireError); // ext overruns
  assert.ok(parseIpv6(packet(IPV6_ROUTING, hex('11'))) instanceof WireError); // truncated ext
  assert.ok(parseIpv6(packet(IPV6_FRAGMENT, hex('11000000'))) instanceof WireError); // truncated fragment header
  // RFC 8200 §4.1: hop-by-hop must come first.
  assert.ok(parseIpv6(packet(IPV6_DSTOPTS, hex('0000 0106 00000000 1100 0104 00000000'))) instanceof WireError);
  assert.ok(parseIpv6Options(hex('0506 0000')) instanceof WireError);
  assert.ok(parseIpv6Options(hex('00 05')) instanceof WireError);
});

test('IPv6 header emit → parse round-trip', () => {
  const a16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
  fc.assert(
    fc.property(
      fc.record({ trafficClass: fc.integer({ min: 0, max: 255 }), flowLabel: fc.integer({ min: 0, max: 0xfffff }), hopLimit: fc.integer({ min: 0, max: 255 }), nextHeader: fc.constantFrom(6, 17, 58, 59, 132), src: a16, dst: a16 }),
      fc.uint8Array({ maxLength: 100 }),
      (h, body) => {
        const b = new Uint8Array(40 + body.length);
        assert.equal(emitIpv6Header(b, 0, { ...h, payloadLength: body.length }), 40);
        b.set(body, 40);
        const p = parseIpv6(b) as Ipv6Repr;
        assert.deepEqual([p.trafficClass, p.flowLabel, p.hopLimit, p.nextHeader, toHex(p.src), toHex(p.dst), toHex(p.payload)], [h.trafficClass, h.flowLabel, h.hopLimit, h.nextHeader, toHex(h.src), toHex(h.dst), toHex(body)]);
      },
    ),
    { numRuns: 300 },
  );
});
