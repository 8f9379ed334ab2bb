// Path MTU discovery (RFC 1191, RFC 8201): segments leave with DF set; a router on a narrower
// link answers "fragmentation needed" / "packet too big"; TCP lowers its MSS and resends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Network } from '../../src/world/network.js';
import { AF_INET, AF_INET6, addr, must, sha256, tapSegments, transfer } from './helpers.js';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';
import { IP_PMTUDISC_DONT } from '../../src/uapi/socket.js';

async function routed(family: 4 | 6): Promise<{ world: Network; c: TcpSocket; s: TcpSocket; far: ReturnType<Network['link']> }> {
  // a --1500-- r1 --1280-- r2 --1500-- b: both ends see 1500-byte links and announce that MSS.
  const world = new Network({ seed: 3 });
  const a = world.host('a');
  const r1 = world.host('r1', { forwarding: true });
  const r2 = world.host('r2', { forwarding: true });
  const b = world.host('b');
  world.link(a, r1, { ipv4: ['10.1.0.1/24', '10.1.0.2/24'], ipv6: ['fd01::1/64', 'fd01::2/64'] });
  const far = world.link(r1, r2, { ipv4: ['10.2.0.1/24', '10.2.0.2/24'], ipv6: ['fd02::1/64', 'fd02::2/64'], mtu: 1280 });
  world.link(r2, b, { ipv4: ['10.3.0.1/24', '10.3.0.2/24'], ipv6: ['fd03::1/64', 'fd03::2/64'] });
  a.route.add('default', { via: '10.1.0.2' });
  a.route.add('default', { via: 'fd01::2' });
  r1.route.add('10.3.0.0/24', { via: '10.2.0.2' });
  r1.route.add('fd03::/64', { via: 'fd02::2' });
  r2.route.add('10.1.0.0/24', { via: '10.2.0.1' });
  r2.route.add('fd01::/64', { via: 'fd02::1' });
  b.route.add('default', { via: '10.3.0.1' });
  b.route.add('default', { via: 'fd03::1' });
  const dom = family === 4 ? AF_INET : AF_INET6;
  const l = b.tcp.socket(dom);
  must(l.bind(addr(family === 4 ? '0.0.0.0' : '::', 80)));
  must(l.listen(4));
  const c = a.tcp.socket(dom);
  assert.equal(c.connect(addr(family === 4 ? '10.3.0.2' : 'fd03::2', 80)), -115);
  await world.run({ for: 100 });
  const acc = l.accept();
  assert.ok(typeof acc !== 'number');
  return { world, c, s: acc.sock as TcpSocket, far };
}

for (const family of [4, 6] as const) {
  test(`IPv${family}: "${family === 4 ? 'fragmentation needed' : 'packet too big'}" lowers the MSS; the data arrives intact`, async () => {
    const { world, c, s, far } = await routed(family);
    const hdr = family === 4 ? 40 : 60;
    // Both ends announced the MSS of their own 1500-byte links.
    assert.equal(c.info().sndMss, 1500 - hdr - 12);
    const segs = tapSegments(far, world);
    const data = randomBytes(200_000);
    const got = await transfer(c, s, data);
    assert.equal(sha256(got), sha256(data));
    assert.equal(c.info().pmtu, 1280);
    assert.equal(c.info().sndMss, 1280 - hdr - 12);
    const big = segs.filter((x) => x.len > 1280 - hdr - 12);
    assert.equal(big.length, 0, 'nothing larger crossed the narrow link');
    assert.ok(segs.filter((x) => x.len === 1280 - hdr - 12).length > 100);
    void world;
  });
}

test('IP_MTU_DISCOVER IP_PMTUDISC_DONT: no DF, the router fragments, the MSS stays; IP_TOS marks every packet', async () => {
  const { world, c, s, far } = await routed(4);
  must(c.setsockopt('IPPROTO_IP', 'IP_MTU_DISCOVER', IP_PMTUDISC_DONT));
  assert.equal(c.getsockopt('IPPROTO_IP', 'IP_MTU_DISCOVER'), IP_PMTUDISC_DONT);
  assert.equal(c.setsockopt('IPPROTO_IP', 'IP_MTU_DISCOVER', 6), -22);
  must(c.setsockopt('IPPROTO_IP', 'IP_TOS', 0x12)); // the ECN bits are TCP's own: 0x10 is kept
  assert.equal(c.getsockopt('IPPROTO_IP', 'IP_TOS'), 0x10);
  // IPv4 headers on the narrow link: fragments (MF or an offset), and their TOS.
  const frames: { df: boolean; frag: boolean; tos: number; len: number }[] = [];
  far.addTap((frame, _t, layer) => {
    const ip = layer === 2 ? frame.subarray(14) : frame;
    if (ip[0]! >>> 4 !== 4 || ip[9] !== 6) return;
    const ff = (ip[6]! << 8) | ip[7]!;
    frames.push({ df: (ff & 0x4000) !== 0, frag: (ff & 0x3fff) !== 0, tos: ip[1]!, len: (ip[2]! << 8) | ip[3]! });
  });
  const data = randomBytes(100_000);
  const got = await transfer(c, s, data);
  assert.equal(sha256(got), sha256(data));
  assert.equal(c.info().sndMss, 1500 - 40 - 12, 'no path MTU learned');
  const mine = frames.filter((f) => f.tos === 0x10);
  assert.ok(mine.length > 100, `${mine.length} of ${frames.length} frames with TOS 0x10`);
  assert.ok(mine.every((f) => !f.df), 'no DF');
  assert.ok(mine.filter((f) => f.frag).length > 100, 'fragmented on the way');
  assert.ok(mine.every((f) => f.len <= 1280));
  void world;
});
