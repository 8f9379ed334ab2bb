// Multicast group membership per interface (RFC 1112 §7 level 2 for IPv4, RFC 4291 §2.7 for
// IPv6): reference-counted joins from sockets and from the kernel itself (solicited-node groups),
// the interface's link-layer multicast filter, and input filtering (isMember).

import { constants } from 'node:os';
import { formatIPv4, formatIPv6, multicastMac, parseIPv4, parseIPv6 } from '../wire/addr.js';
import { EADDRNOTAVAIL, EINVAL } from '../sys/errno.js';
import type { Interface } from './interface.js';
import type { Kernel, KernelPacket } from './kernel.js';
import type { Icmpv6Repr } from '../wire/icmpv6.js';

const ENODEV = (constants.errno as Record<string, number>)['ENODEV'] ?? 19;

/** One group joined on one interface. */
export interface Group {
  readonly family: 4 | 6;
  readonly address: string;
  readonly bytes: Uint8Array;
  readonly iface: Interface;
  /** Any-source joins (IP_ADD_MEMBERSHIP): filter mode EXCLUDE {}. */
  asm: number;
  /** Source-specific joins (IP_ADD_SOURCE_MEMBERSHIP): INCLUDE {sources}, refcounted. */
  readonly sources: Map<string, number>;
  /** Joins by the kernel itself (solicited-node groups). */
  internal: number;
}

/** One line of `ip maddr`. */
export interface GroupInfo {
  family: 4 | 6;
  group: string;
  dev: string;
  users: number;
  mode: 'exclude' | 'include';
  sources?: string[];
}

export class Multicast {
  protected readonly groups = new Map<string, Group>();

  constructor(protected readonly k: Kernel) {}

  /** A new interface: Ethernet interfaces always accept all-hosts (RFC 1112 §7.2) and all-nodes (RFC 4291 §2.7.1). */
  interfaceAdded(iface: Interface): void {
    if (iface.layer !== 2) return;
    iface.acceptMac(multicastMac(ALL_HOSTS));
    iface.acceptMac(multicastMac(ALL_NODES));
  }

  isMember(family: 4 | 6, group: string, ifindex: number): boolean {
    if (ifindex !== 0) return this.groups.has(key(family, ifindex, group));
    for (const g of this.groups.values()) if (g.family === family && g.address === group) return true;
    return false;
  }

  /** The group's state on an interface (for source filtering by transports). */
  group(family: 4 | 6, group: string, ifindex: number): Group | undefined {
    return this.groups.get(key(family, ifindex, group));
  }

  join(family: 4 | 6, group: string, ifindex: number, source?: string): number {
    const bytes = family === 4 ? parseIPv4(group) : parseIPv6(group);
    if (bytes === null || !(family === 4 ? (bytes[0]! & 0xf0) === 0xe0 : bytes[0] === 0xff)) return -EINVAL;
    const address = family === 4 ? formatIPv4(bytes) : formatIPv6(bytes);
    const iface = this.pickInterface(family, address, ifindex);
    if (iface === undefined) return -ENODEV;
    let src: string | undefined;
    if (source !== undefined) {
      const sb = family === 4 ? parseIPv4(source) : parseIPv6(source);
      if (sb === null) return -EINVAL;
      src = family === 4 ? formatIPv4(sb) : formatIPv6(sb);
    }
    const { g, created } = this.obtain(family, address, bytes, iface);
    const before = this.filter(g);
    if (src === undefined) g.asm++;
    else g.sources.set(src, (g.sources.get(src) ?? 0) + 1);
    this.changed(g, before, created);
    return 0;
  }

  leave(family: 4 | 6, group: string, ifindex: number, source?: string): number {
    const bytes = family === 4 ? parseIPv4(group) : parseIPv6(group);
    if (bytes === null) return -EINVAL;
    const address = family === 4 ? formatIPv4(bytes) : formatIPv6(bytes);
    const iface = this.pickInterface(family, address, ifindex);
    if (iface === undefined) return -ENODEV;
    const g = this.groups.get(key(family, iface.ifindex, address));
    if (g === undefined) return -EADDRNOTAVAIL;
    const before = this.filter(g);
    if (source === undefined) {
      if (g.asm === 0) return -EADDRNOTAVAIL;
      g.asm--;
    } else {
      const sb = family === 4 ? parseIPv4(source) : parseIPv6(source);
      if (sb === null) return -EINVAL;
      const s = family === 4 ? formatIPv4(sb) : formatIPv6(sb);
      const n = g.sources.get(s);
      if (n === undefined) return -EADDRNOTAVAIL;
      if (n <= 1) g.sources.delete(s);
      else g.sources.set(s, n - 1);
    }
    this.changed(g, before, false);
    return 0;
  }

  /** Kernel-internal membership (solicited-node groups, RFC 4861 §7.2.1). */
  joinInternal(family: 4 | 6, address: string, iface: Interface): void {
    const bytes = family === 4 ? parseIPv4(address)! : parseIPv6(address)!;
    const { g, created } = this.obtain(family, address, bytes, iface);
    const before = this.filter(g);
    g.internal++;
    this.changed(g, before, created);
  }

  leaveInternal(family: 4 | 6, address: string, iface: Interface): void {
    const g = this.groups.get(key(family, iface.ifindex, address));
    if (g === undefined || g.internal === 0) return;
    const before = this.filter(g);
    g.internal--;
    this.changed(g, before, false);
  }

  /** Like `ip maddr`. */
  list(): GroupInfo[] {
    const out: GroupInfo[] = [];
    for (const g of this.groups.values()) {
      const mode = this.filter(g);
      const info: GroupInfo = { family: g.family, group: g.address, dev: g.iface.name, users: g.asm + g.internal + [...g.sources.values()].reduce((a, b) => a + b, 0), mode: mode === null ? 'include' : mode.mode };
      if (mode !== null && mode.mode === 'include') info.sources = mode.sources;
      out.push(info);
    }
    return out;
  }

  /** IGMP from the wire (protocol 2). */
  inputIgmp(pkt: KernelPacket): void {
    this.k.stats.igmp.InMsgs!++;
    void pkt;
  }

  /** An MLD query (RFC 3810). */
  inputMld(pkt: KernelPacket, m: Icmpv6Repr): void {
    void pkt;
    void m;
  }

  // ---- internals --------------------------------------------------------------------------------

  /** The interface for a join: the one asked for, else the one the group routes to (Linux ip_mc_find_dev). */
  private pickInterface(family: 4 | 6, address: string, ifindex: number): Interface | undefined {
    if (ifindex !== 0) return this.k.iface(ifindex);
    const p = this.k.path(family, address);
    return typeof p === 'number' ? undefined : p.iface;
  }

  private obtain(family: 4 | 6, address: string, bytes: Uint8Array, iface: Interface): { g: Group; created: boolean } {
    const k = key(family, iface.ifindex, address);
    let g = this.groups.get(k);
    if (g !== undefined) return { g, created: false };
    g = { family, address, bytes: bytes.slice(), iface, asm: 0, sources: new Map(), internal: 0 };
    this.groups.set(k, g);
    if (iface.layer === 2) iface.acceptMac(multicastMac(bytes));
    return { g, created: true };
  }

  /** The interface-level filter (RFC 3376 §3.2 merge of socket states): null when nobody is joined. */
  protected filter(g: Group): { mode: 'exclude' | 'include'; sources: string[] } | null {
    if (g.asm > 0 || g.internal > 0) return { mode: 'exclude', sources: [] };
    if (g.sources.size > 0) return { mode: 'include', sources: [...g.sources.keys()].sort() };
    return null;
  }

  /** After a join or leave: drop the group when unused, report the change. */
  protected changed(g: Group, before: { mode: 'exclude' | 'include'; sources: string[] } | null, _created: boolean): void {
    const after = this.filter(g);
    if (after === null) {
      this.groups.delete(key(g.family, g.iface.ifindex, g.address));
      if (g.iface.layer === 2) g.iface.dropMac(multicastMac(g.bytes));
    }
    void before;
  }
}

const ALL_HOSTS = new Uint8Array([224, 0, 0, 1]);
const ALL_NODES = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

function key(family: 4 | 6, ifindex: number, group: string): string {
  return `${family}|${ifindex}|${group}`;
}
