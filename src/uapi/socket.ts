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
