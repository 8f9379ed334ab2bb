// A virtual network: the clock (virtual or real), the seeded random source, the wires
// (switches and point-to-point links) and the hosts. Same seed and same program: same
// packets at the same times.

import { Scheduler, parseDuration, type ClockMode } from '../links/clock.js';
import { Random } from '../links/random.js';
import type { FrameTap, LinkLayer, Port, Tappable } from '../links/port.js';
import { Switch, type SwitchOptions } from '../links/switch.js';
import { Cable, type CableDirection, type CableStats } from '../links/cable.js';
import { Capture, type CaptureOptions } from '../links/capture.js';
import type { ImpairOptions } from '../links/impair.js';
import { macKey, type Interface } from '../kernel/interface.js';
import { Host, type HostOptions } from './host.js';
import { adoptPrograms, reclaimClocks } from './time.js';
import { CertificateAuthority } from './ca.js';
import { currentRefOwner, programUncaught } from './programs.js';
import { installRandomness } from './randomness.js';
import { Partition, ingressFilter, type IngressCut, type PartitionOptions } from './partition.js';
import { NetworkDns } from './dns.js';
import { Gateway, type GatewayOptions } from '../doors/gateway.js';
import { openForward, type Forward, type ForwardOptions } from '../doors/forward.js';

export interface NetworkOptions {
  /** Seed of the network's random source (MACs, losses, jitter, ISNs, ports...). Default 0. */
  seed?: number;
  /** 'virtual' (default): time jumps to the next event; 'real': paced to the wall clock. */
  clock?: ClockMode;
  /**
   * The wall-clock date at time 0, as hosts' code sees it (Date.now()): a Date, an ISO string or
   * ms since 1970. Default on the virtual clock 2024-01-01T00:00:00Z (the same on every run);
   * on the real clock, the moment the network was made.
   */
  epoch?: Date | string | number;
  /**
   * Keep `world.journal`: every frame on every switch and link (time, wire, length, a hash of
   * its bytes), every line programs write and every program start and end, for comparing two
   * runs (usernet/test's checkDeterminism). Taps the wires, so frames are cut as a capture cuts them.
   */
  journal?: boolean;
}

/** One entry of `world.journal`. */
export interface JournalEntry {
  /** Network time, ms. */
  time: number;
  /** A wire's name, or 'host:pid' for a program. */
  source: string;
  event: string;
}

export interface LinkOptions {
  /** The two ends' IPv4 addresses, CIDR: ['192.0.2.1/30', '192.0.2.2/30']. */
  ipv4?: readonly [string, string];
  /** The two ends' IPv6 addresses, CIDR. */
  ipv6?: readonly [string, string];
  /** MTU of the cable and both interfaces (default 1500). */
  mtu?: number;
  /** Speed: bit/s or a tc rate string ('100mbit'); default: frames take no time. */
  rate?: number | string;
  /** 2: Ethernet (default); 3: bare IP packets (no ARP/NDP, like a TUN point-to-point link). */
  layer?: LinkLayer;
  /** Cable name (default 'a-b'). */
  name?: string;
}

/** A point-to-point cable between two hosts, with an interface on each. */
export class Link implements Tappable {
  readonly cable: Cable;
  /** The interface on the first host and on the second. */
  readonly interfaces: readonly [Interface, Interface];

  constructor(cable: Cable, a: Interface, b: Interface) {
    this.cable = cable;
    this.interfaces = [a, b];
  }

  get name(): string {
    return this.cable.name;
  }

  get captureName(): string {
    return this.cable.captureName;
  }

  get layer(): LinkLayer {
    return this.cable.layer;
  }

  addTap(tap: FrameTap): () => void {
    return this.cable.addTap(tap);
  }

  /** netem-like impairments on both directions, or one: 'a->b' is what the first host sends. */
  impair(opts: ImpairOptions | null, direction: CableDirection = 'both'): void {
    this.cable.impair(opts, direction);
  }

  stats(): CableStats {
    return this.cable.stats();
  }
}

export class Network {
  readonly seed: number;
  readonly sched: Scheduler;
  readonly random: Random;
  /** What happened, when `journal: true` was asked for (else null). */
  readonly journal: JournalEntry[] | null;
  /** The wall-clock date (ms since 1970) at network time 0, as hosts see it. */
  readonly epoch: number;
  /** The hosts by name, in creation order. */
  readonly hosts = new Map<string, Host>();
  readonly switches = new Map<string, Switch>();
  readonly links: Link[] = [];
  private readonly macs = new Set<number>();
  private readonly claimed = new WeakSet<Port>();
  /** Which host each Ethernet interface's MAC belongs to (partitions recognise senders by it). */
  private readonly macOwners = new Map<number, Host>();
  /** Partitions in force, oldest first. */
  private readonly cuts: Partition[] = [];
  /** The network's DNS: its zone, and the servers that answer for it (src/world/dns.ts). */
  readonly dns: NetworkDns = new NetworkDns(this);

  constructor(opts: NetworkOptions = {}) {
    const seed = opts.seed ?? 0;
    if (!Number.isFinite(seed)) throw new TypeError(`Network: seed must be a number, got ${String(seed)}`);
    const clock = opts.clock ?? 'virtual';
    if (clock !== 'virtual' && clock !== 'real') throw new TypeError(`Network: clock must be 'virtual' or 'real', got ${String(clock)}`);
    this.seed = seed;
    this.sched = new Scheduler(clock);
    this.random = new Random(seed);
    this.journal = opts.journal === true ? [] : null;
    this.epoch = opts.epoch === undefined && clock === 'real' ? Date.now() - this.sched.now() : epochOf(opts.epoch);
  }

  /** An Ethernet segment (a learning switch). */
  private _ca: CertificateAuthority | undefined;

  /**
   * The network's certificate authority: `world.ca.issue(['b', '10.0.0.2'])` → { key, cert, ca }.
   * Every host trusts it (host.tls, https, http2, fetch) and presents a certificate from it when
   * a server is given none. Made on first use; keys follow from the seed.
   */
  get ca(): CertificateAuthority {
    return (this._ca ??= new CertificateAuthority(this.seed));
  }

  switch(name: string, opts: SwitchOptions = {}): Switch {
    if (this.switches.has(name)) throw new Error(`Network: switch '${name}' already exists`);
    const sw = new Switch(name, this.sched, this.random.fork(), opts);
    this.switches.set(name, sw);
    if (this.journal !== null) this.journalFrames(sw);
    return sw;
  }

  /** A host with its own kernel (loopback included). */
  host(name: string, opts: HostOptions = {}): Host {
    if (typeof name !== 'string' || name === '') throw new TypeError('Network: a host needs a non-empty name');
    if (this.hosts.has(name)) throw new Error(`Network: host '${name}' already exists`);
    const h = new Host(this, name, opts);
    this.hosts.set(name, h);
    return h;
  }

  /** A point-to-point cable between two hosts, an interface attached on each. */
  link(a: Host, b: Host, opts: LinkOptions = {}): Link {
    let name = opts.name ?? `${a.name}-${b.name}`;
    if (opts.name === undefined) for (let i = 2; this.links.some((l) => l.name === name); i++) name = `${a.name}-${b.name}-${i}`;
    const cable = new Cable(name, this.sched, this.random.fork(), {
      ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}),
      ...(opts.rate !== undefined ? { rate: opts.rate } : {}),
      ...(opts.layer !== undefined ? { layer: opts.layer } : {}),
    });
    const ia = a.attach(cable, { ...(opts.ipv4 ? { ipv4: opts.ipv4[0] } : {}), ...(opts.ipv6 ? { ipv6: opts.ipv6[0] } : {}) });
    const ib = b.attach(cable, { ...(opts.ipv4 ? { ipv4: opts.ipv4[1] } : {}), ...(opts.ipv6 ? { ipv6: opts.ipv6[1] } : {}) });
    const link = new Link(cable, ia, ib);
    this.links.push(link);
    if (this.journal !== null) this.journalFrames(link);
    return link;
  }

  /**
   * Cuts the hosts of `groupA` off from those of `groupB` (both ways, or only A → B with
   * `{ oneWay: true }`) until `heal()`: no frame from one side reaches a host of the other,
   * whatever wires and routers lie between them (routers in neither group forward as usual; the
   * frames die on arrival). Timers keep running: TCP retransmits and recovers if healed in
   * time, ARP / neighbour discovery may fail (EHOSTUNREACH). Partitions may overlap; each heals
   * alone. Drops are counted in `partition.stats()`. See src/world/partition.ts for the exact rule.
   */
  partition(groupA: readonly Host[], groupB: readonly Host[], opts?: PartitionOptions): Partition {
    const p = new Partition(this, groupA, groupB, opts);
    this.cuts.push(p);
    this.recut(p.hosts);
    return p;
  }

  /** The partitions in force, oldest first. */
  get partitions(): readonly Partition[] {
    return this.cuts.slice();
  }

  /** @internal Partition.heal() */
  _healed(p: Partition): void {
    const i = this.cuts.indexOf(p);
    if (i < 0) return;
    this.cuts.splice(i, 1);
    this.recut(p.hosts);
  }

  /** Gives each host its cuts anew from the partitions in force. */
  private recut(hosts: readonly Host[]): void {
    for (const h of hosts) {
      const cuts: IngressCut[] = [];
      for (const p of this.cuts) cuts.push(...p._cutsFor(h));
      h._setCuts(cuts);
    }
  }

  /** @internal The frame filter of a cut host's interface. */
  _ingressFilter(host: Host, iface: Interface): (frame: Uint8Array, gso?: number) => void {
    return ingressFilter(host, iface, (frame) => this.macOwners.get(macKey(frame, 6)));
  }

  /** @internal Records the host an Ethernet interface's MAC belongs to. */
  _ownMac(mac: Uint8Array, host: Host): void {
    this.macOwners.set(macKey(mac, 0), host);
  }

  /** A pcap capture of a switch, a link or an interface; `await cap.close()` to finish the file. */
  capture(target: Tappable, path: string, opts: CaptureOptions = {}): Capture {
    return new Capture(target, path, this.sched, opts);
  }

  /** NAT from virtual hosts to this machine's real sockets, like QEMU's user networking (needs clock: 'real'). */
  gateway(opts: GatewayOptions = {}): Gateway<Host> {
    return new Gateway(this, opts);
  }

  /**
   * A real listening port (127.0.0.1 by default; 0 picks one) whose connections reach the virtual
   * server at `host`:`port` (needs clock: 'real'). Resolves once the port is open.
   */
  forward(realPort: number, host: Host, port: number, opts: ForwardOptions = {}): Promise<Forward> {
    return openForward(this, realPort, host, port, opts);
  }

  /** Network time in ms. */
  now(): number {
    return this.sched.now();
  }

  /**
   * Resolves after `duration` (ms or '2s') of network time, as a timer of the network: the
   * test's way to wait on the same clock as the hosts' code (time moves on by itself while
   * anything is scheduled).
   */
  sleep(duration: number | string): Promise<void> {
    const ms = parseDuration(duration, 'sleep');
    return new Promise<void>((resolve) => { this.sched.after(ms, resolve); });
  }

  /**
   * Ends the network: every host crashes (its programs end with SIGKILL, its sockets and servers
   * close, its code's timers are dropped; nothing is sent), then the clock stops: nothing of the
   * network runs or holds the process open any more. Captures and real doors (gateway, forward,
   * TUN devices) are closed by their own close(). `await using world = new Network()` calls it.
   */
  async close(): Promise<void> {
    if (this.sched.isStopped) return;
    for (const h of this.hosts.values()) if (h.up) h.crash();
    this.sched.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal Adds an entry to the journal, if one is kept. */
  _record(source: string, event: string): void {
    this.journal?.push({ time: this.sched.now(), source, event });
  }

  private journalFrames(wire: Tappable): void {
    const name = wire.captureName;
    wire.addTap((frame, time) => {
      let h = 0x811c9dc5;
      for (let i = 0; i < frame.length; i++) h = Math.imul(h ^ frame[i]!, 0x01000193) >>> 0;
      this.journal!.push({ time, source: name, event: `frame ${frame.length} ${h.toString(16).padStart(8, '0')}` });
    });
  }

  /** @internal Code is about to run as a host of this network (host.run, host.spawn). */
  _adoptPrograms(): void {
    if (this.sched.hasPrograms) { reclaimClocks(); return; }
    adoptPrograms(this.sched, programUncaught);
    installRandomness();
    this.sched.refOwner = currentRefOwner;
  }

  /** Runs until nothing is scheduled, or for at most `for` (ms or '10s'). */
  run(opts: { for?: number | string } = {}): Promise<void> {
    return this.sched.run(opts.for === undefined ? undefined : parseDuration(opts.for, 'run: for'));
  }

  /** A host by name. */
  get(name: string): Host | undefined {
    return this.hosts.get(name);
  }

  /** @internal A fresh MAC: 02 (locally administered, unicast) then 5 bytes from the network's Random. */
  newMac(): Uint8Array {
    const mac = new Uint8Array(6);
    for (;;) {
      mac[0] = 0x02;
      const v = this.random.u32();
      mac[1] = v >>> 24;
      mac[2] = (v >>> 16) & 0xff;
      mac[3] = (v >>> 8) & 0xff;
      mac[4] = v & 0xff;
      mac[5] = this.random.u32() & 0xff;
      const key = macKey(mac, 0);
      if (!this.macs.has(key)) {
        this.macs.add(key);
        return mac;
      }
    }
  }

  /** @internal Marks a port as attached to a host; false when it already was. */
  claim(port: Port): boolean {
    if (this.claimed.has(port)) return false;
    this.claimed.add(port);
    return true;
  }
}

/** Network option `epoch` in ms since 1970. */
function epochOf(v: Date | string | number | undefined): number {
  if (v === undefined) return Date.UTC(2024, 0, 1);
  const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : v;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new TypeError(`Network: epoch must be a Date, a date string or ms since 1970, got ${String(v)}`);
  return ms;
}
