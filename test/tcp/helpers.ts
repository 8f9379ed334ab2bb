// Shared set-up for the TCP tests: two hosts on a cable with a Tcp on each, a tap that decodes
// the TCP segments crossing the cable, and small drivers for the non-blocking socket calls.
import { createHash } from 'node:crypto';
import { Network, type Link } from '../../src/world/network.js';
import type { Host } from '../../src/world/host.js';
import { Tcp, type TcpConfig } from '../../src/kernel/tcp/index.js';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';
import { AF_INET, AF_INET6, type InetAddr } from '../../src/uapi/socket.js';
import { parseEthernet } from '../../src/wire/ethernet.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { emitTcpHeader, parseTcp, formatTcpFlags, tcpOptionsLength, type TcpHeaderFields, type TcpRepr } from '../../src/wire/tcp.js';
import { WireError } from '../../src/wire/error.js';
import { formatIP, parseIP } from '../../src/wire/addr.js';

export { AF_INET, AF_INET6 };

/** The host's Tcp, with some settings changed. */
export function tcpOf(h: Host, config: Partial<TcpConfig> = {}): Tcp {
  Object.assign(h.tcp.config, config);
  return h.tcp;
}

export interface Seg {
  time: number;
  src: string;
  dst: string;
  flags: string;
  seq: number;
  ack: number;
  len: number;
  win: number;
  /** The IP TOS / traffic-class byte (its low two bits: the ECN field). */
  tos: number;
  tcp: TcpRepr;
}

/** Records every TCP segment crossing a link (both directions), decoded. */
export function tapSegments(link: Link, world: Network): Seg[] {
  const segs: Seg[] = [];
  link.addTap((frame, time, layer) => {
    let ip: Uint8Array = frame;
    if (layer === 2) {
      const e = parseEthernet(frame);
      if (e instanceof WireError) return;
      ip = e.payload;
    }
    const v = ip[0]! >>> 4;
    let src: string, dst: string, payload: Uint8Array, proto: number, tos: number;
    if (v === 4) {
      const p = parseIpv4(ip);
      if (p instanceof WireError) return;
      src = formatIP(p.src); dst = formatIP(p.dst); payload = p.payload; proto = p.protocol; tos = p.tos;
    } else {
      const p = parseIpv6(ip);
      if (p instanceof WireError) return;
      src = formatIP(p.src); dst = formatIP(p.dst); payload = p.payload; proto = p.nextHeader; tos = p.trafficClass;
    }
    if (proto !== 6) return;
    const t = parseTcp(payload);
    if (t instanceof WireError) return;
    segs.push({ time, src, dst, flags: formatTcpFlags(t.flags), seq: t.seq, ack: t.ack, len: t.payload.length, win: t.window, tos, tcp: t });
  });
  void world;
  return segs;
}

export interface Pair {
  world: Network;
  a: Host;
  b: Host;
  link: Link;
  ta: Tcp;
  tb: Tcp;
}

/** Two hosts on a cable: a = 10.0.0.1 / fd00::1, b = 10.0.0.2 / fd00::2. */
/**
 * Two hosts on one cable. `offload: false` turns segmentation offload off on both interfaces
 * (`ethtool -K eth0 tso off`), so that every packet TCP hands IP is one segment: tests that drop
 * packets above the interface (dropOutgoing) then drop exactly one segment.
 */
export function pair(opts: { seed?: number; mtu?: number; config?: Partial<TcpConfig>; rate?: string; offload?: boolean } = {}): Pair {
  const world = new Network({ seed: opts.seed ?? 1 });
  const a = world.host('a');
  const b = world.host('b');
  const link = world.link(a, b, {
    ipv4: ['10.0.0.1/24', '10.0.0.2/24'], ipv6: ['fd00::1/64', 'fd00::2/64'],
    ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}), ...(opts.rate !== undefined ? { rate: opts.rate } : {}),
  });
  if (opts.offload === false) for (const i of link.interfaces) i.offload = false;
  const ta = tcpOf(a, opts.config);
  const tb = tcpOf(b, opts.config);
  return { world, a, b, link, ta, tb };
}

export function addr(address: string, port: number): InetAddr {
  return { family: address.includes(':') ? 6 : 4, address, port };
}

/** A listener on b, a connection from a, both sides established; returns [client, server]. */
export async function connected(p: Pair, port = 80, family: 4 | 6 = 4): Promise<[TcpSocket, TcpSocket, TcpSocket]> {
  const dom = family === 4 ? AF_INET : AF_INET6;
  const l = p.tb.socket(dom);
  must(l.bind(addr(family === 4 ? '0.0.0.0' : '::', port)));
  must(l.listen(16));
  const c = p.ta.socket(dom);
  const r = c.connect(addr(family === 4 ? '10.0.0.2' : 'fd00::2', port));
  if (r !== -115) throw new Error(`connect returned ${r}`);
  await p.world.run({ for: 50 });
  let acc = l.accept();
  // A link with latency takes longer (ARP, then the handshake).
  for (let t = 50; acc === -11 && t < 2000; t += 50) { await p.world.run({ for: 50 }); acc = l.accept(); }
  if (typeof acc === 'number') throw new Error(`accept returned ${acc}`);
  return [c, acc.sock as TcpSocket, l];
}

export function must(r: number): void {
  if (r < 0) throw new Error(`call failed: ${r}`);
}

/** Reads everything available now. */
export function drain(s: TcpSocket): { data: Buffer; eof: boolean; err: number } {
  const parts: Uint8Array[] = [];
  let eof = false;
  let err = 0;
  for (;;) {
    const r = s.read(1 << 20);
    if (typeof r === 'number') { if (r !== -11) err = r; break; }
    if (r.length === 0) { eof = true; break; }
    parts.push(r);
  }
  return { data: Buffer.concat(parts), eof, err };
}

/**
 * A test hook around host h's IP output: `hook` sees each TCP segment the host sends (with the
 * call that would send it) and returns true when it took care of the segment itself. Returns
 * the function that removes the hook.
 */
function hookOutgoing(h: Host, hook: (seg: TcpRepr, send: () => number) => boolean): () => void {
  const k = h.kernel as unknown as { output: (...args: unknown[]) => number };
  const orig = k.output;
  k.output = function (this: unknown, ...args: unknown[]): number {
    const [, , , protocol, buf, offset] = args as [number, string, string, number, Uint8Array, number];
    if (protocol === 6) {
      const t = parseTcp(buf.subarray(offset));
      if (!(t instanceof WireError) && hook(t, () => orig.apply(this, args))) return 0;
    }
    return orig.apply(this, args);
  };
  return () => { k.output = orig; };
}

/** Drops the segments host h sends for which `drop` says so. */
export function dropOutgoing(h: Host, drop: (seg: TcpRepr) => boolean): () => void {
  return hookOutgoing(h, (seg) => drop(seg));
}

/**
 * Holds back the segments host h sends for which `delay` returns a number of milliseconds > 0,
 * and hands them to IP that much later: a segment overtaken by the ones sent after it.
 */
export function delayOutgoing(h: Host, world: Network, delay: (seg: TcpRepr) => number): () => void {
  return hookOutgoing(h, (seg, send) => {
    const d = delay(seg);
    if (d <= 0) return false;
    world.sched.after(d, () => { send(); });
    return true;
  });
}

/** One line per segment, for failure messages. */
export function show(segs: Seg[]): string {
  return segs.map((x) => `${x.time.toFixed(1)} ${x.src}>${x.dst} ${x.flags} seq=${x.seq} ack=${x.ack} len=${x.len} win=${x.win}`).join('\n');
}

/**
 * Streams `data` from `src` to `dst` through the socket calls as an application would (write
 * while the buffer takes it, read on every readiness change), closing the sender's side at the
 * end. Resolves with what `dst` read once it saw EOF (or rejects on an error).
 */
export function transfer(src: TcpSocket, dst: TcpSocket, data: Uint8Array, chunk = 65536): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let off = 0;
    let shut = false;
    const parts: Uint8Array[] = [];
    const pump = (): void => {
      while (off < data.length) {
        const r = src.write(data.subarray(off, Math.min(off + chunk, data.length)));
        if (r === -11) return;
        if (r < 0) { reject(new Error(`write ${r}`)); return; }
        off += r;
      }
      if (!shut) { shut = true; src.shutdown(1); }
    };
    const pull = (): void => {
      for (;;) {
        const r = dst.read(1 << 20);
        if (typeof r === 'number') {
          if (r === -11) return;
          reject(new Error(`read ${r}`));
          return;
        }
        if (r.length === 0) { dst.onReady = null; src.onReady = null; resolve(Buffer.concat(parts)); return; }
        parts.push(r);
      }
    };
    src.onReady = pump;
    dst.onReady = pull;
    pump();
    pull();
  });
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Builds a TCP segment from `src` to `dst` and hands it straight to `tcp.input`, as if it arrived on eth0. */
export function inject(tcp: Tcp, src: string, dst: string, h: TcpHeaderFields, payload: Uint8Array = new Uint8Array(0)): void {
  const s = parseIP(src)!;
  const d = parseIP(dst)!;
  const opts = h.options ? tcpOptionsLength(h.options) : 0;
  const buf = new Uint8Array(20 + opts + payload.length);
  buf.set(payload, 20 + opts);
  emitTcpHeader(buf, 0, h, payload.length, s, d);
  tcp.input({ family: s.length === 4 ? 4 : 6, src, dst, srcBytes: s, dstBytes: d, protocol: 6, ttl: 64, tos: 0, payload: buf, ifindex: 2, multicast: false });
}
