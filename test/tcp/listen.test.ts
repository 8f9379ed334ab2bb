// Listening sockets: the SYN queue and the accept queue, SYN cookies under a flood of SYNs from
// spoofed sources (RFC 4987 §3.6), half-open connections that time out, resets of queued
// connections when the listener closes, TIME-WAIT reopened by a new SYN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TCP_SYN } from '../../src/wire/tcp.js';
import { AF_INET, addr, connected, drain, inject, must, pair, sha256, show, tapSegments, transfer } from './helpers.js';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';

const routed = new WeakSet<object>();
function flood(p: ReturnType<typeof pair>, n: number, port: number): void {
  // Spoofed sources beyond a (which does not forward): their SYN-ACKs go nowhere. (Sources on the
  // LAN that nobody owns would fail ARP, and the host unreachable that reports it ends the
  // half-open connections, as Linux's tcp_req_err.)
  if (!routed.has(p)) { p.b.route.add('10.9.0.0/16', { via: '10.0.0.1' }); routed.add(p); }
  for (let i = 0; i < n; i++) {
    const src = `10.9.0.${100 + (i % 100)}`;
    inject(p.tb, src, '10.0.0.2', {
      srcPort: 1024 + i, dstPort: port, seq: (i * 7919) >>> 0, ack: 0, flags: TCP_SYN, window: 64240,
      options: { mss: 1460, sackPermitted: true, timestamp: { tsval: 1000 + i, tsecr: 0 }, wscale: 7 },
    });
  }
}

test('SYN flood from spoofed sources: the SYN queue fills, SYN cookies still let a real client in', async () => {
  const p = pair();
  const l = p.tb.socket(AF_INET);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(16));
  flood(p, 200, 80);
  assert.equal(l.synQueue.size, 16, 'the SYN queue holds `backlog` half-open connections');
  assert.equal(p.tb.stats.SyncookiesSent, 200 - 16);
  const segs = tapSegments(p.link, p.world);
  const c = p.ta.socket(AF_INET);
  assert.equal(c.connect(addr('10.0.0.2', 80)), -115);
  flood(p, 50, 80); // the flood goes on while the client connects
  await p.world.run({ for: 50 });
  assert.equal(c.info().state, 'ESTAB');
  const acc = l.accept();
  assert.ok(typeof acc !== 'number', 'accepted');
  const s = acc.sock as TcpSocket;
  assert.equal(p.tb.stats.SyncookiesRecv, 1);
  // The cookie's SYN-ACK carried the options back through the timestamp (Linux's encoding).
  const synack = segs.find((x) => x.flags === 'SYN,ACK')!;
  assert.ok(synack.tcp.options.timestamp, show(segs));
  assert.equal(s.info().options.sack, true);
  assert.deepEqual(s.info().options.wscale, [7, 7]);
  assert.equal(s.info().sndMss, 1460 - 12);
  const data = randomBytes(300_000);
  const got = await transfer(c, s, data);
  assert.equal(sha256(got), sha256(data));
});

test('without SYN cookies a full SYN queue drops SYNs; half-open connections go after the SYN-ACK retries, fewer while the queue is more than half full of old requests (Linux reqsk_timer_handler)', async () => {
  const p = pair({ config: { syncookies: 0 } });
  const l = p.tb.socket(AF_INET);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(8));
  flood(p, 20, 80);
  assert.equal(l.synQueue.size, 8);
  assert.equal(p.tb.stats.SyncookiesSent, 0);
  assert.ok(p.tb.stats.ListenDrops >= 12);
  // The queue is full and none of its requests is young after their first timeout: 2 retries,
  // SYN-ACKs at 0, 1, 3 s; at 7 s they go until the queue is no longer more than half full (4
  // left), and those get all of tcp_synack_retries (5): given up at 63 s.
  await p.world.run({ for: 6_900 });
  assert.equal(l.synQueue.size, 8);
  await p.world.run({ for: 200 });
  assert.equal(l.synQueue.size, 4);
  await p.world.run({ for: 55_800 });
  assert.equal(l.synQueue.size, 4);
  await p.world.run({ for: 200 });
  assert.equal(l.synQueue.size, 0);
  assert.equal(l.synYoung, 0);
  // At most half full: all of tcp_synack_retries (5): SYN-ACKs at 0, 1, 3, 7, 15, 31 s; given up at 63 s.
  const l2 = p.tb.socket(AF_INET);
  must(l2.bind(addr('0.0.0.0', 81)));
  must(l2.listen(16));
  flood(p, 8, 81);
  assert.equal(l2.synQueue.size, 8);
  assert.equal(l2.synYoung, 8);
  await p.world.run({ for: 62_000 });
  assert.equal(l2.synQueue.size, 8);
  assert.equal(l2.synYoung, 0);
  await p.world.run({ for: 2_000 });
  assert.equal(l2.synQueue.size, 0);
});

test('accept queue: backlog + 1 connections wait; more are held half-open until accept() makes room', async () => {
  const p = pair();
  const l = p.tb.socket(AF_INET);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(1));
  const cs: TcpSocket[] = [];
  for (let i = 0; i < 4; i++) {
    const c = p.ta.socket(AF_INET);
    assert.equal(c.connect(addr('10.0.0.2', 80)), -115);
    cs.push(c);
    await p.world.run({ for: 10 });
  }
  assert.equal(l.acceptQueue.length, 2);
  assert.ok(p.tb.stats.ListenOverflows > 0);
  const got: TcpSocket[] = [];
  for (let round = 0; round < 10 && got.length < 4; round++) {
    for (;;) { const a = l.accept(); if (typeof a === 'number') break; got.push(a.sock as TcpSocket); }
    await p.world.run({ for: 5000 });
  }
  assert.equal(got.length, 4);
  for (const c of cs) assert.equal(c.info().state, 'ESTAB');
});

for (const abort of [false, true]) {
  test(`a handshake whose final ACK finds the accept queue full, tcp_abort_on_overflow ${abort ? 1 : 0}: ${abort ? 'reset (EmbryonicRsts), the client gets ECONNRESET' : 'the ACK is dropped, the request stays; after accept() the peer\'s repeated ACK gets it in'} (Linux tcp_check_req)`, async () => {
    const p = pair({ config: { abortOnOverflow: abort } });
    const l = p.tb.socket(AF_INET);
    must(l.bind(addr('0.0.0.0', 80)));
    must(l.listen(2));
    // Two connections wait in the accept queue; then two handshakes start at once: both SYNs find
    // room (a request each), the first ACK fills the queue (backlog + 1), the second overflows.
    for (let i = 0; i < 2; i++) { p.ta.socket(AF_INET).connect(addr('10.0.0.2', 80)); await p.world.run({ for: 10 }); }
    const b = p.ta.socket(AF_INET);
    const c = p.ta.socket(AF_INET);
    b.connect(addr('10.0.0.2', 80));
    c.connect(addr('10.0.0.2', 80));
    await p.world.run({ for: 10 });
    assert.equal(l.acceptQueue.length, 3);
    assert.equal(p.tb.stats.ListenOverflows, 1);
    assert.equal(b.info().state, 'ESTAB');
    if (abort) {
      assert.equal(p.tb.stats.EmbryonicRsts, 1);
      assert.equal(l.synQueue.size, 0);
      assert.equal(c.info().state, 'UNCONN');
      assert.equal(c.getsockopt('SOL_SOCKET', 'SO_ERROR'), 104);
      return;
    }
    assert.equal(p.tb.stats.EmbryonicRsts, 0);
    assert.equal(l.synQueue.size, 1, 'the request stays');
    assert.equal(c.info().state, 'ESTAB', 'the client thinks it is connected');
    for (let i = 0; i < 3; i++) assert.ok(typeof l.accept() !== 'number');
    // The SYN-ACK timer (1 s) makes the client repeat its ACK; now there is room.
    await p.world.run({ for: 1500 });
    assert.equal(l.synQueue.size, 0);
    assert.equal(l.acceptQueue.length, 1);
    assert.equal(p.tb.stats.OutRsts, 0);
  });
}

test('closing a listener resets the connections waiting in its accept queue', async () => {
  const p = pair();
  const l = p.tb.socket(AF_INET);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(8));
  const c = p.ta.socket(AF_INET);
  c.connect(addr('10.0.0.2', 80));
  await p.world.run({ for: 10 });
  assert.equal(l.acceptQueue.length, 1);
  l.close();
  await p.world.run({ for: 10 });
  assert.equal(c.getsockopt('SOL_SOCKET', 'SO_ERROR'), 104);
  const c2 = p.ta.socket(AF_INET);
  c2.connect(addr('10.0.0.2', 80));
  await p.world.run({ for: 10 });
  assert.equal(c2.getsockopt('SOL_SOCKET', 'SO_ERROR'), 111, 'the port is closed now');
});

test('a new SYN reopens a connection in TIME-WAIT (RFC 1122 §4.2.2.13) with a larger ISN', async () => {
  const p = pair();
  const [c, s, l] = await connected(p);
  const cport = (c.getsockname() as { port: number }).port;
  // The server closes first: it holds TIME-WAIT.
  s.close();
  await p.world.run({ for: 50 });
  c.close();
  await p.world.run({ for: 50 });
  assert.equal(p.tb.sockets().filter((x) => x.state === 'TIME-WAIT').length, 1);
  const oldSnd = s.sndNxt;
  const c2 = p.ta.socket(AF_INET);
  must(c2.setsockopt('SOL_SOCKET', 'SO_REUSEADDR', 1));
  // The client's own side was closed: its port is free again; reuse it.
  must(c2.bind(addr('10.0.0.1', cport)));
  const segs = tapSegments(p.link, p.world);
  assert.equal(c2.connect(addr('10.0.0.2', 80)), -115);
  await p.world.run({ for: 50 });
  assert.equal(c2.info().state, 'ESTAB', show(segs));
  const synack = segs.find((x) => x.flags === 'SYN,ACK')!;
  assert.equal(synack.seq, (oldSnd + 65537) >>> 0);
  const a = l.accept();
  assert.ok(typeof a !== 'number');
  void drain;
});

test('crash(): the host forgets every connection silently; after it, the peer is answered with RST', async () => {
  const p = pair();
  const [c] = await connected(p);
  p.tb.crash();
  assert.equal(p.tb.sockets().length, 0);
  assert.equal(p.tb.stats.CurrEstab, 0);
  c.write(Buffer.from('anyone there?'));
  await p.world.run({ for: 1000 });
  assert.equal(c.getsockopt('SOL_SOCKET', 'SO_ERROR'), 104, 'the data segment met a RST (RFC 9293 §3.10.7.1)');
  // The port is free again.
  const l = p.tb.socket(AF_INET);
  must(l.bind(addr('0.0.0.0', 80)));
});
