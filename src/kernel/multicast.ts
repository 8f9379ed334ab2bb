// Multicast group membership per interface, as a host does it:
// - reference-counted joins from sockets (any-source and source-specific) and from the kernel
//   itself (solicited-node groups, RFC 4861 §7.2.1), merged into one filter per interface
//   (RFC 3376 §3.2): EXCLUDE {} when anyone joined for any source, else INCLUDE {sources};
// - the interface's link-layer multicast filter (RFC 1112 §6.4, RFC 2464 §7);
// - IGMPv3 (RFC 3376) and MLDv2 (RFC 3810) state-change reports on every filter change, sent
//   [Robustness Variable] = 2 times, the repeat within [Unsolicited Report Interval] = 1 s;
// - answers to queries after a random delay within the query's maximum response time, and
//   IGMPv2 / MLDv1 compatibility while an older querier is present (RFC 3376 §7.2.1, RFC 3810 §8.2.1).

import { constants } from 'node:os';
import { formatIPv4, formatIPv6, isLinkLocalIP, multicastMac, parseIPv4, parseIPv6 } from '../wire/addr.js';
import { WireError } from '../wire/error.js';
import { emitEthernetHeader, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETH_HEADER_LEN } from '../wire/ethernet.js';
import { emitIpv4Header, IPOPT_RA } from '../wire/ipv4.js';
import { emitIpv6Header, IPV6_HEADER_LEN, IPV6_HOPOPTS } from '../wire/ipv6.js';
import {
  emitIcmpv6, icmpv6Length, MLD_DONE, MLD_REPORT, MLDV2_REPORT, MLD2_ALLOW_NEW_SOURCES, MLD2_BLOCK_OLD_SOURCES,
  MLD2_CHANGE_TO_EXCLUDE, MLD2_CHANGE_TO_INCLUDE, MLD2_MODE_IS_EXCLUDE, MLD2_MODE_IS_INCLUDE, type Icmpv6Message, type Icmpv6Repr,
} from '../wire/icmpv6.js';
import {
  emitIgmpv2, emitIgmpv3Report, igmpv3ReportLength, IGMP_QUERY, IGMPV1_REPORT, IGMPV2_LEAVE, IGMPV2_REPORT, IGMPV3_REPORT,
  parseIgmp, type IgmpRecord,
} from '../wire/igmp.js';
import type { Timer } from '../links/clock.js';
import { EADDRNOTAVAIL, EINVAL } from '../uapi/errno.js';
import { IPPROTO_ICMPV6, IPPROTO_IGMP } from './ip-types.js';
import type { Interface } from './interface.js';
import type { Kernel, KernelPacket } from './kernel.js';
import { LazyMap } from '../links/lazy.js';

const ENODEV = (constants.errno as Record<string, number>)['ENODEV'] ?? 19;

/** RFC 3376 §8.1 / RFC 3810 §9.1: Robustness Variable. */
const ROBUSTNESS = 2;
/** RFC 3376 §8.11 / RFC 3810 §9.11: Unsolicited Report Interval, 1 s. */
const UNSOLICITED_REPORT_MS = 1000;
/** RFC 3376 §8.12 / RFC 3810 §9.12: Older Version Querier Present Timeout = 2 × 125 s + 10 s. */
const OLDER_QUERIER_MS = ROBUSTNESS * 125_000 + 10_000;

/** The interface-level filter of a group. */
export interface Filter {
  mode: 'exclude' | 'include';
  sources: string[];
}

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
  /** A pending answer to a group-specific query. */
  queryTimer: Timer | null;
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

interface IfState {
  /** Until when an IGMPv1/v2 or MLDv1 querier was heard (compatibility mode). */
  olderV4: number;
  olderV6: number;
  generalV4: Timer | null;
  generalV6: Timer | null;
}

/**
 * A group's address bytes, read-only and shared by every host of the process that joins it (the
 * all-nodes and all-hosts groups are joined by every host): at most GROUP_BYTES_MAX addresses
 * are kept, the first ones seen; others get a copy of their own.
 */
const groupBytesCache = new Map<string, Uint8Array>();
const GROUP_BYTES_MAX = 64;
function groupBytes(address: string, bytes: Uint8Array): Uint8Array {
  const known = groupBytesCache.get(address);
  if (known !== undefined) return known;
  const own = bytes.slice();
  if (groupBytesCache.size < GROUP_BYTES_MAX) groupBytesCache.set(address, own);
  return own;
}

export class Multicast {
  protected readonly groups = new Map<string, Group>();
  private readonly ifs = new Map<Interface, IfState>();

  constructor(protected readonly k: Kernel) {}

  /** A new interface: Ethernet interfaces always accept all-hosts (RFC 1112 §7.2) and all-nodes (RFC 4291 §2.7.1). */
  interfaceAdded(iface: Interface): void {
    this.ifs.set(iface, { olderV4: -Infinity, olderV6: -Infinity, generalV4: null, generalV6: null });
    if (iface.layer !== 2) return;
    iface.acceptMac(multicastMac(ALL_HOSTS));
    iface.acceptMac(multicastMac(ALL_NODES));
  }

  isMember(family: 4 | 6, group: string, ifindex: number): boolean {
    // RFC 1112 §7.2 / RFC 4291 §2.7.1: every host is a member of all-hosts / all-nodes.
    if (group === '224.0.0.1' || group === 'ff02::1' || group === 'ff01::1') return ifindex === 0 || this.k.iface(ifindex) !== undefined;
    if (ifindex !== 0) return this.groups.has(key(family, ifindex, group));
    for (const g of this.groups.values()) if (g.family === family && g.address === group) return true;
    return false;
  }

  /** The group's state on an interface. */
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
    const g = this.obtain(family, address, bytes, iface);
    const before = this.filter(g);
    if (src === undefined) g.asm++;
    else g.sources.set(src, (g.sources.get(src) ?? 0) + 1);
    this.changed(g, before);
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
    this.changed(g, before);
    return 0;
  }

  /** Kernel-internal membership (solicited-node groups, RFC 4861 §7.2.1). */
  joinInternal(family: 4 | 6, address: string, iface: Interface): void {
    const bytes = family === 4 ? parseIPv4(address)! : parseIPv6(address)!;
    const g = this.obtain(family, address, bytes, iface);
    const before = this.filter(g);
    g.internal++;
    this.changed(g, before);
  }

  leaveInternal(family: 4 | 6, address: string, iface: Interface): void {
    const g = this.groups.get(key(family, iface.ifindex, address));
    if (g === undefined || g.internal === 0) return;
    const before = this.filter(g);
    g.internal--;
    this.changed(g, before);
  }

  /** Like `ip maddr`. */
  list(): GroupInfo[] {
    const out: GroupInfo[] = [];
    for (const g of this.groups.values()) {
      const f = this.filter(g)!;
      let users = g.asm + g.internal;
      for (const n of g.sources.values()) users += n;
      const info: GroupInfo = { family: g.family, group: g.address, dev: g.iface.name, users, mode: f.mode };
      if (f.mode === 'include') info.sources = f.sources;
      out.push(info);
    }
    return out;
  }

  /** The interface-level filter (RFC 3376 §3.2 merge of the socket states); null when nobody is joined. */
  filter(g: Group): Filter | null {
    if (g.asm > 0 || g.internal > 0) return { mode: 'exclude', sources: [] };
    if (g.sources.size > 0) return { mode: 'include', sources: [...g.sources.keys()].sort() };
    return null;
  }

  /**
   * Host crash: the sockets' memberships are forgotten without a report (nothing is sent), with
   * the pending query answers and what was learnt of queriers. The kernel's own groups
   * (solicited-node, RFC 4861 §7.2.1) stay, as the addresses they belong to do.
   */
  forgetSockets(): void {
    for (const [k, g] of this.groups) {
      g.queryTimer?.cancel();
      g.queryTimer = null;
      g.asm = 0;
      g.sources.clear();
      if (g.internal === 0) {
        this.groups.delete(k);
        if (g.iface.layer === 2) g.iface.dropMac(multicastMac(g.bytes));
      }
    }
    for (const s of this.ifs.values()) {
      s.generalV4?.cancel();
      s.generalV6?.cancel();
      s.generalV4 = null;
      s.generalV6 = null;
      s.olderV4 = -Infinity;
      s.olderV6 = -Infinity;
    }
  }

  /** Forgets every group and timer (host crash). */
  clear(): void {
    for (const g of this.groups.values()) g.queryTimer?.cancel();
    for (const s of this.ifs.values()) { s.generalV4?.cancel(); s.generalV6?.cancel(); }
    this.groups.clear();
  }

  // ---- input ------------------------------------------------------------------------------------

  /** IGMP from the wire (IP protocol 2). */
  inputIgmp(pkt: KernelPacket): void {
    const k = this.k;
    const st = k.stats.igmp;
    st.InMsgs!++;
    const m = parseIgmp(pkt.payload);
    if (m instanceof WireError || !m.checksumOk) {
      st.InErrors!++;
      return;
    }
    const iface = k.iface(pkt.ifindex);
    if (iface === undefined) return;
    if (m.type === IGMP_QUERY) {
      st.InQueries!++;
      const s = this.ifs.get(iface)!;
      // RFC 3376 §7.2.1: an IGMPv1/v2 query switches the interface to v2 reports for a while.
      if (m.version !== 3) s.olderV4 = k.sched.now() + OLDER_QUERIER_MS;
      const group = get4(m.group);
      if (group === 0) this.scheduleGeneral(iface, 4, m.maxResponse);
      else this.scheduleGroup(4, formatIPv4(m.group), iface, m.maxResponse, (m.sources ?? []).map((b) => formatIPv4(b)));
      return;
    }
    if (m.type === IGMPV3_REPORT || m.type === IGMPV2_REPORT || m.type === IGMPV1_REPORT) st.InReports!++;
    else if (m.type === IGMPV2_LEAVE) st.InLeaves!++;
  }

  /** An MLD query (RFC 3810 §5.1; MLDv1 RFC 2710 §3). */
  inputMld(pkt: KernelPacket, m: Icmpv6Repr): void {
    const k = this.k;
    const mld = m.mld;
    // RFC 3810 §5.1.14: queries come from a link-local source with hop limit 1.
    if (mld === undefined || pkt.ttl !== 1 || !isLinkLocalIP(pkt.srcBytes)) {
      k.stats.icmp6.InErrors!++;
      return;
    }
    const iface = k.iface(pkt.ifindex);
    if (iface === undefined) return;
    const s = this.ifs.get(iface)!;
    if (mld.version === 1) s.olderV6 = k.sched.now() + OLDER_QUERIER_MS;
    const group = mld.group ?? new Uint8Array(16);
    if (group.every((b) => b === 0)) this.scheduleGeneral(iface, 6, mld.maxResponse);
    else this.scheduleGroup(6, formatIPv6(group), iface, mld.maxResponse, (mld.sources ?? []).map((b) => formatIPv6(b)));
  }

  // ---- reports ----------------------------------------------------------------------------------

  /** RFC 3376 §5.2 / RFC 3810 §6.2: answer a general query within its maximum response time. */
  private scheduleGeneral(iface: Interface, family: 4 | 6, maxMs: number): void {
    const s = this.ifs.get(iface)!;
    const delay = this.k.random.int(Math.max(1, maxMs));
    const pending = family === 4 ? s.generalV4 : s.generalV6;
    if (pending !== null && pending.pending && pending.time <= this.k.sched.now() + delay) return;
    pending?.cancel();
    const t = this.k.sched.after(delay, () => {
      if (family === 4) s.generalV4 = null;
      else s.generalV6 = null;
      this.currentState(iface, family, null, null);
    }, false);
    if (family === 4) s.generalV4 = t;
    else s.generalV6 = t;
  }

  private scheduleGroup(family: 4 | 6, address: string, iface: Interface, maxMs: number, sources: string[]): void {
    const g = this.groups.get(key(family, iface.ifindex, address));
    if (g === undefined || !reportable(g)) return;
    const delay = this.k.random.int(Math.max(1, maxMs));
    if (g.queryTimer !== null && g.queryTimer.pending && g.queryTimer.time <= this.k.sched.now() + delay) return;
    g.queryTimer?.cancel();
    g.queryTimer = this.k.sched.after(delay, () => {
      g.queryTimer = null;
      if (this.groups.get(key(family, iface.ifindex, address)) === g) this.currentState(iface, family, g, sources.length > 0 ? sources : null);
    }, false);
  }

  /** Current-state records (MODE_IS_INCLUDE / MODE_IS_EXCLUDE) for one group or all of them. */
  private currentState(iface: Interface, family: 4 | 6, only: Group | null, querySources: string[] | null): void {
    const groups = only !== null ? [only] : [...this.groups.values()].filter((g) => g.iface === iface && g.family === family && reportable(g));
    if (this.older(iface, family)) {
      for (const g of groups) this.sendOld(g, true);
      return;
    }
    const records: Rec[] = [];
    for (const g of groups) {
      const f = this.filter(g);
      if (f === null) continue;
      if (querySources !== null) {
        // RFC 3376 §5.2: a group-and-source query is answered with IS_IN of the asked sources we want.
        const want = f.mode === 'exclude' ? querySources.filter((x) => !f.sources.includes(x)) : querySources.filter((x) => f.sources.includes(x));
        if (want.length > 0) records.push({ type: MLD2_MODE_IS_INCLUDE, group: g, sources: want });
        continue;
      }
      records.push({ type: f.mode === 'exclude' ? MLD2_MODE_IS_EXCLUDE : MLD2_MODE_IS_INCLUDE, group: g, sources: f.sources });
    }
    if (records.length > 0) this.sendReport(iface, family, records);
  }

  /** After a join or leave: report the filter change (RFC 3376 §5.1, RFC 3810 §6.1), drop the group when unused. */
  private changed(g: Group, before: Filter | null): void {
    const after = this.filter(g);
    if (after === null) {
      this.groups.delete(key(g.family, g.iface.ifindex, g.address));
      g.queryTimer?.cancel();
      if (g.iface.layer === 2) g.iface.dropMac(multicastMac(g.bytes));
    }
    if (!reportable(g) || g.iface.layer !== 2) return;
    if (this.older(g.iface, g.family)) {
      // IGMPv2 / MLDv1: a report on join, a leave / done when the last member goes.
      if (before === null && after !== null) this.repeat(() => this.sendOld(g, true));
      else if (before !== null && after === null) this.sendOld(g, false);
      return;
    }
    const records: Rec[] = [];
    const b = before ?? { mode: 'include' as const, sources: [] };
    const a = after ?? { mode: 'include' as const, sources: [] };
    if (b.mode === a.mode) {
      if (a.mode === 'include') {
        const allow = a.sources.filter((x) => !b.sources.includes(x));
        const block = b.sources.filter((x) => !a.sources.includes(x));
        if (allow.length > 0) records.push({ type: MLD2_ALLOW_NEW_SOURCES, group: g, sources: allow });
        if (block.length > 0) records.push({ type: MLD2_BLOCK_OLD_SOURCES, group: g, sources: block });
      }
    } else {
      records.push({ type: a.mode === 'exclude' ? MLD2_CHANGE_TO_EXCLUDE : MLD2_CHANGE_TO_INCLUDE, group: g, sources: a.sources });
    }
    if (records.length === 0) return;
    this.repeat(() => this.sendReport(g.iface, g.family, records));
  }

  /** Sends now and [Robustness Variable] - 1 more times, each within the Unsolicited Report Interval. */
  private repeat(send: () => void): void {
    send();
    let left = ROBUSTNESS - 1;
    const again = (): void => {
      send();
      if (--left > 0) this.k.sched.after(this.k.random.int(UNSOLICITED_REPORT_MS) + 1, again, false);
    };
    if (left > 0) this.k.sched.after(this.k.random.int(UNSOLICITED_REPORT_MS) + 1, again, false);
  }

  private older(iface: Interface, family: 4 | 6): boolean {
    const s = this.ifs.get(iface);
    if (s === undefined) return false;
    return (family === 4 ? s.olderV4 : s.olderV6) > this.k.sched.now();
  }

  /** IGMPv3 report to 224.0.0.22 / MLDv2 report to ff02::16. The record types have the same numbers. */
  private sendReport(iface: Interface, family: 4 | 6, records: Rec[]): void {
    if (family === 4) {
      const recs: IgmpRecord[] = records.map((r) => ({ type: r.type, group: r.group.bytes, sources: r.sources.map((s) => parseIPv4(s)!) }));
      const len = igmpv3ReportLength(recs);
      const f = this.v4Frame(iface, IGMPV3_ROUTERS, len);
      emitIgmpv3Report(f, ETH_HEADER_LEN + 24, recs);
      this.k.stats.igmp.OutReports!++;
      iface.transmit(f);
      return;
    }
    const m: Icmpv6Message = {
      type: MLDV2_REPORT, code: 0,
      mld: { version: 2, maxResponse: 0, records: records.map((r) => ({ type: r.type, group: r.group.bytes, sources: r.sources.map((s) => parseIPv6(s)!) })) },
    };
    this.k.stats.icmp6.OutMLDv2Reports!++;
    iface.transmit(this.v6Frame(iface, MLDV2_ROUTERS, m));
  }

  /** IGMPv2 report / leave (RFC 2236 §3) or MLDv1 report / done (RFC 2710 §4). */
  private sendOld(g: Group, report: boolean): void {
    const iface = g.iface;
    if (g.family === 4) {
      const dst = report ? g.bytes : ALL_ROUTERS4;
      const f = this.v4Frame(iface, dst, 8);
      emitIgmpv2(f, ETH_HEADER_LEN + 24, report ? IGMPV2_REPORT : IGMPV2_LEAVE, 0, g.bytes);
      if (report) this.k.stats.igmp.OutReports!++;
      else this.k.stats.igmp.OutLeaves!++;
      iface.transmit(f);
      return;
    }
    const m: Icmpv6Message = { type: report ? MLD_REPORT : MLD_DONE, code: 0, mld: { version: 1, maxResponse: 0, group: g.bytes } };
    if (!report) this.k.stats.icmp6.OutGroupMembReductions!++;
    iface.transmit(this.v6Frame(iface, report ? g.bytes : ALL_ROUTERS6, m));
  }

  /** Ethernet + IPv4 header with the router alert option (RFC 2113; RFC 3376 §4), TTL 1, for `len` bytes of IGMP. */
  private v4Frame(iface: Interface, dst: Uint8Array, len: number): Uint8Array {
    const f = new Uint8Array(ETH_HEADER_LEN + 24 + len);
    emitEthernetHeader(f, 0, multicastMac(dst), iface.mac, ETHERTYPE_IPV4);
    const src = iface.v4[0]?.bytes ?? new Uint8Array(4); // RFC 3376 §4.2.13: 0.0.0.0 before an address is configured
    // Linux igmpv3_newpack: TOS 0xc0, DF set.
    emitIpv4Header(f, ETH_HEADER_LEN, {
      tos: 0xc0, totalLength: 24 + len, id: this.k.ipv4.takeId(), df: true, ttl: 1, protocol: IPPROTO_IGMP, src, dst,
      options: ROUTER_ALERT_V4,
    });
    this.k.stats.ip.OutRequests!++;
    this.k.stats.ip.OutMcastPkts!++;
    return f;
  }

  /** Ethernet + IPv6 + hop-by-hop router alert (RFC 2711; RFC 3810 §5) + ICMPv6, hop limit 1, link-local source. */
  private v6Frame(iface: Interface, dst: Uint8Array, m: Icmpv6Message): Uint8Array {
    const len = icmpv6Length(m);
    const f = new Uint8Array(ETH_HEADER_LEN + IPV6_HEADER_LEN + 8 + len);
    emitEthernetHeader(f, 0, multicastMac(dst), iface.mac, ETHERTYPE_IPV6);
    // RFC 3810 §5.2.13: the source is link-local (unspecified before one exists).
    const src = iface.v6.find((a) => a.scope === 'link')?.bytes ?? new Uint8Array(16);
    emitIpv6Header(f, ETH_HEADER_LEN, { payloadLength: 8 + len, nextHeader: IPV6_HOPOPTS, hopLimit: 1, src, dst });
    f.set([IPPROTO_ICMPV6, 0, 5, 2, 0, 0, 1, 0], ETH_HEADER_LEN + IPV6_HEADER_LEN); // router alert (MLD), PadN
    emitIcmpv6(f, ETH_HEADER_LEN + IPV6_HEADER_LEN + 8, src, dst, m);
    this.k.stats.icmp6.OutMsgs!++;
    this.k.stats.ip6.OutRequests!++;
    this.k.stats.ip6.OutMcastPkts!++;
    return f;
  }

  // ---- internals --------------------------------------------------------------------------------

  /** The interface for a join: the one asked for, else the one the group routes to (Linux ip_mc_find_dev). */
  private pickInterface(family: 4 | 6, address: string, ifindex: number): Interface | undefined {
    if (ifindex !== 0) return this.k.iface(ifindex);
    const p = this.k.path(family, address);
    return typeof p === 'number' ? undefined : p.iface;
  }

  private obtain(family: 4 | 6, address: string, bytes: Uint8Array, iface: Interface): Group {
    const k = key(family, iface.ifindex, address);
    let g = this.groups.get(k);
    if (g !== undefined) return g;
    g = { family, address, bytes: groupBytes(address, bytes), iface, asm: 0, sources: new LazyMap(), internal: 0, queryTimer: null };
    this.groups.set(k, g);
    if (iface.layer === 2) iface.acceptMac(multicastMac(bytes));
    return g;
  }
}

interface Rec {
  type: number;
  group: Group;
  sources: string[];
}

const ALL_HOSTS = new Uint8Array([224, 0, 0, 1]);
const ALL_ROUTERS4 = new Uint8Array([224, 0, 0, 2]);
const IGMPV3_ROUTERS = new Uint8Array([224, 0, 0, 22]);
const ALL_NODES = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const ALL_ROUTERS6 = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
const MLDV2_ROUTERS = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16]);
/** RFC 2113: router alert, value 0 ("examine packet"). */
const ROUTER_ALERT_V4 = new Uint8Array([IPOPT_RA, 4, 0, 0]);

/**
 * RFC 3376 §5: no reports for 224.0.0.1 (all-systems); RFC 3810 §6: none for ff02::1 or for
 * scopes 0 and 1 (reserved, interface-local).
 */
function reportable(g: Group): boolean {
  if (g.family === 4) return g.address !== '224.0.0.1';
  return g.address !== 'ff02::1' && (g.bytes[1]! & 0x0f) > 1;
}

function get4(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

function key(family: 4 | 6, ifindex: number, group: string): string {
  return `${family}|${ifindex}|${group}`;
}
