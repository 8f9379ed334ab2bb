// The socket-call surface (host.sys): POSIX/Linux shaped, non-blocking, file descriptors are
// numbers. Every call returns its result, or a negative errno (-EAGAIN, -ECONNREFUSED, ...)
// exactly where Linux would fail. Readiness comes through poll() or watch() (epoll's role).

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

/**
 * host.sys: every call returns its result or a negative errno. Non-blocking throughout:
 * connect() on a stream socket returns -EINPROGRESS and completes later (POLLOUT, then
 * getsockopt(fd, 'SOL_SOCKET', 'SO_ERROR') says how); read/accept/recvfrom return -EAGAIN
 * when nothing is there.
 */
export interface SocketCalls {
  socket(domain: Domain, type: SockType, protocol?: number): number;
  bind(fd: number, addr: SockAddr): number;
  listen(fd: number, backlog: number): number;
  accept(fd: number): Accepted | number;
  connect(fd: number, addr: SockAddr): number;
  /** Stream read: up to `max` bytes; an empty array means end of stream (the peer's FIN). */
  read(fd: number, max?: number): Uint8Array | number;
  /** Stream write: how many bytes were taken (all or part of them), or -EAGAIN when the send buffer is full. */
  write(fd: number, data: Uint8Array): number;
  /** Writes several buffers in order (writev). */
  writev(fd: number, chunks: readonly Uint8Array[]): number;
  send(fd: number, data: Uint8Array): number;
  sendto(fd: number, data: Uint8Array | readonly Uint8Array[], addr?: SockAddr): number;
  recvfrom(fd: number, max?: number): Datagram | number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  setsockopt(fd: number, level: SockoptLevel, name: string, value: number | boolean | string | Uint8Array | object): number;
  getsockopt(fd: number, level: SockoptLevel, name: string): unknown;
  getsockname(fd: number): SockAddr | number;
  getpeername(fd: number): SockAddr | number;
  /** Current readiness of each descriptor (never blocks). */
  poll(fds: PollFd[]): number;
  /** Calls `cb` when the socket becomes ready for one of `events` (and at once if it already is). Returns an unwatch function. */
  watch(fd: number, events: number, cb: ReadyCallback): () => void;
}
