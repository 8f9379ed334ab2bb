import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import { emitEthernetHeader, ETHERTYPE_IPV4, parseEthernet } from '../../src/wire/ethernet.js';
import { emitIpv4Header, ipv4OptionsValid, parseIpv4, type Ipv4Repr } from '../../src/wire/ipv4.js';
import { emitUdpHeader, parseUdp, udpChecksumOk, type UdpRepr } from '../../src/wire/udp.js';
import { formatIPv4, formatMAC } from '../../src/wire/addr.js';
import { hex, refChecksum, toHex } from './hex.js';
import { DNS_FRAME } from './vectors.js';

test('known frame: Ethernet / IPv4 / UDP DNS query parses with good checksums', () => {
  const eth = parseEthernet(DNS_FRAME);
  assert.ok(!(eth instanceof WireError));
  assert.equal(formatMAC(eth.dst), '52:54:00:12:35:02');
  assert.equal(formatMAC(eth.src), '08:00:27:aa:bb:cc');
  assert.equal(eth.etherType, ETHERTYPE_IPV4);
  assert.equal(eth.vlan, undefined);
  const ip = parseIpv4(eth.payload);
  assert.ok(!(ip instanceof WireError));
  assert.equal(ip.checksumOk, true);
  assert.equal(ip.totalLength, 57);
  assert.equal(ip.id, 0x1a2b);
  assert.equal(ip.df, true);
  assert.equal(ip.mf, false);
  assert.equal(ip.fragOffset, 0);
  assert.equal(ip.ttl, 64);
  assert.equal(ip.protocol, 17);
  assert.equal(formatIPv4(ip.src), '192.168.1.10');
  assert.equal(formatIPv4(ip.dst), '8.8.8.8');
  assert.equal(ip.options.length, 0);
  assert.equal(ip.payload.length, 37);
  // Views, not copies.
  assert.equal(ip.payload.buffer, DNS_FRAME.buffer);
  assert.equal(ip.payload.byteOffset, DNS_FRAME.byteOffset + 34);
  const udp = parseUdp(ip.payload);
  assert.ok(!(udp instanceof WireError));
  assert.deepEqual([udp.srcPort, udp.dstPort, udp.length, udp.checksum], [53421, 53, 37, 0x7b5d]);
  assert.equal(udp.payload.length, 29);
  assert.ok(udpChecksumOk(ip.payload, ip.src, ip.dst));
  // The reference checksum of the IP header is zero when intact.
  assert.equal(refChecksum(eth.payload.subarray(0, 20)), 0);
});

test('re-emitting the DNS frame reproduces it byte for byte', () => {
  const out = new Uint8Array(DNS_FRAME.length);
  out.set(DNS_FRAME.subarray(42), 42); // the DNS message is the payload in place
  emitEthernetHeader(out, 0, hex('525400123502'), hex('080027aabbcc'), ETHERTYPE_IPV4);
  emitUdpHeader(out, 34, 53421, 53, 29, hex('c0a8010a'), hex('08080808'));
  const hl = emitIpv4Header(out, 14, { totalLength: 57, id: 0x1a2b, df: true, ttl: 64, protocol: 17, src: hex('c0a8010a'), dst: hex('08080808') });
  assert.equal(hl, 20);
  assert.equal(toHex(out), toHex(DNS_FRAME));
});

test('checksum damage is reported, not thrown', () => {
  const f = DNS_FRAME.slice();
  f[14 + 8] = 63; // TTL changed without fixing the header checksum
  const ip = parseIpv4(f.subarray(14)) as Ipv4Repr;
  assert.equal(ip.checksumOk, false);
  f[50] ^= 0x20; // flip a payload bit
  assert.equal(udpChecksumOk(ip.payload, ip.src, ip.dst), false);
});

test('UDP zero checksum: none over IPv4, invalid over IPv6 (RFC 8200 §8.1)', () => {
  const d = hex('1000 2000 000a 0000 abcd');
  assert.equal(udpChecksumOk(d, hex('0a000001'), hex('0a000002')), true);
  assert.equal(udpChecksumOk(d, new Uint8Array(16), new Uint8Array(16)), false);
});

test('UDP emit never writes a zero checksum (RFC 768)', () => {
  // Find a payload word that makes the computed checksum 0 and check 0xffff is sent and verifies.
  const src = hex('0a000001');
  const dst = hex('0a000002');
  const buf = new Uint8Array(10);
  buf[8] = 0;
  buf[9] = 0;
  emitUdpHeader(buf, 0, 1, 2, 2, src, dst);
  const c = (buf[6] << 8) | buf[7];
  // Adding the checksum value as the payload word drives the sum to all ones, the computed result to 0.
  buf[8] = c >>> 8;
  buf[9] = c & 255;
  emitUdpHeader(buf, 0, 1, 2, 2, src, dst);
  assert.equal((buf[6] << 8) | buf[7], 0xffff);
  assert.ok(udpChecksumOk(buf, src, dst));
});

test('IPv4 malformed headers are WireErrors', () => {
  const ip = DNS_FRAME.slice(14);
  const bad = (mut: (b: Uint8Array) => Uint8Array) => parseIpv4(mut(ip.slice()));
  assert.ok(bad((b) => b.subarray(0, 19)) instanceof WireError);
  assert.ok(bad((b) => { b[0] = 0x65; return b; }) instanceof WireError); // version 6
  assert.ok(bad((b) => { b[0] = 0x44; return b; }) instanceof WireError); // IHL 4
  assert.ok(bad((b) => { b[0] = 0x4f; return b; }) instanceof WireError); // IHL 15 beyond packet
  assert.ok(bad((b) => { b[3] = 19; return b; }) instanceof WireError); // total < header
  assert.ok(bad((b) => { b[3] = 58; return b; }) instanceof WireError); // total beyond bytes
  // Trailing link padding is cut.
  const padded = new Uint8Array(ip.length + 9);
  padded.set(ip);
  assert.equal((parseIpv4(padded) as Ipv4Repr).payload.length, 37);
});

test('IPv4 options: emitted, padded, walked safely; fragment fields', () => {
  const buf = new Uint8Array(60);
  // Router alert (RFC 2113, 4 bytes) followed by a NOP: padded to 8 with End of Option List.
  const hl = emitIpv4Header(buf, 0, { totalLength: 28, id: 7, mf: true, fragOffset: 1480, ttl: 1, protocol: 2, src: hex('0a000001'), dst: hex('e0000016'), options: hex('94040000 01') });
  assert.equal(hl, 28);
  const ip = parseIpv4(buf.subarray(0, 28)) as Ipv4Repr;
  assert.equal(ip.checksumOk, true);
  assert.equal(ip.headerLength, 28);
  assert.equal(toHex(ip.options), '9404000001000000');
  assert.equal(ip.mf, true);
  assert.equal(ip.df, false);
  assert.equal(ip.fragOffset, 1480);
  assert.ok(ipv4OptionsValid(ip.options));
  assert.ok(!ipv4OptionsValid(hex('9406000001'))); // length overruns
  assert.ok(!ipv4OptionsValid(hex('0101 07'))); // type without length
  assert.ok(!ipv4OptionsValid(hex('0701 0000'))); // length below 2
  assert.ok(ipv4OptionsValid(hex('0000 ffff'))); // after End nothing is read
});

const addr4 = fc.uint8Array({ minLength: 4, maxLength: 4 });

test('IPv4 + UDP emit → parse round-trip', () => {
  fc.assert(
    fc.property(
      fc.record({
        tos: fc.integer({ min: 0, max: 255 }), id: fc.integer({ min: 0, max: 0xffff }), df: fc.boolean(), mf: fc.boolean(),
        fragOffset: fc.integer({ min: 0, max: 0x1fff }).map((v) => v * 8), ttl: fc.integer({ min: 0, max: 255 }),
        src: addr4, dst: addr4, options: fc.uint8Array({ maxLength: 40 }),
      }),
      fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), fc.uint8Array({ maxLength: 300 }),
      (h, sp, dp, data) => {
        const hl = 20 + ((h.options.length + 3) & ~3);
        const total = hl + 8 + data.length;
        const buf = new Uint8Array(total + 3);
        buf.set(data, 1 + hl + 8);
        emitUdpHeader(buf, 1 + hl, sp, dp, data.length, h.src, h.dst);
        assert.equal(emitIpv4Header(buf, 1, { ...h, totalLength: total, protocol: 17 }), hl);
        const ip = parseIpv4(buf.subarray(1)) as Ipv4Repr;
        assert.ok(!(ip instanceof WireError));
        assert.ok(ip.checksumOk);
        assert.deepEqual(
          [ip.tos, ip.id, ip.df, ip.mf, ip.fragOffset, ip.ttl, ip.protocol, ip.totalLength, toHex(ip.src), toHex(ip.dst)],
          [h.tos, h.id, h.df, h.mf, h.fragOffset, h.ttl, 17, total, toHex(h.src), toHex(h.dst)],
        );
        assert.equal(toHex(ip.options.subarray(0, h.options.length)), toHex(h.options));
        const u = parseUdp(ip.payload) as UdpRepr;
        assert.deepEqual([u.srcPort, u.dstPort, u.length], [sp, dp, 8 + data.length]);
        assert.equal(toHex(u.payload), toHex(data));
        assert.ok(udpChecksumOk(ip.payload, ip.src, ip.dst));
      },
    ),
    { numRuns: 400 },
  );
});

test('UDP over IPv6 pseudo-header round-trip', () => {
  const a16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
  fc.assert(
    fc.property(a16, a16, fc.uint8Array({ maxLength: 200 }), (src, dst, data) => {
      const buf = new Uint8Array(8 + data.length);
      buf.set(data, 8);
      emitUdpHeader(buf, 0, 5353, 5353, data.length, src, dst);
      assert.ok(udpChecksumOk(buf, src, dst));
      if (data.length > 0) {
        buf[8] ^= 1;
        assert.ok(!udpChecksumOk(buf, src, dst));
      }
    }),
    { numRuns: 300 },
  );
});

test('802.1Q tagged frame: tag read, inner type returned', () => {
  const f = hex('ffffffffffff 020000000001 8100 a07b 0806 0001');
  const e = parseEthernet(f);
  assert.ok(!(e instanceof WireError));
  assert.equal(e.etherType, 0x0806);
  assert.deepEqual(e.vlan, { pcp: 5, dei: false, id: 0x07b });
  assert.equal(toHex(e.payload), '0001');
  assert.ok(parseEthernet(hex('ffffffffffff 020000000001 8100 a0')) instanceof WireError);
  assert.ok(parseEthernet(hex('ffffffffffff 0200000000')) instanceof WireError);
});
