import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import {
  BROADCAST_MAC, broadcastOf, bytesEqual, canonicalIP, formatIP, formatIPv4, formatIPv6, formatMAC, ipFamily,
  isBroadcastIPv4, isLinkLocalIP, isLoopbackIP, isMulticastIP, isMulticastMac, isUnspecifiedIP, isV4Mapped,
  linkLocalFromMac, macEquals, multicastMac, networkOf, parseCIDR, parseIP, parseIPv4, parseIPv6, parseMAC,
  prefixMatch, solicitedNodeMulticast, unmapV4, v4Mapped,
} from '../../src/wire/addr.js';
import { hex, toHex } from './hex.js';

test('IPv4 parse and format', () => {
  assert.deepEqual(parseIPv4('192.168.1.10'), new Uint8Array([192, 168, 1, 10]));
  assert.deepEqual(parseIPv4('0.0.0.0'), new Uint8Array(4));
  assert.deepEqual(parseIPv4('255.255.255.255'), new Uint8Array([255, 255, 255, 255]));
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', ' 1.2.3.4', '1..2.3', '1.2.3.', 'a.b.c.d', '1.2.3.1000', '-1.2.3.4']) {
    assert.equal(parseIPv4(bad), null, bad);
  }
  assert.equal(formatIPv4(new Uint8Array([9, 10, 0, 255, 1]), 1), '10.0.255.1');
});

test('RFC 5952 canonical IPv6 text', () => {
  const cases: Array<[string, string]> = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // §4.1 leading zeros, §4.2.1 longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3 first of equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2 a single zero group stays
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3 longest run wins
    ['2001:DB8::ABCD', '2001:db8::abcd'], // §4.3 lowercase
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['fe80:0:0:0:0:0:0:1%eth0', 'fe80::1'],
    ['::ffff:c000:0280', '::ffff:192.0.2.128'], // §5 IPv4-mapped
    ['::FFFF:1.2.3.4', '::ffff:1.2.3.4'],
    ['::1.2.3.4', '::102:304'], // IPv4-compatible is deprecated: hex
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'], // RFC 6052 well-known prefix, embedded
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6::8', '1:2:3:4:5:6:0:8'], // a "::" for one group is rewritten
    ['ff02::1:ff00:1', 'ff02::1:ff00:1'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIP(input), want, input);
});

test('IPv6 parse rejects malformed text like net.isIPv6 does', () => {
  for (const bad of [':', ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', ':1::', '1::2:', 'g::1', '::1.2.3', '::1.2.3.04', '1:2:3:4:5:6:7:1.2.3.4', '::%', '%eth0', 'fe80::1%', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8::']) {
    assert.equal(parseIPv6(bad), null, bad);
    assert.equal(isIP(bad), 0, `node also rejects ${bad}`);
  }
});

test('parse of v4-mapped and embedded IPv4', () => {
  const m = parseIPv6('::ffff:10.1.2.3')!;
  assert.equal(toHex(m), '00000000000000000000ffff0a010203');
  assert.ok(isV4Mapped(m));
  assert.deepEqual(unmapV4(m), new Uint8Array([10, 1, 2, 3]));
  assert.deepEqual(v4Mapped(new Uint8Array([10, 1, 2, 3])), m);
  assert.equal(toHex(parseIPv6('1:2:3:4:5:6:1.2.3.4')!), '00010002000300040005000601020304');
  assert.equal(toHex(parseIPv6('::1.2.3.4')!), '00000000000000000000000001020304');
  assert.equal(isV4Mapped(parseIPv6('::1.2.3.4')!), false);
  assert.equal(formatIP(m), '::ffff:10.1.2.3');
});

test('ipFamily agrees with net.isIP on random strings and on formatted random addresses', () => {
  const chars = fc.constantFrom(...'0123456789abcdefABCDEFgz:.%- '.split(''));
  fc.assert(
    fc.property(fc.string({ unit: chars, maxLength: 24 }), (s) => {
      assert.equal(ipFamily(s), isIP(s), s);
    }),
    { numRuns: 2000 },
  );
  // Near-valid text: groups, dotted quads, zones, joined by ':' or '.'.
  const hexDigit = fc.constantFrom(...'0123456789abcdefABCDEF'.split(''));
  const part = fc.oneof(
    fc.constantFrom('', '0', '0000', '00000', 'FfFf', '12345', '1.2.3.4', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '%eth0', '%'),
    fc.string({ unit: hexDigit, maxLength: 5 }),
  );
  fc.assert(
    fc.property(fc.array(part, { maxLength: 10 }), fc.constantFrom(':', '.'), (parts, sep) => {
      const s = parts.join(sep);
      assert.equal(ipFamily(s), isIP(s), s);
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), (a6, a4) => {
      const t6 = formatIPv6(a6);
      assert.equal(isIP(t6), 6, t6);
      assert.deepEqual(parseIPv6(t6), a6);
      assert.deepEqual(parseIP(formatIPv4(a4)), a4);
    }),
    { numRuns: 500 },
  );
});

test('formatIPv6 follows RFC 5952 §4 on random zero-heavy addresses and round-trips', () => {
  // Addresses with many zero groups exercise the run selection.
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  fc.assert(
    fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (g) => {
      const b = new Uint8Array(16);
      g.forEach((v, i) => { b[2 * i] = v >>> 8; b[2 * i + 1] = v & 255; });
      const t = formatIPv6(b);
      assert.deepEqual(parseIPv6(t), b);
      assert.equal(t, t.toLowerCase());
      if (!isV4Mapped(b)) {
        // No group has a leading zero and no alternative "::" placement is shorter.
        for (const part of t.split(':')) if (part.length > 1) assert.notEqual(part[0], '0', t);
        // The "::" stands for the longest zero run (at least 2 groups), the first one on a tie.
        let bestAt = -1;
        let bestLen = 1;
        for (let i = 0; i < 8; i++) {
          let j = i;
          while (j < 8 && g[j] === 0) j++;
          if (j - i > bestLen) { bestLen = j - i; bestAt = i; }
        }
        if (bestAt < 0) {
          assert.ok(!t.includes('::'), t);
        } else {
          const [left, right] = t.split('::');
          const nLeft = left === '' ? 0 : left.split(':').length;
          const nRight = right === '' ? 0 : right.split(':').length;
          assert.equal(nLeft, bestAt, t);
          assert.equal(8 - nLeft - nRight, bestLen, t);
        }
      }
    }),
    { numRuns: 1000 },
  );
});

test('CIDR, prefixes, network and broadcast', () => {
  assert.deepEqual(parseCIDR('10.0.0.1/24'), { address: new Uint8Array([10, 0, 0, 1]), prefix: 24 });
  assert.deepEqual(parseCIDR('10.0.0.1'), { address: new Uint8Array([10, 0, 0, 1]), prefix: 32 });
  assert.equal(parseCIDR('fd00::1/64')!.prefix, 64);
  assert.equal(parseCIDR('::/0')!.prefix, 0);
  for (const bad of ['10.0.0.1/33', '10.0.0.1/', '10.0.0.1/a', 'fd00::1/129', '10.0.0.1/024', 'x/8']) assert.equal(parseCIDR(bad), null, bad);
  const a = parseIP('10.1.2.3')!;
  assert.ok(prefixMatch(a, parseIP('10.1.255.255')!, 16));
  assert.ok(!prefixMatch(a, parseIP('10.2.0.0')!, 16));
  assert.ok(prefixMatch(a, parseIP('10.1.2.127')!, 25));
  assert.ok(!prefixMatch(a, parseIP('10.1.2.128')!, 25));
  assert.ok(prefixMatch(a, parseIP('1.1.1.1')!, 0));
  assert.ok(!prefixMatch(a, parseIP('::1')!, 0));
  assert.equal(formatIP(networkOf(a, 20)), '10.1.0.0');
  assert.equal(formatIP(broadcastOf(a, 20)), '10.1.15.255');
  assert.equal(formatIP(broadcastOf(parseIP('192.168.1.7')!, 30)), '192.168.1.7');
  assert.equal(formatIP(networkOf(parseIP('2001:db8:abcd:1234::99')!, 52)), '2001:db8:abcd:1000::');
});

test('address classes', () => {
  const ip = (s: string) => parseIP(s)!;
  assert.ok(isMulticastIP(ip('224.0.0.1')) && isMulticastIP(ip('239.255.255.255')) && !isMulticastIP(ip('240.0.0.1')));
  assert.ok(isMulticastIP(ip('ff02::1')) && !isMulticastIP(ip('fe80::1')));
  assert.ok(isLoopbackIP(ip('127.3.4.5')) && isLoopbackIP(ip('::1')) && !isLoopbackIP(ip('::2')) && !isLoopbackIP(ip('::')));
  assert.ok(isUnspecifiedIP(ip('0.0.0.0')) && isUnspecifiedIP(ip('::')) && !isUnspecifiedIP(ip('::1')));
  assert.ok(isLinkLocalIP(ip('169.254.9.9')) && isLinkLocalIP(ip('fe80::1')) && isLinkLocalIP(ip('febf::1')) && !isLinkLocalIP(ip('fec0::1')));
  assert.ok(isBroadcastIPv4(ip('255.255.255.255')) && !isBroadcastIPv4(ip('10.255.255.255')));
});

test('solicited-node multicast, multicast MACs and EUI-64 link-local', () => {
  // RFC 4291 §2.7.1 example shape: low 24 bits appended to ff02::1:ff00:0/104.
  assert.equal(formatIP(solicitedNodeMulticast(parseIP('fe80::2aa:ff:fe28:9c5a')!)), 'ff02::1:ff28:9c5a');
  assert.equal(formatMAC(multicastMac(parseIP('224.129.2.3')!)), '01:00:5e:01:02:03'); // RFC 1112 §6.4: 23 bits
  assert.equal(formatMAC(multicastMac(parseIP('ff02::1:ff28:9c5a')!)), '33:33:ff:28:9c:5a'); // RFC 2464 §7
  // RFC 4291 Appendix A: 00-AA-00-28-9C-5A → fe80::2aa:ff:fe28:9c5a.
  assert.equal(formatIP(linkLocalFromMac(parseMAC('00:aa:00:28:9c:5a')!)), 'fe80::2aa:ff:fe28:9c5a');
  assert.equal(formatIP(linkLocalFromMac(parseMAC('02:00:00:00:00:01')!)), 'fe80::ff:fe00:1');
});

test('MAC parse, format, classes', () => {
  const m = parseMAC('02:00:5E:10:00:01')!;
  assert.equal(formatMAC(m), '02:00:5e:10:00:01');
  assert.equal(formatMAC(hex('ffff 0a0b0c0d0e0f'), 2), '0a:0b:0c:0d:0e:0f');
  assert.deepEqual(parseMAC('2-0-5e-10-0-1'), m);
  for (const bad of ['', '02:00:5e:10:00', '02:00:5e:10:00:01:02', '02:00:5e:10:00:0g', '02:00:5e:10:00:001']) assert.equal(parseMAC(bad), null, bad);
  assert.ok(isMulticastMac(BROADCAST_MAC) && isMulticastMac(hex('333300000001')) && !isMulticastMac(m));
  assert.ok(macEquals(m, parseMAC('02:00:5e:10:00:01')!) && !macEquals(m, BROADCAST_MAC));
  assert.ok(bytesEqual(hex('0102'), hex('0102')) && !bytesEqual(hex('0102'), hex('010203')));
});
