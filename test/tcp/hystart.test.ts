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
