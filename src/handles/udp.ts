// The datagram handle: what Node's UDPWrap (with libuv's uv_udp_t) is to dgram.Socket, on top
// of host.sys. Results are libuv-style: 0 or a negative errno.
//
//   const h = new UdpHandle(loop, 4);            // 'udp4' (6 for 'udp6'); no socket yet
//   h.bind('0.0.0.0', 41234, flags)              // the socket is made on first use (libuv's deferred bind)
//   h.onmessage = (nread, handle, buf, rinfo) => ...; h.recvStart();
//   h.send(req, [buf], 1, port, ip, hasCb)       // msg_size + 1 when sent at once, else 0 and
//                                                // req.oncomplete(status, sent) later
//
// Every callback (onmessage, oncomplete, close) runs from a Scheduler event of its own, never
// inside the caller's call, one received datagram per event so that process.nextTick and
// microtasks run between two 'message' events as they do in Node. A receiving handle (or one
// with sends queued) keeps the process alive unless unref()'d, as an active uv handle does.
import { AsyncResource } from 'node:async_hooks';
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import type { RefCounter, Scheduler, Timer } from '../links/clock.js';
import { EAFNOSUPPORT, EAGAIN, EBADF, EDESTADDRREQ, EINVAL, EISCONN, ENOTCONN } from '../uapi/errno.js';
import { AF_INET, AF_INET6, POLLIN, POLLOUT, SOCK_DGRAM, type InetAddr } from '../uapi/socket.js';
import type { SocketCalls } from '../sys/types.js';
import { parseIPv4, parseIPv6 } from '../wire/addr.js';
import { UV_EEXIST } from './stream.js';
import { fdWatched, watchFd } from './watchers.js';

/** libuv uv_udp_flags. */
export const UV_UDP_IPV6ONLY = 1;
export const UV_UDP_REUSEADDR = 4;
/** libuv 1.49: SO_REUSEPORT (Node 22.12+ dgram reusePort). */
export const UV_UDP_REUSEPORT = 64;
/** libuv's code for requests cut short by close(). */
export const UV_ECANCELED = -((osConstants.errno as Record<string, number>).ECANCELED ?? 125);
/** Bytes asked for per receive, like libuv's 64 KiB buffers. */
const RECV_SIZE = 65536;
const EBUSY = (osConstants.errno as Record<string, number>).EBUSY ?? 16;
const UV_EALREADY = -((osConstants.errno as Record<string, number>).EALREADY ?? 114);

/** What a datagram handle runs on: the host's socket calls, the scheduler, interface names. */
export interface UdpLoop {
  readonly sys: SocketCalls;
  readonly sched: Scheduler;
  /** Interface index of a name ('eth0'), 0 when unknown (if_nametoindex). */
  ifindex?(name: string): number;
  /** Interface name of an index, for link-local addresses ('fe80::1%eth0'). */
  ifname?(index: number): string | undefined;
}

/** The sender's address as Node's 'message' rinfo carries it (size is added by dgram). */
export interface RecvInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
  size?: number;
}

/** What getsockname()/getpeername() fill in. */
export interface AddressOut {
  address?: string;
  family?: string;
  port?: number;
}

/** A send request (Node's SendWrap). */
export class SendWrap {
  list: Uint8Array[] = [];
  address: string | undefined = undefined;
  port: number | undefined = undefined;
  callback: ((err: Error | null, sent?: number) => void) | null = null;
  oncomplete: ((this: SendWrap, status: number, sent: number) => void) | null = null;
}

/** Context a failed bufferSize() fills in, for ERR_SOCKET_BUFFER_SIZE. */
export interface BufferSizeContext {
  errno?: number;
  code?: string;
  message?: string;
  syscall?: string;
}

interface PendingSend {
  req: SendWrap;
  list: Uint8Array[];
  addr: InetAddr | undefined;
  size: number;
  hasCallback: boolean;
  /** null while waiting for the socket; then 0 or a negative errno. */
  status: number | null;
}

let asyncIds = 1;

export class UdpHandle {
  /** The sys descriptor; -1 until the socket exists (bind, connect, send, membership) and after close. */
  fd = -1;
  onmessage: ((nread: number, handle: UdpHandle, buf?: Buffer, rinfo?: RecvInfo) => void) | null = null;
  /** The JS object this handle serves (Node's owner_symbol). */
  owner: unknown = null;
  private readonly asyncId = asyncIds++;
  private connected = false;
  private receiving = false;
  private closed = false;
  private refed = true;
  private holding = false;
  private pumpTimer: Timer | null = null;
  private unwatchIn: (() => void) | null = null;
  private unwatchOut: (() => void) | null = null;
  private queue: PendingSend[] = [];
  private queueBytes = 0;
  private completeTimer: Timer | null = null;
  /** Node's --test-udp-no-try-send: every send goes through the request queue. */
  private readonly noTrySend = process.execArgv.includes('--test-udp-no-try-send');

  /** Async context of the handle: its callbacks run in the context it was created in, as Node's do. */
  private readonly resource = new AsyncResource('UDPWRAP', { requireManualDestroy: true });

  /** The program the handle holds alive besides the process (see StreamHandle). */
  private readonly refOwner: RefCounter | null;

  constructor(private readonly loop: UdpLoop, public family: 4 | 6) {
    this.refOwner = loop.sched.refOwner?.() ?? null;
  }

  /** Runs fn in the handle's async context; what it throws goes to the program that made the handle (see StreamHandle.inScope). */
  private inScope(fn: () => void): void {
    this.resource.runInAsyncScope(this.guard, this, fn);
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!this.loop.sched.raise(err)) throw err;
    }
  }

  getAsyncId(): number { return this.asyncId; }

  // ---- addresses ----------------------------------------------------------------------------

  /** uv_ip4_addr / uv_ip6_addr: text to a socket address (a '%zone' names the interface). */
  private sockaddr(ip: string, port: number): InetAddr | number {
    if (this.family === 4) {
      return parseIPv4(ip) === null ? -EINVAL : { family: 4, address: ip, port };
    }
    let addr = ip;
    let scopeid = 0;
    const pct = ip.indexOf('%');
    if (pct >= 0) {
      addr = ip.slice(0, pct);
      scopeid = this.loop.ifindex?.(ip.slice(pct + 1)) ?? 0;
    }
    if (parseIPv6(addr) === null) return -EINVAL;
    return { family: 6, address: addr, port, flowinfo: 0, scopeid };
  }

  /** Node's AddressToJS. */
  private fill(out: AddressOut, a: InetAddr): void {
    let address = a.address;
    if (a.family === 6 && a.scopeid && /^fe[89ab]/i.test(address)) {
      address += '%' + (this.loop.ifname?.(a.scopeid) ?? String(a.scopeid));
    }
    out.address = address;
    out.family = a.family === 6 ? 'IPv6' : 'IPv4';
    out.port = a.port;
  }

  /** The socket, made on first use (libuv uv__udp_maybe_deferred_bind without the bind). */
  private ensureSocket(): number {
    if (this.closed) return -EBADF;
    if (this.fd >= 0) return 0;
    const fd = this.loop.sys.socket(this.family === 4 ? AF_INET : AF_INET6, SOCK_DGRAM);
    if (fd < 0) return fd;
    this.fd = fd;
    return 0;
  }

  /** libuv's deferred bind: an unbound socket is bound to the wildcard address, port 0. */
  private maybeBind(flags = 0): number {
    if (this.fd >= 0) return 0;
    return this.bind(this.family === 4 ? '0.0.0.0' : '::', 0, flags);
  }

  // ---- bind and connect ------------------------------------------------------------------

  bind(ip: string, port: number, flags = 0): number {
    if (this.closed) return -EBADF;
    if (flags & ~(UV_UDP_IPV6ONLY | UV_UDP_REUSEADDR | UV_UDP_REUSEPORT)) return -EINVAL;
    if ((flags & UV_UDP_IPV6ONLY) && this.family !== 6) return -EINVAL;
    const a = this.sockaddr(ip, port);
    if (typeof a === 'number') return a;
    const e = this.ensureSocket();
    if (e < 0) return e;
    const sys = this.loop.sys;
    if (flags & UV_UDP_REUSEADDR) {
      const r = sys.setsockopt(this.fd, 'SOL_SOCKET', 'SO_REUSEADDR', 1);
      if (r < 0) return r;
    }
    if (flags & UV_UDP_REUSEPORT) {
      const r = sys.setsockopt(this.fd, 'SOL_SOCKET', 'SO_REUSEPORT', 1);
      if (r < 0) return r;
    }
    if (flags & UV_UDP_IPV6ONLY) {
      const r = sys.setsockopt(this.fd, 'IPPROTO_IPV6', 'IPV6_V6ONLY', 1);
      if (r < 0) return r;
    }
    const r = sys.bind(this.fd, a);
    return r === -EAFNOSUPPORT ? -EINVAL : r;
  }

  /** Adopts an existing descriptor of this host's sys (uv_udp_open). */
  open(fd: number): number {
    if (this.closed) return -EBADF;
    if (this.fd >= 0) return -EBUSY;
    if (fdWatched(this.loop.sys, fd)) return UV_EEXIST;
    if (typeof this.loop.sys.getsockname(fd) === 'number') return -EBADF;
    this.fd = fd;
    return 0;
  }

  /**
   * Node calls bind6 on 'udp6' handles; this handle knows its family already, except one made
   * family-less like Node's UDPWrap (register's internalBinding('udp_wrap').UDP): bind6 before
   * the socket exists makes it IPv6.
   */
  bind6(ip: string, port: number, flags = 0): number {
    if (this.fd < 0 && !this.closed) this.family = 6;
    return this.bind(ip, port, flags);
  }

  connect(ip: string, port: number): number {
    if (this.closed) return -EBADF;
    const a = this.sockaddr(ip, port);
    if (typeof a === 'number') return a;
    const b = this.maybeBind();
    if (b < 0) return b;
    const r = this.loop.sys.connect(this.fd, a);
    if (r < 0) return r;
    this.connected = true;
    return 0;
  }

  connect6(ip: string, port: number): number { return this.connect(ip, port); }

  disconnect(): number {
    if (this.closed) return -EBADF;
    if (!this.connected) return -ENOTCONN;
    const r = this.loop.sys.connect(this.fd, { family: this.family, address: '', port: 0 });
    if (r < 0 && r !== -EINVAL && r !== -EAFNOSUPPORT) return r;
    this.connected = false;
    return 0;
  }

  // ---- sending ------------------------------------------------------------------------------

  /**
   * send(req, list, count, port, ip, hasCallback) on an unconnected handle, or
   * send(req, list, count, hasCallback) on a connected one. Returns msg_size + 1 when the
   * datagram went out at once (uv_udp_try_send; Node then calls back on the next tick), 0 when
   * it went through the request queue (uv_udp_send: req.oncomplete follows from a later event),
   * or a negative errno.
   */
  send(req: SendWrap, list: readonly ArrayBufferView[], count: number, portOrCb?: number | boolean, ip?: string, hasCallback?: boolean): number {
    if (this.closed) return -EBADF;
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < count && i < list.length; i++) {
      const b = list[i]!;
      chunks.push(b instanceof Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    }
    let addr: InetAddr | undefined;
    let cb: boolean;
    if (typeof portOrCb === 'number' && ip !== undefined) {
      if (this.connected) return -EISCONN;
      const a = this.sockaddr(ip, portOrCb);
      if (typeof a === 'number') return a;
      addr = a;
      cb = hasCallback === true;
      const b = this.maybeBind();
      if (b < 0) return b;
    } else {
      if (!this.connected) return -EDESTADDRREQ;
      cb = portOrCb === true;
    }
    let size = 0;
    for (const c of chunks) size += c.length;
    if (this.queue.length === 0 && !this.noTrySend) {
      const r = this.loop.sys.sendto(this.fd, chunks.length === 1 ? chunks[0]! : chunks, addr);
      if (r >= 0) return size + 1;
      if (r !== -EAGAIN) return r;
    }
    // uv_udp_send: the request joins the queue; it counts in getSendQueueSize/Count until its
    // completion runs from a later event, even when the datagram left at once.
    req.list = chunks;
    this.queue.push({ req, list: chunks, addr, size, hasCallback: cb, status: null });
    this.queueBytes += size;
    this.sync();
    this.flush();
    return 0;
  }

  send6(req: SendWrap, list: readonly ArrayBufferView[], count: number, portOrCb?: number | boolean, ip?: string, hasCallback?: boolean): number {
    return this.send(req, list, count, portOrCb, ip, hasCallback);
  }

  /** Sends what the socket takes now; waits for POLLOUT for the rest; completions run later. */
  private flush(): void {
    let done = false;
    for (const p of this.queue) {
      if (p.status !== null) { done = true; continue; }
      const r = this.loop.sys.sendto(this.fd, p.list.length === 1 ? p.list[0]! : p.list, p.addr);
      if (r === -EAGAIN) {
        if (this.unwatchOut === null) this.unwatchOut = watchFd(this.loop.sys, this.fd, POLLOUT, () => { this.flush(); });
        break;
      }
      p.status = r < 0 ? r : 0;
      done = true;
    }
    if (this.queue.every((p) => p.status !== null) && this.unwatchOut) { this.unwatchOut(); this.unwatchOut = null; }
    if (done && this.completeTimer === null) this.completeTimer = this.loop.sched.after(0, this.complete);
  }

  /** uv__udp_run_completed: finished requests leave the queue and call back, in order. */
  private complete = (): void => {
    this.completeTimer = null;
    this.inScope(this.completeNow);
  };

  private completeNow = (): void => {
    while (this.queue.length > 0 && this.queue[0]!.status !== null) {
      const p = this.queue.shift()!;
      this.queueBytes -= p.size;
      if (p.hasCallback && p.req.oncomplete) p.req.oncomplete.call(p.req, p.status!, p.status! < 0 ? 0 : p.size);
    }
    this.sync();
  };

  getSendQueueSize(): number { return this.queueBytes; }
  getSendQueueCount(): number { return this.queue.length; }

  // ---- receiving ----------------------------------------------------------------------------

  recvStart(): number {
    if (this.closed) return -EBADF;
    if (this.receiving) return 0; // UV_EALREADY, which Node reports as success
    const b = this.maybeBind();
    if (b < 0) return b === UV_EALREADY ? 0 : b;
    this.receiving = true;
    this.unwatchIn = watchFd(this.loop.sys, this.fd, POLLIN, () => this.pumpSoon());
    this.sync();
    return 0;
  }

  recvStop(): number {
    if (!this.receiving) return 0;
    this.receiving = false;
    if (this.unwatchIn) { this.unwatchIn(); this.unwatchIn = null; }
    if (this.pumpTimer) { this.pumpTimer.cancel(); this.pumpTimer = null; }
    this.sync();
    return 0;
  }

  private pumpSoon(): void {
    if (this.pumpTimer !== null || !this.receiving) return;
    this.pumpTimer = this.loop.sched.after(0, this.pump);
  }

  /** One datagram (or one error) per Scheduler event, then another event while more wait. */
  private pump = (): void => {
    this.pumpTimer = null;
    this.inScope(this.pumpNow);
  };

  private pumpNow = (): void => {
    if (!this.receiving || this.closed) return;
    const r = this.loop.sys.recvfrom(this.fd, RECV_SIZE);
    if (typeof r === 'number') {
      if (r === -EAGAIN) return;
      this.pumpSoon();
      this.onmessage?.(r, this);
      return;
    }
    this.pumpSoon();
    const buf = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length);
    const rinfo: AddressOut = {};
    this.fill(rinfo, r.from as InetAddr);
    this.onmessage?.(buf.length, this, buf, rinfo as RecvInfo);
  };

  // ---- names --------------------------------------------------------------------------------

  getsockname(out: AddressOut): number {
    if (this.fd < 0) return -EBADF;
    const r = this.loop.sys.getsockname(this.fd);
    if (typeof r === 'number') return r;
    this.fill(out, r as InetAddr);
    return 0;
  }

  getpeername(out: AddressOut): number {
    if (this.fd < 0) return -EBADF;
    const r = this.loop.sys.getpeername(this.fd);
    if (typeof r === 'number') return r;
    this.fill(out, r as InetAddr);
    return 0;
  }

  // ---- options ------------------------------------------------------------------------------

  private opt(level: 'SOL_SOCKET' | 'IPPROTO_IP' | 'IPPROTO_IPV6', name: string, value: number | string | object): number {
    if (this.fd < 0) return -EBADF;
    return this.loop.sys.setsockopt(this.fd, level, name, value);
  }

  setBroadcast(on: number | boolean): number { return this.opt('SOL_SOCKET', 'SO_BROADCAST', on ? 1 : 0); }

  /** uv_udp_set_ttl: 1..255; IPV6_UNICAST_HOPS on an IPv6 socket. */
  setTTL(ttl: number): number {
    if (!(ttl >= 1 && ttl <= 255)) return -EINVAL;
    return this.family === 6 ? this.opt('IPPROTO_IPV6', 'IPV6_UNICAST_HOPS', ttl | 0) : this.opt('IPPROTO_IP', 'IP_TTL', ttl | 0);
  }

  /** uv_udp_set_multicast_ttl: 0..255. */
  setMulticastTTL(ttl: number): number {
    if (!(ttl >= 0 && ttl <= 255)) return -EINVAL;
    return this.family === 6 ? this.opt('IPPROTO_IPV6', 'IPV6_MULTICAST_HOPS', ttl | 0) : this.opt('IPPROTO_IP', 'IP_MULTICAST_TTL', ttl | 0);
  }

  setMulticastLoopback(on: number | boolean): number {
    return this.family === 6 ? this.opt('IPPROTO_IPV6', 'IPV6_MULTICAST_LOOP', on ? 1 : 0) : this.opt('IPPROTO_IP', 'IP_MULTICAST_LOOP', on ? 1 : 0);
  }

  /** uv_udp_set_multicast_interface: an IPv4 address, or an IPv6 address whose %zone names the interface. */
  setMulticastInterface(iface: string): number {
    if (parseIPv4(iface) !== null) return this.opt('IPPROTO_IP', 'IP_MULTICAST_IF', iface);
    const pct = iface.indexOf('%');
    const addr = pct >= 0 ? iface.slice(0, pct) : iface;
    if (parseIPv6(addr) === null) return -EINVAL;
    const idx = pct >= 0 ? this.loop.ifindex?.(iface.slice(pct + 1)) ?? 0 : 0;
    return this.opt('IPPROTO_IPV6', 'IPV6_MULTICAST_IF', idx);
  }

  private membership(group: string, iface: string | undefined, join: boolean): number {
    if (parseIPv4(group) !== null) {
      const b = this.maybeBind(UV_UDP_REUSEADDR);
      if (b < 0) return b;
      if (iface !== undefined && parseIPv4(iface) === null) return -EINVAL;
      return this.opt('IPPROTO_IP', join ? 'IP_ADD_MEMBERSHIP' : 'IP_DROP_MEMBERSHIP', { multiaddr: group, interface: iface ?? '0.0.0.0' });
    }
    if (parseIPv6(group) === null) return -EINVAL;
    const b = this.maybeBind(UV_UDP_REUSEADDR);
    if (b < 0) return b;
    let idx = 0;
    if (iface !== undefined) {
      const pct = iface.indexOf('%');
      if (parseIPv6(pct >= 0 ? iface.slice(0, pct) : iface) === null) return -EINVAL;
      if (pct >= 0) idx = this.loop.ifindex?.(iface.slice(pct + 1)) ?? 0;
    }
    return this.opt('IPPROTO_IPV6', join ? 'IPV6_JOIN_GROUP' : 'IPV6_LEAVE_GROUP', { multiaddr: group, interface: idx });
  }

  addMembership(group: string, iface?: string): number { return this.membership(group, iface, true); }
  dropMembership(group: string, iface?: string): number { return this.membership(group, iface, false); }

  private sourceMembership(source: string, group: string, iface: string | undefined, join: boolean): number {
    const v4 = parseIPv4(group) !== null;
    if (!v4 && parseIPv6(group) === null) return -EINVAL;
    if (v4 ? parseIPv4(source) === null : parseIPv6(source) === null) return -EINVAL;
    const b = this.maybeBind(UV_UDP_REUSEADDR);
    if (b < 0) return b;
    if (v4) {
      if (iface !== undefined && parseIPv4(iface) === null) return -EINVAL;
      return this.opt('IPPROTO_IP', join ? 'IP_ADD_SOURCE_MEMBERSHIP' : 'IP_DROP_SOURCE_MEMBERSHIP',
        { multiaddr: group, sourceaddr: source, interface: iface ?? '0.0.0.0' });
    }
    let idx = 0;
    if (iface !== undefined) {
      const pct = iface.indexOf('%');
      if (parseIPv6(pct >= 0 ? iface.slice(0, pct) : iface) === null) return -EINVAL;
      if (pct >= 0) idx = this.loop.ifindex?.(iface.slice(pct + 1)) ?? 0;
    }
    return this.opt('IPPROTO_IPV6', join ? 'MCAST_JOIN_SOURCE_GROUP' : 'MCAST_LEAVE_SOURCE_GROUP',
      { multiaddr: group, sourceaddr: source, interface: idx });
  }

  addSourceSpecificMembership(source: string, group: string, iface?: string): number {
    return this.sourceMembership(source, group, iface, true);
  }
  dropSourceSpecificMembership(source: string, group: string, iface?: string): number {
    return this.sourceMembership(source, group, iface, false);
  }

  /**
   * uv_recv_buffer_size / uv_send_buffer_size: size 0 reads the value (Linux reports the doubled
   * one), otherwise sets it. Returns the size, or undefined with `ctx` filled on failure.
   */
  bufferSize(size: number, recv: boolean, ctx: BufferSizeContext): number | undefined {
    const syscall = recv ? 'uv_recv_buffer_size' : 'uv_send_buffer_size';
    const name = recv ? 'SO_RCVBUF' : 'SO_SNDBUF';
    let r: number;
    if (!(size >= 0 && size <= 0x7fffffff)) r = -EINVAL; // UDPWrap takes an int32
    else if (this.fd < 0) r = -EBADF;
    else if (size === 0) {
      const v = this.loop.sys.getsockopt(this.fd, 'SOL_SOCKET', name);
      r = typeof v === 'number' ? v : -EINVAL;
      if (r >= 0) return r;
    } else {
      r = this.loop.sys.setsockopt(this.fd, 'SOL_SOCKET', name, size);
      if (r >= 0) return size;
    }
    const e = errInfo(r);
    ctx.errno = r; ctx.code = e[0]; ctx.message = e[1]; ctx.syscall = syscall;
    return undefined;
  }

  // ---- lifetime -----------------------------------------------------------------------------

  ref(): void { this.refed = true; this.sync(); }
  unref(): void { this.refed = false; this.sync(); }
  hasRef(): boolean { return this.refed; }

  /** Closes the socket; queued sends end with UV_ECANCELED; `cb` runs from a later event. */
  close(cb?: () => void): void {
    if (this.closed) return;
    this.recvStop();
    if (this.unwatchOut) { this.unwatchOut(); this.unwatchOut = null; }
    this.closed = true;
    if (this.fd >= 0) { this.loop.sys.close(this.fd); this.fd = -1; }
    const pending = this.queue;
    this.queue = [];
    this.queueBytes = 0;
    if (this.completeTimer) { this.completeTimer.cancel(); this.completeTimer = null; }
    this.sync();
    if (pending.length > 0 || cb) {
      this.loop.sched.after(0, () => this.inScope(() => {
        for (const p of pending) {
          if (p.hasCallback && p.req.oncomplete) p.req.oncomplete.call(p.req, p.status ?? UV_ECANCELED, p.status === null || p.status < 0 ? 0 : p.size);
        }
        cb?.();
        this.resource.emitDestroy();
      }));
    } else {
      this.resource.emitDestroy();
    }
  }

  /** Holds the process open while active (receiving, or sends queued) and ref'd. */
  private sync(): void {
    const want = this.refed && !this.closed && (this.receiving || this.queue.length > 0);
    if (want === this.holding) return;
    this.holding = want;
    if (want) { this.loop.sched.refHandle(); this.refOwner?.refHandle(); } else { this.loop.sched.unrefHandle(); this.refOwner?.unrefHandle(); }
  }
}

function errInfo(errno: number): [string, string] {
  return getSystemErrorMap().get(errno) ?? ['UNKNOWN', 'unknown error'];
}
