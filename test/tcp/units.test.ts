// Unit tests of the pieces: sequence arithmetic, the out-of-order queue (property test), the send
// queue, RTO arithmetic (RFC 6298), Reno and CUBIC (RFC 5681, RFC 9438), SYN cookies (RFC 4987).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChunkAllocator, OooQueue, RecvQueue, SendQueue } from '../../src/kernel/tcp/buffers.js';
import { seqAdd, seqBetween, seqGt, seqLt } from '../../src/kernel/tcp/seq.js';
import { modelTimeout, rttSample, currentRto, type RttFields } from '../../src/kernel/tcp/rto.js';
import { Reno } from '../../src/kernel/tcp/congestion/newreno.js';
import { Cubic } from '../../src/kernel/tcp/congestion/cubic.js';
import type { CcSocket } from '../../src/kernel/tcp/congestion/types.js';
import { SynCookies } from '../../src/kernel/tcp/syncookies.js';
import { chooseWscale } from '../../src/kernel/tcp/options.js';
import { defaultTcpConfig } from '../../src/kernel/tcp/config.js';
import { Scheduler } from '../../src/links/clock.js';
import { Random } from '../../src/links/random.js';

test('sequence numbers compare across the 2^32 wrap (RFC 9293 §3.4)', () => {
  assert.ok(seqLt(0xfffffff0, 0x10));
  assert.ok(seqGt(0x10, 0xfffffff0));
  assert.equal(seqAdd(0xffffffff, 2), 1);
  assert.ok(seqBetween(0xfffffff0, 5, 0x20));
  assert.ok(!seqBetween(0xfffffff0, 0x21, 0x20));
});

test('out-of-order queue: any arrival order and overlap drains to the exact stream (property)', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 1, max: 300 })), { minLength: 1, maxLength: 60 }),
    (base, pieces) => {
      const stream = new Uint8Array(2400).map((_, i) => (i * 31 + 7) & 0xff);
      const q = new OooQueue();
      const covered = new Uint8Array(2400);
      for (const [off, len] of pieces) {
        const end = Math.min(off + len, 2400);
        q.insert(seqAdd(base, off), stream.subarray(off, end), false);
        covered.fill(1, off, end);
      }
      // Blocks are disjoint, sorted, and exactly the covered bytes.
      let bytes = 0;
      const segs = q.segments();
      for (let i = 0; i < segs.length; i++) {
        const sgm = segs[i]!;
        bytes += sgm.data.length;
        if (i > 0) assert.ok(!seqLt(sgm.seq, segs[i - 1]!.end));
      }
      assert.equal(q.count, segs.length);
      assert.equal(bytes, covered.reduce((a, b) => a + b, 0));
      assert.equal(q.bytes, bytes);
      // Draining from the start yields the prefix that is covered, byte for byte.
      let prefix = 0;
      while (prefix < 2400 && covered[prefix]) prefix++;
      const out: Uint8Array[] = [];
      const nxt = q.drain(base, (v) => out.push(v));
      assert.equal(nxt, seqAdd(base, prefix));
      assert.deepEqual(Buffer.concat(out), Buffer.from(stream.subarray(0, prefix)));
    },
  ), { numRuns: 300 });
});

test('SACK blocks: the block with the latest segment first, then recent ones (RFC 2018 §4)', () => {
  const q = new OooQueue();
  const d = new Uint8Array(100);
  q.insert(1100, d, false); // [1100, 1200)
  q.insert(1300, d, false); // [1300, 1400)
  q.insert(1500, d, false); // [1500, 1600)
  q.insert(1200, d, false); // joins the first two: [1100, 1400)
  assert.deepEqual(q.sackBlocks(3, 1000), [[1100, 1400], [1500, 1600]]);
  q.insert(1700, d, false);
  assert.deepEqual(q.sackBlocks(3, 1000), [[1700, 1800], [1100, 1400], [1500, 1600]]);
});

test('send queue: chunks fill to the size goal, split without copying, copy out across chunks', () => {
  const mem = new ChunkAllocator();
  const q = new SendQueue();
  const data = new Uint8Array(5000).map((_, i) => i & 0xff);
  q.append(data, 0, 3000, 1000, 1448, mem);
  q.append(data, 3000, 2000, 4000, 1448, mem);
  assert.deepEqual(q.skbs.map((s) => [s.seq, s.len]), [[1000, 1448], [2448, 1448], [3896, 1448], [5344, 656]]);
  assert.equal(q.bytes, 5000);
  q.split(1, 100);
  assert.deepEqual(q.skbs.map((s) => [s.seq, s.len]).slice(1, 3), [[2448, 100], [2548, 1348]]);
  assert.equal(q.skbs[2]!.buf, q.skbs[1]!.buf, 'the two halves share storage');
  const out = new Uint8Array(2000);
  q.copyOut(2000, 2000, out, 0);
  assert.deepEqual(out, data.subarray(1000, 3000));
  assert.equal(q.indexOf(5999), 4);
  assert.equal(q.indexOf(6000), -1);
});

test('receive queue: views when one suffices, one copy to join small pieces', () => {
  const q = new RecvQueue();
  const big = new Uint8Array(1000);
  q.push(big);
  q.push(new Uint8Array(10).fill(1));
  assert.equal(q.read(800).buffer, big.buffer, 'a view');
  const r = q.read(1000);
  assert.equal(r.length, 210, 'less than half of what was asked in the first view: joined with the next');
  assert.deepEqual([...r.subarray(199, 201)], [0, 1]);
  const q2 = new RecvQueue();
  for (let i = 0; i < 10; i++) q2.push(new Uint8Array(10).fill(i));
  const j = q2.read(64);
  assert.equal(j.length, 64);
  assert.deepEqual([...j.subarray(8, 12)], [0, 0, 1, 1]);
});

test('RTO (RFC 6298): first sample, smoothing, Linux floor, backoff, cap; tcp_retries2 model', () => {
  const s: RttFields = { srtt: 0, rttvar: 0, rto: 1000, backoff: 0, minRtt: Infinity, tcp: { config: defaultTcpConfig() } };
  rttSample(s, 100);
  assert.equal(s.srtt, 100);
  assert.equal(s.rttvar, 50);
  assert.equal(s.rto, 300); // SRTT + max(4*RTTVAR, 200)
  rttSample(s, 200);
  assert.equal(s.rttvar, 0.75 * 50 + 0.25 * 100);
  assert.equal(s.srtt, 0.875 * 100 + 0.125 * 200);
  s.backoff = 3;
  assert.equal(currentRto(s), s.rto * 8);
  s.backoff = 20;
  assert.equal(currentRto(s), 120_000);
  assert.ok(Math.abs(modelTimeout(15, 200, 120_000) - 924_600) < 1);
  assert.equal(modelTimeout(6, 1000, 120_000), 127_000);
});

function cc(mss = 1000): CcSocket & { cwnd: number; ssthresh: number } {
  return { cwnd: 10 * mss, ssthresh: Infinity, mss, srtt: 100, minRtt: 100 };
}

test('Reno: slow start by bytes acknowledged (at most 2 SMSS per ACK), then one SMSS per window', () => {
  const r = new Reno();
  const s = cc();
  r.onAck(s, 2000);
  assert.equal(s.cwnd, 12_000);
  r.onAck(s, 5000);
  assert.equal(s.cwnd, 14_000, 'RFC 3465 L = 2 SMSS');
  s.ssthresh = 14_000;
  for (let i = 0; i < 14; i++) r.onAck(s, 1000);
  assert.equal(s.cwnd, 15_000);
  assert.equal(r.ssthresh(s, 20_000), 10_000);
  assert.equal(r.ssthresh(s, 1000), 2000);
});

test('slow start with TSO: L counts super-segments (one ACK covers 45 segments), still capped at ssthresh', () => {
  const r = new Reno();
  const s = { ...cc(1448), gsoOk: true };
  r.onAck(s, 45 * 1448);
  assert.equal(s.cwnd, 55 * 1448, 'the whole super-segment counts');
  r.onAck(s, 100 * 1448);
  assert.equal(s.cwnd, 55 * 1448 + 65535, 'at most one 64 KiB packet per ACK');
  s.ssthresh = s.cwnd + 1000;
  r.onAck(s, 45 * 1448);
  assert.equal(s.cwnd, s.ssthresh);
});

test('CUBIC: β = 0.7, the window climbs back to W_max after K seconds (RFC 9438 §4.2, §4.6)', () => {
  const c = new Cubic(defaultTcpConfig());
  const s = cc();
  s.cwnd = 100_000; // 100 segments
  c.onLoss(s, 'recovery');
  s.ssthresh = c.ssthresh(s);
  assert.equal(s.ssthresh, 70_000);
  s.cwnd = s.ssthresh;
  const k = Math.cbrt((100 - 70) / 0.4); // seconds
  let now = 0;
  // One ACK of one segment per millisecond-ish until K seconds passed.
  while (now < k * 1000) { c.onAck(s, 1000, now); now += 5; }
  const w = s.cwnd / 1000;
  assert.ok(w > 95 && w < 106, `cwnd ${w} segments at t = K`);
  // Concave then convex: later it keeps growing beyond W_max.
  while (now < k * 1000 + 3000) { c.onAck(s, 1000, now); now += 5; }
  assert.ok(s.cwnd / 1000 > w + 5);
  // Fast convergence: a loss below the previous W_max remembers less.
  s.cwnd = 90_000;
  c.onLoss(s, 'recovery');
  assert.ok(Math.abs(c.ssthresh(s) - 63_000) < 1e-6);
});

test('SYN cookies: valid for two 64 s periods, MSS index and options round-trip, forgeries fail', async () => {
  const sched = new Scheduler('virtual');
  const sc = new SynCookies(new Random(5), sched);
  const idx = sc.mssIndex(1460);
  const cookie = sc.make('10.0.0.2', 80, '10.0.0.1', 4000, 777, idx);
  assert.equal(sc.check('10.0.0.2', 80, '10.0.0.1', 4000, 777, cookie), 1460);
  assert.equal(sc.check('10.0.0.2', 80, '10.0.0.1', 4001, 777, cookie), -1);
  assert.equal(sc.check('10.0.0.2', 80, '10.0.0.1', 4000, 778, cookie), -1);
  assert.equal(sc.check('10.0.0.2', 80, '10.0.0.1', 4000, 777, (cookie ^ 1) >>> 0), -1);
  assert.equal(sc.mssIndex(1400), sc.mssIndex(1300));
  const ts = sc.encodeTs(123456, { wscale: 7, sackOk: true });
  assert.ok(ts <= 123456 && 123456 - ts < 64);
  assert.deepEqual(sc.decodeTs(ts), { wscale: 7, sackOk: true });
  assert.deepEqual(sc.decodeTs(sc.encodeTs(99999, { wscale: -1, sackOk: false })), { wscale: -1, sackOk: false });
  await sched.run(100_000);
  assert.equal(sc.check('10.0.0.2', 80, '10.0.0.1', 4000, 777, cookie), 1460, 'still valid in the next period');
  await sched.run(100_000);
  assert.equal(sc.check('10.0.0.2', 80, '10.0.0.1', 4000, 777, cookie), -1, 'expired');
});

test('window scale: the smallest shift for the largest buffer (Linux: 7 for tcp_rmem[2] = 6 MiB)', () => {
  assert.equal(chooseWscale(6291456), 7);
  assert.equal(chooseWscale(65535), 0);
  assert.equal(chooseWscale(1 << 30), 14);
});

test('SipHash-2-4 (the ISN and SYN-cookie PRF) matches the reference vectors', async () => {
  const { siphash24 } = await import('../../src/kernel/tcp/siphash.js');
  const key = new Uint32Array([0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c]); // bytes 00..0f
  const out = new Uint32Array(2);
  const hex = (): string => out[1]!.toString(16).padStart(8, '0') + out[0]!.toString(16).padStart(8, '0');
  siphash24(key, new Uint8Array(0), 0, out);
  assert.equal(hex(), '726fdb47dd0e0e31', 'empty message (reference vector 0)');
  const msg = Uint8Array.from({ length: 15 }, (_, i) => i);
  const lo = siphash24(key, msg, 15, out);
  assert.equal(hex(), 'a129ca6149be45e5', 'the paper\'s example: 15 bytes 00..0e');
  assert.equal(lo, 0x49be45e5);
});
