// Floods of hostile input hold at most their configured memory (issue 11): tiny IPv4 and IPv6
// first fragments (ipfrag_high_thresh), and a legitimate exchange is served throughout. As on
// Linux since 4.17, a full reassembly memory drops every fragment until datagrams expire: only
// fragmented traffic suffers meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Network } from '../../src/index.js';
import { emitIpv4Header } from '../../src/wire/ipv4.js';
import { emitEthernetHeader } from '../../src/wire/ethernet.js';
import { parseIPv6 } from '../../src/wire/addr.js';
import { REASM_HIGH_THRESH, type Reassembler } from '../../src/kernel/fragments.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** JS heap plus array-buffer stores, after full collections. */
function held(): number {
  gc(); gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const MIB = 1 << 20;

/** Records the largest charge a reassembler reaches, after each fragment it takes. */
function peakOf(r: Reassembler): { peak: number } {
  const out = { peak: 0 };
  const add = r.add.bind(r);
  r.add = (...args: Parameters<Reassembler['add']>) => {
    const q = add(...args);
    if (r.memory > out.peak) out.peak = r.memory;
    return q;
  };
  return out;
}
const ATTACKER_MAC = new Uint8Array([2, 0, 0, 0, 0, 0x99]);

function lan() {
  const world = new Network({ seed: 5 });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const ib = b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  const raw = sw.connect('attacker');
  raw.onFrame = () => {};
  return { world, a, b, ib, raw };
}

/** An IPv4 first fragment of 8 bytes, in a frame of `frameLen` bytes (padding after the packet pins the whole frame). */
function frag4(dstMac: Uint8Array, i: number, frameLen: number): Uint8Array {
  const f = new Uint8Array(Math.max(frameLen, 14 + 28));
  emitEthernetHeader(f, 0, dstMac, ATTACKER_MAC, 0x0800);
  emitIpv4Header(f, 14, { totalLength: 28, id: i & 0xffff, mf: true, fragOffset: 0, ttl: 64, protocol: 17, src: new Uint8Array([10, 1, (i >>> 16) & 255, 9]), dst: new Uint8Array([10, 0, 0, 2]) });
  return f;
}

/** An IPv6 first fragment of 8 bytes behind `extLen` bytes of destination options (the unfragmentable part a first fragment must keep). */
function frag6(dstMac: Uint8Array, i: number, extLen: number): Uint8Array {
  const f = new Uint8Array(14 + 40 + extLen + 8 + 8);
  emitEthernetHeader(f, 0, dstMac, ATTACKER_MAC, 0x86dd);
  const plen = extLen + 16;
  f.set([0x60, 0, 0, 0, plen >>> 8, plen & 0xff, extLen > 0 ? 60 : 44, 64], 14);
  const src = parseIPv6('fd00::99')!;
  src[14] = (i >>> 8) & 0xff; src[15] = i & 0xff; src[13] = (i >>> 16) & 0xff;
  f.set(src, 22);
  f.set(parseIPv6('fd00::2')!, 38);
  let at = 54;
  if (extLen > 0) {
    // Destination options: next header 44, length in 8-octet units beyond the first, one PadN.
    f[at] = 44; f[at + 1] = extLen / 8 - 1; f[at + 2] = 1; f[at + 3] = extLen - 4;
    at += extLen;
  }
  // Fragment header: next header UDP, offset 0, M = 1, identification i.
  f.set([17, 0, 0, 1, (i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff], at);
  return f;
}

for (const kind of ['IPv4, 8-byte fragments', 'IPv4, 8-byte fragments in 1500-byte frames', 'IPv6, 8-byte fragments behind 1400 bytes of options'] as const) {
  test(`100,000 first fragments (${kind}) hold at most ipfrag_high_thresh; pings and TCP are served throughout, fragmented datagrams again once the flood expires`, async () => {
    const { world, a, b, ib, raw } = lan();
    const v6 = kind.startsWith('IPv6');
    const target = v6 ? 'fd00::2' : '10.0.0.2';
    assert.equal((await a.ping(target, { size: 3000 })).bytes, 3008);
    const echo = b.net.createServer((s) => s.pipe(s)).listen(7);
    const reasm = v6 ? b.kernel.ipv6.reasm : b.kernel.ipv4.reasm;
    const before = held();
    const m = peakOf(reasm);
    let exchanged = 0;
    for (let i = 0; i < 100_000; i++) {
      raw.send(v6 ? frag6(ib.mac, i, 1400) : frag4(ib.mac, i, kind.includes('1500') ? 1514 : 0));
      if (i % 10_000 === 9_999) {
        await world.run({ for: 1 });
        // Unfragmented traffic is served through the flood: a ping and a TCP exchange.
        assert.equal((await a.ping(target)).bytes, 64);
        const c = a.net.connect(7, target);
        c.on('data', () => { exchanged++; c.end(); });
        c.write('x');
        await world.run({ for: 50 });
      }
    }
    await world.run({ for: 1 });
    assert.equal(exchanged, 10);
    // Checked before each fragment is taken: at most one frame's charge and one datagram's bookkeeping over.
    const slack = 2048 + 320 + 640;
    assert.ok(m.peak <= REASM_HIGH_THRESH + slack && m.peak > REASM_HIGH_THRESH * 0.9, `charged at most ${REASM_HIGH_THRESH}, peak ${m.peak}`);
    const grew = held() - before;
    // What the host holds is what it was charged (within 50%), never more than 6 MiB.
    assert.ok(grew < 6 * MIB, `heap and buffers grew by ${(grew / MIB).toFixed(1)} MiB`);
    assert.ok(grew < reasm.memory * 1.5 + MIB, `held ${(grew / MIB).toFixed(1)} MiB for ${(reasm.memory / MIB).toFixed(1)} MiB charged`);
    const st = v6 ? b.kernel.stats.ip6 : b.kernel.stats.ip;
    assert.ok(st.ReasmFails! > 90_000);
    // While the memory is full a fragmented datagram is dropped too (Linux inet_frag_find).
    await assert.rejects(a.ping(target, { size: 3000, timeout: 500 }));
    // ipfrag_time (30 s) or ip6frag_time (60 s) later every incomplete datagram has expired, and fragments are reassembled again.
    await world.run({ for: v6 ? '61s' : '31s' });
    assert.equal(reasm.size, 0);
    assert.equal(reasm.memory, 0);
    assert.equal((await a.ping(target, { size: 3000 })).bytes, 3008);
    echo.close();
  });
}

test('ipfrag_* and ip6frag_* sysctls: Linux defaults and ranges; a lower high_thresh takes effect', async () => {
  const { world, a, b, ib, raw } = lan();
  assert.equal(b.sysctl('net.ipv4.ipfrag_high_thresh'), 4194304);
  assert.equal(b.sysctl('net.ipv4.ipfrag_low_thresh'), 3145728);
  assert.equal(b.sysctl('net.ipv4.ipfrag_time'), 30);
  assert.equal(b.sysctl('net.ipv6.ip6frag_high_thresh'), 4194304);
  assert.equal(b.sysctl('net.ipv6.ip6frag_low_thresh'), 3145728);
  assert.equal(b.sysctl('net.ipv6.ip6frag_time'), 60);
  // low_thresh may not exceed high_thresh, nor high_thresh fall below low_thresh.
  assert.throws(() => b.sysctl('net.ipv4.ipfrag_low_thresh', 5 * MIB));
  assert.throws(() => b.sysctl('net.ipv4.ipfrag_high_thresh', MIB));
  b.sysctl('net.ipv4.ipfrag_low_thresh', MIB / 2);
  b.sysctl('net.ipv4.ipfrag_high_thresh', MIB);
  const m = peakOf(b.kernel.ipv4.reasm);
  for (let i = 0; i < 5000; i++) raw.send(frag4(ib.mac, i, 1514));
  await world.run({ for: 1 });
  assert.ok(m.peak <= MIB + 2048 + 320 + 640 && m.peak > MIB * 0.9, `peak ${m.peak}`);
  // Full: new datagrams are not taken.
  const full = b.kernel.ipv4.reasm.size;
  for (let i = 0; i < 10; i++) raw.send(frag4(ib.mac, 100_000 + i, 0));
  await world.run({ for: 1 });
  assert.equal(b.kernel.ipv4.reasm.size, full);
  await world.run({ for: '31s' }); // ipfrag_time: the flood expires
  assert.equal(b.kernel.ipv4.reasm.size, 0);
  // A shorter ipfrag_time applies to datagrams that arrive after it is set.
  b.sysctl('net.ipv4.ipfrag_time', 5);
  for (let i = 0; i < 10; i++) raw.send(frag4(ib.mac, 200_000 + i, 0));
  await world.run({ for: 1 });
  assert.equal(b.kernel.ipv4.reasm.size, 10);
  await world.run({ for: '5s' });
  assert.equal(b.kernel.ipv4.reasm.size, 0);
  void a;
});
