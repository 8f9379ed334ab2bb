// CUBIC's HyStart as Linux runs it (tcp_cubic.c hystart_update, on by default): slow start ends
// when the round trip starts to grow (a queue builds) or a round's ACK train outlasts half the
// smallest round trip, not at the first loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connected, pair, sha256, transfer } from './helpers.js';

test('HyStart: over a 10 Mbit/s path with a deep queue, slow start ends before the queue overflows (no loss, ssthresh = cwnd)', async () => {
  // 10 ms round trip at 10 Mbit/s: the path holds ~9 segments; its queue 400 more before it drops.
  const p = pair({ offload: false, rate: '10mbit', config: { wmem: [4096, 4 << 20, 4 << 20], rmem: [4096, 4 << 20, 4 << 20] } });
  p.link.impair({ latency: 5, limit: 400 });
  const [c, s] = await connected(p);
  const data = randomBytes(2 << 20);
  const got = await transfer(c, s, data);
  assert.equal(sha256(got), sha256(data));
  const i = c.info();
  assert.ok(c.ssthresh < Infinity, 'slow start ended');
  assert.equal(i.totalRetrans, 0, 'without a loss: the queue never overflowed');
  assert.equal(p.ta.stats.TCPTimeouts, 0);
  // Slow start doubling until the queue drops would leave a window of hundreds of segments.
  assert.ok(c.ssthresh / c.mss < 100, `ssthresh ${(c.ssthresh / c.mss).toFixed(0)} segments`);
});

test('tcp_cubic module parameters: host.sysctl(\'tcp_cubic.hystart\', 0) (or its /sys/module file) turns HyStart off: slow start then runs into the queue\'s drops', async () => {
  const run = async (params: Record<string, number>): Promise<{ ssthresh: number; retrans: number }> => {
    const p = pair({ offload: false, rate: '10mbit', config: { wmem: [4096, 4 << 20, 4 << 20], rmem: [4096, 4 << 20, 4 << 20] } });
    for (const [k, v] of Object.entries(params)) assert.equal(p.a.sysctl(k, v), v);
    p.link.impair({ latency: 5, limit: 400 });
    const [c, s] = await connected(p);
    const data = randomBytes(2 << 20);
    const got = await transfer(c, s, data);
    assert.equal(sha256(got), sha256(data));
    return { ssthresh: c.ssthresh / c.mss, retrans: c.info().totalRetrans };
  };
  const on = await run({});
  assert.equal(on.retrans, 0);
  const off = await run({ '/sys/module/tcp_cubic/parameters/hystart': 0 });
  assert.ok(off.retrans > 0, 'without HyStart slow start overflows the queue');
  // hystart_detect = 0: neither detection runs (HyStart on, nothing to find).
  const none = await run({ 'tcp_cubic.hystart_detect': 0 });
  assert.ok(none.retrans > 0, 'no detection enabled: the same as off');
  // A low window above what slow start reaches before the queue fills: HyStart never looks.
  const late = await run({ 'tcp_cubic.hystart_low_window': 100000 });
  assert.ok(late.retrans > 0);
});

test('tcp_cubic module parameters: Linux\'s defaults, read back by both names; any int is taken (module_param int)', () => {
  const p = pair();
  assert.equal(p.a.sysctl('tcp_cubic.hystart'), 1);
  assert.equal(p.a.sysctl('/sys/module/tcp_cubic/parameters/hystart_detect'), 3);
  assert.equal(p.a.sysctl('tcp_cubic.hystart_low_window'), 16);
  assert.equal(p.a.sysctl('tcp_cubic.hystart_ack_delta_us'), 2000);
  assert.equal(p.a.sysctl('sys/module/tcp_cubic/parameters/hystart_ack_delta_us', 5000), 5000);
  assert.equal(p.b.sysctl('tcp_cubic.hystart_ack_delta_us'), 2000, 'per host');
  assert.throws(() => p.a.sysctl('tcp_cubic.hystart_detect', 'x'), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => p.a.sysctl('tcp_cubic.beta', 717), { code: 'ERR_INVALID_ARG_VALUE' });
});
