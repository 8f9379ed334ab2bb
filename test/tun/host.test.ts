// host.attachTun: a usernet host (real clock) and the Linux kernel on the two sides of a TUN or
// TAP device, in a network namespace of its own: ICMP echo both ways, UDP both ways (IPv4 and
// IPv6), and TCP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsUnavailable, runInNetns } from './netns.js';

type Run = { exit: number; out: string };
interface HostResult {
  mode: string; name: string;
  usernetPing: { ok: boolean; from?: string; error?: string };
  kernelPing: Run; udp: Run;
  usernetPing6: { ok: boolean; from?: string; error?: string }; kernelPing6: Run; udp6: Run;
  udpOut: { got: string; from: string; kernel?: string }; udpOut6: { got: string; from: string; kernel?: string };
  tcpUnavailable?: string; tcpIn?: Run; tcpOut?: { ok: boolean; bytes: number; error?: string }; kernelServer?: Run;
  stats: { rxPackets: number; txPackets: number; rxDrops: number; txDrops: number; txErrors: number };
  iface: { rxPackets: number; txPackets: number; rxErrors: number };
}

const unavailable = netnsUnavailable();

for (const mode of ['tun', 'tap'] as const) {
  test(`host.attachTun (${mode.toUpperCase()}) and the Linux kernel talk`, async (t) => {
    if (unavailable) { t.skip(unavailable); return; }
    const out = await runInNetns<HostResult>('./netns-host.ts', [mode], { timeoutMs: 120_000 });
    if ('skip' in out) { t.skip(out.skip); return; }
    const r = out.result;

    await t.test('ICMP echo from usernet to the kernel', () => {
      assert.equal(r.usernetPing.ok, true, r.usernetPing.error);
      assert.equal(r.usernetPing.from, '10.77.0.1');
    });
    await t.test('ICMP echo from the kernel to usernet', () => {
      assert.equal(r.kernelPing.exit, 0, r.kernelPing.out);
      assert.match(r.kernelPing.out, /3 packets transmitted, 3 received/);
    });
    await t.test('ICMPv6 echo from usernet to the kernel and from the kernel to usernet', () => {
      assert.equal(r.usernetPing6.ok, true, r.usernetPing6.error);
      assert.equal(r.usernetPing6.from, 'fd77::1');
      assert.equal(r.kernelPing6.exit, 0, r.kernelPing6.out);
      if (!r.kernelPing6.out.startsWith('skipped')) assert.match(r.kernelPing6.out, /3 packets transmitted, 3 received/);
    });
    await t.test('UDP from a kernel socket to a usernet dgram echo (IPv4, IPv6)', () => {
      assert.equal(r.udp.exit, 0, r.udp.out);
      assert.equal(r.udp.out, 'udp-0 udp-1 udp-2 udp-3 udp-4');
      assert.equal(r.udp6.exit, 0, r.udp6.out);
      assert.equal(r.udp6.out, 'udp-0 udp-1 udp-2 udp-3 udp-4');
    });
    await t.test('UDP from a usernet dgram socket to a kernel echo (IPv4, IPv6)', () => {
      assert.deepEqual(r.udpOut, { got: 'OUT-0 OUT-1 OUT-2 OUT-3 OUT-4', from: '10.77.0.1', kernel: 'from 10.77.0.2' });
      assert.deepEqual(r.udpOut6, { got: 'OUT-0 OUT-1 OUT-2 OUT-3 OUT-4', from: 'fd77::1', kernel: 'from fd77::2' });
    });
    await t.test('TCP both ways between kernel sockets and usernet net', (tt) => {
      if (r.tcpUnavailable) { tt.skip(`usernet TCP not available on the host: ${r.tcpUnavailable}`); return; }
      assert.equal(r.tcpIn?.exit, 0, r.tcpIn?.out);
      assert.equal(r.tcpIn?.out, '204800 True');
      assert.deepEqual(r.tcpOut, { ok: true, bytes: 100000 });
      assert.equal(r.kernelServer?.out, 'served 10.77.0.2');
    });
    assert.equal(r.stats.rxPackets, r.iface.rxPackets, 'every packet read reached the interface');
    assert.equal(r.stats.txPackets, r.iface.txPackets, 'every packet the interface sent was written');
    assert.equal(r.stats.rxDrops + r.stats.txDrops + r.stats.txErrors + r.iface.rxErrors, 0);
  });
}
