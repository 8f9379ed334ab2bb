// SACK blocks that cut the sent queue into pieces (issue 11; CVE-2019-11478): a peer with a
// 48-byte MSS SACKs every other segment, so each block cuts two chunks off a larger one, each
// new chunk charged its bookkeeping (sk_wmem_queued). Linux tcp_fragment refuses a cut while
// half of what the queue is charged exceeds SO_SNDBUF plus 2 * SKB_TRUESIZE(64 KiB), except of
// the first and the last chunk sent, and counts TCPWQueueTooBig.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TCP_ACK } from '../../src/wire/tcp.js';
import { FRAGMENT_SLACK } from '../../src/kernel/tcp/buffers.js';
import { connected, dropOutgoing, inject, must, pair } from './helpers.js';

test('SACK blocks of every other 48-byte segment cut the sent queue only until it is charged twice SO_SNDBUF plus the slack (TCPWQueueTooBig); the connection still completes', async () => {
  // MTU 88: an MSS of 48 (Linux tcp_min_snd_mss); a large initial window puts 64 KiB in flight at once.
  const p = pair({ mtu: 88, config: { timestamps: false, initCwnd: 2000, wmem: [4096, 65536, 65536], rmem: [4096, 1 << 20, 1 << 20] } });
  const [c, s] = await connected(p);
  assert.equal(c.mss, 48);
  const restore = dropOutgoing(p.b, (seg) => seg.payload.length === 0); // b's own ACKs never reach c
  const data = new Uint8Array(60_000).fill(0x5a);
  let wrote = 0;
  for (;;) {
    const r = c.write(data.subarray(wrote));
    if (r === -11 || wrote >= data.length) break;
    must(r);
    wrote += r;
  }
  await p.world.run({ for: 5 });
  const una = c.sndUna;
  const sent = (c.sndNxt - una) >>> 0;
  assert.ok(sent >= 40_000, `in flight: ${sent}`);
  const chunksBefore = c.sendQ.count;
  // Every other segment SACKed, four blocks an ACK (no timestamps: room for four).
  const blocks: Array<[number, number]> = [];
  for (let off = 48; off + 48 <= sent; off += 96) blocks.push([(una + off) >>> 0, (una + off + 48) >>> 0]);
  let peak = 0;
  for (let k = 0; k < blocks.length; k += 4) {
    inject(p.ta, '10.0.0.2', '10.0.0.1', { srcPort: 80, dstPort: c.localPort, seq: s.sndNxt, ack: una, flags: TCP_ACK, window: 65535, options: { sack: blocks.slice(k, k + 4) } });
    if (c.sendQ.wmem > peak) peak = c.sendQ.wmem;
  }
  const tooBig = p.ta.stats.TCPWQueueTooBig!;
  const limit = 2 * (c.sndbuf + FRAGMENT_SLACK);
  const info = JSON.stringify({ sent, chunksBefore, chunks: c.sendQ.count, peak, limit, sndbuf: c.sndbuf, tooBig, blocks: blocks.length });
  // Without the guard the queue ends at 1,250 chunks charged 1.66 MB; with it, each cut stops once
  // half the charge passes sndbuf + slack (a cut of the head or the tail chunk may still add one or two).
  assert.ok(tooBig > 0, info);
  assert.ok(peak <= limit + 4 * 1280, info);
  assert.ok(c.sendQ.count < blocks.length, info);
  // The peer's real ACKs flow again: everything is delivered.
  restore();
  let got = 0;
  for (let t = 0; t < 200 && got < wrote; t++) {
    await p.world.run({ for: 100 });
    for (;;) {
      const r = s.read(1 << 20);
      if (typeof r === 'number' || r.length === 0) break;
      got += r.length;
    }
  }
  assert.equal(got, wrote, info);
});
