// IPv4 (RFC 791, RFC 1122 §3.2.1, RFC 1812 §5 for forwarding): input checks, local delivery,
// reassembly, forwarding with TTL decrement and fragmentation, and the output path transports
// call. Headers are written in place in the HEADROOM the transport left before its data.

import { formatIPv4 } from '../wire/addr.js';
import { copyBytes, get16, get32, put16 } from '../wire/bytes.js';
import { foldChecksum, onesSum, updateChecksum } from '../wire/checksum.js';
import { IPV4_HEADER_LEN, emitIpv4Header, ipv4OptionsValid, parseIpv4, type Ipv4Repr } from '../wire/ipv4.js';
import { ICMP_ADMIN_PROHIBITED, ICMP_DEST_UNREACH, ICMP_EXC_FRAGTIME, ICMP_EXC_TTL, ICMP_FRAG_NEEDED, ICMP_HOST_UNREACH, ICMP_NET_UNREACH, ICMP_TIME_EXCEEDED } from '../wire/icmpv4.js';
import { EACCES, EHOSTUNREACH, EINVAL, EMSGSIZE } from '../uapi/errno.js';
import type { IpOutputOptions } from './ip-types.js';
import type { Interface } from './interface.js';
import type { Kernel, KernelPacket, Path } from './kernel.js';
import { segmentTcp } from '../wire/gso.js';
import { Reassembler, type FragQueue } from './fragments.js';
import { LazyMap } from '../links/lazy.js';

const ETH = 14;

/** An address as text and bytes (see Ipv4.addr). */
interface Addr4 {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export class Ipv4 {
  readonly reasm: Reassembler;
  /** RFC 791 §3.2 / RFC 6864: identification, one counter per host starting at a random value. */
  private nextId: number;
  private readonly names = new LazyMap<number, Addr4>();

  constructor(private readonly k: Kernel) {
    this.nextId = k.random.u32() & 0xffff;
    this.reasm = new Reassembler(k.sched, k.stats.ip, (q) => this.reasmExpired(q));
  }

  /** A reboot: the identification counter starts again from a random value. */
  reseedId(): void { this.nextId = this.k.random.u32() & 0xffff; }

  /** The next identification value (for packets the kernel builds itself). */
  takeId(): number {
    const id = this.nextId;
    this.nextId = (id + 1) & 0xffff;
    return id;
  }

  /** Dotted text of 4 bytes, cached by value (the hot path formats the same few addresses). */
  name(b: Uint8Array): string {
    return this.addr(get32(b, 0), b, 0).name;
  }

  /**
   * An address seen on input, by value: its text and 4 bytes, cached so that delivering a
   * packet formats nothing and allocates no address views. The bytes are shared: read-only.
   */
  private addr(v: number, b: Uint8Array, off: number): Addr4 {
    let a = this.names.get(v);
    if (a === undefined) {
      if (this.names.size >= 4096) this.names.clear();
      a = { name: formatIPv4(b, off), bytes: copyBytes(b, off, off + 4) };
      this.names.set(v, a);
    }
    return a;
  }

  // ---- input ------------------------------------------------------------------------------------

  /**
   * An IPv4 packet from `iface`; `linkMcast` when it came in a link-layer broadcast/multicast
   * frame. The header is checked here field by field with the same rules as the wire codec's
   * parseIpv4 (which the slower paths, fragments and forwarding, use): on the delivery path no
   * header object and no address views are allocated.
   */
  input(iface: Interface, buf: Uint8Array, linkMcast: boolean, gso = 0): void {
    const k = this.k;
    const st = k.stats.ip;
    st.InReceives!++;
    const len = buf.length;
    const b0 = len >= IPV4_HEADER_LEN ? buf[0]! : 0;
    const hl = (b0 & 0x0f) << 2;
    const total = len >= IPV4_HEADER_LEN ? (buf[2]! << 8) | buf[3]! : 0;
    // RFC 791 §3.1 / RFC 1122 §3.2.1.1-2: version 4, IHL >= 5, total length within what arrived.
    if (b0 >>> 4 !== 4 || hl < IPV4_HEADER_LEN || hl > len || total < hl) {
      st.InHdrErrors!++;
      return;
    }
    if (total > len) {
      st.InTruncatedPkts!++;
      return;
    }
    // RFC 791 §3.1: the header checksum sums to zero when intact.
    if (foldChecksum(onesSum(buf, 0, hl)) !== 0) {
      st.InCsumErrors!++;
      st.InHdrErrors!++;
      return;
    }
    if (hl > IPV4_HEADER_LEN && !ipv4OptionsValid(buf.subarray(IPV4_HEADER_LEN, hl))) {
      st.InHdrErrors!++;
      return;
    }
    const s0 = buf[12]!;
    // RFC 1122 §3.2.1.3: a source that is broadcast or multicast is discarded ("martian").
    if ((s0 & 0xf0) === 0xe0 || (s0 === 255 && buf[13] === 255 && buf[14] === 255 && buf[15] === 255)) {
      st.InAddrErrors!++;
      return;
    }
    const d0 = buf[16]!;
    const d32 = get32(buf, 16);
    let dst: Addr4;
    let multicast = false;
    const own = k.local4.get(d32);
    if (own !== undefined) {
      dst = own.input;
    } else if (d0 === 127) {
      // RFC 1122 §3.2.1.3: 127/8 must never appear outside a host.
      if (iface !== k.lo) {
        st.InAddrErrors!++;
        return;
      }
      dst = this.addr(d32, buf, 16);
    } else if (d32 === 0xffffffff) {
      dst = this.addr(d32, buf, 16);
      multicast = true;
      st.InBcastPkts!++;
    } else if ((d0 & 0xf0) === 0xe0) {
      dst = this.addr(d32, buf, 16);
      // RFC 1112 §6.2: deliver multicast only for groups joined on the receiving interface.
      if (!k.mcast.isMember(4, dst.name, iface.ifindex)) return;
      multicast = true;
      st.InMcastPkts!++;
    } else {
      let bcast = false;
      for (const a of iface.v4) if (a.prefix < 31 && a.bcast32 === d32) bcast = true;
      if (!bcast) {
        // A router forwards the segments of a super-packet one by one (it has no GSO of its own).
        if (gso > 0) { for (const seg of segmentTcp(buf, 0, gso)) this.input(iface, seg, linkMcast, 0); return; }
        this.forward(iface, parseIpv4(buf) as Ipv4Repr, buf, linkMcast);
        return;
      }
      dst = this.addr(d32, buf, 16);
      multicast = true;
      st.InBcastPkts!++;
    }
    const packet = total === len ? buf : buf.subarray(0, total);
    // RFC 791 §3.1: MF set or a non-zero offset: a fragment.
    if ((((buf[6]! << 8) | buf[7]!) & 0x3fff) !== 0) {
      this.reassemble(iface, parseIpv4(packet) as Ipv4Repr, packet, dst.name, multicast);
      return;
    }
    const src = this.addr(get32(buf, 12), buf, 12);
    const pkt: KernelPacket = {
      family: 4,
      src: src.name,
      dst: dst.name,
      srcBytes: src.bytes,
      dstBytes: dst.bytes,
      protocol: buf[9]!,
      ttl: buf[8]!,
      tos: buf[1]!,
      payload: buf.subarray(hl, total),
      ifindex: iface.ifindex,
      multicast,
      gso,
      raw: packet,
    };
    k.deliver(pkt);
  }

  private reassemble(iface: Interface, h: Ipv4Repr, buf: Uint8Array, dstName: string, multicast: boolean): void {
    const k = this.k;
    const srcName = this.name(h.src);
    // RFC 791 §3.2: fragments of one datagram share source, destination, protocol and identification.
    const key = `${srcName}|${dstName}|${h.protocol}|${h.id}`;
    // RFC 791 §3.1: every fragment but the last carries a multiple of 8 bytes.
    if (h.mf && (h.payload.length & 7) !== 0) {
      k.stats.ip.InHdrErrors!++;
      return;
    }
    const q = this.reasm.add(key, h.fragOffset, h.payload, h.mf, buf.subarray(0, h.totalLength), 65535 - h.headerLength, iface.ifindex);
    if (q === null) return;
    const first = q.first!;
    const hl = (first[0]! & 0x0f) << 2;
    const out = new Uint8Array(hl + q.total);
    out.set(first.subarray(0, hl), 0);
    put16(out, 2, hl + q.total);
    put16(out, 6, 0);
    put16(out, 10, 0);
    q.copyInto(out, hl);
    const pkt: KernelPacket = {
      family: 4,
      src: srcName,
      dst: dstName,
      srcBytes: out.subarray(12, 16),
      dstBytes: out.subarray(16, 20),
      protocol: h.protocol,
      ttl: first[8]!,
      tos: first[1]!,
      payload: out.subarray(hl),
      ifindex: iface.ifindex,
      multicast,
      gso: 0,
      raw: out,
    };
    k.deliver(pkt);
  }

  private reasmExpired(q: FragQueue): void {
    // RFC 792 / RFC 1122 §3.2.1.4: time exceeded (reassembly) if fragment zero was received.
    if (q.first !== null) this.k.icmp.sendError(q.first, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0, false);
  }

  // ---- forwarding -------------------------------------------------------------------------------

  private forward(iface: Interface, h: Ipv4Repr, buf: Uint8Array, linkMcast: boolean): void {
    const k = this.k;
    const st = k.stats.ip;
    // Not for us: a host discards it (RFC 1122 §3.2.1.3; Linux counts InAddrErrors).
    if (!k.forwarding || iface === k.lo) {
      st.InAddrErrors!++;
      return;
    }
    // RFC 1812 §5.3.4: link-layer broadcasts are not forwarded; §4.2.2.11 / RFC 3927 §2.7:
    // nor are 0/8 and link-local 169.254/16 destinations or sources.
    const dst = h.dst;
    if (linkMcast || dst[0] === 0 || (dst[0] === 169 && dst[1] === 254) || (h.src[0] === 169 && h.src[1] === 254)) {
      st.InAddrErrors!++;
      return;
    }
    const packet = h.totalLength === buf.length ? buf : buf.subarray(0, h.totalLength);
    // RFC 1812 §5.3.1: a packet whose TTL would reach 0 is discarded with time exceeded.
    if (h.ttl <= 1) {
      st.InHdrErrors!++;
      k.icmp.sendError(packet, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0, false);
      return;
    }
    const p = k.path(4, this.name(dst));
    if (typeof p === 'number') {
      // RFC 1812 §5.2.7.1: no route: network unreachable. Linux ip_error: an unreachable route
      // gives host unreachable, a prohibit route "communication administratively prohibited"
      // (code 13), a blackhole route nothing at all.
      st.InNoRoutes!++;
      if (p === -EINVAL) return;
      const code = p === -EHOSTUNREACH ? ICMP_HOST_UNREACH : p === -EACCES ? ICMP_ADMIN_PROHIBITED : ICMP_NET_UNREACH;
      k.icmp.sendError(packet, ICMP_DEST_UNREACH, code, 0, false);
      return;
    }
    if (p.type !== 'unicast') {
      // RFC 1812 §5.3.5.2: directed broadcasts are not forwarded by default (Linux bc_forwarding=0).
      st.InAddrErrors!++;
      return;
    }
    const mtu = k.pathMtu(p);
    if (h.totalLength > mtu && h.df) {
      // RFC 1191 §4 / RFC 1812 §5.2.7.1: fragmentation needed and DF set, with the next-hop MTU.
      st.FragFails!++;
      k.icmp.sendError(packet, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu, false);
      return;
    }
    // RFC 1812 §5.3.1 / §5.2.2: decrement the TTL and update the checksum (RFC 1624).
    const oldWord = (packet[8]! << 8) | packet[9]!;
    packet[8] = packet[8]! - 1;
    put16(packet, 10, updateChecksum(get16(packet, 10), oldWord, (packet[8]! << 8) | packet[9]!));
    st.ForwDatagrams!++;
    if (h.totalLength > mtu) {
      this.fragment(p, packet, mtu);
      return;
    }
    // The received frame is ours (a switch copies flooded frames): reuse its Ethernet header room.
    if (iface.layer === 2 && packet.byteOffset >= ETH) {
      const frame = new Uint8Array(packet.buffer, packet.byteOffset - ETH, ETH + packet.length);
      k.transmit(p, frame, ETH);
    } else {
      const frame = new Uint8Array(ETH + packet.length);
      frame.set(packet, ETH);
      k.transmit(p, frame, ETH);
    }
  }

  // ---- output -----------------------------------------------------------------------------------

  /** IpLayer.output for IPv4. */
  output(src: string, dst: string, protocol: number, buf: Uint8Array, offset: number, opts?: IpOutputOptions): number {
    const k = this.k;
    const st = k.stats.ip;
    st.OutRequests!++;
    const p = k.path(4, dst, opts?.ifindex ?? 0);
    if (typeof p === 'number') {
      st.OutNoRoutes!++;
      return p;
    }
    const srcBytes = src === p.src || src === '0.0.0.0' || src === '' ? p.srcBytes : this.srcBytes(src);
    const len = buf.length - offset;
    const total = IPV4_HEADER_LEN + len;
    const type = p.type;
    const ttl = opts?.ttl ?? (type === 'multicast' ? 1 : k.defaultTtl); // RFC 1112 §6.1: multicast TTL defaults to 1
    const df = opts?.dontFragment ?? false;
    const start = offset - IPV4_HEADER_LEN;
    if (type === 'local') {
      if (total > 65535) return -EMSGSIZE;
      this.header(buf, start, total, df, 0, false, ttl, protocol, srcBytes, p.dstBytes, opts?.tos ?? 0);
      k.lo.transmit(start === 0 ? buf : buf.subarray(start));
      return 0;
    }
    const mtu = k.pathMtu(p);
    const gso = opts?.gso ?? 0;
    if (total > mtu) {
      // A TCP super-segment fits when each of its segments does (its header, `gso` bytes of data).
      if (gso > 0 && total <= 65535 && IPV4_HEADER_LEN + ((buf[offset + 12]! >>> 4) << 2) + gso <= mtu) {
        this.header(buf, start, total, df, 0, false, ttl, protocol, srcBytes, p.dstBytes, opts?.tos ?? 0);
        // Linux: each segment of a GSO packet takes its own identification.
        this.nextId = (this.nextId + Math.ceil((len - ((buf[offset + 12]! >>> 4) << 2)) / gso) - 1) & 0xffff;
        return k.transmit(p, buf, start, gso);
      }
      // RFC 1191 §3: with DF the sender learns EMSGSIZE instead of fragmenting.
      if (df || total > 65535) return -EMSGSIZE;
      return this.fragmentOut(p, buf, offset, mtu, ttl, protocol, srcBytes, opts?.tos ?? 0, opts?.multicastLoop !== false);
    }
    this.header(buf, start, total, df, 0, false, ttl, protocol, srcBytes, p.dstBytes, opts?.tos ?? 0);
    if (type !== 'unicast') this.loopBack(p, buf.subarray(start), opts?.multicastLoop !== false);
    if (start < ETH && p.iface.layer === 2) {
      const f = new Uint8Array(ETH + total);
      f.set(buf.subarray(start), ETH);
      return k.transmit(p, f, ETH);
    }
    return k.transmit(p, buf, start);
  }

  /** Broadcasts always come back to the sender (Linux ip_mc_output); multicast when looping is on and the host joined the group. */
  private loopBack(p: Path, packet: Uint8Array, loop: boolean): void {
    const k = this.k;
    if (p.type === 'broadcast') {
      k.stats.ip.OutBcastPkts!++;
      k.lo.loop(packet, p.iface);
    } else if (p.type === 'multicast') {
      k.stats.ip.OutMcastPkts!++;
      if (loop && k.mcast.isMember(4, p.dst, p.iface.ifindex)) k.lo.loop(packet, p.iface);
    }
  }

  private header(buf: Uint8Array, at: number, total: number, df: boolean, fragOffset: number, mf: boolean, ttl: number,
    protocol: number, src: Uint8Array, dst: Uint8Array, tos: number): void {
    const id = this.nextId;
    this.nextId = (id + 1) & 0xffff;
    // The same 20 bytes emitIpv4Header writes (RFC 791 §3.1, no options), without the fields
    // object: this runs once per packet sent.
    const ff = (df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (fragOffset >>> 3);
    buf[at] = 0x45;
    buf[at + 1] = tos;
    buf[at + 2] = total >>> 8;
    buf[at + 3] = total & 0xff;
    buf[at + 4] = id >>> 8;
    buf[at + 5] = id & 0xff;
    buf[at + 6] = ff >>> 8;
    buf[at + 7] = ff & 0xff;
    buf[at + 8] = ttl;
    buf[at + 9] = protocol;
    const s0 = src[0]!, s1 = src[1]!, s2 = src[2]!, s3 = src[3]!;
    const d0 = dst[0]!, d1 = dst[1]!, d2 = dst[2]!, d3 = dst[3]!;
    buf[at + 12] = s0;
    buf[at + 13] = s1;
    buf[at + 14] = s2;
    buf[at + 15] = s3;
    buf[at + 16] = d0;
    buf[at + 17] = d1;
    buf[at + 18] = d2;
    buf[at + 19] = d3;
    // RFC 1071: one's complement sum of the nine other 16-bit words.
    let sum = 0x4500 + tos + total + id + ff + ((ttl << 8) | protocol) +
      ((s0 << 8) | s1) + ((s2 << 8) | s3) + ((d0 << 8) | d1) + ((d2 << 8) | d3);
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    const c = ~sum & 0xffff;
    buf[at + 10] = c >>> 8;
    buf[at + 11] = c & 0xff;
  }

  private srcBytes(src: string): Uint8Array {
    const b = new Uint8Array(4);
    const parts = src.split('.');
    for (let i = 0; i < 4; i++) b[i] = Number(parts[i]) | 0;
    return b;
  }

  /** RFC 791 §3.2 / §2.3: fragments a locally generated datagram (one new buffer per fragment). */
  private fragmentOut(p: Path, buf: Uint8Array, offset: number, mtu: number, ttl: number, protocol: number, src: Uint8Array, tos: number, loop: boolean): number {
    const k = this.k;
    const st = k.stats.ip;
    const data = buf.subarray(offset);
    const step = (mtu - IPV4_HEADER_LEN) & ~7;
    if (step < 8) return -EMSGSIZE;
    const id = this.nextId;
    this.nextId = (id + 1) & 0xffff;
    for (let off = 0; off < data.length; off += step) {
      const n = Math.min(step, data.length - off);
      const more = off + n < data.length;
      const f = new Uint8Array(ETH + IPV4_HEADER_LEN + n);
      emitIpv4Header(f, ETH, { tos, totalLength: IPV4_HEADER_LEN + n, id, df: false, mf: more, fragOffset: off, ttl, protocol, src, dst: p.dstBytes });
      f.set(data.subarray(off, off + n), ETH + IPV4_HEADER_LEN);
      if (p.type !== 'unicast') this.loopBack(p, f.subarray(ETH), loop);
      k.transmit(p, f, ETH);
      st.FragCreates!++;
    }
    st.FragOKs!++;
    return 0;
  }

  /**
   * RFC 791 §3.2 (fragmentation procedure) for a forwarded packet: options whose copied flag is
   * set go into every fragment, the others only into the first; offsets add to the packet's own.
   */
  private fragment(p: Path, packet: Uint8Array, mtu: number): void {
    const k = this.k;
    const st = k.stats.ip;
    const hl = (packet[0]! & 0x0f) << 2;
    const total = get16(packet, 2);
    const ff = get16(packet, 6);
    const baseOff = (ff & 0x1fff) << 3;
    const lastMf = (ff & 0x2000) !== 0;
    const options = packet.subarray(IPV4_HEADER_LEN, hl);
    const copied = copiedOptions(options);
    const data = packet.subarray(hl, total);
    const src = packet.subarray(12, 16);
    const dst = packet.subarray(16, 20);
    let off = 0;
    let first = true;
    while (off < data.length) {
      const opt = first ? options : copied;
      const ohl = IPV4_HEADER_LEN + ((opt.length + 3) & ~3);
      const step = (mtu - ohl) & ~7;
      if (step < 8) {
        st.FragFails!++;
        return;
      }
      const n = Math.min(step, data.length - off);
      const more = off + n < data.length || lastMf;
      const f = new Uint8Array(ETH + ohl + n);
      emitIpv4Header(f, ETH, {
        tos: packet[1]!, totalLength: ohl + n, id: get16(packet, 4), df: false, mf: more, fragOffset: baseOff + off,
        ttl: packet[8]!, protocol: packet[9]!, src, dst, ...(opt.length > 0 ? { options: opt } : {}),
      });
      f.set(data.subarray(off, off + n), ETH + ohl);
      k.transmit(p, f, ETH);
      st.FragCreates!++;
      off += n;
      first = false;
    }
    st.FragOKs!++;
  }
}

/** RFC 791 §3.1: the options with the copied flag (high bit of the type) set, for non-first fragments. */
function copiedOptions(options: Uint8Array): Uint8Array {
  if (options.length === 0) return options;
  const out: number[] = [];
  let i = 0;
  while (i < options.length) {
    const t = options[i]!;
    if (t === 0) break;
    if (t === 1) { i++; continue; }
    const l = options[i + 1] ?? 0;
    if (l < 2 || i + l > options.length) break;
    if ((t & 0x80) !== 0) for (let j = 0; j < l; j++) out.push(options[i + j]!);
    i += l;
  }
  return Uint8Array.from(out);
}

