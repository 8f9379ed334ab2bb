// The socket-call surface (host.sys): POSIX/Linux shaped, non-blocking, file descriptors are
// numbers. Every call returns its result, or a negative errno (-EAGAIN, -ECONNREFUSED, ...)
// exactly where Linux would fail. Readiness comes through poll() or watch() (epoll's role).
import type { Accepted, Datagram, Domain, Msghdr, EpollEvent, EpollReady, IoctlRequest, PollFd, ReadyCallback, SockAddr, SockType, SockoptLevel } from '../uapi/socket.js';

/**
 * watch() options. `writer`: the caller waits to write more, as a thread blocked in write() or
 * sendmsg() on a blocking socket does (Linux sk_write_pending): a TCP socket finishing its
 * handshake then lets the ACK ride on that data instead of sending it alone.
 */
export interface WatchOptions {
  writer?: boolean;
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
  read(fd: number, max?: number, buffer?: null): Uint8Array | number;
  /**
   * Stream write: how many bytes were taken (all or part of them), or -EAGAIN when the send buffer is full.
   * `null` (here and in send, sendto; `buffer` null in read, recv, recvfrom): a NULL pointer with a
   * length, Linux's -EFAULT where the kernel would copy (a read leaves a stream's data queued).
   */
  write(fd: number, data: Uint8Array | null): number;
  /** Writes several buffers in order (writev). */
  writev(fd: number, chunks: readonly Uint8Array[]): number;
  /** read() with recv flags: MSG_PEEK leaves the data queued; MSG_DONTWAIT is what every call does. */
  recv(fd: number, max?: number, flags?: number, buffer?: null): Uint8Array | number;
  /** `flags`: MSG_* bits (uapi/socket.ts), e.g. MSG_FASTOPEN. */
  send(fd: number, data: Uint8Array | null, flags?: number): number;
  /** `flags`: MSG_* bits; with MSG_FASTOPEN a TCP socket connects to `addr` and its SYN carries the data (RFC 7413). */
  sendto(fd: number, data: Uint8Array | readonly Uint8Array[] | null, addr?: SockAddr, flags?: number): number;
  recvfrom(fd: number, max?: number, flags?: number, buffer?: null): Datagram | number;
  /** recvmsg(): data, sender, control messages; MSG_ERRQUEUE reads the error queue (MSG_ZEROCOPY completions). */
  recvmsg(fd: number, max?: number, flags?: number): Msghdr | number;
  /** SIOCINQ / SIOCOUTQ / SIOCOUTQNSD (names, aliases or Linux's numbers): a byte count or -errno. */
  ioctl(fd: number, request: IoctlRequest | 'FIONREAD' | 'TIOCOUTQ' | number): number;
  /** epoll_create1(0), epoll_ctl(), and a never-blocking epoll_wait(). */
  epollCreate(): number;
  epollCtl(epfd: number, op: number, fd: number, event?: EpollEvent): number;
  epollWait(epfd: number, maxevents: number): EpollReady[] | number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  setsockopt(fd: number, level: SockoptLevel, name: string, value: number | boolean | string | Uint8Array | object): number;
  getsockopt(fd: number, level: SockoptLevel, name: string): unknown;
  getsockname(fd: number): SockAddr | number;
  getpeername(fd: number): SockAddr | number;
  /** Current readiness of each descriptor (never blocks). */
  poll(fds: PollFd[]): number;
  /** Calls `cb` when the socket becomes ready for one of `events` (and at once if it already is). Returns an unwatch function. */
  watch(fd: number, events: number, cb: ReadyCallback, opts?: WatchOptions): () => void;
}
