// ICMPv6 (RFC 4443): echo answers, errors about packets this host sent (to the transport, with
// Linux's errno), errors this host sends (rate-limited, RFC 4443 §2.4(f)), and dispatch of
// neighbour discovery (ndp.ts) and MLD (multicast.ts) messages.

import { constants } from 'node:os';
import { formatIPv6 } from '../wire/addr.js';
import { get16 } from '../wire/bytes.js';
import { WireError } from '../wire/error.js';
import {
  ICMP6_ADDR_UNREACH, ICMP6_DST_UNREACH, ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST, ICMP6_PACKET_TOO_BIG, ICMP6_PARAM_PROB,
  ICMP6_PARAMPROB_NEXTHEADER, ICMP6_PARAMPROB_OPTION, ICMP6_PORT_UNREACH, ICMP6_TIME_EXCEEDED, MLD_DONE, MLD_QUERY,
  MLD_REPORT, MLDV2_REPORT, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, ND_REDIRECT, ND_ROUTER_ADVERT, ND_ROUTER_SOLICIT,
  emitIcmpv6, isIcmpv6Error, parseIcmpv6, type Icmpv6Message,
} from '../wire/icmpv6.js';
import { EACCES, ECONNREFUSED, EHOSTUNREACH, EMSGSIZE, ENETUNREACH } from '../uapi/errno.js';
import { HEADROOM, IPPROTO_ICMPV6, type IcmpError } from './ip-types.js';
import type { Kernel, KernelPacket } from './kernel.js';
import { IcmpRateLimiter } from './ratelimit.js';

const E = constants.errno as Record<string, number>;
const EPROTO = E['EPROTO'] ?? 71;

/**
 * Linux net/ipv6/icmp.c tab_unreach[] (icmpv6_err_convert): no route → ENETUNREACH,
 * administratively prohibited → EACCES, beyond scope → EHOSTUNREACH, address unreachable →
 * EHOSTUNREACH, port unreachable → ECONNREFUSED, policy failure → EACCES, reject route → EACCES.
 */
const UNREACH_ERRNO = [ENETUNREACH, EACCES, EHOSTUNREACH, EHOSTUNREACH, ECONNREFUSED, EACCES, EACCES];

/** icmpv6_err_convert: packet too big → EMSGSIZE, parameter problem → EPROTO, time exceeded → EHOSTUNREACH. */
export function icmp6Errno(type: number, code: number): number {
  if (type === ICMP6_DST_UNREACH) return UNREACH_ERRNO[code] ?? EPROTO;
  if (type === ICMP6_PACKET_TOO_BIG) return EMSGSIZE;
  if (type === ICMP6_TIME_EXCEEDED) return EHOSTUNREACH;
  return EPROTO;
}

/** RFC 4443 §2.4(c): an error carries as much of the invoking packet as fits in the minimum MTU. */
const MAX_QUOTE = 1280 - 40 - 8;

export class Icmp6 {
  readonly limiter: IcmpRateLimiter;

  constructor(private readonly k: Kernel) {
    this.limiter = new IcmpRateLimiter(k.sched);
  }

  input(pkt: KernelPacket): void {
    const k = this.k;
    const st = k.stats.icmp6;
    st.InMsgs!++;
    const m = parseIcmpv6(pkt.payload, pkt.srcBytes, pkt.dstBytes);
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
      case ICMP6_ECHO_REQUEST:
        st.InEchos!++;
        // RFC 4443 §4.1: echo requests to a multicast address may be answered; Linux answers
        // (icmp_echo_ignore_multicast = 0) from a unicast address of the receiving interface.
        this.echoReply(pkt, m.id, m.seq, m.data);
        return;
      case ICMP6_ECHO_REPLY:
        st.InEchoReplies!++;
        k.pinger.reply(6, pkt.src, m.id, m.seq, pkt.ttl, pkt.payload.length);
        return;
      case ICMP6_DST_UNREACH:
        st.InDestUnreachs!++;
        this.error(pkt, m.type, m.code, 0, m.data);
        return;
      case ICMP6_PACKET_TOO_BIG:
        st.InPktTooBigs!++;
        this.error(pkt, m.type, m.code, m.mtu, m.data);
        return;
      case ICMP6_TIME_EXCEEDED:
        st.InTimeExcds!++;
        this.error(pkt, m.type, m.code, 0, m.data);
        return;
      case ICMP6_PARAM_PROB:
        st.InParmProblems!++;
        this.error(pkt, m.type, m.code, 0, m.data);
        return;
      case ND_NEIGHBOR_SOLICIT:
        st.InNeighborSolicits!++;
        k.ndp.solicitation(pkt, m);
        return;
      case ND_NEIGHBOR_ADVERT:
        st.InNeighborAdvertisements!++;
        k.ndp.advertisement(pkt, m);
        return;
      case ND_ROUTER_SOLICIT:
        st.InRouterSolicits!++;
        return; // no router advertisements are sent: router-less operation (on-link by prefix)
      case ND_ROUTER_ADVERT:
        st.InRouterAdvertisements!++;
        return; // addresses and routes are configured by hand (no SLAAC)
      case ND_REDIRECT:
        st.InRedirects!++;
        return;
      case MLD_QUERY:
        st.InGroupMembQueries!++;
        k.mcast.inputMld(pkt, m);
        return;
      case MLD_REPORT:
        st.InGroupMembResponses!++;
        return;
      case MLDV2_REPORT:
        st.InMLDv2Reports!++;
        return;
      case MLD_DONE:
        st.InGroupMembReductions!++;
        return;
      default:
        // RFC 4443 §2.4(a)/(b): unknown errors go up, unknown informational messages are dropped.
        if (isIcmpv6Error(m.type)) this.error(pkt, m.type, m.code, 0, m.data);
        return;
    }
  }

  private echoReply(pkt: KernelPacket, id: number, seq: number, data: Uint8Array): void {
    const k = this.k;
    let src = pkt.dst;
    if (pkt.multicast) {
      const iface = k.iface(pkt.ifindex);
      const a = iface?.v6.find((x) => x.scope === 'link') ?? iface?.v6[0];
      if (a === undefined) return;
      src = a.address;
    }
    const srcBytes = k.ipv6.bytes(src);
    const buf = new Uint8Array(HEADROOM + 8 + data.length);
    emitIcmpv6(buf, HEADROOM, srcBytes, pkt.srcBytes, { type: ICMP6_ECHO_REPLY, code: 0, id, seq, data });
    k.stats.icmp6.OutMsgs!++;
    k.stats.icmp6.OutEchoReplies!++;
    k.ipv6.output(src, pkt.src, IPPROTO_ICMPV6, buf, HEADROOM, pkt.multicast ? { ifindex: pkt.ifindex } : undefined);
  }

  /** An ICMPv6 error about a packet this host sent. */
  private error(pkt: KernelPacket, type: number, code: number, mtu: number, quote: Uint8Array): void {
    const k = this.k;
    // RFC 4443 §2.4(d)/§3: the quote starts with the invoking packet's IPv6 header.
    if (quote.length < 40 || quote[0]! >>> 4 !== 6) {
      k.stats.icmp6.InErrors!++;
      return;
    }
    const src = formatIPv6(quote, 8);
    const dst = formatIPv6(quote, 24);
    // Walk the quoted extension headers (as far as the quote goes) to the upper-layer header.
    let nh = quote[6]!;
    let off = 40;
    while ((nh === 0 || nh === 43 || nh === 60 || nh === 44) && off + 8 <= quote.length) {
      if (nh === 44) {
        if ((get16(quote, off + 2) & 0xfff8) !== 0) break; // not the first fragment: no transport header
        nh = quote[off]!;
        off += 8;
        continue;
      }
      const len = (quote[off + 1]! + 1) << 3;
      nh = quote[off]!;
      off += len;
    }
    if (off + 8 > quote.length) {
      k.stats.icmp6.InErrors!++;
      return;
    }
    const transport = quote.subarray(off);
    let learned: number | undefined;
    if (type === ICMP6_PACKET_TOO_BIG) {
      const p = k.path(6, dst);
      const linkMtu = typeof p === 'number' ? 65535 : p.mtu;
      // RFC 8201 §4: lower the PMTU estimate; RFC 8200 §5: never below 1280.
      const now = k.pmtu6.learn(dst, mtu, linkMtu);
      learned = now !== 0 ? now : Math.min(Math.max(mtu, 1280), linkMtu);
    }
    const errno = icmp6Errno(type, code);
    if (nh === IPPROTO_ICMPV6) {
      if (transport[0] === ICMP6_ECHO_REQUEST) {
        k.pinger.error(6, pkt.src, get16(transport, 4), get16(transport, 6), type, code, errno, learned);
      }
      return;
    }
    const err: IcmpError = { family: 6, reporter: pkt.src, type, code, errno, src, dst, protocol: nh, transport };
    if (learned !== undefined) err.mtu = learned;
    k.notifyTransport(err);
  }

  /** IpLayer.sendUnreachable for IPv6: port unreachable, or parameter problem code 1 (RFC 4443 §3.4). */
  sendUnreachable(raw: Uint8Array, what: 'port' | 'protocol', multicast: boolean): void {
    if (what === 'port') {
      this.sendError(raw, ICMP6_DST_UNREACH, ICMP6_PORT_UNREACH, 0, multicast);
      return;
    }
    // The pointer names the Next Header byte that held the unknown protocol.
    let ptr = 6;
    let nh = raw[6]!;
    let off = 40;
    while ((nh === 0 || nh === 43 || nh === 60) && off + 2 <= raw.length) {
      ptr = off;
      nh = raw[off]!;
      off += (raw[off + 1]! + 1) << 3;
    }
    this.sendError(raw, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_NEXTHEADER, ptr, multicast);
  }

  /** Address unreachable after neighbour discovery failed (RFC 4861 §7.2.2). */
  addressUnreachable(raw: Uint8Array): void {
    this.sendError(raw, ICMP6_DST_UNREACH, ICMP6_ADDR_UNREACH, 0, false);
  }

  /**
   * Sends an ICMPv6 error about `orig` (an IPv6 packet, header first). `info` is the MTU (packet
   * too big) or the pointer (parameter problem). `multicastOk` for parameter problem code 2 about
   * an option whose type asks for it even to multicast (RFC 4443 §2.4(e.3)).
   */
  sendError(orig: Uint8Array, type: number, code: number, info: number, multicast: boolean, multicastOk = false): void {
    const k = this.k;
    const st = k.stats.icmp6;
    if (orig.length < 40) return;
    // RFC 4443 §2.4(e): not about an ICMPv6 error (e.1), not about multicast destinations or
    // link-layer multicast (e.2, e.3) except packet too big and option parameter problems, not
    // about a source that does not name a single node (e.6).
    const toMcast = multicast || orig[24] === 0xff;
    if (toMcast && !(type === ICMP6_PACKET_TOO_BIG || (type === ICMP6_PARAM_PROB && code === ICMP6_PARAMPROB_OPTION && multicastOk))) return;
    if (orig[8] === 0xff) return;
    let unspecified = true;
    for (let i = 8; i < 24; i++) if (orig[i] !== 0) unspecified = false;
    if (unspecified) return;
    if (orig[6] === IPPROTO_ICMPV6 && orig.length > 40 && isIcmpv6Error(orig[40]!)) return;
    const to = formatIPv6(orig, 8);
    const p = k.path(6, to);
    if (typeof p === 'number') {
      st.OutErrors!++;
      return;
    }
    // Linux icmpv6_xrlim_allow: packet too big is never limited (PMTU discovery needs it), nor
    // are errors to ourselves.
    if (p.type !== 'local' && type !== ICMP6_PACKET_TOO_BIG && !this.limiter.allow(to)) {
      st.OutRateLimited!++;
      return;
    }
    // RFC 4443 §2.2: the source is the destination of the invoking packet when it was ours.
    const odst = formatIPv6(orig, 24);
    const src = k.local6.has(odst) ? odst : p.src;
    const qlen = Math.min(orig.length, MAX_QUOTE);
    const m: Icmpv6Message = { type, code, data: orig.subarray(0, qlen) };
    if (type === ICMP6_PACKET_TOO_BIG) m.mtu = info;
    else if (type === ICMP6_PARAM_PROB) m.pointer = info;
    const buf = new Uint8Array(HEADROOM + 8 + qlen);
    emitIcmpv6(buf, HEADROOM, k.ipv6.bytes(src), p.dstBytes, m);
    st.OutMsgs!++;
    if (type === ICMP6_DST_UNREACH) st.OutDestUnreachs!++;
    else if (type === ICMP6_PACKET_TOO_BIG) st.OutPktTooBigs!++;
    else if (type === ICMP6_TIME_EXCEEDED) st.OutTimeExcds!++;
    else if (type === ICMP6_PARAM_PROB) st.OutParmProblems!++;
    k.ipv6.output(src, to, IPPROTO_ICMPV6, buf, HEADROOM);
  }
}
