// TCP_INFO (getsockopt IPPROTO_TCP TCP_INFO) and congestion control on a real bottleneck.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connected, must, pair, sha256, transfer } from './helpers.js';
import type { TcpInfo } from '../../src/kernel/tcp/info.js';

test('TCP_INFO after a transfer over a 10 ms path: RTT, RTO, windows, counters', async () => {
  const p = pair();
  p.link.impair({ latency: 10 });
  const [c, s] = await connected(p);
  const data = randomBytes(1 << 20);
  const got = await transfer(c, s, data);
  assert.equal(sha256(got), sha256(data));
  await p.world.run({ for: 100 }); // the (delayed) ACK of the FIN
  const ci = c.getsockopt('IPPROTO_TCP', 'TCP_INFO') as TcpInfo;
  const si = s.getsockopt('IPPROTO_TCP', 'TCP_INFO') as TcpInfo;
  assert.equal(ci.state, 'FIN-WAIT-2');
  assert.equal(si.state, 'CLOSE-WAIT');
  assert.ok(ci.rtt >= 20 && ci.rtt < 40, `rtt ${ci.rtt}`);
  assert.ok(ci.minRtt >= 20 && ci.minRtt <= ci.rtt + 1);
  assert.ok(ci.rto >= ci.rtt + 200 - 1 && ci.rto < 1000, `rto ${ci.rto}`);
  assert.equal(ci.bytesAcked, data.length + 1, 'data and our FIN');
  assert.equal(si.bytesReceived, data.length);
  assert.equal(ci.bytesSent, data.length);
  assert.equal(ci.totalRetrans, 0);
  assert.equal(ci.retrans, 0);
  assert.equal(ci.unacked, 0);
  assert.equal(ci.bytesInFlight, 0);
  assert.ok(ci.sndCwnd > 10, `cwnd ${ci.sndCwnd} segments`);
  assert.equal(ci.sndMss, 1448);
  assert.equal(si.rcvMss, 1448);
  assert.equal(ci.dataSegsOut, Math.ceil(data.length / 1448));
  assert.equal(si.dataSegsIn, ci.dataSegsOut);
  assert.ok(ci.segsIn > 0 && si.segsOut === ci.segsIn);
  assert.deepEqual(ci.options, { timestamps: true, sack: true, wscale: [7, 7], synData: false, ecn: false, ecnSeen: false });
  assert.ok(si.rcvRtt >= 19 && si.rcvRtt < 40, `receiver RTT ${si.rcvRtt}`);
  assert.ok(si.rcvBuf > 131072, 'the receive buffer grew (auto-tuning)');
  assert.equal(ci.caState, 'open');
});

for (const algo of ['reno', 'cubic'] as const) {
  test(`${algo}: a transfer through a 10 Mbit/s bottleneck with a short queue recovers from drops and cuts cwnd`, async () => {
    const p = pair({ seed: 11 });
    const [c, s] = await connected(p);
    must(c.setsockopt('IPPROTO_TCP', 'TCP_CONGESTION', algo));
    p.link.impair({ latency: 5, rate: '10mbit', limit: 30 });
    const data = randomBytes(3 << 20);
    const got = await transfer(c, s, data);
    assert.equal(sha256(got), sha256(data));
    const i = c.info();
    assert.equal(i.congestion, algo);
    assert.ok(i.totalRetrans > 0, 'the queue overflowed');
    assert.ok(p.ta.stats.TCPSackRecovery > 0, 'losses repaired by SACK recovery');
    assert.ok(i.sndSsthresh < 200, `ssthresh came down: ${i.sndSsthresh}`);
    // 3 MiB at 10 Mbit/s takes 2.5 s; a working controller keeps the link busy.
    assert.ok(p.world.now() < 6000, `took ${p.world.now()} ms`);
  });
}
