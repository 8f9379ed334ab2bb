// One UDP socket (RFC 768; RFC 8085 for the rules an application-facing UDP keeps): bind,
// connect, sendto, a receive queue bounded by SO_RCVBUF, socket options and multicast
// memberships, with Linux's results (net/ipv4/udp.c, net/ipv6/udp.c, net/ipv4/datagram.c).
//
// Addresses: an AF_INET6 socket speaks IPv6 text throughout; IPv4 peers of a dual-stack socket
// appear as v4-mapped '::ffff:a.b.c.d'. connect() with address '' is the AF_UNSPEC disconnect
// (disconnect() does the same). Options take Linux's names as strings; boolean options accept
// true/false or 0/1 and read back as 0/1.
import { constants as osConstants } from 'node:os';
import {
  EACCES, EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EAGAIN, EBADF, EDESTADDRREQ, EINVAL, EMSGSIZE,
  ENETUNREACH, ENOBUFS, ENOPROTOOPT, ENOTCONN, ENOTTY, EOPNOTSUPP, EPIPE,
} from '../uapi/errno.js';
import {
  AF_INET, AF_INET6, MSG_PEEK, POLLERR, POLLIN, POLLOUT, SHUT_RD, SHUT_RDWR, SHUT_WR, SOCK_DGRAM,
  type Datagram, type InetAddr, type IoctlRequest, type SockAddr, type SockoptLevel,
} from '../uapi/socket.js';
import { canonicalIP, parseIPv4, parseIPv6 } from '../wire/addr.js';
import { UDP_HEADER_LEN, emitUdpHeader } from '../wire/udp.js';
import { HEADROOM, IPPROTO_UDP, type IpOutputOptions, type RouteResult } from './ip-types.js';
import { checkBindAddress, isMulticast4, isMulticast6, unmapped, type PortEntry } from './ports.js';
import type { KernelSocket } from './socket.js';
import type { Udp, UdpCounters } from './udp.js';
import { copyBytes } from '../wire/bytes.js';

/** ENODEV (not among the socket-call errnos of uapi/errno.ts): no such interface. */
const ENODEV = (osConstants.errno as Record<string, number>).ENODEV ?? 19;

/** net.core.rmem_default / wmem_default: a new socket's buffers. */
export const UDP_DEFAULT_RCVBUF = 212992;
export const UDP_DEFAULT_SNDBUF = 212992;
/** net.core.rmem_max / wmem_max: setsockopt caps the request here, then doubles it. */
const BUF_MAX = 212992;
/** SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF on 64-bit Linux. */
const RCVBUF_MIN = 2304;
const SNDBUF_MIN = 4608;
/** The largest payloads: 65535 minus the UDP header and the IPv4 header (RFC 791), or the UDP header (RFC 8200 payload length). */
export const UDP_MAX_PAYLOAD4 = 65535 - 8 - 20;
export const UDP_MAX_PAYLOAD6 = 65535 - 8;
/** net.ipv4.igmp_max_memberships. */
const IGMP_MAX_MEMBERSHIPS = 20;
/** net.ipv4.ip_default_ttl and the IPv6 default hop limit. */
const DEFAULT_TTL = 64;
/**
 * What a queued datagram costs against SO_RCVBUF, like an skb's truesize: the data with its
 * headers and NET_SKB_PAD rounded to a cache line, plus struct sk_buff and skb_shared_info
 * (256 + 320 bytes on x86-64).
 */
function truesize(len: number, family: 4 | 6): number {
  const data = 64 + 14 + (family === 4 ? 20 : 40) + UDP_HEADER_LEN + len;
  return 576 + ((data + 63) & ~63);
}

interface Membership {
  family: 4 | 6;
  group: string;
  ifindex: number;
  /** Any-source joins are EXCLUDE with no sources; source-specific joins are INCLUDE (RFC 3678). */
  mode: 'include' | 'exclude';
  sources: string[];
}

interface Peer {
  /** The family and address on the wire (IPv4 for a v4-mapped peer). */
  wireFamily: 4 | 6;
  wire: string;
  port: number;
  /** As the socket reports it (getpeername). */
  address: string;
  scopeid: number;
}

interface Queued {
  data: Uint8Array;
  from: InetAddr;
  size: number;
  family: 4 | 6;
}

function isLinkLocal6(a: string): boolean {
  return a.length > 4 && a.charCodeAt(0) === 102 /* f */ && a.charCodeAt(1) === 101 /* e */ && '89ab'.includes(a[2]!);
}

function isV4(a: string): boolean { return a.indexOf(':') < 0; }

function toInt(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return NaN;
}

export class UdpSocket implements KernelSocket {
  readonly type = SOCK_DGRAM;
  readonly family: 4 | 6;
  onReady: ((revents: number) => void) | null = null;

  entry: PortEntry<UdpSocket> | null = null;
  /** Linux SOCK_BINDADDR_LOCK / SOCK_BINDPORT_LOCK: what bind() fixed explicitly (kept by disconnect). */
  private addrLocked = false;
  private portLocked = false;
  private peer: Peer | null = null;
  private queue: Queued[] = [];
  private head = 0;
  /** Bytes charged against SO_RCVBUF (sk_rmem_alloc). */
  rmem = 0;
  /** Datagrams dropped for want of buffer space (sk_drops). */
  drops = 0;
  private error = 0;
  private closed = false;
  private shutRd = false;
  private shutWr = false;
  /** SO_BINDTODEVICE, or the scope of a bound link-local address. */
  private boundDev = 0;

  reuseAddr = false;
  reusePort = false;
  private broadcast = false;
  rcvbuf = UDP_DEFAULT_RCVBUF;
  sndbuf = UDP_DEFAULT_SNDBUF;
  private ttl = -1;
  private tos = 0;
  private mcastTtl = 1;
  private mcastLoop = true;
  private mcastIf = 0;
  private mcastIfAddr = '';
  private mcastAll = true;
  v6only = false;
  private hops = -1;
  private mcastHops = 1;
  private mcast6Loop = true;
  private mcast6If = 0;
  private memberships: Membership[] = [];
  /** One-entry caches of address bytes for the checksum. */
  private lastDst = '';
  private lastDstBytes: Uint8Array = new Uint8Array(0);
  private lastSrc = '';
  private lastSrcBytes: Uint8Array = new Uint8Array(0);

  constructor(private readonly udp: Udp, readonly domain: typeof AF_INET | typeof AF_INET6) {
    this.family = domain === AF_INET ? 4 : 6;
  }

  private get wildcard(): string { return this.family === 4 ? '0.0.0.0' : '::'; }

  isConnected(): boolean { return this.peer !== null; }

  /** Bound local address and port ('' and 0 while unbound), for ss(). */
  get localAddress(): string { return this.entry?.address ?? this.wildcard; }
  get localPort(): number { return this.entry?.port ?? 0; }
  get peerAddress(): string { return this.peer?.address ?? ''; }
  get peerPort(): number { return this.peer?.port ?? 0; }
  /** Queued bytes (ss Recv-Q). */
  get recvQueue(): number {
    let n = 0;
    for (let i = this.head; i < this.queue.length; i++) n += this.queue[i]!.data.length;
    return n;
  }

  // ---- binding ------------------------------------------------------------------------------

  bind(addr: SockAddr): number {
    if (this.closed) return -EBADF;
    if (addr.family === 'unix') return -EAFNOSUPPORT;
    if (this.entry !== null) return -EINVAL;
    if (this.family === 4 && addr.family === 6) return -EAFNOSUPPORT;
    if (this.family === 6 && addr.family === 4) return -EINVAL; // a sockaddr_in is too short for inet6_bind
    const address = canonicalIP(addr.address === '' ? this.wildcard : addr.address);
    if (address === null || isV4(address) !== (addr.family === 4)) return -EINVAL;
    if (!Number.isInteger(addr.port) || addr.port < 0 || addr.port > 0xffff) return -EINVAL;
    let dev = 0;
    if (this.family === 6 && isLinkLocal6(address)) {
      // Linux inet6_bind: a link-local address needs its interface.
      dev = addr.scopeid ?? 0;
      if (dev === 0 && this.boundDev === 0) return -EINVAL;
    }
    const ip = this.udp.ip;
    const r = checkBindAddress(this.family, address, this.v6only, (f, a) => ip.isLocal(f, a) || (f === 4 && this.isBroadcast(a)));
    if (r < 0) return r;
    const e = this.udp.ports.bind(this, {
      family: this.family, address, port: addr.port, v6only: this.v6only, reuseAddr: this.reuseAddr, reusePort: this.reusePort,
    });
    if (typeof e === 'number') return e;
    this.entry = e;
    if (dev !== 0) this.boundDev = dev;
    this.addrLocked = address !== this.wildcard;
    this.portLocked = addr.port !== 0;
    return 0;
  }

  /** inet_autobind: an ephemeral port on the wildcard address; -EAGAIN when none is free. */
  private autobind(): number {
    if (this.entry !== null) return 0;
    const e = this.udp.ports.bind(this, {
      family: this.family, address: this.wildcard, port: 0, v6only: this.v6only, reuseAddr: this.reuseAddr, reusePort: this.reusePort,
    });
    if (typeof e === 'number') return -EAGAIN;
    this.entry = e;
    return 0;
  }

  private isBroadcast(a: string): boolean {
    if (a === '255.255.255.255') return true;
    const r = this.udp.ip.route(4, a);
    return typeof r !== 'number' && r.type === 'broadcast';
  }

  // ---- connect ------------------------------------------------------------------------------

  /** The wire family and address for a destination given to connect/sendto, or -errno. */
  private destination(addr: InetAddr): { family: 4 | 6; wire: string; address: string } | number {
    const raw = addr.address;
    if (this.family === 4) {
      if (addr.family !== 4) return -EAFNOSUPPORT;
      const a = canonicalIP(raw);
      if (a === null || !isV4(a)) return -EINVAL;
      return { family: 4, wire: a === '0.0.0.0' ? '127.0.0.1' : a, address: a };
    }
    if (addr.family === 4) {
      // Linux udpv6_sendmsg / ip6_datagram_connect: a sockaddr_in on an AF_INET6 socket is IPv4.
      if (this.v6only) return -EAFNOSUPPORT;
      const a = canonicalIP(raw);
      if (a === null || !isV4(a)) return -EINVAL;
      return { family: 4, wire: a === '0.0.0.0' ? '127.0.0.1' : a, address: '::ffff:' + a };
    }
    const a = canonicalIP(raw);
    if (a === null || isV4(a)) return -EINVAL;
    const v4 = unmapped(a);
    if (v4 !== null) {
      if (this.v6only) return -ENETUNREACH;
      return { family: 4, wire: v4 === '0.0.0.0' ? '127.0.0.1' : v4, address: a };
    }
    // Linux: connecting or sending to :: means the loopback address.
    return { family: 6, wire: a === '::' ? '::1' : a, address: a };
  }

  connect(addr: SockAddr): number {
    if (this.closed) return -EBADF;
    if (addr.family === 'unix') return -EAFNOSUPPORT;
    if (addr.address === '') { this.disconnect(); return 0; } // AF_UNSPEC
    const d = this.destination(addr);
    if (typeof d === 'number') return d;
    const scope = addr.scopeid ?? 0;
    const r = this.routeFor(d.family, d.wire, scope);
    if (typeof r === 'number') return r;
    if (r.type === 'broadcast' && !this.broadcast) return -EACCES;
    const b = this.autobind();
    if (b < 0) return b;
    if (this.family === 6 && d.family === 4 && this.entry!.v4 === null) return -ENETUNREACH;
    if (d.family === 6 && this.entry!.v6 === null) return -ENETUNREACH;
    // Linux ip4_datagram_connect: a wildcard-bound socket takes the route's source address.
    const local = this.entry!.address;
    if (local === this.wildcard || local === '::ffff:0.0.0.0') {
      const src = d.family === 4 && this.family === 6 ? '::ffff:' + r.src : r.src;
      this.udp.ports.rehash(this.entry!, src);
    }
    this.peer = { wireFamily: d.family, wire: d.wire, port: addr.port, address: d.address, scopeid: scope };
    return 0;
  }

  /** Linux __udp_disconnect: forget the peer; undo the address (and port) that bind() did not fix. */
  disconnect(): void {
    this.peer = null;
    if (this.entry === null) return;
    if (!this.addrLocked) this.udp.ports.rehash(this.entry, this.wildcard);
    if (!this.portLocked) { this.udp.ports.unbind(this.entry); this.entry = null; }
  }

  private routeFor(family: 4 | 6, dst: string, scope: number): RouteResult | number {
    const opts: { src?: string; ifindex?: number } = {};
    const local = this.entry?.address;
    if (local !== undefined) {
      const src = family === 4 ? (this.family === 4 ? local : unmapped(local)) : local;
      if (src !== null && src !== '0.0.0.0' && src !== '::' && !(family === 4 ? isMulticast4(src) || this.isBroadcast(src) : isMulticast6(src))) opts.src = src;
    }
    const multicast = family === 4 ? isMulticast4(dst) : isMulticast6(dst);
    let ifindex = scope || this.boundDev;
    if (multicast && ifindex === 0) ifindex = family === 4 ? this.mcastIf : this.mcast6If;
    if (family === 6 && ifindex === 0 && isLinkLocal6(dst)) return -EINVAL; // link-local needs an interface
    if (ifindex !== 0) opts.ifindex = ifindex;
    if (multicast && family === 4 && opts.src === undefined && this.mcastIfAddr !== '') opts.src = this.mcastIfAddr;
    return this.udp.ip.route(family, dst, opts);
  }

  // ---- sending ------------------------------------------------------------------------------

  write(data: Uint8Array): number { return this.sendto(data); }

  sendto(data: Uint8Array | readonly Uint8Array[], addr?: SockAddr): number {
    if (this.closed) return -EBADF;
    if (this.shutWr) return -EPIPE;
    let len = 0;
    if (data instanceof Uint8Array) len = data.length;
    else for (let i = 0; i < data.length; i++) len += data[i]!.length;
    let family: 4 | 6, wire: string, port: number, scope: number;
    if (addr !== undefined) {
      if (addr.family === 'unix') return -EAFNOSUPPORT;
      const d = this.destination(addr);
      if (typeof d === 'number') return d;
      family = d.family; wire = d.wire; port = addr.port; scope = addr.scopeid ?? 0;
      if (port === 0) return -EINVAL;
    } else {
      if (this.peer === null) return -EDESTADDRREQ;
      family = this.peer.wireFamily; wire = this.peer.wire; port = this.peer.port; scope = this.peer.scopeid;
    }
    if (len > (family === 4 ? UDP_MAX_PAYLOAD4 : UDP_MAX_PAYLOAD6)) return -EMSGSIZE;
    // Linux sock_alloc_send_skb: a pending error (an ICMP report) fails this send and is cleared.
    if (this.error !== 0) { const e = this.error; this.error = 0; return -e; }
    const b = this.autobind();
    if (b < 0) return b;
    if (family === 4 && this.entry!.v4 === null) return -ENETUNREACH;
    if (family === 6 && this.entry!.v6 === null) return -ENETUNREACH;
    const r = this.routeFor(family, wire, scope);
    if (typeof r === 'number') return r;
    // Linux ip_route_output: broadcast needs SO_BROADCAST.
    if (r.type === 'broadcast' && !this.broadcast) return -EACCES;
    const multicast = r.type === 'multicast';

    const buf = new Uint8Array(HEADROOM + UDP_HEADER_LEN + len);
    let off = HEADROOM + UDP_HEADER_LEN;
    if (data instanceof Uint8Array) buf.set(data, off);
    else for (let i = 0; i < data.length; i++) { buf.set(data[i]!, off); off += data[i]!.length; }
    const src = r.src;
    // RFC 768 / RFC 8085 §3.4: the checksum is always computed, over IPv4 too where it may be omitted.
    emitUdpHeader(buf, HEADROOM, this.entry!.port, port, len, this.bytesOfSrc(src), this.bytesOfDst(wire));
    const opts: IpOutputOptions = {};
    if (multicast) {
      opts.ttl = family === 4 ? this.mcastTtl : this.mcastHops;
      opts.multicastLoop = family === 4 ? this.mcastLoop : this.mcast6Loop;
      opts.ifindex = r.ifindex;
    } else {
      const t = family === 4 ? this.ttl : this.hops;
      opts.ttl = t < 0 ? DEFAULT_TTL : t;
      if (scope !== 0 || this.boundDev !== 0) opts.ifindex = r.ifindex;
    }
    if (this.tos !== 0 && family === 4) opts.tos = this.tos;
    const st = this.udp.statsFor(family);
    const rc = this.udp.ip.output(family, src, wire, IPPROTO_UDP, buf, HEADROOM, opts);
    if (rc < 0) {
      if (rc === -ENOBUFS) st.SndbufErrors++;
      return rc;
    }
    // Linux udp_send_skb: a qdisc drop is -ENOBUFS, counted and not reported without IP_RECVERR.
    if (rc > 0) { st.SndbufErrors++; return len; }
    st.OutDatagrams++;
    return len;
  }

  private bytesOfDst(a: string): Uint8Array {
    if (a !== this.lastDst) { this.lastDstBytes = (isV4(a) ? parseIPv4(a) : parseIPv6(a))!; this.lastDst = a; }
    return this.lastDstBytes;
  }
  private bytesOfSrc(a: string): Uint8Array {
    if (a !== this.lastSrc) { this.lastSrcBytes = (isV4(a) ? parseIPv4(a) : parseIPv6(a))!; this.lastSrc = a; }
    return this.lastSrcBytes;
  }

  // ---- receiving ----------------------------------------------------------------------------

  /** How well this socket matches a unicast datagram from (src, sport); -1 = not at all (Linux compute_score). */
  matchScore(family: 4 | 6, src: string, sport: number, ifindex: number): number {
    let score = family === 4 && this.family === 4 ? 2 : 1;
    const p = this.peer;
    if (p !== null) {
      if (p.wireFamily !== family || p.wire !== src || p.port !== sport) return -1;
      score += 8;
    }
    if (this.boundDev !== 0) {
      if (ifindex !== 0 && ifindex !== this.boundDev) return -1;
      score += 4;
    }
    return score;
  }

  /** Whether a broadcast or multicast datagram is for this socket (Linux __udp_is_mcast_sock, ip_mc_sf_allow). */
  acceptsMulticast(family: 4 | 6, dst: string, src: string, sport: number, ifindex: number): boolean {
    if (this.closed) return false;
    const p = this.peer;
    if (p !== null && (p.wireFamily !== family || p.wire !== src || p.port !== sport)) return false;
    if (this.boundDev !== 0 && this.boundDev !== ifindex) return false;
    if (family === 4 && !isMulticast4(dst)) return true; // broadcast
    let m: Membership | undefined;
    for (const x of this.memberships) if (x.family === family && x.group === dst && x.ifindex === ifindex) { m = x; break; }
    // IP_MULTICAST_ALL (on by default): a socket hears every group the host joined.
    if (m === undefined) return this.mcastAll;
    const listed = m.sources.includes(src);
    return m.mode === 'include' ? listed : !listed;
  }

  /** Queues a received datagram, or drops it when the receive buffer is full (Linux __udp_enqueue_schedule_skb). */
  enqueue(payload: Uint8Array, family: 4 | 6, src: string, sport: number, ifindex: number, st: UdpCounters): void {
    if (this.closed) return;
    if (this.rmem > this.rcvbuf) {
      st.RcvbufErrors++; st.InErrors++; this.drops++;
      return;
    }
    const size = truesize(payload.length, family);
    const from: InetAddr = this.family === 6 && family === 4
      ? { family: 6, address: '::ffff:' + src, port: sport }
      : { family, address: src, port: sport };
    // A link-local sender is only meaningful with its interface (sin6_scope_id).
    if (family === 6 && isLinkLocal6(src)) { from.flowinfo = 0; from.scopeid = ifindex; }
    this.queue.push({ data: copyBytes(payload), from, size, family });
    this.rmem += size;
    this.onReady?.(this.readiness());
  }

  recvfrom(max: number, flags = 0): Datagram | number {
    if (this.closed) return -EBADF;
    // Linux __skb_recv_udp: a pending error comes first, and is cleared by reporting it.
    if (this.error !== 0) { const e = this.error; if ((flags & MSG_PEEK) === 0) this.error = 0; return -e; }
    if (this.head >= this.queue.length) {
      if (this.shutRd) return { data: new Uint8Array(0), from: { family: this.family, address: this.wildcard, port: 0 } };
      return -EAGAIN;
    }
    const d = this.queue[this.head]!;
    if ((flags & MSG_PEEK) !== 0) {
      // MSG_PEEK: the datagram stays queued for the next call.
      if (max >= 0 && d.data.length > max) return { data: d.data.subarray(0, max), from: d.from, truncated: true };
      return { data: d.data, from: d.from };
    }
    this.queue[this.head] = undefined as unknown as Queued;
    this.head++;
    if (this.head === this.queue.length) { this.queue = []; this.head = 0; }
    else if (this.head > 1024 && this.head * 2 > this.queue.length) { this.queue = this.queue.slice(this.head); this.head = 0; }
    this.rmem -= d.size;
    this.udp.statsFor(d.family).InDatagrams++;
    if (max >= 0 && d.data.length > max) return { data: d.data.subarray(0, max), from: d.from, truncated: true };
    return { data: d.data, from: d.from };
  }

  read(max: number, flags = 0): Uint8Array | number {
    const d = this.recvfrom(max, flags);
    return typeof d === 'number' ? d : d.data;
  }

  /** Linux udp_ioctl: SIOCINQ is the next datagram's payload size, SIOCOUTQ what waits to be sent (nothing: datagrams leave at once). */
  ioctl(request: IoctlRequest): number {
    if (this.closed) return -EBADF;
    if (request === 'SIOCINQ') return this.head < this.queue.length ? this.queue[this.head]!.data.length : 0;
    if (request === 'SIOCOUTQ') return 0;
    return -ENOTTY;
  }

  /** An ICMP error reported on this (connected) socket: SO_ERROR, then the next call fails. */
  setError(errno: number): void {
    this.error = errno;
    this.onReady?.(this.readiness());
  }

  readiness(): number {
    if (this.closed) return 0;
    let r = POLLOUT;
    if (this.head < this.queue.length || this.shutRd) r |= POLLIN;
    if (this.error !== 0) r |= POLLERR;
    return r;
  }

  // ---- the rest of KernelSocket ----------------------------------------------------------------

  listen(): number { return -EOPNOTSUPP; }
  accept(): number { return -EOPNOTSUPP; }

  shutdown(how: number): number {
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) return -EINVAL;
    if (this.peer === null) return -ENOTCONN;
    if (how !== SHUT_WR) this.shutRd = true;
    if (how !== SHUT_RD) this.shutWr = true;
    this.onReady?.(this.readiness());
    return 0;
  }

  close(): void {
    if (this.closed) return;
    for (const m of this.memberships) this.leaveAll(m);
    this.memberships = [];
    if (this.entry !== null) { this.udp.ports.unbind(this.entry); this.entry = null; }
    this.closed = true;
    this.queue = []; this.head = 0; this.rmem = 0;
    this.peer = null;
    this.udp._closed(this);
  }

  getsockname(): SockAddr | number {
    if (this.closed) return -EBADF;
    const a: InetAddr = { family: this.family, address: this.localAddress, port: this.localPort };
    if (this.family === 6) { a.flowinfo = 0; a.scopeid = isLinkLocal6(a.address) ? this.boundDev : 0; }
    return a;
  }

  getpeername(): SockAddr | number {
    if (this.closed) return -EBADF;
    const p = this.peer;
    if (p === null) return -ENOTCONN;
    const a: InetAddr = { family: this.family, address: p.address, port: p.port };
    if (this.family === 6) { a.flowinfo = 0; a.scopeid = p.scopeid; }
    return a;
  }

  // ---- options --------------------------------------------------------------------------------

  setsockopt(level: SockoptLevel, name: string, value: number | boolean | string | Uint8Array | object): number {
    if (this.closed) return -EBADF;
    const n = toInt(value);
    switch (level) {
      case 'SOL_SOCKET':
        switch (name) {
          case 'SO_REUSEADDR': if (Number.isNaN(n)) return -EINVAL; this.reuseAddr = n !== 0; if (this.entry) this.entry.reuseAddr = this.reuseAddr; return 0;
          case 'SO_REUSEPORT': if (Number.isNaN(n)) return -EINVAL; this.reusePort = n !== 0; if (this.entry) this.entry.reusePort = this.reusePort; return 0;
          case 'SO_BROADCAST': if (Number.isNaN(n)) return -EINVAL; this.broadcast = n !== 0; return 0;
          // Linux sock_setsockopt: capped at rmem_max/wmem_max, doubled for bookkeeping overhead, floored.
          case 'SO_RCVBUF': if (Number.isNaN(n)) return -EINVAL; this.rcvbuf = Math.max(Math.min(Math.max(n, 0), BUF_MAX) * 2, RCVBUF_MIN); return 0;
          case 'SO_SNDBUF': if (Number.isNaN(n)) return -EINVAL; this.sndbuf = Math.max(Math.min(Math.max(n, 0), BUF_MAX) * 2, SNDBUF_MIN); return 0;
          case 'SO_BINDTODEVICE': {
            const idx = typeof value === 'string' ? (value === '' ? 0 : this.udp.ip.ifindexOf(value)) : n;
            if (Number.isNaN(idx) || idx < 0) return -EINVAL;
            if (typeof value === 'string' && value !== '' && idx === 0) return -ENODEV; // ENODEV
            this.boundDev = idx;
            return 0;
          }
        }
        return -ENOPROTOOPT;
      case 'IPPROTO_IP':
        return this.setIp(name, value, n);
      case 'IPPROTO_IPV6':
        if (this.family !== 6) return -ENOPROTOOPT;
        return this.setIpv6(name, value, n);
      case 'IPPROTO_UDP':
        return -ENOPROTOOPT;
    }
    return -ENOPROTOOPT;
  }

  private setIp(name: string, value: unknown, n: number): number {
    switch (name) {
      case 'IP_TTL':
        if (Number.isNaN(n) || n === 0 || n < -1 || n > 255) return -EINVAL;
        this.ttl = n; return 0;
      case 'IP_TOS':
        if (Number.isNaN(n)) return -EINVAL;
        this.tos = n & 0xff; return 0;
      case 'IP_MULTICAST_TTL':
        if (Number.isNaN(n) || n < -1 || n > 255) return -EINVAL;
        this.mcastTtl = n === -1 ? 1 : n; return 0;
      case 'IP_MULTICAST_LOOP':
        if (Number.isNaN(n)) return -EINVAL;
        this.mcastLoop = n !== 0; return 0;
      case 'IP_MULTICAST_ALL':
        if (Number.isNaN(n)) return -EINVAL;
        this.mcastAll = n !== 0; return 0;
      case 'IP_MULTICAST_IF': {
        // An interface address ('0.0.0.0' = the routing table decides), an ifindex, or { interface, ifindex }.
        let addr = '';
        let idx = 0;
        if (typeof value === 'string') addr = value;
        else if (typeof value === 'number') idx = value;
        else if (value !== null && typeof value === 'object') {
          const o = value as { interface?: unknown; address?: unknown; ifindex?: unknown };
          if (typeof o.interface === 'string') addr = o.interface;
          else if (typeof o.address === 'string') addr = o.address;
          if (typeof o.ifindex === 'number') idx = o.ifindex;
        } else return -EINVAL;
        if (addr !== '') {
          const a = canonicalIP(addr);
          if (a === null || !isV4(a)) return -EINVAL;
          if (a === '0.0.0.0') { this.mcastIf = idx; this.mcastIfAddr = ''; return 0; }
          if (!this.udp.ip.isLocal(4, a)) return -EADDRNOTAVAIL;
          this.mcastIf = this.udp.ip.ifindexOf(a);
          this.mcastIfAddr = a;
          return 0;
        }
        this.mcastIf = idx; this.mcastIfAddr = '';
        return 0;
      }
      case 'IP_ADD_MEMBERSHIP': return this.join(4, value, false);
      case 'IP_DROP_MEMBERSHIP': return this.leave(4, value, false);
      case 'IP_ADD_SOURCE_MEMBERSHIP': return this.join(4, value, true);
      case 'IP_DROP_SOURCE_MEMBERSHIP': return this.leave(4, value, true);
      case 'MCAST_JOIN_SOURCE_GROUP': return this.join(this.groupFamily(value), value, true);
      case 'MCAST_LEAVE_SOURCE_GROUP': return this.leave(this.groupFamily(value), value, true);
    }
    return -ENOPROTOOPT;
  }

  private setIpv6(name: string, value: unknown, n: number): number {
    switch (name) {
      case 'IPV6_V6ONLY':
        if (Number.isNaN(n)) return -EINVAL;
        if (this.entry !== null) return -EINVAL; // Linux: only before bind
        this.v6only = n !== 0; return 0;
      case 'IPV6_UNICAST_HOPS':
        if (Number.isNaN(n) || n < -1 || n > 255) return -EINVAL;
        this.hops = n; return 0;
      case 'IPV6_MULTICAST_HOPS':
        if (Number.isNaN(n) || n < -1 || n > 255) return -EINVAL;
        this.mcastHops = n === -1 ? 1 : n; return 0;
      case 'IPV6_MULTICAST_LOOP':
        if (Number.isNaN(n) || n < 0 || n > 1) return -EINVAL;
        this.mcast6Loop = n !== 0; return 0;
      case 'IPV6_MULTICAST_IF': {
        const idx = typeof value === 'string' ? this.udp.ip.ifindexOf(value) : n;
        if (Number.isNaN(idx) || idx < 0) return -EINVAL;
        this.mcast6If = idx; return 0;
      }
      case 'IPV6_JOIN_GROUP': case 'IPV6_ADD_MEMBERSHIP': return this.join(6, value, false);
      case 'IPV6_LEAVE_GROUP': case 'IPV6_DROP_MEMBERSHIP': return this.leave(6, value, false);
      case 'MCAST_JOIN_SOURCE_GROUP': return this.join(this.groupFamily(value), value, true);
      case 'MCAST_LEAVE_SOURCE_GROUP': return this.leave(this.groupFamily(value), value, true);
    }
    return -ENOPROTOOPT;
  }

  private groupFamily(value: unknown): 4 | 6 {
    const g = (value as { multiaddr?: unknown } | null)?.multiaddr;
    return typeof g === 'string' && isV4(g) ? 4 : 6;
  }

  /** The interface for a membership: given by address, name or index; else the route to the group (Linux ip_mc_find_dev). */
  private memberIf(family: 4 | 6, group: string, iface: unknown): number {
    const ip = this.udp.ip;
    if (typeof iface === 'number' && iface !== 0) return iface;
    if (typeof iface === 'string' && iface !== '' && iface !== '0.0.0.0' && iface !== '::') {
      const a = canonicalIP(iface);
      if (a !== null && family === 4 && !ip.isLocal(4, a)) return -ENODEV; // ENODEV
      const idx = ip.ifindexOf(a ?? iface);
      return idx === 0 ? -ENODEV : idx;
    }
    const r = ip.route(family, group);
    return typeof r === 'number' ? -ENODEV : r.ifindex;
  }

  private parseGroup(family: 4 | 6, value: unknown, ssm: boolean):
    { group: string; ifindex: number; source: string } | number {
    if (value === null || typeof value !== 'object') return -EINVAL;
    const v = value as { multiaddr?: unknown; interface?: unknown; ifindex?: unknown; sourceaddr?: unknown };
    if (typeof v.multiaddr !== 'string') return -EINVAL;
    const group = canonicalIP(v.multiaddr);
    if (group === null || isV4(group) !== (family === 4)) return -EINVAL;
    if (!(family === 4 ? isMulticast4(group) : isMulticast6(group))) return -EINVAL;
    let source = '';
    if (ssm) {
      if (typeof v.sourceaddr !== 'string') return -EINVAL;
      const s = canonicalIP(v.sourceaddr);
      if (s === null || isV4(s) !== (family === 4)) return -EINVAL;
      source = s;
    }
    const ifindex = this.memberIf(family, group, v.interface ?? v.ifindex);
    if (ifindex < 0) return ifindex;
    return { group, ifindex, source };
  }

  // RFC 1112 §4 / RFC 3678: IP_ADD_MEMBERSHIP and the source-specific joins.
  private join(family: 4 | 6, value: unknown, ssm: boolean): number {
    const g = this.parseGroup(family, value, ssm);
    if (typeof g === 'number') return g;
    const m = this.memberships.find((x) => x.family === family && x.group === g.group && x.ifindex === g.ifindex);
    if (!ssm) {
      if (m !== undefined) return -EADDRINUSE;
      if (family === 4 && this.memberships.filter((x) => x.family === 4).length >= IGMP_MAX_MEMBERSHIPS) return -ENOBUFS;
      const r = this.udp.ip.joinGroup(family, g.group, g.ifindex);
      if (r < 0) return r;
      this.memberships.push({ family, group: g.group, ifindex: g.ifindex, mode: 'exclude', sources: [] });
      return 0;
    }
    if (m !== undefined) {
      if (m.mode !== 'include') return -EINVAL;
      if (m.sources.includes(g.source)) return 0;
      const r = this.udp.ip.joinGroup(family, g.group, g.ifindex, g.source);
      if (r < 0) return r;
      m.sources.push(g.source);
      return 0;
    }
    if (family === 4 && this.memberships.filter((x) => x.family === 4).length >= IGMP_MAX_MEMBERSHIPS) return -ENOBUFS;
    const r = this.udp.ip.joinGroup(family, g.group, g.ifindex, g.source);
    if (r < 0) return r;
    this.memberships.push({ family, group: g.group, ifindex: g.ifindex, mode: 'include', sources: [g.source] });
    return 0;
  }

  private leave(family: 4 | 6, value: unknown, ssm: boolean): number {
    const g = this.parseGroup(family, value, ssm);
    if (typeof g === 'number') return g === -ENODEV ? -EADDRNOTAVAIL : g;
    const i = this.memberships.findIndex((x) => x.family === family && x.group === g.group && x.ifindex === g.ifindex);
    if (i < 0) return -EADDRNOTAVAIL;
    const m = this.memberships[i]!;
    if (!ssm) {
      this.leaveAll(m);
      this.memberships.splice(i, 1);
      return 0;
    }
    if (m.mode !== 'include') return -EINVAL;
    const k = m.sources.indexOf(g.source);
    if (k < 0) return -EADDRNOTAVAIL;
    m.sources.splice(k, 1);
    this.udp.ip.leaveGroup(family, m.group, m.ifindex, g.source);
    if (m.sources.length === 0) this.memberships.splice(i, 1);
    return 0;
  }

  private leaveAll(m: Membership): void {
    if (m.mode === 'exclude') this.udp.ip.leaveGroup(m.family, m.group, m.ifindex);
    else for (const s of m.sources) this.udp.ip.leaveGroup(m.family, m.group, m.ifindex, s);
  }

  getsockopt(level: SockoptLevel, name: string): unknown {
    if (this.closed) return -EBADF;
    switch (level) {
      case 'SOL_SOCKET':
        switch (name) {
          case 'SO_TYPE': return SOCK_DGRAM;
          case 'SO_DOMAIN': return this.domain;
          case 'SO_PROTOCOL': return IPPROTO_UDP;
          case 'SO_ERROR': { const e = this.error; this.error = 0; return e; }
          case 'SO_REUSEADDR': return this.reuseAddr ? 1 : 0;
          case 'SO_REUSEPORT': return this.reusePort ? 1 : 0;
          case 'SO_BROADCAST': return this.broadcast ? 1 : 0;
          case 'SO_RCVBUF': return this.rcvbuf;
          case 'SO_SNDBUF': return this.sndbuf;
          case 'SO_BINDTODEVICE': return this.boundDev;
        }
        return -ENOPROTOOPT;
      case 'IPPROTO_IP':
        switch (name) {
          case 'IP_TTL': return this.ttl < 0 ? DEFAULT_TTL : this.ttl;
          case 'IP_TOS': return this.tos;
          case 'IP_MULTICAST_TTL': return this.mcastTtl;
          case 'IP_MULTICAST_LOOP': return this.mcastLoop ? 1 : 0;
          case 'IP_MULTICAST_ALL': return this.mcastAll ? 1 : 0;
          case 'IP_MULTICAST_IF': return this.mcastIfAddr === '' ? '0.0.0.0' : this.mcastIfAddr;
        }
        return -ENOPROTOOPT;
      case 'IPPROTO_IPV6':
        if (this.family !== 6) return -ENOPROTOOPT;
        switch (name) {
          case 'IPV6_V6ONLY': return this.v6only ? 1 : 0;
          case 'IPV6_UNICAST_HOPS': return this.hops < 0 ? DEFAULT_TTL : this.hops;
          case 'IPV6_MULTICAST_HOPS': return this.mcastHops;
          case 'IPV6_MULTICAST_LOOP': return this.mcast6Loop ? 1 : 0;
          case 'IPV6_MULTICAST_IF': return this.mcast6If;
        }
        return -ENOPROTOOPT;
    }
    return -ENOPROTOOPT;
  }
}

