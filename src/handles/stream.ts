// Stream handles: what Node's LibuvStreamWrap/HandleWrap (with libuv's uv_stream_t) are to
// net.Socket. A handle owns one descriptor of host.sys and turns readiness into callbacks:
//
//   onread(nread, buf)            data (nread > 0), UV_EOF, or a negative errno
//   req.oncomplete(status, ...)   write, shutdown and connect requests, always asynchronously
//   onconnection(err, client)     a listening handle accepted a connection
//
// It sits only on SocketCalls: watch() wakes it (epoll's role in libuv's uv__io_poll), reads go
// on until -EAGAIN, writes are tried at once and queued until POLLOUT when the socket buffer is
// full. Every callback runs from a Scheduler event of its own, never inside the caller's call,
// so that process.nextTick and microtasks run between two callbacks as they do in Node.
import { AsyncResource } from 'node:async_hooks';
import { constants as osConstants } from 'node:os';
import type { RefCounter, Scheduler, Timer } from '../links/clock.js';
import { EAGAIN, EBADF, ENOTCONN, EPIPE, EINVAL } from '../uapi/errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, SHUT_WR } from '../uapi/socket.js';
import type { SocketCalls } from '../sys/types.js';
import { fdWatched, watchFd } from './watchers.js';

/** libuv's end-of-stream code. */
export const UV_EOF = -4095;
/** libuv's code for requests cut short by close(). */
export const UV_ECANCELED = -((osConstants.errno as Record<string, number>).ECANCELED ?? 125);
export const UV_EBADF = -EBADF;
export const UV_ENOTCONN = -ENOTCONN;
export const UV_EINVAL = -EINVAL;
export const UV_EPIPE = -EPIPE;
/** A descriptor another handle watches already (libuv uv__fd_exists). */
export const UV_EEXIST = -((osConstants.errno as Record<string, number>).EEXIST ?? 17);

/** Bytes asked for per read, like the 64 KiB buffers Node hands libuv. */
export const READ_SIZE = 65536;

/** What a handle runs on: the host's socket calls and the network's scheduler. */
export interface HandleLoop {
  readonly sys: SocketCalls;
  readonly sched: Scheduler;
}

/** A write request (Node's WriteWrap). `async` and `bytes` are set by the write call. */
export class WriteWrap {
  handle: StreamHandle | null = null;
  oncomplete: ((this: WriteWrap, status: number, handle: StreamHandle) => void) | null = null;
  /** The write did not finish inside the call: oncomplete will run. */
  async = false;
  /** Bytes in the request. */
  bytes = 0;
  /** For the owner: what to call when done. */
  callback: ((err?: Error | null) => void) | null = null;
  /** For the owner: keeps the written data alive (Node keeps req.buffer). */
  buffer: unknown = null;
  error: string | undefined = undefined;
}

/** A shutdown request (Node's ShutdownWrap). */
export class ShutdownWrap {
  handle: StreamHandle | null = null;
  oncomplete: ((this: ShutdownWrap, status: number) => void) | null = null;
  callback: ((err?: Error | null) => void) | null = null;
}

/** A connect request (Node's TCPConnectWrap / PipeConnectWrap). */
export class ConnectWrap {
  oncomplete: ((this: ConnectWrap, status: number, handle: StreamHandle, req: ConnectWrap, readable: boolean, writable: boolean) => void) | null = null;
  address = '';
  port: number | undefined = undefined;
  localAddress: string | undefined = undefined;
  localPort: number | undefined = undefined;
  addressType: number | undefined = undefined;
}

/** What getsockname()/getpeername() fill in, like TCPWrap: { address, family: 'IPv4' | 'IPv6', port }. */
export interface SockNameOut {
  address?: string;
  family?: string;
  port?: number;
}

interface QueuedWrite {
  req: WriteWrap;
  chunks: Uint8Array[];
  remaining: number;
}

export abstract class StreamHandle {
  /** The sys descriptor, -1 before the socket exists and after close. */
  fd = -1;
  /** What reads are handed to (the owner's reader, or a guard standing in for Node's). */
  private reader: ((nread: number, buf?: Buffer) => void) | null = null;
  /** What `onread` was last set to (Node's agent compares it with its own function). */
  private onreadSet: ((nread: number, buf?: Buffer) => void) | null = null;
  /** The reader the owner installed, to go back to. */
  private ownReader: ((nread: number, buf?: Buffer) => void) | null = null;
  /** For listening handles: err 0 and the new client handle, or a negative errno. */
  onconnection: ((err: number, client?: StreamHandle) => void) | null = null;
  /** Whether reads are on (Node's JS flips this too). */
  reading = false;
  bytesRead = 0;
  bytesWritten = 0;
  /** Bytes accepted by write calls but not yet taken by the socket. */
  writeQueueSize = 0;
  /** The JS object this handle serves (Node's owner_symbol). */
  owner: unknown = null;

  protected connected = false;
  protected listening = false;
  protected closed = false;
  protected connectReq: ConnectWrap | null = null;
  /** The connect is in progress in the kernel: POLLOUT (then SO_ERROR) tells how it ended. */
  private connectPolling = false;
  private writeQueue: QueuedWrite[] = [];
  private shutdownReq: ShutdownWrap | null = null;
  private shutDone = false;
  private eof = false;
  private writeFailed = false;
  private userBuffer: Uint8Array | null = null;
  private refed = true;
  private heldRef = false;
  private kickTimer: Timer | null = null;
  private watched = 0;
  private unwatch: (() => void) | null = null;
  /** Made by open(fd) (uv_tcp_open / uv_pipe_open): readable before it is connected. */
  private openedFd = false;

  /** Async context of the handle: its callbacks run in the context it was created in, as Node's do. */
  private readonly resource: AsyncResource;

  /** The program the handle holds alive besides the process (one made by code of a spawned program). */
  private readonly refOwner: RefCounter | null;

  /**
   * data (nread > 0, buf), UV_EOF, or a negative errno. Node's own stream functions read the
   * result from its native streamBaseState, which a handle here does not have: Node 22.23+'s
   * http Agent puts `freeSocketOnReadGuard` on a pooled socket's handle (destroy the socket if
   * anything is read while it is free) and then `onStreamRead` back. The first is done here the
   * same way; the second means the owner's reader again.
   */
  get onread(): ((nread: number, buf?: Buffer) => void) | null { return this.onreadSet; }
  set onread(fn: ((nread: number, buf?: Buffer) => void) | null) {
    this.onreadSet = fn;
    if (fn !== null && fn.name === 'onStreamRead' && /\[native code\]|streamBaseState/.test(String(fn)) && this.ownReader !== null) {
      this.reader = this.ownReader;
    } else if (fn !== null && fn.name === 'freeSocketOnReadGuard') {
      this.reader = (nread) => { if (nread !== 0) (this.owner as { destroy?(): void } | null)?.destroy?.(); };
    } else {
      this.reader = fn;
      this.ownReader = fn;
    }
  }

  constructor(protected readonly loop: HandleLoop, private readonly providerType: string) {
    this.resource = new AsyncResource(providerType, { requireManualDestroy: true });
    this.refOwner = loop.sched.refOwner?.() ?? null;
  }

  /** The async id of the handle (Node's AsyncWrap#getAsyncId). */
  getAsyncId(): number {
    return this.resource.asyncId();
  }

  /** 'TCPWRAP', 'PIPEWRAP', ... (Node gives the provider's number). */
  getProviderType(): string {
    return this.providerType;
  }

  /**
   * Runs fn in the handle's async context. What it throws is an exception of the code that made
   * the handle: the scheduler hands it to that program (scheduler.raise), or it propagates.
   */
  protected inScope(fn: (this: this) => void): void {
    this.resource.runInAsyncScope(this.guard, this, fn);
  }

  private guard(fn: (this: this) => void): void {
    try {
      fn.call(this);
    } catch (err) {
      if (!this.loop.sched.raise(err)) throw err;
    }
  }

  /** Makes a handle of the same kind around an accepted descriptor. */
  protected abstract adopt(fd: number): StreamHandle;

  // ---- reading ------------------------------------------------------------------------------

  readStart(): number {
    if (this.closed) return UV_EINVAL;
    // libuv: a stream open()ed on a descriptor is readable at once; reads begin once connected.
    if (!this.connected && !this.openedFd) return UV_ENOTCONN;
    if (this.eof) return 0; // the end was seen already; nothing more will come
    this.reading = true;
    this.sync();
    this.kick();
    return 0;
  }

  readStop(): number {
    if (this.closed) return 0;
    this.reading = false;
    this.sync();
    return 0;
  }

  /** Reads go into this buffer from now on (net's `onread: { buffer }` option). */
  useUserBuffer(buf: Uint8Array): void {
    this.userBuffer = buf;
  }

  // ---- writing ------------------------------------------------------------------------------

  writeBuffer(req: WriteWrap, data: Uint8Array): number {
    return this.dispatchWrite(req, [data]);
  }

  writev(req: WriteWrap, chunks: readonly Uint8Array[]): number {
    return this.dispatchWrite(req, chunks.slice());
  }

  writeUtf8String(req: WriteWrap, s: string): number { return this.dispatchWrite(req, [Buffer.from(s, 'utf8')]); }
  writeLatin1String(req: WriteWrap, s: string): number { return this.dispatchWrite(req, [Buffer.from(s, 'latin1')]); }
  writeAsciiString(req: WriteWrap, s: string): number { return this.dispatchWrite(req, [Buffer.from(s, 'ascii')]); }
  writeUcs2String(req: WriteWrap, s: string): number { return this.dispatchWrite(req, [Buffer.from(s, 'utf16le')]); }

  private dispatchWrite(req: WriteWrap, chunks: Uint8Array[]): number {
    req.handle = this;
    req.async = false;
    let total = 0;
    for (const c of chunks) total += c.byteLength;
    req.bytes = total;
    if (this.closed || this.fd < 0) return UV_EBADF;
    if (!this.connected || this.shutDone || this.shutdownReq !== null) return UV_EPIPE;
    this.bytesWritten += total;
    let done = 0;
    if (this.writeQueue.length === 0 && total > 0) {
      // Try at once, as Node's StreamBase does (uv_try_write), when nothing is queued.
      const r = this.sysWrite(chunks);
      if (r < 0 && r !== -EAGAIN) return r;
      if (r > 0) done = r;
    }
    if (done === total) return 0;
    req.async = true;
    this.writeQueue.push({ req, chunks: advance(chunks, done), remaining: total - done });
    this.writeQueueSize += total - done;
    this.sync();
    return 0;
  }

  private sysWrite(chunks: Uint8Array[]): number {
    const { sys } = this.loop;
    return chunks.length === 1 ? sys.write(this.fd, chunks[0]!) : sys.writev(this.fd, chunks);
  }

  /** Writes what is queued; false when the socket took nothing more (EAGAIN). */
  private flushWrites(): boolean {
    while (this.writeQueue.length > 0 && !this.closed) {
      const w = this.writeQueue[0]!;
      const r = this.sysWrite(w.chunks);
      if (r === -EAGAIN) return false;
      if (r < 0) {
        // libuv: the failed request completes with the error; the rest wait for close.
        this.writeQueue.shift();
        this.writeQueueSize -= w.remaining;
        this.writeFailed = true;
        this.sync();
        w.req.oncomplete?.call(w.req, r, this);
        return true;
      }
      w.remaining -= r;
      this.writeQueueSize -= r;
      if (w.remaining > 0) { w.chunks = advance(w.chunks, r); return false; }
      this.writeQueue.shift();
      this.sync();
      w.req.oncomplete?.call(w.req, 0, this);
    }
    if (this.writeQueue.length === 0 && this.shutdownReq !== null && !this.closed) this.startShutdown();
    return true;
  }

  // ---- shutdown -----------------------------------------------------------------------------

  shutdown(req: ShutdownWrap): number {
    req.handle = this;
    if (this.closed || !this.connected || this.shutDone || this.shutdownReq !== null) return UV_ENOTCONN;
    this.shutdownReq = req;
    this.sync();
    if (this.writeQueue.length === 0) this.startShutdown();
    return 0;
  }

  private startShutdown(): void {
    const req = this.shutdownReq;
    if (req === null) return;
    // The shutdown completes from an event of its own, after queued writes.
    this.loop.sched.after(0, () => this.inScope(() => {
      if (this.closed || this.shutdownReq !== req) return;
      const r = this.loop.sys.shutdown(this.fd, SHUT_WR);
      this.shutdownReq = null;
      this.shutDone = true;
      this.sync();
      req.oncomplete?.call(req, r < 0 ? r : 0);
    }));
  }

  // ---- close, ref ---------------------------------------------------------------------------

  /** Closes the descriptor now; pending requests complete with UV_ECANCELED, then `cb` runs. */
  close(cb?: () => void): void {
    if (this.closed) return;
    this.closed = true;
    this.reading = false;
    if (this.kickTimer !== null) { this.kickTimer.cancel(); this.kickTimer = null; }
    this.setWatch(0);
    if (this.fd >= 0) this.loop.sys.close(this.fd);
    this.fd = -1;
    const connect = this.connectReq;
    this.connectPolling = false;
    const writes = this.writeQueue;
    const shutdown = this.shutdownReq;
    this.connectReq = null;
    this.writeQueue = [];
    this.writeQueueSize = 0;
    this.shutdownReq = null;
    this.syncRef();
    // libuv runs close callbacks at the end of the loop iteration, before any further I/O:
    // a macrotask of its own, ahead of Scheduler events still to come.
    setImmediate(() => this.inScope(() => {
      if (connect !== null) connect.oncomplete?.call(connect, UV_ECANCELED, this, connect, false, false);
      for (const w of writes) w.req.oncomplete?.call(w.req, UV_ECANCELED, this);
      if (shutdown !== null) shutdown.oncomplete?.call(shutdown, UV_ECANCELED);
      if (cb) cb();
      this.resource.emitDestroy();
    }));
  }

  ref(): void { this.refed = true; this.syncRef(); }
  unref(): void { this.refed = false; this.syncRef(); }
  hasRef(): boolean { return this.refed && !this.closed; }

  /** Whether close() has been called. */
  get isClosed(): boolean { return this.closed; }

  // ---- for subclasses -----------------------------------------------------------------------

  /** A connect request finishes from its own event with `status`. */
  protected completeConnectSoon(req: ConnectWrap, status: number): void {
    this.connectReq = req;
    this.sync();
    this.loop.sched.after(0, () => this.inScope(() => {
      if (this.connectReq !== req || this.closed) return;
      this.finishConnect(status);
    }));
  }

  /** Waits for the socket to become writable (connect in progress). */
  protected awaitConnect(req: ConnectWrap): void {
    this.connectReq = req;
    this.connectPolling = true;
    this.sync();
  }

  protected startListening(): void {
    this.listening = true;
    this.sync();
    this.kick();
  }


  // ---- the I/O loop -------------------------------------------------------------------------

  private interest(): number {
    if (this.closed || this.fd < 0) return 0;
    let ev = 0;
    if (this.listening || (this.reading && this.connected)) ev |= POLLIN;
    if (this.connectPolling || (this.writeQueue.length > 0 && !this.writeFailed)) ev |= POLLOUT;
    return ev;
  }

  /** Brings the watch and the loop reference in line with what the handle waits for. */
  protected sync(): void {
    this.setWatch(this.interest());
    this.syncRef();
  }

  private setWatch(events: number): void {
    if (events === this.watched) return;
    if (this.unwatch !== null) { this.unwatch(); this.unwatch = null; }
    this.watched = events;
    if (events !== 0 && this.fd >= 0) this.unwatch = watchFd(this.loop.sys, this.fd, events, this.onReady);
  }

  private onReady = (): void => { this.kick(); };

  private kick(): void {
    if (this.kickTimer !== null || this.closed) return;
    this.kickTimer = this.loop.sched.after(0, this.onKick);
  }

  private onKick = (): void => {
    this.kickTimer = null;
    this.inScope(this.process);
  };

  /** One round of uv__stream_io: connect completion, the accept loop, queued writes, one read. */
  private process(): void {
    if (this.closed || this.fd < 0) return;
    const want = this.interest();
    if (want === 0) return;
    const pfd = { fd: this.fd, events: want | POLLERR | POLLHUP, revents: 0 };
    this.loop.sys.poll([pfd]);
    const rev = pfd.revents ?? 0;
    let again = false;

    if (this.connectReq !== null) {
      if (!this.connectPolling) return;
      if (rev & (POLLOUT | POLLERR | POLLHUP)) {
        const err = this.loop.sys.getsockopt(this.fd, 'SOL_SOCKET', 'SO_ERROR');
        const e = typeof err === 'number' ? err : 0;
        this.finishConnect(e > 0 ? -e : e);
      }
      if (this.closed) return;
      this.sync();
      return;
    }

    // What came back EAGAIN this round is not looked at again until the socket says so.
    let stalled = 0;
    if (this.listening && (rev & POLLIN)) {
      // libuv uv__server_io: accept until the queue is empty, a callback per connection.
      for (;;) {
        const r = this.loop.sys.accept(this.fd);
        if (typeof r === 'number') {
          if (r === -EAGAIN) { stalled |= POLLIN; break; }
          this.onconnection?.(r);
          break; // an error (EMFILE, ...): looked at again next round, not in a loop here
        } else {
          const client = this.adopt(r.fd);
          this.onconnection?.(0, client);
        }
        if (this.closed || !this.listening || this.fd < 0) break;
      }
      if (this.closed) return;
    }

    if (this.writeQueue.length > 0 && !this.writeFailed && (rev & (POLLOUT | POLLERR | POLLHUP))) {
      if (!this.flushWrites()) stalled |= POLLOUT;
      if (this.closed) return;
    }

    if (this.reading && (rev & (POLLIN | POLLERR | POLLHUP))) {
      const r = this.readOnce();
      if (r > 0) again = true;
      else if (r < 0) stalled |= POLLIN;
      if (this.closed) return;
    }

    this.sync();
    if (again) { this.kick(); return; }
    if ((rev & (want | POLLERR | POLLHUP)) === 0) return; // nothing was ready: wait for the socket
    // Level-triggered, as libuv uses epoll: what is still ready is looked at again next round
    // (a short read leaves a FIN that came with the data, a burst of connections, ...).
    const w = this.interest() & ~stalled;
    if (w === 0) return;
    const p2 = { fd: this.fd, events: w | POLLERR | POLLHUP, revents: 0 };
    this.loop.sys.poll([p2]);
    if ((p2.revents ?? 0) !== 0) this.kick();
  }

  /** Reads once: 1 when the read filled the buffer (more may wait), 0 for a short read, EOF or error, -1 for EAGAIN. */
  private readOnce(): number {
    const ub = this.userBuffer;
    const max = ub !== null ? ub.byteLength : READ_SIZE;
    const r = this.loop.sys.read(this.fd, max);
    if (typeof r === 'number') {
      if (r === -EAGAIN) return -1;
      this.reading = false;
      this.sync();
      this.reader?.(r);
      return 0;
    }
    if (r.byteLength === 0) {
      this.eof = true;
      this.reading = false;
      this.sync();
      this.reader?.(UV_EOF);
      return 0;
    }
    this.bytesRead += r.byteLength;
    let buf: Buffer;
    if (ub !== null) {
      ub.set(r);
      buf = Buffer.from(ub.buffer, ub.byteOffset, ub.byteLength);
    } else {
      buf = Buffer.from(r.buffer, r.byteOffset, r.byteLength);
    }
    this.reader?.(r.byteLength, buf);
    return this.reading && r.byteLength === max ? 1 : 0;
  }

  private finishConnect(status: number): void {
    const req = this.connectReq;
    this.connectReq = null;
    this.connectPolling = false;
    if (status === 0) this.connected = true;
    this.sync();
    if (status === 0 && this.reading) this.kick();
    if (req !== null) req.oncomplete?.call(req, status, this, req, status === 0, status === 0);
  }

  /**
   * A handle holds the process open while it waits for something and is ref'd (libuv's active
   * handles); pending requests hold it regardless (libuv's active requests).
   */
  private syncRef(): void {
    const waiting = !this.closed && (
      (this.refed && (this.listening || this.reading)) ||
      this.connectReq !== null || this.writeQueue.length > 0 || this.shutdownReq !== null);
    if (waiting === this.heldRef) return;
    this.heldRef = waiting;
    if (waiting) { this.loop.sched.refHandle(); this.refOwner?.refHandle(); }
    else { this.loop.sched.unrefHandle(); this.refOwner?.unrefHandle(); }
  }

  /** Takes over an existing sys descriptor (uv_tcp_open / uv_pipe_open). */
  open(fd: number): number {
    if (this.fd >= 0 || this.isClosed) return UV_EINVAL;
    if (fdWatched(this.loop.sys, fd)) return UV_EEXIST;
    const t = this.loop.sys.getsockopt(fd, 'SOL_SOCKET', 'SO_TYPE');
    if (typeof t === 'number' && t < 0) return t;
    this.fd = fd;
    this.openedFd = true;
    if (typeof this.loop.sys.getpeername(fd) === 'object') this.initConnected(fd);
    return 0;
  }

  /** Takes over a connected descriptor (accepted, or open()ed). */
  protected initConnected(fd: number): this {
    this.fd = fd;
    this.connected = true;
    return this;
  }
}

/** The chunks after the first `n` bytes, as views. */
function advance(chunks: Uint8Array[], n: number): Uint8Array[] {
  if (n === 0) return chunks;
  let i = 0;
  while (i < chunks.length && n >= chunks[i]!.byteLength) { n -= chunks[i]!.byteLength; i++; }
  const rest = chunks.slice(i);
  if (n > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}
