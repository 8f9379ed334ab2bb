// One host's kernel below the transports: interfaces, addresses, routes, neighbours, IPv4,
// IPv6, fragments, ICMP, multicast. It implements IpLayer (ip-types.ts) for UDP and TCP.
//
// Route lookups are cached per destination string (cleared whenever routes, addresses or
// interfaces change), so the per-packet output path is: one Map lookup for the path, header
// writes in the headroom, one Map lookup in the neighbour table, Port.send.

import { formatIPv4, formatIPv6, ipFamily, isLinkLocalIP, isMulticastIP, linkLocalFromMac, multicastMac, parseCIDR, parseIPv4, parseIPv6, prefixMatch, solicitedNodeMulticast } from '../wire/addr.js';
import { copyBytes, get32 } from '../wire/bytes.js';
import type { Scheduler } from '../links/clock.js';
import type { LinkLayer, Port } from '../links/port.js';
import type { Random } from '../links/random.js';
import { EACCES, EADDRNOTAVAIL, EEXIST, EHOSTUNREACH, EINVAL, ENETUNREACH } from '../uapi/errno.js';
import type { IcmpError, IpLayer, IpOutputOptions, IpPacket, RouteResult, TransportProtocol } from './ip-types.js';
import { IPPROTO_UDP } from './ip-types.js';
import { Interface, NO_MAC, type Ipv4Address, type Ipv6Address } from './interface.js';
import { Loopback, LOOPBACK_MTU } from './loopback.js';
import { RouteTable, makeRoute, maskOf, type Route } from './routes.js';
import { NeighbourGroup, NeighbourTable } from './neighbour.js';
import { PmtuCache } from './pmtu.js';
import { createStats, type KernelStats } from './stats.js';
import { Ipv4 } from './ipv4.js';
import { Ipv6 } from './ipv6.js';
import { Arp } from './arp.js';
import { Ndp } from './ndp.js';
import { Icmp } from './icmp.js';
import { Icmp6 } from './icmp6.js';
import { Multicast } from './multicast.js';
import { Pinger, type PingOptions, type PingResult } from './ping.js';
import { INT_MAX, SysctlTable } from './sysctl.js';
import { Softnet } from './softnet.js';
import { LazyMap } from '../links/lazy.js';
import { registerFragSysctls } from './fragments.js';

/** An IpPacket as the kernel builds it: with the raw IP packet, for ICMP errors that quote it. */
export interface KernelPacket extends IpPacket {
  /** The whole IP packet (header first), reassembled when it came in fragments. */
  raw: Uint8Array;
}

/** A resolved route toward one destination: what output needs, cached per destination. */
export interface Path {
  readonly family: 4 | 6;
  readonly type: 'unicast' | 'local' | 'broadcast' | 'multicast';
  readonly dst: string;
  readonly dstBytes: Uint8Array;
  readonly iface: Interface;
  readonly via: string | undefined;
  /** Neighbour key and address: the gateway, or the destination when on-link. */
  readonly hop: string;
  readonly hopBytes: Uint8Array;
  readonly src: string;
  readonly srcBytes: Uint8Array;
  /** Route or interface MTU (a learned path MTU is applied on top at use). */
  readonly mtu: number;
  /** Link-layer destination for broadcast and multicast (no neighbour resolution). */
  readonly linkDst: Uint8Array | null;
  readonly route: Route | null;
}

export interface KernelOptions {
  name: string;
  sched: Scheduler;
  random: Random;
  /** Route packets between interfaces (net.ipv4.ip_forward / net.ipv6.conf.all.forwarding). */
  forwarding?: boolean;
}

export interface InterfaceOptions {
  name?: string;
  mtu?: number;
  mac: Uint8Array;
  layer?: LinkLayer;
}

const DEFAULT_TTL = 64; // Linux net.ipv4.ip_default_ttl, net.ipv6.conf.*.hop_limit

export class Kernel implements IpLayer {
  readonly name: string;
  readonly sched: Scheduler;
  readonly random: Random;
  forwarding: boolean;
  readonly stats: KernelStats;
  readonly lo: Loopback;
  readonly routes4 = new RouteTable(4);
  readonly routes6 = new RouteTable(6);
  /** Own IPv4 addresses by 32-bit value; own IPv6 addresses by canonical string. */
  readonly local4 = new Map<number, Ipv4Address>();
  readonly local6 = new Map<string, Ipv6Address>();
  readonly pmtu4: PmtuCache;
  readonly pmtu6: PmtuCache;
  /** By IP protocol number: sized for TCP and UDP (reads past the end give undefined; others grow it). */
  readonly transports: Array<TransportProtocol | undefined> = new Array(IPPROTO_UDP + 1);
  readonly ipv4: Ipv4;
  readonly ipv6: Ipv6;
  readonly arpProto: Arp;
  readonly ndp: Ndp;
  readonly icmp: Icmp;
  readonly icmp6: Icmp6;
  readonly mcast: Multicast;
  readonly pinger: Pinger;
  /** The host's sysctl settings (net.ipv4.tcp_*, net.core.*): each layer registers what it reads. */
  readonly sysctl = new SysctlTable();
  /** Default TTL / hop limit for unicast. */
  defaultTtl = DEFAULT_TTL;
  /** The host's ARP and neighbour discovery tables as Linux counts them: one per family, over every interface (gc_thresh1/2/3). */
  readonly neigh4 = new NeighbourGroup();
  readonly neigh6 = new NeighbourGroup();
  /** The receive rounds of the host's links (net.core.netdev_budget, softnet.ts). */
  readonly softnet: Softnet;
  private readonly ifaces: Interface[] = [];
  private readonly cache4 = new LazyMap<string, Path>();
  private readonly cache6 = new LazyMap<string, Path>();
  private nextEth = 0;

  constructor(opts: KernelOptions) {
    this.name = opts.name;
    this.sched = opts.sched;
    this.random = opts.random;
    this.forwarding = opts.forwarding ?? false;
    this.stats = createStats();
    this.softnet = new Softnet(this.sched);
    // Linux ip_rt_min_pmtu = 552 (512 + 20 + 20); RFC 8200 §5: IPv6 links carry at least 1280.
    this.pmtu4 = new PmtuCache(this.sched, 552);
    this.pmtu6 = new PmtuCache(this.sched, 1280);
    this.ipv4 = new Ipv4(this);
    this.ipv6 = new Ipv6(this);
    // Built when the host's settings are first looked at (most hosts never are).
    this.sysctl.provide((t) => {
      registerFragSysctls(t, 'net.ipv4.ipfrag_', this.ipv4.reasm.params);
      registerFragSysctls(t, 'net.ipv6.ip6frag_', this.ipv6.reasm.params);
      const sn = this.softnet;
      t.register('net.core.netdev_budget', { kind: 'int', min: 0, max: INT_MAX, get: () => sn.budget, set: (v) => { sn.budget = v; } });
      for (const [fam, g] of [['ipv4', this.neigh4], ['ipv6', this.neigh6]] as const) {
        t.register(`net.${fam}.neigh.default.gc_thresh1`, { kind: 'int', min: 0, max: INT_MAX, get: () => g.gcThresh1, set: (v) => { g.gcThresh1 = v; } });
        t.register(`net.${fam}.neigh.default.gc_thresh2`, { kind: 'int', min: 0, max: INT_MAX, get: () => g.gcThresh2, set: (v) => { g.gcThresh2 = v; } });
        t.register(`net.${fam}.neigh.default.gc_thresh3`, { kind: 'int', min: 0, max: INT_MAX, get: () => g.gcThresh3, set: (v) => { g.gcThresh3 = v; } });
      }
    });
    this.arpProto = new Arp(this);
    this.ndp = new Ndp(this);
    this.icmp = new Icmp(this);
    this.icmp6 = new Icmp6(this);
    this.mcast = new Multicast(this);
    this.pinger = new Pinger(this);
    this.ifaces.push(undefined as unknown as Interface); // ifindex 0 is "any"
    this.lo = new Loopback(this);
    this.ifaces.push(this.lo);
    this.addAddress(this.lo, '127.0.0.1/8');
    this.addAddress(this.lo, '::1/128');
  }

  // ---- interfaces and addresses ---------------------------------------------------------------

  get interfaces(): readonly Interface[] {
    return this.ifaces.slice(1);
  }

  iface(nameOrIndex: string | number): Interface | undefined {
    if (typeof nameOrIndex === 'number') return nameOrIndex > 0 ? this.ifaces[nameOrIndex] : undefined;
    for (let i = 1; i < this.ifaces.length; i++) if (this.ifaces[i]!.name === nameOrIndex) return this.ifaces[i];
    return undefined;
  }

  /** The name the next Ethernet interface gets: eth0, eth1, ... */
  nextInterfaceName(): string {
    let n = this.nextEth;
    while (this.iface(`eth${n}`) !== undefined) n++;
    return `eth${n}`;
  }

  /** Plugs a new interface (eth0, eth1, ...) into `port`. */
  addInterface(port: Port, opts: InterfaceOptions): Interface {
    const layer = opts.layer ?? port.layer;
    const name = opts.name ?? this.nextInterfaceName();
    if (name === `eth${this.nextEth}`) this.nextEth++;
    if (this.iface(name)) throw new Error(`${this.name}: interface ${name} already exists`);
    const mtu = opts.mtu ?? port.mtu;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65536) throw new RangeError(`${this.name}: bad MTU ${mtu} for ${name} (68..65536)`);
    const iface = new Interface(this, name, this.ifaces.length, layer, mtu, layer === 2 ? copyBytes(opts.mac, 0, 6) : NO_MAC, port);
    this.ifaces.push(iface);
    if (layer === 2) {
      iface.arp = new NeighbourTable(iface, 4, this.sched, this.random, this.arpProto, this.stats.arp, this.neigh4);
      iface.nd = new NeighbourTable(iface, 6, this.sched, this.random, this.ndp, this.stats.ndisc, this.neigh6);
    }
    this.mcast.interfaceAdded(iface);
    if (layer === 2) {
      // RFC 4862 §5.3: every Ethernet interface gets a link-local address from its MAC (EUI-64,
      // RFC 4291 Appendix A). Duplicate address detection (RFC 4862 §5.4) is not performed:
      // MACs in a network are unique by construction, so the link-local is usable at once.
      this.addAddressBytes(iface, linkLocalFromMac(iface.mac), 64);
    }
    this.invalidate();
    return iface;
  }

  /** Adds an address in CIDR form; throws a clear error when malformed or already there. */
  addAddress(iface: Interface, cidr: string): void {
    const c = parseCIDR(cidr);
    if (c === null) throw new TypeError(`${this.name}: '${cidr}' is not an address (use '10.0.0.1/24' or 'fd00::1/64')`);
    this.addAddressBytes(iface, c.address, c.prefix);
  }

  private addAddressBytes(iface: Interface, bytes: Uint8Array, prefix: number): void {
    if (bytes.length === 4) {
      const u32 = get32(bytes, 0);
      if (iface.v4.some((a) => a.u32 === u32)) throw codeError(`RTNETLINK answers: File exists (${formatIPv4(bytes)} on ${iface.name})`, 'EEXIST', EEXIST);
      if (isMulticastIP(bytes) || u32 === 0 || u32 === 0xffffffff) throw new RangeError(`${this.name}: ${formatIPv4(bytes)} cannot be an interface address`);
      const mask32 = maskOf(prefix);
      // One copy of the bytes and one string serve the address and what input hands to transports (both read-only).
      const address = formatIPv4(bytes);
      const own = bytes.slice();
      const a: Ipv4Address = {
        family: 4, address, bytes: own, u32, prefix, mask32,
        bcast32: prefix >= 31 ? u32 : (u32 | ~mask32) >>> 0, iface, input: { name: address, bytes: own },
      };
      iface.v4.push(a);
      if (!this.local4.has(u32)) this.local4.set(u32, a);
      // A connected route for the subnet (Linux fib_add_ifaddr: proto kernel scope link src <addr>).
      if (iface !== this.lo && prefix < 32) {
        this.routes4.add(makeRoute(4, bytes, prefix, { dev: iface, src: a.address, proto: 'kernel', scope: 'link', metric: 0 }));
      }
    } else {
      const address = formatIPv6(bytes);
      if (iface.v6.some((a) => a.address === address)) throw codeError(`RTNETLINK answers: File exists (${address} on ${iface.name})`, 'EEXIST', EEXIST);
      if (isMulticastIP(bytes) || bytes.every((b) => b === 0)) throw new RangeError(`${this.name}: ${address} cannot be an interface address`);
      const scope = iface === this.lo ? 'host' : isLinkLocalIP(bytes) ? 'link' : 'global';
      const solicited = formatIPv6(solicitedNodeMulticast(bytes));
      const a: Ipv6Address = { family: 6, address, bytes: bytes.slice(), prefix, scope, solicited, iface };
      iface.v6.push(a);
      if (!this.local6.has(address)) this.local6.set(address, a);
      // Linux addrconf_prefix_route: connected prefix route, metric 256 (IP6_RT_PRIO_ADDRCONF).
      if (iface !== this.lo && prefix < 128) {
        this.routes6.add(makeRoute(6, bytes, prefix, { dev: iface, proto: 'kernel', scope: 'link', metric: 256 }));
      }
      // RFC 4861 §7.2.1: join the solicited-node multicast group of every unicast address.
      if (iface.layer === 2) this.mcast.joinInternal(6, solicited, iface);
    }
    this.invalidate();
  }

  delAddress(iface: Interface, cidr: string): void {
    const c = parseCIDR(cidr);
    if (c === null) throw new TypeError(`${this.name}: '${cidr}' is not an address`);
    if (c.address.length === 4) {
      const u32 = get32(c.address, 0);
      const i = iface.v4.findIndex((a) => a.u32 === u32);
      if (i < 0) throw codeError(`RTNETLINK answers: Cannot assign requested address (${cidr} is not on ${iface.name})`, 'EADDRNOTAVAIL', EADDRNOTAVAIL);
      const [a] = iface.v4.splice(i, 1);
      this.routes4.remove((r) => r.proto === 'kernel' && r.dev === iface && r.src === a!.address);
      this.local4.delete(u32);
      for (const x of this.ifaces) if (x) for (const b of x.v4) if (b.u32 === u32 && !this.local4.has(u32)) this.local4.set(u32, b);
    } else {
      const address = formatIPv6(c.address);
      const i = iface.v6.findIndex((a) => a.address === address);
      if (i < 0) throw codeError(`RTNETLINK answers: Cannot assign requested address (${cidr} is not on ${iface.name})`, 'EADDRNOTAVAIL', EADDRNOTAVAIL);
      const [a] = iface.v6.splice(i, 1);
      if (!iface.v6.some((b) => b.prefix === a!.prefix && prefixMatch(b.bytes, a!.bytes, a!.prefix))) {
        this.routes6.remove((r) => r.proto === 'kernel' && r.dev === iface && r.prefix === a!.prefix && prefixMatch(r.net, a!.bytes, a!.prefix));
      }
      this.local6.delete(address);
      for (const x of this.ifaces) if (x) for (const b of x.v6) if (b.address === address && !this.local6.has(address)) this.local6.set(address, b);
      if (iface.layer === 2) this.mcast.leaveInternal(6, a!.solicited, iface);
    }
    this.invalidate();
  }

  /** Routes, addresses or links changed: forget cached route results. */
  invalidate(): void {
    this.cache4.clear();
    this.cache6.clear();
  }

  // ---- route resolution -------------------------------------------------------------------------

  /** The cached path toward `dst` (a canonical address string), or a negative errno. */
  path(family: 4 | 6, dst: string, ifindex = 0): Path | number {
    const cache = family === 4 ? this.cache4 : this.cache6;
    const key = ifindex === 0 ? dst : `${dst}%${ifindex}`;
    let p = cache.get(key);
    if (p !== undefined) return p;
    const r = family === 4 ? this.resolve4(dst, ifindex) : this.resolve6(dst, ifindex);
    if (typeof r === 'number') return r;
    if (cache.size >= 4096) cache.clear();
    cache.set(key, r);
    return r;
  }

  /** The MTU in force on a path: the route's, or lower when learned from ICMP. */
  pathMtu(p: Path): number {
    const pm = p.family === 4 ? this.pmtu4 : this.pmtu6;
    if (pm.size === 0) return p.mtu;
    const m = pm.get(p.dst);
    return m !== 0 && m < p.mtu ? m : p.mtu;
  }

  private resolve4(dst: string, ifindex: number): Path | number {
    const b = parseIPv4(dst);
    if (b === null) return -EINVAL;
    const d32 = get32(b, 0);
    const lo = this.lo;
    const own = this.local4.get(d32);
    if (own !== undefined || b[0] === 127) {
      // Linux local table: own addresses and all of 127/8 are delivered through lo.
      const src = own !== undefined ? own.address : '127.0.0.1';
      return mkPath(4, 'local', dst, b, lo, undefined, dst, b, src, own !== undefined ? own.bytes : LO4, LOOPBACK_MTU, null, null);
    }
    if (d32 === 0xffffffff || (b[0]! & 0xf0) === 0xe0) {
      // Limited broadcast and multicast: the requested interface, else the route toward it,
      // else the first interface with an IPv4 address (Linux would need a route; a router-less
      // LAN has none, and node:dgram users expect broadcast/multicast to go out).
      let iface: Interface | undefined = ifindex !== 0 ? this.ifaces[ifindex] : undefined;
      let route: Route | null = null;
      if (iface === undefined) {
        route = this.routes4.lookup4(d32, 0);
        iface = route?.dev ?? this.ifaces.find((x, i) => i > 1 && x.up && x.v4.length > 0);
      }
      if (iface === undefined) return -ENETUNREACH;
      const a = iface.v4[0];
      const type = d32 === 0xffffffff ? 'broadcast' : 'multicast';
      const linkDst = iface === lo ? null : type === 'broadcast' ? BROADCAST : multicastMac(b);
      return mkPath(4, type, dst, b, iface, undefined, dst, b, a ? a.address : '0.0.0.0', a ? a.bytes : ANY4, iface.mtu, linkDst, route);
    }
    const route = this.routes4.lookup4(d32, ifindex);
    if (route === null) return -ENETUNREACH;
    if (route.type !== 'unicast') return routeTypeErrno(route.type);
    const iface = route.dev!;
    // RFC 919 / RFC 922: the directed broadcast of a connected subnet.
    for (const a of iface.v4) {
      if (a.prefix < 31 && a.bcast32 === d32) {
        return mkPath(4, 'broadcast', dst, b, iface, undefined, dst, b, a.address, a.bytes, routeMtu(route, iface), iface === lo ? null : BROADCAST, route);
      }
    }
    const hop = route.via ?? dst;
    const hopBytes = route.via !== undefined ? parseIPv4(route.via)! : b;
    const srcA = this.selectSource4(iface, get32(hopBytes, 0), route);
    if (srcA === null) return -EADDRNOTAVAIL;
    return mkPath(4, 'unicast', dst, b, iface, route.via, hop, hopBytes, srcA.address, srcA.bytes, routeMtu(route, iface), null, route);
  }

  /** Linux inet_select_addr: the route's prefsrc, else an address of the device on the next hop's subnet, else any. */
  private selectSource4(iface: Interface, hop32: number, route: Route): { address: string; bytes: Uint8Array } | null {
    if (route.src !== undefined) {
      const b = parseIPv4(route.src);
      if (b !== null) return { address: route.src, bytes: b };
    }
    for (const a of iface.v4) if (((hop32 & a.mask32) >>> 0) === ((a.u32 & a.mask32) >>> 0)) return a;
    if (iface.v4.length > 0) return iface.v4[0]!;
    for (const x of this.ifaces) if (x && x !== this.lo && x.v4.length > 0) return x.v4[0]!;
    return null;
  }

  private resolve6(dst: string, ifindex: number): Path | number {
    const b = parseIPv6(dst);
    if (b === null) return -EINVAL;
    const lo = this.lo;
    const own = this.local6.get(dst);
    if (own !== undefined || dst === '::1') {
      return mkPath(6, 'local', dst, b, lo, undefined, dst, b, dst, b, LOOPBACK_MTU, null, null);
    }
    if (b[0] === 0xff) {
      let iface: Interface | undefined = ifindex !== 0 ? this.ifaces[ifindex] : undefined;
      let route: Route | null = null;
      if (iface === undefined) {
        route = this.routes6.lookup6(b, 0);
        iface = route?.dev ?? this.ifaces.find((x, i) => i > 1 && x.up && x.layer === 2);
      }
      if (iface === undefined) return -ENETUNREACH;
      const src = this.selectSource6(iface, b);
      const linkDst = iface === lo ? null : multicastMac(b);
      return mkPath(6, 'multicast', dst, b, iface, undefined, dst, b, src ? src.address : '::', src ? src.bytes : ANY6, iface.mtu, linkDst, route);
    }
    const route = this.routes6.lookup6(b, ifindex);
    if (route === null) return -ENETUNREACH;
    if (route.type !== 'unicast') return routeTypeErrno(route.type);
    const iface = route.dev!;
    const hop = route.via ?? dst;
    const hopBytes = route.via !== undefined ? parseIPv6(route.via)! : b;
    const src = this.selectSource6(iface, b, route);
    if (src === null) return -EADDRNOTAVAIL;
    return mkPath(6, 'unicast', dst, b, iface, route.via, hop, hopBytes, src.address, src.bytes, routeMtu(route, iface), null, route);
  }

  /**
   * RFC 6724 §5 source selection, the rules that matter here: same scope as the destination
   * (rule 2: link-local for link-local and link-scope multicast), an address of the outgoing
   * interface (rule 5), the longest matching prefix (rule 8).
   */
  private selectSource6(iface: Interface, dst: Uint8Array, route?: Route): Ipv6Address | { address: string; bytes: Uint8Array } | null {
    if (route?.src !== undefined) {
      const b = parseIPv6(route.src);
      if (b !== null) return { address: route.src, bytes: b };
    }
    const linkScope = isLinkLocalIP(dst) || (dst[0] === 0xff && (dst[1]! & 0x0f) <= 2);
    let best: Ipv6Address | null = null;
    let bestLen = -1;
    for (const a of iface.v6) {
      if ((a.scope === 'link') !== linkScope) continue;
      const l = commonPrefix(a.bytes, dst);
      if (l > bestLen) { best = a; bestLen = l; }
    }
    if (best !== null) return best;
    if (!linkScope) {
      for (const x of this.ifaces) if (x && x !== this.lo) for (const a of x.v6) if (a.scope === 'global') return a;
    }
    for (const a of iface.v6) return a;
    return null;
  }

  // ---- IpLayer --------------------------------------------------------------------------------

  register(tp: TransportProtocol): void {
    this.transports[tp.protocol] = tp;
  }

  route(family: 4 | 6, dst: string, opts?: { src?: string; ifindex?: number }): RouteResult | number {
    let ifindex = opts?.ifindex ?? 0;
    const zone = family === 6 ? dst.indexOf('%') : -1;
    if (zone >= 0) {
      // RFC 4007 §11: 'fe80::1%eth0' names the interface (by name or index) of a scoped address.
      const z = this.ifindexOf(dst.slice(zone + 1));
      if (z === 0) return -EINVAL;
      if (ifindex === 0) ifindex = z;
      dst = dst.slice(0, zone);
    }
    let p = this.path(family, dst, ifindex);
    if (typeof p === 'number') {
      const c = canonical(family, dst);
      if (c === null || c === dst) return p;
      p = this.path(family, c, ifindex);
      if (typeof p === 'number') return p;
    }
    const r: RouteResult = { family, dev: p.iface.name, ifindex: p.iface.ifindex, src: opts?.src ?? p.src, mtu: this.pathMtu(p), type: p.type };
    if (p.via !== undefined) r.via = p.via;
    if (p.type === 'unicast' && p.iface.offload && p.iface !== this.lo) r.gso = true;
    return r;
  }

  output(family: 4 | 6, src: string, dst: string, protocol: number, buf: Uint8Array, offset: number, opts?: IpOutputOptions): number {
    return family === 4 ? this.ipv4.output(src, dst, protocol, buf, offset, opts) : this.ipv6.output(src, dst, protocol, buf, offset, opts);
  }

  isLocal(family: 4 | 6, address: string): boolean {
    if (family === 4) {
      const b = parseIPv4(address);
      return b !== null && (b[0] === 127 || this.local4.has(get32(b, 0)));
    }
    const b = parseIPv6(address);
    return b !== null && this.local6.has(formatIPv6(b));
  }

  /** What an address is to this host, for bind(): 'local', 'broadcast', 'multicast' or 'unicast' (someone else's). */
  addressType(family: 4 | 6, address: string): 'local' | 'broadcast' | 'multicast' | 'unicast' | 'invalid' {
    const b = family === 4 ? parseIPv4(address) : parseIPv6(address);
    if (b === null) return 'invalid';
    if (this.isLocal(family, address)) return 'local';
    if (isMulticastIP(b)) return 'multicast';
    if (family === 4) {
      const d32 = get32(b, 0);
      if (d32 === 0xffffffff) return 'broadcast';
      for (const x of this.ifaces) if (x) for (const a of x.v4) if (a.prefix < 31 && a.bcast32 === d32) return 'broadcast';
    }
    return 'unicast';
  }

  joinGroup(family: 4 | 6, group: string, ifindex: number, source?: string): number {
    return this.mcast.join(family, group, ifindex, source);
  }

  leaveGroup(family: 4 | 6, group: string, ifindex: number, source?: string): number {
    return this.mcast.leave(family, group, ifindex, source);
  }

  isMember(family: 4 | 6, group: string, ifindex: number): boolean {
    return this.mcast.isMember(family, group, ifindex);
  }

  ifindexOf(nameOrAddress: string): number {
    const byName = this.iface(nameOrAddress);
    if (byName !== undefined) return byName.ifindex;
    const f = ipFamily(nameOrAddress);
    if (f === 4) {
      const b = parseIPv4(nameOrAddress)!;
      const a = this.local4.get(get32(b, 0));
      return a ? a.iface.ifindex : b[0] === 127 ? 1 : 0;
    }
    if (f === 6) {
      const a = this.local6.get(formatIPv6(parseIPv6(nameOrAddress)!));
      return a ? a.iface.ifindex : 0;
    }
    if (/^[0-9]+$/.test(nameOrAddress)) {
      const i = Number(nameOrAddress);
      return this.ifaces[i] !== undefined && i > 0 ? i : 0;
    }
    return 0;
  }

  sendUnreachable(pkt: IpPacket, what: 'port' | 'protocol'): void {
    const raw = (pkt as Partial<KernelPacket>).raw;
    if (raw === undefined) return;
    if (pkt.family === 4) this.icmp.sendUnreachable(raw, what, pkt.multicast);
    else this.icmp6.sendUnreachable(raw, what, pkt.multicast);
  }

  // ---- delivery to transports -------------------------------------------------------------------

  /** A packet for this host, after reassembly: hand it to its protocol. */
  deliver(pkt: KernelPacket): void {
    const p = pkt.protocol;
    const st = pkt.family === 4 ? this.stats.ip : this.stats.ip6;
    if (pkt.family === 4) {
      if (p === 1) { st.InDelivers!++; this.icmp.input(pkt); return; }
      if (p === 2) { st.InDelivers!++; this.mcast.inputIgmp(pkt); return; }
    } else if (p === 58) { st.InDelivers!++; this.icmp6.input(pkt); return; }
    const tp = this.transports[p];
    if (tp !== undefined) {
      st.InDelivers!++;
      tp.input(pkt);
      return;
    }
    st.InUnknownProtos!++;
    // RFC 1122 §3.2.2.1 / RFC 4443 §3.4: protocol unreachable (IPv6: parameter problem code 1).
    this.sendUnreachable(pkt, 'protocol');
  }

  /** An ICMP error about a packet this host sent: the transport that sent it hears about it. */
  notifyTransport(err: IcmpError): void {
    const tp = this.transports[err.protocol];
    if (tp !== undefined && tp.icmpError !== undefined) tp.icmpError(err);
  }

  // ---- sending --------------------------------------------------------------------------------

  /**
   * Hands an IP packet that starts at buf[ipStart] and runs to the end of `buf` to the path's
   * interface. On Ethernet the 14 bytes before ipStart are free for the header.
   */
  transmit(p: Path, buf: Uint8Array, ipStart: number, gso = 0): number {
    const iface = p.iface;
    if (iface.layer === 3) return iface.transmit(ipStart === 0 ? buf : buf.subarray(ipStart), gso);
    const e = ipStart - 14;
    const mac = iface.mac;
    buf[e + 6] = mac[0]!;
    buf[e + 7] = mac[1]!;
    buf[e + 8] = mac[2]!;
    buf[e + 9] = mac[3]!;
    buf[e + 10] = mac[4]!;
    buf[e + 11] = mac[5]!;
    if (p.family === 4) {
      buf[e + 12] = 0x08;
      buf[e + 13] = 0x00;
    } else {
      buf[e + 12] = 0x86;
      buf[e + 13] = 0xdd;
    }
    const frame = e === 0 ? buf : buf.subarray(e);
    const ld = p.linkDst;
    if (ld !== null) {
      frame[0] = ld[0]!;
      frame[1] = ld[1]!;
      frame[2] = ld[2]!;
      frame[3] = ld[3]!;
      frame[4] = ld[4]!;
      frame[5] = ld[5]!;
      return iface.transmit(frame, gso);
    }
    const table = p.family === 4 ? iface.arp! : iface.nd!;
    return table.send(p.hop, p.hopBytes, frame, gso);
  }

  // ---- tools ----------------------------------------------------------------------------------

  ping(dst: string, opts: PingOptions = {}): Promise<PingResult> {
    return this.pinger.ping(dst, opts);
  }
}

// ---- helpers ------------------------------------------------------------------------------------

const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const LO4 = new Uint8Array([127, 0, 0, 1]);
const ANY4 = new Uint8Array(4);
const ANY6 = new Uint8Array(16);

function mkPath(
  family: 4 | 6, type: Path['type'], dst: string, dstBytes: Uint8Array, iface: Interface, via: string | undefined,
  hop: string, hopBytes: Uint8Array, src: string, srcBytes: Uint8Array, mtu: number, linkDst: Uint8Array | null, route: Route | null,
): Path {
  return { family, type, dst, dstBytes, iface, via, hop, hopBytes, src, srcBytes, mtu, linkDst, route };
}

function routeMtu(r: Route, iface: Interface): number {
  return r.mtu > 0 && r.mtu < iface.mtu ? r.mtu : iface.mtu;
}

/** Linux fib_props: unreachable → EHOSTUNREACH, prohibit → EACCES, blackhole → EINVAL. */
function routeTypeErrno(t: Route['type']): number {
  if (t === 'prohibit') return -EACCES;
  if (t === 'blackhole') return -EINVAL;
  return -EHOSTUNREACH;
}

function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!;
    if (x === 0) { n += 8; continue; }
    return n + Math.clz32(x) - 24;
  }
  return n;
}

function canonical(family: 4 | 6, s: string): string | null {
  if (family === 4) {
    const b = parseIPv4(s);
    return b ? formatIPv4(b) : null;
  }
  const b = parseIPv6(s);
  return b ? formatIPv6(b) : null;
}

/** An Error with a Node-style code and errno. */
export function codeError(message: string, code: string, errno: number): Error & { code: string; errno: number } {
  return Object.assign(new Error(message), { code, errno: -errno });
}
