// A virtual host: one kernel (interfaces, routes, neighbours, IP, ICMP and the transports
// registered on it) and the tools a user reaches for: attach, ip addr / route / neigh, ping.
// Modules shaped like Node's own (net, dgram, dns) and the socket calls (sys) are added to
// this class by their own layers.
//
// crash() cuts the power: the interfaces go dark, the kernel forgets its dynamic state (see
// src/world/crash.ts) and the host's net and dgram objects are destroyed, as the programs that owned
// them died. restart() boots the same configuration with empty state.

import { inspect } from 'node:util';
import { formatIPv4, formatIPv6, ipFamily, parseMAC } from '../wire/addr.js';
import type { Port } from '../links/port.js';
import { Switch } from '../links/switch.js';
import { Cable } from '../links/cable.js';
import { openTun, type TunDevice } from '../doors/tun.js';
import { Device } from '../links/device.js';
import { Kernel } from '../kernel/kernel.js';
import type { Interface, AddressInfo } from '../kernel/interface.js';
import type { NeighbourInfo } from '../kernel/neighbour.js';
import { RouteCommands } from '../kernel/iproute.js';
import type { PingOptions, PingResult } from '../kernel/ping.js';
import type { Network } from './network.js';
import { Udp } from '../kernel/udp.js';
import { Tcp, type TcpConfig } from '../kernel/tcp/index.js';
import { endpoint, type SsEntry } from '../kernel/tcp/info.js';
import type { Sys, Tracer } from '../sys/sys.js';
import { createHostSys, crashHostSys } from '../sys/host-sys.js';
import { registerTcpSysctls } from '../kernel/tcp/sysctl.js';
import { allSysctls, readSysctl, writeSysctl, type SysctlValue } from './sysctl.js';
import { createDgram, type DgramModule } from '../node/dgram.js';
import { createDns, type DnsModule } from '../node/dns.js';
import { createNet, type NetModule } from '../node/net.js';
import { HostPerformance } from '../node/perf.js';
import { createTls, type TlsHost, type TlsModule } from '../node/tls.js';
import { createHttp, createHttps, type HttpModule, type HttpsModule } from '../node/http.js';
import { createHttp2, type Http2Module } from '../node/http2.js';
import { createDispatcher, createFetch, type DispatcherOptions, type HostFetch } from '../node/fetch.js';
import type { Dispatcher } from 'undici';
import type { IngressCut } from './partition.js';
import { ERR_HOST_DOWN, ERR_INVALID_STATE, Programs, describeProgram, forgetKernelState, kill, zeroCounters } from './crash.js';
import { HostClock } from './host-clock.js';
import { RunContext, hostContext } from './context.js';
import { createOs, type OsModule } from './os.js';
import { spawnProgram, type Program, type SpawnOptions } from './programs.js';
import { LazyMap, LazySet } from '../links/lazy.js';

/** The modules `host.run(fn)` hands fn: Node's, bound to the host. */
export interface HostModules {
  readonly host: Host;
  readonly net: NetModule;
  readonly dgram: DgramModule;
  readonly dns: DnsModule;
  readonly os: OsModule;
}

export interface HostOptions {
  /** Route packets between interfaces (a router). Default false. */
  forwarding?: boolean;
  /** TCP settings (Linux's net.ipv4.tcp_* sysctls), e.g. { timeWaitMs: 1000 }. */
  tcp?: Partial<TcpConfig>;
  /** Settings by Linux sysctl name, applied after `tcp`: { 'net.ipv4.tcp_sack': 0 } (see host.sysctl()). */
  sysctl?: Record<string, SysctlValue | boolean>;
}

export interface AttachOptions {
  /** IPv4 address(es) in CIDR form ('10.0.0.1/24'). */
  ipv4?: string | readonly string[];
  /** IPv6 address(es) in CIDR form ('fd00::1/64'); a link-local fe80:: address is always added. */
  ipv6?: string | readonly string[];
  /** Interface MTU; default the wire's. */
  mtu?: number;
  /** MAC address ('02:00:00:00:00:01'); default a deterministic locally administered one. */
  mac?: string;
  /** Interface name; default eth0, eth1, ... */
  name?: string;
}

/** Options of attachTun / attachDevice: attach()'s, and which kind of device. */
export interface DeviceAttachOptions extends Omit<AttachOptions, 'name'> {
  /** 3 (default): TUN, bare IP packets; 2: TAP, Ethernet frames (the interface gets a MAC). */
  layer?: 2 | 3;
  /**
   * attachTun only: the virtio-net header with checksum and TCP segmentation offload both ways
   * (default true, see openTun); false: bare packets, one real frame per segment.
   */
  vnetHdr?: boolean;
  /** attachTun only: who reads the device, 'thread' (default) or 'poll' (see openTun). */
  reader?: 'poll' | 'thread';
}

/** One interface in `host.addr()`, like `ip addr`. */
export interface InterfaceInfo {
  ifname: string;
  ifindex: number;
  mtu: number;
  mac: string;
  up: boolean;
  addrs: AddressInfo[];
}

/** One line of the host's name table (what /etc/hosts plus the network's DNS would answer). */
/** One row of `host.ss()`. */
export type SsRow = SsEntry | {
  proto: 'udp';
  state: 'UNCONN' | 'ESTAB';
  local: string;
  remote: string;
  recvQ: number;
  sendQ: number;
  info: { drops: number };
};

export interface HostsEntry {
  name: string;
  address: string;
  family: 4 | 6;
}

/** 'up', or 'crashed' between crash() and restart(). */
export type HostState = 'up' | 'crashed';

type FrameHandler = (frame: Uint8Array, gso?: number) => void;

export class Host {
  readonly name: string;
  readonly network: Network;
  readonly kernel: Kernel;
  /** `ip route`: add, del, list, get. */
  readonly route: RouteCommands;
  /** The kernel's UDP (its port table, sockets and counters). */
  readonly udp: Udp;
  /** The kernel's TCP (its settings in tcp.config, connections, counters; tcp.sockets() for ss). */
  readonly tcp: Tcp;
  private _sys: Sys | undefined;
  private _dgram: DgramModule | undefined;
  private _dns: DnsModule | undefined;
  private _net: NetModule | undefined;
  private _perf: HostPerformance | undefined;
  private _tls: TlsModule | undefined;
  private _http: HttpModule | undefined;
  private _https: HttpsModule | undefined;
  private _http2: Http2Module | undefined;
  private _dispatcher: Dispatcher | undefined;
  private _fetch: HostFetch | undefined;
  private _resolvConf: string | null = null;
  private _state: HostState = 'up';
  /** The port each interface plugs into (kept while crashed, when the interface has none). */
  private readonly plugs = new Map<Interface, Port>();
  /** Partition filters, one per interface, made when first needed. */
  private readonly filters = new LazyMap<Interface, FrameHandler>();
  /** The net and dgram objects made on this host: the programs a crash kills. */
  private readonly programs = new Programs();
  private readonly track = (obj: object): void => {
    if (this._state !== 'up') throw new ERR_HOST_DOWN(describeProgram(obj), this.name);
    this.programs.add(obj);
  };
  /** @internal The partition cuts applied to frames arriving here (see src/world/partition.ts); empty when none. */
  _cuts: readonly IngressCut[] = [];
  /**
   * The host's clock as its code sees it (Date, performance.now, its timers): the network's,
   * with an offset and a drift you can set (`host.clock.set({ offset: '2s', drift: 50 })`).
   */
  readonly clock: HostClock;
  /** The context host.run() code runs in (one per boot of the host). */
  private runContext: RunContext | null = null;
  private _os: OsModule | undefined;
  /** The programs running on the host (spawn()), and the next pid. */
  private readonly procs = new LazySet<Program>();
  private nextPid = 100;

  constructor(network: Network, name: string, opts: HostOptions = {}) {
    this.name = name;
    this.network = network;
    this.kernel = new Kernel({ name, sched: network.sched, random: network.random.fork(), forwarding: opts.forwarding ?? false });
    this.route = new RouteCommands(this.kernel);
    this.udp = new Udp(this.kernel, this.kernel.random);
    this.tcp = new Tcp(this.kernel, this.kernel.sched, this.kernel.random, opts.tcp);
    this.tcp.realtimeEpoch = network.epoch;
    const config = this.tcp.config;
    this.kernel.sysctl.provide((t) => registerTcpSysctls(t, config));
    if (opts.sysctl !== undefined) for (const [k, v] of Object.entries(opts.sysctl)) writeSysctl(this.kernel.sysctl, k, v);
    this.clock = new HostClock(network.sched, network.epoch);
  }

  /**
   * Runs `fn` as code of this host and returns what it returns: its timers (setTimeout,
   * setInterval, setImmediate, timers/promises, AbortSignal.timeout) run on the network's
   * scheduler, and Date, performance.now() and process.hrtime() read the host's clock, in fn and
   * in every callback and promise continuation that follows from it. fn gets the host's modules:
   * `await a.run(async ({ net }) => { ... })`.
   */
  run<T>(fn: (modules: HostModules) => T): T {
    if (typeof fn !== 'function') throw new TypeError(`${this.name}.run: expected a function`);
    this.checkUp('run');
    this.network._adoptPrograms();
    if (this.runContext === null) {
      const ctx = new RunContext(this, 'run');
      ctx.refuse = (what) => { throw new ERR_HOST_DOWN(what, this.name); };
      this.runContext = ctx;
    }
    const mods: HostModules = { host: this, net: this.net, dgram: this.dgram, dns: this.dns, os: this.os };
    return hostContext.run(this.runContext, fn, mods);
  }

  /**
   * Runs an unmodified Node program (a file, a file: URL or an installed package's bin;
   * CommonJS, or an ES module on Node >= 22.15) as a process of this host, in this process: its
   * node:net, dgram, dns, os, timers and clocks are the host's, its process (argv, env, exit,
   * listeners, stdout, stderr) and module instances its own. Returns a ChildProcess-like
   * Program ('spawn', 'exit' (code, signal), 'close', pid, stdout, stderr, kill()). See
   * src/world/programs.ts.
   */
  spawn(entry: string, opts: SpawnOptions = {}): Program {
    if (typeof entry !== 'string' || entry === '') throw new TypeError(`${this.name}.spawn: expected a file or package name`);
    this.checkUp('spawn');
    this.network._adoptPrograms();
    const p = spawnProgram(this, this.nextPid++, entry, opts);
    this.procs.add(p);
    return p;
  }

  /** The programs running on the host, oldest first. */
  get processes(): readonly Program[] {
    return [...this.procs];
  }

  /** @internal A program made a socket or server: it dies with the host too. */
  _track(obj: object): void {
    this.track(obj);
  }

  /** @internal A program ended. */
  _programEnded(p: Program): void {
    this.procs.delete(p);
  }

  /** @internal A running program by pid. */
  _programByPid(pid: number): Program | undefined {
    for (const p of this.procs) if (p.pid === pid) return p;
    return undefined;
  }

  /** node:os as the host's code sees it: hostname() and networkInterfaces() are the host's. */
  get os(): OsModule {
    return (this._os ??= createOs(this));
  }

  /** 'up', or 'crashed' between crash() and restart(). */
  get state(): HostState {
    return this._state;
  }

  /** Whether the host is running (not crashed). */
  get up(): boolean {
    return this._state === 'up';
  }

  /**
   * Cuts the power. At once and without a frame sent: the interfaces stop sending and receiving
   * (a cable end or switch port goes link-down: the switch forgets the host's MACs, frames still
   * arriving count as `unplugged` in the wire's stats; an in-process device counts its writes as
   * drops), every socket's kernel state is dropped (TCP peers learn by timeouts, or by RSTs once
   * the host is back), with the neighbour caches, reassembly queues, learned path MTUs, multicast
   * memberships of sockets, unix-domain names and the descriptor table. The host's net sockets
   * and servers and dgram sockets are destroyed, as their programs died: they emit 'close'
   * (net sockets with hadError false; no 'error'), pending callbacks are called as after
   * destroy(), outstanding pings reject with ERR_HOST_DOWN, and nothing of the host keeps the
   * process alive. Until restart(), new sockets and servers throw ERR_HOST_DOWN, `sys.socket()`
   * returns -ENETDOWN, ping() rejects. Counters stay readable until restart() zeroes them.
   * A second crash() does nothing, as switching off a machine that is off.
   */
  crash(): void {
    if (this._state === 'crashed') return;
    this._state = 'crashed';
    const k = this.kernel;
    for (const [iface, port] of this.plugs) {
      iface.port = null; // whatever still tries to send is counted in txDropped
      if (isReplugable(port)) port.detach();
    }
    this.syncIngress();
    forgetKernelState(k, this.udp, this.tcp, (target) => new ERR_HOST_DOWN(`ping ${target}`, this.name));
    // The programs die: their sockets close against a kernel that has nothing left to send.
    let failure: unknown = null;
    for (const obj of this.programs.take()) {
      try { kill(obj); } catch (e) { failure ??= e; }
    }
    if (this._sys !== undefined) crashHostSys(this._sys, this);
    // The code that ran as the host dies with it: its timers and immediates are gone.
    if (this.runContext !== null) { this.runContext.kill(); this.runContext = null; }
    for (const p of [...this.procs]) p._crash();
    if (failure !== null) throw failure;
  }

  /**
   * Boots a crashed host with the configuration it had (interfaces with their addresses, MTUs
   * and wires, static routes, forwarding, TCP settings) and empty state: no sockets, empty
   * neighbour caches, counters at zero, descriptors from 3. Peers still holding a connection
   * to it get a RST for their next segment (RFC 9293 §3.10.7.1). Throws ERR_INVALID_STATE on a
   * host that is running (crash() it first: a reboot is crash() then restart()).
   */
  restart(): void {
    if (this._state === 'up') throw new ERR_INVALID_STATE(`host ${this.name} is running; restart() boots a crashed host`);
    const k = this.kernel;
    zeroCounters(k);
    k.invalidate();
    this._state = 'up';
    for (const [iface, port] of this.plugs) {
      iface.port = port;
      if (isReplugable(port)) port.attach();
    }
    this.syncIngress();
    this._sys?.restart();
    this.network.dns._restarted(this);
  }

  /** @internal Partitions changed: the cuts this host applies to what it receives. */
  _setCuts(cuts: readonly IngressCut[]): void {
    this._cuts = cuts;
    this.syncIngress();
  }

  /**
   * Points every port at what should take its frames: nothing (a crashed host on a device that
   * cannot be unplugged), a partition filter, or the interface itself (no cost when uncut).
   */
  private syncIngress(): void {
    for (const [iface, port] of this.plugs) {
      if (this._state === 'crashed' && !isReplugable(port)) {
        port.onFrame = null;
        continue;
      }
      if (this._cuts.length === 0) {
        port.onFrame = iface.receive;
        continue;
      }
      let f = this.filters.get(iface);
      if (f === undefined) {
        f = this.network._ingressFilter(this, iface);
        this.filters.set(iface, f);
      }
      port.onFrame = f;
    }
  }

  private checkUp(what: string): void {
    if (this._state !== 'up') throw new ERR_HOST_DOWN(what, this.name);
  }

  /** The socket calls (socket, bind, connect, sendto, poll...), like POSIX on Linux. */
  get sys(): Sys {
    if (this._sys === undefined) {
      this._sys = createHostSys(this);
      if (this._state === 'crashed') crashHostSys(this._sys, this);
    }
    return this._sys;
  }

  /** node:dgram bound to this host. */
  get dgram(): DgramModule {
    const k = this.kernel;
    return (this._dgram ??= createDgram({
      loop: { sys: this.sys, sched: k.sched, ifindex: (n) => k.iface(n)?.ifindex ?? 0, ifname: (i) => k.iface(i)?.name },
      dns: this.dns,
      track: this.track,
    }));
  }

  /** node:net bound to this host (names resolve through host.dns.lookup, read at each use as Node reads dns.lookup). */
  get net(): NetModule {
    return (this._net ??= createNet({
      loop: { sys: this.sys, sched: this.kernel.sched },
      lookup: (hostname, options, callback) => { this.dns.lookup(hostname, options as never, callback as never); },
      track: this.track,
      perf: this.perf_hooks,
      wallClock: () => this.clock.now(),
      monoClock: () => this.clock.mono(),
    }));
  }

  /** What the TLS modules of this host use: host.net, the network's CA, this host's certificate. */
  private tlsHost(): TlsHost {
    return {
      net: this.net,
      trust: () => [this.network.ca.cert],
      credentials: () => this.network.ca.issue(this.certificateNames()),
    };
  }

  /**
   * The names in this host's certificate: its name, localhost, and its addresses (loopback and
   * every interface's, link-local ones left out).
   */
  certificateNames(): string[] {
    const names = [this.name, 'localhost', '127.0.0.1', '::1'];
    for (const i of this.kernel.interfaces) {
      if (i === this.kernel.lo) continue;
      for (const a of i.v4) names.push(a.address);
      for (const a of i.v6) if (a.scope === 'global') names.push(a.address);
    }
    return names;
  }

  /**
   * node:tls bound to this host: connections over its sockets, servers listening on it.
   * Servers given no key/cert present this host's certificate from the network's CA
   * (`world.ca`); clients given no `ca` trust that CA.
   */
  get tls(): TlsModule {
    return (this._tls ??= createTls(this.tlsHost()));
  }

  /** node:http bound to this host (servers listen on it, its agents connect from it). */
  get http(): HttpModule {
    return (this._http ??= createHttp(this.net));
  }

  /** node:https bound to this host, with the network's CA as for host.tls. */
  get https(): HttpsModule {
    return (this._https ??= createHttps(this.tlsHost(), this.tls));
  }

  /** node:http2 bound to this host (h2c and h2), with the network's CA as for host.tls. */
  get http2(): Http2Module {
    return (this._http2 ??= createHttp2(this.tlsHost(), this.tls));
  }

  /** An undici Dispatcher (an Agent) whose connections are this host's: for undici's request/stream/pipeline and fetch. */
  get dispatcher(): Dispatcher {
    return (this._dispatcher ??= createDispatcher(this.net, this.tls));
  }

  /** A new undici Agent on this host with options of its own (allowH2, connect: TLS options, pool sizes...). */
  createDispatcher(options?: DispatcherOptions): Dispatcher {
    return createDispatcher(this.net, this.tls, options);
  }

  /** fetch() (undici's) from this host: `await a.fetch('https://b/')`. */
  get fetch(): HostFetch {
    return (this._fetch ??= createFetch(() => this.dispatcher));
  }

  /** node:dns bound to this host: lookup (its name table, then DNS), resolve*() and Resolver over its sockets. */
  get dns(): DnsModule {
    return (this._dns ??= createDns({
      hostsTable: () => this.hostsTable(), sched: this.kernel.sched, dgram: () => this.dgram, net: () => this.net,
      random: () => this.kernel.random.u32(), resolvConf: () => this.resolvConf, alive: () => this._state === 'up',
      perf: this.perf_hooks,
    }));
  }

  /**
   * This host's perf_hooks: `new host.perf_hooks.PerformanceObserver(cb).observe({ type: 'net' })`
   * sees a 'connect' entry per TCP connection host.net makes, `'dns'` a 'lookup' entry per
   * host.dns lookup, as Node 22+ emits them; times on the network's clock.
   */
  get perf_hooks(): HostPerformance {
    return (this._perf ??= new HostPerformance(() => this.kernel.sched.now()));
  }

  /**
   * The host's /etc/resolv.conf (`nameserver`, `search`, `options timeout:N attempts:N rotate
   * ndots:N`; see src/node/dns-conf.ts). Until set, it lists the servers of world.dns; set null
   * to go back to that. New Resolvers read it when made; host.dns's own functions at each call.
   */
  get resolvConf(): string {
    return this._resolvConf ?? this.network.dns._resolvConfFor(this);
  }
  set resolvConf(text: string | null) {
    if (text !== null && typeof text !== 'string') throw new TypeError(`${this.name}.resolvConf: expected resolv.conf text or null`);
    this._resolvConf = text;
  }

  /** Calls `fn` with one line per socket call, like `strace -e trace=network`. Returns a function that stops it. */
  trace(fn: Tracer): () => void {
    return this.sys.trace(fn);
  }

  /**
   * Linux's sysctl settings of this host, by their /proc/sys names with Linux's values and
   * defaults: `sysctl('net.ipv4.tcp_sack')` reads one (1), `sysctl('net.ipv4.tcp_sack', 0)`
   * writes one and returns the value read back, `sysctl()` returns all of them (sysctl -a).
   * Integers, vectors of integers ('4096 131072 6291456' or [4096, 131072, 6291456]) and
   * strings ('cubic'); 'net/ipv4/tcp_sack' works too. Unknown names and refused values throw
   * (ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE). Settings survive crash() and restart().
   */
  sysctl(): Record<string, SysctlValue>;
  sysctl(name: string): SysctlValue;
  sysctl(name: string, value: SysctlValue | boolean): SysctlValue;
  sysctl(name?: string, ...rest: unknown[]): SysctlValue | Record<string, SysctlValue> {
    const t = this.kernel.sysctl;
    if (name === undefined && rest.length === 0) return allSysctls(t);
    if (rest.length === 0) return readSysctl(t, name);
    return writeSysctl(t, name, rest[0]);
  }

  /** Whether the host routes between its interfaces. */
  get forwarding(): boolean {
    return this.kernel.forwarding;
  }
  set forwarding(v: boolean) {
    this.kernel.forwarding = v;
  }

  /**
   * Plugs a new interface into a switch, a free end of a cable, or any Port, and configures its
   * addresses (each with its connected route).
   */
  attach(target: Switch | Cable | Port, opts: AttachOptions = {}): Interface {
    this.checkUp('attach');
    const k = this.kernel;
    const name = opts.name ?? k.nextInterfaceName();
    let port: Port;
    if (target instanceof Switch) {
      port = target.connect(`${this.name}:${name}`);
    } else if (target instanceof Cable) {
      const end = target.ends.find((e) => this.network.claim(e));
      if (end === undefined) throw new Error(`${this.name}: both ends of cable ${target.name} are already attached`);
      port = end;
    } else if (target !== null && typeof target === 'object' && typeof (target as Port).send === 'function') {
      port = target as Port;
      if (!this.network.claim(port)) throw new Error(`${this.name}: port ${port.name} is already attached`);
    } else {
      throw new TypeError(`${this.name}.attach: expected a Switch, a Cable or a Port`);
    }
    let mac: Uint8Array;
    if (opts.mac !== undefined) {
      const m = parseMAC(opts.mac);
      if (m === null || (m[0]! & 1) !== 0) throw new TypeError(`${this.name}.attach: '${opts.mac}' is not a unicast MAC address`);
      mac = m;
    } else {
      mac = this.network.newMac();
    }
    const iface = k.addInterface(port, { name, mac, ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}) });
    this.plugs.set(iface, port);
    if (iface.layer === 2) this.network._ownMac(iface.mac, this);
    if (this._cuts.length !== 0) this.syncIngress();
    for (const a of list(opts.ipv4)) {
      if (ipFamily(a.split('/')[0]!) !== 4) throw new TypeError(`${this.name}.attach: '${a}' is not an IPv4 address`);
      iface.addAddress(a);
    }
    for (const a of list(opts.ipv6)) {
      if (ipFamily(a.split('/')[0]!) !== 6) throw new TypeError(`${this.name}.attach: '${a}' is not an IPv6 address`);
      iface.addAddress(a);
    }
    return iface;
  }

  /**
   * A Linux TUN (layer 3) or TAP (layer 2) device as this host's interface `name` (which is also
   * the device's name in the kernel; 'tun%d' lets the kernel choose). The host's addresses live
   * here, not in the kernel: configure the kernel's side with `ip`. Needs `clock: 'real'`,
   * Linux, CAP_NET_ADMIN and the native addon. Close the returned device to remove it.
   */
  attachTun(name: string, opts: DeviceAttachOptions = {}): TunDevice & { readonly iface: Interface } {
    this.checkUp('attachTun');
    if (this.network.sched.mode !== 'real') {
      throw new Error(`${this.name}.attachTun: a TUN device carries packets in wall-clock time; create the network with new Network({ clock: 'real' })`);
    }
    const { layer = 3, vnetHdr, reader, ...rest } = opts;
    const dev = openTun(name, {
      layer, ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}), ...(vnetHdr !== undefined ? { vnetHdr } : {}), ...(reader !== undefined ? { reader } : {}),
    });
    try {
      return Object.assign(dev, { iface: this.attach(dev, { ...rest, name: dev.name }) });
    } catch (e) {
      dev.close();
      throw e;
    }
  }

  /**
   * An in-process TUN (layer 3) or TAP (layer 2) device as this host's interface `name`: what the
   * host sends comes out as the device's 'packet' events, `device.write(bytes)` injects packets.
   */
  attachDevice(name: string, opts: DeviceAttachOptions = {}): Device & { readonly iface: Interface } {
    this.checkUp('attachDevice');
    const { layer = 3, vnetHdr: _vnetHdr, reader: _reader, ...rest } = opts;
    const dev = new Device(name, { layer, mtu: opts.mtu ?? 1500, sched: this.network.sched });
    return Object.assign(dev, { iface: this.attach(dev, { ...rest, name }) });
  }

  /** The interfaces, lo first. */
  get interfaces(): readonly Interface[] {
    return this.kernel.interfaces;
  }

  /** An interface by name ('lo', 'eth0'). */
  iface(name: string): Interface | undefined {
    return this.kernel.iface(name);
  }

  /** Like `ip addr`. */
  addr(): InterfaceInfo[] {
    return this.kernel.interfaces.map((i) => ({ ifname: i.name, ifindex: i.ifindex, mtu: i.mtu, mac: i.macString, up: i.up, addrs: i.addresses() }));
  }

  /** Like `ip neigh`: the ARP and neighbour-discovery caches. */
  neigh(): NeighbourInfo[] {
    const out: NeighbourInfo[] = [];
    for (const i of this.kernel.interfaces) {
      if (i.arp !== null) out.push(...i.arp.list((b) => formatIPv4(b)));
    }
    for (const i of this.kernel.interfaces) {
      if (i.nd !== null) out.push(...i.nd.list((b) => formatIPv6(b)));
    }
    return out;
  }

  /** ICMP / ICMPv6 echo to an address or a host name of the network. */
  ping(target: string, opts: PingOptions = {}): Promise<PingResult> {
    if (this._state !== 'up') return Promise.reject(new ERR_HOST_DOWN(`ping ${target}`, this.name));
    let address = target;
    if (ipFamily(target) === 0) {
      const found = this.lookupName(target, opts.family);
      if (found === undefined) return Promise.reject(Object.assign(new Error(`ping: ${target}: Name or service not known`), { code: 'ENOTFOUND' }));
      address = found;
    }
    const family = opts.family ?? (ipFamily(address) as 4 | 6);
    return this.kernel.ping(address, { ...opts, family });
  }

  /**
   * The host's TCP and UDP sockets, like `ss -tuan`: TCP rows with their TCP_INFO, then bound
   * UDP sockets (UNCONN, or ESTAB when connected) with their receive queue and drops.
   */
  ss(): SsRow[] {
    const rows: SsRow[] = this.tcp.sockets();
    for (const u of this.udp.sockets) {
      if (u.localPort === 0) continue; // not bound: ss does not list it either
      const connected = u.peerPort !== 0;
      rows.push({
        proto: 'udp', state: connected ? 'ESTAB' : 'UNCONN',
        local: endpoint(u.localAddress, u.localPort),
        remote: connected ? endpoint(u.peerAddress, u.peerPort) : endpoint(u.family === 4 ? '0.0.0.0' : '::', '*'),
        recvQ: u.recvQueue, sendQ: 0, info: { drops: u.drops },
      });
    }
    return rows;
  }

  /**
   * The names this host knows: localhost, then every host of the network with its addresses
   * (link-local and loopback left out), hosts in creation order, interfaces in attach order.
   */
  hostsTable(): HostsEntry[] {
    const out: HostsEntry[] = [
      { name: 'localhost', address: '127.0.0.1', family: 4 },
      { name: 'localhost', address: '::1', family: 6 },
    ];
    for (const h of this.network.hosts.values()) {
      for (const i of h.kernel.interfaces) {
        if (i === h.kernel.lo) continue;
        for (const a of i.v4) out.push({ name: h.name, address: a.address, family: 4 });
        for (const a of i.v6) if (a.scope === 'global') out.push({ name: h.name, address: a.address, family: 6 });
      }
    }
    return out;
  }

  /** `Host { name: 'a', state: 'up' }` rather than the whole kernel. */
  [inspect.custom](): string {
    return `Host { name: ${inspect(this.name)}, state: '${this._state}' }`;
  }

  private lookupName(name: string, family?: 4 | 6): string | undefined {
    for (const e of this.hostsTable()) if (e.name === name && (family === undefined || e.family === family)) return e.address;
    return undefined;
  }
}

/** A switch port or cable end: unplugged while its host is crashed, plugged back at restart. */
function isReplugable(port: Port): port is Port & { attach(): void } {
  return typeof (port as { attach?: unknown }).attach === 'function';
}

function list(v: string | readonly string[] | undefined): readonly string[] {
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : v;
}
