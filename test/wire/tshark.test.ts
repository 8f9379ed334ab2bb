// Wire fidelity: frames built by every emitter, written with the pcap headers, read back by tshark
// (skipped when tshark is not installed). tshark must decode each as intended, with good checksums
// and nothing malformed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as w from '../../src/wire/index.js';

const hasTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

function buildFrames(): Array<[Uint8Array, string]> {
  const frames: Array<[Uint8Array, string]> = [];
  const macA = w.parseMAC('02:00:00:00:00:01')!;
  const macB = w.parseMAC('02:00:00:00:00:02')!;
  const v4a = w.parseIP('10.0.0.1')!;
  const v4b = w.parseIP('10.0.0.2')!;
  const llA = w.linkLocalFromMac(macA);
  const llB = w.linkLocalFromMac(macB);
  const g = w.parseIP('2001:db8::1')!;
  const eth = (type: number, dst: Uint8Array, expect: string, body: (b: Uint8Array, o: number) => number): void => {
    const b = new Uint8Array(2000);
    w.emitEthernetHeader(b, 0, dst, macA, type);
    const n = body(b, 14);
    frames.push([b.slice(0, Math.max(60, 14 + n)), expect]);
  };
  const ip4 = (proto: number, expect: string, body: (b: Uint8Array, o: number) => number): void =>
    eth(w.ETHERTYPE_IPV4, macB, expect, (b, o) => {
      const n = body(b, o + 20);
      return w.emitIpv4Header(b, o, { totalLength: 20 + n, id: frames.length, df: true, ttl: 64, protocol: proto, src: v4a, dst: v4b }) + n;
    });
  const ip6 = (src: Uint8Array, dst: Uint8Array, hop: number, m: w.Icmpv6Message, expect: string, routerAlert = false): void =>
    eth(w.ETHERTYPE_IPV6, w.isMulticastIP(dst) ? w.multicastMac(dst) : macB, expect, (b, o) => {
      let p = o + 40;
      if (routerAlert) {
        b.set([58, 0, 5, 2, 0, 0, 1, 0], p); // hop-by-hop: router alert (RFC 2711), PadN
        p += 8;
      }
      const n = w.emitIcmpv6(b, p, src, dst, m);
      w.emitIpv6Header(b, o, { payloadLength: p - o - 40 + n, nextHeader: routerAlert ? w.IPV6_HOPOPTS : 58, hopLimit: hop, src, dst });
      return p - o + n;
    });

  eth(w.ETHERTYPE_ARP, w.BROADCAST_MAC, 'Who has 10.0.0.2? Tell 10.0.0.1', (b, o) =>
    w.emitArp({ op: w.ARP_REQUEST, senderMac: macA, senderIp: v4a, targetMac: new Uint8Array(6), targetIp: v4b }, b, o));
  ip4(17, '1234 → 9999 Len=5', (b, o) => {
    b.set(new TextEncoder().encode('hello'), o + 8);
    return w.emitUdpHeader(b, o, 1234, 9999, 5, v4a, v4b) + 5;
  });
  ip4(6, 'MSS=1460 SACK_PERM TSval=1 TSecr=0 WS=128', (b, o) =>
    w.emitTcpHeader(b, o, { srcPort: 40000, dstPort: 80, seq: 100, ack: 0, flags: w.TCP_SYN, window: 64240, options: { mss: 1460, sackPermitted: true, timestamp: { tsval: 1, tsecr: 0 }, wscale: 7 } }, 0, v4a, v4b));
  ip4(6, 'Len=100 TSval=5 TSecr=3 SLE=', (b, o) => {
    const options: w.TcpOptions = { timestamp: { tsval: 5, tsecr: 3 }, sack: [[1000, 2000], [3000, 4000]] };
    const hl = 20 + w.tcpOptionsLength(options);
    b.fill(0x41, o + hl, o + hl + 100);
    return w.emitTcpHeader(b, o, { srcPort: 40000, dstPort: 80, seq: 101, ack: 500, flags: w.TCP_ACK | w.TCP_PSH, window: 502, options }, 100, v4a, v4b) + 100;
  });
  ip4(1, 'Echo (ping) request  id=0x0007, seq=1', (b, o) => w.emitIcmpv4(b, o, { type: w.ICMP_ECHO_REQUEST, code: 0, id: 7, seq: 1, data: new Uint8Array(56).fill(9) }));
  ip4(1, 'Fragmentation needed', (b, o) => {
    const q = new Uint8Array(28);
    w.emitIpv4Header(q, 0, { totalLength: 1500, id: 9, df: true, ttl: 63, protocol: 17, src: v4b, dst: v4a });
    q.set([0x13, 0x88, 0x17, 0x70, 0x05, 0xc8, 0, 0], 20); // UDP 5000 → 6000, length 1480
    return w.emitIcmpv4(b, o, { type: w.ICMP_DEST_UNREACH, code: w.ICMP_FRAG_NEEDED, mtu: 1400, data: q });
  });
  const sn = w.solicitedNodeMulticast(llB);
  ip6(llA, sn, 255, { type: w.ND_NEIGHBOR_SOLICIT, code: 0, nd: { target: llB, sourceLL: macA } }, 'Neighbor Solicitation for fe80::ff:fe00:2 from 02:00:00:00:00:01');
  ip6(llA, llB, 255, { type: w.ND_NEIGHBOR_ADVERT, code: 0, nd: { target: llA, solicited: true, override: true, targetLL: macA } }, 'Neighbor Advertisement fe80::ff:fe00:1 (sol, ovr) is at 02:00:00:00:00:01');
  ip6(llA, w.parseIP('ff02::2')!, 255, { type: w.ND_ROUTER_SOLICIT, code: 0, nd: { sourceLL: macA } }, 'Router Solicitation');
  ip6(llA, w.parseIP('ff02::1')!, 255, {
    type: w.ND_ROUTER_ADVERT, code: 0,
    nd: { curHopLimit: 64, routerLifetime: 1800, sourceLL: macA, mtu: 1500, prefixes: [{ prefix: w.parseIP('2001:db8::')!, length: 64, onLink: true, autonomous: true, valid: 86400, preferred: 14400 }] },
  }, 'Router Advertisement');
  ip6(llA, llB, 255, { type: w.ND_REDIRECT, code: 0, nd: { target: llB, redirectDest: g, targetLL: macB, redirectedHeader: new Uint8Array(40) } }, 'Redirect');
  ip6(llA, w.parseIP('ff02::16')!, 1, {
    type: w.MLDV2_REPORT, code: 0,
    mld: { version: 2, maxResponse: 0, records: [{ type: w.MLD2_CHANGE_TO_EXCLUDE, group: sn, sources: [] }, { type: w.MLD2_MODE_IS_INCLUDE, group: w.parseIP('ff05::1:3')!, sources: [g, llB] }] },
  }, 'Multicast Listener Report Message v2', true);
  ip6(llA, w.parseIP('ff02::1')!, 1, { type: w.MLD_QUERY, code: 0, mld: { version: 2, maxResponse: 10000, group: new Uint8Array(16), sources: [], qrv: 2, qqi: 125 } }, 'Multicast Listener Query', true);
  ip6(llA, w.parseIP('ff02::1')!, 1, { type: w.MLD_QUERY, code: 0, mld: { version: 1, maxResponse: 10000, group: new Uint8Array(16) } }, 'Multicast Listener Query', true);
  ip6(g, llB, 64, { type: w.ICMP6_ECHO_REQUEST, code: 0, id: 1, seq: 2, data: new Uint8Array(32).fill(7) }, 'Echo (ping) request id=0x0001, seq=2');
  const quoted6 = new Uint8Array(48 + 16);
  w.emitUdpHeader(quoted6, 40, 5000, 6000, 16, llB, g);
  w.emitIpv6Header(quoted6, 0, { payloadLength: 1452, nextHeader: 17, hopLimit: 64, src: llB, dst: g });
  ip6(g, llB, 64, { type: w.ICMP6_PACKET_TOO_BIG, code: 0, mtu: 1280, data: quoted6 }, 'Packet Too Big');
  eth(w.ETHERTYPE_IPV6, macB, 'IPv6 fragment (off=0 more=y ident=0x00001234 nxt=17)', (b, o) => {
    const udp = new Uint8Array(108);
    udp.fill(3, 8);
    w.emitUdpHeader(udp, 0, 5000, 6000, 100, g, llB);
    w.emitIpv6FragmentHeader(b, o + 40, 17, 0, true, 0x1234);
    b.set(udp.subarray(0, 56), o + 48);
    w.emitIpv6Header(b, o, { payloadLength: 64, nextHeader: w.IPV6_FRAGMENT, hopLimit: 64, src: g, dst: llB });
    return 104;
  });
  eth(w.ETHERTYPE_IPV6, macB, 'MSS=1440 SACK_PERM TSval=9 TSecr=0 WS=512', (b, o) => {
    const hl = w.emitTcpHeader(b, o + 40, { srcPort: 1, dstPort: 2, seq: 0xfffffff0, ack: 0, flags: w.TCP_SYN, window: 65535, options: { mss: 1440, sackPermitted: true, timestamp: { tsval: 9, tsecr: 0 }, wscale: 9 } }, 0, g, llB);
    w.emitIpv6Header(b, o, { payloadLength: hl, nextHeader: 6, hopLimit: 64, src: g, dst: llB });
    return 40 + hl;
  });
  return frames;
}

test('tshark decodes every emitted frame, checksums good, nothing malformed', { skip: !hasTshark && 'tshark not installed' }, () => {
  const frames = buildFrames();
  const parts: Uint8Array[] = [w.pcapGlobalHeader(w.LINKTYPE_ETHERNET)];
  frames.forEach(([f], i) => parts.push(w.pcapRecordHeader(1000 + i * 1.5, f.length, f.length), f));
  const dir = mkdtempSync(join(tmpdir(), 'usernet-wire-'));
  try {
    const file = join(dir, 'wire.pcap');
    writeFileSync(file, Buffer.concat(parts));
    const prefs = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
    const run = (args: string[]) => {
      const r = spawnSync('tshark', ['-n', '-r', file, ...prefs, ...args], { encoding: 'utf8', timeout: 60000 });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    // The one-line summaries (number, relative time, addresses, protocol, length, info).
    const info = run([]).trim().split('\n');
    assert.equal(info.length, frames.length);
    info.forEach((line, i) => assert.ok(line.includes(frames[i][1]), `frame ${i + 1}: ${line} lacks "${frames[i][1]}"`));
    assert.match(info[1], /^\s*2\s+0\.001500\s/); // pcap record timestamps
    const bad = run(['-Y', '_ws.malformed || _ws.expert.severity >= 8388608 || ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || icmp.checksum.status == 0 || icmpv6.checksum.status == 0']);
    assert.equal(bad.trim(), '', bad);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
