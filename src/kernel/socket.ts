// The kernel-side socket object that the socket-call layer (src/sys) keeps in its descriptor
// table. UDP, TCP and unix-domain sockets each implement it; host.sys only dispatches, checks
// arguments and traces.
import type { Accepted, Datagram, Domain, Msghdr, IoctlRequest, SockAddr, SockoptLevel, SockType } from '../uapi/socket.js';

export interface KernelSocket {
  readonly domain: Domain;
  readonly type: SockType;
  bind(addr: SockAddr): number;
  connect(addr: SockAddr): number;
  /** Stream sockets only; datagram sockets return -EOPNOTSUPP. */
  listen(backlog: number): number;
  /** Returns the new kernel socket; sys gives it a descriptor. */
  accept(): { sock: KernelSocket; peer: SockAddr } | number;
  /** `flags`: MSG_PEEK returns the data and leaves it queued (other recv flags are the caller's). */
  read(max: number, flags?: number): Uint8Array | number;
  write(data: Uint8Array): number;
  /** `flags`: Linux's MSG_* bits (MSG_FASTOPEN on a TCP socket: connect and send in the SYN). */
  sendto(data: Uint8Array | readonly Uint8Array[], addr?: SockAddr, flags?: number): number;
  recvfrom(max: number, flags?: number): Datagram | number;
  /**
   * A send whose buffer cannot be read (a NULL pointer with a length): Linux's result, -EFAULT
   * where the kernel would copy the data. Optional: sys answers -EFAULT for the others.
   */
  sendFault?(addr?: SockAddr, flags?: number): number;
  /** recvmsg(); MSG_ERRQUEUE reads the error queue (-EAGAIN when empty). Optional: sys falls back to recvfrom. */
  recvmsg?(max: number, flags: number): Msghdr | number;
  shutdown(how: number): number;
  /** Releases the socket (graceful for TCP: FIN; linger 0: RST). */
  close(): void;
  setsockopt(level: SockoptLevel, name: string, value: number | boolean | string | Uint8Array | object): number;
  getsockopt(level: SockoptLevel, name: string): unknown;
  getsockname(): SockAddr | number;
  getpeername(): SockAddr | number;
  /** SIOCINQ / SIOCOUTQ / SIOCOUTQNSD: the byte count, or -errno (-ENOTTY: not for this kind of socket). */
  ioctl(request: IoctlRequest): number;
  /** A caller starts (true) or stops (false) waiting to write (Linux sk_write_pending); optional. */
  waitWrite?(on: boolean): void;
  /** Current readiness as POLL* bits. */
  readiness(): number;
  /** Set by sys: the kernel calls it whenever readiness may have changed (data, space, connect done, error, hangup). */
  onReady: ((revents: number) => void) | null;
}

export type { Accepted };

/**
 * Bytes [off, off + n) of a list of buffers, starting in the first one (MSG_PEEK: nothing is
 * consumed). A view when they lie in one buffer, else one copy.
 */
export function peekViews(views: readonly Uint8Array[], first: number, off: number, n: number): Uint8Array {
  const v = views[first]!;
  if (v.length - off >= n) return v.subarray(off, off + n);
  const out = new Uint8Array(n);
  let at = 0;
  for (let i = first; at < n && i < views.length; i++) {
    const w = views[i]!;
    const from = i === first ? off : 0;
    const k = Math.min(w.length - from, n - at);
    out.set(w.subarray(from, from + k), at);
    at += k;
  }
  return out;
}
