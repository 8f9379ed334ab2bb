// Segmentation offload between usernet hosts (TSO/GSO on the sender, super-frames across plain
// virtual wires, as Linux veth and bridges carry GSO packets): the data arrives intact; counters
// count real segments; wherever real frames matter (a capture, an impairment, a router, a device)
// the wire carries only frames that fit the MTU, with correct checksums (tshark reads them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Network } from '../../src/world/network.js';
import type { Host } from '../../src/world/host.js';
import { AF_INET, AF_INET6, type Domain } from '../../src/uapi/socket.js';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';
import { addr, sha256, transfer } from './helpers.js';
import { MALFORMED_OR_BAD_CHECKSUM, TSHARK_MISSING, tsharkAvailable, tsharkRead } from '../tshark.js';

async function connect(world: Network, server: Host, client: Host, dst: string, family: 4 | 6 = 4): Promise<[TcpSocket, TcpSocket]> {
  const dom: Domain = family === 4 ? AF_INET : AF_INET6;
  const l = server.tcp.socket(dom);
  assert.equal(l.bind(addr(family === 4 ? '0.0.0.0' : '::', 80)), 0);
  assert.equal(l.listen(8), 0);
  const c = client.tcp.socket(dom);
  assert.equal(c.connect(addr(dst, 80)), -115);
  await world.run({ for: 50 });
  const a = l.accept();
  if (typeof a === 'number') throw new Error(`accept: ${a}`);
  return [c, a.sock as TcpSocket];
}

/** Frame lengths in a pcap file (classic pcap, any byte order handled by the writer: ours is little-endian). */
function pcapFrameLengths(path: string): number[] {
  const b = readFileSync(path);
  const out: number[] = [];
  for (let o = 24; o + 16 <= b.length;) {
    const incl = b.readUInt32LE(o + 8);
    out.push(b.readUInt32LE(o + 12));
    o += 16 + incl;
  }
  return out;
}

function lan(offload = true): { world: Network; a: Host; b: Host } {
  const world = new Network({ seed: 4 });
  const sw = world.switch('lan', { mtu: 1500 });
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' }).offload = offload;
  b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' }).offload = offload;
  return { world, a, b };
}

for (const family of [4, 6] as const) {
  test(`IPv${family}: 4 MiB across a switch goes in super-frames, counted as real segments, intact`, async () => {
    const { world, a, b } = lan();
    const [c, s] = await connect(world, b, a, family === 4 ? '10.0.0.2' : 'fd00::2', family);
    const data = randomBytes(4 << 20);
    const got = await transfer(c, s, data);
    assert.equal(sha256(got), sha256(data));
    const ea = a.iface('eth0')!.stats;
    const eb = b.iface('eth0')!.stats;
    assert.ok(ea.txGso > 0 && eb.rxGso > 0, `super-frames crossed: tx ${ea.txGso}, rx ${eb.rxGso}`);
    const mss = c.info().sndMss;
    assert.equal(mss, family === 4 ? 1448 : 1428);
    const minSegs = Math.ceil(data.length / mss);
    assert.ok(c.info().dataSegsOut >= minSegs && c.info().dataSegsOut < minSegs + 50, `dataSegsOut ${c.info().dataSegsOut} ~ ${minSegs}`);
    assert.ok(s.info().dataSegsIn >= minSegs, `dataSegsIn ${s.info().dataSegsIn}`);
    assert.ok(ea.txPackets >= minSegs, `eth0 tx packets count segments: ${ea.txPackets}`);
    assert.ok(ea.txGso < ea.txPackets / 10, 'each super-frame stood for many segments');
    // Super-frames carry a partial checksum; the receiver checked none and counted no error.
    assert.equal(b.tcp.stats.InCsumErrors, 0);
  });
}

test('offload off (ethtool -K eth0 tso off): one segment per packet, same bytes', async () => {
  const { world, a, b } = lan(false);
  const [c, s] = await connect(world, b, a, '10.0.0.2');
  const data = randomBytes(1 << 20);
  assert.equal(sha256(await transfer(c, s, data)), sha256(data));
  assert.equal(a.iface('eth0')!.stats.txGso, 0);
  assert.equal(b.iface('eth0')!.stats.rxGso, 0);
});

test('a capture of the switch sees only real frames (<= 1514 bytes), tshark finds nothing malformed', async (t) => {
  const { world, a, b } = lan();
  const dir = mkdtempSync(join(tmpdir(), 'usernet-tso-'));
  try {
    const path = join(dir, 'lan.pcap');
    const cap = world.capture(world.switches.get('lan')!, path);
    const [c, s] = await connect(world, b, a, '10.0.0.2');
    const data = randomBytes(1 << 20);
    assert.equal(sha256(await transfer(c, s, data)), sha256(data));
    await cap.close();
    const lens = pcapFrameLengths(path);
    assert.ok(lens.length > (1 << 20) / 1448, `${lens.length} frames`);
    assert.ok(lens.every((n) => n <= 1514), `largest frame ${Math.max(...lens)}`);
    assert.ok(a.iface('eth0')!.stats.txGso > 0, 'the sender still handed super-frames to the switch port');
    assert.equal(b.iface('eth0')!.stats.rxGso, 0, 'the receiver got the real frames the capture saw');
    if (!tsharkAvailable) { t.skip(TSHARK_MISSING); return; }
    // The payload is random bytes: decode it as data, not as HTTP (port 80).
    const r = tsharkRead(path, { flagFilter: MALFORMED_OR_BAD_CHECKSUM, decodeAs: ['tcp.port==80,data'] });
    assert.equal(r.lines.length, lens.length);
    assert.deepEqual(r.flagged, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loss on the switch acts on real frames: lost frames are single segments, recovered by SACK', async () => {
  const { world, a, b } = lan();
  const sw = world.switches.get('lan')!;
  const [c, s] = await connect(world, b, a, '10.0.0.2');
  sw.impair({ loss: 0.01, latency: 2 });
  const data = randomBytes(4 << 20);
  assert.equal(sha256(await transfer(c, s, data)), sha256(data));
  const st = sw.stats();
  assert.ok(st.lost > 10, `frames lost: ${st.lost}`);
  const retrans = c.info().totalRetrans;
  assert.ok(retrans >= st.lost * 0.5 && retrans <= 3 * st.lost + 10, `retransmitted ${retrans} segments for ${st.lost} lost frames`);
  assert.equal(b.iface('eth0')!.stats.rxGso, 0, 'the impaired port delivered real frames');
});

test('through a router: the router forwards real frames onto the next switch', async () => {
  const world = new Network({ seed: 5 });
  const left = world.switch('left', { mtu: 1500 });
  const right = world.switch('right', { mtu: 1500 });
  const a = world.host('a');
  const r = world.host('r', { forwarding: true });
  const b = world.host('b');
  a.attach(left, { ipv4: '10.1.0.1/24' });
  r.attach(left, { ipv4: '10.1.0.254/24' });
  r.attach(right, { ipv4: '10.2.0.254/24' });
  b.attach(right, { ipv4: '10.2.0.1/24' });
  a.route.add('default', { via: '10.1.0.254' });
  b.route.add('default', { via: '10.2.0.254' });
  const [c, s] = await connect(world, b, a, '10.2.0.1');
  const data = randomBytes(2 << 20);
  assert.equal(sha256(await transfer(c, s, data)), sha256(data));
  assert.ok(r.iface('eth0')!.stats.rxGso > 0, 'the router received super-frames');
  assert.equal(r.iface('eth1')!.stats.txGso, 0, 'and forwarded their segments');
  assert.equal(b.iface('eth0')!.stats.rxGso, 0);
  assert.ok(r.kernel.stats.ip.ForwDatagrams! >= Math.ceil(data.length / 1448), `forwarded ${r.kernel.stats.ip.ForwDatagrams} datagrams`);
});

test('path MTU below the link MTU: super-segments shrink with the MSS (no oversize frame anywhere)', async () => {
  const world = new Network({ seed: 6 });
  const a = world.host('a');
  const b = world.host('b');
  const link = world.link(a, b, { ipv4: ['10.0.0.1/24', '10.0.0.2/24'], mtu: 1500 });
  const [c, s] = await connect(world, b, a, '10.0.0.2');
  a.tcp.pmtuChanged(c, 1200);
  const data = randomBytes(1 << 20);
  assert.equal(sha256(await transfer(c, s, data)), sha256(data));
  const st = link.stats();
  assert.equal(st['a->b'].oversize, 0);
  assert.equal(c.info().sndMss, 1200 - 20 - 32);
});
