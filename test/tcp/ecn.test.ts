// Explicit Congestion Notification (RFC 3168 §6) between two hosts: the ECN-setup SYN and
// SYN-ACK, ECT(0) on new data only, a CE mark echoed with ECE until CWR, the sender's window
// reduced once (CWR state), the settings (tcp_ecn 0 / 1 / 2, tcp_ecn_fallback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, addr, drain, must, pair, show, tapSegments, type Pair } from './helpers.js';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';

async function open(p: Pair): Promise<[TcpSocket, TcpSocket]> {
  const l = p.tb.socket(AF_INET);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(4));
  const c = p.ta.socket(AF_INET);
  c.connect(addr('10.0.0.2', 80));
  await p.world.run({ for: 10 });
  const a = l.accept();
  if (typeof a === 'number') throw new Error(`accept ${a}`);
  return [c, a.sock as TcpSocket];
}

test('tcp_ecn = 1 asks in the SYN (ECE, CWR), tcp_ecn = 2 agrees (ECE); new data goes as ECT(0), ACKs and retransmissions as Not-ECT', async () => {
  const p = pair({ offload: false });
  p.a.sysctl('net.ipv4.tcp_ecn', 1);
  assert.equal(p.b.sysctl('net.ipv4.tcp_ecn'), 2, 'Linux default: agree when asked');
  const segs = tapSegments(p.link, p.world);
  const [c, s] = await open(p);
  assert.deepEqual(segs.slice(0, 3).map((x) => x.flags), ['SYN,ECE,CWR', 'SYN,ACK,ECE', 'ACK'], show(segs));
  assert.deepEqual(segs.slice(0, 3).map((x) => x.tos & 3), [0, 0, 0], 'the handshake is Not-ECT');
  assert.equal(c.info().options.ecn, true);
  assert.equal(s.info().options.ecn, true);
  assert.equal(c.write(Buffer.alloc(3000)), 3000);
  await p.world.run({ for: 10 });
  const data = segs.filter((x) => x.len > 0);
  assert.ok(data.length >= 3);
  assert.ok(data.every((x) => (x.tos & 3) === 2), 'ECT(0) on new data');
  assert.ok(segs.filter((x) => x.len === 0 && x.src === '10.0.0.2').every((x) => (x.tos & 3) === 0), 'pure ACKs Not-ECT');
  assert.equal(drain(s).data.length, 3000);
  assert.equal(s.info().options.ecnSeen, true);
});

test('no ECN unless both sides want it; a retransmitted SYN stops asking (tcp_ecn_fallback)', async () => {
  const p = pair();
  p.a.sysctl('net.ipv4.tcp_ecn', 1);
  p.b.sysctl('net.ipv4.tcp_ecn', 0);
  const segs = tapSegments(p.link, p.world);
  const [c] = await open(p);
  assert.equal(segs[1]!.flags, 'SYN,ACK', 'the listener does not agree');
  assert.equal(c.info().options.ecn, false);
  // A lost SYN: its retransmission carries neither ECE nor CWR.
  const q = pair();
  q.a.sysctl('net.ipv4.tcp_ecn', 1);
  const qs = tapSegments(q.link, q.world);
  await q.a.ping('10.0.0.2'); // neighbours known: only the SYNs are lost
  q.link.impair({ loss: 1 });
  const x = q.ta.socket(AF_INET);
  x.connect(addr('10.0.0.2', 81));
  await q.world.run({ for: 1500 });
  const syns = qs.filter((y) => y.flags.startsWith('SYN'));
  assert.deepEqual(syns.map((y) => y.flags), ['SYN,ECE,CWR', 'SYN'], show(qs));
});

test('a CE mark: the receiver echoes ECE until the sender answers CWR; the sender reduces its window once', async () => {
  const p = pair({ offload: false });
  p.a.sysctl('net.ipv4.tcp_ecn', 1);
  const [c, s] = await open(p);
  const segs = tapSegments(p.link, p.world);
  // A router on the way marks a's next data packet Congestion Experienced.
  const k = p.a.kernel as unknown as { output: (...args: unknown[]) => number };
  const orig = k.output;
  let marked = 0;
  k.output = function (this: unknown, ...args: unknown[]): number {
    const o = args[6] as { tos?: number } | undefined;
    if (marked === 0 && o !== undefined && o.tos === 2) { marked++; args[6] = { ...o, tos: 3 }; }
    return orig.apply(this, args);
  };
  const cwnd0 = c.info().cwndBytes;
  assert.equal(c.write(Buffer.alloc(4000)), 4000);
  await p.world.run({ for: 1 });
  k.output = orig;
  const acks = segs.filter((x) => x.src === '10.0.0.2');
  assert.ok(acks.length > 0 && acks[0]!.flags.includes('ECE'), show(segs));
  assert.ok(c.info().cwndBytes < cwnd0, 'the window was reduced');
  assert.ok(c.info().ssthreshBytes < cwnd0, 'ssthresh set as for a loss');
  assert.equal(c.write(Buffer.alloc(1000)), 1000);
  await p.world.run({ for: 1 });
  const cwr = segs.filter((x) => x.src === '10.0.0.1' && x.flags.includes('CWR'));
  assert.equal(cwr.length, 1, show(segs));
  const last = segs.filter((x) => x.src === '10.0.0.2').at(-1)!;
  assert.ok(!last.flags.includes('ECE'), 'no more ECE once CWR arrived');
  await p.world.run({ for: 100 });
  assert.equal(c.info().caState, 'open');
  assert.equal(drain(s).data.length, 5000);
});
