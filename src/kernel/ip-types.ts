// The interface between the IP layer (IPv4, IPv6, routes, neighbours, interfaces) and the
// transports above it (UDP, TCP, ICMP sockets). Transports build their header and payload
// into a buffer that leaves HEADROOM bytes free in front, so IP and Ethernet headers are
// written in place and payload bytes are copied only once on the way out.

/** Bytes to leave free before the transport header: Ethernet (14) + IPv6 (40) + fragment (8) + spare. */
export const HEADROOM = 64;

export const IPPROTO_ICMP = 1;
export const IPPROTO_IGMP = 2;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/** A packet the IP layer hands up to a transport. Addresses are canonical strings and byte views. */
export interface IpPacket {
  family: 4 | 6;
  src: string;
  dst: string;
  srcBytes: Uint8Array;
  dstBytes: Uint8Array;
  protocol: number;
  ttl: number;
  tos: number;
  /** The transport header and data (reassembled if it came in fragments). */
  payload: Uint8Array;
  /** Receiving interface index (1 = lo). */
  ifindex: number;
  /** Sent to a broadcast or multicast address. */
  multicast: boolean;
  /**
   * > 0: a TCP super-segment of segments of this size that crossed only virtual wires from a
   * usernet host (TSO/GSO, src/wire/gso.ts): its TCP checksum was left partial and needs no check.
   */
  gso?: number;
}

/** An ICMP/ICMPv6 error about a packet this host sent, passed to the transport that sent it. */
export interface IcmpError {
  family: 4 | 6;
  /** The router or host that reported it. */
  reporter: string;
  type: number;
  code: number;
  /** What Linux would report on the socket (positive errno: ECONNREFUSED, EHOSTUNREACH, ...). */
  errno: number;
  /** Set for "fragmentation needed" / "packet too big": the next-hop MTU. */
  mtu?: number;
  /** The offending packet as quoted: its addresses, protocol and the first bytes of its transport header. */
  src: string;
  dst: string;
  protocol: number;
  transport: Uint8Array;
}

export interface TransportProtocol {
  readonly protocol: number;
  input(pkt: IpPacket): void;
  icmpError?(err: IcmpError): void;
}

/** The answer of a route lookup, like `ip route get`. */
export interface RouteResult {
  family: 4 | 6;
  /** Output interface name and index. */
  dev: string;
  ifindex: number;
  /** Preferred source address. */
  src: string;
  /** Next hop, when not on-link. */
  via?: string;
  /** Path MTU toward the destination (interface MTU, or lower when learned from ICMP). */
  mtu: number;
  /** Destination type. */
  type: 'unicast' | 'local' | 'broadcast' | 'multicast';
  /**
   * The output interface takes TCP super-segments (segmentation offload on, as `ethtool -k`
   * shows tcp-segmentation-offload): TCP may hand IP up to 64 KiB at once with `gso` set.
   */
  gso?: boolean;
}

export interface IpOutputOptions {
  ttl?: number;
  tos?: number;
  /** IPv4 DF bit / IPv6: never fragment at the source (EMSGSIZE instead). */
  dontFragment?: boolean;
  /** Send out of this interface (multicast, SO_BINDTODEVICE). */
  ifindex?: number;
  /** Deliver multicast back to local sockets too (IP_MULTICAST_LOOP). Default true. */
  multicastLoop?: boolean;
  /**
   * A TCP super-segment (only where the route said `gso`): the packet carries segments of this
   * many payload bytes, each of which must fit the path MTU; the whole may exceed it.
   */
  gso?: number;
}

/** What the IP layer offers to transports. */
export interface IpLayer {
  register(tp: TransportProtocol): void;
  /** Route lookup; a negative errno (-ENETUNREACH) when there is none. */
  route(family: 4 | 6, dst: string, opts?: { src?: string; ifindex?: number }): RouteResult | number;
  /**
   * Sends one transport packet. `buf.subarray(offset)` holds the transport header and data with
   * its checksum already computed, and `offset >= HEADROOM`. Returns 0, a negative errno
   * (-EMSGSIZE with dontFragment over the path MTU, -ENETUNREACH, -EHOSTUNREACH, -ENOBUFS), or
   * NET_XMIT_DROP (1): the interface's queueing discipline dropped it (Linux dev_queue_xmit).
   */
  output(family: 4 | 6, src: string, dst: string, protocol: number, buf: Uint8Array, offset: number, opts?: IpOutputOptions): number;
  /** Is this one of the host's own addresses (for bind)? */
  isLocal(family: 4 | 6, address: string): boolean;
  /** Multicast membership on an interface (0 = the default for that group); sends IGMP/MLD reports. */
  joinGroup(family: 4 | 6, group: string, ifindex: number, source?: string): number;
  leaveGroup(family: 4 | 6, group: string, ifindex: number, source?: string): number;
  /** Whether any socket on this host joined the group on that interface (for input filtering). */
  isMember(family: 4 | 6, group: string, ifindex: number): boolean;
  /** Interface index by name / address, for IP_MULTICAST_IF and scope ids (0 when unknown). */
  ifindexOf(nameOrAddress: string): number;
  /** Answers a packet no transport wanted with ICMP/ICMPv6 port (or protocol) unreachable, rate-limited as Linux does. */
  sendUnreachable(pkt: IpPacket, what: 'port' | 'protocol'): void;
  /** Counters per protocol (`netstat -s` style), e.g. stats.udp.InErrors; transports add their own. */
  readonly stats: Record<string, Record<string, number>>;
}
