// The constants and address shapes that kernel, socket calls and handles share (Linux keeps
// them in include/uapi): address families, socket types, shutdown and poll bits, socket
// addresses. Everything imports this downwards; it imports nothing.

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export type Domain = typeof AF_UNIX | typeof AF_INET | typeof AF_INET6;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export type SockType = typeof SOCK_STREAM | typeof SOCK_DGRAM;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

// Readiness bits, as epoll's.
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLRDHUP = 0x2000;

/** An internet socket address. `address` is canonical text ('10.0.0.1', 'fd00::1', '::ffff:10.0.0.1'). */
export interface InetAddr {
  family: 4 | 6;
  address: string;
  port: number;
  flowinfo?: number;
  scopeid?: number;
}
/** A unix-domain socket address: a path in the host's namespace. */
export interface UnixAddr {
  family: 'unix';
  path: string;
}
export type SockAddr = InetAddr | UnixAddr;

export type SockoptLevel = 'SOL_SOCKET' | 'IPPROTO_IP' | 'IPPROTO_IPV6' | 'IPPROTO_TCP' | 'IPPROTO_UDP';

/** A received datagram (recvfrom). */
export interface Datagram {
  data: Uint8Array;
  from: SockAddr;
  /** The payload was larger than the buffer and was cut (MSG_TRUNC). */
  truncated?: boolean;
}

export interface PollFd {
  fd: number;
  events: number;
  revents?: number;
}

/** Called when a socket becomes ready for any of the watched events (edge: on each change). */
export type ReadyCallback = (revents: number) => void;

/** The result of accept(): the new descriptor and the peer's address. */
export interface Accepted {
  fd: number;
  peer: SockAddr;
}

// recv/send flags (Linux include/linux/socket.h).
export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_EOR = 0x80;
export const MSG_WAITALL = 0x100;
export const MSG_ERRQUEUE = 0x2000;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_MORE = 0x8000;
export const MSG_ZEROCOPY = 0x4000000;
export const MSG_FASTOPEN = 0x20000000;

/** struct sock_extended_err (linux/errqueue.h): what an error-queue message says. */
export interface SockExtendedErr {
  errno: number;
  origin: number;
  type: number;
  code: number;
  info: number;
  data: number;
}
/** ee_origin values. */
export const SO_EE_ORIGIN_LOCAL = 1;
export const SO_EE_ORIGIN_ICMP = 2;
export const SO_EE_ORIGIN_ICMP6 = 3;
export const SO_EE_ORIGIN_TIMESTAMPING = 4;
export const SO_EE_ORIGIN_ZEROCOPY = 5;
// IP_MTU_DISCOVER / IPV6_MTU_DISCOVER values (Linux include/uapi/linux/in.h).
export const IP_PMTUDISC_DONT = 0;
export const IP_PMTUDISC_WANT = 1;
export const IP_PMTUDISC_DO = 2;
export const IP_PMTUDISC_PROBE = 3;
export const IP_PMTUDISC_INTERFACE = 4;
export const IP_PMTUDISC_OMIT = 5;
// SO_TIMESTAMPING flags (Linux include/uapi/linux/net_tstamp.h) and the SCM_TSTAMP_* kinds (ee_info).
export const SOF_TIMESTAMPING_TX_HARDWARE = 0x1;
export const SOF_TIMESTAMPING_TX_SOFTWARE = 0x2;
export const SOF_TIMESTAMPING_RX_HARDWARE = 0x4;
export const SOF_TIMESTAMPING_RX_SOFTWARE = 0x8;
export const SOF_TIMESTAMPING_SOFTWARE = 0x10;
export const SOF_TIMESTAMPING_SYS_HARDWARE = 0x20;
export const SOF_TIMESTAMPING_RAW_HARDWARE = 0x40;
export const SOF_TIMESTAMPING_OPT_ID = 0x80;
export const SOF_TIMESTAMPING_TX_SCHED = 0x100;
export const SOF_TIMESTAMPING_TX_ACK = 0x200;
export const SOF_TIMESTAMPING_OPT_CMSG = 0x400;
export const SOF_TIMESTAMPING_OPT_TSONLY = 0x800;
export const SCM_TSTAMP_SND = 0;
export const SCM_TSTAMP_SCHED = 1;
export const SCM_TSTAMP_ACK = 2;
/** ee_code of a MSG_ZEROCOPY completion: the data was copied after all (always, in usernet). */
export const SO_EE_CODE_ZEROCOPY_COPIED = 1;

/** A control message (struct cmsghdr): level and type by Linux's names, and what it carries. */
export interface ControlMessage {
  level: SockoptLevel;
  type: string;
  data: unknown;
}

/** recvmsg()'s result: the data, the sender (datagrams), control messages, and msg_flags. */
export interface Msghdr {
  data: Uint8Array;
  from?: SockAddr;
  control: ControlMessage[];
  flags: number;
}

/**
 * The socket ioctls host.sys.ioctl() answers, by name (Linux's numbers are accepted too:
 * SIOCINQ = FIONREAD = 0x541b, SIOCOUTQ = TIOCOUTQ = 0x5411, SIOCOUTQNSD = 0x894b).
 * SIOCINQ: bytes ready to read (a datagram socket: the next datagram's size); SIOCOUTQ: bytes
 * sent and not yet acknowledged plus bytes not sent; SIOCOUTQNSD: bytes not sent yet.
 */
export type IoctlRequest = 'SIOCINQ' | 'SIOCOUTQ' | 'SIOCOUTQNSD';

// epoll (Linux include/uapi/linux/eventpoll.h): the event bits are the poll bits above, plus these.
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLEXCLUSIVE = 1 << 28;
export const EPOLLWAKEUP = 1 << 29;
export const EPOLLONESHOT = 1 << 30;
export const EPOLLET = 0x80000000;

/** What epoll_ctl() registers for a descriptor: the events wanted and the data epoll_wait() hands back. */
export interface EpollEvent {
  events: number;
  /** Returned with the events (epoll_data_t); the descriptor when not given. */
  data?: unknown;
}

/** One ready descriptor from epoll_wait(). */
export interface EpollReady {
  events: number;
  data: unknown;
}
