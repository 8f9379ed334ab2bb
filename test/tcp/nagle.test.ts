// Nagle's algorithm (RFC 896, RFC 9293 §3.7.4) with Minshall's refinement as in Linux,
// TCP_NODELAY, TCP_CORK, and sender silly-window avoidance (RFC 9293 §3.8.6.2.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, addr, connected, drain, must, pair, show, tapSegments } from './helpers.js';

test('Nagle: small writes while a small segment is unacknowledged are held and sent together', async () => {
  const p = pair();
  p.link.impair({ latency: 10 });
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  for (let i = 0; i < 5; i++) assert.equal(c.write(Buffer.from(`m${i}`)), 2);
  await p.world.run({ for: 100 });
  const data = segs.filter((x) => x.src === '10.0.0.1' && x.len > 0);
  assert.deepEqual(data.map((x) => x.len), [2, 8], show(segs));
  assert.equal(drain(s).data.toString(), 'm0m1m2m3m4');
});

test('TCP_NODELAY: every small write leaves at once', async () => {
  const p = pair();
  p.link.impair({ latency: 10 });
  const [c, s] = await connected(p);
  must(c.setsockopt('IPPROTO_TCP', 'TCP_NODELAY', 1));
  const segs = tapSegments(p.link, p.world);
  for (let i = 0; i < 5; i++) c.write(Buffer.from(`m${i}`));
  await p.world.run({ for: 100 });
  assert.deepEqual(segs.filter((x) => x.src === '10.0.0.1' && x.len > 0).map((x) => x.len), [2, 2, 2, 2, 2]);
  assert.equal(drain(s).data.toString(), 'm0m1m2m3m4');
});

test('TCP_CORK: partial segments wait until uncorked; full ones go', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  must(c.setsockopt('IPPROTO_TCP', 'TCP_CORK', 1));
  const segs = tapSegments(p.link, p.world);
  c.write(Buffer.from('header '));
  c.write(Buffer.from('body'));
  await p.world.run({ for: 50 });
  assert.equal(segs.filter((x) => x.len > 0).length, 0);
  c.write(Buffer.alloc(3000, 1));
  await p.world.run({ for: 50 });
  assert.deepEqual(segs.filter((x) => x.len > 0).map((x) => x.len), [1448, 1448], 'only full segments while corked');
  must(c.setsockopt('IPPROTO_TCP', 'TCP_CORK', 0));
  await p.world.run({ for: 50 });
  assert.deepEqual(segs.filter((x) => x.len > 0).map((x) => x.len), [1448, 1448, 115]);
  assert.equal(drain(s).data.length, 3011);
});

test('a writev is one send (Linux tcp_sendmsg): a corked 200 + 2 byte reply leaves as one segment, and 20 request/response rounds take no delayed-ACK waits', async () => {
  const p = pair();
  p.link.impair({ latency: 1 });
  const segs = tapSegments(p.link, p.world);
  const srv = p.b.net.createServer((s) => {
    s.on('data', () => {
      s.cork();
      s.write(Buffer.alloc(200, 0x68));
      s.write(Buffer.from('\r\n'));
      s.uncork();
    });
  }).listen(80);
  const c = p.a.net.connect(80, '10.0.0.2');
  await new Promise<void>((r) => c.once('connect', () => r()));
  const t0 = p.world.now();
  let rounds = 0;
  let took = -1;
  let got = 0;
  c.on('data', (d: Buffer) => {
    got += d.length;
    if (got < 202) return;
    got = 0;
    if (++rounds === 20) { took = p.world.now() - t0; return; }
    c.write('GET /\r\n\r\n');
  });
  c.write('GET /\r\n\r\n');
  await p.world.run({ for: 1000 });
  assert.equal(rounds, 20);
  const replies = segs.filter((x) => x.src === '10.0.0.2' && x.len > 0);
  assert.equal(replies.length, 20, show(segs));
  assert.ok(replies.every((x) => x.len === 202 && x.flags === 'PSH,ACK'), show(replies));
  // Each round is one round trip on a 1 ms link: no 40 ms delayed ACK holds a reply's tail.
  assert.ok(took < 20 * 2 + 5, `20 rounds took ${took} ms`);
  c.destroy();
  srv.close();
});

test('a write past half the peer\'s largest window: the full segment that passes it leaves with PSH (Linux tcp_sendmsg_locked forced_push), before the write is copied to its end', async () => {
  const p = pair({ offload: false });
  const l = p.tb.socket(AF_INET);
  must(l.setsockopt('SOL_SOCKET', 'SO_RCVBUF', 4000)); // a window of about 4 KB
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(4));
  const c = p.ta.socket(AF_INET);
  c.connect(addr('10.0.0.2', 80));
  await p.world.run({ for: 10 });
  const segs = tapSegments(p.link, p.world);
  assert.equal(c.write(Buffer.alloc(20000)), 20000);
  await p.world.run({ for: 1 });
  const data = segs.filter((s) => s.len > 0);
  assert.deepEqual(data.map((s) => [s.len, s.flags]), [[1448, 'ACK'], [1448, 'PSH,ACK']], show(segs));
  p.a.crash();
  p.b.crash();
});
