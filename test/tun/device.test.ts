// host.attachDevice: an in-process TUN/TAP. The test plays the peer by hand: it reads the
// host's packets from 'packet' events and writes packets built byte by byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/world/network.js';

/** RFC 1071 Internet checksum over bytes[start, end). */
function inetSum(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) & 1) s += b[end - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
const put16 = (b: Uint8Array, at: number, v: number): void => { b[at] = v >> 8; b[at + 1] = v & 0xff; };
const get16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

/** An IPv4 packet src -> dst with `proto` and `payload`, header checksum done. */
function ipv4(src: number[], dst: number[], proto: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p[0] = 0x45; put16(p, 2, p.length); p[8] = 64; p[9] = proto;
  p.set(src, 12); p.set(dst, 16); p.set(payload, 20);
  put16(p, 10, inetSum(p, 0, 20));
  return p;
}
function icmpEcho(type: 0 | 8, id: number, seq: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  m[0] = type; put16(m, 4, id); put16(m, 6, seq); m.set(data, 8);
  put16(m, 2, inetSum(m, 0, m.length));
  return m;
}
/** Turns an echo request packet into its reply, by hand. */
function replyTo(req: Uint8Array): Uint8Array {
  const ihl = (req[0]! & 15) * 4;
  const total = get16(req, 2);
  const r = req.slice(0, total);
  r.set(req.subarray(16, 20), 12); r.set(req.subarray(12, 16), 16);
  put16(r, 10, 0); put16(r, 10, inetSum(r, 0, ihl));
  r[ihl] = 0; put16(r, ihl + 2, 0); put16(r, ihl + 2, inetSum(r, ihl, total));
  return r;
}

test('attachDevice (layer 3): the host answers a hand-made echo request and its ping is answered by hand', async () => {
  const world = new Network({ seed: 1 });
  const h = world.host('h');
  const dev = h.attachDevice('tun0', { ipv4: '10.1.0.1/24', mtu: 1400 });
  assert.equal(dev.iface.name, 'tun0');
  assert.equal(dev.iface.mtu, 1400);
  assert.equal(dev.layer, 3);
  const out: Uint8Array[] = [];
  dev.on('packet', (p) => out.push(p));

  // Peer -> host: echo request; the host's reply comes out of the device.
  const data = new TextEncoder().encode('usernet device');
  assert.equal(dev.write(ipv4([10, 1, 0, 2], [10, 1, 0, 1], 1, icmpEcho(8, 0x1234, 7, data))), true);
  await world.run();
  assert.equal(out.length, 1);
  const r = out[0]!;
  assert.equal(r[0]! >> 4, 4);
  assert.equal(r[9], 1);
  assert.deepEqual([...r.subarray(12, 20)], [10, 1, 0, 1, 10, 1, 0, 2]);
  assert.equal(inetSum(r, 0, 20), 0, 'IPv4 header checksum');
  assert.equal(r[20], 0, 'echo reply');
  assert.equal(inetSum(r, 20, r.length), 0, 'ICMP checksum');
  assert.deepEqual([get16(r, 24), get16(r, 26)], [0x1234, 7]);
  assert.deepEqual(r.subarray(28), data);

  // Host -> peer: host.ping; the test answers the request it reads from the device.
  out.length = 0;
  dev.removeAllListeners('packet');
  dev.on('packet', (p) => { out.push(p); if (p[9] === 1 && p[20] === 8) dev.write(replyTo(p)); });
  const res = await h.ping('10.1.0.2', { timeout: '1s' });
  assert.equal(res.from, '10.1.0.2');
  assert.equal(out.length, 1);
  assert.equal(dev.stats.packetsIn, 2);
  assert.equal(dev.stats.packetsOut, 2);

  // A packet that is not IP is counted by the interface and dropped.
  dev.write(Uint8Array.of(0x00, 1, 2, 3));
  await world.run();
  assert.equal(dev.iface.stats.rxErrors, 1);

  dev.close();
  assert.equal(dev.write(ipv4([10, 1, 0, 2], [10, 1, 0, 1], 1, icmpEcho(8, 1, 1, data))), false);
  await assert.rejects(h.ping('10.1.0.2', { timeout: '1s' }));
  assert.equal(out.length, 1, 'nothing comes out of a closed device');
});

test('attachDevice (layer 2): ARP and echo by hand in Ethernet frames', async () => {
  const world = new Network({ seed: 2 });
  const h = world.host('h');
  const dev = h.attachDevice('tap0', { layer: 2, ipv4: '10.2.0.1/24', mac: '02:00:00:00:00:01' });
  assert.equal(dev.layer, 2);
  const peerMac = [0x02, 0, 0, 0, 0, 0x02];
  const seen: string[] = [];
  dev.on('packet', (f) => {
    const type = get16(f, 12);
    if (type === 0x0806 && get16(f, 20) === 1) {
      seen.push('arp-request');
      assert.deepEqual([...f.subarray(0, 6)], [255, 255, 255, 255, 255, 255]);
      assert.deepEqual([...f.subarray(38, 42)], [10, 2, 0, 2], 'who-has 10.2.0.2');
      const a = new Uint8Array(42);
      a.set(f.subarray(6, 12), 0); a.set(peerMac, 6); put16(a, 12, 0x0806);
      a.set(f.subarray(14, 20), 14); put16(a, 20, 2);
      a.set(peerMac, 22); a.set([10, 2, 0, 2], 28); a.set(f.subarray(22, 32), 32);
      dev.write(a);
    } else if (type === 0x0800 && f[23] === 1 && f[34] === 8) {
      seen.push('echo-request');
      assert.deepEqual([...f.subarray(0, 6)], peerMac, 'sent to the MAC the ARP reply gave');
      assert.deepEqual([...f.subarray(6, 12)], [2, 0, 0, 0, 0, 1]);
      const ip = replyTo(f.subarray(14));
      const e = new Uint8Array(14 + ip.length);
      e.set(peerMac, 6); e.set(f.subarray(6, 12), 0); put16(e, 12, 0x0800); e.set(ip, 14);
      dev.write(e);
    } else {
      seen.push(`other ${type.toString(16)}`);
    }
  });
  const res = await h.ping('10.2.0.2', { timeout: '1s' });
  assert.equal(res.from, '10.2.0.2');
  assert.deepEqual(seen.filter((s) => !s.startsWith('other')), ['arp-request', 'echo-request']);
  const n = h.neigh().find((e) => e.dst === '10.2.0.2');
  assert.equal(n?.lladdr, '02:00:00:00:00:02', 'the ARP reply filled the neighbour table');
  assert.equal(n?.dev, 'tap0');
});

test('attachTun needs the real clock', () => {
  const world = new Network();
  const h = world.host('h');
  assert.throws(() => h.attachTun('utun9', { ipv4: '10.3.0.1/24' }), /clock: 'real'/);
  assert.equal(h.iface('utun9'), undefined);
});
