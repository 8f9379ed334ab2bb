// world.gateway(): a way out of the virtual network to this machine's real sockets, designed like
// QEMU's user-mode networking (slirp). The gateway is a virtual host of its own, plugged into a
// switch or a cable like any other; TCP connections and UDP flows that virtual hosts open TO ONE
// OF ITS ADDRESSES, on any port, are carried by real node:net / node:dgram sockets of this
// process to the mapped real address and the same port:
//
//   const world = new Network({ clock: 'real' });
//   const gw = world.gateway({ attach: lan, ipv4: '10.0.0.254/24', ipv6: 'fd00::fe/64' });
//   // a virtual host: net.connect(6379, '10.0.0.254') reaches 127.0.0.1:6379 on this machine
//   gw.stats(); await gw.close();
//
// Addresses: every unicast address of the gateway host is translated, by `map` when it names it,
// else IPv4 to 127.0.0.1 and IPv6 to ::1. Nothing leaves for a non-loopback address unless `map`
// says so explicitly. Packets the gateway host sends to itself (over lo) are not translated.
//
// Where it sits: the gateway's NAT takes the place of the host's UDP and TCP in the kernel's
// protocol table and hands everything it does not translate to them (netfilter's LOCAL_IN hook,
// in Linux terms). UDP flows: src/doors/gateway-udp.ts; TCP: src/doors/gateway-tcp.ts.
import { canonicalIP, ipFamily } from '../wire/addr.js';
import { parseDuration } from '../links/clock.js';
import type { Port } from '../links/port.js';
import type { Switch } from '../links/switch.js';
import type { Cable } from '../links/cable.js';
import type { DoorHost, DoorNetwork } from './door-host.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../kernel/ip-types.js';
import type { Udp } from '../kernel/udp.js';
import type { Tcp } from '../kernel/tcp/index.js';
import { UdpNat, type UdpNatStats } from './gateway-udp.js';
import { TcpNat, type TcpNatStats } from './gateway-tcp.js';

export interface GatewayOptions {
  /** The switch, cable or port the gateway's interface plugs into (or attach it later through `gw.host`). */
  attach?: Switch | Cable | Port;
  /** The gateway's IPv4 address(es) on that interface, CIDR: '10.0.0.254/24'. */
  ipv4?: string | readonly string[];
  /** Its IPv6 address(es), CIDR: 'fd00::fe/64'. */
  ipv6?: string | readonly string[];
  /** Gateway address -> real address: { '10.0.0.254': '127.0.0.1' }. Default: IPv4 -> 127.0.0.1, IPv6 -> ::1. */
  map?: Readonly<Record<string, string>>;
  /** The gateway host's name (default 'gateway'): other hosts resolve it like any host name. */
  name?: string;
  /**
   * A UDP flow with no datagram either way for this long is closed (ms or '30s'). Default as Linux
   * conntrack: 30 s, and 120 s once replies came back and the flow lived past 2 s.
   */
  udpIdleTimeout?: number | string;
  /**
   * How long a real TCP connect may take; then the virtual client's SYN is left unanswered and
   * it times out by itself. Default: no limit of ours (the real kernel's SYN retries decide).
   */
  connectTimeout?: number | string;
}

export interface GatewayStats {
  tcp: TcpNatStats;
  udp: UdpNatStats;
}

/** What the gateway's translators share: the host, the address map and the timeouts. */
export interface GatewayContext {
  readonly host: DoorHost;
  /** The fixed UDP idle timeout, or 0 for conntrack's two timeouts. */
  readonly udpIdleMs: number;
  /** The real connect timeout, or 0 for none. */
  readonly connectMs: number;
  /** The real address that a packet to `dst` (one of the gateway's own addresses) goes to, or null: not translated. */
  realAddress(family: 4 | 6, dst: string): string | null;
}

export class Gateway<H extends DoorHost = DoorHost> implements GatewayContext {
  /** The gateway's virtual host (its kernel answers ARP, NDP and pings itself). */
  readonly host: H;
  readonly udpIdleMs: number;
  readonly connectMs: number;
  private readonly map = new Map<string, string>();
  private readonly udp: UdpNat;
  private readonly tcp: TcpNat;
  private closed = false;

  constructor(network: DoorNetwork<H>, opts: GatewayOptions = {}) {
    if (network.sched.mode !== 'real') {
      throw new Error('gateway: real sockets run in wall-clock time; create the network with new Network({ clock: \'real\' })');
    }
    if (opts === null || typeof opts !== 'object') throw new TypeError('gateway: options must be an object');
    this.udpIdleMs = opts.udpIdleTimeout === undefined ? 0 : parseDuration(opts.udpIdleTimeout, 'gateway: udpIdleTimeout');
    this.connectMs = opts.connectTimeout === undefined ? 0 : parseDuration(opts.connectTimeout, 'gateway: connectTimeout');
    for (const [from, to] of Object.entries(opts.map ?? {})) {
      const f = canonicalIP(from);
      const t = typeof to === 'string' ? canonicalIP(to) : null;
      if (f === null) throw new TypeError(`gateway: map key '${from}' is not an IP address`);
      if (t === null) throw new TypeError(`gateway: map['${from}'] = '${String(to)}' is not an IP address`);
      this.map.set(f, t);
    }
    if (opts.attach === undefined && (opts.ipv4 !== undefined || opts.ipv6 !== undefined)) {
      throw new TypeError('gateway: ipv4/ipv6 need `attach` (or attach gw.host yourself)');
    }
    if (opts.attach !== undefined) {
      const own = new Set([...list(opts.ipv4), ...list(opts.ipv6)].map((a) => canonicalIP(a.split('/')[0]!)));
      for (const from of this.map.keys()) {
        if (!own.has(from)) throw new Error(`gateway: map key '${from}' is not an address of the gateway (its addresses are ipv4/ipv6)`);
      }
    }
    this.host = network.host(opts.name ?? 'gateway');
    if (opts.attach !== undefined) {
      this.host.attach(opts.attach, {
        ...(opts.ipv4 !== undefined ? { ipv4: opts.ipv4 } : {}),
        ...(opts.ipv6 !== undefined ? { ipv6: opts.ipv6 } : {}),
      });
    }
    const k = this.host.kernel;
    const udp = k.transports[IPPROTO_UDP] as Udp;
    this.udp = new UdpNat(udp, this);
    k.register(this.udp);
    this.tcp = new TcpNat(k.transports[IPPROTO_TCP] as Tcp, this);
    k.register(this.tcp);
  }

  realAddress(family: 4 | 6, dst: string): string | null {
    if (this.closed) return null;
    const m = this.map.get(dst);
    if (m !== undefined) return m;
    return family === 4 ? '127.0.0.1' : '::1';
  }

  /** Counters: connections and flows open and opened, bytes each way, errors mapped back. */
  stats(): GatewayStats {
    return { tcp: this.tcp.stats(), udp: this.udp.stats() };
  }

  /** Closes every flow and connection through the gateway; new ones are no longer translated. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return Promise.all([this.tcp.close(), this.udp.close()]).then(() => {});
  }
}

function list(v: string | readonly string[] | undefined): readonly string[] {
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : v;
}
