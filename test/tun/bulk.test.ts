// Large TCP transfers both ways between the Linux kernel and a usernet host over a TUN device
// with usernet's own impairments on the TUN side (loss 0.5 %, reordering 1 %, 5 ms each way),
// each family in a namespace of its own (netns-bulk.ts). The 50 MiB each way in CI
// (CI=true) or with INTEROP_FULL=1; 2 MiB each way otherwise, to keep local runs quick.
//
// Checked: identical SHA-256 and length each way; the kernel's sender (ss -ti, TCP_INFO and the
// namespace's TcpExt counters) retransmits less than 3 % of its data segments and takes no string
// of RTOs; the same for usernet's sender (host.tcp, ss rows), with the kernel's D-SACKs counting
// usernet's spurious retransmissions; the impairments really dropped and reordered data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsUnavailable, runInNetns } from './netns.js';

interface KernelSide { sha: string; bytes?: number; reply?: string; secs?: number; ss: string; totalRetrans: number; segsOut: number; dataSegsOut: number; dataSegsIn: number; backoff: number }
type Lane = { frames: number; lost: number; reordered: number; overLimit: number };
interface UsernetSender { totalRetrans: number; segsOut: number; dataSegsOut: number; rtt: number; cwnd: number; congestion: string; mss: number }
interface BulkResult {
  mib: number; family: 4 | 6;
  toUsernet: { exit: number; kernel: KernelSide | string; usernetBytes: number; usernetMs: number; counters: Record<string, number>; cable: { data: Lane; acks: Lane } };
  toKernel: { reply?: string; ms: number; error?: string; sha: string; exit: number; kernel: KernelSide | string; usernet?: UsernetSender;
    usernetCounters: Record<string, number>; counters: Record<string, number>; cable: { data: Lane; acks: Lane } };
}

const unavailable = netnsUnavailable();
const FULL = process.env.INTEROP_FULL === '1' || process.env.CI === 'true';
const MIB = FULL ? 50 : 2;
const mbit = (bytes: number, ms: number): string => (bytes * 8 / ms / 1000).toFixed(1);

for (const family of [4, 6] as const) {
  test(`${MIB} MiB each way over TUN with loss, reordering and delay (IPv${family}): intact, no pathological retransmission`, async (t) => {
    if (unavailable) { t.skip(unavailable); return; }
    const out = await runInNetns<BulkResult>('./netns-bulk.ts', [String(MIB), String(family)], { timeoutMs: FULL ? 900_000 : 90_000 });
    if ('skip' in out) { t.skip(out.skip); return; }
    const r = out.result;
    const n = MIB * 1024 * 1024;
    const c = r.toUsernet.counters;

    await t.test('kernel -> usernet', () => {
      const u = r.toUsernet;
      assert.equal(u.exit, 0, JSON.stringify(u.kernel));
      const k = u.kernel as KernelSide;
      assert.equal(typeof k, 'object', String(u.kernel));
      assert.equal(u.usernetBytes, n);
      assert.equal(k.reply, `${n} ${k.sha}`, 'usernet received exactly the bytes the kernel sent');
      assert.match(k.ss, / cubic /);
      assert.ok(u.cable.data.lost > 0 && u.cable.data.reordered > 0, `the impairments acted on the data: ${JSON.stringify(u.cable.data)}`);
      // ss -ti: "retrans:<now>/<total>" is the kernel's count of retransmitted segments.
      const ssTotal = Number(/retrans:\d+\/(\d+)/.exec(k.ss)?.[1] ?? 0);
      assert.equal(ssTotal, k.totalRetrans, 'ss -ti and TCP_INFO agree');
      assert.ok(k.totalRetrans < 0.03 * k.dataSegsOut, `kernel retransmitted ${k.totalRetrans} of ${k.dataSegsOut} data segments`);
      assert.ok(k.totalRetrans <= 2 * (u.cable.data.lost + u.cable.data.reordered) + 5,
        `kernel retransmissions (${k.totalRetrans}) far beyond what was lost (${u.cable.data.lost}) or reordered (${u.cable.data.reordered})`);
      assert.ok((c.TCPTimeouts ?? 0) <= 3 + u.cable.data.lost / 20, `kernel RTOs: ${c.TCPTimeouts}`);
      assert.equal(k.backoff, 0);
      t.diagnostic(`IPv${family} kernel->usernet ${MIB} MiB: ${mbit(n, u.usernetMs)} Mbit/s, kernel retrans ${k.totalRetrans}/${k.dataSegsOut} ` +
        `(lost ${u.cable.data.lost}, reordered ${u.cable.data.reordered}), RTOs ${c.TCPTimeouts ?? 0}, D-SACKs from usernet ${c.TCPDSACKRecvSegs ?? 0}`);
    });

    await t.test('usernet -> kernel', () => {
      const u = r.toKernel;
      assert.equal(u.error, undefined, u.error);
      const k = u.kernel as KernelSide;
      assert.equal(typeof k, 'object', String(u.kernel));
      assert.equal(u.exit, 0);
      assert.equal(k.bytes, n);
      assert.equal(k.sha, u.sha, 'the kernel received exactly the bytes usernet sent');
      assert.equal(u.reply, `${n} ${u.sha}`);
      assert.ok(u.cable.data.lost > 0 && u.cable.data.reordered > 0, `the impairments acted on the data: ${JSON.stringify(u.cable.data)}`);
      const s = u.usernet!;
      assert.ok(s, 'usernet\'s connection was in host.tcp.sockets()');
      assert.equal(s.totalRetrans, u.usernetCounters.RetransSegs ?? 0, 'TCP_INFO and the RetransSegs counter agree');
      assert.ok(s.totalRetrans < 0.03 * s.dataSegsOut, `usernet retransmitted ${s.totalRetrans} of ${s.dataSegsOut} data segments`);
      assert.ok(s.totalRetrans <= 2 * (u.cable.data.lost + u.cable.data.reordered) + 5,
        `usernet retransmissions (${s.totalRetrans}) far beyond what was lost (${u.cable.data.lost}) or reordered (${u.cable.data.reordered})`);
      const rtos = u.usernetCounters.TCPTimeouts ?? 0;
      assert.ok(rtos <= 3 + u.cable.data.lost / 20, `usernet RTOs: ${rtos}`);
      // Every duplicate the kernel received was a spurious retransmission (nothing duplicates frames here).
      const spurious = (u.counters.TCPDSACKOldSent ?? 0) + (u.counters.TCPDSACKOfoSent ?? 0);
      assert.ok(spurious <= s.totalRetrans / 2 + 3, `usernet's spurious retransmissions (kernel D-SACKs): ${spurious} of ${s.totalRetrans}`);
      t.diagnostic(`IPv${family} usernet->kernel ${MIB} MiB: ${mbit(n, u.ms)} Mbit/s, usernet retrans ${s.totalRetrans}/${s.dataSegsOut} ` +
        `(lost ${u.cable.data.lost}, reordered ${u.cable.data.reordered}), RTOs ${rtos}, spurious (kernel D-SACKs) ${spurious}, ` +
        `cwnd ${s.cwnd}, srtt ${s.rtt.toFixed(1)} ms`);
    });
  });
}
