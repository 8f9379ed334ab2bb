// The Linux kernel pings a JavaScript peer through a TUN (layer 3) and a TAP (layer 2) device,
// each test in a network namespace of its own. The peer parses the requests and builds its
// replies (and ARP on TAP) by hand; the kernel's ping must see every reply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsUnavailable, runInNetns } from './netns.js';

interface EchoResult {
  mode: string; name: string; kernelMtu: number;
  runs: Array<{ pinger: string; exit: number; output: string }>;
  seen: { frames: number; ipv4: number; echoRequests: number; badChecksums: number; arpRequests: number; replies: number; other: number };
  stats: { rxPackets: number; rxBytes: number; rxDrops: number; txPackets: number; txBytes: number; txDrops: number; txErrors: number };
}

const unavailable = netnsUnavailable();

for (const mode of ['tun', 'tap'] as const) {
  test(`kernel pings a JS peer through a ${mode.toUpperCase()} device in its own namespace`, async (t) => {
    if (unavailable) { t.skip(unavailable); return; }
    const out = await runInNetns<EchoResult>('./netns-echo.ts', [mode]);
    if ('skip' in out) { t.skip(out.skip); return; }
    const r = out.result;
    assert.equal(r.kernelMtu, 1400, 'openTun({ mtu }) set the kernel device MTU');
    assert.ok(r.runs.length >= 1);
    for (const run of r.runs) {
      assert.equal(run.exit, 0, `${run.pinger} failed:\n${run.output}`);
      assert.match(run.output, /3 packets transmitted, 3 received/);
    }
    const n = 3 * r.runs.length;
    assert.equal(r.seen.echoRequests, n, 'every echo request read from the device');
    assert.equal(r.seen.badChecksums, 0);
    assert.equal(r.seen.other, 0, 'nothing but the test traffic on the device');
    if (mode === 'tap') assert.ok(r.seen.arpRequests >= 1, 'the kernel asked for 10.77.0.2 by ARP');
    else assert.equal(r.seen.arpRequests, 0);
    assert.equal(r.seen.replies, n + r.seen.arpRequests);
    assert.equal(r.stats.rxPackets, r.seen.frames);
    assert.equal(r.stats.txPackets, r.seen.replies);
    assert.equal(r.stats.rxBytes, r.stats.txBytes, 'each reply is as long as its request');
    assert.equal(r.stats.rxDrops + r.stats.txDrops + r.stats.txErrors, 0);
  });
}
