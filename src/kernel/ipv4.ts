// IPv4 (RFC 791, RFC 1122 §3.2.1, RFC 1812 §5 for forwarding): input checks, local delivery,
// reassembly, forwarding with TTL decrement and fragmentation, and the output path transports
// call. Headers are written in place in the HEADROOM the transport left before its data.

import { formatIPv4 } from '../wire/addr.js';
import { get16, get32, put16 } from '../wire/bytes.js';
import { updateChecksum } from '../wire/checksum.js';
import { WireError } from '../wire/error.js';
import { IPV4_HEADER_LEN, emitIpv4Header, ipv4OptionsValid, parseIpv4, type Ipv4Repr } from '../wire/ipv4.js';
import { ICMP_ADMIN_PROHIBITED, ICMP_DEST_UNREACH, ICMP_EXC_FRAGTIME, ICMP_EXC_TTL, ICMP_FRAG_NEEDED, ICMP_HOST_UNREACH, ICMP_NET_UNREACH, ICMP_TIME_EXCEEDED } from '../wire/icmpv4.js';
import { EACCES, EHOSTUNREACH, EINVAL, EMSGSIZE } from '../sys/errno.js';
import type { IpOutputOptions } from './ip-types.js';
import type { Interface } from './interface.js';
import type { Kernel, KernelPacket, Path } from './kernel.js';
import { Reassembler, type FragQueue } from './fragments.js';

const ETH = 14;

export class Ipv4 {
  readonly reasm: Reassembler;
  /** RFC 791 §3.2 / RFC 6864: identification, one counter per host starting at a random value. */
  private nextId: number;
  private readonly names = new Map<number, string>();

  constructor(private readonly k: Kernel) {
    this.nextId = k.random.u32() & 0xffff;
    this.reasm = new Reassembler(k.sched, k.stats.ip, (q) => this.reasmExpired(q));
  }

  /** The next identification value (for packets the kernel builds itself). */
  takeId(): number {
    const id = this.nextId;
    this.nextId = (id + 1) & 0xffff;
    return id;
  }

  /** Dotted text of 4 bytes, cached by value (the hot path formats the same few addresses). */
  name(b: Uint8Array): string {
    const v = get32(b, 0);
    let s = this.names.get(v);
    if (s === undefined) {
      if (this.names.size >= 4096) this.names.clear();
      s = formatIPv4(b);
      this.names.set(v, s);
    }
    return s;
  }

  // ---- input ------------------------------------------------------------------------------------

  /** An IPv4 packet from `iface`; `linkMcast` when it came in a link-layer broadcast/multicast frame. */
  input(iface: Interface, buf: Uint8Array, linkMcast: boolean): void {
    const k = this.k;
    const st = k.stats.ip;
    st.InReceives!++;
    const h = parseIpv4(buf);
    if (h instanceof WireError) {
      // RFC 1122 §3.2.1.1-2: bad version, header or length: discard silently.
      if (buf.length >= 4 && buf[0]! >>> 4 === 4 && get16(buf, 2) > buf.length) st.InTruncatedPkts!++;
      else st.InHdrErrors!++;
      return;
    }
    if (!h.checksumOk) {
      st.InCsumErrors!++;
      st.InHdrErrors!++;
      return;
    }
    if (h.headerLength > IPV4_HEADER_LEN && !ipv4OptionsValid(h.options)) {
      st.InHdrErrors!++;
      return;
    }
    const src = h.src;
    const dst = h.dst;
    // RFC 1122 §3.2.1.3: a source that is broadcast or multicast is discarded ("martian").
    if ((src[0]! & 0xf0) === 0xe0 || (src[0] === 255 && src[1] === 255 && src[2] === 255 && src[3] === 255)) {
      st.InAddrErrors!++;
      return;
    }
    const d32 = get32(dst, 0);
    let dstName: string;
    let multicast = false;
    const own = k.local4.get(d32);
    if (own !== undefined) {
      dstName = own.address;
    } else if (dst[0] === 127) {
      // RFC 1122 §3.2.1.3: 127/8 must never appear outside a host.
      if (iface !== k.lo) {
        st.InAddrErrors!++;
        return;
      }
      dstName = this.name(dst);
    } else if (d32 === 0xffffffff) {
      dstName = '255.255.255.255';
      multicast = true;
      st.InBcastPkts!++;
    } else if ((dst[0]! & 0xf0) === 0xe0) {
      dstName = this.name(dst);
      // RFC 1112 §6.2: deliver multicast only for groups joined on the receiving interface
      // (224.0.0.1 all-hosts is always joined).
      if (d32 !== 0xe0000001 && !k.mcast.isMember(4, dstName, iface.ifindex)) return;
      multicast = true;
      st.InMcastPkts!++;
    } else {
      let bcast = false;
      for (const a of iface.v4) if (a.prefix < 31 && a.bcast32 === d32) bcast = true;
      if (!bcast) {
        this.forward(iface, h, buf, linkMcast);
        return;
      }
      dstName = this.name(dst);
      multicast = true;
      st.InBcastPkts!++;
    }
    if (h.mf || h.fragOffset !== 0) {
      this.reassemble(iface, h, buf, dstName, multicast);
      return;
    }
    const pkt: KernelPacket = {
      family: 4,
      src: this.name(src),
      dst: dstName,
      srcBytes: src,
      dstBytes: dst,
      protocol: h.protocol,
      ttl: h.ttl,
      tos: h.tos,
      payload: h.payload,
      ifindex: iface.ifindex,
      multicast,
      raw: h.totalLength === buf.length ? buf : buf.subarray(0, h.totalLength),
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
    if (total > mtu) {
      // RFC 1191 §3: with DF the sender learns EMSGSIZE instead of fragmenting.
      if (df || total > 65535) return -EMSGSIZE;
      return this.fragmentOut(p, buf, offset, mtu, ttl, protocol, srcBytes, opts?.tos ?? 0, opts?.multicastLoop !== false);
    }
    this.header(buf, start, total, df, 0, false, ttl, protocol, srcBytes, p.dstBytes, opts?.tos ?? 0);
    if (type !== 'unicast') this.loopBack(p, buf.subarray(start), opts?.multicastLoop !== false);
    if (start < ETH && p.iface.layer === 2) {
      const f = new Uint8Array(ETH + total);
      f.set(buf.subarray(start), ETH);
      k.transmit(p, f, ETH);
    } else {
      k.transmit(p, buf, start);
    }
    return 0;
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
    emitIpv4Header(buf, at, { tos, totalLength: total, id, df, mf, fragOffset, ttl, protocol, src, dst });
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

