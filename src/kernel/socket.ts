// The kernel-side socket object that the socket-call layer (src/sys) keeps in its descriptor
// table. UDP, TCP and unix-domain sockets each implement it; host.sys only dispatches, checks
// arguments and traces.
import type { Accepted, Datagram, Domain, SockAddr, SockoptLevel, SockType } from '../uapi/socket.js';

export interface KernelSocket {
  readonly domain: Domain;
  readonly type: SockType;
  bind(addr: SockAddr): number;
  connect(addr: SockAddr): number;
  /** Stream sockets only; datagram sockets return -EOPNOTSUPP. */
  listen(backlog: number): number;
  /** Returns the new kernel socket; sys gives it a descriptor. */
  accept(): { sock: KernelSocket; peer: SockAddr } | number;
  read(max: number): Uint8Array | number;
  write(data: Uint8Array): number;
  sendto(data: Uint8Array | readonly Uint8Array[], addr?: SockAddr): number;
  recvfrom(max: number): Datagram | number;
  shutdown(how: number): number;
  /** Releases the socket (graceful for TCP: FIN; linger 0: RST). */
  close(): void;
  setsockopt(level: SockoptLevel, name: string, value: number | boolean | string | Uint8Array | object): number;
  getsockopt(level: SockoptLevel, name: string): unknown;
  getsockname(): SockAddr | number;
  getpeername(): SockAddr | number;
  /** Current readiness as POLL* bits. */
  readiness(): number;
  /** Set by sys: the kernel calls it whenever readiness may have changed (data, space, connect done, error, hangup). */
  onReady: ((revents: number) => void) | null;
}

export type { Accepted };
