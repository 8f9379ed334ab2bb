// Unix-domain stream sockets (AF_UNIX, SOCK_STREAM) in a per-host path namespace.
//
// Modelled on Linux net/unix/af_unix.c: connect() is immediate (the new connection waits in the
// listener's accept queue, bounded by the backlog), bytes a socket sends count against its own
// SO_SNDBUF until the peer reads them, shutdown and close travel to the peer as EOF, hangup and
// EPIPE. Bytes written reach the peer through a Scheduler event, never inside the writer's call,
// and readiness changes reach sys through onReady from a Scheduler event too.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Scheduler } from '../links/clock.js';
import {
  EADDRINUSE, EAGAIN, ECONNREFUSED, ECONNRESET, EINVAL, EISCONN, ENOENT, ENOPROTOOPT, ENOTCONN,
  EOPNOTSUPP, EPIPE, EPROTOTYPE, ENAMETOOLONG, EAFNOSUPPORT, EPROTONOSUPPORT, ENOTTY,
} from '../uapi/errno.js';
import {
  AF_UNIX, MSG_PEEK, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, SHUT_RD, SHUT_RDWR, SHUT_WR, SOCK_STREAM,
  type Datagram, type IoctlRequest, type SockAddr, type SockoptLevel, type UnixAddr,
} from '../uapi/socket.js';
import { peekViews, type KernelSocket } from './socket.js';

/** net.core.wmem_default on Linux: the default SO_SNDBUF of a new socket. */
export const UNIX_DEFAULT_SNDBUF = 212992;
/** net.core.rmem_default on Linux (reported by SO_RCVBUF; stream flow control uses the sender's buffer). */
export const UNIX_DEFAULT_RCVBUF = 212992;
/** net.core.wmem_max / rmem_max: the largest value setsockopt may ask for (it is then doubled). */
const BUF_MAX = 212992;
/** SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF on 64-bit Linux. */
const SNDBUF_MIN = 4608;
const RCVBUF_MIN = 2304;
/** net.core.somaxconn: listen() backlogs are capped here. */
const SOMAXCONN = 4096;
/** sizeof(sun_path) in struct sockaddr_un: 107 characters and the NUL. */
const SUN_PATH_MAX = 108;

/**
 * One host's unix-domain namespace: bound paths (and abstract names, starting with '\0') to
 * the sockets bound there. A path is released when its socket closes, as if unlinked, which
 * is what libuv does for the pipe servers Node creates.
 */
export interface UnixNamespaceOptions {
  /**
   * bind() of a filesystem path needs its directory to exist, as on Linux (ENOENT otherwise),
   * and connect() to an existing file that is no socket of this host is refused (ECONNREFUSED).
   * Virtual hosts share the machine's filesystem (node:fs is not virtualized), so this looks
   * at the real filesystem. Default true.
   */
  checkDirectories?: boolean;
}

export class UnixNamespace {
  readonly paths = new Map<string, UnixSocket>();
  private autobindSeq = 0;
  readonly checkDirectories: boolean;
  constructor(readonly sched: Scheduler, opts: UnixNamespaceOptions = {}) {
    this.checkDirectories = opts.checkDirectories ?? true;
  }

  /** A new unbound unix socket in this namespace (SOCK_STREAM only). */
  socket(type: number = SOCK_STREAM): UnixSocket | number {
    if (type !== SOCK_STREAM) return -EPROTOTYPE;
    return new UnixSocket(this);
  }

  /** Removes a path from the namespace (unlink(2)); -ENOENT when absent. */
  unlink(path: string): number {
    const s = this.paths.get(path);
    if (!s) return -ENOENT;
    this.paths.delete(path);
    return 0;
  }

  /** @internal An abstract name for autobind (Linux: "\0" and five hex digits). */
  _autobindName(): string {
    for (;;) {
      const name = '\0' + (this.autobindSeq++ & 0xfffff).toString(16).padStart(5, '0');
      if (!this.paths.has(name)) return name;
    }
  }
}

/** One direction of a connected pair: bytes in flight, then bytes waiting for the reader. */
class Direction {
  /** Written, not yet delivered (the Scheduler event has not run). */
  inflight: Uint8Array[] = [];
  inflightBytes = 0;
  /** Delivered and unread. */
  queue: Uint8Array[] = [];
  queueBytes = 0;
  /** The writer shut down its sending side; EOF follows the in-flight bytes. */
  finSent = false;
  /** The EOF has been delivered: the reader sees it once the queue is empty. */
  finDelivered = false;
  deliveryScheduled = false;

  /** Bytes that still count against the writer's send buffer. */
  get used(): number { return this.inflightBytes + this.queueBytes; }

  discard(): void {
    this.inflight = []; this.inflightBytes = 0;
    this.queue = []; this.queueBytes = 0;
  }
}

type State = 'unconnected' | 'listening' | 'connected' | 'closed';

export class UnixSocket implements KernelSocket {
  readonly domain = AF_UNIX;
  readonly type = SOCK_STREAM;
  onReady: ((revents: number) => void) | null = null;

  private state: State = 'unconnected';
  /** The bound name ('' when unbound). */
  private name = '';
  private peer: UnixSocket | null = null;
  /** The name the peer was bound to when the connection was made (getpeername). */
  private peerName = '';
  /** Bytes flowing from the peer to this socket. */
  private rx: Direction | null = null;
  /** Bytes flowing from this socket to the peer. */
  private tx: Direction | null = null;
  private shutRd = false;
  private shutWr = false;
  /** The peer closed, or shut down its reading side: writes fail with EPIPE. */
  private peerGone = false;
  private peerShutRd = false;
  /** Pending socket error (SO_ERROR), like sk_err. */
  private error = 0;
  private sndbuf = UNIX_DEFAULT_SNDBUF;
  private rcvbuf = UNIX_DEFAULT_RCVBUF;
  private backlog = 0;
  /** Connections waiting for accept() (embryos, in Linux's words). */
  private acceptQueue: UnixSocket[] = [];
  /** The listener an embryo waits on, until accepted. */
  private listener: UnixSocket | null = null;
  private notifyScheduled = false;

  constructor(private readonly ns: UnixNamespace) {}

  bind(addr: SockAddr): number {
    if (addr.family !== 'unix') return -EINVAL;
    if (this.state === 'closed') return -EINVAL;
    if (this.name !== '') return -EINVAL;
    let path = addr.path;
    if (Buffer.byteLength(path) >= SUN_PATH_MAX && !(path.startsWith('\0') && Buffer.byteLength(path) <= SUN_PATH_MAX)) {
      return -ENAMETOOLONG;
    }
    if (path === '') path = this.ns._autobindName(); // Linux autobind: an abstract name
    if (this.ns.paths.has(path)) return -EADDRINUSE;
    if (!path.startsWith('\0') && this.ns.checkDirectories && !existsSync(dirname(resolve(path)))) return -ENOENT;
    this.ns.paths.set(path, this);
    this.name = path;
    return 0;
  }

  listen(backlog: number): number {
    if (this.state === 'connected' || this.state === 'closed') return -EINVAL;
    if (this.name === '') return -EINVAL; // Linux: listen on an unbound unix socket is EINVAL
    this.backlog = Math.max(0, Math.min(backlog | 0, SOMAXCONN));
    this.state = 'listening';
    return 0;
  }

  connect(addr: SockAddr): number {
    if (addr.family !== 'unix') return -EAFNOSUPPORT;
    if (this.state === 'connected') return -EISCONN;
    if (this.state === 'listening' || this.state === 'closed') return -EINVAL;
    const target = this.ns.paths.get(addr.path);
    if (!target) {
      // A file of the machine's filesystem that is no socket of this host: nobody listens there.
      if (this.ns.checkDirectories && !addr.path.startsWith('\0') && addr.path !== '' && existsSync(resolve(addr.path))) return -ECONNREFUSED;
      return -ENOENT;
    }
    if (target.state !== 'listening') return -ECONNREFUSED;
    // Linux unix_recvq_full(): the queue may hold backlog + 1 connections; a non-blocking
    // connect to a full queue fails with EAGAIN.
    if (target.acceptQueue.length > target.backlog) return -EAGAIN;

    const embryo = new UnixSocket(this.ns);
    embryo.state = 'connected';
    embryo.name = target.name;
    embryo.sndbuf = target.sndbuf;
    embryo.rcvbuf = target.rcvbuf;
    embryo.listener = target;
    const up = new Direction();
    const down = new Direction();
    this.tx = up; embryo.rx = up;
    embryo.tx = down; this.rx = down;
    this.peer = embryo; embryo.peer = this;
    this.peerName = target.name;
    embryo.peerName = this.name;
    this.state = 'connected';
    target.acceptQueue.push(embryo);
    target.fireReady(); // the listener is woken at once, as Linux does
    this.notifySoon();
    return 0;
  }

  accept(): { sock: KernelSocket; peer: SockAddr } | number {
    if (this.state !== 'listening') return -EINVAL;
    const s = this.acceptQueue.shift();
    if (!s) return -EAGAIN;
    s.listener = null;
    return { sock: s, peer: { family: 'unix', path: s.peerName } };
  }

  read(max: number, flags = 0): Uint8Array | number {
    if (this.state !== 'connected' && this.state !== 'closed') return this.state === 'listening' ? -EINVAL : -ENOTCONN;
    const rx = this.rx;
    if (rx === null || this.state === 'closed') return -ENOTCONN;
    if (this.shutRd) return new Uint8Array(0);
    const peek = (flags & MSG_PEEK) !== 0;
    if (rx.queueBytes === 0) {
      // Linux unix_stream_read_generic(): queued bytes first, then a pending error, then EOF.
      if (this.error !== 0) { const e = this.error; if (!peek) this.error = 0; return -e; }
      if (rx.finDelivered || (this.peerGone && rx.inflightBytes === 0)) return new Uint8Array(0);
      return -EAGAIN;
    }
    if (!(max > 0)) return -EINVAL;
    if (peek) return peekViews(rx.queue, 0, 0, Math.min(max, rx.queueBytes));
    const wasWritable = this.peer !== null && this.peer.writable();
    const out = take(rx, max);
    // Space freed in the peer's send buffer: it may write again.
    if (this.peer !== null && !wasWritable && this.peer.writable()) this.peer.fireReady();
    return out;
  }

  write(data: Uint8Array): number {
    return this.writeChunks([data]);
  }

  sendto(data: Uint8Array | readonly Uint8Array[], addr?: SockAddr): number {
    if (addr !== undefined) return this.state === 'connected' ? -EISCONN : -EOPNOTSUPP;
    return this.writeChunks(data instanceof Uint8Array ? [data] : data);
  }

  /** Linux unix_ioctl: SIOCINQ (unread bytes), SIOCOUTQ (written bytes the peer has not read). */
  ioctl(request: IoctlRequest): number {
    if (request === 'SIOCINQ') return this.state === 'listening' ? -EINVAL : this.rx === null ? 0 : this.rx.queueBytes;
    if (request === 'SIOCOUTQ') return this.tx === null ? 0 : this.tx.used;
    return -ENOTTY;
  }

  recvfrom(max: number, flags = 0): Datagram | number {
    const r = this.read(max, flags);
    if (typeof r === 'number') return r;
    return { data: r, from: { family: 'unix', path: this.peerName } };
  }

  shutdown(how: number): number {
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) return -EINVAL;
    if (this.state !== 'connected') return -ENOTCONN;
    const peer = this.peer;
    if (how === SHUT_RD || how === SHUT_RDWR) {
      if (!this.shutRd) {
        this.shutRd = true;
        // Linux unix_shutdown(): the peer's sending side is shut too.
        if (peer !== null) { peer.peerShutRd = true; peer.fireReady(); }
      }
    }
    if (how === SHUT_WR || how === SHUT_RDWR) {
      if (!this.shutWr) {
        this.shutWr = true;
        if (this.tx !== null) { this.tx.finSent = true; this.scheduleDelivery(this.tx); }
      }
    }
    this.notifySoon();
    return 0;
  }

  close(): void {
    if (this.state === 'closed') return;
    const prev = this.state;
    this.state = 'closed';
    this.onReady = null;
    if (this.name !== '' && this.ns.paths.get(this.name) === this) this.ns.paths.delete(this.name);
    if (prev === 'listening') {
      // Connections never accepted are released; their clients see ECONNRESET (Linux: embrion).
      for (const e of this.acceptQueue) e.release(true);
      this.acceptQueue = [];
      return;
    }
    if (prev === 'connected') this.release(false);
  }

  setsockopt(level: SockoptLevel, name: string, value: number | boolean | string | Uint8Array | object): number {
    if (level !== 'SOL_SOCKET') return level === 'IPPROTO_TCP' ? -EOPNOTSUPP : -ENOPROTOOPT;
    const v = typeof value === 'number' ? value : typeof value === 'boolean' ? Number(value) : NaN;
    switch (name) {
      case 'SO_SNDBUF':
        if (!Number.isFinite(v)) return -EINVAL;
        // Linux sock_setsockopt(): the value is capped at wmem_max, doubled for overhead, floored.
        this.sndbuf = Math.max(SNDBUF_MIN, Math.min(Math.max(v, 0), BUF_MAX) * 2);
        this.notifySoon();
        return 0;
      case 'SO_RCVBUF':
        if (!Number.isFinite(v)) return -EINVAL;
        this.rcvbuf = Math.max(RCVBUF_MIN, Math.min(Math.max(v, 0), BUF_MAX) * 2);
        return 0;
      case 'SO_REUSEADDR': case 'SO_KEEPALIVE': case 'SO_LINGER':
        return 0;
      default:
        return -ENOPROTOOPT;
    }
  }

  getsockopt(level: SockoptLevel, name: string): unknown {
    if (level !== 'SOL_SOCKET') return level === 'IPPROTO_TCP' ? -EOPNOTSUPP : -ENOPROTOOPT;
    switch (name) {
      case 'SO_ERROR': { const e = this.error; this.error = 0; return e; }
      case 'SO_SNDBUF': return this.sndbuf;
      case 'SO_RCVBUF': return this.rcvbuf;
      case 'SO_TYPE': return SOCK_STREAM;
      case 'SO_DOMAIN': return AF_UNIX;
      case 'SO_ACCEPTCONN': return this.state === 'listening' ? 1 : 0;
      case 'SO_NREAD': case 'SIOCINQ': return this.rx?.queueBytes ?? 0;
      case 'SIOCOUTQ': return this.tx?.used ?? 0;
      default: return -ENOPROTOOPT;
    }
  }

  getsockname(): SockAddr | number {
    return { family: 'unix', path: this.name } satisfies UnixAddr;
  }

  getpeername(): SockAddr | number {
    if (this.state !== 'connected') return -ENOTCONN;
    return { family: 'unix', path: this.peerName } satisfies UnixAddr;
  }

  readiness(): number {
    let m = 0;
    switch (this.state) {
      case 'closed':
        return POLLHUP;
      case 'listening':
        return this.acceptQueue.length > 0 ? POLLIN : 0;
      case 'unconnected':
        // Linux unix_poll(): an unconnected stream socket reports hangup (and is writable).
        return POLLOUT | POLLHUP;
    }
    if (this.error !== 0) m |= POLLERR;
    const rx = this.rx!;
    const readShut = this.shutRd || rx.finDelivered || (this.peerGone && rx.inflightBytes === 0);
    if (rx.queueBytes > 0) m |= POLLIN;
    if (readShut) m |= POLLIN | POLLRDHUP;
    if (readShut && (this.shutWr || this.peerGone)) m |= POLLHUP;
    if (this.writable() || this.peerGone || this.peerShutRd) m |= POLLOUT;
    return m;
  }

  /** Whether a write would take bytes now (Linux unix_writable(): at most a quarter of the send buffer in use). */
  private writable(): boolean {
    if (this.state !== 'connected' || this.tx === null || this.shutWr) return false;
    return this.tx.used * 4 <= this.sndbuf;
  }

  private writeChunks(chunks: readonly Uint8Array[]): number {
    if (this.state !== 'connected') return this.state === 'closed' ? -EPIPE : -ENOTCONN;
    const tx = this.tx!;
    if (this.shutWr || this.peerGone || this.peerShutRd) return -EPIPE;
    let total = 0;
    for (const c of chunks) total += c.byteLength;
    if (total === 0) return 0;
    const space = this.sndbuf - tx.used;
    if (space <= 0) return -EAGAIN;
    const n = Math.min(space, total);
    // The one copy of the payload: into a buffer the kernel owns, read later as views.
    const copy = new Uint8Array(n);
    let off = 0;
    for (const c of chunks) {
      if (off >= n) break;
      const k = Math.min(c.byteLength, n - off);
      copy.set(k === c.byteLength ? c : c.subarray(0, k), off);
      off += k;
    }
    tx.inflight.push(copy);
    tx.inflightBytes += n;
    this.scheduleDelivery(tx);
    return n;
  }

  private scheduleDelivery(d: Direction): void {
    if (d.deliveryScheduled) return;
    d.deliveryScheduled = true;
    this.ns.sched.after(0, () => {
      d.deliveryScheduled = false;
      const to = d === this.tx ? this.peer : null;
      if (d.inflightBytes > 0) {
        for (const c of d.inflight) d.queue.push(c);
        d.queueBytes += d.inflightBytes;
        d.inflight = [];
        d.inflightBytes = 0;
      }
      if (d.finSent) d.finDelivered = true;
      if (to !== null && to.state !== 'closed') to.fireReady();
      else if (to !== null) d.discard();
    });
  }

  /** Tears down this end of a pair: the peer sees EOF and hangup, ECONNRESET if bytes were left unread here. */
  private release(embryo: boolean): void {
    this.state = 'closed';
    this.onReady = null;
    const peer = this.peer;
    const unread = this.rx !== null && this.rx.used > 0;
    if (this.rx !== null) this.rx.discard();
    if (this.tx !== null && !this.tx.finSent) { this.tx.finSent = true; this.scheduleDelivery(this.tx); }
    if (peer !== null && peer.state === 'connected') {
      // Linux unix_release_sock(): unread data or an unaccepted embryo resets the peer.
      if (unread || embryo) peer.error = ECONNRESET;
      peer.peerGone = true;
      peer.fireReady();
    }
  }

  /**
   * Readiness changes of the socket a call was made on reach its watchers from a Scheduler
   * event, never inside that call; changes it causes on other sockets (the peer, the listener)
   * wake them at once, as Linux's wakeups do, so watchers see them in the order they happened.
   */
  private notifySoon(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    this.ns.sched.after(0, () => {
      this.notifyScheduled = false;
      this.fireReady();
    });
  }

  private fireReady(): void {
    if (this.state === 'closed') return;
    const cb = this.onReady;
    if (cb !== null) cb(this.readiness());
  }

  /** Bytes waiting to be read (like SIOCINQ), for ss-like listings. */
  get recvQ(): number { return this.state === 'listening' ? this.acceptQueue.length : (this.rx?.queueBytes ?? 0); }
  /** Bytes sent and not yet read by the peer (like SIOCOUTQ). */
  get sendQ(): number { return this.state === 'listening' ? this.backlog : (this.tx?.used ?? 0); }
  /** 'LISTEN', 'ESTAB' or 'UNCONN', as ss prints it. */
  get ssState(): string { return this.state === 'listening' ? 'LISTEN' : this.state === 'connected' ? 'ESTAB' : 'UNCONN'; }
}

/** Takes up to `max` delivered bytes from the front of the queue, as views where possible. */
function take(d: Direction, max: number): Uint8Array {
  const first = d.queue[0]!;
  if (first.byteLength <= max && (d.queue.length === 1 || first.byteLength === max)) {
    d.queue.shift();
    d.queueBytes -= first.byteLength;
    return first;
  }
  if (first.byteLength > max) {
    d.queue[0] = first.subarray(max);
    d.queueBytes -= max;
    return first.subarray(0, max);
  }
  // Several chunks fit: gather them into one buffer.
  const n = Math.min(max, d.queueBytes);
  const out = new Uint8Array(n);
  let off = 0;
  while (off < n) {
    const c = d.queue[0]!;
    const k = Math.min(c.byteLength, n - off);
    out.set(k === c.byteLength ? c : c.subarray(0, k), off);
    off += k;
    if (k === c.byteLength) d.queue.shift();
    else d.queue[0] = c.subarray(k);
  }
  d.queueBytes -= n;
  return out;
}

/** Plugs AF_UNIX SOCK_STREAM sockets of this namespace into a host's socket calls. */
export function registerUnix(sys: { registerFactory(domain: typeof AF_UNIX, type: typeof SOCK_STREAM, f: (protocol: number) => KernelSocket | number): void }, ns: UnixNamespace): void {
  sys.registerFactory(AF_UNIX, SOCK_STREAM, (protocol) => (protocol === 0 ? ns.socket(SOCK_STREAM) : -EPROTONOSUPPORT));
}
