// The gateway's UDP translation. A datagram from a virtual host (client address and port) to one
// of the gateway's addresses (and any port) opens a flow: a socket of the gateway host bound to
// that address and port and connected to the client, so that the flow's later datagrams go
// straight to it and its replies leave from the gateway's address and port; and a real node:dgram
// socket of this process connected to the mapped real address and the same port.
//
// Errors map both ways: a real ICMP port unreachable (ECONNREFUSED on the real socket) is sent to
// the client as an ICMP port unreachable about its last datagram; a client that is gone (ICMP
// port unreachable from it, ECONNREFUSED on the flow's socket) closes the flow. Idle flows close
// after conntrack's timeouts (or the gateway's udpIdleTimeout).
//
// Until the real socket is connected the flow socket is not read: early datagrams wait in its
// receive queue, bounded by its SO_RCVBUF as any socket's are.
import * as nodeDgram from 'node:dgram';
import type { Socket as RealUdpSocket } from 'node:dgram';
import { get16 } from '../wire/bytes.js';
import { ipFamily, isLoopbackIP, parseIP } from '../wire/addr.js';
import { udpChecksumOk } from '../wire/udp.js';
import { IPPROTO_UDP, type IcmpError, type IpPacket, type TransportProtocol } from '../kernel/ip-types.js';
import type { Udp } from '../kernel/udp.js';
import type { Timer } from '../links/clock.js';
import { AF_INET, AF_INET6, POLLERR, POLLIN, SOCK_DGRAM, type InetAddr } from '../uapi/socket.js';
import { EAGAIN } from '../uapi/errno.js';
import type { GatewayContext } from './gateway.js';

/** Node's own dgram, read when this module loads (usernet/register later points node:dgram at a virtual host). */
const createSocket = nodeDgram.createSocket;

const LO_IFINDEX = 1;
/** Linux nf_conntrack_udp_timeout: a flow that has seen no reply. */
const UNREPLIED_MS = 30_000;
/** Linux nf_conntrack_udp_timeout_stream: a flow with replies that lived past STREAM_AFTER_MS. */
const STREAM_MS = 120_000;
/** Linux nf_conntrack_proto_udp.c: stream mode only after two seconds (one DNS exchange is not a stream). */
const STREAM_AFTER_MS = 2_000;

/** How long a UDP flow may stay idle: `fixed` if set, else conntrack's (30 s; 120 s for a stream with replies older than 2 s). */
export function udpIdleMs(fixed: number, replied: boolean, livedMs: number): number {
  if (fixed > 0) return fixed;
  return replied && livedMs > STREAM_AFTER_MS ? STREAM_MS : UNREPLIED_MS;
}

export interface UdpNatStats {
  /** Flows open now. */
  flows: number;
  /** Flows opened since the gateway started. */
  opened: number;
  /** Flows closed for being idle. */
  expired: number;
  /** Datagrams and payload bytes carried from virtual clients to real sockets, and back. */
  datagramsToReal: number;
  bytesToReal: number;
  datagramsToVirtual: number;
  bytesToVirtual: number;
  /** Real ICMP port unreachable errors sent back to virtual clients as ICMP port unreachable. */
  refused: number;
  /** Datagrams the real or the virtual side would not take (send errors). */
  dropped: number;
}

const isLinkLocal6 = (a: string): boolean => /^fe[89ab]/i.test(a);

class Flow {
  fd = -1;
  real: RealUdpSocket | null = null;
  connected = false;
  closed = false;
  /** The client's latest datagram, quoted by the ICMP error when the real side refuses. */
  lastPkt: IpPacket | null = null;
  readonly opened: number;
  last: number;
  replied = false;
  timer: Timer | null = null;
  unwatch: (() => void) | null = null;

  constructor(readonly key: string, readonly family: 4 | 6, readonly client: InetAddr, readonly local: InetAddr,
    readonly target: string, now: number) {
    this.opened = now;
    this.last = now;
  }
}

export class UdpNat implements TransportProtocol {
  readonly protocol = IPPROTO_UDP;
  private readonly flows = new Map<string, Flow>();
  private readonly counters: Omit<UdpNatStats, 'flows'> = {
    opened: 0, expired: 0, datagramsToReal: 0, bytesToReal: 0, datagramsToVirtual: 0, bytesToVirtual: 0, refused: 0, dropped: 0,
  };
  private closing = false;

  constructor(private readonly inner: Udp, private readonly gw: GatewayContext) {}

  input(pkt: IpPacket): void {
    const p = pkt.payload;
    if (this.closing || pkt.multicast || pkt.ifindex === LO_IFINDEX || p.length < 8) { this.inner.input(pkt); return; }
    const sport = get16(p, 0);
    const dport = get16(p, 2);
    const key = `${pkt.src} ${sport} ${pkt.dst} ${dport}`;
    let f = this.flows.get(key);
    if (f === undefined) {
      const target = this.gw.realAddress(pkt.family, pkt.dst);
      // Sockets of the gateway host itself keep their datagrams; port 0 is no port (RFC 768).
      if (target === null || dport === 0 || this.inner.lookup(pkt.family, pkt.dst, dport, pkt.src, sport, pkt.ifindex) !== null) {
        this.inner.input(pkt);
        return;
      }
      // RFC 1122 §4.1.3.4: a bad checksum drops the datagram; do not open a flow for it.
      if (!udpChecksumOk(p, pkt.srcBytes, pkt.dstBytes)) { this.inner.input(pkt); return; }
      f = this.open(key, pkt, sport, dport, target) ?? undefined;
      if (f === undefined) { this.inner.input(pkt); return; }
    }
    f.lastPkt = pkt;
    f.last = this.gw.host.network.sched.now();
    // The flow's socket is bound and connected now: UDP delivers the datagram to it.
    this.inner.input(pkt);
  }

  icmpError(err: IcmpError): void {
    this.inner.icmpError(err);
  }

  stats(): UdpNatStats {
    return { flows: this.flows.size, ...this.counters };
  }

  close(): Promise<void> {
    this.closing = true;
    const waits: Promise<void>[] = [];
    for (const f of [...this.flows.values()]) waits.push(this.closeFlow(f));
    return Promise.all(waits).then(() => {});
  }

  private open(key: string, pkt: IpPacket, sport: number, dport: number, target: string): Flow | null {
    const sys = this.gw.host.sys;
    const fam = pkt.family;
    const local: InetAddr = { family: fam, address: pkt.dst, port: dport };
    const client: InetAddr = { family: fam, address: pkt.src, port: sport };
    if (fam === 6) {
      if (isLinkLocal6(pkt.dst)) local.scopeid = pkt.ifindex;
      if (isLinkLocal6(pkt.src)) client.scopeid = pkt.ifindex;
    }
    const fd = sys.socket(fam === 4 ? AF_INET : AF_INET6, SOCK_DGRAM);
    if (fd < 0) return null;
    // Several clients may talk to the same gateway port: each flow's socket is connected to its own.
    sys.setsockopt(fd, 'SOL_SOCKET', 'SO_REUSEADDR', 1);
    if (sys.bind(fd, local) < 0 || sys.connect(fd, client) < 0) { sys.close(fd); return null; }
    const sched = this.gw.host.network.sched;
    const f = new Flow(key, fam, client, local, target, sched.now());
    f.fd = fd;
    this.flows.set(key, f);
    this.counters.opened++;

    const tfam = ipFamily(target) as 4 | 6;
    const real = createSocket(tfam === 4 ? 'udp4' : 'udp6');
    f.real = real;
    real.on('message', (msg) => this.fromReal(f, msg));
    real.on('error', (e: NodeJS.ErrnoException) => this.realError(f, e));
    const connect = (): void => {
      real.connect(dport, target, () => {
        if (f.closed) return;
        f.connected = true;
        this.drain(f);
      });
    };
    // A loopback target: the real socket never binds to more than loopback.
    const tb = parseIP(target);
    if (tb !== null && isLoopbackIP(tb)) real.bind({ address: tfam === 4 ? '127.0.0.1' : '::1', port: 0 }, connect);
    else connect();

    f.unwatch = sys.watch(fd, POLLIN | POLLERR, () => this.drain(f));
    this.arm(f);
    return f;
  }

  /** Reads the flow socket: the client's datagrams go to the real socket. */
  private drain(f: Flow): void {
    if (f.closed || !f.connected) return;
    const sys = this.gw.host.sys;
    for (;;) {
      const d = sys.recvfrom(f.fd);
      if (typeof d === 'number') {
        if (d === -EAGAIN) return;
        // The client answered our reply with an ICMP error (its port is closed): the flow is over.
        void this.closeFlow(f);
        return;
      }
      this.counters.datagramsToReal++;
      this.counters.bytesToReal += d.data.length;
      f.real!.send(d.data, (err) => { if (err) this.counters.dropped++; });
    }
  }

  private fromReal(f: Flow, msg: Buffer): void {
    if (f.closed) return;
    const sched = this.gw.host.network.sched;
    f.last = sched.now();
    f.replied = true;
    const r = this.gw.host.sys.send(f.fd, msg);
    if (r < 0) { this.counters.dropped++; return; }
    this.counters.datagramsToVirtual++;
    this.counters.bytesToVirtual += msg.length;
  }

  private realError(f: Flow, e: NodeJS.ErrnoException): void {
    if (f.closed) return;
    // RFC 1122 §4.1.3.3: the real peer's port is closed; tell the client as a router would,
    // with an ICMP port unreachable about its datagram (RFC 792, RFC 4443 §3.1).
    if (e.code === 'ECONNREFUSED' && f.lastPkt !== null) {
      this.counters.refused++;
      this.gw.host.kernel.sendUnreachable(f.lastPkt, 'port');
      return;
    }
    this.counters.dropped++;
  }

  /** The idle timer: one event per flow, moved forward lazily when it fires early. */
  private arm(f: Flow): void {
    const sched = this.gw.host.network.sched;
    const due = f.last + this.idleMs(f);
    f.timer = sched.at(due, () => {
      f.timer = null;
      if (f.closed) return;
      if (sched.now() >= f.last + this.idleMs(f)) {
        this.counters.expired++;
        void this.closeFlow(f);
        return;
      }
      this.arm(f);
    });
  }

  private idleMs(f: Flow): number {
    return udpIdleMs(this.gw.udpIdleMs, f.replied, f.last - f.opened);
  }

  private closeFlow(f: Flow): Promise<void> {
    if (f.closed) return Promise.resolve();
    f.closed = true;
    this.flows.delete(f.key);
    f.timer?.cancel();
    f.unwatch?.();
    this.gw.host.sys.close(f.fd);
    f.lastPkt = null;
    const real = f.real;
    if (real === null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      try {
        real.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}
