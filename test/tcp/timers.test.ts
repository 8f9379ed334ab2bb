// Timers: persist and zero-window probes (RFC 9293 §3.8.6.1), keep-alive (RFC 9293 §3.8.4),
// TCP_USER_TIMEOUT (RFC 5482), delayed ACKs (RFC 9293 §3.8.6.3, RFC 5681 §4.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connected, drain, must, pair, sha256, show, tapSegments, transfer } from './helpers.js';

test('zero window: the sender probes with backoff, and resumes when the reader drains', async () => {
  // A small receive buffer from the start (tcp_rmem 4096 8192 8192): 4 KiB of window.
  const p = pair({ config: { rmem: [4096, 8192, 8192] } });
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  assert.equal(s.getsockopt('SOL_SOCKET', 'SO_RCVBUF'), 8192);
  const data = randomBytes(300_000);
  let off = 0;
  const pump = (): void => { while (off < data.length) { const r = c.write(data.subarray(off)); if (r < 0) return; off += r; } };
  c.onReady = pump;
  pump();
  await p.world.run({ for: 1000 });
  // The window closed once the receive buffer held its share (the last small piece of the
  // offer goes out when the SWS override timer fires, RFC 9293 §3.8.6.2.1).
  const zero = segs.filter((x) => x.src === '10.0.0.2' && x.win === 0);
  assert.ok(zero.length >= 1, show(segs.slice(-10)));
  const t0 = zero[0]!.time;
  const una = c.sndUna;
  await p.world.run({ for: 6000 });
  // Probes as Linux's (tcp_write_wakeup -> tcp_xmit_probe_skb): an empty segment at SND.UNA - 1,
  // not RFC 9293 §3.8.6.1's octet of new data; answered with a zero window, spaced by the
  // backed-off RTO: 200, 400, 800, 1600 ms, ...
  assert.equal(c.sndUna, una, 'nothing was sent into the closed window');
  assert.ok(!segs.some((x) => x.src === '10.0.0.1' && x.len > 0 && x.time > t0 + 100), show(segs.slice(-12)));
  const probes = segs.filter((x) => x.src === '10.0.0.1' && x.len === 0 && x.seq === ((una - 1) >>> 0) && x.time > t0 - 100);
  assert.ok(probes.length >= 4, show(segs.slice(-12)));
  // The peer answers a probe, out of its window, as any such segment: with an ACK, at most one
  // per tcp_invalid_ratelimit (500 ms; Linux tcp_oow_rate_limited), so one probe 409 ms after the
  // previous answer goes unanswered.
  const answered = probes.filter((x) => segs.some((y) => y.src === '10.0.0.2' && y.time >= x.time && y.time < x.time + 10 && y.win === 0 && y.ack === una));
  assert.ok(answered.length >= probes.length - 1, show(segs.slice(-12)));
  const gaps = probes.slice(1).map((x, i) => Math.round(x.time - probes[i]!.time));
  for (let i = 1; i < gaps.length; i++) assert.ok(Math.abs(gaps[i]! - gaps[i - 1]! * 2) <= 2, `gaps ${gaps}`);
  assert.ok(gaps[0]! >= 200, `gaps ${gaps}`);
  assert.ok(p.ta.stats.TCPWinProbe >= 4);
  assert.equal(c.info().state, 'ESTAB');
  assert.equal(p.tb.stats.TCPRcvQDrop, 0);
  // The application reads: a window update opens the window and the rest flows.
  const parts: Uint8Array[] = [];
  s.onReady = () => { for (;;) { const r = s.read(1 << 20); if (typeof r === 'number' || r.length === 0) break; parts.push(r); } };
  s.onReady(0);
  await p.world.run({ for: 5000 });
  s.onReady(0);
  assert.equal(sha256(Buffer.concat(parts)), sha256(data));
});

test('SO_RCVBUF shrunk below a window already offered: the window is not taken back, what does not fit is dropped (Linux TCPRcvQDrop) and sent again, nothing is lost', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  must(s.setsockopt('SOL_SOCKET', 'SO_RCVBUF', 4096)); // doubled: 8192
  assert.equal(s.getsockopt('SOL_SOCKET', 'SO_RCVBUF'), 8192);
  const data = randomBytes(300_000);
  let off = 0;
  const pump = (): void => { while (off < data.length) { const r = c.write(data.subarray(off)); if (r < 0) return; off += r; } };
  c.onReady = pump;
  pump();
  await p.world.run({ for: 3000 });
  // RFC 7323 §2.4: the right edge offered before never moves back ...
  let edge = 0;
  for (const x of segs) {
    if (x.src !== '10.0.0.2') continue;
    const e = (x.ack + x.win) >>> 0;
    if (edge !== 0) assert.ok(((e - edge) | 0) >= 0, `right edge moved back: ${show([x])}`);
    edge = e;
  }
  // ... but memory is what Linux checks (tcp_try_rmem_schedule): past sk_rcvbuf, in-order data
  // into a non-empty receive queue is dropped and counted; what is held stays near the buffer.
  assert.ok(p.tb.stats.TCPRcvQDrop > 0 && p.tb.stats.RcvPruned > 0, JSON.stringify(p.tb.stats));
  assert.ok(s.recvQ.mem + s.ooo.mem <= 8192 + 2048 + 320, `held ${s.recvQ.mem + s.ooo.mem}`);
  assert.equal(c.info().state, 'ESTAB');
  // The reader drains: the sender's retransmissions get through and the stream is whole.
  const parts: Uint8Array[] = [];
  s.onReady = () => { for (;;) { const r = s.read(1 << 20); if (typeof r === 'number' || r.length === 0) break; parts.push(r); } };
  s.onReady(0);
  for (let t = 0; t < 60 && Buffer.concat(parts).length < data.length; t++) { await p.world.run({ for: 1000 }); s.onReady(0); }
  assert.equal(sha256(Buffer.concat(parts)), sha256(data));
});

test('keep-alive: probes after TCP_KEEPIDLE, every TCP_KEEPINTVL; RST and ETIMEDOUT after TCP_KEEPCNT', async () => {
  const p = pair();
  const [c] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  must(c.setsockopt('IPPROTO_TCP', 'TCP_KEEPIDLE', 10));
  must(c.setsockopt('IPPROTO_TCP', 'TCP_KEEPINTVL', 2));
  must(c.setsockopt('IPPROTO_TCP', 'TCP_KEEPCNT', 3));
  must(c.setsockopt('SOL_SOCKET', 'SO_KEEPALIVE', 1));
  const t0 = p.world.now();
  await p.world.run({ for: 10_500 });
  const probe = segs.find((x) => x.src === '10.0.0.1');
  assert.ok(probe, show(segs));
  assert.equal(Math.round((probe.time - t0) / 1000), 10);
  assert.equal(probe.seq, (c.sndUna - 1) >>> 0, 'SEG.SEQ = SND.NXT - 1 (RFC 9293 §3.8.4)');
  assert.equal(probe.len, 0);
  assert.ok(segs.some((x) => x.src === '10.0.0.2' && x.time === probe.time), 'answered');
  assert.equal(c.info().state, 'ESTAB');
  // The peer disappears.
  p.link.impair({ loss: 1 });
  const t1 = p.world.now();
  await p.world.run({ for: 20_000 });
  assert.equal(c.info().state, 'UNCONN');
  assert.equal(c.getsockopt('SOL_SOCKET', 'SO_ERROR'), 110);
  const mine = segs.filter((x) => x.src === '10.0.0.1' && x.time > t1);
  assert.deepEqual(mine.map((x) => x.flags), ['ACK', 'ACK', 'ACK', 'RST,ACK'], show(mine));
  assert.deepEqual(mine.map((x) => Math.round((x.time - t0) / 1000)), [20, 22, 24, 26]);
});

test('TCP_USER_TIMEOUT: unacknowledged data fails the connection after the timeout, not after tcp_retries2', async () => {
  const p = pair();
  const [c] = await connected(p);
  must(c.setsockopt('IPPROTO_TCP', 'TCP_USER_TIMEOUT', 3000));
  p.link.impair({ loss: 1 });
  const t0 = p.world.now();
  let failedAt = -1;
  c.onReady = (ev) => { if ((ev & 0x008) !== 0 && failedAt < 0) failedAt = p.world.now(); };
  assert.equal(c.write(Buffer.from('into the void')), 13);
  await p.world.run({ for: 10_000 });
  assert.equal(c.getsockopt('SOL_SOCKET', 'SO_ERROR'), 110);
  assert.ok(Math.abs(failedAt - t0 - 3000) <= 1, `failed after ${failedAt - t0} ms`);
  assert.ok(c.info().totalRetrans >= 3);
});

test('without TCP_USER_TIMEOUT the connection gives up after tcp_retries2 (15) backed-off RTOs, 924.6 s', async () => {
  const p = pair();
  const [c] = await connected(p);
  p.link.impair({ loss: 1 });
  const t0 = p.world.now();
  let failedAt = -1;
  c.onReady = (ev) => { if ((ev & 0x008) !== 0 && failedAt < 0) failedAt = p.world.now(); };
  c.write(Buffer.from('x'));
  await p.world.run({ for: 1_000_000 });
  // Linux reports the soft error when there is one: the neighbour of a vanished peer cannot be
  // resolved, which the IP layer reports as EHOSTUNREACH (RFC 1122 §4.2.3.9).
  assert.equal(c.getsockopt('SOL_SOCKET', 'SO_ERROR'), 113);
  const t = (failedAt - t0) / 1000;
  assert.ok(t >= 924.6 && t < 1100, `gave up after ${t} s`);
});

test('delayed ACK (Linux tcp_event_data_recv / tcp_send_delayed_ack): bulk is ACKed every second segment; a lone segment soon after waits 40 ms; one after a silence longer than the RTO is ACKed at once', async () => {
  // A frame per segment (offload off): the receiver's 16 quick ACKs are used up by the bulk
  // (with super-segments a handful of ACKs would cover it, as with GRO on Linux).
  const q = pair({ offload: false });
  const [c2, s2] = await connected(q);
  const segs = tapSegments(q.link, q.world);
  const data = randomBytes(200 * 1448);
  const parts: Uint8Array[] = [];
  s2.onReady = () => { for (;;) { const r = s2.read(1 << 20); if (typeof r === 'number' || r.length === 0) break; parts.push(r); } };
  let off = 0;
  c2.onReady = () => { while (off < data.length) { const r = c2.write(data.subarray(off)); if (r < 0) return; off += r; } };
  c2.onReady(0);
  while (Buffer.concat(parts).length < data.length) await q.world.run({ for: 5 });
  assert.equal(sha256(Buffer.concat(parts)), sha256(data));
  const dataSegs = segs.filter((x) => x.src === '10.0.0.1' && x.len > 0).length;
  const acks = segs.filter((x) => x.src === '10.0.0.2').length;
  assert.ok(acks < dataSegs * 0.75, `${acks} ACKs for ${dataSegs} segments`);
  // A lone small segment 50 ms later (quick ACKs used up, less than an RTO since the last data),
  // which the application does not read yet: the delayed-ACK timer answers it after 40 ms.
  // (A read that empties the buffer would ACK the short segment at once: Linux __tcp_cleanup_rbuf.)
  s2.onReady = null;
  await q.world.run({ for: 50 });
  let before = segs.length;
  let t0 = q.world.now();
  c2.write(Buffer.from('lone'));
  await q.world.run({ for: 100 });
  let after = segs.slice(before);
  assert.deepEqual(after.map((x) => x.src === '10.0.0.1' ? 'a' : 'b'), ['a', 'b'], show(after));
  assert.equal(Math.round(after[1]!.time - t0), 40);
  // Read now: the window announced is unchanged, so no window update follows.
  assert.equal(drain(s2).data.toString(), 'lone');
  await q.world.run({ for: 10 });
  assert.equal(segs.length, before + 2, show(segs.slice(before)));
  // After a silence longer than the RTO the sender restarts: quick ACKs again, at once.
  await q.world.run({ for: 2000 });
  before = segs.length;
  t0 = q.world.now();
  c2.write(Buffer.from('after a while'));
  await q.world.run({ for: 100 });
  after = segs.slice(before);
  assert.deepEqual(after.map((x) => x.src === '10.0.0.1' ? 'a' : 'b'), ['a', 'b'], show(after));
  assert.ok(after[1]!.time - t0 < 1, `ACKed at once: ${after[1]!.time - t0} ms`);
});

test('TCP_QUICKACK: 0 enters ping-pong mode (ACKs delayed, read back as 0); 1 with an ACK pending sends it now', async () => {
  const p = pair({ offload: false });
  const [c, s] = await connected(p);
  assert.equal(s.getsockopt('IPPROTO_TCP', 'TCP_QUICKACK'), 1);
  const segs = tapSegments(p.link, p.world);
  // The first data would be ACKed at once (quick-ACK mode); in ping-pong mode it waits.
  assert.equal(s.setsockopt('IPPROTO_TCP', 'TCP_QUICKACK', 0), 0);
  assert.equal(s.getsockopt('IPPROTO_TCP', 'TCP_QUICKACK'), 0);
  c.write(Buffer.from('x'));
  await p.world.run({ for: 5 });
  assert.deepEqual(segs.map((x) => x.src), ['10.0.0.1'], show(segs));
  // Reading the short segment in ping-pong mode sends nothing either (Linux __tcp_cleanup_rbuf).
  assert.equal(drain(s).data.toString(), 'x');
  await p.world.run({ for: 1 });
  assert.equal(segs.length, 1, show(segs));
  // Asking for a quick ACK with one pending, the buffer drained: it goes now.
  assert.equal(s.setsockopt('IPPROTO_TCP', 'TCP_QUICKACK', 1), 0);
  await p.world.run({ for: 1 });
  assert.deepEqual(segs.map((x) => x.src), ['10.0.0.1', '10.0.0.2'], show(segs));
  assert.equal(s.getsockopt('IPPROTO_TCP', 'TCP_QUICKACK'), 1);
});
