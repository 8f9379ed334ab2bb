// A fuzz test of the live receive path (issue 11): frames captured from real traffic (ARP, NDP,
// TCP over IPv4 and IPv6, fragments, IPv6 extension headers), mutated, and TCP segments aimed at
// live connections in every state, are thrown at a host; after each input the host's invariants
// are checked, and at the end it still serves. A fixed budget here (FUZZ_ITERATIONS, FUZZ_SEED
// to repeat a run); `npm run fuzz` runs a long one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network, type Host } from '../../src/index.js';
import { Random } from '../../src/links/random.js';
import { emitEthernetHeader } from '../../src/wire/ethernet.js';
import { emitIpv4Header } from '../../src/wire/ipv4.js';
import { emitIpv6Header } from '../../src/wire/ipv6.js';
import { emitTcpHeader, tcpOptionsLength, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpOptions } from '../../src/wire/tcp.js';
import { parseIP } from '../../src/wire/addr.js';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';
import { REASM_HIGH_THRESH } from '../../src/kernel/fragments.js';

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 4000);
const SEED = Number(process.env.FUZZ_SEED ?? 11);
const FUZZ_MAC = new Uint8Array([2, 0, 0, 0, 0xfe, 0xed]);

/** What must hold after every input. */
function invariants(h: Host): void {
  const k = h.kernel;
  assert.ok(k.ipv4.reasm.memory <= REASM_HIGH_THRESH && k.ipv6.reasm.memory <= REASM_HIGH_THRESH, 'reassembly within ipfrag_high_thresh');
  for (const i of k.interfaces) {
    for (const t of [i.arp, i.nd]) if (t !== null) assert.ok(t.group.entries <= t.group.gcThresh3, 'neighbour table within gc_thresh3');
  }
  for (const s of h.tcp.connections()) tcpInvariants(s);
}

function tcpInvariants(s: TcpSocket): void {
  assert.ok(s.sackedBytes >= 0 && s.lostBytes >= 0 && s.retransBytes >= 0, 'scoreboard totals');
  const q = s.sendQ;
  assert.ok(q.bytes >= 0 && q.unsentBytes >= 0 && q.unsentBytes <= q.bytes, 'send queue totals');
  let sacked = 0;
  for (let i = q.head; i < q.sendIdx; i++) if (q.skbs[i]!.sacked) sacked += q.skbs[i]!.len + (q.skbs[i]!.fin ? 1 : 0);
  assert.equal(sacked, s.sackedBytes, 'SACKed bytes match the scoreboard');
  // The send window: SND.UNA <= SND.NXT (RFC 9293 §3.3.1).
  assert.ok(((s.sndNxt - s.sndUna) | 0) >= 0, 'SND.UNA <= SND.NXT');
  const segs = s.ooo.segments();
  assert.equal(s.ooo.count, segs.length);
  let bytes = 0;
  for (let i = 0; i < segs.length; i++) {
    bytes += segs[i]!.data.length;
    assert.ok(((segs[i]!.seq - s.rcvNxt) | 0) > 0, 'out-of-order data lies above RCV.NXT');
    if (i > 0) assert.ok(((segs[i]!.seq - segs[i - 1]!.end) | 0) >= 0, 'out-of-order segments sorted, disjoint');
  }
  assert.equal(bytes, s.ooo.bytes);
  // Linux tcp_try_rmem_schedule: at most one segment past sk_rcvbuf.
  assert.ok(s.recvQ.mem + s.ooo.mem <= s.rmemLimit + 70_000, 'receive memory within the buffer');
}

/** A TCP segment at one of the host's live connections (IPv4 or IPv6), near its sequence space. */
function aimedSegment(rnd: Random, s: TcpSocket, dstMac: Uint8Array): Uint8Array {
  const v6 = s.family === 6;
  const ipLen = v6 ? 40 : 20;
  const near = (x: number): number => (x + [0, 1, -1, rnd.int(70_000) - 35_000, rnd.u32(), 0x80000000][rnd.int(6)]!) >>> 0;
  const flagsPick = [TCP_ACK, TCP_ACK, TCP_ACK | TCP_FIN, TCP_RST, TCP_RST | TCP_ACK, TCP_SYN, TCP_SYN | TCP_ACK, rnd.int(256)];
  const opts: TcpOptions = {};
  if (rnd.chance(0.4)) opts.timestamp = { tsval: near(s.tsRecent), tsecr: rnd.u32() };
  if (rnd.chance(0.3)) { const a = near(s.sndUna); opts.sack = [[a, (a + rnd.int(20_000)) >>> 0]]; }
  if (rnd.chance(0.1)) opts.mss = rnd.int(65536);
  if (rnd.chance(0.1)) opts.wscale = rnd.int(20);
  const len = [0, 0, 1, rnd.int(1400)][rnd.int(4)]!;
  const tcpLen = 20 + tcpOptionsLength(opts) + len;
  const f = new Uint8Array(14 + ipLen + tcpLen);
  const src = parseIP(s.remoteAddr)!;
  const dst = parseIP(s.localAddr)!;
  emitEthernetHeader(f, 0, dstMac, FUZZ_MAC, v6 ? 0x86dd : 0x0800);
  if (v6) emitIpv6Header(f, 14, { payloadLength: tcpLen, nextHeader: 6, hopLimit: 64, src, dst });
  else emitIpv4Header(f, 14, { totalLength: 20 + tcpLen, id: rnd.int(65536), ttl: 64, protocol: 6, src, dst });
  emitTcpHeader(f.subarray(14 + ipLen), 0, {
    srcPort: s.remotePort, dstPort: s.localPort, seq: near(s.rcvNxt), ack: near(s.sndNxt),
    flags: flagsPick[rnd.int(flagsPick.length)]!, window: rnd.int(65536), options: opts,
  }, len, src, dst);
  return f;
}

/** A random mutation of a captured frame (keeps it addressed to the target). */
function mutate(rnd: Random, frame: Uint8Array, dstMac: Uint8Array): Uint8Array {
  let f = new Uint8Array(frame.subarray(0, rnd.chance(0.15) ? 14 + rnd.int(Math.max(1, frame.length - 14)) : frame.length));
  if (rnd.chance(0.1)) { const g = new Uint8Array(f.length + rnd.int(64)); g.set(f); f = g; }
  const flips = 1 + rnd.int(6);
  for (let k = 0; k < flips && f.length > 14; k++) {
    const at = 14 + (rnd.chance(0.6) ? rnd.int(Math.min(60, f.length - 14)) : rnd.int(f.length - 14));
    f[at] = rnd.chance(0.5) ? rnd.u32() & 0xff : f[at]! ^ (1 << rnd.int(8));
  }
  if (f.length >= 12) { if (!(f[0]! & 1)) f.set(dstMac, 0); f.set(FUZZ_MAC, 6); }
  return f;
}

/** a (the target) and b (its peer) on a switch; connections from b to a in several states. */
async function setUp() {
  const world = new Network({ seed: SEED });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  const ia = a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const ib = b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  const errors: unknown[] = [];
  world.sched.onError = (e) => { errors.push(e); };
  const corpus: Uint8Array[] = [];
  sw.addTap((f) => { if (corpus.length < 400) corpus.push(new Uint8Array(f)); });
  // Listeners and connections in many states, over IPv4 and IPv6.
  const echo = a.net.createServer((s) => { s.on('error', () => {}); s.on('data', (d) => { if (!s.destroyed) s.write(d); }); });
  echo.listen(80);
  const sink = a.dgram.createSocket('udp4');
  sink.bind(9);
  sink.on('message', () => {});
  await a.ping('10.0.0.2', { size: 3000 }); // fragments both ways
  await a.ping('fd00::2', { size: 3000 });
  const srv2 = b.net.createServer((s) => { s.on('error', () => {}); s.resume(); });
  srv2.listen(81);
  connections(a, b);
  await world.run({ for: '200ms' });
  return { world, sw, a, b, ia, ib, corpus, errors };
}

/** Connections in several states (made again during a run: the fuzz resets and closes them). */
function connections(a: Host, b: Host): void {
  for (const host of ['10.0.0.1', 'fd00::1']) {
    for (let i = 0; i < 4; i++) {
      const c = b.net.connect(80, host);
      c.on('error', () => {});
      c.write(Buffer.alloc(3000 * (i + 1), i));
      if (i === 1) c.end(); // half-closed: a in CLOSE-WAIT, b in FIN-WAIT
      if (i === 2) setTimeout(() => c.destroy(), 5); // a RST midway
    }
    // A connection a closes: FIN-WAIT on a, then TIME-WAIT.
    const out = a.net.connect(81, host === '10.0.0.1' ? '10.0.0.2' : 'fd00::2');
    out.on('error', () => {});
    out.on('connect', () => out.end('bye'));
  }
  // A connection that stays in SYN-SENT (nobody at that address answers).
  const lost = a.net.connect(82, '10.0.0.77');
  lost.on('error', () => {});
}

test(`live receive path fuzz: ${ITERATIONS} inputs (seed ${SEED}), invariants after each, the host still serves`, async () => {
  const { world, sw, a, b, ia, ib, corpus, errors } = await setUp();
  const port = sw.connect('fuzzer');
  port.onFrame = () => {};
  const rnd = new Random(SEED);
  const states = new Set<string>();
  for (let i = 0; i < ITERATIONS; i++) {
    if (i > 0 && i % 1000 === 0) connections(a, b);
    const conns = a.tcp.connections();
    let f: Uint8Array | null = null;
    const pick = rnd.int(10);
    if (pick < 4 && conns.length > 0) {
      const s = conns[rnd.int(conns.length)]!;
      states.add(s.info().state);
      f = aimedSegment(rnd, s, ia.mac);
    }
    if (f === null) f = mutate(rnd, corpus[rnd.int(corpus.length)]!, ia.mac);
    port.send(f);
    await world.run({ for: rnd.chance(0.05) ? 300 : 0 });
    assert.deepEqual(errors, [], `input ${i}`);
    invariants(a);
  }
  await world.run({ for: '2s' });
  invariants(a);
  assert.ok(states.size >= 4, `segments aimed at connections in ${[...states].join(', ')}`);
  // Still serving: a new exchange over each family, and pings.
  for (const host of ['10.0.0.1', 'fd00::1']) {
    const c = b.net.connect(80, host);
    const got: Buffer[] = [];
    c.on('data', (d) => { got.push(d); if (Buffer.concat(got).length >= 5) c.end(); });
    c.write('hello');
    // The fuzzer's broadcasts reach b too: a mutated ARP or NDP frame may have left b a wrong
    // address for a, which b's neighbour state machine corrects as Linux's would (STALE, 5 s
    // DELAY, 3 unicast probes, then a broadcast): the exchange may take that long.
    for (let t = 0; t < 20 && Buffer.concat(got).length < 5; t++) await world.run({ for: '1s' });
    assert.equal(Buffer.concat(got).toString(), 'hello', `${host}: ${JSON.stringify({ c: c.readyState, bss: b.ss().filter((r) => r.remote.includes(':80')).map((r) => r.state + ' ' + r.local + ' ' + r.remote), ass: a.ss().map((r) => r.state + ' ' + r.remote) })}`);
  }
  assert.equal((await b.ping('10.0.0.1')).bytes, 64);
  assert.equal((await b.ping('fd00::1', { size: 3000 })).bytes, 3008);
  await world.close(); // its listeners would hold the process open, as a Node program's do
});
