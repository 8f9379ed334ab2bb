// Retransmission (RFC 6298) and loss recovery (RFC 5681, RFC 6582, RFC 6675) on real hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';
import { AF_INET, addr, connected, dropOutgoing, pair, sha256, show, tapSegments, transfer } from './helpers.js';

test('RTO: the lost segment is resent after 200 ms, then 400, 800, 1600 ms (RFC 6298 §5.5)', async () => {
  // Without tail loss probes (tcp_early_retrans = 0): the first retransmission would otherwise be
  // a probe (test/tcp/rack.test.ts has that timeline).
  const p = pair({ offload: false, config: { tlp: false } });
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  let dropping = true;
  const undo = dropOutgoing(p.a, (t) => dropping && t.payload.length > 0);
  const t0 = p.world.now();
  assert.equal(c.write(Buffer.from('lost at first')), 13);
  await p.world.run({ for: 2000 });
  // Our hook drops before the wire: count transmissions through the socket's counters instead.
  assert.equal(c.info().totalRetrans, 3, 'retransmissions at 200, 600, 1400 ms');
  assert.equal(c.info().backoff, 3);
  dropping = false;
  await p.world.run({ for: 1700 });
  const got = s.read(100);
  assert.ok(got instanceof Uint8Array);
  assert.equal(Buffer.from(got).toString(), 'lost at first');
  assert.equal(c.info().totalRetrans, 4);
  const data = segs.filter((x) => x.len > 0);
  assert.equal(data.length, 1, show(segs));
  assert.ok(Math.abs(data[0]!.time - t0 - 3000) < 2, `4th retransmission at 200+400+800+1600 ms: ${data[0]!.time - t0}`);
  assert.equal(c.info().backoff, 0, 'a valid RTT sample ends the backoff');
  undo();
});

test('a connection opened an hour into a run takes its first RTO from the handshake\'s RTT (Linux: about 300 ms for a 100 ms path)', async () => {
  for (const ts of [true, false]) {
    const p = pair({ offload: false, config: { timestamps: ts } });
    p.link.impair({ latency: '50ms' });
    await p.world.run({ for: 3_600_000 });
    await p.a.ping('10.0.0.2'); // ARP first: the handshake's RTT is then the path's
    const [c] = await connected(p);
    assert.ok(Math.abs(c.srtt - 100) < 1, `SRTT from the handshake: ${c.srtt} ms`);
    const segs = tapSegments(p.link, p.world);
    let dropped = -1;
    const undo = dropOutgoing(p.a, (t) => {
      if (t.payload.length === 0 || dropped >= 0) return false;
      dropped = p.world.now();
      return true;
    });
    c.write(Buffer.from('first data, lost'));
    await p.world.run({ for: 2000 });
    undo();
    const resent = segs.filter((x) => x.len > 0 && x.src === '10.0.0.1');
    assert.equal(resent.length, 1, show(segs));
    // RTO = SRTT + max(4 * RTTVAR, 200 ms) = 100 + 200 (RFC 6298 §2.2 with Linux's floor); the tap
    // sees it when it leaves a.
    const after = resent[0]!.time - dropped;
    assert.ok(Math.abs(after - 300) < 5, `retransmitted ${after} ms after the first transmission (timestamps ${ts})`);
  }
});

test('SYN retries: 6 retransmissions at 1, 3, 7, 15, 31, 63 s, then ETIMEDOUT at 127 s', async () => {
  const p = pair();
  await p.a.ping('10.0.0.2');
  const segs = tapSegments(p.link, p.world);
  p.link.impair({ loss: 1 }, 'b->a');
  const c = p.ta.socket(AF_INET);
  assert.equal(c.connect(addr('10.0.0.2', 80)), -115);
  const t0 = p.world.now();
  await p.world.run({ for: 200_000 });
  const syns = segs.filter((x) => x.flags === 'SYN' && x.src === '10.0.0.1').map((x) => Math.round((x.time - t0) / 1000));
  assert.deepEqual(syns, [0, 1, 3, 7, 15, 31, 63], show(segs));
  assert.equal(c.getsockopt('SOL_SOCKET', 'SO_ERROR'), 110);
  assert.equal(c.info().state, 'UNCONN');
});

test('fast retransmit with SACK: one lost segment recovered without a timeout', async () => {
  const p = pair({ offload: false });
  const [c, s] = await connected(p);
  let n = 0;
  const undo = dropOutgoing(p.a, (t) => t.payload.length > 0 && ++n === 3);
  const data = randomBytes(64 * 1448);
  const got = await transfer(c, s, data);
  undo();
  assert.equal(sha256(got), sha256(data));
  assert.equal(p.ta.stats.TCPSackRecovery, 1);
  assert.equal(p.ta.stats.TCPTimeouts, 0);
  assert.equal(c.info().totalRetrans, 1);
});

test('NewReno (SACK off): two losses in one window recovered by partial ACKs (RFC 6582)', async () => {
  const p = pair({ config: { sack: false }, offload: false });
  const [c, s] = await connected(p);
  let n = 0;
  const undo = dropOutgoing(p.a, (t) => t.payload.length > 0 && (++n === 12 || n === 15));
  const data = randomBytes(100 * 1448);
  const got = await transfer(c, s, data);
  undo();
  assert.equal(sha256(got), sha256(data));
  assert.equal(c.info().options.sack, false);
  assert.equal(p.ta.stats.TCPRenoRecovery, 1);
  assert.equal(p.ta.stats.TCPTimeouts, 0);
  assert.equal(c.info().totalRetrans, 2);
});

test('NewReno (SACK off) with TSO: the fast retransmit resends one MSS of the head, not its whole super-segment (Linux tcp_newreno_mark_lost)', async () => {
  const p = pair({ config: { sack: false } });
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  let lostSeq = -1;
  let lostLen = 0;
  const undo = dropOutgoing(p.a, (t) => {
    if (t.payload.length <= 2 * 1448 || lostSeq >= 0) return false;
    lostSeq = t.seq;
    lostLen = t.payload.length;
    return true;
  });
  const data = randomBytes(60 * 1448);
  const got = await transfer(c, s, data);
  undo();
  assert.equal(sha256(got), sha256(data));
  assert.ok(lostSeq >= 0 && lostLen > 2 * 1448, `a super-segment of ${lostLen} bytes was dropped`);
  assert.equal(p.ta.stats.TCPRenoRecovery, 1);
  assert.equal(p.ta.stats.TCPTimeouts, 0);
  // What a sends from the fast retransmit up to b's next ACK: of the lost range, its first MSS only.
  const i = segs.findIndex((x) => x.src === '10.0.0.1' && x.seq === lostSeq && x.len > 0);
  let j = i;
  while (j < segs.length && segs[j]!.src === '10.0.0.1') j++;
  const inRange = (x: { seq: number }): boolean => ((x.seq - lostSeq) | 0) >= 0 && ((x.seq - lostSeq) | 0) < lostLen;
  const resent = segs.slice(i, j).filter((x) => x.len > 0 && inRange(x));
  assert.deepEqual(resent.map((x) => [x.seq, x.len]), [[lostSeq, 1448]], show(segs.slice(Math.max(0, i - 3), j + 3)));
});

test('bulk transfer over a lossy, reordering, duplicating path arrives intact (SHA-256)', async () => {
  const p = pair({ seed: 7 });
  const [c, s] = await connected(p);
  p.link.impair({ latency: 5, loss: 0.02, reorder: 0.01, duplicate: 0.001 });
  const data = randomBytes(2 * 1024 * 1024);
  const got = await transfer(c, s, data);
  assert.equal(got.length, data.length);
  assert.equal(sha256(got), sha256(data));
  assert.ok(c.info().totalRetrans > 0);
});

test('both directions at once over a lossy path: data segments carry SACK blocks, both streams intact', async () => {
  const p = pair({ seed: 5 });
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  p.link.impair({ latency: 3, loss: 0.02, reorder: 0.01 });
  const data = [randomBytes(1 << 20), randomBytes(1 << 20)];
  const got = await both(c, s, data[0]!, data[1]!, 65536);
  assert.equal(sha256(got[1]!), sha256(data[0]!));
  assert.equal(sha256(got[0]!), sha256(data[1]!));
  assert.ok(c.info().totalRetrans > 0 && s.info().totalRetrans > 0);
  // Data segments with SACK blocks carry less data, so that every one fits the 1500-byte MTU.
  const withSack = segs.filter((x) => x.len > 0 && x.tcp.options.sack !== undefined);
  assert.ok(withSack.length > 0);
  for (const x of segs) assert.ok(x.tcp.headerLength + x.len <= 1480, `${x.tcp.headerLength} + ${x.len}`);
});

/**
 * Streams `d0` from `s0` to `s1` and `d1` back at the same time, in writes of at most `chunk`
 * bytes; resolves with what each read to EOF.
 */
function both(s0: TcpSocket, s1: TcpSocket, d0: Uint8Array, d1: Uint8Array, chunk = Infinity): Promise<Buffer[]> {
  const socks = [s0, s1];
  const data = [d0, d1];
  const off = [0, 0];
  const got: Uint8Array[][] = [[], []];
  const eof = [false, false];
  return new Promise((resolve) => {
    const step = (i: number): void => {
      const me = socks[i]!;
      while (off[i]! < data[i]!.length) {
        const r = me.write(data[i]!.subarray(off[i]!, off[i]! + chunk));
        if (r < 0) break;
        off[i]! += r;
      }
      if (off[i] === data[i]!.length) { off[i]! += 1; me.shutdown(1); }
      for (;;) {
        const r = me.read(1 << 20);
        if (typeof r === 'number') break;
        if (r.length === 0) { eof[i] = true; break; }
        got[i]!.push(r);
      }
      if (eof[0] && eof[1]) resolve([Buffer.concat(got[0]!), Buffer.concat(got[1]!)]);
    };
    s0.onReady = () => step(0);
    s1.onReady = () => step(1);
    step(0);
    step(1);
  });
}

test('a retransmission that carries SACK blocks is cut to fit the path (Linux tcp_current_mss)', async () => {
  const p = pair({ offload: false });
  p.link.impair({ latency: 5 });
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  // b's third data segment is lost for 300 ms: a holds b's later data out of order meanwhile,
  // so every segment a sends carries SACK blocks; a's own fifth data segment is lost once.
  let nb = 0;
  let holeSeq = -1;
  const t0 = p.world.now();
  const undoB = dropOutgoing(p.b, (t) => {
    if (t.payload.length === 0) return false;
    if (++nb === 3) holeSeq = t.seq;
    return t.seq === holeSeq && p.world.now() - t0 < 300;
  });
  let na = 0;
  let lostSeq = -1;
  const undoA = dropOutgoing(p.a, (t) => {
    if (t.payload.length === 0 || ++na !== 5) return false;
    lostSeq = t.seq;
    return true;
  });
  const data = [randomBytes(40 * 1448), randomBytes(40 * 1448)];
  const got = await both(c, s, data[0]!, data[1]!);
  undoA();
  undoB();
  assert.equal(sha256(got[1]!), sha256(data[0]!));
  assert.equal(sha256(got[0]!), sha256(data[1]!));
  const repair = segs.find((x) => x.src === '10.0.0.1' && x.seq === lostSeq && x.len > 0);
  assert.ok(repair !== undefined, show(segs));
  assert.ok(repair.tcp.options.sack !== undefined, 'the retransmission carried SACK blocks');
  assert.ok(repair.tcp.headerLength + repair.len <= 1480, `${repair.tcp.headerLength} + ${repair.len}`);
  assert.ok(repair.time - t0 < 100, `repaired after ${repair.time - t0} ms`);
});
