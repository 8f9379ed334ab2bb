// UDP (RFC 768) for one host: the port table, input demultiplexing, ICMP errors, and the
// factory of UdpSocket (src/kernel/udp-socket.ts), which holds everything per socket.
//
//   const udp = new Udp(ip, random);      // registers itself with the IP layer for protocol 17
//   const s = udp.socket(AF_INET6);       // a KernelSocket for sys
//
// Counters (Linux /proc/net/snmp "Udp:" and /proc/net/snmp6 "Udp6..." names): ip.stats.udp
// for IPv4 datagrams, ip.stats.udp6 for IPv6 ones: InDatagrams (read by applications),
// NoPorts, InErrors, OutDatagrams, RcvbufErrors, SndbufErrors, InCsumErrors, IgnoredMulti.
import type { Random } from '../links/random.js';
import { AF_INET, AF_INET6 } from '../uapi/socket.js';
import { WireError } from '../wire/error.js';
import { parseUdp, udpChecksumOk } from '../wire/udp.js';
import { IPPROTO_UDP, type IcmpError, type IpLayer, type IpPacket, type TransportProtocol } from './ip-types.js';
import { PortTable, reuseportSelect, type PortEntry } from './ports.js';
import { UdpSocket } from './udp-socket.js';
import { LazySet } from '../links/lazy.js';

export type UdpCounters = Record<'InDatagrams' | 'NoPorts' | 'InErrors' | 'OutDatagrams' | 'RcvbufErrors' |
  'SndbufErrors' | 'InCsumErrors' | 'IgnoredMulti', number>;

function counters(): UdpCounters {
  return { InDatagrams: 0, NoPorts: 0, InErrors: 0, OutDatagrams: 0, RcvbufErrors: 0, SndbufErrors: 0, InCsumErrors: 0, IgnoredMulti: 0 };
}

/** Loopback's interface index: packets that never left the host carry no checksum worth checking. */
const LO_IFINDEX = 1;

function isLoopback(a: string): boolean {
  return a === '::1' || a.startsWith('127.');
}

/**
 * ICMP errors that count as "hard" (Linux icmp_err_convert / icmpv6_err_convert `fatal`): only
 * those are reported on a connected socket without IP_RECVERR.
 */
function hardError(e: IcmpError): boolean {
  if (e.family === 4) {
    if (e.type === 3) return [2, 3, 6, 7, 8, 9, 10, 13, 14, 15].includes(e.code); // destination unreachable
    return e.type === 12; // parameter problem
  }
  if (e.type === 1) return e.code === 1 || e.code === 4 || e.code === 5 || e.code === 6; // admin prohibited, port unreachable, policy
  return e.type === 4; // parameter problem
}

export class Udp implements TransportProtocol {
  readonly protocol = IPPROTO_UDP;
  readonly ports: PortTable<UdpSocket>;
  readonly stats4: UdpCounters;
  readonly stats6: UdpCounters;
  /** Every open socket, for ss(). */
  readonly sockets = new LazySet<UdpSocket>();
  /** The secret mixed into SO_REUSEPORT's flow hash. */
  private readonly hashSecret: number;

  constructor(readonly ip: IpLayer, readonly random: Random) {
    this.ports = new PortTable<UdpSocket>(random);
    this.hashSecret = random.u32();
    this.stats4 = (ip.stats.udp as UdpCounters | undefined) ?? counters();
    this.stats6 = (ip.stats.udp6 as UdpCounters | undefined) ?? counters();
    ip.stats.udp = this.stats4;
    ip.stats.udp6 = this.stats6;
    ip.register(this);
  }

  /** A new UDP socket (AF_INET or AF_INET6). */
  socket(domain: typeof AF_INET | typeof AF_INET6): UdpSocket {
    const s = new UdpSocket(this, domain);
    this.sockets.add(s);
    return s;
  }

  statsFor(family: 4 | 6): UdpCounters { return family === 4 ? this.stats4 : this.stats6; }

  // RFC 768: demultiplex by destination port; RFC 1122 §4.1.3.1: answer with ICMP port unreachable.
  input(pkt: IpPacket): void {
    const st = pkt.family === 4 ? this.stats4 : this.stats6;
    const u = parseUdp(pkt.payload);
    if (u instanceof WireError) { st.InErrors++; return; }
    // RFC 1122 §4.1.3.4: a datagram with a bad checksum is discarded silently.
    if (pkt.ifindex !== LO_IFINDEX && !udpChecksumOk(pkt.payload, pkt.srcBytes, pkt.dstBytes)) {
      st.InCsumErrors++; st.InErrors++;
      return;
    }
    if (pkt.multicast) { this.deliverMulticast(pkt, u.srcPort, u.dstPort, u.payload, st); return; }
    // A datagram to one of our own addresses comes in on lo, but belongs to the interface that
    // owns the address (Linux takes the local route's device as the input interface).
    let ifindex = pkt.ifindex;
    if (ifindex === LO_IFINDEX && !isLoopback(pkt.dst)) ifindex = this.ip.ifindexOf(pkt.dst) || LO_IFINDEX;
    const sock = this.lookup(pkt.family, pkt.dst, u.dstPort, pkt.src, u.srcPort, ifindex);
    if (sock === null) {
      st.NoPorts++;
      this.ip.sendUnreachable(pkt, 'port');
      return;
    }
    sock.enqueue(u.payload, pkt.family, pkt.src, u.srcPort, ifindex, st);
  }

  // RFC 1122 §4.1.3.3: ICMP errors are passed up to the application (Linux: connected sockets only).
  icmpError(e: IcmpError): void {
    if (e.transport.length < 4) return;
    const sport = (e.transport[0]! << 8) | e.transport[1]!;
    const dport = (e.transport[2]! << 8) | e.transport[3]!;
    // The quoted packet went from us (src, sport) to them (dst, dport).
    const sock = this.lookup(e.family, e.src, sport, e.dst, dport, 0);
    if (sock === null || !sock.isConnected()) return;
    if (!hardError(e)) return;
    sock.setError(e.errno);
  }

  /**
   * The socket a unicast datagram to (dst, dport) from (src, sport) belongs to, like Linux
   * __udp4_lib_lookup: sockets bound to dst itself first, then wildcard ones; within each,
   * the best score (connected to this peer > unconnected; an AF_INET socket > a dual-stack one);
   * an SO_REUSEPORT group shares by a hash of the flow.
   */
  lookup(family: 4 | 6, dst: string, dport: number, src: string, sport: number, ifindex: number): UdpSocket | null {
    const list = this.ports.entries(dport);
    if (list.length === 0) return null;
    let best: PortEntry<UdpSocket> | null = null;
    let bestScore = -1;
    for (let pass = 0; pass < 2 && best === null; pass++) {
      for (let i = 0; i < list.length; i++) {
        const e = list[i]!;
        const mine = family === 4 ? e.v4 : e.v6;
        if (mine === null) continue;
        if (pass === 0 ? mine !== dst : mine !== '*') continue;
        const score = e.owner.matchScore(family, src, sport, ifindex);
        if (score > bestScore) { best = e; bestScore = score; }
      }
    }
    if (best === null) return null;
    if (best.reusePort && !best.owner.isConnected()) return this.pickReuseport(list, best, family, src, sport, dst, dport);
    return best.owner;
  }

  private pickReuseport(list: readonly PortEntry<UdpSocket>[], first: PortEntry<UdpSocket>, family: 4 | 6,
    src: string, sport: number, dst: string, dport: number): UdpSocket {
    const group: UdpSocket[] = [];
    for (const e of list) {
      if (e.reusePort && e.family === first.family && e.address === first.address && !e.owner.isConnected()) group.push(e.owner);
    }
    if (group.length <= 1) return first.owner;
    return reuseportSelect(group, this.hashSecret ^ Math.imul(family, 0x9e3779b1), src, sport, dst, dport);
  }

  /**
   * Broadcast and multicast go to every socket that matches (Linux __udp4_lib_mcast_deliver):
   * the port, the bound address (wildcard or the group/broadcast address itself), the peer if
   * connected, and the socket's multicast source filter.
   */
  private deliverMulticast(pkt: IpPacket, sport: number, dport: number, payload: Uint8Array, st: UdpCounters): void {
    const list = this.ports.entries(dport);
    let delivered = 0;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      const mine = pkt.family === 4 ? e.v4 : e.v6;
      if (mine === null || (mine !== '*' && mine !== pkt.dst)) continue;
      const s = e.owner;
      if (!s.acceptsMulticast(pkt.family, pkt.dst, pkt.src, sport, pkt.ifindex)) continue;
      s.enqueue(payload, pkt.family, pkt.src, sport, pkt.ifindex, st);
      delivered++;
    }
    if (delivered === 0) st.IgnoredMulti++;
  }

  /** @internal */
  _closed(s: UdpSocket): void { this.sockets.delete(s); }
}
