// TCP stream handles: Node's TCPWrap over libuv's uv_tcp_t, on host.sys.
//
// As in libuv, the descriptor is made lazily by the first bind/connect/listen for the family
// asked for, SO_REUSEADDR is set on bind, bind6 sets IPV6_V6ONLY from the flags (and both
// SO_REUSEPORT with UV_TCP_REUSEPORT), and a bind
// that fails with EADDRINUSE is reported later, by listen() (or getsockname()), which is what
// net.js expects ("listen EADDRINUSE", checkBindError).
import { isIPv4, isIPv6 } from 'node:net';
import { EADDRINUSE, EAFNOSUPPORT, ECONNREFUSED, EINPROGRESS, EALREADY } from '../uapi/errno.js';
import { AF_INET, AF_INET6, SOCK_STREAM, type InetAddr, type SockAddr } from '../uapi/socket.js';
import { ConnectWrap, StreamHandle, UV_EBADF, UV_EINVAL, type HandleLoop, type SockNameOut } from './stream.js';

export const TCPConstants = {
  SOCKET: 0,
  SERVER: 1,
  UV_TCP_IPV6ONLY: 1,
  /** libuv 1.49: SO_REUSEPORT on bind (Node 22.12+ listen({ reusePort })). */
  UV_TCP_REUSEPORT: 2,
} as const;

export class TcpHandle extends StreamHandle {
  /** A bind error libuv keeps for listen() (EADDRINUSE). */
  private delayedError = 0;
  private noDelay = false;
  private keepAlive = false;
  private keepAliveDelay = 0;
  private keepAliveIntvl = 1;
  private keepAliveCnt = 10;

  constructor(loop: HandleLoop, readonly kind: number = TCPConstants.SOCKET) {
    super(loop, 'TCPWRAP');
  }

  protected adopt(fd: number): StreamHandle {
    return new TcpHandle(this.loop, TCPConstants.SOCKET).initConnected(fd);
  }

  bind(address: string, port: number, flags = 0): number {
    if (!isIPv4(address)) return UV_EINVAL;
    // libuv uv__tcp_bind: IPv6-only mode on an IPv4 socket is EINVAL.
    if ((flags & TCPConstants.UV_TCP_IPV6ONLY) !== 0) return UV_EINVAL;
    return this.bindTo(AF_INET, { family: 4, address, port: port | 0 }, flags);
  }

  bind6(address: string, port: number, flags = 0): number {
    const a = splitScope(address);
    if (a === null) return UV_EINVAL;
    return this.bindTo(AF_INET6, { family: 6, address: a.address, port: port | 0, scopeid: a.scopeid }, flags);
  }

  private bindTo(domain: typeof AF_INET | typeof AF_INET6, addr: InetAddr, flags: number): number {
    const e = this.ensureSocket(domain);
    if (e < 0) return e;
    const { sys } = this.loop;
    if (domain === AF_INET6) {
      sys.setsockopt(this.fd, 'IPPROTO_IPV6', 'IPV6_V6ONLY', (flags & TCPConstants.UV_TCP_IPV6ONLY) !== 0 ? 1 : 0);
    }
    sys.setsockopt(this.fd, 'SOL_SOCKET', 'SO_REUSEADDR', 1);
    if ((flags & TCPConstants.UV_TCP_REUSEPORT) !== 0) {
      const r = sys.setsockopt(this.fd, 'SOL_SOCKET', 'SO_REUSEPORT', 1);
      if (r < 0) return r;
    }
    const r = sys.bind(this.fd, addr);
    if (r === -EADDRINUSE) { this.delayedError = r; return 0; }
    if (r === -EAFNOSUPPORT) return UV_EINVAL;
    return r < 0 ? r : 0;
  }

  listen(backlog: number): number {
    if (this.isClosed) return UV_EINVAL;
    if (this.delayedError !== 0) return this.delayedError;
    const e = this.ensureSocket(AF_INET);
    if (e < 0) return e;
    const r = this.loop.sys.listen(this.fd, backlog);
    if (r < 0) return r;
    this.startListening();
    return 0;
  }

  connect(req: ConnectWrap, address: string, port: number): number {
    if (!isIPv4(address)) return UV_EINVAL;
    return this.connectTo(AF_INET, req, { family: 4, address, port: port | 0 });
  }

  connect6(req: ConnectWrap, address: string, port: number): number {
    const a = splitScope(address);
    if (a === null) return UV_EINVAL;
    return this.connectTo(AF_INET6, req, { family: 6, address: a.address, port: port | 0, scopeid: a.scopeid });
  }

  private connectTo(domain: typeof AF_INET | typeof AF_INET6, req: ConnectWrap, addr: InetAddr): number {
    if (this.isClosed) return UV_EINVAL;
    if (this.connectReq !== null) return -EALREADY;
    const e = this.ensureSocket(domain);
    if (e < 0) return e;
    this.delayedError = 0;
    const r = this.loop.sys.connect(this.fd, addr);
    if (r === 0) this.completeConnectSoon(req, 0);
    else if (r === -EINPROGRESS) this.awaitConnect(req);
    else if (r === -ECONNREFUSED) this.completeConnectSoon(req, r); // libuv reports it through the callback
    else return r;
    return 0;
  }

  getsockname(out: SockNameOut): number {
    if (this.delayedError !== 0) return this.delayedError;
    return this.fill(out, this.fd < 0 ? UV_EBADF : this.loop.sys.getsockname(this.fd));
  }

  getpeername(out: SockNameOut): number {
    if (this.delayedError !== 0) return this.delayedError;
    return this.fill(out, this.fd < 0 ? UV_EBADF : this.loop.sys.getpeername(this.fd));
  }

  private fill(out: SockNameOut, a: SockAddr | number): number {
    if (typeof a === 'number') return a;
    if (a.family === 'unix') return UV_EINVAL;
    out.address = a.address;
    out.family = a.family === 4 ? 'IPv4' : 'IPv6';
    out.port = a.port;
    return 0;
  }

  setNoDelay(enable: boolean): number {
    this.noDelay = enable;
    if (this.fd < 0) return 0;
    const r = this.loop.sys.setsockopt(this.fd, 'IPPROTO_TCP', 'TCP_NODELAY', enable ? 1 : 0);
    return r < 0 ? r : 0;
  }

  /**
   * libuv uv_tcp_keepalive_ex (what TCPWrap::SetKeepAlive calls): SO_KEEPALIVE, then, when
   * enabling, TCP_KEEPIDLE = delay, TCP_KEEPINTVL = interval and TCP_KEEPCNT = count seconds.
   * Node passes an interval and a count from 24.22 (each a uint32 or not given); libuv's own
   * values otherwise: 1 s and 10 probes (uv_tcp_keepalive). A delay, interval or count below 1
   * is UV_EINVAL once SO_KEEPALIVE is set, as libuv: the kernel's defaults stay.
   */
  setKeepAlive(enable: boolean, delaySecs = 0, intervalSecs?: unknown, count?: unknown): number {
    this.keepAlive = enable;
    this.keepAliveDelay = delaySecs;
    this.keepAliveIntvl = isUint32(intervalSecs) ? intervalSecs : 1;
    this.keepAliveCnt = isUint32(count) ? count : 10;
    if (this.fd < 0) return 0;
    return this.applyKeepAlive();
  }

  private applyKeepAlive(): number {
    const { sys } = this.loop;
    let r = sys.setsockopt(this.fd, 'SOL_SOCKET', 'SO_KEEPALIVE', this.keepAlive ? 1 : 0);
    if (r < 0) return r;
    if (!this.keepAlive) return 0;
    if (this.keepAliveDelay < 1 || this.keepAliveIntvl < 1 || this.keepAliveCnt < 1) return UV_EINVAL;
    r = sys.setsockopt(this.fd, 'IPPROTO_TCP', 'TCP_KEEPIDLE', this.keepAliveDelay);
    if (r < 0) return r;
    r = sys.setsockopt(this.fd, 'IPPROTO_TCP', 'TCP_KEEPINTVL', this.keepAliveIntvl);
    if (r < 0) return r;
    r = sys.setsockopt(this.fd, 'IPPROTO_TCP', 'TCP_KEEPCNT', this.keepAliveCnt);
    return r < 0 ? r : 0;
  }

  /** Node 24.22's TCPWrap::SetTypeOfService: IP_TOS on an IPv4 socket, IPV6_TCLASS on an IPv6 one; UV_EBADF before there is a socket. */
  setTypeOfService(tos: number): number {
    if (this.fd < 0) return UV_EBADF;
    const r = this.ipv6() ? this.loop.sys.setsockopt(this.fd, 'IPPROTO_IPV6', 'IPV6_TCLASS', tos)
      : this.loop.sys.setsockopt(this.fd, 'IPPROTO_IP', 'IP_TOS', tos);
    return r < 0 ? r : 0;
  }

  /** The socket's IP_TOS or IPV6_TCLASS, or a negative errno (UV_EBADF before there is a socket). */
  getTypeOfService(): number {
    if (this.fd < 0) return UV_EBADF;
    const v = this.ipv6() ? this.loop.sys.getsockopt(this.fd, 'IPPROTO_IPV6', 'IPV6_TCLASS')
      : this.loop.sys.getsockopt(this.fd, 'IPPROTO_IP', 'IP_TOS');
    return typeof v === 'number' ? v : UV_EINVAL;
  }

  private ipv6(): boolean {
    return this.loop.sys.getsockopt(this.fd, 'SOL_SOCKET', 'SO_DOMAIN') === AF_INET6;
  }

  /** Closes with an RST instead of a FIN (SO_LINGER with a zero timeout), like uv_tcp_close_reset. */
  reset(cb?: () => void): number {
    if (this.isClosed) return UV_EINVAL;
    if (this.fd >= 0) {
      const r = this.loop.sys.setsockopt(this.fd, 'SOL_SOCKET', 'SO_LINGER', { onoff: 1, linger: 0 });
      if (r < 0) return r;
    }
    this.close(cb);
    return 0;
  }

  private ensureSocket(domain: typeof AF_INET | typeof AF_INET6): number {
    if (this.fd >= 0) return 0;
    const fd = this.loop.sys.socket(domain, SOCK_STREAM);
    if (fd < 0) return fd;
    this.fd = fd;
    if (this.noDelay) this.loop.sys.setsockopt(fd, 'IPPROTO_TCP', 'TCP_NODELAY', 1);
    if (this.keepAlive) this.applyKeepAlive();
    return 0;
  }
}

function isUint32(v: unknown): v is number {
  return typeof v === 'number' && v >>> 0 === v;
}

/** 'fe80::1%3' → address and numeric scope id; null when not an IPv6 address. */
function splitScope(address: string): { address: string; scopeid?: number } | null {
  if (!isIPv6(address)) return null;
  const i = address.indexOf('%');
  if (i < 0) return { address };
  const zone = address.slice(i + 1);
  const n = Number(zone);
  return Number.isInteger(n) && n >= 0 ? { address: address.slice(0, i), scopeid: n } : { address: address.slice(0, i) };
}
