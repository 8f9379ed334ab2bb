import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import { parseIpv4, type Ipv4Repr } from '../../src/wire/ipv4.js';
import {
  emitTcpHeader, formatTcpFlags, parseTcp, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, tcpChecksumOk, tcpOptionsLength,
  type TcpOptions, type TcpRepr,
} from '../../src/wire/tcp.js';
import { hex, toHex } from './hex.js';
import { SYN_PACKET } from './vectors.js';

test('known Linux SYN: header and all options', () => {
  const ip = parseIpv4(SYN_PACKET) as Ipv4Repr;
  assert.ok(ip.checksumOk);
  const t = parseTcp(ip.payload);
  assert.ok(!(t instanceof WireError));
  assert.deepEqual([t.srcPort, t.dstPort, t.seq, t.ack, t.headerLength, t.flags, t.window, t.checksum, t.urgent], [45678, 80, 0x12345678, 0, 40, TCP_SYN, 64240, 0x1807, 0]);
  assert.deepEqual(t.options, { mss: 1460, sackPermitted: true, timestamp: { tsval: 1000000000, tsecr: 0 }, wscale: 7 });
  assert.equal(t.payload.length, 0);
  assert.ok(tcpChecksumOk(ip.payload, ip.src, ip.dst));
  assert.equal(formatTcpFlags(t.flags), 'SYN');
});

test('re-emitting the SYN reproduces Linux option layout byte for byte', () => {
  const out = new Uint8Array(40);
  const hl = emitTcpHeader(out, 0, { srcPort: 45678, dstPort: 80, seq: 0x12345678, ack: 0, flags: TCP_SYN, window: 64240, options: { mss: 1460, sackPermitted: true, timestamp: { tsval: 1000000000, tsecr: 0 }, wscale: 7 } }, 0, hex('0a000001'), hex('0a000002'));
  assert.equal(hl, 40);
  assert.equal(toHex(out), toHex(SYN_PACKET.subarray(20)));
});

test('option edge cases: EOL stops, NOPs skipped, unknown kept, bad lengths rejected', () => {
  const seg = (opts: string) => {
    const o = hex(opts);
    const b = new Uint8Array(20 + o.length);
    b[12] = ((20 + o.length) / 4) << 4;
    b.set(o, 20);
    return parseTcp(b);
  };
  assert.deepEqual((seg('01010101') as TcpRepr).options, {});
  assert.deepEqual((seg('00020405b4000000') as TcpRepr).options, {}); // after EOL nothing is read
  const u = seg('fe06abcdef01 0101') as TcpRepr; // experimental kind 254 (RFC 6994) kept
  assert.equal(u.options.unknown?.length, 1);
  assert.equal(u.options.unknown![0].kind, 254);
  assert.equal(toHex(u.options.unknown![0].data), 'abcdef01');
  const sack = seg('0101050a 00000001 00000005') as TcpRepr; // RFC 2018 §3: one block
  assert.deepEqual(sack.options.sack, [[1, 5]]);
  const sack3 = seg('01010512 00000001 00000005 fffffff0 00000010 0000') as TcpRepr;
  assert.deepEqual(sack3.options.sack, [[1, 5], [0xfffffff0, 0x10]]);
  assert.ok(seg('0200 0000') instanceof WireError); // length 0
  assert.ok(seg('0201 0000') instanceof WireError); // length 1
  assert.ok(seg('01010208') instanceof WireError); // overruns the header
  assert.ok(seg('010101 02') instanceof WireError); // kind without length byte
  assert.deepEqual((seg('02030000') as TcpRepr).options, {}); // MSS of wrong length ignored
  // Data offset below 5 or past the segment.
  const b = new Uint8Array(20);
  b[12] = 0x40;
  assert.ok(parseTcp(b) instanceof WireError);
  b[12] = 0x60;
  assert.ok(parseTcp(b) instanceof WireError);
  assert.ok(parseTcp(b.subarray(0, 19)) instanceof WireError);
});

test('tcpOptionsLength: layouts and the 40-byte limit', () => {
  assert.equal(tcpOptionsLength({}), 0);
  assert.equal(tcpOptionsLength({ mss: 1460, sackPermitted: true, timestamp: { tsval: 1, tsecr: 0 }, wscale: 7 }), 20);
  assert.equal(tcpOptionsLength({ timestamp: { tsval: 1, tsecr: 2 } }), 12);
  assert.equal(tcpOptionsLength({ timestamp: { tsval: 1, tsecr: 2 }, sack: [[1, 2], [3, 4], [5, 6]] }), 40);
  assert.equal(tcpOptionsLength({ sack: [[1, 2], [3, 4], [5, 6], [7, 8]] }), 36);
  assert.equal(tcpOptionsLength({ unknown: [{ kind: 253, data: hex('01') }] }), 4);
  assert.throws(() => tcpOptionsLength({ timestamp: { tsval: 1, tsecr: 2 }, sack: [[1, 2], [3, 4], [5, 6], [7, 8]] }), RangeError);
});

test('formatTcpFlags', () => {
  assert.equal(formatTcpFlags(TCP_SYN | TCP_ACK), 'SYN,ACK');
  assert.equal(formatTcpFlags(TCP_FIN | TCP_PSH | TCP_ACK), 'FIN,PSH,ACK');
  assert.equal(formatTcpFlags(TCP_RST), 'RST');
  assert.equal(formatTcpFlags(0xff), 'FIN,SYN,RST,PSH,ACK,URG,ECE,CWR');
  assert.equal(formatTcpFlags(0), '');
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const optionsArb: fc.Arbitrary<TcpOptions> = fc
  .record(
    {
      mss: fc.integer({ min: 0, max: 0xffff }),
      wscale: fc.integer({ min: 0, max: 14 }),
      sackPermitted: fc.constant(true),
      sack: fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 3 }),
      timestamp: fc.record({ tsval: u32, tsecr: u32 }),
      // RFC 7413 §4.1.1: a cookie request (empty) or an even cookie of 4 to 16 bytes, in either form.
      fastopen: fc.record({
        cookie: fc.oneof(fc.constant(new Uint8Array(0)), fc.integer({ min: 2, max: 8 }).chain((n) => fc.uint8Array({ minLength: 2 * n, maxLength: 2 * n }))),
        exp: fc.boolean(),
      }),
      // Kinds the codec does not know (34 and 254 are Fast Open's).
      unknown: fc.array(fc.record({ kind: fc.integer({ min: 9, max: 253 }).filter((k) => k !== 34), data: fc.uint8Array({ maxLength: 6 }) }), { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: [] },
  )
  .filter((o) => {
    try {
      tcpOptionsLength(o);
      return true;
    } catch {
      return false;
    }
  });

test('TCP emit → parse round-trip over IPv4 and IPv6 pseudo-headers', () => {
  fc.assert(
    fc.property(
      fc.record({
        srcPort: fc.integer({ min: 0, max: 0xffff }), dstPort: fc.integer({ min: 0, max: 0xffff }), seq: u32, ack: u32,
        flags: fc.integer({ min: 0, max: 255 }), window: fc.integer({ min: 0, max: 0xffff }), urgent: fc.integer({ min: 0, max: 0xffff }),
      }),
      optionsArb,
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom(4, 16),
      (h, options, data, alen) => {
        const src = new Uint8Array(alen).fill(0x11);
        const dst = new Uint8Array(alen).fill(0x22);
        const hl = 20 + tcpOptionsLength(options);
        const buf = new Uint8Array(1 + hl + data.length);
        buf.set(data, 1 + hl);
        assert.equal(emitTcpHeader(buf, 1, { ...h, options }, data.length, src, dst), hl);
        const seg = buf.subarray(1);
        assert.ok(tcpChecksumOk(seg, src, dst));
        const t = parseTcp(seg) as TcpRepr;
        assert.ok(!(t instanceof WireError));
        assert.deepEqual([t.srcPort, t.dstPort, t.seq, t.ack, t.flags, t.window, t.urgent, t.headerLength], [h.srcPort, h.dstPort, h.seq, h.ack, h.flags, h.window, h.urgent, hl]);
        // fast-check records have a null prototype: rebuild both sides as plain objects.
        const norm = (o: TcpOptions): TcpOptions => {
          const r: TcpOptions = {};
          if (o.mss !== undefined) r.mss = o.mss;
          if (o.wscale !== undefined) r.wscale = o.wscale;
          if (o.sackPermitted) r.sackPermitted = true;
          if (o.sack) r.sack = o.sack.map(([a, b]) => [a, b]);
          if (o.timestamp) r.timestamp = { tsval: o.timestamp.tsval, tsecr: o.timestamp.tsecr };
          if (o.fastopen) r.fastopen = { cookie: new Uint8Array(o.fastopen.cookie), exp: o.fastopen.exp };
          if (o.unknown) r.unknown = o.unknown.map((u) => ({ kind: u.kind, data: new Uint8Array(u.data) }));
          return r;
        };
        const want = norm(options);
        const got = norm(t.options);
        assert.deepEqual(got, want);
        assert.equal(toHex(t.payload), toHex(data));
        if (data.length > 0) {
          seg[hl] ^= 0x80;
          assert.ok(!tcpChecksumOk(seg, src, dst));
        }
      },
    ),
    { numRuns: 400 },
  );
});
