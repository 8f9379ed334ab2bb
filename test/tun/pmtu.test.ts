// Path MTU discovery between the Linux kernel and a usernet host behind two usernet routers with
// a 1400-byte hop between them (netns-pmtu.ts), each family in a namespace of its own: TCP both
// ways completes only through ICMP fragmentation-needed / ICMPv6 packet-too-big, and both sides'
// route caches and sockets end with the lowered MTU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsUnavailable, runInNetns } from './netns.js';
import type { Run } from './netns-tools.js';

type Sent = { destUnreachs: number; pktTooBigs: number };
interface PmtuResult {
  family: 4 | 6; mtu: number; bytes: number; routeBefore: string;
  kernelIcmpBefore: { inDestUnreachs: number; inPktTooBigs: number };
  toA: { exit: number; kernel: { sha: string; reply: string; ss: string; pmtudisc: number } | string; routeAfter: string;
    kernelIcmp: { inDestUnreachs: number; inPktTooBigs: number }; r1Sent: Sent; r2Sent: Sent };
  fromA: { error?: string; reply: string; sha: string; kernelSaw: { bytes: number; sha: string } | string; kernelRoute: string; r2Sent: Sent;
    socket?: { pmtu: number; mss: number; advmss: number }; route: { mtu: number } };
}

const unavailable = netnsUnavailable();

for (const family of [4, 6] as const) {
  test(`PMTU discovery across a 1400-byte usernet hop, kernel <-> usernet over TUN (IPv${family})`, async (t) => {
    if (unavailable) { t.skip(unavailable); return; }
    const out = await runInNetns<PmtuResult>('./netns-pmtu.ts', [String(family), '2'], { timeoutMs: 120_000 });
    if ('skip' in out) { t.skip(out.skip); return; }
    const r = out.result;
    const v4 = family === 4;
    const mss = 1400 - (v4 ? 20 : 40) - 20 - 12; // IP and TCP headers, timestamps option

    await t.test('kernel -> usernet: the router\'s ICMP lowers the kernel\'s path MTU', () => {
      const k = r.toA.kernel;
      assert.equal(r.toA.exit, 0, String(k));
      assert.equal(typeof k, 'object', String(k));
      if (typeof k !== 'object') return;
      assert.equal(k.reply, `${r.bytes} ${k.sha}`, 'every byte arrived intact');
      assert.equal(k.pmtudisc, 1, 'the kernel socket does path MTU discovery (IP_PMTUDISC_WANT: DF set)');
      assert.doesNotMatch(r.routeBefore, / mtu \d/, 'no MTU cached before');
      assert.match(r.toA.routeAfter, /mtu 1400/, 'ip route get shows the lowered MTU in the route cache');
      assert.match(k.ss, / pmtu:1400 /);
      assert.match(k.ss, new RegExp(` mss:${mss} `));
      const heard = v4 ? r.toA.kernelIcmp.inDestUnreachs - r.kernelIcmpBefore.inDestUnreachs : r.toA.kernelIcmp.inPktTooBigs - r.kernelIcmpBefore.inPktTooBigs;
      const told = v4 ? r.toA.r1Sent.destUnreachs : r.toA.r1Sent.pktTooBigs;
      assert.ok(told > 0, 'r1 sent ICMP about the 1400-byte hop');
      assert.equal(heard, told, 'the kernel received every ICMP r1 sent');
    });

    await t.test('usernet -> kernel: the router\'s ICMP lowers usernet\'s path MTU', () => {
      const f = r.fromA;
      assert.equal(f.error, undefined, f.error);
      assert.equal(f.reply, `${r.bytes} ${f.sha}`);
      assert.equal(typeof f.kernelSaw, 'object', String(f.kernelSaw));
      if (typeof f.kernelSaw === 'object') assert.deepEqual([f.kernelSaw.bytes, f.kernelSaw.sha], [r.bytes, f.sha], 'every byte arrived intact');
      assert.doesNotMatch(f.kernelRoute, / mtu \d/, 'the kernel knew nothing about this address: it advertised a full-size MSS');
      assert.ok((v4 ? f.r2Sent.destUnreachs : f.r2Sent.pktTooBigs) > 0, 'r2 told usernet about the 1400-byte hop');
      assert.equal(f.socket?.pmtu, 1400);
      assert.equal(f.socket?.mss, mss);
      assert.equal(f.route.mtu, 1400, 'usernet\'s route.get shows the learned path MTU');
    });
  });
}
