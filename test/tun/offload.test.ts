// A TUN device with the virtio-net header (IFF_VNET_HDR + TUNSETOFFLOAD, openTun's default):
// the kernel hands usernet TCP super-packets of up to 64 KiB and takes usernet's back, checksums
// partial both ways, and a transfer each way is byte-identical. Bytes on the wire, read by
// tshark: on the kernel's side of the device (dumpcap) the packets are super-packets both ways
// (IP length beyond the 1500-byte MTU); usernet's own capture of its interface shows what they
// stand for, wire segments of at most 1500 bytes with correct checksums.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { netnsUnavailable, runInNetns } from './netns.js';
import { MALFORMED_OR_BAD_CHECKSUM, TSHARK_MISSING, tsharkAvailable, tsharkRead } from '../tshark.js';

interface Stats { rxPackets: number; txPackets: number; rxBytes: number; txBytes: number; rxDrops: number; txDrops: number; txErrors: number; rxGso: number; txGso: number }
interface OffloadResult {
  family: 4 | 6; bytes: number; reader: string;
  offload: { vnetHdr: boolean; csum: boolean; tso4: boolean; tso6: boolean; uso4: boolean; uso6: boolean };
  toUsernet: { exit: number; kernel: { sha: string; reply: string } | string; usernetBytes: number; rxGso: number; usernetPcap: string | null };
  toKernel: { reply: string; sha: string; exit: number; txGso: number };
  udpGso: { exit: number; out: string; lengths: number[]; intact: boolean; rxGso: number };
  kernelPcap: string | null; dumpcapOutput?: string; dir: string;
  stats: Stats;
  iface: { rxPackets: number; txPackets: number; rxBytes: number; txBytes: number; rxErrors: number; rxDropped: number; rxGso: number; txGso: number };
}

const unavailable = netnsUnavailable();

/** [source address, IP length] of every packet of a capture (IPv4 total length, IPv6 payload length + 40). */
function ipLengths(path: string, family: 4 | 6): Array<[string, number]> {
  const fields = family === 4 ? ['-e', 'ip.src', '-e', 'ip.len'] : ['-e', 'ipv6.src', '-e', 'ipv6.plen'];
  const r = spawnSync('tshark', ['-n', '-r', path, '-T', 'fields', ...fields], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark -r ${path}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => {
    const [src, len] = l.split('\t');
    return [src!, Number(len) + (family === 6 ? 40 : 0)];
  });
}

// usernet's own capture (thousands of packets for tshark to read) only on the smaller transfer.
for (const [family, mib, reader] of [[4, 16, 'thread'], [6, 4, 'poll'], [4, 2, 'plain']] as const) {
  const capture = family === 6;
  if (reader === 'plain') {
    test('TUN without the virtio-net header (vnetHdr: false): 2 MiB each way intact, no super-packet either way', async (t) => {
      if (unavailable) { t.skip(unavailable); return; }
      const out = await runInNetns<OffloadResult>('./netns-offload.ts', [String(family), String(mib), reader, '--keep'], { timeoutMs: 240_000 });
      if ('skip' in out) { t.skip(out.skip); return; }
      const r = out.result;
      try {
        const n = mib * 1024 * 1024;
        assert.deepEqual(r.offload, { vnetHdr: false, csum: false, tso4: false, tso6: false, uso4: false, uso6: false });
        const k = r.toUsernet.kernel;
        assert.equal(typeof k === 'object' ? k.reply : k, typeof k === 'object' ? `${n} ${k.sha}` : '');
        assert.equal(r.toKernel.reply, `${n} ${r.toKernel.sha}`);
        assert.equal(r.stats.rxGso + r.stats.txGso, 0);
        assert.equal(r.udpGso.exit, 0, r.udpGso.out);
        assert.deepEqual(r.udpGso.lengths, [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 500], 'the kernel cut the UDP_SEGMENT send itself');
        assert.equal(r.udpGso.intact, true);
        assert.equal(r.stats.txPackets, r.iface.txPackets);
        assert.equal(r.stats.rxPackets, r.iface.rxPackets);
        if (tsharkAvailable && r.kernelPcap !== null) {
          const lens = ipLengths(r.kernelPcap, family);
          assert.ok(lens.length > 0 && lens.every(([, len]) => len <= 1500), `largest ${Math.max(...lens.map(([, l]) => l))}`);
        }
      } finally {
        rmSync(r.dir, { recursive: true, force: true });
      }
    });
    continue;
  }
  test(`TUN with the virtio-net header, IPv${family}, ${reader} reader: ${mib} MiB each way intact, TCP super-packets both ways`, async (t) => {
    if (unavailable) { t.skip(unavailable); return; }
    const out = await runInNetns<OffloadResult>('./netns-offload.ts', [String(family), String(mib), reader, '--keep', ...(capture ? ['--capture'] : [])], { timeoutMs: 240_000 });
    if ('skip' in out) { t.skip(out.skip); return; }
    const r = out.result;
    try {
      const n = mib * 1024 * 1024;
      const me = family === 4 ? '10.79.0.2' : 'fd79::2';
      const kernel = family === 4 ? '10.79.0.1' : 'fd79::1';
      await t.test('the kernel took the header and the offloads', () => {
        assert.equal(r.offload.vnetHdr, true);
        assert.equal(r.offload.csum, true, JSON.stringify(r.offload));
        assert.equal(family === 4 ? r.offload.tso4 : r.offload.tso6, true, JSON.stringify(r.offload));
      });
      await t.test('kernel -> usernet: every byte, in order', () => {
        assert.equal(r.toUsernet.exit, 0, JSON.stringify(r.toUsernet.kernel));
        const k = r.toUsernet.kernel;
        assert.equal(typeof k, 'object', String(k));
        if (typeof k === 'object') assert.equal(k.reply, `${n} ${k.sha}`, 'usernet received exactly the bytes the kernel sent');
        assert.equal(r.toUsernet.usernetBytes, n);
        assert.ok(r.toUsernet.rxGso > 0, 'the kernel handed usernet TCP super-packets');
      });
      await t.test('usernet -> kernel: every byte, in order', () => {
        assert.equal(r.toKernel.reply, `${n} ${r.toKernel.sha}`, 'the kernel received exactly the bytes usernet sent');
        assert.ok(r.toKernel.txGso > 0, 'usernet handed the kernel TCP super-packets');
      });
      await t.test('UDP_SEGMENT from the kernel: one super-datagram (USO) cut into its 10 datagrams', (tt) => {
        assert.equal(r.udpGso.exit, 0, r.udpGso.out);
        assert.deepEqual(r.udpGso.lengths, [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 500]);
        assert.equal(r.udpGso.intact, true, 'every datagram holds its own bytes');
        if (!(family === 4 ? r.offload.uso4 : r.offload.uso6)) { tt.skip(`the kernel refused USO (${JSON.stringify(r.offload)}): it cut the datagrams itself`); return; }
        assert.equal(r.udpGso.rxGso, 1, 'the kernel handed the device one super-datagram');
      });
      await t.test('the device counts what the interface counts (super-packets as their segments); nothing dropped', () => {
        assert.equal(r.stats.rxPackets, r.iface.rxPackets);
        assert.equal(r.stats.txPackets, r.iface.txPackets);
        assert.equal(r.stats.rxBytes, r.iface.rxBytes);
        assert.equal(r.stats.txBytes, r.iface.txBytes);
        assert.equal(r.stats.rxGso - r.udpGso.rxGso, r.iface.rxGso, 'TCP super-packets (the UDP one was cut before the interface)');
        assert.equal(r.stats.txGso, r.iface.txGso);
        assert.equal(r.stats.rxDrops + r.stats.txDrops + r.stats.txErrors + r.iface.rxErrors + r.iface.rxDropped, 0);
      });
      if (r.toUsernet.usernetPcap !== null) await t.test('tshark: usernet\'s capture shows wire segments (<= 1500 bytes) with good checksums', (tt) => {
        if (!tsharkAvailable) { tt.skip(TSHARK_MISSING); return; }
        if (r.toUsernet.usernetPcap === null) return;
        const lens = ipLengths(r.toUsernet.usernetPcap, family);
        const fromKernel = lens.filter(([src]) => src === kernel);
        assert.ok(fromKernel.length >= n / 1500, `${fromKernel.length} packets from the kernel for ${n} bytes`);
        assert.ok(lens.every(([, len]) => len <= 1500), `largest ${Math.max(...lens.map(([, l]) => l))}`);
        const read = tsharkRead(r.toUsernet.usernetPcap, { flagFilter: MALFORMED_OR_BAD_CHECKSUM, decodeAs: ['tcp.port==5001,data'] });
        assert.deepEqual(read.flagged, []);
      });
      await t.test('tshark: on the kernel\'s side of the device, the packets are super-packets both ways', (tt) => {
        if (!tsharkAvailable) { tt.skip(TSHARK_MISSING); return; }
        if (r.kernelPcap === null) { tt.skip(`no kernel-side capture (dumpcap missing or failed: ${r.dumpcapOutput ?? 'not installed'})`); return; }
        // dumpcap may miss packets on a loaded machine (its socket buffer fills): count what it has.
        const lens = ipLengths(r.kernelPcap, family);
        const big = (src: string): number => lens.filter(([s, len]) => s === src && len > 1500).length;
        assert.ok(big(kernel) > 0, `the kernel handed the device packets beyond the MTU (${lens.length} captured)`);
        assert.ok(big(me) > 0, `the kernel took packets beyond the MTU from usernet (${lens.length} captured)`);
        assert.ok(lens.every(([, len]) => len <= 65535), 'none beyond 64 KiB');
      });
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });
}
