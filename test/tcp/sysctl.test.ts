// host.sysctl(): Linux's names, values and defaults, validation, and the settings taking effect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/world/network.js';
import { connected, drain, pair, tapSegments } from './helpers.js';

test('defaults are Linux\'s, read by their /proc/sys names', () => {
  const h = new Network({ seed: 1 }).host('h');
  assert.equal(h.sysctl('net.ipv4.tcp_sack'), 1);
  assert.equal(h.sysctl('net.ipv4.tcp_timestamps'), 1);
  assert.equal(h.sysctl('net.ipv4.tcp_slow_start_after_idle'), 1);
  assert.equal(h.sysctl('net.ipv4.tcp_recovery'), 1);
  assert.equal(h.sysctl('net.ipv4.tcp_early_retrans'), 3);
  assert.equal(h.sysctl('net.ipv4.tcp_congestion_control'), 'cubic');
  assert.deepEqual(h.sysctl('net.ipv4.tcp_rmem'), [4096, 131072, 6291456]);
  assert.deepEqual(h.sysctl('net.ipv4.tcp_wmem'), [4096, 16384, 4194304]);
  assert.equal(h.sysctl('net.core.somaxconn'), 4096);
  assert.equal(h.sysctl('net.ipv4.tcp_keepalive_time'), 7200);
  assert.equal(h.sysctl('net.ipv4.tcp_fin_timeout'), 60);
  assert.equal(h.sysctl('net.ipv4.tcp_rto_min_us'), 200000);
  assert.equal(h.sysctl('net/ipv4/tcp_syn_retries'), 6);
  assert.equal(h.sysctl('/proc/sys/net/ipv4/tcp_reordering'), 3);
  const all = h.sysctl();
  assert.equal(all['net.ipv4.tcp_dsack'], 1);
  assert.deepEqual(Object.keys(all), Object.keys(all).sort());
});

test('writes take Linux\'s syntax and read back; the camelCase config follows', () => {
  const h = new Network({ seed: 1 }).host('h');
  assert.equal(h.sysctl('net.ipv4.tcp_sack', 0), 0);
  assert.equal(h.tcp.config.sack, false);
  assert.deepEqual(h.sysctl('net.ipv4.tcp_rmem', '4096 87380   6291456'), [4096, 87380, 6291456]);
  assert.deepEqual(h.sysctl('net.ipv4.tcp_wmem', [4096, 262144, 4194304]), [4096, 262144, 4194304]);
  assert.deepEqual(h.sysctl('net.ipv4.tcp_wmem', '8192'), [8192, 262144, 4194304], 'fewer values change the first ones (proc_dointvec)');
  assert.equal(h.sysctl('net.ipv4.tcp_keepalive_intvl', '0x10'), 16);
  assert.equal(h.tcp.config.keepaliveIntvlMs, 16000);
  assert.equal(h.sysctl('net.ipv4.tcp_congestion_control', 'reno'), 'reno');
  assert.equal(h.tcp.config.congestion, 'reno');
  assert.equal(h.sysctl('net.ipv4.tcp_recovery', 5), 5);
  assert.equal(h.tcp.config.rackNoDupthresh, true);
  assert.equal(h.tcp.config.rackStaticReoWnd, false);
  assert.equal(h.sysctl('net.ipv4.tcp_early_retrans', 4), 4);
  assert.equal(h.tcp.config.tlp, true);
  assert.equal(h.sysctl('net.ipv4.tcp_early_retrans', 0), 0);
  assert.equal(h.tcp.config.tlp, false);
  assert.equal(h.sysctl('net.ipv4.tcp_timestamps', 2), 2);
  assert.equal(h.sysctl('net.ipv4.tcp_slow_start_after_idle', false), 0);
  assert.equal(h.tcp.config.slowStartAfterIdle, false);
  // The camelCase settings of world.host(name, { tcp }) and the sysctl names are the same settings.
  h.tcp.config.synRetries = 3;
  assert.equal(h.sysctl('net.ipv4.tcp_syn_retries'), 3);
});

test('unknown names and refused values throw Node\'s errors', () => {
  const h = new Network({ seed: 1 }).host('h');
  assert.throws(() => h.sysctl('net.ipv4.tcp_nonsense'), { code: 'ERR_INVALID_ARG_VALUE', message: /'name' is not a sysctl usernet has.*tcp_nonsense/ });
  assert.throws(() => h.sysctl('net.ipv4.tcp_sack', 7), { code: 'ERR_OUT_OF_RANGE', message: 'The value of "net.ipv4.tcp_sack" is out of range. It must be 0 or 1. Received 7' });
  assert.throws(() => h.sysctl('net.ipv4.tcp_syn_retries', 0), { code: 'ERR_OUT_OF_RANGE', message: /It must be >= 1 and <= 127\. Received 0/ });
  assert.throws(() => h.sysctl('net.ipv4.tcp_rto_max_ms', 500), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => h.sysctl('net.ipv4.tcp_sack', 'yes'), { code: 'ERR_INVALID_ARG_VALUE', message: /expects one integer/ });
  assert.throws(() => h.sysctl('net.ipv4.tcp_sack', 1.5), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => h.sysctl('net.ipv4.tcp_rmem', '1 2 3 4'), { code: 'ERR_INVALID_ARG_VALUE', message: /up to 3 integers/ });
  assert.throws(() => h.sysctl('net.ipv4.tcp_congestion_control', 'bbr'), { code: 'ERR_INVALID_ARG_VALUE', message: /expects one of 'reno', 'cubic'/ });
  assert.throws(() => h.sysctl('net.ipv4.tcp_available_congestion_control', 'reno'), { code: 'ERR_INVALID_ARG_VALUE', message: /read-only/ });
  assert.throws(() => h.sysctl(5 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.equal(h.sysctl('net.ipv4.tcp_sack'), 1, 'a refused write changes nothing');
  assert.throws(() => new Network({ seed: 1 }).host('x', { sysctl: { 'net.ipv4.tcp_frobnicate': 1 } }), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('world.host(name, { sysctl }) applies settings; they survive a crash and restart', () => {
  const world = new Network({ seed: 1 });
  const h = world.host('h', { tcp: { sack: true }, sysctl: { 'net.ipv4.tcp_sack': 0, 'net.ipv4.tcp_wmem': '4096 65536 1048576' } });
  assert.equal(h.tcp.config.sack, false);
  assert.deepEqual(h.tcp.config.wmem, [4096, 65536, 1048576]);
  h.crash();
  h.restart();
  assert.equal(h.sysctl('net.ipv4.tcp_sack'), 0);
});

test('tcp_sack=0 and tcp_timestamps=0 leave the options out of the SYN; tcp_timestamps=2 has no TSval offset', async () => {
  const p = pair();
  const segs = tapSegments(p.link, p.world);
  p.a.sysctl('net.ipv4.tcp_sack', 0);
  p.a.sysctl('net.ipv4.tcp_timestamps', 0);
  await connected(p, 80);
  const syn = segs.find((x) => x.flags === 'SYN')!;
  assert.equal(syn.tcp.options.sackPermitted, undefined);
  assert.equal(syn.tcp.options.timestamp, undefined);

  const q = pair();
  const qs = tapSegments(q.link, q.world);
  q.a.sysctl('net.ipv4.tcp_timestamps', 2);
  await q.world.run({ for: 5000 });
  await connected(q, 80);
  const s2 = qs.find((x) => x.flags === 'SYN')!;
  const ts = s2.tcp.options.timestamp!;
  assert.ok(Math.abs(ts.tsval - s2.time) <= 1, `TSval ${ts.tsval} is the clock (${s2.time} ms) without an offset`);
});

test('tcp_slow_start_after_idle=0 keeps the congestion window over an idle period', async () => {
  for (const ssai of [1, 0]) {
    const p = pair({ offload: false });
    p.a.sysctl('net.ipv4.tcp_slow_start_after_idle', ssai);
    const [c, s] = await connected(p, 80);
    s.onReady = () => { drain(s); };
    // Grow the window with a transfer, then stay idle far longer than the RTO.
    let left = 600_000;
    const pump = (): void => { while (left > 0) { const r = c.write(new Uint8Array(Math.min(left, 65536))); if (r < 0) return; left -= r; } };
    c.onReady = pump;
    pump();
    await p.world.run({ for: 2000 });
    assert.equal(left, 0);
    const grown = c.cwnd;
    assert.ok(grown > 20 * c.mss, `cwnd grew (${grown / c.mss} segments)`);
    await p.world.run({ for: 10_000 });
    c.write(new Uint8Array(1000));
    if (ssai === 1) assert.equal(c.cwnd, 10 * c.mss, 'RFC 5681 §4.1: restarted from the initial window');
    else assert.equal(c.cwnd, grown, 'kept');
  }
});
