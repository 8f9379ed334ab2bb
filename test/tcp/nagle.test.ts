// Nagle's algorithm (RFC 896, RFC 9293 §3.7.4) with Minshall's refinement as in Linux,
// TCP_NODELAY, TCP_CORK, and sender silly-window avoidance (RFC 9293 §3.8.6.2.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connected, drain, must, pair, show, tapSegments } from './helpers.js';

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
