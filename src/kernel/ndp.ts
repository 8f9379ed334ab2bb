// IPv6 neighbour discovery (RFC 4861) for address resolution, over the shared neighbour state
// machine: neighbour solicitations to the solicited-node group (unicast while probing),
// advertisements in answer. Router-less: prefixes are on-link as configured, no router
// solicitations/advertisements, no redirects. Duplicate address detection (RFC 4862 §5.4) is
// skipped: addresses are usable at once (MACs, hence link-locals, are unique in a network).

import { formatIPv6, multicastMac, solicitedNodeMulticast } from '../wire/addr.js';
import { emitEthernetHeader, ETHERTYPE_IPV6, ETH_HEADER_LEN } from '../wire/ethernet.js';
import { emitIpv6Header, IPV6_HEADER_LEN } from '../wire/ipv6.js';
import { emitIcmpv6, icmpv6Length, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, type Icmpv6Message, type Icmpv6Repr } from '../wire/icmpv6.js';
import { IPPROTO_ICMPV6 } from './ip-types.js';
import type { Interface } from './interface.js';
import type { Kernel, KernelPacket } from './kernel.js';
import type { Neighbour, NeighbourTable, Resolver } from './neighbour.js';

const ALL_NODES = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const UNSPECIFIED = new Uint8Array(16);

export class Ndp implements Resolver {
  constructor(private readonly k: Kernel) {}

  /** RFC 4861 §7.1.1 validation and §7.2.3-7.2.4 processing of a neighbour solicitation. */
  solicitation(pkt: KernelPacket, m: Icmpv6Repr): void {
    const k = this.k;
    const st = k.stats.ndisc;
    const nd = m.nd;
    const iface = k.iface(pkt.ifindex);
    if (nd === undefined || nd.target === undefined || iface === undefined || iface.nd === null || pkt.ttl !== 255 || m.code !== 0 || nd.target[0] === 0xff) {
      st.InErrors!++;
      return;
    }
    const srcUnspecified = pkt.srcBytes.every((b) => b === 0);
    // §7.1.1: from the unspecified address only to a solicited-node group and without source link-layer option.
    if (srcUnspecified && (!pkt.multicast || nd.sourceLL !== undefined)) {
      st.InErrors!++;
      return;
    }
    st.InSolicits!++;
    const target = formatIPv6(nd.target);
    const own = iface.v6.find((a) => a.address === target);
    if (own === undefined) {
      st.InIgnored!++;
      return;
    }
    if (srcUnspecified) {
      // §7.2.4: answering a DAD probe: to all-nodes, not solicited.
      this.advertise(iface, nd.target, ALL_NODES, multicastMac(ALL_NODES), false);
      return;
    }
    // §7.2.3: the sender's link-layer address creates or updates its entry (STALE).
    if (nd.sourceLL !== undefined) iface.nd.update(pkt.src, pkt.srcBytes, nd.sourceLL, false, true, true);
    // §7.2.4: a solicited advertisement, unicast to the soliciting node.
    this.advertise(iface, nd.target, pkt.srcBytes, nd.sourceLL ?? null, true);
  }

  /** RFC 4861 §7.1.2 validation and §7.2.5 processing of a neighbour advertisement. */
  advertisement(pkt: KernelPacket, m: Icmpv6Repr): void {
    const k = this.k;
    const st = k.stats.ndisc;
    const nd = m.nd;
    const iface = k.iface(pkt.ifindex);
    if (nd === undefined || nd.target === undefined || iface === undefined || iface.nd === null || pkt.ttl !== 255 || m.code !== 0 || nd.target[0] === 0xff) {
      st.InErrors!++;
      return;
    }
    // §7.1.2: an advertisement to a multicast destination is never solicited.
    if (pkt.multicast && nd.solicited === true) {
      st.InErrors!++;
      return;
    }
    st.InAdverts!++;
    const target = formatIPv6(nd.target);
    if (k.local6.has(target)) {
      st.InIgnored!++; // someone else claims our address (DAD would have caught it)
      return;
    }
    iface.nd.update(target, nd.target, nd.targetLL ?? null, nd.solicited === true, false, nd.override === true, nd.router === true);
  }

  /** Sends a neighbour advertisement for our `target` to `dst` (`dstMac` known, or resolved). */
  private advertise(iface: Interface, target: Uint8Array, dst: Uint8Array, dstMac: Uint8Array | null, solicited: boolean): void {
    const m: Icmpv6Message = {
      type: ND_NEIGHBOR_ADVERT,
      code: 0,
      // §4.4: R when we route, S when solicited, O for our own (non-anycast) addresses.
      nd: { target, router: this.k.forwarding, solicited, override: true, targetLL: iface.mac },
    };
    this.k.stats.ndisc.OutAdverts!++;
    this.k.stats.icmp6.OutNeighborAdvertisements!++;
    this.send(iface, target, dst, dstMac, m);
  }

  /** Resolver: one neighbour solicitation (§7.2.2: multicast to the solicited-node group; unicast when probing). */
  solicit(table: NeighbourTable, n: Neighbour, unicast: boolean): void {
    const iface = table.link as Interface;
    const src = this.sourceFor(iface, n);
    const dst = unicast ? n.ip : solicitedNodeMulticast(n.ip);
    const dstMac = unicast && n.mac !== null ? n.mac : multicastMac(dst);
    const m: Icmpv6Message = { type: ND_NEIGHBOR_SOLICIT, code: 0, nd: { target: n.ip } };
    // §4.3: the source link-layer option is included unless the source is unspecified.
    if (src !== UNSPECIFIED) m.nd!.sourceLL = iface.mac;
    this.k.stats.ndisc.OutSolicits!++;
    this.k.stats.icmp6.OutNeighborSolicits!++;
    this.send(iface, src, unicast ? n.ip : dst, dstMac, m);
  }

  /** §7.2.2: the source of the packet that prompted the solicitation if it is ours on this interface, else one of the interface's. */
  private sourceFor(iface: Interface, n: Neighbour): Uint8Array {
    const q = n.queue[0];
    if (q !== undefined && q.length >= ETH_HEADER_LEN + IPV6_HEADER_LEN && q[12] === 0x86 && q[13] === 0xdd) {
      const s = formatIPv6(q, ETH_HEADER_LEN + 8);
      const a = iface.v6.find((x) => x.address === s);
      if (a !== undefined) return a.bytes;
    }
    const ll = (n.ip[0] === 0xfe && (n.ip[1]! & 0xc0) === 0x80);
    const a = iface.v6.find((x) => (x.scope === 'link') === ll) ?? iface.v6[0];
    return a?.bytes ?? UNSPECIFIED;
  }

  /** Builds the whole frame (hop limit 255, RFC 4861 §7.1) and sends it on `iface`. */
  private send(iface: Interface, src: Uint8Array, dst: Uint8Array, dstMac: Uint8Array | null, m: Icmpv6Message): void {
    const len = icmpv6Length(m);
    const f = new Uint8Array(ETH_HEADER_LEN + IPV6_HEADER_LEN + len);
    emitIpv6Header(f, ETH_HEADER_LEN, { payloadLength: len, nextHeader: IPPROTO_ICMPV6, hopLimit: 255, src, dst });
    emitIcmpv6(f, ETH_HEADER_LEN + IPV6_HEADER_LEN, src, dst, m);
    this.k.stats.icmp6.OutMsgs!++;
    this.k.stats.ip6.OutRequests!++;
    if (dstMac !== null) {
      emitEthernetHeader(f, 0, dstMac, iface.mac, ETHERTYPE_IPV6);
      iface.transmit(f);
      return;
    }
    // No link-layer address for the destination: resolve it like any packet.
    emitEthernetHeader(f, 0, UNSPECIFIED.subarray(0, 6), iface.mac, ETHERTYPE_IPV6);
    iface.nd!.send(formatIPv6(dst), dst, f);
  }

  /** Resolver: resolution failed for a queued frame: address unreachable to its sender (RFC 4861 §7.2.2). */
  unreachable(_table: NeighbourTable, frame: Uint8Array): void {
    this.k.stats.ip6.OutDiscards!++;
    this.k.icmp6.addressUnreachable(frame.subarray(ETH_HEADER_LEN));
  }
}
