// Network partitions: world.partition(groupA, groupB) cuts every host of one group off from every
// host of the other, whatever lies between them (one switch, a cable, routers), until heal().
//
// Where the cut is enforced: on arrival at a host of the far group, before its interface sees
// the frame (so a capture of that interface does not show it; a capture of the switch or cable
// does, as the frame did cross the wire). A frame is dropped when it comes from a cut host:
//   - its Ethernet source address is one of that host's interfaces (a direct neighbour), or
//   - it carries an IP packet whose source address is one of that host's addresses (IPv4 or
//     IPv6, loopback addresses aside), which is how a packet routed through hosts in neither
//     group is still recognised: routers forward as usual, the packet dies at the last hop.
// A full cut (the default) drops everything from the other side, ARP and neighbour discovery
// included, as if the wires between the groups were cut: resolution fails, and a sender sees
// EHOSTUNREACH where a real one would. A one-way cut ({ oneWay: true }) drops what A sends to B
// except address resolution (ARP, NDP neighbour solicitations and advertisements): otherwise B
// could never resolve A's address and the cut would be two-way for every new conversation.
//
// Costs: a host no partition concerns has its ports wired straight to its interfaces (the
// per-frame path is untouched); a cut host pays a Map lookup on the source MAC and a lookup of
// the source address in each cut-off host's address table, per frame.
//
// Dropped frames are counted per direction in partition.stats() (a TCP super-frame that stands
// for several frames counts as those frames).

import { formatIPv6 } from '../wire/addr.js';
import { get32 } from '../wire/bytes.js';
import { gsoSegmentCount } from '../wire/gso.js';
import { codes } from '../node/errors.js';
import { validateBoolean, validateObject } from '../node/validators.js';
import type { Interface } from '../kernel/interface.js';
import { Host } from './host.js';
import type { Network } from './network.js';

const { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE } = codes;

export interface PartitionOptions {
  /** Cut only what group A sends to group B; B still reaches A. Default false (both ways). */
  oneWay?: boolean;
}

/** Frames a partition dropped, by direction. */
export interface PartitionStats {
  /** Frames from a host of group A dropped on arrival at a host of group B. */
  'a->b': number;
  /** Frames from B dropped at A (always 0 for a one-way cut). */
  'b->a': number;
  /** Both directions. */
  dropped: number;
}

/** @internal One cut as a receiving host applies it. */
export interface IngressCut {
  /** The hosts whose frames are dropped. */
  readonly from: ReadonlySet<Host>;
  readonly partition: Partition;
  readonly dir: 'a->b' | 'b->a';
  /** ARP and NDP solicitations/advertisements go through (one-way cuts). */
  readonly resolutionPasses: boolean;
}

export class Partition {
  /** The hosts on each side, without duplicates, in the order given. */
  readonly groupA: readonly Host[];
  readonly groupB: readonly Host[];
  readonly oneWay: boolean;
  private _active = true;
  private droppedAB = 0;
  private droppedBA = 0;
  /** @internal */ readonly setA: ReadonlySet<Host>;
  /** @internal */ readonly setB: ReadonlySet<Host>;

  /** @internal Use world.partition(). Arguments are checked here, Node-style. */
  constructor(private readonly network: Network, groupA: unknown, groupB: unknown, opts: unknown) {
    const a = checkGroup(network, groupA, 'groupA');
    const b = checkGroup(network, groupB, 'groupB');
    for (const h of b) {
      if (a.includes(h)) throw new ERR_INVALID_ARG_VALUE('groupB', groupB, `must not contain a host of groupA (${h.name} is in both)`);
    }
    let oneWay = false;
    if (opts !== undefined) {
      validateObject(opts, 'opts');
      const o = (opts as PartitionOptions).oneWay;
      if (o !== undefined) {
        validateBoolean(o, 'opts.oneWay');
        oneWay = o;
      }
    }
    this.groupA = a;
    this.groupB = b;
    this.setA = new Set(a);
    this.setB = new Set(b);
    this.oneWay = oneWay;
  }

  /** Whether the cut still holds (false after heal()). */
  get active(): boolean {
    return this._active;
  }

  /** Ends this cut (others that overlap it stay). A second call does nothing. */
  heal(): void {
    if (!this._active) return;
    this._active = false;
    this.network._healed(this);
  }

  stats(): PartitionStats {
    return { 'a->b': this.droppedAB, 'b->a': this.droppedBA, dropped: this.droppedAB + this.droppedBA };
  }

  /** @internal */
  _drop(dir: 'a->b' | 'b->a', frames: number): void {
    if (dir === 'a->b') this.droppedAB += frames;
    else this.droppedBA += frames;
  }

  /** @internal The cuts `host` applies to what it receives because of this partition. */
  _cutsFor(host: Host): IngressCut[] {
    const out: IngressCut[] = [];
    if (this.setB.has(host)) out.push({ from: this.setA, partition: this, dir: 'a->b', resolutionPasses: this.oneWay });
    if (this.setA.has(host) && !this.oneWay) out.push({ from: this.setB, partition: this, dir: 'b->a', resolutionPasses: false });
    return out;
  }

  /** Every host either group holds. */
  get hosts(): readonly Host[] {
    return [...this.groupA, ...this.groupB];
  }
}

function checkGroup(network: Network, value: unknown, name: string): Host[] {
  if (!Array.isArray(value)) throw new ERR_INVALID_ARG_TYPE(name, 'Array', value);
  if (value.length === 0) throw new ERR_INVALID_ARG_VALUE(name, value, 'must not be empty');
  const out: Host[] = [];
  for (let i = 0; i < value.length; i++) {
    const h: unknown = value[i];
    if (!(h instanceof Host)) throw new ERR_INVALID_ARG_TYPE(`${name}[${i}]`, 'Host', h);
    if (network.hosts.get(h.name) !== h) throw new ERR_INVALID_ARG_VALUE(`${name}[${i}]`, h, 'must be a host of this network');
    if (!out.includes(h)) out.push(h);
  }
  return out;
}

/**
 * What a cut host's port hands frames to instead of the interface: drops what a cut lets not
 * through, counting it, and passes the rest on unchanged. `sender` names the host an Ethernet
 * source address belongs to.
 */
export function ingressFilter(host: Host, iface: Interface, sender: (frame: Uint8Array) => Host | undefined): (frame: Uint8Array, gso?: number) => void {
  const receive: (frame: Uint8Array, gso?: number) => void = iface.receive;
  const layer = iface.layer;
  return (frame, gso) => {
    const cuts = host._cuts;
    if (cuts.length !== 0) {
      const c = blockingCut(cuts, frame, layer, sender);
      if (c !== null) {
        c.partition._drop(c.dir, gso !== undefined && gso > 0 ? gsoSegmentCount(frame, layer === 2 ? 14 : 0, gso) : 1);
        return;
      }
    }
    receive(frame, gso);
  };
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;

/** The cut that drops this frame, or null. */
function blockingCut(cuts: readonly IngressCut[], frame: Uint8Array, layer: 2 | 3, sender: (frame: Uint8Array) => Host | undefined): IngressCut | null {
  let l3 = 0;
  let type = 0;
  let from: Host | undefined;
  if (layer === 2) {
    if (frame.length < 14) return null;
    from = sender(frame);
    type = (frame[12]! << 8) | frame[13]!;
    l3 = 14;
  } else if (frame.length > 0) {
    const v = frame[0]! >>> 4;
    type = v === 4 ? ETHERTYPE_IPV4 : v === 6 ? ETHERTYPE_IPV6 : 0;
  }
  const resolution = type === ETHERTYPE_ARP || (type === ETHERTYPE_IPV6 && isNeighbourDiscovery(frame, l3));
  // The IP source: IPv4 as its 32-bit value (the key of Kernel.local4), IPv6 as canonical text
  // (the key of Kernel.local6), computed once and only when needed. Loopback sources are nobody's.
  const v4 = type === ETHERTYPE_IPV4 && frame.length >= l3 + 20 && frame[l3 + 12] !== 127;
  const src4 = v4 ? get32(frame, l3 + 12) : 0;
  const v6 = type === ETHERTYPE_IPV6 && frame.length >= l3 + 40;
  let src6: string | null = null;
  for (let i = 0; i < cuts.length; i++) {
    const c = cuts[i]!;
    if (resolution && c.resolutionPasses) continue;
    if (from !== undefined && c.from.has(from)) return c;
    if (v4) {
      for (const h of c.from) if (h.kernel.local4.has(src4)) return c;
    } else if (v6) {
      src6 ??= formatIPv6(frame.subarray(l3 + 8, l3 + 24));
      if (src6 === '::1') continue;
      for (const h of c.from) if (h.kernel.local6.has(src6)) return c;
    }
  }
  return null;
}

/** ICMPv6 neighbour solicitation or advertisement (RFC 4861 §4.3, §4.4) right after the IPv6 header. */
function isNeighbourDiscovery(frame: Uint8Array, l3: number): boolean {
  if (frame.length < l3 + 41 || frame[l3 + 6] !== 58) return false;
  const t = frame[l3 + 40]!;
  return t === 135 || t === 136;
}
