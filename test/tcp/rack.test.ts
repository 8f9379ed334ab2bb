// RACK-TLP loss detection (RFC 8985) on real hosts: tail loss probes instead of RTOs, lost
// retransmissions found by time, reordering tolerated within RACK's reordering window (which a
// D-SACK widens), and loss detection over TSO super-segments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TcpConfig } from '../../src/kernel/tcp/config.js';
import { RackState } from '../../src/kernel/tcp/rack.js';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';
import { connected, delayOutgoing, dropOutgoing, pair, sha256, show, tapSegments, transfer, type Pair, type Seg } from './helpers.js';

const MSS = 1448;

/** Reads what is available on `s` whenever it becomes readable, into `into`. */
function collect(s: TcpSocket, into: Uint8Array[]): void {
  s.onReady = () => {
    for (;;) {
      const r = s.read(1 << 20);
      if (typeof r === 'number' || r.length === 0) return;
      into.push(r);
    }
  };
}

/** Two hosts 10 ms apart (20 ms round trip), a frame per segment, connected. */
async function setup(config: Partial<TcpConfig> = {}): Promise<{ p: Pair; c: TcpSocket; s: TcpSocket; segs: Seg[]; got: Uint8Array[] }> {
  const p = pair({ offload: false, config });
  p.link.impair({ latency: 10 });
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  const got: Uint8Array[] = [];
  collect(s, got);
  return { p, c, s, segs, got };
}

const fromA = (segs: Seg[]): Seg[] => segs.filter((x) => x.src === '10.0.0.1' && x.len > 0);
const fromB = (segs: Seg[]): Seg[] => segs.filter((x) => x.src === '10.0.0.2');

test('TLP: a lost last segment is repaired by a loss probe, not an RTO; the repair lowers cwnd later (RFC 8985 §7)', async () => {
  const { p, c, segs, got } = await setup();
  const data = randomBytes(10 * MSS);
  let n = 0;
  let lostSeq = -1;
  const undo = dropOutgoing(p.a, (t) => {
    if (t.payload.length === 0 || ++n !== 10) return false;
    lostSeq = t.seq;
    return true;
  });
  const t0 = p.world.now();
  assert.equal(c.write(data), data.length);
  await p.world.run({ for: 400 });
  undo();
  assert.equal(sha256(Buffer.concat(got)), sha256(data));
  const st = p.ta.stats;
  assert.equal(st.TCPLossProbes, 1);
  assert.equal(st.TCPTimeouts, 0, 'no RTO');
  assert.equal(c.info().totalRetrans, 1);
  // The probe is on the wire: the only segment with the lost one's sequence number (the original
  // never got past IP). With one segment left in flight the PTO is 2*SRTT + 200 ms (the
  // receiver's delayed ACK, RFC 8985 §7.2), capped by the RTO.
  const probes = fromA(segs).filter((x) => x.seq === lostSeq);
  assert.equal(probes.length, 1, show(segs));
  const lastAck = fromB(segs).filter((x) => x.time < probes[0]!.time).at(-1)!;
  const after = probes[0]!.time - lastAck.time;
  assert.ok(after > 200 && after < 250, `probe ${after} ms after the last ACK`);
  assert.ok(probes[0]!.time - t0 < 300);
  assert.equal(c.info().caState, 'open');
  assert.ok(c.info().sndCwnd >= 10, 'a probe does not collapse cwnd as an RTO would');
  assert.equal(c.info().sndSsthresh, 0x7fffffff);
  // RFC 8985 §7.4.2: an ACK beyond the probe (new data) shows the probe repaired a loss: the
  // congestion response follows, once.
  const more = randomBytes(MSS);
  c.write(more);
  await p.world.run({ for: 100 });
  assert.equal(st.TCPLossProbeRecovery, 1);
  assert.ok(c.info().sndSsthresh < 0x7fffffff, 'ssthresh set by the loss the probe repaired');
  assert.equal(sha256(Buffer.concat(got)), sha256(Buffer.concat([data, more])));
});

test('TLP + RACK: the last two segments lost: a probe 2*SRTT after the last ACK, its SACK starts fast recovery', async () => {
  const { p, c, segs, got } = await setup();
  const data = randomBytes(10 * MSS);
  let n = 0;
  let srttAtProbe = -1;
  const undo = dropOutgoing(p.a, (t) => {
    if (t.payload.length === 0) return false;
    if (++n === 11) srttAtProbe = c.srtt; // the probe: the SRTT its timeout was computed from
    return n === 9 || n === 10;
  });
  const t0 = p.world.now();
  c.write(data);
  await p.world.run({ for: 400 });
  undo();
  assert.equal(sha256(Buffer.concat(got)), sha256(data));
  const st = p.ta.stats;
  assert.equal(st.TCPLossProbes, 1);
  assert.equal(st.TCPSackRecovery, 1, 'RACK deemed the other segment lost');
  assert.equal(st.TCPTimeouts, 0);
  assert.equal(c.info().totalRetrans, 2);
  const mine = fromA(segs);
  const probe = mine[8]!; // the 9th data segment on the wire is the probe: the last segment again
  assert.equal(probe.seq, mine[7]!.seq + 2 * MSS, show(segs));
  // The tap sees frames leave: the last ACK reached a 10 ms after it left b.
  const lastAck = fromB(segs).filter((x) => x.time < probe.time).at(-1)!;
  const after = probe.time - (lastAck.time + 10);
  // RFC 8985 §7.2: PTO = 2*SRTT with more than one segment in flight (Linux adds 2 ms).
  assert.ok(Math.abs(after - (2 * srttAtProbe + 2)) < 0.01, `probe ${after} ms after the last ACK, SRTT ${srttAtProbe}`);
  // The other segment was repaired one round trip later, long before an RTO (>= 200 ms) could fire.
  const last = mine.at(-1)!;
  assert.equal(last.seq, mine[7]!.seq + MSS);
  assert.ok(Math.abs(last.time - probe.time - 20) < 0.01, show(segs));
  assert.ok(last.time - t0 < 150);
});

test('RACK: a lost retransmission is found by time and sent again, without an RTO (RFC 8985 §6.2 step 5)', async () => {
  for (const recovery of ['rack', 'dupthresh'] as const) {
    // Buffers large enough that new data keeps flowing during recovery (RACK learns of a lost
    // retransmission from segments sent after it).
    const { p, c, s, segs } = await setup({ recovery, rmem: [4096, 1 << 20, 6291456], wmem: [4096, 1 << 20, 4194304] });
    s.onReady = null;
    let n = 0;
    let lostSeq = -1;
    let tries = 0;
    const undo = dropOutgoing(p.a, (t) => {
      if (t.payload.length === 0) return false;
      if (++n === 40) lostSeq = t.seq;
      // The 40th segment, and its first retransmission.
      return t.seq === lostSeq && ++tries <= 2;
    });
    const data = randomBytes(300 * MSS);
    const got = await transfer(c, s, data);
    undo();
    assert.equal(sha256(got), sha256(data));
    const st = p.ta.stats;
    if (recovery === 'rack') {
      assert.equal(tries, 3, 'sent three times');
      assert.equal(st.TCPTimeouts, 0, 'no RTO');
      assert.equal(st.TCPLostRetransmit, 1);
      assert.equal(st.TCPSackRecovery, 1, 'one recovery episode');
      assert.equal(fromA(segs).filter((x) => x.seq === lostSeq).length, 1, 'the third transmission reached the wire');
    } else {
      // The same losses with RFC 6675 alone: the lost retransmission waits for the RTO.
      assert.equal(st.TCPTimeouts, 1);
      assert.equal(st.TCPLostRetransmit, 0);
    }
  }
});

test('RACK: reordering within the reordering window is no loss; a D-SACK widens the window (RFC 8985 §6.2 steps 3-4)', async () => {
  // RTT 40 ms: RACK.min_RTT/4 = 10 ms of reordering window (the reordering timer adds 2 ms).
  const p = pair({ offload: false, config: { wmem: [4096, 1 << 20, 4194304] } });
  p.link.impair({ latency: 20 });
  const [c, s] = await connected(p);
  const got: Uint8Array[] = [];
  collect(s, got);
  let total = 0;
  const burst = async (count: number, delayNth: number, ms: number): Promise<void> => {
    let n = 0;
    const undo = delayOutgoing(p.a, p.world, (t) => (t.payload.length > 0 && ++n === delayNth ? ms : 0));
    total += count * MSS;
    assert.equal(c.write(randomBytes(count * MSS)), count * MSS);
    await p.world.run({ for: 400 });
    undo();
    assert.equal(Buffer.concat(got).length, total);
  };
  // A warm-up, so that SRTT is the 40 ms path.
  await burst(60, 0, 0);
  assert.ok(Math.abs(c.srtt - 40) < 1, `SRTT ${c.srtt}`);
  assert.equal(c.info().totalRetrans, 0);
  // (a) The 8th of 10 segments 6 ms late: two segments SACKed, fewer than DupThresh: RACK waits.
  await burst(10, 8, 6);
  assert.equal(c.info().totalRetrans, 0, 'no spurious retransmission');
  assert.equal(p.ta.stats.TCPSACKReorder, 1, 'the late segment was seen as reordered');
  assert.equal(c.rack.reorderingSeen, true);
  assert.equal(c.rack.reoWndMult, 1);
  // (b) 20 ms late: beyond the window, deemed lost and sent again; the original arrives first,
  // the copy is reported in a D-SACK, and the reordering window doubles.
  await burst(10, 8, 20);
  assert.equal(c.info().totalRetrans, 1, 'the spurious retransmission');
  assert.equal(p.ta.stats.TCPDSACKRecv, 1);
  assert.equal(c.rack.reoWndMult, 2);
  // (c) 16 ms late, now with seven segments SACKed above it (more than DupThresh): with
  // reordering seen and a 20 ms window, no retransmission.
  await burst(10, 3, 16);
  assert.equal(c.info().totalRetrans, 1, 'no new retransmission');
  assert.equal(p.ta.stats.TCPTimeouts, 0);
  assert.ok(c.info().reordSeen >= 3);
});

test('RACK: a segment that arrives early (skips a delay the others take) does not make the ones before it lost', async () => {
  // 5 ms each way, and 5 ms more for every data segment but the chosen ones: those arrive 5 ms
  // ahead of the segments sent with them, as netem's reordering makes them.
  const p = pair({ offload: false, config: { wmem: [4096, 1 << 20, 4194304] } });
  p.link.impair({ latency: 5 });
  const [c, s] = await connected(p);
  const got: Uint8Array[] = [];
  collect(s, got);
  let early = -1;
  let n = 0;
  const undo = delayOutgoing(p.a, p.world, (t) => (t.payload.length === 0 ? 0 : ++n === early ? 0 : 5));
  // A warm-up: SRTT settles at the 15 ms the data segments take.
  assert.equal(c.write(randomBytes(40 * MSS)), 40 * MSS);
  await p.world.run({ for: 500 });
  assert.ok(Math.abs(c.srtt - 15) < 2, `SRTT ${c.srtt}`);
  const before = c.info().totalRetrans;
  // Ten segments at once; the last arrives first and is SACKed 10 ms after it left, while the nine
  // others take 15 ms. With RACK.rtt taken as 10 ms they would be deemed lost after 12.5 ms.
  early = n + 10;
  assert.equal(c.write(randomBytes(10 * MSS)), 10 * MSS);
  await p.world.run({ for: 300 });
  undo();
  assert.equal(Buffer.concat(got).length, 50 * MSS);
  assert.equal(c.info().totalRetrans, before, 'no spurious retransmission');
  assert.equal(p.ta.stats.TCPDSACKRecv, 0);
  assert.ok(p.ta.stats.TCPSACKReorder >= 1, 'the reordering was seen');
});

test('RACK with TSO: a whole lost super-segment is found and resent in MSS pieces, without an RTO', async () => {
  const p = pair({ seed: 3 });
  p.link.impair({ latency: 5 });
  const [c, s] = await connected(p);
  let lostLen = 0;
  const undo = dropOutgoing(p.a, (t) => {
    if (lostLen > 0 || t.payload.length < 8 * MSS) return false;
    lostLen = t.payload.length;
    return true;
  });
  const data = randomBytes(4 << 20);
  const got = await transfer(c, s, data);
  undo();
  assert.equal(sha256(got), sha256(data));
  assert.ok(lostLen >= 8 * MSS, `the lost packet was a super-segment (${lostLen} bytes)`);
  const st = p.ta.stats;
  assert.equal(st.TCPTimeouts, 0);
  assert.equal(st.TCPSackRecovery, 1);
  assert.equal(c.info().totalRetrans, Math.ceil(lostLen / MSS), 'each of its segments once');
});

test('TLP on a dead path: one probe at the RTO time, then the RTOs back off from it (Linux timeline)', async () => {
  const p = pair({ offload: false });
  const [c] = await connected(p);
  const times: number[] = [];
  const t0 = p.world.now();
  const undo = dropOutgoing(p.a, (t) => {
    if (t.payload.length > 0) times.push(Math.round(p.world.now() - t0));
    return t.payload.length > 0;
  });
  c.write(Buffer.from('into the void'));
  await p.world.run({ for: 3500 });
  undo();
  // One segment in flight: PTO = 2*SRTT + 200 ms, capped by the RTO (200 ms); the RTO then
  // restarts from the probe and doubles: 200 + 200, 400, 800, 1600 ms.
  assert.deepEqual(times, [0, 200, 400, 800, 1600, 3200]);
  assert.equal(p.ta.stats.TCPLossProbes, 1);
  assert.equal(p.ta.stats.TCPTimeouts, 4);
});

test('RACK.min_RTT is a windowed minimum: a longer path takes over once the old samples are 300 s old', () => {
  const r = new RackState();
  r.rttSample(0, 0);
  assert.equal(r.minRtt, 1, 'a zero sample counts as one tick (Linux: a jiffy)');
  for (let t = 1000; t <= 290_000; t += 1000) r.rttSample(80 + (t % 7), t);
  assert.equal(r.minRtt, 1);
  for (let t = 291_000; t <= 400_000; t += 1000) r.rttSample(80 + (t % 7), t);
  assert.ok(r.minRtt >= 80 && r.minRtt <= 86, `min_RTT ${r.minRtt}`);
  r.rttSample(20, 400_500);
  assert.equal(r.minRtt, 20);
});

test('PRR: fast recovery retransmits one segment when it starts, then paces retransmissions by what each ACK delivers (RFC 6937, Linux tcp_cwnd_reduction)', async () => {
  const { p, c, segs, got } = await setup();
  const data = randomBytes(10 * MSS);
  // The first seven segments of the initial window are lost; the last three arrive and are SACKed.
  let n = 0;
  const undo = dropOutgoing(p.a, (t) => t.payload.length > 0 && ++n <= 7);
  assert.equal(c.write(data), data.length);
  await p.world.run({ for: 1000 });
  undo();
  assert.equal(sha256(Buffer.concat(got)), sha256(data));
  assert.equal(p.ta.stats.TCPTimeouts, 0, 'no RTO');
  // Retransmissions (whatever left after the initial window; the lost originals never reached
  // the wire), grouped by the moment they left.
  const out = fromA(segs);
  const bursts: number[] = [];
  let at = out[0]!.time;
  for (const x of out) {
    if (x.time === out[0]!.time) continue;
    if (x.time !== at) { bursts.push(0); at = x.time; }
    bursts[bursts.length - 1]!++;
  }
  assert.equal(bursts.reduce((a, b) => a + b, 0), 7, show(segs));
  // ssthresh = 7 segments and nothing left in flight: RFC 6675 alone would send 7 at once.
  // PRR sends one, then per ACK of a retransmission (one segment delivered, SND.UNA advanced)
  // what was delivered plus one: slow start back towards ssthresh.
  assert.deepEqual(bursts.slice(0, 3), [1, 2, 4], show(segs));
});
