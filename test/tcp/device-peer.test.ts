// TCP corner cases played by hand through host.attachDevice: the test is the peer, writes
// crafted segments into the host's TUN-like device and expects exact replies on the wire.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/world/network.js';
import type { Host } from '../../src/world/host.js';
import type { Device } from '../../src/links/device.js';
import { parseIPv4 } from '../../src/wire/addr.js';
import { emitIpv4Header, parseIpv4, IPV4_HEADER_LEN } from '../../src/wire/ipv4.js';
import { emitIcmpv4, icmpv4Length } from '../../src/wire/icmpv4.js';
import { emitTcpHeader, parseTcp, tcpChecksumOk, tcpOptionsLength, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpOptions, type TcpRepr } from '../../src/wire/tcp.js';
import { WireError } from '../../src/wire/error.js';

const HOST = parseIPv4('10.1.0.1')!;
const PEER = parseIPv4('10.1.0.2')!;
const PEER_PORT = 40000;

interface Seen { tcp: TcpRepr; raw: Uint8Array }

/** A host listening on 10.1.0.1:80 behind an in-process device; the test is 10.1.0.2. */
async function setup(t: TestContext): Promise<{ world: Network; h: Host; dev: Device; seen: Seen[]; accepted: Promise<import('node:net').Socket> }> {
  const world = new Network({ seed: 3 });
  const h = world.host('h');
  const dev = h.attachDevice('tun0', { ipv4: '10.1.0.1/24' });
  const seen: Seen[] = [];
  dev.on('packet', (p: Uint8Array) => {
    const ip = parseIpv4(p);
    if (ip instanceof WireError || ip.protocol !== 6) return;
    assert.ok(tcpChecksumOk(ip.payload, ip.src, ip.dst), 'the host sends good TCP checksums');
    const t = parseTcp(ip.payload);
    if (!(t instanceof WireError)) seen.push({ tcp: t, raw: p });
  });
  let resolveAccepted!: (s: import('node:net').Socket) => void;
  const accepted = new Promise<import('node:net').Socket>((r) => { resolveAccepted = r; });
  const srv = h.net.createServer((s) => resolveAccepted(s as unknown as import('node:net').Socket));
  await new Promise<void>((r) => srv.listen(80, '10.1.0.1', () => r()));
  t.after(() => { srv.close(); dev.close(); });
  return { world, h, dev, seen, accepted };
}

/** Writes one segment from the peer. */
function send(dev: Device, f: { seq: number; ack?: number; flags: number; window?: number; options?: TcpOptions; data?: Uint8Array }): void {
  const data = f.data ?? new Uint8Array(0);
  const optLen = f.options ? tcpOptionsLength(f.options) : 0;
  const tcpLen = 20 + optLen + data.length;
  const pkt = new Uint8Array(IPV4_HEADER_LEN + tcpLen);
  emitIpv4Header(pkt, 0, { totalLength: pkt.length, id: 1, ttl: 64, protocol: 6, src: PEER, dst: HOST, df: true });
  pkt.set(data, IPV4_HEADER_LEN + 20 + optLen);
  emitTcpHeader(pkt, IPV4_HEADER_LEN, {
    srcPort: PEER_PORT, dstPort: 80, seq: f.seq >>> 0, ack: (f.ack ?? 0) >>> 0, flags: f.flags,
    window: f.window ?? 65535, options: f.options,
  }, data.length, PEER, HOST);
  dev.write(pkt);
}

const ISN = 1_000_000;

/** Handshake by hand: returns the host's ISN. */
async function handshake(world: Network, dev: Device, seen: Seen[]): Promise<number> {
  send(dev, { seq: ISN, flags: TCP_SYN, options: { mss: 1460 } });
  await world.run({ for: '10ms' });
  const synack = seen.shift()!;
  assert.equal(synack.tcp.flags, TCP_SYN | TCP_ACK);
  assert.equal(synack.tcp.ack >>> 0, ISN + 1);
  send(dev, { seq: ISN + 1, ack: synack.tcp.seq + 1, flags: TCP_ACK });
  await world.run({ for: '10ms' });
  return synack.tcp.seq >>> 0;
}

test('a retransmitted SYN gets the same SYN-ACK again (same ISN), and the connection then opens', async (t) => {
  const { world, dev, seen, accepted } = await setup(t);
  send(dev, { seq: ISN, flags: TCP_SYN, options: { mss: 1460 } });
  await world.run({ for: '10ms' });
  assert.equal(seen.length, 1);
  const first = seen.shift()!.tcp;
  assert.equal(first.flags, TCP_SYN | TCP_ACK);
  assert.equal(first.ack >>> 0, ISN + 1);
  assert.ok(first.options.mss !== undefined && first.options.mss <= 1460, 'the SYN-ACK carries an MSS');
  // RFC 9293 §3.10.7.4 / Linux tcp_check_req: a retransmitted SYN for a pending request is
  // answered by retransmitting the SYN-ACK.
  send(dev, { seq: ISN, flags: TCP_SYN, options: { mss: 1460 } });
  await world.run({ for: '10ms' });
  assert.equal(seen.length, 1, 'one reply to the retransmitted SYN');
  const again = seen.shift()!.tcp;
  assert.equal(again.flags, TCP_SYN | TCP_ACK);
  assert.equal(again.seq >>> 0, first.seq >>> 0, 'same ISN');
  assert.equal(again.ack >>> 0, ISN + 1);
  send(dev, { seq: ISN + 1, ack: first.seq + 1, flags: TCP_ACK });
  const sock = await accepted;
  assert.equal(sock.remoteAddress, '10.1.0.2');
  assert.equal(sock.remotePort, PEER_PORT);
  sock.destroy();
});

test('a segment beyond the receive window is not accepted: the host answers with an ACK of what it expects', async (t) => {
  const { world, dev, seen, accepted } = await setup(t);
  const hostIsn = await handshake(world, dev, seen);
  const sock = await accepted;
  const got: Buffer[] = [];
  sock.on('data', (d: Buffer) => got.push(d));
  const window = 65535; // no window scaling was offered by the peer
  // RFC 9293 §3.10.7.4 (first check): unacceptable segment → <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop it.
  send(dev, { seq: ISN + 1 + window + 5000, ack: hostIsn + 1, flags: TCP_ACK | TCP_PSH, data: new TextEncoder().encode('far away') });
  await world.run({ for: '10ms' });
  assert.equal(seen.length, 1);
  const a = seen.shift()!.tcp;
  assert.equal(a.flags, TCP_ACK);
  assert.equal(a.ack >>> 0, ISN + 1, 'ACK says what it still expects');
  assert.equal(a.seq >>> 0, hostIsn + 1);
  assert.equal(a.payload.length, 0);
  assert.equal(got.length, 0, 'nothing delivered');
  // In-window data is delivered and acknowledged.
  send(dev, { seq: ISN + 1, ack: hostIsn + 1, flags: TCP_ACK | TCP_PSH, data: new TextEncoder().encode('hello') });
  await world.run({ for: '100ms' });
  assert.equal(Buffer.concat(got).toString(), 'hello');
  const ack = seen.filter((s) => s.tcp.flags & TCP_ACK).at(-1)!.tcp;
  assert.equal(ack.ack >>> 0, ISN + 6);
  sock.destroy();
});

test('RST with a wrong sequence number: out of window ignored, in window a challenge ACK, exact resets', async (t) => {
  const { world, dev, seen, accepted } = await setup(t);
  const hostIsn = await handshake(world, dev, seen);
  const sock = await accepted;
  let error: NodeJS.ErrnoException | null = null;
  sock.on('error', (e: NodeJS.ErrnoException) => { error = e; });
  const closed = new Promise<void>((r) => sock.on('close', () => r()));

  // RFC 5961 §3.2: a RST outside the window is dropped silently.
  send(dev, { seq: ISN + 1 + 200_000, flags: TCP_RST });
  await world.run({ for: '10ms' });
  assert.equal(seen.length, 0, 'no reply to an out-of-window RST');
  assert.equal(sock.destroyed, false);

  // RFC 5961 §3.2: in the window but not exactly RCV.NXT → challenge ACK, connection kept.
  send(dev, { seq: ISN + 1 + 10, flags: TCP_RST });
  await world.run({ for: '10ms' });
  assert.equal(seen.length, 1, 'one challenge ACK');
  const ch = seen.shift()!.tcp;
  assert.equal(ch.flags, TCP_ACK);
  assert.equal(ch.ack >>> 0, ISN + 1);
  assert.equal(ch.seq >>> 0, hostIsn + 1);
  assert.equal(sock.destroyed, false);

  // Exactly RCV.NXT: the connection is reset.
  send(dev, { seq: ISN + 1, flags: TCP_RST });
  await closed;
  assert.equal(error!.code, 'ECONNRESET');
  assert.equal(seen.filter((s) => s.tcp.flags & (TCP_RST | TCP_FIN)).length, 0, 'nothing answers a valid RST');
});

test('segmentation offload toward a device that is not a virtual wire: the device gets real segments of at most the MSS', async (t) => {
  const { world, h, dev, seen, accepted } = await setup(t);
  const hostIsn = await handshake(world, dev, seen);
  const sock = await accepted;
  const iface = h.iface('tun0')!;
  assert.equal(iface.offload, true, 'offload is on by default');
  const data = Buffer.alloc(40_000, 0x61);
  sock.write(data);
  await world.run({ for: '10ms' });
  // ACK everything seen so far, twice, so the congestion window lets the rest go.
  for (let round = 0; round < 4; round++) {
    const last = seen.filter((s) => s.tcp.payload.length > 0).at(-1);
    if (last !== undefined) send(dev, { seq: ISN + 1, ack: (last.tcp.seq + last.tcp.payload.length) >>> 0, flags: TCP_ACK, window: 65535 });
    await world.run({ for: '10ms' });
  }
  const segs = seen.filter((s) => s.tcp.payload.length > 0);
  assert.equal(segs.reduce((n, s) => n + s.tcp.payload.length, 0), data.length, 'all the data came out');
  for (const s of segs) {
    assert.ok(s.raw.length <= 1500, `packet of ${s.raw.length} bytes on a 1500-MTU device`);
    assert.ok(s.tcp.payload.length <= 1460, `segment of ${s.tcp.payload.length} bytes over an MSS of 1460`);
  }
  let seq = hostIsn + 1;
  for (const s of segs) { assert.equal(s.tcp.seq >>> 0, seq >>> 0, 'contiguous'); seq += s.tcp.payload.length; }
  assert.equal(iface.stats.txGso, 0, 'no super-frame reached the device');
  assert.ok(h.tcp.stats.OutSegs >= segs.length);
  sock.destroy();
});

test('PSH: on the last segment of every packet of several segments (Linux 5.6) and at the end of each write', async (t) => {
  const { world, dev, seen, accepted } = await setup(t);
  const hostIsn = await handshake(world, dev, seen);
  const sock = await accepted;
  const data = (): TcpRepr[] => seen.splice(0).map((x) => x.tcp).filter((x) => x.payload.length > 0);
  const psh = (x: TcpRepr): boolean => (x.flags & TCP_PSH) !== 0;
  // 20000 bytes: the initial window of 10 segments leaves as super-segments sized as Linux sizes
  // them (tso.ts: ~1 ms of the pacing rate, here tcp_min_tso_segs = 2 segments), each cut by the
  // device: the last segment of each carries PSH, though the write goes on.
  sock.write(Buffer.alloc(20000));
  await world.run({ for: '10ms' });
  const first = data();
  assert.equal(first.length, 10);
  assert.deepEqual(first.map(psh), Array.from({ length: 10 }, (_, i) => i % 2 === 1));
  send(dev, { seq: ISN + 1, ack: hostIsn + 1 + 14600, flags: TCP_ACK, window: 65535 });
  await world.run({ for: '10ms' });
  const rest = data();
  assert.deepEqual(rest.map((x) => x.payload.length), [1460, 1460, 1460, 1020]);
  assert.deepEqual(rest.map(psh), [false, false, true, true]); // a packet of 3, then the write's last segment
  sock.destroy();
});

test('PSH with offload off (ethtool -K tso off): a packet per segment, PSH only where the write ends', async (t) => {
  const { world, h, dev, seen, accepted } = await setup(t);
  h.iface('tun0')!.offload = false;
  await handshake(world, dev, seen);
  const sock = await accepted;
  sock.write(Buffer.alloc(5000));
  await world.run({ for: '10ms' });
  const segs = seen.splice(0).map((x) => x.tcp).filter((x) => x.payload.length > 0);
  assert.deepEqual(segs.map((x) => x.payload.length), [1460, 1460, 1460, 620]);
  assert.deepEqual(segs.map((x) => (x.flags & TCP_PSH) !== 0), [false, false, false, true]);
  sock.destroy();
});

/** An ICMPv4 error from the peer's side about the host's segment `about` (its IP header and first 8 bytes echoed). */
function sendIcmp(dev: Device, type: number, code: number, about: Uint8Array, mtu?: number): void {
  const echoed = about.subarray(0, IPV4_HEADER_LEN + 8);
  const pkt = new Uint8Array(IPV4_HEADER_LEN + icmpv4Length(echoed.length));
  emitIpv4Header(pkt, 0, { totalLength: pkt.length, id: 2, ttl: 64, protocol: 1, src: PEER, dst: HOST, df: false });
  emitIcmpv4(pkt, IPV4_HEADER_LEN, { type, code, data: echoed, ...(mtu !== undefined ? { mtu } : {}) });
  dev.write(pkt);
}

test('an ICMP net or host unreachable about a SYN-ACK drops the half-open connection silently (Linux tcp_v4_err -> tcp_req_err); the handshake\'s ACK then meets a reset; a port unreachable or a soft error leaves it', async (t) => {
  const { world, h, dev, seen } = await setup(t);
  const drops0 = h.tcp.stats.ListenDrops;
  // Port unreachable (fatal elsewhere) and fragmentation needed: the request stays (tcp_req_err's abort is false).
  for (const [type, code] of [[3, 3], [3, 4]] as const) {
    send(dev, { seq: ISN, flags: TCP_SYN, options: { mss: 1460 } });
    await world.run({ for: '10ms' });
    const synack = seen.shift()!;
    sendIcmp(dev, type, code, synack.raw, code === 4 ? 1200 : undefined);
    await world.run({ for: '10ms' });
    assert.equal(h.tcp.stats.ListenDrops, drops0);
    send(dev, { seq: ISN + 1, ack: synack.tcp.seq + 1, flags: TCP_RST });
    await world.run({ for: '10ms' });
    seen.length = 0;
  }
  send(dev, { seq: ISN + 5000, flags: TCP_SYN, options: { mss: 1460 } });
  await world.run({ for: '10ms' });
  const synack = seen.shift()!;
  assert.equal(synack.tcp.flags, TCP_SYN | TCP_ACK);
  // An echoed sequence number that is not the SYN-ACK's: out of window, ignored.
  const wrong = Uint8Array.from(synack.raw);
  wrong[IPV4_HEADER_LEN + 7] = (wrong[IPV4_HEADER_LEN + 7]! + 1) & 0xff;
  sendIcmp(dev, 3, 1, wrong);
  await world.run({ for: '10ms' });
  assert.equal(h.tcp.stats.ListenDrops, drops0);
  sendIcmp(dev, 3, 1, synack.raw);
  await world.run({ for: '10ms' });
  assert.equal(h.tcp.stats.ListenDrops, drops0 + 1, 'the request is gone (LISTENDROPS)');
  assert.equal(seen.length, 0, 'silently');
  send(dev, { seq: ISN + 5001, ack: synack.tcp.seq + 1, flags: TCP_ACK });
  await world.run({ for: '10ms' });
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.tcp.flags, TCP_RST, 'no connection: the listener answers the ACK with a reset');
});
