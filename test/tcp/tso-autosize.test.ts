// TSO packet sizes as Linux picks them (tso.ts): about 1 ms of the pacing rate per packet, at
// least tcp_min_tso_segs segments, at most half the congestion window; tcp_tso_win_divisor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connected, pair } from './helpers.js';
import type { Host } from '../../src/world/host.js';

/** Payload sizes of the TCP packets host h hands IP (a TSO packet is one, however many segments). */
function packetSizes(h: Host): number[] {
  const k = h.kernel as unknown as { output: (...args: unknown[]) => number };
  const orig = k.output;
  const out: number[] = [];
  k.output = function (this: unknown, ...args: unknown[]): number {
    const [, , , protocol, buf, offset] = args as [number, string, string, number, Uint8Array, number];
    if (protocol === 6) {
      const hl = (buf[offset + 12]! >>> 4) * 4;
      const n = buf.length - offset - hl;
      if (n > 0) out.push(n);
    }
    return orig.apply(this, args);
  };
  return out;
}

for (const [minSegs, expected] of [[2, [2, 2, 2, 2, 2]], [10, [5, 5]]] as const) {
  test(`a 100 ms path, tcp_min_tso_segs = ${minSegs}: the first window leaves as ${expected.length} packets of ${expected[0]} segments`, async () => {
    const p = pair();
    p.link.impair({ latency: 50 });
    p.a.sysctl('net.ipv4.tcp_min_tso_segs', minSegs);
    const [c] = await connected(p);
    const sizes = packetSizes(p.a);
    const mss = c.info().sndMss;
    assert.equal(c.write(Buffer.alloc(12 * mss)), 12 * mss);
    await p.world.run({ for: 1 });
    // The pacing rate (2 x cwnd/srtt in slow start, ~290 kB/s) fills less than a segment per
    // millisecond: packets are tcp_min_tso_segs segments, and never more than half of cwnd.
    assert.deepEqual(sizes.map((n) => n / mss), expected);
  });
}

test('without an RTT to go by (a fast path) packets grow to half the congestion window', async () => {
  const p = pair();
  const [c] = await connected(p);
  const sizes = packetSizes(p.a);
  const mss = c.info().sndMss;
  assert.equal(c.write(Buffer.alloc(12 * mss)), 12 * mss);
  await p.world.run({ for: 0 });
  assert.equal(sizes[0]! / mss, 5, 'half the initial window of 10');
});
