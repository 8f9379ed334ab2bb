// Send flags as Linux treats them on a TCP socket: MSG_EOR ends a record (nothing written later
// joins its packet), MSG_MORE holds a partial segment as TCP_CORK does for that call and sets no
// PSH; TCP_NODELAY pushes what a cork held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connected, drain, must, pair, show, tapSegments } from './helpers.js';
import { MSG_EOR, MSG_MORE } from '../../src/uapi/socket.js';

test('MSG_EOR: later data starts a new packet; the record is never merged with what follows', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const segs = tapSegments(p.link, p.world);
  must(c.setsockopt('IPPROTO_TCP', 'TCP_CORK', 1)); // hold everything, then release at once
  assert.equal(c.write(Buffer.alloc(300)), 300);
  assert.equal(c.sendto(Buffer.alloc(300), undefined, MSG_EOR), 300);
  assert.equal(c.write(Buffer.alloc(300)), 300);
  assert.equal(c.write(Buffer.alloc(300)), 300);
  must(c.setsockopt('IPPROTO_TCP', 'TCP_CORK', 0));
  await p.world.run({ for: 10 });
  const data = segs.filter((x) => x.len > 0);
  assert.deepEqual(data.map((x) => x.len), [600, 600], show(segs));
  assert.equal(drain(s).data.length, 1200);
});

test('MSG_MORE: a partial segment waits (no PSH) until a send without it, an ACK, or TCP_NODELAY', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  must(c.setsockopt('IPPROTO_TCP', 'TCP_NODELAY', 1));
  const segs = tapSegments(p.link, p.world);
  assert.equal(c.sendto(Buffer.alloc(100), undefined, MSG_MORE), 100);
  assert.equal(c.sendto(Buffer.alloc(100), undefined, MSG_MORE), 100);
  await p.world.run({ for: 10 });
  assert.equal(segs.filter((x) => x.len > 0).length, 0, 'held as under TCP_CORK');
  assert.equal(c.sendto(Buffer.alloc(100), undefined, 0), 100);
  await p.world.run({ for: 10 });
  let data = segs.filter((x) => x.len > 0);
  assert.deepEqual(data.map((x) => `${x.flags}:${x.len}`), ['PSH,ACK:300'], show(segs));
  // Held again; TCP_NODELAY (set again) pushes it, without PSH as MSG_MORE left it unmarked.
  assert.equal(c.sendto(Buffer.alloc(50), undefined, MSG_MORE), 50);
  await p.world.run({ for: 10 });
  must(c.setsockopt('IPPROTO_TCP', 'TCP_NODELAY', 1));
  await p.world.run({ for: 10 });
  data = segs.filter((x) => x.len > 0);
  assert.deepEqual(data.map((x) => `${x.flags}:${x.len}`), ['PSH,ACK:300', 'ACK:50'], show(segs));
  assert.equal(drain(s).data.length, 350);
  // The probe timer sends what a cork held, pushed (Linux tcp_write_wakeup).
  assert.equal(c.sendto(Buffer.alloc(40), undefined, MSG_MORE), 40);
  await p.world.run({ for: 400 });
  data = segs.filter((x) => x.len > 0);
  assert.equal(data.at(-1)!.flags, 'PSH,ACK', show(segs));
});
