// The gateway's TCP translation, connect-first as slirp does it: a SYN from a virtual client to
// one of the gateway's addresses (any port) is held while a real node:net connection to the mapped
// address and the same port is made, and only then answered:
//
//   real connect succeeds      -> the SYN goes to the gateway host's TCP, through a listener of the
//                                 gateway's on that address and port (made on first use), so the
//                                 client's handshake completes; the accepted connection and the
//                                 real one are joined (src/links/relay.ts)
//   real connect refused       -> a RST answers the SYN: the client's connect fails with ECONNREFUSED
//   real host/net unreachable  -> ICMP host (v6: address) unreachable: EHOSTUNREACH in the client
//   real connect timed out     -> nothing: the client's own SYN retries time out (ETIMEDOUT)
//
// Retransmitted SYNs are dropped while the real connect is under way. Once joined, FIN, RST and
// errors cross both ways (relay.ts).
import * as nodeNet from 'node:net';
import type { Socket as RealSocket } from 'node:net';
import { copyBytes, get16, get32 } from '../wire/bytes.js';
import { isLoopbackIP, parseIP, ipFamily } from '../wire/addr.js';
import { TCP_ACK, TCP_RST, TCP_SYN, TCP_FIN, emitTcpHeader, tcpChecksumOk } from '../wire/tcp.js';
import { HEADROOM, IPPROTO_TCP, type IcmpError, type IpPacket, type TransportProtocol } from '../kernel/ip-types.js';
import type { KernelPacket } from '../kernel/kernel.js';
import type { Tcp, TcpSocket } from '../kernel/tcp/index.js';
import { TIME_WAIT } from '../kernel/tcp/state.js';
import { AF_INET, AF_INET6, SOCK_STREAM, type InetAddr } from '../uapi/socket.js';
import type { NetServer, NetSocket } from '../node/net.js';
import type { Timer } from '../links/clock.js';
import { relay, type StreamSocket } from '../links/relay.js';
import type { GatewayContext } from './gateway.js';

/** Node's own net, read when this module loads (usernet/register later points node:net at a virtual host). */
const realConnect = nodeNet.connect;

const LO_IFINDEX = 1;

export interface TcpNatStats {
  /** Connections joined now (real and virtual both open). */
  connections: number;
  /** Real connects under way (the client's SYN held). */
  connecting: number;
  /** Connections joined since the gateway started. */
  opened: number;
  /** Real connects refused (answered with a RST), unreachable (ICMP), timed out (left unanswered). */
  refused: number;
  unreachable: number;
  timedOut: number;
  /** Joined connections that ended with a reset or an error on either side. */
  reset: number;
  /** Payload bytes from virtual clients to real servers, and back. */
  bytesToReal: number;
  bytesToVirtual: number;
}

/** A SYN held while its real connect is made: a copy of the packet (it is answered later). */
interface Held {
  key: string;
  pkt: KernelPacket;
  real: RealSocket;
  timer: Timer | null;
}

/** A real connection whose virtual side is completing its handshake. */
interface Admitted {
  key: string;
  real: RealSocket;
  timer: Timer;
  /** The half-open connection the SYN made on our listener (null if none was kept, e.g. a SYN cookie). */
  child: TcpSocket | null;
}

function copyPacket(pkt: IpPacket): KernelPacket {
  const raw = (pkt as Partial<KernelPacket>).raw;
  return {
    ...pkt,
    srcBytes: copyBytes(pkt.srcBytes),
    dstBytes: copyBytes(pkt.dstBytes),
    payload: copyBytes(pkt.payload),
    raw: raw !== undefined ? copyBytes(raw) : new Uint8Array(0),
  };
}

export class TcpNat implements TransportProtocol {
  readonly protocol = IPPROTO_TCP;
  private readonly held = new Map<string, Held>();
  private readonly admitted = new Map<string, Admitted>();
  private readonly byChild = new Map<TcpSocket, Admitted>();
  /** The gateway's listeners, by 'address port'. */
  private readonly servers = new Map<string, NetServer>();
  private readonly listeners = new Set<TcpSocket>();
  private readonly joined = new Set<StreamSocket>();
  private readonly counters = { opened: 0, refused: 0, unreachable: 0, timedOut: 0, reset: 0, bytesToReal: 0, bytesToVirtual: 0 };
  private closing = false;

  constructor(private readonly inner: Tcp, private readonly gw: GatewayContext) {}

  input(pkt: IpPacket): void {
    const p = pkt.payload;
    // Only a bare SYN (no ACK, no RST) can open a translated connection.
    if (this.closing || pkt.multicast || pkt.ifindex === LO_IFINDEX || p.length < 20 || (p[13]! & (TCP_SYN | TCP_ACK | TCP_RST)) !== TCP_SYN) {
      this.inner.input(pkt);
      return;
    }
    const sport = get16(p, 0);
    const dport = get16(p, 2);
    const target = this.gw.realAddress(pkt.family, pkt.dst);
    if (target === null || dport === 0) { this.inner.input(pkt); return; }
    // A SYN for a connection that exists (a retransmission; not a reopened TIME-WAIT) is TCP's.
    const c = this.inner.lookupConn(pkt.dst, dport, pkt.src, sport);
    if (c !== null && c.state !== TIME_WAIT) { this.inner.input(pkt); return; }
    // A server of the gateway host's own keeps its port.
    const l = this.inner.lookupListener(pkt.family, pkt.dst, dport, pkt.src, sport);
    if (l !== null && !this.listeners.has(l)) { this.inner.input(pkt); return; }
    const key = `${pkt.src} ${sport} ${pkt.dst} ${dport}`;
    if (this.held.has(key)) return; // the real connect is under way: the client will retransmit
    if (this.admitted.has(key)) { this.inner.input(pkt); return; }
    // RFC 9293 §3.1: a bad checksum drops the segment; do not connect for it.
    if (!tcpChecksumOk(p, pkt.srcBytes, pkt.dstBytes)) { this.inner.input(pkt); return; }
    this.connect(key, copyPacket(pkt), target, dport);
  }

  icmpError(err: IcmpError): void {
    this.inner.icmpError(err);
  }

  stats(): TcpNatStats {
    return { connections: this.joined.size / 2, connecting: this.held.size, ...this.counters };
  }

  close(): Promise<void> {
    this.closing = true;
    const waits: Promise<void>[] = [];
    const gone = (s: RealSocket | StreamSocket): Promise<void> => new Promise<void>((r) => {
      if (s.closed) { r(); return; }
      s.once('close', () => r());
    });
    for (const h of this.held.values()) { h.timer?.cancel(); h.real.destroy(); waits.push(gone(h.real)); }
    this.held.clear();
    for (const a of this.admitted.values()) { a.timer.cancel(); a.real.destroy(); waits.push(gone(a.real)); }
    this.admitted.clear();
    this.byChild.clear();
    for (const s of this.joined) { s.destroy(); waits.push(gone(s)); }
    for (const srv of this.servers.values()) waits.push(new Promise<void>((r) => srv.close(() => r())));
    this.servers.clear();
    this.listeners.clear();
    return Promise.all(waits).then(() => {});
  }

  private connect(key: string, syn: KernelPacket, target: string, port: number): void {
    const tb = parseIP(target);
    const loop = tb !== null && isLoopbackIP(tb);
    const real = realConnect({
      host: target, port, allowHalfOpen: true,
      // A loopback target: the real socket's own address is loopback too.
      ...(loop ? { localAddress: ipFamily(target) === 4 ? '127.0.0.1' : '::1' } : {}),
    });
    real.pause();
    const h: Held = { key, pkt: syn, real, timer: null };
    this.held.set(key, h);
    const ms = this.gw.connectMs;
    if (ms > 0) {
      h.timer = this.gw.host.network.sched.after(ms, () => {
        h.timer = null;
        if (this.held.get(key) !== h) return;
        this.held.delete(key);
        this.counters.timedOut++;
        real.destroy();
      });
    }
    real.once('connect', () => {
      if (this.held.get(key) !== h) return;
      this.held.delete(key);
      h.timer?.cancel();
      this.admit(key, syn, real, port);
    });
    real.once('error', (e: NodeJS.ErrnoException) => {
      if (this.held.get(key) !== h) return;
      this.held.delete(key);
      h.timer?.cancel();
      this.failed(syn, e.code ?? '');
    });
  }

  /** The real side is connected: let the held SYN through to a listener of ours on its address and port. */
  private admit(key: string, syn: KernelPacket, real: RealSocket, port: number): void {
    if (!this.ensureListener(syn.family, syn.dst, port, syn.ifindex)) {
      real.destroy();
      this.failed(syn, 'ECONNREFUSED');
      return;
    }
    // Linux tcp_synack_retries: how long the half-open connection may wait for the client's ACK.
    const cfg = this.inner.config;
    const wait = cfg.rtoInitialMs * (2 ** (cfg.synackRetries + 1) - 1);
    const a: Admitted = { key, real, timer: null as unknown as Timer, child: null };
    a.timer = this.gw.host.network.sched.after(wait, () => {
      if (this.admitted.get(key) !== a) return;
      this.forget(a);
      real.destroy();
    });
    this.admitted.set(key, a);
    this.inner.input(syn);
    a.child = this.inner.lookupConn(syn.dst, port, syn.src, get16(syn.payload, 0));
    if (a.child !== null) this.byChild.set(a.child, a);
  }

  private forget(a: Admitted): void {
    this.admitted.delete(a.key);
    if (a.child !== null) this.byChild.delete(a.child);
    a.timer.cancel();
  }

  /** Answers a held SYN whose real connect failed, as the failure says. */
  private failed(syn: KernelPacket, code: string): void {
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      this.counters.unreachable++;
      const k = this.gw.host.kernel;
      if (syn.raw.length === 0) return;
      if (syn.family === 4) k.icmp.hostUnreachable(syn.raw);
      else k.icmp6.addressUnreachable(syn.raw);
      return;
    }
    if (code === 'ETIMEDOUT') { this.counters.timedOut++; return; }
    this.counters.refused++;
    this.sendReset(syn);
  }

  /** RFC 9293 §3.10.7.1: a SYN to a closed port gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
  private sendReset(syn: IpPacket): void {
    const p = syn.payload;
    const hl = (p[12]! >>> 4) << 2;
    const flags = p[13]!;
    const segLen = Math.max(0, p.length - hl) + ((flags & TCP_SYN) !== 0 ? 1 : 0) + ((flags & TCP_FIN) !== 0 ? 1 : 0);
    const buf = new Uint8Array(HEADROOM + 20);
    emitTcpHeader(buf, HEADROOM, {
      srcPort: get16(p, 2), dstPort: get16(p, 0), seq: 0, ack: (get32(p, 4) + segLen) >>> 0, flags: TCP_RST | TCP_ACK, window: 0,
    }, 0, syn.dstBytes, syn.srcBytes);
    const st = this.inner.stats;
    st.OutSegs = (st.OutSegs ?? 0) + 1;
    st.OutRsts = (st.OutRsts ?? 0) + 1;
    this.gw.host.kernel.output(syn.family, syn.dst, syn.src, IPPROTO_TCP, buf, HEADROOM);
  }

  /** A listening socket of the gateway host on address:port (the SYNs we let through find it). */
  private ensureListener(family: 4 | 6, address: string, port: number, ifindex: number): boolean {
    const id = `${address} ${port}`;
    if (this.servers.has(id)) return true;
    const host = this.gw.host;
    const sys = host.sys;
    const fd = sys.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM);
    if (fd < 0) return false;
    const addr: InetAddr = { family, address, port };
    if (family === 6 && /^fe[89ab]/i.test(address)) addr.scopeid = ifindex;
    sys.setsockopt(fd, 'SOL_SOCKET', 'SO_REUSEADDR', 1);
    if (sys.bind(fd, addr) < 0 || sys.listen(fd, 511) < 0) { sys.close(fd); return false; }
    const ls = sys.socketOf(fd) as TcpSocket | undefined;
    if (ls === undefined) { sys.close(fd); return false; }
    const server = host.net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (v) => this.accepted(v));
    server.on('error', () => {});
    server.listen({ fd });
    this.servers.set(id, server);
    this.listeners.add(ls);
    return true;
  }

  /** The client's handshake completed: join it to its real connection. */
  private accepted(v: NetSocket): void {
    // The accepted descriptor's kernel socket is the half-open connection our SYN made (it has no
    // peer address any more if the client reset it while it waited in the accept queue).
    const fd = (v as unknown as { _handle: { fd: number } | null })._handle?.fd ?? -1;
    const child = fd >= 0 ? this.gw.host.sys.socketOf(fd) as TcpSocket | undefined : undefined;
    const a = (child !== undefined ? this.byChild.get(child) : undefined)
      ?? this.admitted.get(`${v.remoteAddress} ${v.remotePort} ${v.localAddress} ${v.localPort}`);
    if (a === undefined || this.closing) { v.resetAndDestroy(); return; }
    this.forget(a);
    // The real server reset the connection before the client's handshake completed.
    if (a.real.destroyed) { this.counters.reset++; v.resetAndDestroy(); return; }
    const vs = v as unknown as StreamSocket;
    this.joined.add(vs);
    this.joined.add(a.real);
    this.counters.opened++;
    relay(vs, a.real, {
      aToB: (n) => { this.counters.bytesToReal += n; },
      bToA: (n) => { this.counters.bytesToVirtual += n; },
      closed: (reset) => {
        if (reset) this.counters.reset++;
        this.joined.delete(vs);
        this.joined.delete(a.real);
      },
    });
  }
}
