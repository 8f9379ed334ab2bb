// TcpSocket: the socket calls on a TCP connection or listener (KernelSocket, src/kernel/socket.ts),
// with Linux's results (net/ipv4/af_inet.c inet_stream_connect / inet_shutdown, tcp.c tcp_sendmsg /
// tcp_recvmsg / tcp_close / tcp_poll, inet_connection_sock.c listen/accept); options in sockopt.ts.
//
// Addresses: an AF_INET6 socket speaks IPv6 text; its IPv4 peers (dual stack) appear v4-mapped
// ('::ffff:10.0.0.1'), while the connection itself runs over IPv4.
// Data: write() copies the caller's bytes once into the send queue (the caller may reuse its
// buffer at once); read() returns views of received frames (see buffers.ts).
import {
  EAFNOSUPPORT, EAGAIN, EALREADY, EADDRINUSE, EADDRNOTAVAIL, EBADF, ECONNABORTED, ECONNRESET, EFAULT, EINPROGRESS, EINVAL,
  EISCONN, ENETUNREACH, ENOTCONN, ENOTTY, EOPNOTSUPP, EPIPE,
} from '../../uapi/errno.js';
import {
  AF_INET, AF_INET6, MSG_EOR, MSG_ERRQUEUE, MSG_FASTOPEN, MSG_MORE, MSG_PEEK, MSG_TRUNC, MSG_ZEROCOPY, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, SOCK_STREAM,
  type ControlMessage, type Datagram, type Domain, type InetAddr, type Msghdr, type IoctlRequest, type SockAddr, type SockoptLevel,
} from '../../uapi/socket.js';
import { canonicalIP } from '../../wire/addr.js';
import { UINT_MAX } from '../sysctl.js';
import { checkBindAddress, unmapped } from '../ports.js';
import type { KernelSocket } from '../socket.js';
import { createCongestionControl } from './congestion/index.js';
import { prepareActive } from './handshake.js';
import { deferConnect, TFO_CLIENT_ENABLE, TFO_SERVER_ENABLE, TFO_SERVER_WO_SOCKOPT1, fastopenChildDone } from './fastopen.js';
import { tcpInfo, type TcpInfo } from './info.js';
import { getOption, setOption } from './sockopt.js';
import { zerocopySent } from './zerocopy.js';
import { tstampWrite } from './timestamping.js';
import { done, notify, setState } from './lifecycle.js';
import { sendActiveReset, sizeGoal, tcpConnect, transmit } from './output.js';
import { seqAdd, seqGt, seqSub } from './seq.js';
import {
  CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, LISTEN, SYN_RECEIVED, SYN_SENT, TIME_WAIT,
} from './state.js';
import { MAX_SKB_FRAGS } from './buffers.js';
import { IP_PMTUDISC_DO, IP_PMTUDISC_DONT, IP_PMTUDISC_INTERFACE, IP_PMTUDISC_OMIT, IP_PMTUDISC_WANT } from '../../uapi/socket.js';
import { Tcb, noItems } from './tcb.js';
import { cleanupRbuf } from './delack.js';
import type { Tcp } from './index.js';

const EMPTY = new Uint8Array(0);

/** Linux tcp_need_reset: states in which an abort tells the peer with a RST. */
function needReset(st: number): boolean {
  return st === ESTABLISHED || st === CLOSE_WAIT || st === FIN_WAIT_1 || st === FIN_WAIT_2 || st === SYN_RECEIVED;
}

export class TcpSocket extends Tcb implements KernelSocket {
  readonly type = SOCK_STREAM;
  onReady: ((revents: number) => void) | null = null;
  /** Last time the SYN queue overflowed (SYN cookies are checked for a while after). */
  lastSynOverflow = -Infinity;
  /** Sequence number after the last byte queued by write() (Linux write_seq). */
  writeSeq = 0;
  /** close() was called: the descriptor is gone. */
  private released = false;

  constructor(tcp: Tcp, domain: Domain) {
    super(tcp, domain);
  }

  private get wildcard(): string { return this.domain === AF_INET ? '0.0.0.0' : '::'; }

  // ---- addresses --------------------------------------------------------------------------------

  /** As the application sees an address of this connection (v4-mapped on an AF_INET6 socket). */
  private shown(family: 4 | 6, address: string): string {
    return this.domain === AF_INET6 && family === 4 ? `::ffff:${address}` : address;
  }

  /** Our address and port as getsockname() reports them. */
  sockAddr(): InetAddr {
    const family: 4 | 6 = this.domain === AF_INET ? 4 : 6;
    if (this.state !== CLOSED && this.state !== LISTEN && this.remoteAddr !== '') {
      return { family, address: this.shown(this.family, this.localAddr), port: this.localPort };
    }
    if (this.entry !== null) return { family, address: this.entry.address, port: this.entry.port };
    return { family, address: this.wildcard, port: 0 };
  }

  /** The peer's address as getpeername() reports it. */
  peerAddr(): InetAddr {
    return { family: this.domain === AF_INET ? 4 : 6, address: this.shown(this.family, this.remoteAddr), port: this.remotePort };
  }

  /** Checks an address for this socket's family: the wire family and canonical address, or -errno. */
  private wireAddr(addr: SockAddr, forBind: boolean): { family: 4 | 6; address: string } | number {
    if (addr.family === 'unix') return -EAFNOSUPPORT;
    if (this.domain === AF_INET && addr.family === 6) return -EAFNOSUPPORT;
    if (this.domain === AF_INET6 && addr.family === 4) return -EINVAL; // a sockaddr_in is too short for AF_INET6
    if (!Number.isInteger(addr.port) || addr.port < 0 || addr.port > 0xffff) return -EINVAL;
    const address = canonicalIP(addr.address === '' ? this.wildcard : addr.address);
    if (address === null) return -EINVAL;
    const isV4 = address.indexOf(':') < 0;
    if (this.domain === AF_INET) return isV4 ? { family: 4, address } : -EINVAL;
    if (isV4) return -EINVAL;
    const v4 = unmapped(address);
    if (v4 !== null) {
      if (this.v6only) return forBind ? -EINVAL : -ENETUNREACH;
      return { family: 4, address: v4 };
    }
    return { family: 6, address };
  }

  // ---- bind / listen / accept ---------------------------------------------------------------------

  bind(addr: SockAddr): number {
    if (this.released) return -EBADF;
    if (addr.family === 'unix') return -EAFNOSUPPORT;
    if (this.entry !== null || this.state !== CLOSED) return -EINVAL;
    const w = this.wireAddr(addr, true);
    if (typeof w === 'number') return w;
    const family: 4 | 6 = this.domain === AF_INET ? 4 : 6;
    const address = canonicalIP(addr.address === '' ? this.wildcard : addr.address)!;
    const ip = this.tcp.ip;
    const r = checkBindAddress(family, address, this.v6only, (f, a) => ip.isLocal(f, a));
    if (r < 0) return r;
    const e = this.tcp.bindPort(this, { family, address, port: addr.port, v6only: this.v6only, reuseAddr: this.reuseAddr, reusePort: this.reusePort });
    if (typeof e === 'number') return e;
    this.portLocked = addr.port !== 0;
    return 0;
  }

  listen(backlog: number): number {
    if (this.released) return -EBADF;
    if (this.sockState !== 'unconnected' || (this.state !== CLOSED && this.state !== LISTEN)) return -EINVAL;
    // Linux inet_listen: the backlog is capped by net.core.somaxconn (a negative one too, as unsigned).
    const max = this.tcp.config.somaxconn;
    const b = !Number.isInteger(backlog) || backlog < 0 || backlog > max ? max : backlog;
    this.backlog = b;
    if (this.state === LISTEN) return 0;
    if (this.entry === null) {
      const e = this.tcp.bindPort(this, { family: this.domain === AF_INET ? 4 : 6, address: this.wildcard, port: 0, v6only: this.v6only, reuseAddr: this.reuseAddr, reusePort: this.reusePort });
      if (typeof e === 'number') return -EADDRINUSE;
    }
    // Linux inet_csk_listen_start: the port is checked again now that this socket listens.
    this.state = LISTEN;
    if (this.tcp.portConflict(this)) {
      this.state = CLOSED;
      return -EADDRINUSE;
    }
    this.state = CLOSED;
    setState(this, LISTEN);
    this.tcp.addListener(this);
    // Linux inet_listen: tcp_fastopen 0x400 gives every listener Fast Open, its queue the backlog.
    const fo = this.tcp.config.fastopen;
    if ((fo & TFO_SERVER_WO_SOCKOPT1) !== 0 && (fo & TFO_SERVER_ENABLE) !== 0 && this.fastopenMaxQlen === 0) this.fastopenMaxQlen = b;
    return 0;
  }

  accept(): { sock: KernelSocket; peer: SockAddr } | number {
    if (this.released) return -EBADF;
    if (this.state !== LISTEN) return -EINVAL;
    if (this.acceptQueue.length === 0) return -EAGAIN;
    const c = this.acceptQueue.shift()!;
    c.parent = null;
    c.sockState = 'connected';
    c.setTimersRef(true);
    return { sock: c, peer: c.peerAddr() };
  }

  // ---- connect ------------------------------------------------------------------------------------

  connect(addr: SockAddr): number {
    this.inCall++;
    try { return this.connectImpl(addr, false); } finally { this.inCall--; }
  }

  /** Linux __inet_stream_connect (non-blocking); `sendmsg`: on behalf of a Fast Open send (no address: the one connect() gave). */
  private connectImpl(addr: SockAddr | undefined, sendmsg: boolean): number {
    if (this.released) return -EBADF;
    switch (this.sockState) {
      case 'connected':
        return -EISCONN;
      case 'connecting':
        // RFC 7413 / Linux: a connect() deferred by TCP_FASTOPEN_CONNECT waits for the first write.
        if (this.deferConnect) return sendmsg ? -EINPROGRESS : -EISCONN;
        if (this.state === SYN_SENT || this.state === SYN_RECEIVED) return -EALREADY;
        if (this.state === CLOSED) {
          const e = this.err;
          this.err = 0;
          this.sockState = 'unconnected';
          return e !== 0 ? -e : -ECONNABORTED;
        }
        this.sockState = 'connected';
        return 0;
    }
    if (this.state !== CLOSED) return -EISCONN;
    if (addr === undefined) return -EINVAL;
    if (addr.family === 'unix') return -EAFNOSUPPORT;
    const w = this.wireAddr(addr, false);
    if (typeof w === 'number') return w;
    const tcp = this.tcp;
    let dst = w.address;
    // Linux: connecting to the unspecified address means this host.
    if (dst === '0.0.0.0') dst = '127.0.0.1';
    else if (dst === '::') dst = '::1';
    // A socket bound to a specific address keeps it as the source (and its family).
    let bound = '';
    if (this.entry !== null) {
      const a = this.entry.address;
      const v4 = unmapped(a);
      const ba = v4 ?? a;
      if (ba !== '0.0.0.0' && ba !== '::') {
        if ((ba.indexOf(':') < 0 ? 4 : 6) !== w.family) return -EAFNOSUPPORT;
        bound = ba;
      } else if (this.domain === AF_INET6 && this.v6only && w.family === 4) return -ENETUNREACH;
    }
    // A link-local IPv6 peer is reached through the interface its scope id names.
    const ifindex = w.family === 6 && addr.family === 6 && addr.scopeid !== undefined && addr.scopeid > 0 ? addr.scopeid : 0;
    const ropts = bound !== '' || ifindex !== 0 ? { ...(bound !== '' ? { src: bound } : {}), ...(ifindex !== 0 ? { ifindex } : {}) } : undefined;
    const route = tcp.ip.route(w.family, dst, ropts);
    if (typeof route === 'number') return route;
    // Linux tcp_v4_connect: no connections to broadcast or multicast addresses.
    if (route.type === 'broadcast' || route.type === 'multicast') return -ENETUNREACH;
    this.family = w.family;
    const local = tcp.addr(bound !== '' ? bound : route.src);
    const remote = tcp.addr(dst);
    this.localAddr = local.addr;
    this.remoteAddr = remote.addr;
    this.remotePort = addr.port;
    this.localBytes = local.bytes;
    this.remoteBytes = remote.bytes;
    if (this.entry === null) {
      const r = tcp.connectPort(this);
      if (r < 0) { this.remoteAddr = ''; this.remotePort = 0; return r; }
    } else {
      this.localPort = this.entry.port;
      if (tcp.lookupConn(this.localAddr, this.localPort, dst, addr.port) !== null) {
        this.remoteAddr = '';
        this.remotePort = 0;
        return -EADDRNOTAVAIL;
      }
    }
    this.csumOffload = route.type === 'local' && tcp.config.loopbackChecksumOffload;
    this.outOpts = ifindex !== 0 ? { dontFragment: true, ifindex } : null;
    this.gsoOk = route.gso === true;
    prepareActive(this, route.mtu);
    this.writeSeq = this.sndNxt;
    setState(this, SYN_SENT);
    tcp.hash(this);
    this.sockState = 'connecting';
    this.err = 0;
    this.rcvShutdown = false;
    this.sndShutdown = false;
    if (deferConnect(this)) {
      this.deferConnect = true;
      return 0;
    }
    tcpConnect(this);
    return -EINPROGRESS;
  }

  /**
   * Linux tcp_sendmsg_fastopen: a send that opens the connection (MSG_FASTOPEN, or the first write
   * after a deferred connect()): the SYN carries what of `data` fits (RFC 7413 §4.2.1). Returns the
   * connect's result (-EINPROGRESS while the handshake runs) and the bytes the SYN took.
   */
  private sendFastopen(data: Uint8Array | null, addr: SockAddr | undefined): { err: number; copied: number } {
    if ((this.tcp.config.fastopen & TFO_CLIENT_ENABLE) === 0 || (addr !== undefined && addr.family !== 'unix' && addr.address === '')) {
      return { err: -EOPNOTSUPP, copied: 0 };
    }
    if (this.fastopenReq !== null) return { err: -EALREADY, copied: 0 }; // another Fast Open is in progress
    const req = { cookie: { len: 0, val: EMPTY, exp: false }, data: data ?? EMPTY, copied: 0, fault: data === null };
    this.fastopenReq = req;
    if (this.deferConnect) tcpConnect(this);
    const err = this.connectImpl(addr, true);
    let copied = 0;
    if (this.fastopenReq === req) {
      copied = req.copied;
      this.fastopenReq = null;
      this.deferConnect = false;
    }
    return { err, copied };
  }

  // ---- data ---------------------------------------------------------------------------------------

  read(max: number, flags = 0): Uint8Array | number {
    this.inCall++;
    try { return this.readImpl(max, flags); } finally { this.inCall--; }
  }

  private readImpl(max: number, flags: number): Uint8Array | number {
    if (this.released) return -EBADF;
    if (this.state === LISTEN) return -ENOTCONN;
    if (this.recvQ.bytes > 0) {
      if (!(max > 0)) return EMPTY;
      // Linux tcp_recvmsg with MSG_PEEK: a copy, nothing consumed, no window update.
      if ((flags & MSG_PEEK) !== 0) return this.recvQ.peek(max);
      const out = this.recvQ.read(max);
      this.consumed(out.length);
      return out;
    }
    // Linux tcp_recvmsg with nothing queued: EOF after FIN, then a pending error, then EOF after
    // shutdown, ENOTCONN when closed, else EAGAIN.
    if (this.finRcvd) return EMPTY;
    if (this.err !== 0) {
      const e = this.err;
      if ((flags & MSG_PEEK) === 0) this.err = 0;
      return -e;
    }
    if (this.rcvShutdown) return EMPTY;
    if (this.state === CLOSED) return -ENOTCONN;
    return -EAGAIN;
  }

  /** The application took `n` bytes: auto-tune the buffer, maybe announce the larger window. */
  private consumed(n: number): void {
    this.rcvCopied += n;
    this.rcvSpaceAdjust();
    const st = this.state;
    if (st === CLOSED || st === LISTEN || st === SYN_SENT || st === SYN_RECEIVED || st === TIME_WAIT) return;
    cleanupRbuf(this, n); // Linux tcp_recvmsg -> __tcp_cleanup_rbuf: an ACK or window update now?
  }

  /**
   * Receive-buffer auto-tuning (Linux tcp_rcv_space_adjust, tcp_moderate_rcvbuf): once per
   * receiver RTT, if the application read more than the current estimate, the buffer grows to
   * hold twice that plus 16 segments, up to tcp_rmem[2]. While the clock stands still (a virtual
   * clock on loopback, where the RTT is zero) the amount read is the clock: the estimate is
   * checked at every read.
   */
  private rcvSpaceAdjust(): void {
    const c = this.tcp.config;
    if (!c.moderateRcvbuf || this.rcvbufLocked) return;
    const now = this.tcp.sched.now();
    const elapsed = now - this.rcvSpaceTime;
    if (elapsed > 0) {
      const rtt = this.rcvRtt >= 0 ? this.rcvRtt : this.srtt;
      if (elapsed < rtt) return;
    } else if (this.rcvCopied <= this.rcvSpace) {
      return;
    }
    if (this.rcvCopied > this.rcvSpace) {
      const space = this.rcvCopied;
      const rcvwin = 2 * space + 16 * this.advMss;
      const want = Math.min(2 * rcvwin, c.rmem[2]);
      if (want > this.rcvbuf) this.rcvbuf = want;
      this.rcvSpace = space;
    }
    this.rcvCopied = 0;
    this.rcvSpaceTime = now;
  }

  write(data: Uint8Array): number {
    this.inCall++;
    try { return this.writeImpl(data); } finally { this.inCall--; }
  }

  private writeImpl(data: Uint8Array): number {
    if (this.released) return -EBADF;
    if (this.deferConnect) return this.sendmsgImpl(data, undefined, 0);
    const e = this.sendable();
    if (e < 0) return e;
    if (data.length === 0) return 0;
    const from = this.writeStart();
    const n = this.queue(data, false);
    if (n === 0) return -EAGAIN;
    if (this.tsFlags !== 0) tstampWrite(this, this.writeSeq);
    this.markPush(from);
    transmit(this);
    return n;
  }

  /** Whether data may be queued now (Linux tcp_sendmsg_locked's checks, sk_stream_wait_connect non-blocking): 0 or -errno. */
  private sendable(): number {
    const st = this.state;
    // A Fast Open child may send before its SYN-ACK is acknowledged (RFC 7413 §4.2.2).
    if (st !== ESTABLISHED && st !== CLOSE_WAIT && !this.fastopenRsk) {
      if (this.err !== 0) return -this.takeError();
      if (st !== SYN_SENT && st !== SYN_RECEIVED) return -EPIPE;
      return -EAGAIN;
    }
    if (this.err !== 0) return -this.takeError();
    if (this.sndShutdown) return -EPIPE;
    return 0;
  }

  /**
   * Copies data into the send queue as Linux tcp_sendmsg_locked does; the bytes taken (0: full).
   * The unsent tail chunk fills up to the size goal; a new chunk begins only while the queue holds
   * less than the send buffer and fewer unsent bytes than the not-sent limit
   * (sk_stream_memory_free, tcp_stream_memory_free), and is then filled whole, so a write may
   * overshoot SO_SNDBUF by up to a chunk as in Linux. A chunk filled at the head of what is unsent
   * goes out at once (tcp_push_one), before the rest is copied.
   */
  private queue(data: Uint8Array, zc: boolean): number {
    const q = this.sendQ;
    const len = data.length;
    const lowat = this.notsentLimit();
    let done = 0;
    while (done < len) {
      const goal = sizeGoal(this);
      let room = this.tailRoom(goal, zc);
      if (room <= 0) {
        if (q.wmem >= this.sndbuf || q.unsentBytes >= lowat) break;
        room = goal;
      }
      const k = room < len - done ? room : len - done;
      q.append(data, done, k, this.writeSeq, goal, this.tcp.mem, zc);
      this.writeSeq = seqAdd(this.writeSeq, k);
      done += k;
      if (done < len && q.skbs[q.skbs.length - 1]!.len >= goal) {
        // Linux tcp_sendmsg_locked, a full chunk with more to copy: forced_push (more than half the
        // peer's largest window since the last PSH) marks it and pushes; else tcp_push_one for the head.
        if (seqGt(this.writeSeq, seqAdd(this.pushedSeq, this.maxSndWnd >>> 1))) {
          q.skbs[q.skbs.length - 1]!.psh = true;
          this.pushedSeq = this.writeSeq;
          transmit(this);
        } else if (q.sendIdx === q.skbs.length - 1) transmit(this);
      }
    }
    if (done < len) this.noSpace = true;
    return done;
  }

  /** Bytes the unsent tail chunk can still take (Linux tcp_sendmsg_locked's `copy`); 0 when a new chunk is needed. */
  private tailRoom(goal: number, zc: boolean): number {
    const q = this.sendQ;
    const tail = q.sendIdx < q.skbs.length ? q.skbs[q.skbs.length - 1]! : undefined;
    return tail !== undefined && !tail.eor && !tail.fin && !(zc && tail.frags >= MAX_SKB_FRAGS) ? goal - tail.len : 0;
  }

  /**
   * A send from a buffer that cannot be read (a NULL pointer; Linux tcp_sendmsg_locked): a Fast
   * Open still connects, its SYN a cookie request without data (-EINPROGRESS); otherwise the checks
   * before the copy keep their errors (EPIPE, a pending error, EAGAIN with no room), and the copy
   * fails with -EFAULT, nothing queued.
   */
  sendFault(addr?: SockAddr, flags = 0): number {
    this.inCall++;
    try {
      if (this.released) return -EBADF;
      if ((flags & MSG_FASTOPEN) !== 0 || this.deferConnect) {
        const r = this.sendFastopen(null, addr);
        if (r.err !== 0) return r.err;
      }
      const e = this.sendable();
      if (e < 0) return e;
      const q = this.sendQ;
      const zc = (flags & MSG_ZEROCOPY) !== 0 && this.zerocopy;
      if (this.tailRoom(sizeGoal(this), zc) <= 0 && (q.wmem >= this.sndbuf || q.unsentBytes >= this.notsentLimit())) {
        this.noSpace = true;
        return -EAGAIN;
      }
      return -EFAULT;
    } finally { this.inCall--; }
  }

  /** TCP_NOTSENT_LOWAT, else the tcp_notsent_lowat sysctl (Linux tcp_notsent_lowat). */
  notsentLimit(): number {
    return this.notsentLowat !== 0 ? this.notsentLowat : this.tcp.config.notsentLowat;
  }

  /**
   * Where a write (or a sendmsg's pieces) starts filling the queue: the unsent tail chunk, which
   * loses the PSH of an earlier write (Linux tcp_sendmsg_locked), or the next one. For markPush.
   */
  private writeStart(): number {
    const q = this.sendQ;
    if (q.sendIdx < q.skbs.length && !q.skbs[q.skbs.length - 1]!.eor) {
      q.skbs[q.skbs.length - 1]!.psh = false;
      return q.skbs.length - 1;
    }
    return q.skbs.length;
  }

  /**
   * PSH marks (Linux tcp_mark_push): on a chunk filled to the size goal more than half the
   * peer's largest window after the last mark (forced_push), and on the last chunk of the write
   * (tcp_push) unless MSG_MORE said more is coming. `from` is the index of the first chunk the
   * write filled (writeStart).
   */
  private markPush(from: number, more = false): void {
    const q = this.sendQ;
    const goal = sizeGoal(this);
    const half = this.maxSndWnd >>> 1;
    const last = q.skbs.length - 1;
    for (let i = from; i < last; i++) {
      const c = q.skbs[i]!;
      if (c.len >= goal && seqGt(c.end, seqAdd(this.pushedSeq, half))) {
        c.psh = true;
        this.pushedSeq = c.end;
      }
    }
    if (last < 0) return;
    if (more && !seqGt(this.writeSeq, seqAdd(this.pushedSeq, half))) return;
    q.skbs[last]!.psh = true;
    this.pushedSeq = this.writeSeq;
  }

  /** A caller waits to write (host.sys.watch's `writer`; Linux sk_write_pending). */
  waitWrite(on: boolean): void {
    this.writePending = on ? this.writePending + 1 : Math.max(0, this.writePending - 1);
  }

  /** Returns and clears the pending error (SO_ERROR, sock_error). */
  takeError(): number {
    const e = this.err;
    this.err = 0;
    return e;
  }

  /** sendto / sendmsg: the address is used only by a Fast Open send (MSG_FASTOPEN); `flags` are Linux's MSG_* bits. */
  sendto(data: Uint8Array | readonly Uint8Array[], addr?: SockAddr, flags = 0): number {
    this.inCall++;
    try { return this.sendmsgImpl(data, addr, flags); } finally { this.inCall--; }
  }

  private sendmsgImpl(data: Uint8Array | readonly Uint8Array[], addr: SockAddr | undefined, flags: number): number {
    if (this.released) return -EBADF;
    let copiedSyn = 0;
    // MSG_ZEROCOPY counts only on a socket with SO_ZEROCOPY (Linux tcp_sendmsg_locked).
    const zc = (flags & MSG_ZEROCOPY) !== 0 && this.zerocopy;
    if ((flags & MSG_FASTOPEN) !== 0 || this.deferConnect) {
      // Linux tcp_sendmsg_locked: a Fast Open first; if it is still connecting, what the SYN took is the result.
      const one = data instanceof Uint8Array ? data : Buffer.concat(data as Uint8Array[]);
      const r = this.sendFastopen(one, addr);
      if (r.err === -EINPROGRESS && r.copied > 0) {
        if (zc) zerocopySent(this, this.writeSeq);
        return r.copied;
      }
      if (r.err !== 0) return r.err;
      copiedSyn = r.copied;
      data = copiedSyn > 0 ? one.subarray(copiedSyn) : one;
    }
    // MSG_MORE: more is coming, hold a partial segment as TCP_CORK would (Linux tcp_push's
    // TCP_NAGLE_CORK), no PSH. MSG_EOR: the data ends a record; nothing is added to it later.
    const more = (flags & MSG_MORE) !== 0;
    const eor = (flags & MSG_EOR) !== 0;
    if (data instanceof Uint8Array && !zc && !more && !eor && copiedSyn === 0) return this.writeImpl(data);
    const pieces = data instanceof Uint8Array ? [data] : data;
    const e = this.sendable();
    if (e < 0) return copiedSyn > 0 ? copiedSyn : e;
    // All the pieces are queued, then sent at once (Linux pushes at the end of the call).
    let total = 0;
    let size = 0;
    const from = this.writeStart();
    for (const d of pieces) {
      size += d.length;
      if (d.length === 0) continue;
      const n = this.queue(d, zc);
      total += n;
      if (n < d.length) break;
    }
    if (total === 0 && size > 0 && copiedSyn === 0) return -EAGAIN;
    if (eor && total === size) { const t = this.sendQ.last(); if (t !== undefined) t.eor = true; }
    if (total > 0) {
      if (this.tsFlags !== 0) tstampWrite(this, this.writeSeq);
      this.markPush(from, more);
      this.moreCork = more;
      transmit(this);
      this.moreCork = false;
    }
    if (zc && total + copiedSyn > 0) zerocopySent(this, this.writeSeq);
    return total + copiedSyn;
  }

  /**
   * recvmsg(): MSG_ERRQUEUE takes the oldest error-queue message (Linux ip_recv_error /
   * ipv6_recv_error: no data, one IP_RECVERR / IPV6_RECVERR control message, MSG_ERRQUEUE set);
   * otherwise recvfrom's data.
   */
  recvmsg(max: number, flags: number): Msghdr | number {
    if (this.released) return -EBADF;
    if ((flags & MSG_ERRQUEUE) !== 0) {
      if (this.errQueue.length === 0) return -EAGAIN;
      const m = this.errQueue.shift()!;
      const v6 = this.domain === AF_INET6;
      const control: ControlMessage[] = [...(m.control ?? []),
        { level: v6 ? 'IPPROTO_IPV6' : 'IPPROTO_IP', type: v6 ? 'IPV6_RECVERR' : 'IP_RECVERR', data: m.ee }];
      notify(this); // POLLERR may be over
      // Linux sock_recv_errqueue: the message's data as far as the buffer takes it, MSG_TRUNC past that.
      const d = m.data ?? EMPTY;
      return { data: d.length > max ? d.subarray(0, Math.max(0, max)) : d, control, flags: MSG_ERRQUEUE | (d.length > max ? MSG_TRUNC : 0) };
    }
    const r = this.recvfrom(max, flags);
    if (typeof r === 'number') return r;
    // Linux tcp_recvmsg: with TCP_INQ, a TCP_CM_INQ message says what is left to read.
    const control: ControlMessage[] = this.recvmsgInq ? [{ level: 'IPPROTO_TCP', type: 'TCP_CM_INQ', data: this.inqHint() }] : [];
    return { data: r.data, from: r.from, control, flags: 0 };
  }

  /**
   * Linux tcp_inq_hint: bytes received in order and not read (RCV.NXT - copied_seq), plus one
   * once the peer's FIN came (its sequence number; after it was read, SOCK_DONE's 1), so that
   * the reader goes on to see the end.
   */
  inqHint(): number {
    return this.recvQ.bytes + (this.finRcvd ? 1 : 0);
  }

  /** Linux ip_dont_fragment: DF only with IP_PMTUDISC_WANT or _DO (an IPv6 source never fragments a TCP packet). */
  dontFragment(): boolean {
    if (this.family === 6) return true;
    return this.pmtudisc === IP_PMTUDISC_WANT || this.pmtudisc === IP_PMTUDISC_DO;
  }

  /** Linux ip_sk_accept_pmtu, tcp_v4_mtu_reduced: a path MTU learned counts unless IP_PMTUDISC_DONT, _INTERFACE or _OMIT. */
  acceptsPmtu(): boolean {
    const d = this.family === 6 ? this.pmtudisc6 : this.pmtudisc;
    return d !== IP_PMTUDISC_DONT && d !== IP_PMTUDISC_INTERFACE && d !== IP_PMTUDISC_OMIT;
  }

  recvfrom(max: number, flags = 0): Datagram | number {
    const r = this.read(max, flags);
    if (typeof r === 'number') return r;
    return { data: r, from: this.peerAddr() };
  }

  // ---- shutdown / close ---------------------------------------------------------------------------

  shutdown(how: number): number {
    this.inCall++;
    try { return this.shutdownImpl(how); } finally { this.inCall--; }
  }

  private shutdownImpl(how: number): number {
    if (this.released) return -EBADF;
    if (how !== 0 && how !== 1 && how !== 2) return -EINVAL;
    const rd = how !== 1;
    const wr = how !== 0;
    // Linux inet_shutdown.
    if (this.sockState === 'connecting' && this.state !== SYN_SENT && this.state !== SYN_RECEIVED && this.state !== CLOSED) {
      this.sockState = 'connected';
    }
    let ret = 0;
    switch (this.state) {
      case CLOSED:
        ret = -ENOTCONN;
        if (rd) this.rcvShutdown = true;
        if (wr) this.sndShutdown = true;
        break;
      case LISTEN:
        if (!rd) break;
        this.disconnect();
        break;
      case SYN_SENT:
        this.disconnect();
        break;
      default:
        if (rd) this.rcvShutdown = true;
        if (wr) {
          this.sndShutdown = true;
          this.closeState();
        }
    }
    notify(this);
    return ret;
  }

  /**
   * Linux tcp_close_state + tcp_send_fin: the state after our side closes, queuing a FIN when
   * the table says so (RFC 9293 §3.10.4 CLOSE).
   */
  private closeState(): void {
    switch (this.state) {
      case ESTABLISHED:
      case SYN_RECEIVED:
        setState(this, FIN_WAIT_1);
        this.queueFin();
        break;
      case CLOSE_WAIT:
        setState(this, LAST_ACK);
        this.queueFin();
        break;
      case SYN_SENT:
        done(this);
        break;
    }
  }

  private queueFin(): void {
    if (this.finSeq >= 0) return;
    this.finSeq = this.writeSeq;
    this.sendQ.appendFin(this.writeSeq);
    this.writeSeq = seqAdd(this.writeSeq, 1);
    transmit(this);
  }

  /** Linux tcp_disconnect: abort (RST where the state calls for it) and back to a fresh CLOSED socket. */
  private disconnect(): void {
    const st = this.state;
    fastopenChildDone(this);
    this.fastopenReq = null;
    this.deferConnect = false;
    this.fastopenClientFail = 0;
    if (st === LISTEN) {
      this.stopListening();
    } else if (needReset(st)) {
      sendActiveReset(this);
      this.err = ECONNRESET;
      done(this);
    } else if (st === SYN_SENT) {
      this.err = ECONNRESET;
      done(this);
    } else if (st !== CLOSED) {
      done(this);
    }
    this.sockState = 'unconnected';
  }

  /** Linux inet_csk_listen_stop: queued connections are reset, half-open ones dropped. */
  private stopListening(): void {
    this.tcp.removeListener(this);
    setState(this, CLOSED);
    for (const c of this.acceptQueue) {
      c.orphan = true;
      c.parent = null;
      if (needReset(c.state)) sendActiveReset(c);
      done(c);
    }
    this.acceptQueue = noItems();
    for (const c of [...this.synQueue]) {
      c.orphan = true;
      done(c);
    }
    this.synQueue.clear();
    this.synYoung = 0;
    if (!this.portLocked || this.released) this.tcp.releasePort(this);
  }

  close(): void {
    if (this.released) return;
    this.released = true;
    this.onReady = null;
    const st = this.state;
    if (st === LISTEN) {
      this.stopListening();
      this.orphan = true;
      this.tcp.releasePort(this);
      return;
    }
    // Linux tcp_close.
    this.orphan = true;
    this.setTimersRef(false);
    this.rcvShutdown = true;
    this.sndShutdown = true;
    if (st === CLOSED) {
      this.tcp.releasePort(this);
      return;
    }
    if (st === TIME_WAIT) return; // TIME-WAIT runs its course
    const unread = this.recvQ.bytes > 0;
    this.recvQ.clear();
    if (unread) {
      // RFC 2525 §2.17 / RFC 9293 §3.10.4 note: closing with unread data aborts the connection.
      this.tcp.stats.TCPAbortOnClose++;
      this.tcp.abortConnection(this, 0);
      return;
    }
    if (this.lingerOn && this.lingerSecs === 0) {
      // SO_LINGER {1, 0}: abortive close.
      this.tcp.stats.TCPAbortOnLinger++;
      if (needReset(st)) sendActiveReset(this);
      done(this);
      return;
    }
    this.closeState();
    if (this.state === FIN_WAIT_2) this.closeTimer.after(this.tcp.config.finTimeoutMs);
  }

  /** Linux tcp_ioctl: SIOCINQ (unread bytes; FIN not counted), SIOCOUTQ (write_seq - snd_una), SIOCOUTQNSD (write_seq - snd_nxt). */
  ioctl(request: IoctlRequest): number {
    if (this.released) return -EBADF;
    const st = this.state;
    if (st === LISTEN) return -EINVAL;
    if (st === SYN_SENT || st === SYN_RECEIVED) return 0;
    switch (request) {
      case 'SIOCINQ': return this.recvQ.bytes;
      case 'SIOCOUTQ': return st === CLOSED ? this.sendQ.bytes : seqSub(this.writeSeq, this.sndUna);
      case 'SIOCOUTQNSD': return st === CLOSED ? this.sendQ.unsentBytes : seqSub(this.writeSeq, this.sndNxt);
    }
    return -ENOTTY;
  }

  // ---- readiness ----------------------------------------------------------------------------------

  /**
   * Linux __sk_stream_is_writeable(sk, 1): free space at least half of what is queued (in
   * truesize, sk_wmem_queued), and (tcp_stream_memory_free) twice the unsent bytes below the
   * not-sent limit.
   */
  writable(): boolean {
    const q = this.sendQ.wmem;
    if (this.sndbuf - q < q >> 1) return false;
    const lowat = this.notsentLimit();
    return lowat === UINT_MAX || this.sendQ.unsentBytes * 2 < lowat;
  }

  /** Linux tcp_poll. */
  readiness(): number {
    const st = this.state;
    if (st === LISTEN) return this.acceptQueue.length > 0 ? POLLIN : 0;
    let m = 0;
    if ((this.rcvShutdown && this.sndShutdown) || st === CLOSED) m |= POLLHUP;
    if (this.rcvShutdown) m |= POLLIN | POLLRDHUP;
    if (st !== SYN_SENT && (st !== SYN_RECEIVED || this.fastopenRsk)) {
      if (this.recvQ.bytes > 0) m |= POLLIN;
      if (this.sndShutdown || this.writable()) m |= POLLOUT;
      else this.noSpace = true;
    } else if (st === SYN_SENT && this.deferConnect) {
      // Linux tcp_poll: a deferred Fast Open connect is writable, so that the application writes the SYN's data.
      m |= POLLOUT;
    }
    if (this.err !== 0 || this.errQueue.length > 0) m |= POLLERR;
    return m;
  }

  // ---- names --------------------------------------------------------------------------------------

  getsockname(): SockAddr | number {
    if (this.released) return -EBADF;
    return this.sockAddr();
  }

  getpeername(): SockAddr | number {
    if (this.released) return -EBADF;
    const st = this.state;
    if (st === CLOSED || st === SYN_SENT || st === LISTEN || st === TIME_WAIT || this.remoteAddr === '') return -ENOTCONN;
    return this.peerAddr();
  }

  // ---- options ------------------------------------------------------------------------------------

  setsockopt(level: SockoptLevel, name: string, value: number | boolean | string | Uint8Array | object): number {
    this.inCall++;
    try { return this.released ? -EBADF : setOption(this, level, name, value); } finally { this.inCall--; }
  }

  getsockopt(level: SockoptLevel, name: string): unknown {
    if (this.released) return -EBADF;
    return getOption(this, level, name);
  }

  /** TCP_INFO for this socket. */
  info(): TcpInfo { return tcpInfo(this); }

  /** SO_KEEPALIVE: arms or stops the keep-alive timer. */
  setKeepalive(on: boolean): void {
    if (on === this.keepalive) return;
    this.keepalive = on;
    const st = this.state;
    if (on && st !== CLOSED && st !== LISTEN && st !== SYN_SENT && st !== SYN_RECEIVED && st !== TIME_WAIT) this.keepaliveTimer.after(this.keepIdle);
    else if (!on) this._keepaliveTimer?.stop();
  }

  /** Sends what Nagle or the cork held back (Linux tcp_push_pending_frames). */
  push(uncork = false): void {
    const st = this.state;
    if (st === ESTABLISHED || st === CLOSE_WAIT || st === FIN_WAIT_1 || st === CLOSING || st === LAST_ACK) transmit(this, uncork);
  }

  // ---- internal -----------------------------------------------------------------------------------

  /** A child takes its listener's options (Linux inet_csk_clone_lock). */
  inheritFrom(l: TcpSocket): void {
    this.nodelay = l.nodelay;
    this.cork = l.cork;
    this.keepalive = l.keepalive;
    this.keepIdle = l.keepIdle;
    this.keepIntvl = l.keepIntvl;
    this.keepCnt = l.keepCnt;
    this.userTimeout = l.userTimeout;
    this.userMss = l.userMss;
    this.lingerOn = l.lingerOn;
    this.lingerSecs = l.lingerSecs;
    this.reuseAddr = l.reuseAddr;
    this.reusePort = l.reusePort;
    this.v6only = l.v6only;
    this.rcvbuf = l.rcvbuf;
    this.sndbuf = l.sndbuf;
    this.rcvbufLocked = l.rcvbufLocked;
    this.zerocopy = l.zerocopy;
    this.mark = l.mark;
    this.tsFlags = l.tsFlags;
    this.sndbufLocked = l.sndbufLocked;
    this.notsentLowat = l.notsentLowat;
    this.recvmsgInq = l.recvmsgInq;
    this.ipTos = l.ipTos;
    this.tclass = l.tclass;
    this.pmtudisc = l.pmtudisc;
    this.pmtudisc6 = l.pmtudisc6;
    if (l.ccName !== this.ccName) {
      this.ccName = l.ccName;
      this.cc = createCongestionControl(this.ccName, this.tcp.config);
    }
  }

  /** Whether the connection's timers keep the network clock running (not once orphaned; keep-alive never does). */
  setTimersRef(on: boolean): void {
    this.timersRefed = on;
    for (const t of [this._rtxTimer, this._persistTimer, this._delackTimer, this._closeTimer]) {
      if (t === null) continue;
      if (on) t.refed = true;
      else t.unref();
    }
  }

  /** Whether the descriptor was closed. */
  get isReleased(): boolean { return this.released; }
}

