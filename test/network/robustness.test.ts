import { test } from 'node:test';
import { tsharkAvailable, tsharkRead, TSHARK_MISSING } from '../tshark.js';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Network, HEADROOM } from '../../src/index.js';
import { Random } from '../../src/links/random.js';

function lan(seed: number) {
  const world = new Network({ seed });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  const ia = a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const ib = b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  return { world, sw, a, b, ia, ib };
}

test('random and mutated frames injected on the switch are counted and dropped; pings still work', async () => {
  const { world, sw, a, b, ib } = lan(21);
  const errors: unknown[] = [];
  world.sched.onError = (e) => errors.push(e);
  // Real frames to mutate: whatever crosses the switch during a few pings.
  const samples: Uint8Array[] = [];
  sw.addTap((f) => { if (samples.length < 64) samples.push(f.slice()); });
  await a.ping('10.0.0.2');
  await a.ping('fd00::2', { size: 3000 });
  await a.ping('10.0.0.2', { size: 3000 });
  const raw = sw.connect('fuzzer');
  raw.onFrame = () => {};
  const rnd = new Random(99);
  const types = [0x0800, 0x86dd, 0x0806, 0x8100, rnd.u32() & 0xffff];
  for (let i = 0; i < 1500; i++) {
    let f: Uint8Array;
    if (i % 2 === 0) {
      // Random bytes behind a header that gets past the MAC filter.
      f = rnd.fill(new Uint8Array(rnd.int(120)));
      if (f.length >= 14) {
        f.set(i % 4 === 0 ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : ib.mac, 0);
        const t = types[rnd.int(types.length)]!;
        f[12] = t >>> 8;
        f[13] = t & 0xff;
        if (t === 0x0800 && f.length > 14) f[14] = 0x45;
        if (t === 0x86dd && f.length > 14) f[14] = 0x60;
      }
    } else {
      // A real frame with a few bytes changed (or truncated) after the Ethernet header.
      const s = samples[rnd.int(samples.length)]!;
      f = s.slice(0, rnd.chance(0.2) ? rnd.int(s.length) : s.length);
      const flips = 1 + rnd.int(4);
      for (let k = 0; k < flips && f.length > 14; k++) f[14 + rnd.int(f.length - 14)] = rnd.u32() & 0xff;
      if (f.length >= 6) f.set(ib.mac, 0);
    }
    // Our own source MAC, so that the switch keeps b's MAC on b's port.
    if (f.length >= 12) f.set([2, 0, 0, 0, 0xfe, 0xed], 6);
    raw.send(f);
    if (i % 100 === 0) await world.run({ for: '10ms' });
  }
  await world.run({ for: '40s' });
  assert.deepEqual(errors, []);
  const s = b.kernel.stats;
  const dropped = s.link.InErrors! + s.link.InUnknownProtos! + s.arp.InErrors! + s.ip.InHdrErrors! + s.ip.InTruncatedPkts! +
    s.ip.InAddrErrors! + s.ip6.InHdrErrors! + s.ip6.InTruncatedPkts! + s.ip6.InAddrErrors! + s.icmp.InErrors! + s.icmp6.InErrors! +
    s.ip.InUnknownProtos! + s.ip6.InUnknownProtos! + s.ip.ReasmFails! + s.ip6.ReasmFails! + s.ndisc.InErrors!;
  assert.ok(dropped > 500, `dropped ${dropped}: ${JSON.stringify(s)}`);
  assert.ok(s.ip.InCsumErrors! > 0);
  assert.ok(s.icmp.InCsumErrors! + s.icmp6.InCsumErrors! > 0);
  // Still serving.
  assert.equal((await a.ping('10.0.0.2')).from, '10.0.0.2');
  assert.equal((await a.ping('fd00::2')).from, 'fd00::2');
  assert.equal((await b.ping('10.0.0.1', { size: 3000 })).bytes, 3008);
});

test('a capture of the switch reads in tshark with no malformed packet and no bad checksum', async (t) => {
  if (!tsharkAvailable) { t.skip(TSHARK_MISSING); return; }
  const { world, sw, a, b } = lan(5);
  const r = world.host('r', { forwarding: true });
  r.attach(sw, { ipv4: '10.0.0.254/24', ipv6: 'fd00::fe/64' });
  const far = world.host('far');
  world.link(r, far, { ipv4: ['10.1.0.1/24', '10.1.0.2/24'], ipv6: ['fd01::1/64', 'fd01::2/64'], mtu: 1280 });
  a.route.add('default', { via: '10.0.0.254' });
  a.route.add('default', { via: 'fd00::fe' });
  far.route.add('default', { via: '10.1.0.1' });
  far.route.add('default', { via: 'fd01::1' });
  const path = join(mkdtempSync(join(tmpdir(), 'usernet-')), 'lan.pcap');
  const cap = world.capture(sw, path);
  await a.ping('b');
  await a.ping('fd00::2', { size: 4000 });
  await a.ping('10.0.0.2', { size: 4000 });
  await a.ping('10.1.0.2', { size: 1400 });
  await a.ping('10.1.0.2', { size: 1400, dontFragment: true }).catch(() => {});
  await a.ping('fd01::2', { size: 1400 }).catch(() => {});
  await a.ping('fd01::2', { size: 1400 });
  await a.ping('10.1.0.2', { ttl: 1 }).catch(() => {});
  await a.ping('fd01::2', { ttl: 1 }).catch(() => {});
  await a.ping('10.0.0.99', { timeout: '4s' }).catch(() => {});
  a.kernel.output(4, '10.0.0.1', '10.0.0.2', 201, new Uint8Array(HEADROOM + 12), HEADROOM); // protocol unreachable
  a.kernel.output(6, 'fd00::1', 'fd00::2', 201, new Uint8Array(HEADROOM + 12), HEADROOM);
  await world.run();
  await b.ping('10.0.0.1');
  await cap.close();
  // ICMP and ICMPv6 checksums are always verified by tshark; IP's only when asked.
  const read = tsharkRead(path);
  const all = { stdout: read.lines.join('\n') };
  assert.ok(read.lines.length > 40, all.stdout);
  for (const want of ['Who has 10.0.0.2', 'Neighbor Solicitation', 'Echo (ping) reply', 'Fragmented IP protocol', 'Time-to-live exceeded',
    'Destination unreachable (Fragmentation needed)', 'Packet Too Big', 'Time Exceeded', 'Destination unreachable (Protocol unreachable)', 'Parameter Problem']) {
    assert.ok(all.stdout.includes(want), `missing "${want}" in\n${all.stdout}`);
  }
  assert.deepEqual(read.flagged, [], `tshark flagged:\n${read.flagged.join('\n')}`);
});

test('caches keep their own copy of addresses: bytes of a frame changed after delivery (a reused buffer) change nothing the host holds', async () => {
  const { world, sw, a, b } = lan(23);
  const srv = a.net.createServer((s) => { s.on('data', (d) => s.end(d)); });
  srv.listen(80);
  // TCP frames are Node Buffers, whose slice() is a view: whatever the host keeps from one must
  // be a copy, or it pins the frame and changes with it.
  const seen: Uint8Array[] = [];
  sw.addTap((f) => { seen.push(f); });
  const exchange = async (host: string): Promise<string> => {
    const c = b.net.connect(80, host);
    const got: Buffer[] = [];
    c.on('data', (d) => got.push(d));
    c.on('error', () => {});
    c.end('hello');
    await world.run({ for: '1s' });
    return Buffer.concat(got).toString();
  };
  for (const host of ['10.0.0.1', 'fd00::1']) assert.equal(await exchange(host), 'hello');
  assert.ok(seen.length > 10 && seen.some((f) => Buffer.isBuffer(f)), 'some frames were Buffers');
  for (const f of seen) f.fill(0xee);
  for (const host of ['10.0.0.1', 'fd00::1']) assert.equal(await exchange(host), 'hello', `${host} after the frames' bytes changed`);
  assert.equal(a.kernel.stats.tcp.InCsumErrors, 0);
  assert.ok(a.neigh().every((n) => n.lladdr === undefined || !n.lladdr.startsWith('ee:ee')), JSON.stringify(a.neigh()));
  await world.close(); // its listener would hold the process open, as a Node program's does
});
