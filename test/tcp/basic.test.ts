// Connection life cycle on two real hosts: handshake, data both ways, the close sequences of
// RFC 9293 §3.6 (active, passive, simultaneous), simultaneous open (§3.5), resets, TIME-WAIT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, addr, connected, delayOutgoing, drain, must, pair, show, tapSegments } from './helpers.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, SHUT_WR } from '../../src/uapi/socket.js';

test('three-way handshake: SYN with Linux options, SYN-ACK, ACK; data both ways', async () => {
  const p = pair();
  const segs = tapSegments(p.link, p.world);
  const [c, s] = await connected(p);
  assert.deepEqual(segs.slice(0, 3).map((x) => x.flags), ['SYN', 'SYN,ACK', 'ACK'], show(segs));
  const syn = segs[0]!.tcp.options;
  assert.equal(syn.mss, 1460);
  assert.equal(syn.sackPermitted, true);
  assert.equal(syn.wscale, 7);
  assert.ok(syn.timestamp && syn.timestamp.tsecr === 0);
  assert.equal(segs[1]!.ack, (segs[0]!.seq + 1) >>> 0);
  assert.equal(segs[2]!.ack, (segs[1]!.seq + 1) >>> 0);
  assert.deepEqual(c.getpeername(), addr('10.0.0.2', 80));
  const sn = c.getsockname() as { port: number };
  assert.ok(sn.port >= 32768 && sn.port <= 60999);
  assert.equal(c.readiness() & POLLOUT, POLLOUT);
  assert.equal(c.write(Buffer.from('ping')), 4);
  await p.world.run({ for: 10 });
  assert.equal(s.readiness() & POLLIN, POLLIN);
  assert.equal(drain(s).data.toString(), 'ping');
  assert.equal(s.write(Buffer.from('pong')), 4);
  await p.world.run({ for: 10 });
  assert.equal(drain(c).data.toString(), 'pong');
  assert.equal(c.read(100), -11); // EAGAIN
});

test('active close: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT; the peer sees EOF, CLOSE-WAIT, LAST-ACK', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  must(c.shutdown(SHUT_WR));
  assert.equal(c.info().state, 'FIN-WAIT-1');
  // Linux: b received no data yet, so its delayed-ACK timeout is still zero: the FIN is
  // acknowledged at the next tick (close-remote-fin-then-close.pkt).
  await p.world.run({ for: 2 });
  assert.equal(c.info().state, 'FIN-WAIT-2');
  assert.equal(s.info().state, 'CLOSE-WAIT');
  const r = s.read(10);
  assert.ok(r instanceof Uint8Array && r.length === 0, 'EOF');
  assert.equal(s.readiness() & (POLLIN | POLLRDHUP), POLLIN | POLLRDHUP);
  // The half-closed side can still send.
  assert.equal(s.write(Buffer.from('bye')), 3);
  await p.world.run({ for: 1 });
  assert.equal(drain(c).data.toString(), 'bye');
  s.close();
  assert.equal(s.state, 9); // LAST-ACK
  await p.world.run({ for: 1 });
  assert.equal(c.info().state, 'TIME-WAIT');
  assert.equal(p.tb.sockets().length, 1, 'only the listener is left on b');
  assert.deepEqual(segs.map((x) => `${x.src === '10.0.0.1' ? 'a' : 'b'}:${x.flags}:${x.len}`),
    ['a:FIN,ACK:0', 'b:ACK:0', 'b:PSH,ACK:3', 'a:ACK:0', 'b:FIN,ACK:0', 'a:ACK:0'], show(segs));
  c.close();
  assert.equal(p.ta.sockets()[0]!.state, 'TIME-WAIT');
});

test('a FIN behind a full congestion window goes at once (Linux tcp_cwnd_test: the final FIN is not held by cwnd)', async () => {
  const p = pair({ offload: false });
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  delayOutgoing(p.b, p.world, () => 20); // b's ACKs arrive 20 ms late
  // The initial window (10 segments) filled exactly, then shutdown: the FIN has no room in cwnd.
  const data = Buffer.alloc(10 * c.mss, 7);
  assert.equal(c.write(data), data.length);
  must(c.shutdown(SHUT_WR));
  await p.world.run({ for: 100 });
  const fin = segs.find((x) => x.src === '10.0.0.1' && x.flags.includes('FIN'));
  const firstAck = segs.find((x) => x.src === '10.0.0.2');
  assert.ok(fin !== undefined && firstAck !== undefined, show(segs));
  assert.equal(fin.len, 0, show(segs));
  // Not held for an ACK to open cwnd, nor sent later as a tail loss probe (2 ms here): with the data.
  const last = segs.filter((x) => x.src === '10.0.0.1' && x.len > 0).at(-1)!;
  assert.ok(fin.time === last.time && fin.time < firstAck.time, `FIN held by cwnd:\n${show(segs)}`);
  assert.equal(drain(s).data.length, data.length);
});

test('the receive window opens with the data (Linux rcv_ssthresh: the SYN\'s 64 KiB, then tcp_grow_window adds twice each segment), not to all the free buffer at once', async () => {
  const p = pair({ offload: false, config: { rmem: [4096, 540000, 15 << 20] } }); // packetdrill's defaults.sh
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  const ws = s.rcvWscale; // the server's window scale
  const window = (x: { win: number }): number => x.win * 2 ** ws;
  // One small write: the server's ACK still offers about the SYN-ACK's 65535 (grown by 2 x 1460 at most).
  assert.equal(c.write(Buffer.alloc(1000, 1)), 1000);
  await p.world.run({ for: 100 });
  const ack1 = segs.filter((x) => x.src === '10.0.0.2').at(-1)!;
  assert.ok(window(ack1) > 65535 && window(ack1) <= 65535 + 2 * 1460 + 2 ** ws, `window ${window(ack1)} (${show([ack1])}), free ${s.rcvBudget - 1000}`);
  // A bulk transfer: each segment adds twice its size, so the window keeps ahead of the sender's
  // slow start and reaches the free buffer.
  const data = Buffer.alloc(400 * 1448, 2);
  let off = 0;
  c.onReady = () => { while (off < data.length) { const r = c.write(data.subarray(off)); if (r < 0) return; off += r; } };
  c.onReady(0);
  s.onReady = () => { drain(s); };
  await p.world.run({ for: 2000 });
  assert.equal(off, data.length);
  const wins = segs.filter((x) => x.src === '10.0.0.2').map(window);
  assert.ok(Math.max(...wins) > 4 * 65535, `largest window ${Math.max(...wins)}`);
});

test('passive close with a delayed ACK of the FIN riding on our own FIN (data came before: a 40 ms timeout, ping-pong mode)', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  s.write(Buffer.from('hi'));
  await p.world.run({ for: 1 });
  assert.equal(drain(c).data.toString(), 'hi');
  await p.world.run({ for: 1 });
  const segs = tapSegments(p.link, p.world);
  s.close(); // server closes first
  await p.world.run({ for: 1 });
  assert.equal(c.info().state, 'CLOSE-WAIT');
  const r = c.read(10);
  assert.ok(r instanceof Uint8Array && r.length === 0);
  c.close(); // before the delayed ACK fires: FIN and ACK in one segment
  await p.world.run({ for: 1 });
  assert.equal(s.state, 6); // TIME-WAIT
  assert.deepEqual(segs.map((x) => `${x.src === '10.0.0.1' ? 'a' : 'b'}:${x.flags}`), ['b:FIN,ACK', 'a:FIN,ACK', 'b:ACK'], show(segs));
});

test('simultaneous close: both FIN-WAIT-1 -> CLOSING -> TIME-WAIT', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  p.link.impair({ latency: 5 });
  must(c.shutdown(SHUT_WR));
  must(s.shutdown(SHUT_WR));
  await p.world.run({ for: 6 });
  assert.equal(c.info().state, 'CLOSING');
  assert.equal(s.info().state, 'CLOSING');
  await p.world.run({ for: 10 });
  assert.equal(c.info().state, 'TIME-WAIT');
  assert.equal(s.info().state, 'TIME-WAIT');
  assert.equal(segs.filter((x) => x.flags.includes('FIN')).length, 2, show(segs));
});

test('simultaneous open (RFC 9293 §3.5 figure 7): SYN, SYN, SYN-ACK, SYN-ACK, ESTABLISHED', async () => {
  const p = pair();
  await p.a.ping('10.0.0.2'); // neighbours resolved: both SYNs cross at once
  const segs = tapSegments(p.link, p.world);
  p.link.impair({ latency: 5 });
  const x = p.ta.socket(AF_INET);
  const y = p.tb.socket(AF_INET);
  must(x.bind(addr('10.0.0.1', 5000)));
  must(y.bind(addr('10.0.0.2', 6000)));
  assert.equal(x.connect(addr('10.0.0.2', 6000)), -115);
  assert.equal(y.connect(addr('10.0.0.1', 5000)), -115);
  await p.world.run({ for: 6 });
  assert.equal(x.info().state, 'SYN-RECV');
  await p.world.run({ for: 20 });
  assert.equal(x.info().state, 'ESTAB', show(segs));
  assert.equal(y.info().state, 'ESTAB');
  // Each SYN,ACK repeats a SYN already taken: acknowledged at once (Linux tcp_data_queue's
  // duplicate, also a D-SACK block when SACK is on, RFC 2883).
  assert.deepEqual(segs.map((s) => s.flags), ['SYN', 'SYN', 'SYN,ACK', 'SYN,ACK', 'ACK', 'ACK'], show(segs));
  assert.equal(x.connect(addr('10.0.0.2', 6000)), 0); // the completed non-blocking connect
  assert.equal(x.connect(addr('10.0.0.2', 6000)), -106); // EISCONN
  assert.equal(x.write(Buffer.from('hi')), 2);
  await p.world.run({ for: 20 });
  assert.equal(drain(y).data.toString(), 'hi');
});

test('connect to a closed port: RST, ECONNREFUSED through SO_ERROR, readiness like Linux', async () => {
  const p = pair();
  const segs = tapSegments(p.link, p.world);
  const c = p.ta.socket(AF_INET);
  assert.equal(c.readiness(), POLLOUT | POLLHUP, 'a fresh socket');
  let ready = 0;
  c.onReady = (ev) => { ready = ev; };
  assert.equal(c.connect(addr('10.0.0.2', 81)), -115);
  assert.equal(c.connect(addr('10.0.0.2', 81)), -114); // EALREADY
  assert.equal(c.readiness(), 0);
  await p.world.run({ for: 10 });
  assert.deepEqual(segs.map((x) => x.flags), ['SYN', 'RST,ACK'], show(segs));
  assert.equal(segs[1]!.ack, (segs[0]!.seq + 1) >>> 0);
  assert.equal(ready, POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
  assert.equal(c.getsockopt('SOL_SOCKET', 'SO_ERROR'), 111);
  assert.equal(c.getsockopt('SOL_SOCKET', 'SO_ERROR'), 0);
  assert.equal(p.ta.stats.AttemptFails, 1);
});

test('connect then peer RST: read gives ECONNRESET then EOF; write EPIPE', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  must(s.setsockopt('SOL_SOCKET', 'SO_LINGER', { onoff: 1, linger: 0 }));
  const segs = tapSegments(p.link, p.world);
  s.close();
  await p.world.run({ for: 1 });
  assert.deepEqual(segs.map((x) => x.flags), ['RST,ACK'], show(segs));
  assert.equal(c.info().state, 'UNCONN');
  assert.equal(c.read(10), -104); // ECONNRESET
  const r = c.read(10);
  assert.ok(r instanceof Uint8Array && r.length === 0);
  assert.equal(c.write(Buffer.from('x')), -32); // EPIPE
});

test('close with unread data sends RST (RFC 2525 §2.17)', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  c.write(Buffer.from('unread'));
  await p.world.run({ for: 1 });
  const segs = tapSegments(p.link, p.world);
  s.close();
  await p.world.run({ for: 1 });
  assert.deepEqual(segs.map((x) => x.flags), ['RST,ACK'], show(segs));
  assert.equal(c.getsockopt('SOL_SOCKET', 'SO_ERROR'), 104);
});

test('TIME-WAIT lasts tcp.timeWaitMs (60 s by default), then the connection is gone', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  c.close();
  await p.world.run({ for: 1 });
  s.close();
  await p.world.run({ for: 1 });
  const t0 = p.world.now();
  assert.equal(p.ta.sockets().filter((x) => x.state === 'TIME-WAIT').length, 1);
  await p.world.run({ for: 59_000 });
  assert.equal(p.ta.sockets().filter((x) => x.state === 'TIME-WAIT').length, 1);
  await p.world.run({ for: 1_001 });
  assert.equal(p.ta.sockets().length, 0);
  assert.ok(p.world.now() - t0 >= 60_000);
  // Configurable.
  const q = pair({ config: { timeWaitMs: 1000 } });
  const [c2, s2] = await connected(q);
  c2.close();
  await q.world.run({ for: 1 });
  s2.close();
  await q.world.run({ for: 999 });
  assert.equal(q.ta.sockets().length, 1);
  await q.world.run({ for: 2 });
  assert.equal(q.ta.sockets().length, 0);
});

test('tcp_max_tw_buckets: past it a closing connection skips TIME-WAIT (TCPTimeWaitOverflow), as Linux tcp_time_wait', async () => {
  const p = pair();
  assert.equal(p.b.sysctl('net.ipv4.tcp_max_tw_buckets'), 262_144);
  p.a.sysctl('net.ipv4.tcp_max_tw_buckets', 2);
  for (let i = 0; i < 4; i++) {
    const [c, s] = await connected(p, 80 + i);
    c.close();
    await p.world.run({ for: 1 });
    s.close();
    await p.world.run({ for: 1 });
  }
  assert.equal(p.ta.sockets().filter((x) => x.state === 'TIME-WAIT').length, 2);
  assert.equal(p.ta.stats.TCPTimeWaitOverflow, 2);
  assert.equal(p.ta.twCount, 2);
  await p.world.run({ for: 61_000 });
  assert.equal(p.ta.twCount, 0);
  const [c, s] = await connected(p, 90);
  c.close();
  await p.world.run({ for: 1 });
  s.close();
  await p.world.run({ for: 1 });
  assert.equal(p.ta.sockets().filter((x) => x.state === 'TIME-WAIT').length, 1, 'room again once they expired');
});

test('a socket connecting to its own address and port ends up connected to itself (as on Linux)', async () => {
  const p = pair();
  const x = p.ta.socket(AF_INET);
  must(x.bind(addr('127.0.0.1', 5555)));
  assert.equal(x.connect(addr('127.0.0.1', 5555)), -115);
  await p.world.run({ for: 10 });
  assert.equal(x.info().state, 'ESTAB');
  assert.equal(x.write(Buffer.from('echo')), 4);
  await p.world.run({ for: 10 });
  assert.equal(drain(x).data.toString(), 'echo');
});
