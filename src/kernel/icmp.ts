// ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2): echo answers, errors about packets this host sent
// (passed to the transport with Linux's errno), and errors this host sends (rate-limited).

import { formatIPv4 } from '../wire/addr.js';
import { get16 } from '../wire/bytes.js';
import { WireError } from '../wire/error.js';
import {
  ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_FRAG_NEEDED, ICMP_HOST_UNREACH, ICMP_PARAM_PROBLEM,
  ICMP_PORT_UNREACH, ICMP_PROT_UNREACH, ICMP_REDIRECT, ICMP_SOURCE_QUENCH, ICMP_TIME_EXCEEDED, emitIcmpv4,
  isIcmpv4Error, parseIcmpv4,
} from '../wire/icmpv4.js';
import { ECONNREFUSED, EHOSTDOWN, EHOSTUNREACH, EMSGSIZE, ENETUNREACH, ENOPROTOOPT, EOPNOTSUPP } from '../uapi/errno.js';
import { constants } from 'node:os';
import { HEADROOM, IPPROTO_ICMP, type IcmpError } from './ip-types.js';
import type { Kernel, KernelPacket } from './kernel.js';
import { IcmpRateLimiter } from './ratelimit.js';

const E = constants.errno as Record<string, number>;
export const EPROTO = E['EPROTO'] ?? 71;
export const ENONET = E['ENONET'] ?? 64;

/**
 * Linux net/ipv4/icmp.c icmp_err_convert[]: destination unreachable codes 0-15 to errno.
 * (net unreach, host unreach, protocol unreach, port unreach, frag needed, source route failed,
 * net unknown, host unknown, host isolated, net prohibited, host prohibited, net TOS, host TOS,
 * administratively prohibited (filtered), precedence violation, precedence cutoff.)
 */
const UNREACH_ERRNO = [
  ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED, EMSGSIZE, EOPNOTSUPP, ENETUNREACH, EHOSTDOWN,
  ENONET, ENETUNREACH, EHOSTUNREACH, ENETUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH,
];

/** The errno Linux reports on a socket for an ICMP error (udp_err / tcp_v4_err / ping_err). */
export function icmpErrno(type: number, code: number): number {
  if (type === ICMP_DEST_UNREACH) return UNREACH_ERRNO[code] ?? EHOSTUNREACH;
  if (type === ICMP_TIME_EXCEEDED) return EHOSTUNREACH;
  if (type === ICMP_PARAM_PROBLEM) return EPROTO;
  return EHOSTUNREACH;
}

/** RFC 1191 §7: the plateau table, for "fragmentation needed" from routers that send MTU 0. */
const PLATEAUS = [32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

/** RFC 1812 §4.3.2.3: an error carries as much of the original as fits in 576 bytes. */
const MAX_QUOTE = 576 - 20 - 8;

export class Icmp {
  readonly limiter: IcmpRateLimiter;

  constructor(private readonly k: Kernel) {
    this.limiter = new IcmpRateLimiter(k.sched);
  }

  input(pkt: KernelPacket): void {
    const k = this.k;
    const st = k.stats.icmp;
    st.InMsgs!++;
    const m = parseIcmpv4(pkt.payload);
    if (m instanceof WireError) {
      st.InErrors!++;
      return;
    }
    if (!m.checksumOk) {
      st.InCsumErrors!++;
      st.InErrors!++;
      return;
    }
    switch (m.type) {
      case ICMP_ECHO_REQUEST:
        st.InEchos!++;
        // Linux icmp_echo_ignore_broadcasts = 1 (RFC 1122 §3.2.2.6 allows ignoring them).
        if (pkt.multicast) return;
        this.echoReply(pkt, m.id, m.seq, m.data);
        return;
      case ICMP_ECHO_REPLY:
        st.InEchoReps!++;
        k.pinger.reply(4, pkt.src, m.id, m.seq, pkt.ttl, pkt.payload.length);
        return;
      case ICMP_DEST_UNREACH:
        st.InDestUnreachs!++;
        this.error(pkt, m.type, m.code, m.mtu, m.data);
        return;
      case ICMP_TIME_EXCEEDED:
        st.InTimeExcds!++;
        this.error(pkt, m.type, m.code, 0, m.data);
        return;
      case ICMP_PARAM_PROBLEM:
        st.InParmProbs!++;
        this.error(pkt, m.type, m.code, 0, m.data);
        return;
      case ICMP_SOURCE_QUENCH:
        // RFC 6633: source quench is deprecated and ignored.
        st.InSrcQuenchs!++;
        return;
      case ICMP_REDIRECT:
        // Linux accept_redirects is off for routers; this host keeps its routes (RFC 1122 §3.2.2.2 allows it).
        st.InRedirects!++;
        return;
      default:
        // RFC 1122 §3.2.2: unknown types are silently discarded.
        return;
    }
  }

  private echoReply(pkt: KernelPacket, id: number, seq: number, data: Uint8Array): void {
    const k = this.k;
    // RFC 1122 §3.2.2.6: the reply's source is the address the request was sent to.
    const buf = new Uint8Array(HEADROOM + 8 + data.length);
    emitIcmpv4(buf, HEADROOM, { type: ICMP_ECHO_REPLY, code: 0, id, seq, data });
    k.stats.icmp.OutMsgs!++;
    k.stats.icmp.OutEchoReps!++;
    k.ipv4.output(pkt.dst, pkt.src, IPPROTO_ICMP, buf, HEADROOM);
  }

  /** An ICMP error about a packet this host sent: PMTU, ping, and the transport that sent it. */
  private error(pkt: KernelPacket, type: number, code: number, mtu: number, quote: Uint8Array): void {
    const k = this.k;
    // RFC 1122 §3.2.2: the quote holds the original IP header and at least 8 bytes of its data.
    if (quote.length < 20 || quote[0]! >>> 4 !== 4) {
      k.stats.icmp.InErrors!++;
      return;
    }
    const hl = (quote[0]! & 0x0f) << 2;
    if (hl < 20 || quote.length < hl + 8) {
      k.stats.icmp.InErrors!++;
      return;
    }
    const src = formatIPv4(quote, 12);
    const dst = formatIPv4(quote, 16);
    const protocol = quote[9]!;
    const transport = quote.subarray(hl);
    let learned: number | undefined;
    if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) {
      let next = mtu;
      if (next === 0) {
        // RFC 1191 §5: an old router gave no MTU: the next plateau below the packet's length.
        const len = get16(quote, 2);
        next = PLATEAUS.find((p) => p < len) ?? 68;
      }
      const p = k.path(4, dst);
      const linkMtu = typeof p === 'number' ? 65535 : p.mtu;
      const now = k.pmtu4.learn(dst, next, linkMtu);
      learned = now !== 0 ? now : Math.min(next, linkMtu);
    }
    const errno = icmpErrno(type, code);
    if (protocol === IPPROTO_ICMP) {
      // About one of our echo requests: ping hears it.
      if (transport[0] === ICMP_ECHO_REQUEST) {
        k.pinger.error(4, pkt.src, get16(transport, 4), get16(transport, 6), type, code, errno, learned);
      }
      return;
    }
    const err: IcmpError = { family: 4, reporter: pkt.src, type, code, errno, src, dst, protocol, transport };
    if (learned !== undefined) err.mtu = learned;
    k.notifyTransport(err);
  }

  /** IpLayer.sendUnreachable for IPv4. */
  sendUnreachable(raw: Uint8Array, what: 'port' | 'protocol', multicast: boolean): void {
    this.sendError(raw, ICMP_DEST_UNREACH, what === 'port' ? ICMP_PORT_UNREACH : ICMP_PROT_UNREACH, 0, multicast);
  }

  /** Host unreachable after neighbour resolution failed (Linux ipv4_link_failure). */
  hostUnreachable(raw: Uint8Array): void {
    this.sendError(raw, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, false);
  }

  /**
   * Sends an ICMP error about `orig` (an IPv4 packet, header first, header already validated).
   * `info` is the next-hop MTU (frag needed) or the pointer (parameter problem).
   */
  sendError(orig: Uint8Array, type: number, code: number, info: number, multicast: boolean): void {
    const k = this.k;
    const st = k.stats.icmp;
    if (orig.length < 20) return;
    const hl = (orig[0]! & 0x0f) << 2;
    // RFC 1122 §3.2.2: never about a datagram sent to a broadcast or multicast address or as a
    // link-layer broadcast, not about a non-first fragment, not about an ICMP error, and
    // not to a source that does not name a single host.
    if (multicast) return;
    const d0 = orig[16]!;
    if ((d0 & 0xf0) === 0xe0 || (d0 === 255 && orig[17] === 255 && orig[18] === 255 && orig[19] === 255)) return;
    if ((get16(orig, 6) & 0x1fff) !== 0) return;
    if (orig[9] === IPPROTO_ICMP && orig.length > hl && isIcmpv4Error(orig[hl]!)) return;
    const s0 = orig[12]!;
    if (s0 === 0 || (s0 & 0xf0) >= 0xe0) return;
    const to = formatIPv4(orig, 12);
    const p = k.path(4, to);
    if (typeof p === 'number') {
      st.OutErrors!++;
      return;
    }
    // Linux icmpv4_xrlim_allow: errors to ourselves (through lo) are never limited.
    if (p.type !== 'local' && !this.limiter.allow(to)) {
      st.OutRateLimited!++;
      return;
    }
    const qlen = Math.min(orig.length, MAX_QUOTE);
    const buf = new Uint8Array(HEADROOM + 8 + qlen);
    const m: Parameters<typeof emitIcmpv4>[2] = { type, code, data: orig.subarray(0, qlen) };
    if (type === ICMP_DEST_UNREACH) m.mtu = info;
    else if (type === ICMP_PARAM_PROBLEM) m.pointer = info;
    emitIcmpv4(buf, HEADROOM, m);
    st.OutMsgs!++;
    if (type === ICMP_DEST_UNREACH) st.OutDestUnreachs!++;
    else if (type === ICMP_TIME_EXCEEDED) st.OutTimeExcds!++;
    else if (type === ICMP_PARAM_PROBLEM) st.OutParmProbs!++;
    // Linux icmp_send: the error's source is the original destination when it was ours, else
    // the address the route back chooses; precedence "internetwork control" (RFC 1812 §4.3.2.5).
    const own = k.isLocal(4, formatIPv4(orig, 16)) ? formatIPv4(orig, 16) : p.src;
    k.ipv4.output(own, to, IPPROTO_ICMP, buf, HEADROOM, { tos: 0xc0 });
  }
}
