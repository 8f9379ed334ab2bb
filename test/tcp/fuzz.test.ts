// Robustness: arbitrary segments thrown at live connections (and listeners) never make TCP
// throw, and its bookkeeping stays consistent; random bytes as a TCP payload are counted and dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AF_INET, addr, connected, inject, must, pair } from './helpers.js';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';

function consistent(s: TcpSocket): void {
  assert.ok(s.sackedBytes >= 0 && s.lostBytes >= 0 && s.retransBytes >= 0, 'scoreboard totals');
  assert.ok(s.sendQ.bytes >= 0 && s.sendQ.unsentBytes >= 0 && s.sendQ.unsentBytes <= s.sendQ.bytes);
  assert.ok(s.recvQ.bytes >= 0 && s.ooo.bytes >= 0);
  assert.ok(s.recvQ.bytes + s.ooo.bytes <= Math.max(s.rcvBudget, 65535) * 2 + 65536, 'receive memory bounded');
  // What the queues are charged (truesize) stays within sk_rcvbuf (input.ts rmemSchedule), plus the one segment let in past it.
  assert.ok(s.recvQ.mem + s.ooo.mem <= s.rmemLimit + 66_000, 'receive memory charged within the buffer');
  assert.equal(s.ooo.count, s.ooo.segments().length);
  let sacked = 0;
  for (let i = s.sendQ.head; i < s.sendQ.sendIdx; i++) if (s.sendQ.skbs[i]!.sacked) sacked += s.sendQ.skbs[i]!.len + (s.sendQ.skbs[i]!.fin ? 1 : 0);
  assert.equal(sacked, s.sackedBytes);
}

test('random segments at an established connection: no exception, consistent state', async () => {
  const p = pair({ seed: 9 });
  const [c, s] = await connected(p);
  c.write(Buffer.alloc(200_000, 1));
  await p.world.run({ for: 1 });
  const cport = (c.getsockname() as { port: number }).port;
  const seg = fc.record({
    dseq: fc.integer({ min: -70000, max: 70000 }),
    dack: fc.integer({ min: -70000, max: 70000 }),
    flags: fc.integer({ min: 0, max: 0xff }),
    window: fc.integer({ min: 0, max: 0xffff }),
    sack: fc.option(fc.array(fc.tuple(fc.integer({ min: -70000, max: 70000 }), fc.integer({ min: 0, max: 5000 })), { maxLength: 3 })),
    ts: fc.option(fc.tuple(fc.integer({ min: -5000, max: 5000 }), fc.integer({ min: 0, max: 0xffffffff }))),
    len: fc.integer({ min: 0, max: 1400 }),
  });
  await fc.assert(fc.asyncProperty(fc.array(seg, { minLength: 1, maxLength: 20 }), async (segs) => {
    for (const x of segs) {
      for (const [me, peer, dst, src, dport, sport] of [[s, c, '10.0.0.2', '10.0.0.1', 80, cport], [c, s, '10.0.0.1', '10.0.0.2', cport, 80]] as const) {
        const options: Record<string, unknown> = {};
        if (x.sack) options.sack = x.sack.map(([l, n]) => [(me.sndUna + l) >>> 0, (me.sndUna + l + n) >>> 0]);
        if (x.ts) options.timestamp = { tsval: (me.tsRecent + x.ts[0]) >>> 0, tsecr: x.ts[1] };
        inject(me.tcp, src, dst, {
          srcPort: sport, dstPort: dport, seq: (me.rcvNxt + x.dseq) >>> 0, ack: (me.sndUna + x.dack) >>> 0,
          flags: x.flags, window: x.window, options,
        }, new Uint8Array(x.len));
        consistent(me);
        void peer;
      }
    }
    await p.world.run({ for: 300 });
    consistent(c);
    consistent(s);
  }), { numRuns: 60 });
  // The client's data may be stalled behind the server's zero window (nobody reads): its
  // zero-window probes would keep the clock, and the test process, running. Closing the server
  // with unread data resets the connection (RFC 2525 §2.17).
  c.close();
  s.close();
  await p.world.run({ for: 1 });
});

test('random segments at a listener and to closed ports: answered or dropped, never a crash', async () => {
  const p = pair({ seed: 4 });
  const l = p.tb.socket(AF_INET);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(8));
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({ port: fc.constantFrom(80, 81), sport: fc.integer({ min: 1, max: 65535 }), seq: fc.integer({ min: 0, max: 0xffffffff }),
      ack: fc.integer({ min: 0, max: 0xffffffff }), flags: fc.integer({ min: 0, max: 0xff }), len: fc.integer({ min: 0, max: 100 }),
      mss: fc.option(fc.integer({ min: 0, max: 0xffff })), ws: fc.option(fc.integer({ min: 0, max: 255 })) }), { maxLength: 30 }),
    async (segs) => {
      for (const x of segs) {
        const options: Record<string, unknown> = {};
        if (x.mss !== null) options.mss = x.mss;
        if (x.ws !== null) options.wscale = x.ws;
        inject(p.tb, '10.0.0.1', '10.0.0.2', { srcPort: x.sport, dstPort: x.port, seq: x.seq, ack: x.ack, flags: x.flags, window: 1000, options }, new Uint8Array(x.len));
      }
      await p.world.run({ for: 100 });
      assert.ok(l.synQueue.size <= l.backlog);
      assert.ok(l.acceptQueue.length <= l.backlog + 1);
      for (;;) { const a = l.accept(); if (typeof a === 'number') break; (a.sock as TcpSocket).close(); }
    },
  ), { numRuns: 40 });
  // Bytes that are not TCP at all.
  const before = p.tb.stats.InErrs;
  p.tb.input({ family: 4, src: '10.0.0.1', dst: '10.0.0.2', srcBytes: new Uint8Array([10, 0, 0, 1]), dstBytes: new Uint8Array([10, 0, 0, 2]),
    protocol: 6, ttl: 64, tos: 0, payload: new Uint8Array([1, 2, 3]), ifindex: 2, multicast: false });
  assert.equal(p.tb.stats.InErrs, before + 1);
});
