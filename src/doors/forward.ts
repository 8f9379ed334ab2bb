// world.forward(realPort, host, port): a real listening port of this process that leads to a
// virtual server, like `ssh -L` or QEMU's hostfwd. The real side listens on 127.0.0.1 unless
// told otherwise; each real connection becomes a host.net connection to the virtual server, made
// by `from` (default: the server's host itself, over its loopback) and joined to it
// (src/links/relay.ts):
//
//   const fwd = await world.forward(0, web, 80);           // real 127.0.0.1:fwd.port -> web:80
//   // curl http://127.0.0.1:${fwd.port}/ is answered by web's host.net HTTP server
//   await fwd.close();
//
// TCP errors map both ways: a refused (or failed) virtual connect resets the real connection;
// FIN, RST and errors cross as in relay.ts. With { protocol: 'udp' } each real client (address,
// port) gets a virtual datagram socket connected to the server; replies go back to that client;
// idle flows close as the gateway's do (conntrack's timeouts, or udpIdleTimeout).
import * as nodeNet from 'node:net';
import * as nodeDgram from 'node:dgram';
import type { Server as RealServer, Socket as RealSocket } from 'node:net';
import type { RemoteInfo, Socket as RealUdpSocket } from 'node:dgram';
import { canonicalIP, ipFamily } from '../wire/addr.js';
import { AF_INET, AF_INET6, POLLERR, POLLIN, SOCK_DGRAM } from '../uapi/socket.js';
import { EAGAIN } from '../uapi/errno.js';
import { parseDuration, type Timer } from '../links/clock.js';
import { relay, type StreamSocket } from '../links/relay.js';
import { udpIdleMs } from './gateway-udp.js';
import type { DoorHost as Host, DoorNetwork as Network } from './door-host.js';

// Node's own modules, read when this module loads (usernet/register later points node:net and
// node:dgram at a virtual host).
const createServer = nodeNet.createServer;
const createSocket = nodeDgram.createSocket;

export interface ForwardOptions {
  /** 'tcp' (default) or 'udp'. */
  protocol?: 'tcp' | 'udp';
  /** The real address to listen on (default '127.0.0.1'; '::1' for IPv6 loopback). */
  bind?: string;
  /** The virtual host that opens the connections to the server (default: the server's host). */
  from?: Host;
  /** The server's virtual address (default 127.0.0.1 from the host itself, else its first address). */
  address?: string;
  /** UDP: a flow idle this long closes (ms or '30s'; default conntrack's 30 s / 120 s). */
  udpIdleTimeout?: number | string;
}

export interface ForwardStats {
  /** TCP: connections joined now; UDP: flows open now. */
  active: number;
  /** Connections or flows opened. */
  opened: number;
  /** Virtual connects refused or failed (the real connection was reset); UDP: ICMP errors from the server. */
  refused: number;
  /** TCP: joined connections that ended with a reset or an error. */
  reset: number;
  /** UDP: flows closed for being idle. */
  expired: number;
  /** Payload bytes from real clients to the virtual server, and back. */
  bytesToVirtual: number;
  bytesToReal: number;
  /** UDP: datagrams each way, and those that could not be sent. */
  datagramsToVirtual: number;
  datagramsToReal: number;
  dropped: number;
}

/** A forwarded port. */
export class Forward {
  /** The real port listened on. */
  readonly port: number;
  /** The real address listened on. */
  readonly address: string;
  readonly protocol: 'tcp' | 'udp';
  /** @internal */
  constructor(private readonly impl: TcpForward | UdpForward) {
    this.port = impl.port;
    this.address = impl.address;
    this.protocol = impl instanceof TcpForward ? 'tcp' : 'udp';
  }
  stats(): ForwardStats {
    return { ...this.impl.counters, active: this.impl.active() };
  }
  /** Stops listening and closes every forwarded connection or flow. */
  close(): Promise<void> {
    return this.impl.close();
  }
}

type Counters = Omit<ForwardStats, 'active'>;
function counters(): Counters {
  return { opened: 0, refused: 0, reset: 0, expired: 0, bytesToVirtual: 0, bytesToReal: 0, datagramsToVirtual: 0, datagramsToReal: 0, dropped: 0 };
}

interface Target {
  from: Host;
  address: string;
  family: 4 | 6;
  port: number;
}

/** Checks the arguments, then listens; resolves once the real port is open. */
export function openForward(network: Network, realPort: number, host: Host, port: number, opts: ForwardOptions = {}): Promise<Forward> {
  if (network.sched.mode !== 'real') {
    return Promise.reject(new Error('forward: real sockets run in wall-clock time; create the network with new Network({ clock: \'real\' })'));
  }
  if (!Number.isInteger(realPort) || realPort < 0 || realPort > 65535) return Promise.reject(new RangeError(`forward: realPort must be 0-65535, got ${String(realPort)}`));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return Promise.reject(new RangeError(`forward: port must be 1-65535, got ${String(port)}`));
  if (host === null || typeof host !== 'object' || host.network !== network) return Promise.reject(new TypeError('forward: host must be a host of this network'));
  const from = opts.from ?? host;
  if (from.network !== network) return Promise.reject(new TypeError('forward: from must be a host of this network'));
  const protocol = opts.protocol ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp') return Promise.reject(new TypeError(`forward: protocol must be 'tcp' or 'udp', got ${String(protocol)}`));
  const bind = canonicalIP(opts.bind ?? '127.0.0.1');
  if (bind === null) return Promise.reject(new TypeError(`forward: bind must be an IP address, got ${String(opts.bind)}`));
  let address: string | null;
  if (opts.address !== undefined) address = canonicalIP(opts.address);
  else address = from === host ? '127.0.0.1' : firstAddress(host);
  if (address === null) return Promise.reject(new TypeError(`forward: no address to reach ${host.name} at (give opts.address)`));
  const target: Target = { from, address, family: ipFamily(address) as 4 | 6, port };
  if (protocol === 'tcp') return TcpForward.open(bind, realPort, target).then((f) => new Forward(f));
  const idle = opts.udpIdleTimeout === undefined ? 0 : parseDuration(opts.udpIdleTimeout, 'forward: udpIdleTimeout');
  return UdpForward.open(bind, realPort, target, idle).then((f) => new Forward(f));
}

function firstAddress(h: Host): string | null {
  for (const i of h.interfaces) if (i !== h.kernel.lo) for (const a of i.v4) return a.address;
  for (const i of h.interfaces) if (i !== h.kernel.lo) for (const a of i.v6) if (a.scope === 'global') return a.address;
  return null;
}

class TcpForward {
  readonly counters = counters();
  private readonly live = new Set<RealSocket>();
  private joined = 0;
  port = 0;

  private constructor(private readonly server: RealServer, readonly address: string, private readonly target: Target) {}

  static open(bind: string, realPort: number, target: Target): Promise<TcpForward> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    const f = new TcpForward(server, bind, target);
    server.on('connection', (real: RealSocket) => f.connection(real));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(realPort, bind, () => {
        server.removeListener('error', reject);
        f.port = (server.address() as { port: number }).port;
        resolve(f);
      });
    });
  }

  active(): number {
    return this.joined;
  }

  private connection(real: RealSocket): void {
    const t = this.target;
    this.live.add(real);
    real.on('error', () => {}); // before the join; relay() maps errors after it
    real.once('close', () => this.live.delete(real));
    const v = t.from.net.connect({ host: t.address, port: t.port, allowHalfOpen: true }) as unknown as StreamSocket;
    let joined = false;
    v.once('connect', () => {
      if (real.destroyed) { v.destroy(); return; }
      joined = true;
      this.joined++;
      this.counters.opened++;
      relay(real, v, {
        aToB: (n) => { this.counters.bytesToVirtual += n; },
        bToA: (n) => { this.counters.bytesToReal += n; },
        closed: (reset) => { this.joined--; if (reset) this.counters.reset++; },
      });
    });
    v.once('error', () => {
      if (joined) return;
      // The virtual server refused (or could not be reached): the real client sees a reset.
      this.counters.refused++;
      real.resetAndDestroy();
    });
    real.once('close', () => { if (!joined) v.destroy(); });
  }

  close(): Promise<void> {
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.live) s.destroy();
    return done;
  }
}

class UdpFlow {
  fd = -1;
  last: number;
  replied = false;
  closed = false;
  timer: Timer | null = null;
  unwatch: (() => void) | null = null;
  constructor(readonly key: string, readonly client: RemoteInfo, readonly opened: number) {
    this.last = opened;
  }
}

class UdpForward {
  readonly counters = counters();
  private readonly flows = new Map<string, UdpFlow>();
  port = 0;

  private constructor(private readonly sock: RealUdpSocket, readonly address: string, private readonly target: Target, private readonly idle: number) {}

  static open(bind: string, realPort: number, target: Target, idle: number): Promise<UdpForward> {
    const sock = createSocket(ipFamily(bind) === 4 ? 'udp4' : 'udp6');
    const f = new UdpForward(sock, bind, target, idle);
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(realPort, bind, () => {
        sock.removeListener('error', reject);
        sock.on('error', () => { f.counters.dropped++; });
        sock.on('message', (msg, rinfo) => f.fromReal(msg, rinfo));
        f.port = sock.address().port;
        resolve(f);
      });
    });
  }

  active(): number {
    return this.flows.size;
  }

  private fromReal(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address} ${rinfo.port}`;
    const f = this.flows.get(key) ?? this.open(key, rinfo);
    if (f === null) { this.counters.dropped++; return; }
    f.last = this.target.from.network.sched.now();
    const r = this.target.from.sys.send(f.fd, msg);
    if (r < 0) { this.counters.dropped++; return; }
    this.counters.datagramsToVirtual++;
    this.counters.bytesToVirtual += msg.length;
  }

  private open(key: string, client: RemoteInfo): UdpFlow | null {
    const t = this.target;
    const sys = t.from.sys;
    const fd = sys.socket(t.family === 4 ? AF_INET : AF_INET6, SOCK_DGRAM);
    if (fd < 0) return null;
    if (sys.connect(fd, { family: t.family, address: t.address, port: t.port }) < 0) { sys.close(fd); return null; }
    const sched = t.from.network.sched;
    const f = new UdpFlow(key, client, sched.now());
    f.fd = fd;
    this.flows.set(key, f);
    this.counters.opened++;
    f.unwatch = sys.watch(fd, POLLIN | POLLERR, () => this.drain(f));
    this.arm(f);
    return f;
  }

  /** The virtual server's replies go back to the flow's real client. */
  private drain(f: UdpFlow): void {
    const sys = this.target.from.sys;
    while (!f.closed) {
      const d = sys.recvfrom(f.fd);
      if (d === -EAGAIN) return;
      if (typeof d === 'number') {
        // An ICMP error from the virtual side (port unreachable: nothing listens there). UDP has
        // no way to say so to the real client without raw sockets: counted.
        this.counters.refused++;
        continue;
      }
      f.last = this.target.from.network.sched.now();
      f.replied = true;
      this.counters.datagramsToReal++;
      this.counters.bytesToReal += d.data.length;
      this.sock.send(d.data, f.client.port, f.client.address, (err) => { if (err) this.counters.dropped++; });
    }
  }

  private arm(f: UdpFlow): void {
    const sched = this.target.from.network.sched;
    f.timer = sched.at(f.last + udpIdleMs(this.idle, f.replied, f.last - f.opened), () => {
      f.timer = null;
      if (f.closed) return;
      if (sched.now() >= f.last + udpIdleMs(this.idle, f.replied, f.last - f.opened)) {
        this.counters.expired++;
        this.closeFlow(f);
        return;
      }
      this.arm(f);
    });
  }

  private closeFlow(f: UdpFlow): void {
    if (f.closed) return;
    f.closed = true;
    this.flows.delete(f.key);
    f.timer?.cancel();
    f.unwatch?.();
    this.target.from.sys.close(f.fd);
  }

  close(): Promise<void> {
    for (const f of [...this.flows.values()]) this.closeFlow(f);
    return new Promise<void>((resolve) => {
      try { this.sock.close(() => resolve()); } catch { resolve(); }
    });
  }
}
