// RFC 5961 protections: challenge ACKs for an in-window RST that is not exact (§3.2), for a SYN
// in a synchronized state (§4.2), rate limiting (§7); ACKs for unsent data (§5.2); PAWS (RFC 7323 §5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/wire/tcp.js';
import { connected, drain, dropOutgoing, inject, pair, show, tapSegments } from './helpers.js';

const MSS = 1448;

test('RST in the window but not at RCV.NXT: challenge ACK, connection kept; exact RST resets', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  const lport = (s.getsockname() as { port: number }).port;
  const cport = (c.getsockname() as { port: number }).port;
  // A blind RST from "a" to b, 1000 bytes into b's receive window.
  inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: cport, dstPort: lport, seq: (s.rcvNxt + 1000) >>> 0, ack: 0, flags: TCP_RST, window: 0 });
  await p.world.run({ for: 1 });
  assert.equal(s.info().state, 'ESTAB');
  const ch = segs.filter((x) => x.src === '10.0.0.2');
  assert.equal(ch.length, 1, show(segs));
  assert.equal(ch[0]!.flags, 'ACK');
  assert.equal(ch[0]!.seq, s.sndNxt);
  assert.equal(ch[0]!.ack, s.rcvNxt);
  assert.equal(p.tb.stats.TCPChallengeACK, 1);
  // A second one within tcp_invalid_ratelimit (500 ms) gets no ACK.
  inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: cport, dstPort: lport, seq: (s.rcvNxt + 2000) >>> 0, ack: 0, flags: TCP_RST, window: 0 });
  await p.world.run({ for: 1 });
  assert.equal(segs.filter((x) => x.src === '10.0.0.2').length, 1);
  assert.equal(p.tb.stats.TCPACKSkippedChallenge, 1);
  // Out of the window: silently dropped.
  inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: cport, dstPort: lport, seq: (s.rcvNxt + 10_000_000) >>> 0, ack: 0, flags: TCP_RST, window: 0 });
  assert.equal(s.info().state, 'ESTAB');
  // Exactly RCV.NXT: the connection is reset.
  inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: cport, dstPort: lport, seq: s.rcvNxt, ack: 0, flags: TCP_RST, window: 0 });
  assert.equal(s.info().state, 'UNCONN');
  assert.equal(s.read(10), -104);
});

test('SYN on an established connection: challenge ACK, nothing else changes (RFC 5961 §4.2)', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  const lport = (s.getsockname() as { port: number }).port;
  const cport = (c.getsockname() as { port: number }).port;
  inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: cport, dstPort: lport, seq: 12345, ack: 0, flags: TCP_SYN, window: 1000, options: { mss: 1460 } });
  await p.world.run({ for: 1 });
  assert.equal(s.info().state, 'ESTAB');
  assert.equal(c.info().state, 'ESTAB');
  const fromB = segs.filter((x) => x.src === '10.0.0.2');
  assert.deepEqual(fromB.map((x) => x.flags), ['ACK'], show(segs));
  assert.equal(fromB[0]!.ack, s.rcvNxt);
  assert.equal(p.tb.stats.TCPSYNChallenge, 1);
  // The real peer gets the challenge ACK, finds it acceptable, and the connection goes on.
  assert.equal(c.write(Buffer.from('still here')), 10);
  await p.world.run({ for: 1 });
  assert.equal(drain(s).data.toString(), 'still here');
});

test('ACK of data never sent: answered with an ACK and dropped (RFC 5961 §5.2)', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  const lport = (s.getsockname() as { port: number }).port;
  const cport = (c.getsockname() as { port: number }).port;
  inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: cport, dstPort: lport, seq: s.rcvNxt, ack: (s.sndNxt + 5000) >>> 0, flags: TCP_ACK, window: 100 },
    Buffer.from('injected'));
  await p.world.run({ for: 1 });
  assert.equal(drain(s).data.length, 0, 'the data of that segment is dropped');
  assert.deepEqual(segs.filter((x) => x.src === '10.0.0.2').map((x) => x.flags), ['ACK']);
});

test('TS.Recent is not taken from a segment whose ACK covers data never sent (RFC 7323 §4.3; Linux tcp_ack)', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const lport = (s.getsockname() as { port: number }).port;
  const cport = (c.getsockname() as { port: number }).port;
  const recent = s.tsRecent;
  inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: cport, dstPort: lport, seq: s.rcvNxt, ack: (s.sndNxt + 5000) >>> 0, flags: TCP_ACK | TCP_FIN, window: 100, options: { timestamp: { tsval: (recent + 1_000_000) >>> 0, tsecr: 0 } } });
  await p.world.run({ for: 1 });
  assert.equal(s.tsRecent, recent);
  assert.equal(s.info().state, 'ESTAB', 'its FIN was dropped with it');
  // The next segment, with the peer's real clock, is not taken for an old duplicate.
  c.write(Buffer.from('after'));
  await p.world.run({ for: 50 });
  assert.equal(drain(s).data.toString(), 'after');
  assert.equal(p.tb.stats.PAWSEstab, 0);
});

test('data after close() in FIN-WAIT-1: a reset answers the segment (<SEQ=SEG.ACK><CTL=RST>, no ACK), TCPAbortOnData', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  const lport = (s.getsockname() as { port: number }).port;
  const cport = (c.getsockname() as { port: number }).port;
  // b's FIN is lost: b stays in FIN-WAIT-1.
  const undo = dropOutgoing(p.b, (t) => (t.flags & TCP_FIN) !== 0);
  s.close();
  await p.world.run({ for: 1 });
  undo();
  const ack = s.sndNxt;
  inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: cport, dstPort: lport, seq: s.rcvNxt, ack: (ack - 1) >>> 0, flags: TCP_ACK | TCP_PSH, window: 512 }, Buffer.from('late'));
  await p.world.run({ for: 1 });
  const rst = segs.filter((x) => x.src === '10.0.0.2' && x.flags.includes('RST'));
  assert.equal(rst.length, 1, show(segs));
  assert.equal(rst[0]!.flags, 'RST');
  assert.equal(rst[0]!.seq, (ack - 1) >>> 0);
  assert.equal(p.tb.stats.TCPAbortOnData, 1);
  assert.equal(s.info().state, 'UNCONN', 'the connection is gone');
});

test('PAWS (RFC 7323 §5.3): a segment with an old timestamp is dropped and acknowledged', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const lport = (s.getsockname() as { port: number }).port;
  const cport = (c.getsockname() as { port: number }).port;
  assert.equal(s.info().options.timestamps, true);
  const old = (s.tsRecent - 1000) >>> 0;
  inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: cport, dstPort: lport, seq: s.rcvNxt, ack: s.sndNxt, flags: TCP_ACK, window: 512, options: { timestamp: { tsval: old, tsecr: 0 } } },
    Buffer.from('old duplicate'));
  await p.world.run({ for: 1 });
  assert.equal(p.tb.stats.PAWSEstab, 1);
  assert.equal(drain(s).data.length, 0);
  assert.equal(s.info().state, 'ESTAB');
});

test('PAWS lets a duplicate ACK overtaken by a later one through: its SACK blocks count (Linux tcp_disordered_ack)', async () => {
  const p = pair({ offload: false });
  const [c] = await connected(p);
  // Three segments that never reach b: a keeps them outstanding.
  const undo = dropOutgoing(p.a, (t) => t.payload.length > 0);
  c.write(new Uint8Array(3 * MSS));
  await p.world.run({ for: 1 });
  undo();
  const una = c.sndUna;
  const dupAck = (tsval: number, sack: [number, number]): void => inject(p.ta, '10.0.0.2', '10.0.0.1', {
    srcPort: 80, dstPort: c.localPort, seq: c.rcvNxt, ack: una, flags: TCP_ACK, window: c.sndWnd >>> c.sndWscale,
    options: { timestamp: { tsval, tsecr: 0 }, sack: [sack] },
  });
  const ts = c.tsRecent;
  // The later ACK first (the third segment SACKed), then the earlier one (the second segment).
  dupAck((ts + 10) >>> 0, [(una + 2 * MSS) >>> 0, (una + 3 * MSS) >>> 0]);
  assert.equal(c.sackedBytes, MSS);
  dupAck((ts + 5) >>> 0, [(una + MSS) >>> 0, (una + 2 * MSS) >>> 0]);
  assert.equal(p.ta.stats.PAWSEstab, 0);
  assert.equal(c.sackedBytes, 2 * MSS, 'the overtaken ACK\'s SACK block was applied');
  // An older TSval on anything else is still an old duplicate (RFC 7323 §5.3): a window update here.
  inject(p.ta, '10.0.0.2', '10.0.0.1', {
    srcPort: 80, dstPort: c.localPort, seq: c.rcvNxt, ack: una, flags: TCP_ACK, window: (c.sndWnd >>> c.sndWscale) + 100,
    options: { timestamp: { tsval: (ts + 1) >>> 0, tsecr: 0 } },
  });
  assert.equal(p.ta.stats.PAWSEstab, 1);
});

test('a segment exactly 2^31 ahead of RCV.NXT is outside the window: ACKed and dropped, no data, no FIN (Linux tcp_sequence)', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  const lport = (s.getsockname() as { port: number }).port;
  const cport = (c.getsockname() as { port: number }).port;
  for (const off of [0x80000000, 0x80000001, 0x7fffffff, 0x80000000 - 5]) {
    inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: cport, dstPort: lport, seq: (s.rcvNxt + off) >>> 0, ack: s.sndNxt, flags: TCP_ACK | TCP_FIN | TCP_PSH, window: 512 },
      Buffer.from('injected by an off-path attacker'));
    await p.world.run({ for: 1 });
    assert.equal(drain(s).data.length, 0, `offset ${off.toString(16)}: no data delivered`);
    assert.equal(s.info().state, 'ESTAB', `offset ${off.toString(16)}: connection kept`);
  }
  // Each was answered with an ACK at RCV.NXT (the first; the rest fall within tcp_invalid_ratelimit).
  const fromB = segs.filter((x) => x.src === '10.0.0.2');
  assert.ok(fromB.length >= 1, show(segs));
  assert.ok(fromB.every((x) => x.flags === 'ACK' && x.ack === s.rcvNxt), show(segs));
  // The connection still carries data both ways.
  assert.equal(c.write(Buffer.from('real')), 4);
  await p.world.run({ for: 1 });
  assert.equal(drain(s).data.toString(), 'real');
});

/** Sends n in-window, inexact RSTs to b within one virtual second; returns how many challenge ACKs went out. */
async function challengeBurst(p: ReturnType<typeof pair>, c: { getsockname(): unknown }, s: { getsockname(): unknown; rcvNxt: number }, n: number): Promise<number> {
  const lport = (s.getsockname() as { port: number }).port;
  const cport = (c.getsockname() as { port: number }).port;
  const before = p.tb.stats.TCPChallengeACK;
  for (let i = 0; i < n; i++) {
    inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: cport, dstPort: lport, seq: (s.rcvNxt + 1000 + i) >>> 0, ack: 0, flags: TCP_RST, window: 0 });
  }
  await p.world.run({ for: 1 });
  return p.tb.stats.TCPChallengeACK - before;
}

test('no host-wide challenge-ACK limit by default (Linux 6.0+: tcp_challenge_ack_limit = INT_MAX)', async () => {
  const p = pair({ config: { invalidRatelimitMs: 0 } });
  const [c, s] = await connected(p);
  assert.equal(await challengeBurst(p, c, s, 3000), 3000);
  assert.equal(s.info().state, 'ESTAB');
});

test('a host-wide challenge-ACK limit, when set, allows a random count each second in [limit/2, 3*limit/2) (CVE-2016-5696)', async () => {
  const counts = new Set<number>();
  for (const seed of [1, 2, 3, 4]) {
    const p = pair({ seed, config: { invalidRatelimitMs: 0, challengeAckLimit: 100 } });
    const [c, s] = await connected(p);
    await p.world.run({ for: 1000 - (p.world.now() % 1000) }); // the start of a second
    const n = await challengeBurst(p, c, s, 1000);
    assert.ok(n >= 50 && n < 150, `seed ${seed}: ${n} challenge ACKs`);
    assert.equal(p.tb.stats.TCPACKSkippedChallenge, 1000 - n);
    counts.add(n);
  }
  assert.ok(counts.size > 1, `the budget is not a constant an attacker can count against: ${[...counts].join(', ')}`);
});
