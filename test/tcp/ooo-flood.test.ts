// Out-of-order floods (issue 11): one-byte segments, each pinning a whole frame, thrown into a
// connection's window highest-first or lowest-first. What the receive side holds stays within
// its buffer (truesize charged, Linux tcp_try_rmem_schedule / tcp_prune_ofo_queue), the cost per
// segment stays flat, and the host keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseIP } from '../../src/wire/addr.js';
import { emitTcpHeader, TCP_ACK } from '../../src/wire/tcp.js';
import type { Tcp } from '../../src/kernel/tcp/index.js';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';
import { connected, drain, pair } from './helpers.js';
import { OooQueue } from '../../src/kernel/tcp/buffers.js';
import { truesize } from '../../src/kernel/mem.js';

const N = 32_766;

/** A one-byte segment whose payload is a view of a 1514-byte frame, as a padded frame from the wire would be. */
function oneByte(tcp: Tcp, s: TcpSocket, cport: number, seq: number): void {
  const frame = new Uint8Array(1514);
  const buf = frame.subarray(54, 54 + 21);
  buf[20] = 0x41;
  const src = parseIP('10.0.0.1')!;
  const dst = parseIP('10.0.0.2')!;
  emitTcpHeader(buf, 0, { srcPort: cport, dstPort: 80, seq, ack: s.sndNxt, flags: TCP_ACK, window: 512 }, 1, src, dst);
  tcp.input({ family: 4, src: '10.0.0.1', dst: '10.0.0.2', srcBytes: src, dstBytes: dst, protocol: 6, ttl: 64, tos: 0, payload: buf, ifindex: 2, multicast: false });
}

async function flood(order: 'reversed' | 'ascending', n = N): Promise<{ usPerSeg: number; peak: number; limit: number }> {
  const p = pair();
  const [c, s] = await connected(p);
  const cport = c.localPort;
  const base = s.rcvNxt;
  let peak = 0;
  let limit = 0;
  let took = 0;
  for (let k = 0; k < n; k++) {
    const i = order === 'reversed' ? n - 1 - k : k;
    const t0 = performance.now();
    oneByte(p.tb, s, cport, (base + 2 + 2 * i) >>> 0);
    took += performance.now() - t0;
    const m = s.recvQ.mem + s.ooo.mem;
    if (m > peak) peak = m;
    // Linux checks before taking a segment: at most one segment's charge over sk_rcvbuf.
    if (m - truesize(new Uint8Array(1514)) > s.rmemLimit) limit = -1;
    else if (limit >= 0) limit = Math.max(limit, s.rmemLimit);
    if (k % 2000 === 1999) await p.world.run({ for: 0 }); // the ACKs it sent go out
  }
  const usPerSeg = took * 1000 / n;
  assert.equal(s.info().state, 'ESTAB');
  assert.ok(s.ooo.count > 0);
  // The gap is filled by the real sender: what was kept is delivered, the connection goes on.
  const data = randomBytes(100_000);
  let off = 0;
  const pump = (): void => { while (off < data.length) { const r = c.write(data.subarray(off)); if (r < 0) return; off += r; } };
  c.onReady = pump;
  pump();
  let got = 0;
  for (let t = 0; t < 40 && got < data.length; t++) { await p.world.run({ for: 100 }); got += drain(s).data.length; }
  assert.equal(got, data.length, 'the real data arrived (the flood\'s bytes took their places in the stream)');
  return { usPerSeg, peak, limit };
}

for (const order of ['reversed', 'ascending'] as const) {
  test(`${N} one-byte out-of-order segments, ${order === 'reversed' ? 'highest' : 'lowest'} first: held within the receive buffer, the connection served`, async (t) => {
    const r = await flood(order);
    t.diagnostic(`peak ${r.peak} bytes charged, sk_rcvbuf ${r.limit}, ${r.usPerSeg.toFixed(1)} us per segment`);
    // sk_rcvbuf grows (unlocked: Linux tcp_clamp_window) up to tcp_rmem[2], never past it.
    assert.ok(r.limit > 0 && r.limit <= 6291456, `sk_rcvbuf ${r.limit}`);
    assert.ok(r.peak <= r.limit + truesize(new Uint8Array(1514)), `held ${r.peak} bytes, limit ${r.limit}`);
  });
}

test(`out-of-order queue: ${N} one-byte segments cost the same per segment highest-first as lowest-first (O(log n) insert)`, () => {
  // Counted in skip-list steps, not timed: the machine's load does not change the answer.
  const steps = (order: 'reversed' | 'ascending' | 'random'): number => {
    const q = new OooQueue();
    const d = new Uint8Array(1);
    const idx = Array.from({ length: N }, (_, k) => (order === 'reversed' ? N - 1 - k : k));
    if (order === 'random') for (let k = N - 1; k > 0; k--) { const j = (k * 7919 + 13) % (k + 1); [idx[k], idx[j]] = [idx[j]!, idx[k]!]; }
    for (const i of idx) q.insert((1000 + 2 * i) >>> 0, d, false);
    assert.equal(q.count, N);
    assert.equal(q.sackBlocks(3, 1000).length, 3);
    return q.steps / N;
  };
  const rev = steps('reversed');
  const asc = steps('ascending');
  const rnd = steps('random');
  assert.ok(rev <= 2 * asc && rnd <= 2 * asc, `steps per insert: highest-first ${rev.toFixed(1)}, lowest-first ${asc.toFixed(1)}, random ${rnd.toFixed(1)}`);
  assert.ok(asc < 4 * Math.log2(N), `steps per insert ${asc.toFixed(1)}: logarithmic`);
});
