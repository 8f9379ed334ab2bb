// host.sys: the socket-call layer. A descriptor table (fds from 3 up, the lowest free one first,
// as Linux hands them out), argument checks, dispatch to the kernel sockets, readiness through
// poll() and watch(), and a strace-like trace of every call.
//
// Socket kinds plug in through factories, one per (domain, type):
//
//   sys.registerFactory(AF_INET, SOCK_STREAM, (protocol) => new TcpSocket(...) /* or -errno */);
//
// The factory receives the protocol argument of socket() (0 or the protocol's number) and
// returns a KernelSocket or a negative errno (-EPROTONOSUPPORT for a protocol it does not speak).
// sys sets the socket's onReady; the kernel calls it whenever readiness may have changed.
//
// Addresses given to bind/connect/sendto are checked (family, port range, address syntax) and
// passed on in canonical text. connect(fd, { family, address: '', port: 0 }) on a datagram
// socket is the AF_UNSPEC disconnect.
import { canonicalIP } from '../wire/addr.js';
import type { KernelSocket } from '../kernel/socket.js';
import { EAGAIN, EBADF, EFAULT, EINVAL, EAFNOSUPPORT, EMFILE, ENETDOWN, ENOTTY, ESOCKTNOSUPPORT, errnoName } from '../uapi/errno.js';
import {
  AF_INET, AF_INET6, AF_UNIX, MSG_PEEK, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, POLLRDHUP, SOCK_DGRAM, SOCK_STREAM,
  type Accepted, type Datagram, type Domain, type EpollEvent, type EpollReady, type IoctlRequest, type PollFd,
  type Msghdr, type ReadyCallback, type SockAddr, type SockType, type SockoptLevel, MSG_ERRQUEUE, MSG_TRUNC,
} from '../uapi/socket.js';
import { EpollFile, type EpollTarget } from './epoll.js';
import type { SocketCalls, WatchOptions } from './types.js';

/** ioctl request numbers (Linux) and the names host.sys.ioctl() takes. */
const IOCTLS: Record<string, IoctlRequest> = {
  SIOCINQ: 'SIOCINQ', FIONREAD: 'SIOCINQ', [0x541b]: 'SIOCINQ',
  SIOCOUTQ: 'SIOCOUTQ', TIOCOUTQ: 'SIOCOUTQ', [0x5411]: 'SIOCOUTQ',
  SIOCOUTQNSD: 'SIOCOUTQNSD', [0x894b]: 'SIOCOUTQNSD',
};
/** MSG_* names for the trace. */
const MSG_NAMES: Array<[number, string]> = [[0x1, 'MSG_OOB'], [MSG_PEEK, 'MSG_PEEK'], [0x40, 'MSG_DONTWAIT'], [0x80, 'MSG_EOR'],
  [0x100, 'MSG_WAITALL'], [0x2000, 'MSG_ERRQUEUE'], [0x4000, 'MSG_NOSIGNAL'], [0x8000, 'MSG_MORE'], [0x4000000, 'MSG_ZEROCOPY'],
  [0x20000000, 'MSG_FASTOPEN']];

/** POLLNVAL: poll()'s answer for a descriptor that is not open. */
export const POLLNVAL = 0x020;
/** SOCK_MAX: types from 0 to SOCK_PACKET (10) are known; one no factory makes is -ESOCKTNOSUPPORT (Linux inet_create). */
const SOCK_MAX = 11;
/** SOCK_NONBLOCK and SOCK_CLOEXEC, accepted in socket()'s type and ignored (everything is non-blocking). */
const SOCK_FLAGS = 0o4000 | 0o2000000;

export type SocketFactory = (protocol: number) => KernelSocket | number;
export type Tracer = (line: string) => void;

interface Watcher {
  events: number;
  cb: ReadyCallback;
  active: boolean;
  /** Called when the descriptor is closed (an epoll instance forgets it). */
  closed?: () => void;
  /** Counted as a waiting writer by the socket (watch's `writer` option) until unwatched. */
  writer: boolean;
}

interface OpenFile {
  fd: number;
  sock: KernelSocket;
  watchers: Watcher[];
}

const DOMAIN_NAMES: Record<number, string> = { [AF_UNIX]: 'AF_UNIX', [AF_INET]: 'AF_INET', [AF_INET6]: 'AF_INET6' };
const TYPE_NAMES: Record<number, string> = { [SOCK_STREAM]: 'SOCK_STREAM', [SOCK_DGRAM]: 'SOCK_DGRAM' };

/** 'POLLIN|POLLOUT'. */
export function pollNames(bits: number): string {
  const out: string[] = [];
  const names: Array<[number, string]> = [[POLLIN, 'POLLIN'], [POLLPRI, 'POLLPRI'], [POLLOUT, 'POLLOUT'], [POLLERR, 'POLLERR'],
    [POLLHUP, 'POLLHUP'], [POLLNVAL, 'POLLNVAL'], [POLLRDHUP, 'POLLRDHUP']];
  for (const [b, n] of names) if (bits & b) out.push(n);
  return out.length ? out.join('|') : '0';
}

/** '{10.0.0.1:53}', '{[fd00::1]:53}', '{"/tmp/s"}' as the trace prints addresses. */
export function formatSockAddr(a: SockAddr): string {
  if (a.family === 'unix') return `{${JSON.stringify(a.path)}}`;
  return a.family === 6 ? `{[${a.address}]:${a.port}}` : `{${a.address}:${a.port}}`;
}

function ret(r: number): string {
  return r < 0 ? `-1 ${errnoName(r)}` : String(r);
}

export class Sys implements SocketCalls {
  /** The descriptor limit (RLIMIT_NOFILE); socket() and accept() fail with EMFILE beyond it. */
  maxFds = 65536;
  private files: Array<OpenFile | undefined> = [undefined, undefined, undefined];
  /** Freed descriptors below files.length, as a min-heap: the lowest is reused first. */
  private free: number[] = [];
  private openCount = 0;
  private readonly factories = new Map<number, SocketFactory>();
  private tracers: Tracer[] = [];
  private tracing = false;
  /** While the host is crashed: socket() fails with ENETDOWN (and no descriptor is open). */
  private down = false;

  /** Adds the maker of sockets of one (domain, type); replaces an earlier one. */
  registerFactory(domain: Domain, type: SockType, factory: SocketFactory): void {
    this.factories.set(domain * 16 + type, factory);
  }

  /** Prints every call to `fn`, one line each, like strace. Returns a function that stops it. */
  trace(fn: Tracer): () => void {
    this.tracers.push(fn);
    this.tracing = true;
    return () => {
      this.tracers = this.tracers.filter((t) => t !== fn);
      this.tracing = this.tracers.length > 0;
    };
  }

  private emit(line: string): void {
    for (const t of this.tracers) t(line);
  }

  /** The kernel socket behind a descriptor (for ss and tools), or undefined. */
  socketOf(fd: number): KernelSocket | undefined {
    return this.file(fd)?.sock;
  }

  /** Every open descriptor and its socket. */
  openFiles(): Array<{ fd: number; sock: KernelSocket }> {
    const out: Array<{ fd: number; sock: KernelSocket }> = [];
    for (const f of this.files) if (f !== undefined) out.push({ fd: f.fd, sock: f.sock });
    return out;
  }

  /** Number of open descriptors. */
  get size(): number { return this.openCount; }

  /**
   * The host crashed: every descriptor is forgotten at once, without closing its socket (the
   * kernel dropped their state itself, sending nothing) and without waking its watchers. Until
   * restart(), socket() fails with ENETDOWN; the other calls find no descriptor (EBADF).
   * Descriptors are handed out from 3 again afterwards, as in a fresh process.
   */
  crash(): void {
    for (const f of this.files) {
      if (f === undefined) continue;
      for (const w of f.watchers) w.active = false;
      f.watchers = [];
      f.sock.onReady = null;
    }
    this.files = [undefined, undefined, undefined];
    this.free = [];
    this.openCount = 0;
    this.down = true;
    if (this.tracing) this.emit('+++ host crashed +++');
  }

  /** The host booted again: sockets can be made. */
  restart(): void {
    this.down = false;
  }

  private file(fd: number): OpenFile | undefined {
    return typeof fd === 'number' && fd >= 0 ? this.files[fd] : undefined;
  }

  private install(sock: KernelSocket): number {
    if (this.openCount >= this.maxFds) return -EMFILE;
    let fd: number;
    if (this.free.length > 0) fd = this.popFree();
    else { fd = this.files.length; this.files.push(undefined); }
    const f: OpenFile = { fd, sock, watchers: [] };
    this.files[fd] = f;
    this.openCount++;
    sock.onReady = (revents: number) => this.notify(f, revents);
    return fd;
  }

  private notify(f: OpenFile, revents: number): void {
    const ws = f.watchers;
    if (ws.length === 0) return;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      if (!w.active) continue;
      const r = revents & (w.events | POLLERR | POLLHUP);
      if (r !== 0) w.cb(r);
    }
  }

  // ---- the calls ----------------------------------------------------------------------------

  socket(domain: Domain, type: SockType, protocol = 0): number {
    const t = (type & ~SOCK_FLAGS) as SockType;
    let r: number;
    if (this.down) r = -ENETDOWN;
    else if (domain !== AF_INET && domain !== AF_INET6 && domain !== AF_UNIX) r = -EAFNOSUPPORT;
    else if (t < 0 || t >= SOCK_MAX) r = -EINVAL; // Linux __sock_create
    else if (!Number.isInteger(protocol) || protocol < 0) r = -EINVAL;
    else {
      const make = this.factories.get(domain * 16 + t);
      if (make === undefined) r = -ESOCKTNOSUPPORT;
      else {
        const s = this.openCount >= this.maxFds ? -EMFILE : make(protocol);
        r = typeof s === 'number' ? s : this.install(s);
      }
    }
    if (this.tracing) this.emit(`socket(${DOMAIN_NAMES[domain] ?? domain}, ${TYPE_NAMES[t] ?? type}, ${protocol}) = ${ret(r)}`);
    return r;
  }

  bind(fd: number, addr: SockAddr): number {
    const f = this.file(fd);
    const a = checkAddr(addr);
    const r = f === undefined ? -EBADF : typeof a === 'number' ? a : f.sock.bind(a);
    if (this.tracing) this.emit(`bind(${fd}, ${describe(addr)}) = ${ret(r)}`);
    return r;
  }

  listen(fd: number, backlog: number): number {
    const f = this.file(fd);
    const r = f === undefined ? -EBADF : f.sock.listen(backlog | 0);
    if (this.tracing) this.emit(`listen(${fd}, ${backlog}) = ${ret(r)}`);
    return r;
  }

  accept(fd: number): Accepted | number {
    const f = this.file(fd);
    let r: Accepted | number;
    if (f === undefined) r = -EBADF;
    else if (this.openCount >= this.maxFds) r = -EMFILE;
    else {
      const a = f.sock.accept();
      if (typeof a === 'number') r = a;
      else {
        const nfd = this.install(a.sock);
        r = nfd < 0 ? nfd : { fd: nfd, peer: a.peer };
      }
    }
    if (this.tracing) {
      this.emit(typeof r === 'number' ? `accept(${fd}) = ${ret(r)}` : `accept(${fd}, ${formatSockAddr(r.peer)}) = ${r.fd}`);
    }
    return r;
  }

  connect(fd: number, addr: SockAddr): number {
    const f = this.file(fd);
    let r: number;
    if (f === undefined) r = -EBADF;
    else if (addr !== null && typeof addr === 'object' && addr.family !== 'unix' && addr.address === '') {
      r = f.sock.connect({ family: addr.family, address: '', port: 0 }); // AF_UNSPEC
    } else {
      const a = checkAddr(addr);
      r = typeof a === 'number' ? a : f.sock.connect(a);
    }
    if (this.tracing) this.emit(`connect(${fd}, ${addr && (addr as { address?: string }).address === '' ? '{AF_UNSPEC}' : describe(addr)}) = ${ret(r)}`);
    return r;
  }

  /** `buffer` null: the caller's buffer is a NULL pointer (see readFault). */
  read(fd: number, max = 65536, buffer?: null): Uint8Array | number {
    const f = this.file(fd);
    const r = f === undefined ? -EBADF : buffer === null ? readFault(f.sock, max, 0) : f.sock.read(max);
    if (this.tracing) this.emit(`read(${fd}, ${buffer === null ? 'NULL, ' : ''}${max}) = ${typeof r === 'number' ? ret(r) : r.length}`);
    return r;
  }

  /** recv(fd, len, flags): read() with flags (MSG_PEEK: the data stays queued; MSG_DONTWAIT: as always). */
  recv(fd: number, max = 65536, flags = 0, buffer?: null): Uint8Array | number {
    const f = this.file(fd);
    const r = f === undefined ? -EBADF : buffer === null ? readFault(f.sock, max, flags) : f.sock.read(max, flags);
    if (this.tracing) this.emit(`recv(${fd}, ${buffer === null ? 'NULL, ' : ''}${max}, ${flagNames(flags)}) = ${typeof r === 'number' ? ret(r) : r.length}`);
    return r;
  }

  /** `data` null: a NULL pointer with a length (Linux: -EFAULT where the kernel would copy; KernelSocket.sendFault). */
  write(fd: number, data: Uint8Array | null): number {
    const f = this.file(fd);
    const r = f === undefined ? -EBADF : data === null ? sendFault(f.sock, undefined, 0) : !(data instanceof Uint8Array) ? -EINVAL : f.sock.write(data);
    if (this.tracing) this.emit(`write(${fd}, ${data === null ? 'NULL' : `${data?.length ?? 0} bytes`}) = ${ret(r)}`);
    return r;
  }

  writev(fd: number, chunks: readonly Uint8Array[]): number {
    const f = this.file(fd);
    // One send of the whole iovec (Linux do_writev -> sock_sendmsg): a stream queues every piece
    // it has room for and then pushes once (tcp_sendmsg), so a corked write pair leaves together.
    const r = f === undefined ? -EBADF : !Array.isArray(chunks) ? -EINVAL : f.sock.sendto(chunks);
    if (this.tracing) this.emit(`writev(${fd}, [${chunks.length} chunks]) = ${ret(r)}`);
    return r;
  }

  send(fd: number, data: Uint8Array | null, flags = 0): number {
    const f = this.file(fd);
    let r: number;
    if (f === undefined) r = -EBADF;
    else if (data === null) r = sendFault(f.sock, undefined, flags);
    else if (flags === 0 && f.sock.type === SOCK_STREAM) r = f.sock.write(data);
    else r = f.sock.sendto(data, undefined, flags);
    if (this.tracing) this.emit(`send(${fd}, ${data?.length ?? 0} bytes${flags !== 0 ? `, ${flagNames(flags)}` : ''}) = ${ret(r)}`);
    return r;
  }

  sendto(fd: number, data: Uint8Array | readonly Uint8Array[] | null, addr?: SockAddr, flags = 0): number {
    const f = this.file(fd);
    let r: number;
    const send = (s: KernelSocket, a?: SockAddr): number => (data === null ? sendFault(s, a, flags) : s.sendto(data, a, flags));
    if (f === undefined) r = -EBADF;
    else if (addr === undefined || addr === null) r = send(f.sock);
    else if (addr.family !== 'unix' && addr.address === '' && (addr.family === 4 || addr.family === 6)) {
      r = send(f.sock, { family: addr.family, address: '', port: 0 }); // AF_UNSPEC
    } else {
      const a = checkAddr(addr);
      r = typeof a === 'number' ? a : send(f.sock, a);
    }
    if (this.tracing) {
      let n = 0;
      if (data instanceof Uint8Array) n = data.length; else if (data !== null) for (const c of data) n += c.length;
      this.emit(`sendto(${fd}, ${n} bytes, ${flags !== 0 ? `${flagNames(flags)}, ` : ''}${addr ? describe(addr) : 'NULL'}) = ${ret(r)}`);
    }
    return r;
  }

  recvfrom(fd: number, max = 65536, flags = 0, buffer?: null): Datagram | number {
    const f = this.file(fd);
    let r: Datagram | number;
    if (f === undefined) r = -EBADF;
    else if (buffer === null) { const x = readFault(f.sock, max, flags); r = typeof x === 'number' ? x : -EINVAL; }
    else r = f.sock.recvfrom(max, flags);
    if (this.tracing) {
      const fl = flags !== 0 ? `, ${flagNames(flags)}` : '';
      this.emit(typeof r === 'number' ? `recvfrom(${fd}, ${max}${fl}) = ${ret(r)}`
        : `recvfrom(${fd}, ${max}${fl}, ${formatSockAddr(r.from)}) = ${r.data.length}${r.truncated ? ' MSG_TRUNC' : ''}`);
    }
    return r;
  }

  /**
   * recvmsg(fd, max, flags): the data with the sender and control messages. MSG_ERRQUEUE reads
   * the socket's error queue instead (MSG_ZEROCOPY completions, ...): no data, the extended error
   * as an IP_RECVERR / IPV6_RECVERR control message, -EAGAIN when it is empty.
   */
  recvmsg(fd: number, max = 65536, flags = 0): Msghdr | number {
    const f = this.file(fd);
    let r: Msghdr | number;
    if (f === undefined) r = -EBADF;
    else if (f.sock.recvmsg !== undefined) r = f.sock.recvmsg(max, flags);
    else if ((flags & MSG_ERRQUEUE) !== 0) r = -EAGAIN;
    else {
      const d = f.sock.recvfrom(max, flags);
      r = typeof d === 'number' ? d : { data: d.data, from: d.from, control: [], flags: d.truncated === true ? MSG_TRUNC : 0 };
    }
    if (this.tracing) {
      const fl = flags !== 0 ? `, ${flagNames(flags)}` : '';
      this.emit(typeof r === 'number' ? `recvmsg(${fd}, ${max}${fl}) = ${ret(r)}`
        : `recvmsg(${fd}, ${max}${fl}${r.control.length > 0 ? `, [${r.control.map((c) => `${c.level}/${c.type}`).join(', ')}]` : ''}) = ${r.data.length}`);
    }
    return r;
  }

  /**
   * ioctl(fd, request): 'SIOCINQ' (also 'FIONREAD'), 'SIOCOUTQ' (also 'TIOCOUTQ'), 'SIOCOUTQNSD',
   * or Linux's numbers for them. The byte count, or -errno (-ENOTTY for another request).
   */
  ioctl(fd: number, request: IoctlRequest | 'FIONREAD' | 'TIOCOUTQ' | number): number {
    const f = this.file(fd);
    const req = IOCTLS[request as string];
    const r = f === undefined ? -EBADF : req === undefined ? -ENOTTY : f.sock.ioctl(req);
    if (this.tracing) this.emit(`ioctl(${fd}, ${typeof request === 'number' ? `0x${request.toString(16)}` : request}) = ${ret(r)}`);
    return r;
  }

  // ---- epoll ------------------------------------------------------------------------------------

  /** epoll_create1(0): a new epoll descriptor. */
  epollCreate(): number {
    const r = this.down ? -ENETDOWN : this.install(new EpollFile());
    if (this.tracing) this.emit(`epoll_create1(0) = ${ret(r)}`);
    return r;
  }

  /** epoll_ctl(epfd, op, fd, event): EPOLL_CTL_ADD / MOD (with { events, data }) or DEL. 0 or -errno. */
  epollCtl(epfd: number, op: number, fd: number, event?: EpollEvent): number {
    const e = this.file(epfd);
    let r: number;
    if (e === undefined) r = -EBADF;
    else if (!(e.sock instanceof EpollFile)) r = -EINVAL;
    else r = e.sock.ctl(op, fd, this.epollTarget(fd), event);
    if (this.tracing) this.emit(`epoll_ctl(${epfd}, ${['', 'EPOLL_CTL_ADD', 'EPOLL_CTL_DEL', 'EPOLL_CTL_MOD'][op] ?? op}, ${fd}, ${event ? `{events=${pollNames(event.events)}}` : 'NULL'}) = ${ret(r)}`);
    return r;
  }

  /**
   * epoll_wait(epfd, events, maxevents, 0): the ready descriptors as { events, data }, or -errno.
   * Never blocks: watch(epfd, POLLIN, cb) (or poll) tells when something is ready.
   */
  epollWait(epfd: number, maxevents: number): EpollReady[] | number {
    const e = this.file(epfd);
    let r: EpollReady[] | number;
    if (e === undefined) r = -EBADF;
    else if (!(e.sock instanceof EpollFile)) r = -EINVAL;
    else r = e.sock.wait(maxevents);
    if (this.tracing) {
      this.emit(typeof r === 'number' ? `epoll_wait(${epfd}, ${maxevents}) = ${ret(r)}`
        : `epoll_wait(${epfd}, ${maxevents}) = ${r.length}${r.length > 0 ? ` ([${r.map((x) => `{events=${pollNames(x.events)}}`).join(', ')}])` : ''}`);
    }
    return r;
  }

  /** A descriptor as an epoll instance sees it: its socket and its wakeups. */
  private epollTarget(fd: number): EpollTarget | undefined {
    const f = this.file(fd);
    if (f === undefined) return undefined;
    return {
      sock: f.sock,
      subscribe: (cb, closed) => {
        const w: Watcher = { events: ~0, cb, active: true, closed, writer: false };
        f.watchers.push(w);
        return () => {
          w.active = false;
          const i = f.watchers.indexOf(w);
          if (i >= 0) f.watchers.splice(i, 1);
        };
      },
    };
  }

  shutdown(fd: number, how: number): number {
    const f = this.file(fd);
    const r = f === undefined ? -EBADF : f.sock.shutdown(how);
    if (this.tracing) this.emit(`shutdown(${fd}, ${['SHUT_RD', 'SHUT_WR', 'SHUT_RDWR'][how] ?? how}) = ${ret(r)}`);
    return r;
  }

  close(fd: number): number {
    const f = this.file(fd);
    let r = 0;
    if (f === undefined) r = -EBADF;
    else {
      this.files[fd] = undefined;
      this.openCount--;
      this.pushFree(fd);
      const ws = f.watchers;
      f.watchers = [];
      for (const w of ws) { this.deactivate(f, w); w.closed?.(); }
      f.sock.onReady = null;
      f.sock.close();
    }
    if (this.tracing) this.emit(`close(${fd}) = ${ret(r)}`);
    return r;
  }

  setsockopt(fd: number, level: SockoptLevel, name: string, value: number | boolean | string | Uint8Array | object): number {
    const f = this.file(fd);
    const r = f === undefined ? -EBADF : f.sock.setsockopt(level, name, value);
    if (this.tracing) this.emit(`setsockopt(${fd}, ${level}, ${name}, ${describeValue(value)}) = ${ret(r)}`);
    return r;
  }

  getsockopt(fd: number, level: SockoptLevel, name: string): unknown {
    const f = this.file(fd);
    const r = f === undefined ? -EBADF : f.sock.getsockopt(level, name);
    if (this.tracing) this.emit(`getsockopt(${fd}, ${level}, ${name}) = ${typeof r === 'number' && r < 0 ? ret(r) : describeValue(r)}`);
    return r;
  }

  getsockname(fd: number): SockAddr | number {
    const f = this.file(fd);
    const r = f === undefined ? -EBADF : f.sock.getsockname();
    if (this.tracing) this.emit(`getsockname(${fd}) = ${typeof r === 'number' ? ret(r) : `0 ${formatSockAddr(r)}`}`);
    return r;
  }

  getpeername(fd: number): SockAddr | number {
    const f = this.file(fd);
    const r = f === undefined ? -EBADF : f.sock.getpeername();
    if (this.tracing) this.emit(`getpeername(${fd}) = ${typeof r === 'number' ? ret(r) : `0 ${formatSockAddr(r)}`}`);
    return r;
  }

  poll(fds: PollFd[]): number {
    let n = 0;
    for (const p of fds) {
      const f = this.file(p.fd);
      const rev = f === undefined ? POLLNVAL : f.sock.readiness() & (p.events | POLLERR | POLLHUP);
      p.revents = rev;
      if (rev !== 0) n++;
    }
    if (this.tracing) {
      this.emit(`poll([${fds.map((p) => `{fd=${p.fd}, events=${pollNames(p.events)}}`).join(', ')}], ${fds.length}) = ${n}` +
        (n > 0 ? ` ([${fds.filter((p) => p.revents).map((p) => `{fd=${p.fd}, revents=${pollNames(p.revents!)}}`).join(', ')}])` : ''));
    }
    return n;
  }

  watch(fd: number, events: number, cb: ReadyCallback, opts?: WatchOptions): () => void {
    const f = this.file(fd);
    if (this.tracing) this.emit(`watch(${fd}, ${pollNames(events)}${opts?.writer === true ? ', writer' : ''}) = ${f === undefined ? ret(-EBADF) : 0}`);
    if (f === undefined) return noop;
    const w: Watcher = { events, cb, active: true, writer: opts?.writer === true && (events & POLLOUT) !== 0 };
    if (w.writer) f.sock.waitWrite?.(true);
    f.watchers.push(w);
    const now = f.sock.readiness() & (events | POLLERR | POLLHUP);
    if (now !== 0) {
      // Already ready: say so once, soon (never inside the caller's call).
      queueMicrotask(() => {
        if (!w.active) return;
        const r = f.sock.readiness() & (w.events | POLLERR | POLLHUP);
        if (r !== 0) w.cb(r);
      });
    }
    return () => {
      if (!w.active) return;
      this.deactivate(f, w);
      const i = f.watchers.indexOf(w);
      if (i >= 0) f.watchers.splice(i, 1);
    };
  }

  private deactivate(f: OpenFile, w: Watcher): void {
    w.active = false;
    if (w.writer) { w.writer = false; f.sock.waitWrite?.(false); }
  }

  private pushFree(fd: number): void {
    // Freeing the last descriptor shrinks the table instead.
    if (fd === this.files.length - 1) {
      this.files.pop();
      while (this.files.length > 3 && this.files[this.files.length - 1] === undefined) {
        const top = this.files.length - 1;
        const i = this.free.indexOf(top);
        if (i < 0) break;
        this.removeFreeAt(i);
        this.files.pop();
      }
      return;
    }
    const h = this.free;
    let i = h.length;
    h.push(fd);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= fd) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = fd;
  }

  private popFree(): number {
    const h = this.free;
    const top = h[0]!;
    this.removeFreeAt(0);
    return top;
  }

  private removeFreeAt(i: number): void {
    const h = this.free;
    const last = h.pop()!;
    if (i >= h.length) return;
    // Re-insert `last` at position i: sift up or down.
    h[i] = last;
    while (i > 0 && h[(i - 1) >> 1]! > h[i]!) {
      const p = (i - 1) >> 1;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]! < h[l]! ? r : l;
      if (h[c]! >= h[i]!) break;
      [h[c], h[i]] = [h[i]!, h[c]!];
      i = c;
    }
  }
}

function noop(): void {}

function flagNames(flags: number): string {
  const out: string[] = [];
  let rest = flags;
  for (const [b, n] of MSG_NAMES) if (flags & b) { out.push(n); rest &= ~b; }
  if (rest !== 0 || out.length === 0) out.push(`0x${rest.toString(16)}`);
  return out.join('|');
}

/** Checks an address argument; returns it with canonical address text, or -errno. */
function checkAddr(a: SockAddr): SockAddr | number {
  if (a === null || typeof a !== 'object') return -EINVAL;
  if (a.family === 'unix') return typeof a.path === 'string' ? a : -EINVAL;
  if (a.family !== 4 && a.family !== 6) return -EAFNOSUPPORT;
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 0xffff) return -EINVAL;
  if (typeof a.address !== 'string') return -EINVAL;
  const c = canonicalIP(a.address);
  if (c === null) return -EINVAL;
  if ((c.indexOf(':') < 0) !== (a.family === 4)) return -EINVAL;
  return c === a.address ? a : { ...a, address: c };
}

function describe(a: SockAddr): string {
  if (a === null || typeof a !== 'object') return String(a);
  if (a.family !== 'unix' && typeof a.address !== 'string') return '{?}';
  return formatSockAddr(a);
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (typeof v === 'object' && v !== null) {
    try { return JSON.stringify(v); } catch { return '{...}'; }
  }
  return String(v);
}

/**
 * A send from a NULL buffer: the socket's own answer (TCP: its checks, then -EFAULT), else
 * -EFAULT (Linux: the copy from user space fails).
 */
function sendFault(s: KernelSocket, addr: SockAddr | undefined, flags: number): number {
  return s.sendFault !== undefined ? s.sendFault(addr, flags) : -EFAULT;
}

/**
 * A receive into a NULL buffer (Linux tcp_recvmsg / udp_recvmsg): whatever the socket would
 * return without data (EOF's 0, -EAGAIN, a pending error) stands; data to copy makes it -EFAULT.
 * A stream keeps the data queued (nothing was copied); a datagram socket loses the datagram.
 */
function readFault(s: KernelSocket, max: number, flags: number): number {
  if (!(max > 0)) return 0;
  const r = s.read(max, s.type === SOCK_STREAM ? flags | MSG_PEEK : flags);
  if (typeof r === 'number') return r;
  return r.length > 0 ? -EFAULT : 0;
}
