// A network interface of a host: its link (a Port: switch port, cable end, TUN), its MAC, MTU,
// addresses, neighbour tables and multicast link-layer filter. Received frames are filtered by
// destination MAC as an Ethernet NIC does and handed to ARP, IPv4 or IPv6 by EtherType.
// Interfaces are Tappable: a capture of an interface sees every frame it sends and receives.

import { formatMAC } from '../wire/addr.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETH_HEADER_LEN } from '../wire/ethernet.js';
import type { FrameTap, LinkLayer, Port, RxFilter, Tappable } from '../links/port.js';
import { TapList } from '../links/taps.js';
import type { NeighbourTable } from './neighbour.js';
import { gsoSegmentCount, gsoWireBytes, segmentTcp } from '../wire/gso.js';
import type { Kernel } from './kernel.js';

/** An IPv4 address on an interface. */
export interface Ipv4Address {
  readonly family: 4;
  readonly address: string;
  readonly bytes: Uint8Array;
  readonly u32: number;
  readonly prefix: number;
  readonly mask32: number;
  /** The subnet's directed broadcast (RFC 919); equal to u32 for /31 and /32. */
  readonly bcast32: number;
  readonly iface: Interface;
  /** The address as IPv4 input hands it to transports (text and shared read-only bytes). */
  readonly input: { readonly name: string; readonly bytes: Uint8Array };
}

/** An IPv6 address on an interface. */
export interface Ipv6Address {
  readonly family: 6;
  readonly address: string;
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** RFC 4291 §2.5: link-local (fe80::/10), loopback (host) or global. */
  readonly scope: 'host' | 'link' | 'global';
  /** The solicited-node multicast group joined for it (RFC 4861 §7.2.1). */
  readonly solicited: string;
  readonly iface: Interface;
}

/** One address in `host.addr()` / `ip addr`. */
export interface AddressInfo {
  family: 4 | 6;
  address: string;
  prefix: number;
  scope?: 'host' | 'link' | 'global';
  broadcast?: string;
}

/** Like `ip -s link`: the interface's own counters. */
export interface InterfaceStats {
  rxPackets: number;
  rxBytes: number;
  rxErrors: number;
  rxDropped: number;
  rxMulticast: number;
  txPackets: number;
  txBytes: number;
  txDropped: number;
  /** TCP super-frames handed to the wire whole (TSO; each also counts as its segments above). */
  txGso: number;
  /** TCP super-frames received whole (GRO in effect; each also counts as its segments above). */
  rxGso: number;
}

/** The MAC of layer-3 interfaces (loopback, TUN): all zero, one shared array nobody writes. */
export const NO_MAC: Uint8Array = new Uint8Array(6);

/** Linux NET_XMIT_DROP: what a queueing discipline that dropped a packet tells the sender. */
export const NET_XMIT_DROP = 1;

/** A root queueing discipline (`tc qdisc ... root pfifo limit N`). */
export interface Qdisc {
  kind: 'pfifo';
  /** Packets the queue holds. */
  limit: number;
}

export class Interface implements Tappable, RxFilter {
  readonly kernel: Kernel;
  readonly name: string;
  readonly ifindex: number;
  readonly layer: LinkLayer;
  private _mtu: number;
  private _up = true;
  /** 6 bytes; all zero on layer-3 interfaces (loopback, TUN). */
  readonly mac: Uint8Array;
  readonly macString: string;
  port: Port | null;
  readonly v4: Ipv4Address[] = [];
  readonly v6: Ipv6Address[] = [];
  /** ARP and NDP tables (layer-2 interfaces only). */
  arp: NeighbourTable | null = null;
  nd: NeighbourTable | null = null;
  readonly stats: InterfaceStats = { rxPackets: 0, rxBytes: 0, rxErrors: 0, rxDropped: 0, rxMulticast: 0, txPackets: 0, txBytes: 0, txDropped: 0, txGso: 0, rxGso: 0 };
  /** The kernel's link counters (kernel.stats.link), for counting without two more hops. */
  private readonly linkStats: Record<string, number>;
  /** Multicast MACs accepted on input, with a reference count per joined group. */
  readonly mcastMacs = new Map<number, number>();
  protected readonly taps = new TapList();
  /** Bound once, given to the port. */
  readonly receive: (frame: Uint8Array, gso?: number) => void;
  /**
   * Segmentation offload (`ethtool -K <if> tso|gso on|off`): TCP hands this interface up to
   * 64 KiB at once and the frames are cut where real frames matter (src/wire/gso.ts). On by
   * default; off, TCP sends one MSS per packet itself.
   */
  offload = true;
  /**
   * The root queueing discipline (`tc qdisc replace dev <if> root pfifo limit N`), or null for the
   * default. usernet's links take a packet the moment it is sent, so a pfifo's backlog is always
   * empty when a packet arrives: limit 0 drops every packet (Linux pfifo_enqueue's qdisc_drop,
   * NET_XMIT_DROP to the sender: TCP treats it as local congestion), any other limit none.
   */
  get qdisc(): Qdisc | null {
    return this._qdisc;
  }
  set qdisc(q: Qdisc | null) {
    if (q !== null && (typeof q !== 'object' || q.kind !== 'pfifo' || !Number.isInteger(q.limit) || q.limit < 0)) {
      throw new RangeError(`${this.name}: qdisc must be null or { kind: 'pfifo', limit: N } with N a whole number >= 0, got ${JSON.stringify(q)}`);
    }
    this._qdisc = q === null ? null : { kind: 'pfifo', limit: q.limit };
  }
  private _qdisc: Qdisc | null = null;

  constructor(kernel: Kernel, name: string, ifindex: number, layer: LinkLayer, mtu: number, mac: Uint8Array, port: Port | null) {
    this.kernel = kernel;
    this.name = name;
    this.ifindex = ifindex;
    this.layer = layer;
    this._mtu = mtu;
    this.mac = mac;
    this.macString = formatMAC(mac);
    this.port = port;
    this.linkStats = kernel.stats.link;
    this.receive = (frame, gso) => kernel.softnet.rx(this, frame, gso === undefined ? 0 : gso);
    if (port !== null) {
      port.onFrame = this.receive;
      if (layer === 2) port.rxFilter = this;
    }
  }

  /** Largest IP packet sent on this interface (`ip link set dev <if> mtu <n>`). */
  get mtu(): number {
    return this._mtu;
  }
  set mtu(v: number) {
    if (!Number.isInteger(v) || v < 68 || v > 65536) throw new RangeError(`${this.name}: MTU must be a whole number in 68..65536, got ${String(v)}`);
    this._mtu = v;
    this.kernel.invalidate();
  }

  /** Administrative state (`ip link set dev <if> up|down`): a down interface neither sends nor receives, and its routes are skipped. */
  get up(): boolean {
    return this._up;
  }
  set up(v: boolean) {
    this._up = v;
    this.kernel.invalidate();
    this.port?.filterChanged?.();
  }

  get captureName(): string {
    return `${this.kernel.name}:${this.name}`;
  }

  addTap(tap: FrameTap): () => void {
    const remove = this.taps.add(tap);
    this.port?.filterChanged?.(); // a captured interface rejects nothing at flood time (rejectsGroup)
    return () => {
      remove();
      this.port?.filterChanged?.();
    };
  }

  /** Adds an address ('10.0.0.1/24', 'fd00::1/64'; bare: /32 or /128) and its connected route. */
  addAddress(cidr: string): void {
    this.kernel.addAddress(this, cidr);
  }

  /** Removes an address (and its connected route). */
  delAddress(cidr: string): void {
    this.kernel.delAddress(this, cidr);
  }

  /** The addresses, like `ip addr show dev <name>`. */
  addresses(): AddressInfo[] {
    const out: AddressInfo[] = [];
    for (const a of this.v4) {
      const info: AddressInfo = { family: 4, address: a.address, prefix: a.prefix, scope: a.bytes[0] === 127 ? 'host' : 'global' };
      if (a.prefix < 31) info.broadcast = `${a.bcast32 >>> 24}.${(a.bcast32 >>> 16) & 255}.${(a.bcast32 >>> 8) & 255}.${a.bcast32 & 255}`;
      out.push(info);
    }
    for (const a of this.v6) out.push({ family: 6, address: a.address, prefix: a.prefix, scope: a.scope });
    return out;
  }

  /**
   * Hands a frame (layer 2) or packet (layer 3) to the link. `gso` > 0: a TCP super-frame, cut
   * here into real frames unless the port carries super-frames and nobody captures this interface.
   */
  transmit(frame: Uint8Array, gso = 0): number {
    const port = this.port;
    const q = this._qdisc;
    if (q !== null && q.limit === 0) {
      // Linux pfifo_enqueue: the backlog (always empty here) is not below the limit: qdisc_drop.
      this.stats.txDropped++;
      return NET_XMIT_DROP;
    }
    if (gso > 0) {
      if (port !== null && this.up && port.gso === true && this.taps.list.length === 0) {
        const l3 = this.layer === 2 ? 14 : 0;
        this.stats.txPackets += gsoSegmentCount(frame, l3, gso);
        this.stats.txBytes += gsoWireBytes(frame, l3, gso);
        this.stats.txGso++;
        port.send(frame, gso);
        return 0;
      }
      const segs = segmentTcp(frame, this.layer === 2 ? 14 : 0, gso);
      if (segs.length === 0) this.stats.txDropped++;
      for (let i = 0; i < segs.length; i++) this.transmit(segs[i]!, 0);
      return 0;
    }
    if (port === null || !this.up) {
      this.stats.txDropped++;
      return 0;
    }
    this.stats.txPackets++;
    this.stats.txBytes += frame.length;
    const taps = this.taps.list;
    if (taps.length !== 0) {
      const now = this.kernel.sched.now();
      for (let i = 0; i < taps.length; i++) taps[i]!(frame, now, this.layer);
    }
    port.send(frame);
    return 0;
  }

  /** Accepts the multicast MAC (refcounted): the NIC's multicast filter. */
  acceptMac(mac: Uint8Array): void {
    const k = macKey(mac, 0);
    const n = this.mcastMacs.get(k);
    this.mcastMacs.set(k, (n ?? 0) + 1);
    if (n === undefined) this.port?.filterChanged?.();
  }

  dropMac(mac: Uint8Array): void {
    const k = macKey(mac, 0);
    const n = this.mcastMacs.get(k);
    if (n === undefined) return;
    if (n <= 1) {
      this.mcastMacs.delete(k);
      this.port?.filterChanged?.();
    } else this.mcastMacs.set(k, n - 1);
  }

  /**
   * RxFilter: whether this interface's address filter drops a multicast frame to the group MAC
   * `key` on arrival (IEEE 802.3 §3.2.3, the NIC's multicast filter). Not while down (input()
   * takes nothing then, counts nothing) and not while captured: a capture sees every frame that
   * reaches the interface.
   */
  rejectsGroup(key: number): boolean {
    return this._up && this.taps.list.length === 0 && key !== BROADCAST_KEY && !this.mcastMacs.has(key);
  }

  /** RxFilter: a flooded multicast frame rejectsGroup() drops, counted as input() counts it. */
  countRejected(bytes: number): void {
    const st = this.stats;
    st.rxPackets++;
    st.rxBytes += bytes;
    const link = this.linkStats;
    link.InFrames!++;
    link.InOtherHost!++;
  }

  /** @internal A frame's turn in the host's receive round (softnet.ts). */
  deliver(frame: Uint8Array, gso: number): void {
    this.input(frame, gso);
  }

  /**
   * RxFilter: a flooded frame reaching this interface now whose arrival would change nothing but
   * counters (for now: a broadcast ARP request the host ignores, Arp.absorbs), counted as
   * input() counts it, without a copy. Not while captured.
   */
  absorbs(frame: Uint8Array): boolean {
    if (!this.up || this.taps.list.length !== 0 || frame.length < ETH_HEADER_LEN || frame[12] !== 0x08 || frame[13] !== 0x06) return false;
    if (macKey(frame, 0) !== BROADCAST_KEY || !this.kernel.arpProto.absorbs(this, frame)) return false;
    this.stats.rxPackets++;
    this.stats.rxBytes += frame.length;
    this.stats.rxMulticast++;
    this.kernel.stats.link.InFrames!++;
    return true;
  }

  /**
   * A frame from the link. `gso` > 0: a TCP super-frame that crossed only virtual wires (GRO's
   * result, in effect): counted and captured as the real frames it stands for, handed up whole.
   */
  protected input(frame: Uint8Array, gso = 0): void {
    if (!this.up) return;
    const st = this.stats;
    const k = this.kernel;
    const taps = this.taps.list;
    if (gso > 0) {
      const l3 = this.layer === 2 ? 14 : 0;
      const n = gsoSegmentCount(frame, l3, gso);
      st.rxPackets += n;
      st.rxBytes += gsoWireBytes(frame, l3, gso);
      st.rxGso++;
      k.stats.link.InFrames! += n;
      if (taps.length !== 0) {
        const now = k.sched.now();
        for (const f of segmentTcp(frame, l3, gso)) for (let i = 0; i < taps.length; i++) taps[i]!(f, now, this.layer);
      }
    } else {
      st.rxPackets++;
      st.rxBytes += frame.length;
      if (taps.length !== 0) {
        const now = k.sched.now();
        for (let i = 0; i < taps.length; i++) taps[i]!(frame, now, this.layer);
      }
      k.stats.link.InFrames!++;
    }
    if (this.layer === 3) {
      this.inputPacket(frame, false, gso);
      return;
    }
    if (frame.length < ETH_HEADER_LEN) {
      st.rxErrors++;
      k.stats.link.InErrors!++;
      return;
    }
    // IEEE 802.3 §3.2.3 / the NIC's address filter: our MAC, broadcast, or a joined group.
    let linkMcast = false;
    if ((frame[0]! & 1) !== 0) {
      linkMcast = true;
      const key = macKey(frame, 0);
      if (key !== BROADCAST_KEY && !this.mcastMacs.has(key)) {
        k.stats.link.InOtherHost!++;
        return;
      }
      st.rxMulticast++;
    } else {
      const m = this.mac;
      if (frame[0] !== m[0] || frame[1] !== m[1] || frame[2] !== m[2] || frame[3] !== m[3] || frame[4] !== m[4] || frame[5] !== m[5]) {
        k.stats.link.InOtherHost!++;
        return;
      }
    }
    const type = (frame[12]! << 8) | frame[13]!;
    const payload = frame.subarray(ETH_HEADER_LEN);
    if (type === ETHERTYPE_IPV4) k.ipv4.input(this, payload, linkMcast, gso);
    else if (type === ETHERTYPE_IPV6) k.ipv6.input(this, payload, linkMcast, gso);
    else if (type === ETHERTYPE_ARP) k.arpProto.input(this, frame, payload);
    else {
      // Linux rx_nohandler: an EtherType nobody handles (802.1Q tags included: no VLAN devices).
      st.rxDropped++;
      k.stats.link.InUnknownProtos!++;
    }
  }

  /** A bare IP packet (layer-3 link or loopback): dispatch on the version nibble. */
  protected inputPacket(packet: Uint8Array, linkMcast: boolean, gso = 0): void {
    const k = this.kernel;
    const v = packet.length > 0 ? packet[0]! >>> 4 : 0;
    if (v === 4) k.ipv4.input(this, packet, linkMcast, gso);
    else if (v === 6) k.ipv6.input(this, packet, linkMcast, gso);
    else {
      this.stats.rxErrors++;
      k.stats.link.InErrors!++;
    }
  }
}

/** A MAC as a 48-bit number (exact in a double), for Map keys. */
export function macKey(b: Uint8Array, off: number): number {
  return (b[off]! * 0x10000 + ((b[off + 1]! << 8) | b[off + 2]!)) * 0x1000000 + ((b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!);
}

const BROADCAST_KEY = 0xffffffffffff;
