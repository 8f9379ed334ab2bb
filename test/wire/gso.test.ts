// Software segmentation of TCP super-segments (src/wire/gso.ts): what a TSO NIC would put on the
// wire, byte for byte: headers repeated, payload cut every `gso` bytes, sequence numbers advanced,
// IPv4 identification incremented, FIN/PSH only on the last segment, CWR only on the first, and
// both checksums right. tshark reads the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as w from '../../src/wire/index.js';
import { TSHARK_MISSING, tsharkAvailable, tsharkRead } from '../tshark.js';

const macA = w.parseMAC('02:00:00:00:00:01')!;
const macB = w.parseMAC('02:00:00:00:00:02')!;

/** An Ethernet frame holding one TCP packet with `payload`, its checksum left partial (as TCP leaves a super-segment). */
function superFrame(family: 4 | 6, payload: Uint8Array, flags: number, seq = 0xfffff000): Uint8Array {
  const ipLen = family === 4 ? 20 : 40;
  const opts: w.TcpOptions = { timestamp: { tsval: 1234, tsecr: 5678 } };
  const thl = 20 + w.tcpOptionsLength(opts);
  const f = new Uint8Array(14 + ipLen + thl + payload.length);
  w.emitEthernetHeader(f, 0, macB, macA, family === 4 ? w.ETHERTYPE_IPV4 : w.ETHERTYPE_IPV6);
  const src = w.parseIP(family === 4 ? '10.0.0.1' : 'fd00::1')!;
  const dst = w.parseIP(family === 4 ? '10.0.0.2' : 'fd00::2')!;
  if (family === 4) w.emitIpv4Header(f, 14, { totalLength: ipLen + thl + payload.length, id: 0xfffe, df: true, ttl: 64, protocol: 6, src, dst });
  else w.emitIpv6Header(f, 14, { payloadLength: thl + payload.length, nextHeader: 6, hopLimit: 64, src, dst });
  f.set(payload, 14 + ipLen + thl);
  w.emitTcpHeader(f, 14 + ipLen, { srcPort: 40000, dstPort: 80, seq, ack: 777, flags, window: 500, options: opts }, payload.length, src, dst, 'partial');
  return f;
}

for (const family of [4, 6] as const) {
  test(`IPv${family}: a 10-segment super-frame becomes the frames a NIC sends`, () => {
    const gso = family === 4 ? 1448 : 1428; // 1500 - IP header - 32 bytes of TCP header
    const payload = Uint8Array.from({ length: 9 * gso + 100 }, (_, i) => (i * 7) & 0xff);
    const f = superFrame(family, payload, w.TCP_ACK | w.TCP_PSH | w.TCP_FIN | w.TCP_CWR);
    assert.equal(w.gsoSegmentCount(f, 14, gso), 10);
    const segs = w.segmentTcp(f, 14, gso);
    assert.equal(segs.length, 10);
    assert.equal(w.gsoWireBytes(f, 14, gso), segs.reduce((n, s) => n + s.length, 0));
    const joined: number[] = [];
    segs.forEach((s, i) => {
      const e = w.parseEthernet(s) as w.EthernetRepr;
      const ip = family === 4 ? w.parseIpv4(e.payload) : w.parseIpv6(e.payload);
      assert.ok(!(ip instanceof w.WireError), String(ip));
      if (family === 4) {
        const h = ip as w.Ipv4Repr;
        assert.equal(h.id, (0xfffe + i) & 0xffff, 'the identification advances per segment and wraps');
        assert.equal(w.internetChecksum(e.payload, 0, 20), 0, 'IPv4 header checksum');
        assert.ok(h.df);
        assert.ok(h.totalLength <= 1500);
      }
      const l4 = family === 4 ? (ip as w.Ipv4Repr).payload : (ip as w.Ipv6Repr).payload;
      const srcB = family === 4 ? (ip as w.Ipv4Repr).src : (ip as w.Ipv6Repr).src;
      const dstB = family === 4 ? (ip as w.Ipv4Repr).dst : (ip as w.Ipv6Repr).dst;
      assert.ok(w.tcpChecksumOk(l4, srcB, dstB), `segment ${i}: TCP checksum`);
      const t = w.parseTcp(l4) as w.TcpRepr;
      assert.equal(t.seq, (0xfffff000 + i * gso) >>> 0, 'sequence numbers advance by the segment size, across the wrap');
      assert.equal(t.payload.length, i < 9 ? gso : 100);
      const last = i === 9;
      assert.equal((t.flags & w.TCP_FIN) !== 0, last, 'FIN only on the last');
      assert.equal((t.flags & w.TCP_PSH) !== 0, last, 'PSH only on the last');
      assert.equal((t.flags & w.TCP_CWR) !== 0, i === 0, 'CWR only on the first');
      assert.equal(t.options.timestamp?.tsval, 1234, 'options repeated');
      joined.push(...t.payload);
    });
    assert.deepEqual(Uint8Array.from(joined), payload);
    assert.ok(w.gsoFitsMtu(f, 14, gso, 1500));
    assert.ok(!w.gsoFitsMtu(f, 14, gso + 100, 1500));
  });
}

test('segmentTcp never throws on bytes it cannot read: not TCP, truncated, garbage', () => {
  const udp = superFrame(4, new Uint8Array(3000), w.TCP_ACK);
  udp[14 + 9] = 17;
  assert.deepEqual(w.segmentTcp(udp, 14, 1448), []);
  assert.deepEqual(w.segmentTcp(new Uint8Array(30), 14, 1448), []);
  assert.deepEqual(w.segmentTcp(superFrame(6, new Uint8Array(3000), w.TCP_ACK).subarray(0, 60), 14, 1448), []);
  for (let i = 0; i < 200; i++) {
    const junk = Uint8Array.from({ length: (i * 37) % 400 }, (_, k) => (k * 131 + i) & 0xff);
    assert.doesNotThrow(() => w.segmentTcp(junk, 14, 100));
  }
  assert.equal(w.gsoSegmentCount(new Uint8Array(10), 14, 1448), 1);
});

test('tshark reads the segments: TCP, good checksums, nothing malformed', (t) => {
  if (!tsharkAvailable) { t.skip(TSHARK_MISSING); return; }
  const dir = mkdtempSync(join(tmpdir(), 'usernet-gso-'));
  try {
    const parts: Uint8Array[] = [w.pcapGlobalHeader(1)];
    let n = 0;
    for (const family of [4, 6] as const) {
      for (const s of w.segmentTcp(superFrame(family, new Uint8Array(5 * 1448 + 7).fill(0x41), w.TCP_ACK | w.TCP_PSH), 14, 1448)) {
        parts.push(w.pcapRecordHeader(n, s.length, s.length), s);
        n++;
      }
    }
    const path = join(dir, 'gso.pcap');
    writeFileSync(path, Buffer.concat(parts));
    const r = tsharkRead(path);
    assert.equal(r.lines.length, 12);
    assert.deepEqual(r.flagged.filter((l) => !/TCP (Previous segment|ACKed unseen|Retransmission|Spurious)/.test(l)), []);
    assert.ok(r.lines.every((l) => / TCP /.test(l)), r.lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const family of [4, 6] as const) {
  test(`IPv${family}: a UDP super-datagram (UDP_SEGMENT, virtio-net UDP_L4) becomes its datagrams`, () => {
    const ipLen = family === 4 ? 20 : 40;
    const payload = Uint8Array.from({ length: 9500 }, (_, i) => (i * 13) & 0xff);
    const f = new Uint8Array(ipLen + 8 + payload.length);
    const src = w.parseIP(family === 4 ? '10.0.0.1' : 'fd00::1')!;
    const dst = w.parseIP(family === 4 ? '10.0.0.2' : 'fd00::2')!;
    if (family === 4) w.emitIpv4Header(f, 0, { totalLength: f.length, id: 0xffff, df: false, ttl: 64, protocol: 17, src, dst });
    else w.emitIpv6Header(f, 0, { payloadLength: 8 + payload.length, nextHeader: 17, hopLimit: 64, src, dst });
    f.set(payload, ipLen + 8);
    w.emitUdpHeader(f, ipLen, 5353, 7000, payload.length, src, dst);
    f[ipLen + 6] = 0x12; // a partial checksum, as the kernel leaves it: recomputed per datagram
    const segs = w.segmentUdp(f, 0, 1000);
    assert.equal(segs.length, 10);
    const joined: number[] = [];
    segs.forEach((s, i) => {
      const ip = family === 4 ? w.parseIpv4(s) : w.parseIpv6(s);
      assert.ok(!(ip instanceof w.WireError), String(ip));
      if (family === 4) {
        assert.equal((ip as w.Ipv4Repr).id, (0xffff + i) & 0xffff, 'the identification advances per datagram and wraps');
        assert.equal(w.internetChecksum(s, 0, 20), 0, 'IPv4 header checksum');
      }
      const l4 = family === 4 ? (ip as w.Ipv4Repr).payload : (ip as w.Ipv6Repr).payload;
      assert.ok(w.udpChecksumOk(l4, src, dst), `datagram ${i}: UDP checksum`);
      const u = w.parseUdp(l4) as w.UdpRepr;
      assert.equal(u.srcPort, 5353);
      assert.equal(u.payload.length, i < 9 ? 1000 : 500);
      joined.push(...u.payload);
    });
    assert.deepEqual(Uint8Array.from(joined), payload);
    assert.deepEqual(w.segmentUdp(f.subarray(0, ipLen + 4), 0, 1000), [], 'truncated: nothing');
    const tcp = Uint8Array.from(f);
    tcp[family === 4 ? 9 : 6] = 6;
    assert.deepEqual(w.segmentUdp(tcp, 0, 1000), [], 'not UDP: nothing');
  });
}
