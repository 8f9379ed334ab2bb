// Undoing a window reduction that proved needless, as Linux does (tcp_try_undo_partial,
// tcp_try_undo_dsack, tcp_try_undo_recovery; RFC 3522 Eifel detection with timestamps, RFC 2883
// D-SACKs): a burst RACK deemed lost because its segments were late, not lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';
import { connected, delayOutgoing, pair } from './helpers.js';

const MSS = 1448;

function collect(s: TcpSocket, into: Uint8Array[]): void {
  s.onReady = () => {
    for (;;) {
      const r = s.read(1 << 20);
      if (typeof r === 'number' || r.length === 0) return;
      into.push(r);
    }
  };
}

test('undo: ten segments held up but one, deemed lost by RACK: one retransmission, then the late originals\' echoed timestamps undo the reduction (tcp_try_undo_partial)', async () => {
  // 5 ms each way; during the burst the nine data segments before the last take 8, 9, ... 16 ms
  // more: the last is SACKed first, the nine are deemed lost beyond RACK's reordering window
  // (min_RTT/4 + 2 ms) and the first is retransmitted; their ACKs then come one a millisecond.
  // (tcp_slow_start_after_idle off: the window opened by the warm-up is still there for the burst.)
  const p = pair({ offload: false, config: { wmem: [4096, 1 << 20, 4194304], slowStartAfterIdle: false } });
  p.link.impair({ latency: 5 });
  const [c, s] = await connected(p);
  const got: Uint8Array[] = [];
  collect(s, got);
  // A warm-up without delay: SRTT 10 ms, the window opened by slow start.
  assert.equal(c.write(randomBytes(40 * MSS)), 40 * MSS);
  await p.world.run({ for: 500 });
  assert.equal(c.info().totalRetrans, 0);
  const cwnd0 = c.cwnd;
  const ssthresh0 = c.ssthresh;
  let n = 0;
  const undo = delayOutgoing(p.a, p.world, (t) => (t.payload.length === 0 ? 0 : ++n < 10 ? 7 + n : 0));
  assert.equal(c.write(randomBytes(10 * MSS)), 10 * MSS);
  await p.world.run({ for: 600 });
  undo();
  assert.equal(Buffer.concat(got).length, 50 * MSS);
  const st = p.ta.stats;
  assert.equal(st.TCPSackRecovery, 1, 'RACK deemed the nine late segments lost');
  assert.equal(c.info().totalRetrans, 1, 'only the retransmission that starts recovery');
  assert.equal(st.TCPDSACKRecv, 1, 'and the receiver reported it a duplicate');
  assert.ok(st.TCPTSReorder >= 1, 'the echoed timestamps showed the originals late');
  assert.equal(st.TCPPartialUndo + st.TCPFullUndo, 1, 'the reduction was undone');
  assert.ok(c.cwnd >= cwnd0, `cwnd ${c.cwnd} back to at least ${cwnd0}`);
  // (Slow start may end again afterwards by HyStart, at ssthresh = cwnd: never the reduced 0.7 cwnd.)
  assert.ok(c.ssthresh >= Math.min(ssthresh0, cwnd0), `ssthresh ${c.ssthresh} as before the recovery`);
  assert.equal(st.TCPTimeouts, 0);
});

test('undo: a recovery for a real loss stands (no undo, the window stays reduced)', async () => {
  const p = pair({ offload: false, config: { wmem: [4096, 1 << 20, 4194304] } });
  p.link.impair({ latency: 5 });
  const [c, s] = await connected(p);
  const got: Uint8Array[] = [];
  collect(s, got);
  assert.equal(c.write(randomBytes(40 * MSS)), 40 * MSS);
  await p.world.run({ for: 500 });
  let n = 0;
  let dropped = false;
  const undo = delayOutgoing(p.a, p.world, (t) => {
    if (t.payload.length === 0 || dropped || ++n !== 3) return 0;
    dropped = true;
    return 100_000; // never in time: the retransmission repairs it
  });
  assert.equal(c.write(randomBytes(10 * MSS)), 10 * MSS);
  await p.world.run({ for: 600 });
  undo();
  assert.equal(Buffer.concat(got).length, 50 * MSS);
  const st = p.ta.stats;
  assert.equal(st.TCPSackRecovery, 1);
  assert.equal(c.info().totalRetrans, 1);
  assert.equal(st.TCPPartialUndo + st.TCPFullUndo + st.TCPDSACKUndo, 0, 'nothing undone');
  assert.ok(c.ssthresh < Infinity, 'ssthresh was reduced');
});
