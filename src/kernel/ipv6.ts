// IPv6 (RFC 8200): input checks, extension headers, local delivery, reassembly (§4.5),
// forwarding with hop-limit decrement (routers never fragment: packet too big instead), and
// the output path, with source fragmentation when a transport allows it.

import { formatIPv6, parseIPv6 } from '../wire/addr.js';
import { copyBytes, get32 } from '../wire/bytes.js';
import { WireError } from '../wire/error.js';
import {
  IPV6_FRAGMENT_HEADER_LEN, IPV6_HEADER_LEN, IPV6_HOPOPTS, IPV6_NONXT, emitIpv6FragmentHeader, emitIpv6Header,
  ipv6OptionAction, parseIpv6, parseIpv6Options, type Ipv6Repr, IPV6_OPT_SKIP, IPV6_OPT_DISCARD,
  IPV6_OPT_DISCARD_ICMP_UNLESS_MULTICAST, IPV6_FRAGMENT,
} from '../wire/ipv6.js';
import {
  ICMP6_ADM_PROHIBITED, ICMP6_BEYOND_SCOPE, ICMP6_DST_UNREACH, ICMP6_NOROUTE, ICMP6_PACKET_TOO_BIG, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER,
  ICMP6_PARAMPROB_OPTION, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_REASSEMBLY, ICMP6_TIME_EXCEED_TRANSIT,
} from '../wire/icmpv6.js';
import { EACCES, EINVAL, EMSGSIZE } from '../uapi/errno.js';
import type { IpOutputOptions } from './ip-types.js';
import type { Interface } from './interface.js';
import type { Kernel, KernelPacket, Path } from './kernel.js';
import { segmentTcp } from '../wire/gso.js';
import { LazyMap } from '../links/lazy.js';
import { defaultReassemblyParams, Reassembler, REASM6_TIMEOUT_MS, type FragQueue } from './fragments.js';

const ETH = 14;

/** An address as text and bytes, with its first three words for the cache's comparison. */
interface Addr6 {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
}
/** RFC 2711: the router alert hop-by-hop option (value 0: MLD). */
const OPT_ROUTER_ALERT = 5;

export class Ipv6 {
  readonly reasm: Reassembler;
  /** RFC 8200 §4.5 / RFC 7739: fragment identification, a per-host counter from a random start. */
  private nextFragId: number;
  private readonly byteCache = new LazyMap<string, Uint8Array>();
  private readonly names = new LazyMap<number, Addr6[]>();
  private namesSize = 0;

  constructor(private readonly k: Kernel) {
    this.nextFragId = k.random.u32();
    this.reasm = new Reassembler(k.sched, k.stats.ip6, (q) => this.reasmExpired(q), defaultReassemblyParams(REASM6_TIMEOUT_MS));
  }

  /** A reboot: the fragment identification counter starts again from a random value. */
  reseedId(): void { this.nextFragId = this.k.random.u32(); }

  /** The 16 bytes of an address string (cached; callers must not modify them). */
  bytes(s: string): Uint8Array {
    let b = this.byteCache.get(s);
    if (b === undefined) {
      b = parseIPv6(s) ?? new Uint8Array(16);
      if (this.byteCache.size >= 4096) this.byteCache.clear();
      this.byteCache.set(s, b);
    }
    return b;
  }

  // ---- input ------------------------------------------------------------------------------------

  /**
   * An address seen on input: its text and 16 bytes, cached by value so that the delivery path
   * formats nothing and allocates no views. The bytes are shared: read-only.
   */
  private addr(b: Uint8Array, off: number): Addr6 {
    const w0 = get32(b, off), w1 = get32(b, off + 4), w2 = get32(b, off + 8), w3 = get32(b, off + 12);
    const bucket = this.names.get(w3);
    if (bucket !== undefined) {
      for (let i = 0; i < bucket.length; i++) {
        const e = bucket[i]!;
        if (e.w0 === w0 && e.w1 === w1 && e.w2 === w2) return e;
      }
    }
    if (this.namesSize >= 4096) {
      this.names.clear();
      this.namesSize = 0;
    }
    const bytes = copyBytes(b, off, off + 16);
    const e: Addr6 = { name: formatIPv6(bytes), bytes, w0, w1, w2 };
    const list = this.names.get(w3);
    if (list === undefined) this.names.set(w3, [e]);
    else list.push(e);
    this.namesSize++;
    return e;
  }

  input(iface: Interface, buf: Uint8Array, linkMcast: boolean, gso = 0): void {
    const k = this.k;
    const st = k.stats.ip6;
    st.InReceives!++;
    const len = buf.length;
    // RFC 8200 §3: version 6, payload length within what arrived (link padding is cut).
    if (len < IPV6_HEADER_LEN || buf[0]! >>> 4 !== 6) {
      st.InHdrErrors!++;
      return;
    }
    const end = IPV6_HEADER_LEN + ((buf[4]! << 8) | buf[5]!);
    if (end > len) {
      st.InTruncatedPkts!++;
      return;
    }
    const s0 = buf[8]!;
    // RFC 4291 §2.7: a multicast source is invalid; §2.5.3: ::1 never arrives from a link.
    if (s0 === 0xff || (iface !== k.lo && (isLoopback6(buf, 8) || isLoopback6(buf, 24)))) {
      st.InAddrErrors!++;
      return;
    }
    const dst = this.addr(buf, 24);
    let multicast = false;
    if (buf[24] === 0xff) {
      // RFC 4291 §2.7.1: all-nodes is always joined; other groups only when joined on this interface.
      if (!k.mcast.isMember(6, dst.name, iface.ifindex)) return;
      multicast = true;
      st.InMcastPkts!++;
    } else if (!k.local6.has(dst.name) && dst.name !== '::1') {
      // A router forwards the segments of a super-packet one by one (it has no GSO of its own).
      if (gso > 0) { for (const seg of segmentTcp(buf, 0, gso)) this.input(iface, seg, linkMcast, 0); return; }
      const h = parseIpv6(buf);
      if (h instanceof WireError) st.InHdrErrors!++;
      else this.forward(iface, h, buf, linkMcast);
      return;
    }
    const packet = end === len ? buf : buf.subarray(0, end);
    const nh = buf[6]!;
    if (nh === IPV6_HOPOPTS || nh === 43 || nh === IPV6_FRAGMENT || nh === 60) {
      this.inputExt(iface, packet, dst.name, multicast);
      return;
    }
    if (nh === IPV6_NONXT) { st.InDelivers!++; return; } // RFC 8200 §4.7; Linux nodata_protocol: delivered, then discarded
    const src = this.addr(buf, 8);
    const pkt: KernelPacket = {
      family: 6,
      src: src.name,
      dst: dst.name,
      srcBytes: src.bytes,
      dstBytes: dst.bytes,
      protocol: nh,
      ttl: buf[7]!,
      tos: ((buf[0]! & 0x0f) << 4) | (buf[1]! >>> 4),
      payload: buf.subarray(IPV6_HEADER_LEN, end),
      ifindex: iface.ifindex,
      multicast,
      gso,
      raw: packet,
    };
    k.deliver(pkt);
  }

  /** A local packet with extension headers (RFC 8200 §4): walked by the wire codec. */
  private inputExt(iface: Interface, packet: Uint8Array, dstName: string, multicast: boolean): void {
    const k = this.k;
    const st = k.stats.ip6;
    const h = parseIpv6(packet);
    if (h instanceof WireError) {
      st.InHdrErrors!++;
      return;
    }
    if (h.hopByHop !== undefined && !this.hopByHop(h, packet, multicast)) return;
    if (h.routing !== undefined && h.routing.segmentsLeft > 0) {
      // RFC 8200 §4.4: an unrecognised routing type (type 0 is deprecated, RFC 5095) with
      // segments left: parameter problem pointing at the routing type field.
      st.InHdrErrors!++;
      const rh = h.extHeaders.find((e) => e.type === 43)!;
      k.icmp6.sendError(packet, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, rh.offset + 2, multicast);
      return;
    }
    if (h.fragment !== undefined) {
      this.reassemble(iface, h, packet, dstName, multicast);
      return;
    }
    if (h.nextHeader === IPV6_NONXT) { st.InDelivers!++; return; } // RFC 8200 §4.7; Linux nodata_protocol: delivered, then discarded
    const src = this.addr(packet, 8);
    const dst = this.addr(packet, 24);
    const pkt: KernelPacket = {
      family: 6,
      src: src.name,
      dst: dst.name,
      srcBytes: src.bytes,
      dstBytes: dst.bytes,
      protocol: h.nextHeader,
      ttl: h.hopLimit,
      tos: h.trafficClass,
      payload: h.payload,
      ifindex: iface.ifindex,
      multicast,
      gso: 0,
      raw: packet,
    };
    k.deliver(pkt);
  }

  /** RFC 8200 §4.2-4.3: hop-by-hop options; false when the packet must be dropped. */
  private hopByHop(h: Ipv6Repr, packet: Uint8Array, multicast: boolean): boolean {
    const k = this.k;
    const opts = parseIpv6Options(h.hopByHop!);
    if (opts instanceof WireError) {
      k.stats.ip6.InHdrErrors!++;
      return false;
    }
    for (const o of opts) {
      if (o.type === OPT_ROUTER_ALERT || o.type === 0xc2 /* jumbo payload, RFC 2675 */) continue;
      const action = ipv6OptionAction(o.type);
      if (action === IPV6_OPT_SKIP) continue;
      k.stats.ip6.InHdrErrors!++;
      if (action === IPV6_OPT_DISCARD) return false;
      if (action === IPV6_OPT_DISCARD_ICMP_UNLESS_MULTICAST && multicast) return false;
      // Parameter problem code 2 pointing at the option (RFC 4443 §3.4), multicast allowed for action 2.
      k.icmp6.sendError(packet, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_OPTION, IPV6_HEADER_LEN + 2 + o.offset, false, action === 2);
      return false;
    }
    return true;
  }

  private reassemble(iface: Interface, h: Ipv6Repr, packet: Uint8Array, dstName: string, multicast: boolean): void {
    const k = this.k;
    const f = h.fragment!;
    const srcName = formatIPv6(h.src);
    const unfrag = h.unfragmentable.length;
    // RFC 8200 §4.5: a non-last fragment whose length is not a multiple of 8: parameter problem
    // pointing at the payload length field.
    if (f.more && (h.payload.length & 7) !== 0) {
      k.stats.ip6.InHdrErrors!++;
      k.icmp6.sendError(packet, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, 4, multicast);
      return;
    }
    // RFC 8200 §4.5: the reassembled payload may not exceed 65535 bytes: parameter problem
    // pointing at the fragment offset field.
    const maxEnd = 65535 - (unfrag - IPV6_HEADER_LEN) - IPV6_FRAGMENT_HEADER_LEN;
    if (f.offset + h.payload.length > maxEnd) {
      k.stats.ip6.InHdrErrors!++;
      k.icmp6.sendError(packet, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, unfrag + 2, multicast);
      return;
    }
    // RFC 8200 §4.5 "atomic fragment" (offset 0, M=0): reassembled on its own (RFC 6946).
    const key = `${srcName}|${dstName}|${f.id}`;
    const q = this.reasm.add(key, f.offset, h.payload, f.more, packet, maxEnd + 1, iface.ifindex);
    if (q === null) return;
    // Rebuild: the first fragment's unfragmentable part, its next header set to the fragment
    // header's, then the fragmentable part; then parse and deliver it like any packet.
    const first = q.first!;
    const fh = parseIpv6(first);
    if (fh instanceof WireError || fh.fragment === undefined) return;
    const ul = fh.unfragmentable.length;
    const out = new Uint8Array(ul + q.total);
    out.set(first.subarray(0, ul), 0);
    const plen = ul - IPV6_HEADER_LEN + q.total;
    out[4] = plen >>> 8;
    out[5] = plen & 0xff;
    // The "next header" byte that named the fragment header: in the fixed header, or in the last extension header.
    const exts = fh.extHeaders;
    const fragIdx = exts.findIndex((e) => e.type === IPV6_FRAGMENT);
    if (fragIdx <= 0) out[6] = fh.fragment.nextHeader;
    else out[exts[fragIdx - 1]!.offset] = fh.fragment.nextHeader;
    q.copyInto(out, ul);
    const r = parseIpv6(out);
    if (r instanceof WireError) {
      k.stats.ip6.ReasmFails!++;
      return;
    }
    if (r.nextHeader === IPV6_NONXT) { k.stats.ip6.InDelivers!++; return; } // RFC 8200 §4.7, as above
    const pkt: KernelPacket = {
      family: 6,
      src: srcName,
      dst: dstName,
      srcBytes: r.src,
      dstBytes: r.dst,
      protocol: r.nextHeader,
      ttl: r.hopLimit,
      tos: r.trafficClass,
      payload: r.payload,
      ifindex: iface.ifindex,
      multicast,
      gso: 0,
      raw: out,
    };
    k.deliver(pkt);
  }

  private reasmExpired(q: FragQueue): void {
    // RFC 8200 §4.5: time exceeded (fragment reassembly) if the first fragment arrived.
    if (q.first !== null) this.k.icmp6.sendError(q.first, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_REASSEMBLY, 0, false);
  }

  // ---- forwarding -------------------------------------------------------------------------------

  private forward(iface: Interface, h: Ipv6Repr, buf: Uint8Array, linkMcast: boolean): void {
    const k = this.k;
    const st = k.stats.ip6;
    if (!k.forwarding || iface === k.lo) {
      st.InAddrErrors!++;
      return;
    }
    if (linkMcast) {
      st.InAddrErrors!++;
      return;
    }
    const packet = buf.length === IPV6_HEADER_LEN + h.payloadLength ? buf : buf.subarray(0, IPV6_HEADER_LEN + h.payloadLength);
    // RFC 4291 §2.5.6: link-local addresses are never forwarded.
    if (isLinkLocal6(h.dst)) {
      st.InAddrErrors!++;
      return;
    }
    if (isLinkLocal6(h.src)) {
      // RFC 4443 §3.1 code 2: beyond the scope of the source address.
      st.InAddrErrors!++;
      k.icmp6.sendError(packet, ICMP6_DST_UNREACH, ICMP6_BEYOND_SCOPE, 0, false);
      return;
    }
    // RFC 8200 §3 / RFC 4443 §3.3: hop limit exhausted in transit.
    if (h.hopLimit <= 1) {
      st.InHdrErrors!++;
      k.icmp6.sendError(packet, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_TRANSIT, 0, false);
      return;
    }
    const p = k.path(6, formatIPv6(h.dst));
    if (typeof p === 'number' || p.type !== 'unicast') {
      // RFC 4443 §3.1 code 0: no route to destination (Linux ip6_pkt_discard); a prohibit
      // route: code 1, administratively prohibited; a blackhole route: nothing.
      st.InNoRoutes!++;
      if (p === -EINVAL) return;
      k.icmp6.sendError(packet, ICMP6_DST_UNREACH, p === -EACCES ? ICMP6_ADM_PROHIBITED : ICMP6_NOROUTE, 0, false);
      return;
    }
    const mtu = k.pathMtu(p);
    if (packet.length > mtu) {
      // RFC 8200 §5 / RFC 4443 §3.2: routers do not fragment; packet too big with the MTU.
      st.InTooBigErrors!++;
      k.icmp6.sendError(packet, ICMP6_PACKET_TOO_BIG, 0, mtu, false);
      return;
    }
    packet[7] = packet[7]! - 1;
    st.OutForwDatagrams!++;
    if (iface.layer === 2 && packet.byteOffset >= ETH) {
      k.transmit(p, new Uint8Array(packet.buffer, packet.byteOffset - ETH, ETH + packet.length), ETH);
    } else {
      const frame = new Uint8Array(ETH + packet.length);
      frame.set(packet, ETH);
      k.transmit(p, frame, ETH);
    }
  }

  // ---- output -----------------------------------------------------------------------------------

  /** IpLayer.output for IPv6. */
  output(src: string, dst: string, protocol: number, buf: Uint8Array, offset: number, opts?: IpOutputOptions): number {
    const k = this.k;
    const st = k.stats.ip6;
    st.OutRequests!++;
    const p = k.path(6, dst, opts?.ifindex ?? 0);
    if (typeof p === 'number') {
      st.OutNoRoutes!++;
      return p;
    }
    const srcBytes = src === p.src || src === '::' || src === '' ? p.srcBytes : this.bytes(src);
    const hop = opts?.ttl ?? (p.type === 'multicast' ? 1 : k.defaultTtl); // RFC 3493 §5.2: multicast hops default 1
    return this.send(p, srcBytes, protocol, buf, offset, hop, opts?.tos ?? 0, opts?.dontFragment ?? false, opts?.multicastLoop !== false, false, opts?.gso ?? 0);
  }

  /**
   * Writes the IPv6 header (and a hop-by-hop router alert when asked: MLD, RFC 3810 §5) in front
   * of buf[offset..] and sends it on path `p`, fragmenting at the source when allowed.
   */
  send(p: Path, srcBytes: Uint8Array, protocol: number, buf: Uint8Array, offset: number, hopLimit: number, tclass: number,
    dontFragment: boolean, loop: boolean, routerAlert: boolean, gso = 0): number {
    const k = this.k;
    let next = protocol;
    let start = offset;
    if (routerAlert) {
      start -= 8;
      buf[start] = protocol;
      buf[start + 1] = 0;
      buf[start + 2] = OPT_ROUTER_ALERT;
      buf[start + 3] = 2;
      buf[start + 4] = 0;
      buf[start + 5] = 0;
      buf[start + 6] = 1; // PadN, 0 bytes of padding data
      buf[start + 7] = 0;
      next = IPV6_HOPOPTS;
    }
    const plen = buf.length - start;
    if (p.type === 'local') {
      if (plen > 65535) return -EMSGSIZE;
      start -= IPV6_HEADER_LEN;
      emitIpv6Header(buf, start, { trafficClass: tclass, payloadLength: plen, nextHeader: next, hopLimit, src: srcBytes, dst: p.dstBytes });
      k.lo.transmit(buf.subarray(start));
      return 0;
    }
    const mtu = k.pathMtu(p);
    if (IPV6_HEADER_LEN + plen > mtu) {
      // A TCP super-segment fits when each of its segments does (its header, `gso` bytes of data).
      if (gso > 0 && !routerAlert && plen <= 65535 && IPV6_HEADER_LEN + ((buf[offset + 12]! >>> 4) << 2) + gso <= mtu) {
        start -= IPV6_HEADER_LEN;
        emitIpv6Header(buf, start, { trafficClass: tclass, payloadLength: plen, nextHeader: next, hopLimit, src: srcBytes, dst: p.dstBytes });
        return k.transmit(p, buf, start, gso);
      }
      if (dontFragment || plen > 65535 || routerAlert) return -EMSGSIZE;
      return this.fragmentOut(p, srcBytes, protocol, buf, offset, mtu, hopLimit, tclass, loop);
    }
    start -= IPV6_HEADER_LEN;
    emitIpv6Header(buf, start, { trafficClass: tclass, payloadLength: plen, nextHeader: next, hopLimit, src: srcBytes, dst: p.dstBytes });
    if (p.type === 'multicast') {
      k.stats.ip6.OutMcastPkts!++;
      if (loop && k.mcast.isMember(6, p.dst, p.iface.ifindex)) k.lo.loop(buf.subarray(start), p.iface);
    }
    return k.transmit(p, buf, start);
  }

  /** RFC 8200 §4.5: source fragmentation; unfragmentable part = the fixed header only. */
  private fragmentOut(p: Path, src: Uint8Array, protocol: number, buf: Uint8Array, offset: number, mtu: number, hopLimit: number,
    tclass: number, loop: boolean): number {
    const k = this.k;
    const st = k.stats.ip6;
    const data = buf.subarray(offset);
    const step = (mtu - IPV6_HEADER_LEN - IPV6_FRAGMENT_HEADER_LEN) & ~7;
    const id = this.nextFragId;
    this.nextFragId = (id + 1) >>> 0;
    for (let off = 0; off < data.length; off += step) {
      const n = Math.min(step, data.length - off);
      const more = off + n < data.length;
      const f = new Uint8Array(ETH + IPV6_HEADER_LEN + IPV6_FRAGMENT_HEADER_LEN + n);
      emitIpv6Header(f, ETH, { trafficClass: tclass, payloadLength: IPV6_FRAGMENT_HEADER_LEN + n, nextHeader: IPV6_FRAGMENT, hopLimit, src, dst: p.dstBytes });
      emitIpv6FragmentHeader(f, ETH + IPV6_HEADER_LEN, protocol, off, more, id);
      f.set(data.subarray(off, off + n), ETH + IPV6_HEADER_LEN + IPV6_FRAGMENT_HEADER_LEN);
      if (p.type === 'multicast' && loop && k.mcast.isMember(6, p.dst, p.iface.ifindex)) k.lo.loop(f.subarray(ETH), p.iface);
      k.transmit(p, f, ETH);
      st.FragCreates!++;
    }
    st.FragOKs!++;
    return 0;
  }
}

function isLoopback6(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 15; i++) if (b[off + i] !== 0) return false;
  return b[off + 15] === 1;
}

function isLinkLocal6(b: Uint8Array): boolean {
  return b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}
