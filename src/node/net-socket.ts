// net.Socket for host.net: a stream.Duplex over a TCP or pipe handle, with node:net's
// behaviour (lib/net.js): the same events in the same order, the same error shapes, writes
// queued while connecting, half-open sockets, timeouts (on the network's clock), and
// RFC 8305 connection racing when a name resolves to several addresses.
import { ADDRCONFIG } from 'node:dns';
import { isIP, Socket as NodeNetSocket, type BlockList } from 'node:net';
import { addAbortListener } from 'node:events';
import { Duplex, type DuplexOptions } from 'node:stream';
import type { Timer } from '../links/clock.js';
import { ConnectWrap, ShutdownWrap, StreamHandle, UV_EBADF, UV_ECANCELED, UV_ENOTCONN, UV_EOF, WriteWrap, type SockNameOut } from '../handles/stream.js';
import { TcpHandle, TCPConstants } from '../handles/tcp.js';
import { PipeHandle, PipeConstants } from '../handles/pipe.js';
import { codes, ErrnoException, ExceptionWithHostPort } from './errors.js';
import { genericNodeError, NodeAggregateError } from './net-errors.js';
import { validateAbortSignal, validateBlockList, validateBoolean, validateFunction, validateInt32, validateNumber, validatePort, validateString, validateStringWithoutNullBytes } from './validators.js';
import { kNormalized, nodeStreamState, normalizeArgs, type LookupAddress, type LookupFunction, type NetState, type NormalizedArgs, type PerfMark } from './net-context.js';
import { AF_INET, AF_INET6, AF_UNIX } from '../uapi/socket.js';
import { line } from './line.js';
import { consumeBoundSocket, isBoundSocket, type BoundSocket } from './net-bound.js';
import { ETIMEDOUT, EADDRINUSE } from '../uapi/errno.js';

const {
  ERR_INVALID_ADDRESS_FAMILY, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_INVALID_FD_TYPE, ERR_INVALID_IP_ADDRESS,
  ERR_INVALID_HANDLE_TYPE, ERR_IP_BLOCKED, ERR_MISSING_ARGS, ERR_OUT_OF_RANGE, ERR_SOCKET_CLOSED, ERR_SOCKET_CLOSED_BEFORE_CONNECTION,
  ERR_SOCKET_CONNECTION_TIMEOUT,
} = codes;

export type NetHandle = TcpHandle | PipeHandle;

/** The optional methods net looks for on a handle before calling them, as Node does (handles may be user objects). */
export interface HandleExtras {
  setNoDelay?: (enable: boolean) => number;
  setKeepAlive?: (enable: boolean, delaySecs: number, intervalSecs?: number, count?: unknown) => number;
  setTypeOfService?: (tos: number) => number;
  getTypeOfService?: () => number;
  getsockname?: (out: SockNameOut) => number;
  getpeername?: (out: SockNameOut) => number;
  ref?: () => void;
  unref?: () => void;
}

/** The handle seen through its optional methods. */
export function extras(h: unknown): HandleExtras {
  return h as HandleExtras;
}

const UV_ETIMEDOUT = -ETIMEDOUT;
const UV_EADDRINUSE = -EADDRINUSE;
const DEFAULT_IPV4_ADDR = '0.0.0.0';
const DEFAULT_IPV6_ADDR = '::';
/** Node's TIMEOUT_MAX: timer durations are capped to a signed 32-bit number of ms. */
const TIMEOUT_MAX = 2 ** 31 - 1;
const noop = (): void => {};

export interface SocketConstructorOptions extends DuplexOptions {
  fd?: number;
  /** A handle, or (Node 24.22+) a net.BoundSocket to adopt. */
  handle?: NetHandle | BoundSocket;
  allowHalfOpen?: boolean;
  readable?: boolean;
  writable?: boolean;
  pauseOnCreate?: boolean;
  manualStart?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  onread?: { buffer: Uint8Array | (() => Uint8Array); callback: (nread: number, buf: Uint8Array) => boolean | void };
  signal?: AbortSignal;
  /** Node 22.13+: addresses this socket refuses to connect to (ERR_IP_BLOCKED). */
  blockList?: BlockList;
  /** Node 24.22+: IP_TOS / IPV6_TCLASS set once connected (0 to 255). */
  typeOfService?: number;
}

/** setKeepAlive()'s options object (Node 24.22+). */
export interface KeepAliveOptions {
  enable?: boolean;
  initialDelay?: number;
  interval?: number;
  count?: number;
}

export interface SocketConnectOptions {
  port?: number | string;
  host?: string;
  path?: string;
  localAddress?: string;
  localPort?: number;
  family?: number | string;
  hints?: number;
  lookup?: LookupFunction;
  autoSelectFamily?: boolean;
  autoSelectFamilyAttemptTimeout?: number;
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  [key: string]: unknown;
}

/**
 * The socket inactivity timer (Node's unref'd Timeout with refresh()): one Scheduler event,
 * moved forward lazily when activity refreshes it, re-armed by activity after it fired.
 */
export class IdleTimer {
  private timer: Timer | null = null;
  private last: number;
  private closed = false;
  private readonly fn: () => void;
  constructor(private readonly state: NetState, readonly ms: number, fn: () => void,
    private readonly refed: () => boolean) {
    // Fires in the async context it was set in, as Node's Timeout does.
    this.fn = state.loop.sched.bind(fn);
    this.last = state.loop.sched.now();
    this.arm(this.last + ms);
  }
  private arm(at: number): void {
    // Node's socket timeouts are unref'd timers that fire while the socket's handle keeps the
    // loop alive; see refed() for what that means on each clock.
    this.timer = this.state.loop.sched.at(at, this.fire, this.refed());
  }
  /** Follows the handle's ref()/unref(). */
  syncRef(): void {
    if (this.timer === null) return;
    if (this.refed()) this.timer.ref(); else this.timer.unref();
  }
  private fire = (): void => {
    this.timer = null;
    if (this.closed) return;
    const due = this.last + this.ms;
    if (this.state.loop.sched.now() < due) { this.arm(due); return; }
    this.fn();
  };
  refresh(): void {
    if (this.closed) return;
    this.last = this.state.loop.sched.now();
    if (this.timer === null) this.arm(this.last + this.ms);
  }
  close(): void {
    this.closed = true;
    if (this.timer !== null) { this.timer.cancel(); this.timer = null; }
  }
  /** When activity last refreshed it (the scheduler's ms). */
  get start(): number { return this.last; }
}

/**
 * node:net keeps a socket's inactivity timer under a symbol (lib/net.js kTimeout), which Node's
 * own sockets read on their `_parent` chain: a TLS socket's traffic refreshes the timer of the
 * socket under it (`_unrefTimer`). Found by its description, on a socket of Node's.
 */
export const kNodeTimeout = Object.getOwnPropertySymbols(new NodeNetSocket()).find((k) => k.description === 'timeout');

/** A host socket's timer as Node's code reads one (Timeout's `_idleTimeout`, `_idleStart`, `refresh()`). */
class TimeoutView {
  /** The socket's timer when last seen (a cleared one keeps its `_idleStart`, as Node's). */
  private seen: IdleTimer | null = null;
  constructor(private readonly socket: NetSocket) {}
  private get timer(): IdleTimer | null {
    const t = (this.socket as unknown as { idleTimer: IdleTimer | null }).idleTimer;
    if (t !== null) this.seen = t;
    return t;
  }
  get _idleTimeout(): number { return this.timer?.ms ?? -1; }
  get _idleStart(): number | undefined { return (this.timer ?? this.seen)?.start; }
  refresh(): this { this.timer?.refresh(); return this; }
}

export function timerDuration(msecs: unknown, name: string): number {
  validateNumber(msecs, name);
  if (msecs < 0 || !Number.isFinite(msecs)) throw new ERR_OUT_OF_RANGE(name, 'a non-negative finite number', msecs);
  if (msecs > TIMEOUT_MAX) {
    process.emitWarning(`${msecs} does not fit into a 32-bit signed integer.\nTimer duration was truncated to ${TIMEOUT_MAX}.`, 'TimeoutOverflowWarning');
    return TIMEOUT_MAX;
  }
  return msecs;
}

/** The server side a socket reports to when it closes. */
export interface ConnectionOwner {
  _connections: number;
  _emitCloseIfDrained(): void;
}

interface MultiConnectContext {
  socket: NetSocket;
  addresses: LookupAddress[];
  current: number;
  port: number;
  localPort: number | undefined;
  timeout: number;
  timer: Timer | null;
  errors: Error[];
}

/** Validates and completes net.Socket's options (before the Duplex is set up). */
function socketOptions(options?: SocketConstructorOptions | number): SocketConstructorOptions {
  const o = options as SocketConstructorOptions | undefined;
  if (o?.objectMode) {
    throw new ERR_INVALID_ARG_VALUE('options.objectMode', o.objectMode, 'is not supported');
  } else if (o?.readableObjectMode || o?.writableObjectMode) {
    throw new ERR_INVALID_ARG_VALUE(`options.${o.readableObjectMode ? 'readableObjectMode' : 'writableObjectMode'}`,
      o.readableObjectMode || o.writableObjectMode, 'is not supported');
  }
  if (typeof o?.keepAliveInitialDelay !== 'undefined') {
    validateNumber(o.keepAliveInitialDelay, 'options.keepAliveInitialDelay');
    if (o.keepAliveInitialDelay < 0) o.keepAliveInitialDelay = 0;
  }
  const opts: SocketConstructorOptions = typeof options === 'number' ? { fd: options } : { ...options };
  opts.allowHalfOpen = Boolean(opts.allowHalfOpen);
  opts.emitClose = false; // net emits 'close' itself, with hadError
  opts.autoDestroy = true;
  opts.decodeStrings = false;
  return opts;
}

const DuplexInit = Duplex as unknown as { call(self: object, options: DuplexOptions): void };

/**
 * Sets up a net.Socket on `self` (an object whose prototype chain has NetSocket.prototype):
 * the Duplex first, then the socket. Host-bound constructors are plain functions calling this,
 * so that `net.Socket.call(this, options)` (old-style inheritance, as http and tls use) works as
 * well as `class X extends net.Socket`.
 */
export function initSocket(self: NetSocket, state: NetState, options?: SocketConstructorOptions | number): void {
  const opts = socketOptions(options);
  // The fields first, as Node sets them before the Duplex: an aborted signal destroys the
  // stream inside the Duplex constructor.
  self._preinit(state);
  DuplexInit.call(self, opts);
  self._init(state, opts);
  state.track?.(self);
}

export class NetSocket extends Duplex {
  declare connecting: boolean;
  declare _hadError: boolean;
  declare _handle: NetHandle | null;
  declare _parent: NetSocket | null;
  declare _host: string | null;
  declare _closeAfterHandlingError: boolean;
  declare _pendingData: unknown;
  declare _pendingEncoding: string;
  declare _peername: SockNameOut | null;
  declare _sockname: SockNameOut | null;
  declare server: ConnectionOwner | null;
  declare _server: ConnectionOwner | null;
  declare timeout: number | undefined;
  declare resetAndClosing: boolean;
  declare autoSelectFamilyAttemptedAddresses: string[] | undefined;
  declare _aborted: boolean;
  declare blockList: BlockList | undefined;
  /** A 'net' perf entry under way (Node's kPerfHooksNetConnectContext). */
  private declare connectPerf: PerfMark | null;

  /** @internal */ declare netState: NetState;
  private declare idleTimer: IdleTimer | null;
  private declare lastWriteQueueSize: number;
  private declare savedBytesRead: number;
  private declare savedBytesWritten: number;
  private declare setNoDelayFlag: boolean;
  private declare setKeepAliveFlag: boolean;
  private declare setKeepAliveDelay: number;
  private declare setKeepAliveIntvl: number | undefined;
  private declare setKeepAliveCount: unknown;
  private declare setTOS: number | undefined;
  /** @internal the handle came from a net.BoundSocket: bound, not connected (Node's kBoundSource). */
  declare boundSource: boolean;
  private declare boundPath: string | undefined;
  private declare userBuffer: Uint8Array | null;
  private declare userBufferGen: (() => Uint8Array) | null;
  private declare userBufferCb: ((nread: number, buf: Uint8Array) => boolean | void) | null;
  private declare boundOnRead: (nread: number, buf?: Buffer) => void;

  /** Not constructible itself: sockets come from a host, `new host.net.Socket(options)`. */
  constructor(options?: SocketConstructorOptions | number) {
    super(socketOptions(options));
    throw new TypeError('net.Socket must be created through a host (host.net.Socket)');
  }

  /** @internal the fields, before the Duplex is set up. */
  _preinit(state: NetState): void {
    this.connecting = false;
    this._hadError = false;
    this._handle = null;
    this._parent = null;
    this._host = null;
    this._closeAfterHandlingError = false;
    this._peername = null;
    this._sockname = null;
    this.timeout = undefined;
    this.resetAndClosing = false;
    this.autoSelectFamilyAttemptedAddresses = undefined;
    this._aborted = false;
    this.connectPerf = null;
    this.netState = state;
    this.idleTimer = null;
    this.lastWriteQueueSize = 0;
    this.userBuffer = null;
    this.userBufferGen = null;
    this.userBufferCb = null;
    this.boundOnRead = (nread: number, buf?: Buffer): void => this.onStreamRead(nread, buf);
    this._pendingData = null;
    this._pendingEncoding = '';
    this.server = null;
    this._server = null;
    this.savedBytesRead = 0;
    this.savedBytesWritten = 0;
    this.setNoDelayFlag = false;
    this.setKeepAliveFlag = false;
    this.setKeepAliveDelay = 0;
    this.setKeepAliveIntvl = undefined;
    this.setKeepAliveCount = undefined;
    this.setTOS = undefined;
    this.boundSource = false;
    this.boundPath = undefined;
  }

  /** @internal the rest of the constructor, after the Duplex is set up. */
  _init(state: NetState, opts: SocketConstructorOptions): void {
    // An adopted BoundSocket is bound but not connected: reading starts once connect() completes.
    let boundNotConnected = false;
    if (line.boundSocket && isBoundSocket(opts.handle)) {
      const { handle, path } = consumeBoundSocket(opts.handle, state, 'options.handle');
      this._handle = handle;
      this.boundSource = true;
      boundNotConnected = true;
      // A bound client pipe's own path is its localAddress (Node's kBoundPath).
      this.boundPath = path;
    } else if (opts.handle) {
      this._handle = opts.handle as NetHandle;
    } else if (opts.fd !== undefined) {
      const { fd } = opts;
      this._handle = createHandleForFd(state, fd, false);
      const err = this._handle.open(fd);
      if (err) throw new ErrnoException(err, 'open');
    }

    const onread = opts.onread;
    if (onread !== null && typeof onread === 'object' &&
        (onread.buffer instanceof Uint8Array || typeof onread.buffer === 'function') && typeof onread.callback === 'function') {
      if (typeof onread.buffer === 'function') {
        this.userBufferGen = onread.buffer;
        this.userBuffer = new Uint8Array(0); // replaced by the generator when the handle is set up
      } else {
        this.userBuffer = onread.buffer;
      }
      this.userBufferCb = onread.callback;
    }

    this.setNoDelayFlag = Boolean(opts.noDelay);
    this.setKeepAliveFlag = Boolean(opts.keepAlive);
    this.setKeepAliveDelay = ~~((opts.keepAliveInitialDelay as number) / 1000);
    if (line.typeOfService) {
      if (opts.typeOfService !== undefined) validateInt32(opts.typeOfService, 'options.typeOfService', 0, 255);
      this.setTOS = opts.typeOfService;
    }

    this.on('end', onReadableStreamEnd);
    this.initSocketHandle();

    this._pendingData = null;
    this._pendingEncoding = '';

    if (this._handle && opts.readable !== false && !boundNotConnected) {
      if (opts.pauseOnCreate) {
        this._handle.reading = false;
        this._handle.readStop();
        (this as unknown as { readableFlowing: boolean | null }).readableFlowing = false;
      } else if (!opts.manualStart) {
        this.read(0);
      }
    }

    if (opts.signal) {
      validateAbortSignal(opts.signal, 'options.signal');
      const signal = opts.signal;
      // As Node: the listener is added on the next tick (the stream's own one comes first).
      let disposable: Disposable | undefined;
      const onAbort = (): void => { disposable?.[Symbol.dispose](); this._aborted = true; };
      if (signal.aborted) process.nextTick(onAbort);
      else process.nextTick(() => { disposable = addAbortListener(signal, onAbort); });
    }

    this.server = null;
    this._server = null;
    this.savedBytesRead = 0;
    this.savedBytesWritten = 0;
    if (line.blockList && opts.blockList) this.blockList = validateBlockList(opts.blockList, 'options.blockList');
  }

  /** Called for a new handle (creation, reconnection). */
  private initSocketHandle(): void {
    (this as unknown as { _undestroy(): void })._undestroy();
    this._sockname = null;
    const h = this._handle;
    if (h) {
      h.owner = this;
      h.onread = this.boundOnRead;
      if (this.userBuffer !== null) {
        if (this.userBufferGen !== null) {
          const b = this.userBufferGen();
          if (!(b instanceof Uint8Array)) return;
          this.userBuffer = b;
        }
        h.useUserBuffer(this.userBuffer);
      }
    }
  }

  private closeSocketHandle(isException: boolean, isCleanupPending = false): void {
    const h = this._handle;
    if (!h) return;
    h.close(() => {
      this.emit('close', isException);
      if (isCleanupPending) {
        h.onread = noop;
        this._handle = null;
        this._sockname = null;
      }
    });
  }

  // ---- reading ------------------------------------------------------------------------------

  /** The handle's onread: what Node's onStreamRead does. */
  private onStreamRead(nread: number, buf?: Buffer): void {
    if (nread === undefined && nodeStreamState !== null) nread = nodeStreamState();
    const handle = this._handle;
    this._unrefTimer();
    if (nread > 0 && !this.destroyed) {
      let result: boolean;
      if (this.userBufferCb !== null && this.userBuffer !== null) {
        result = this.userBufferCb(nread, this.userBuffer) !== false;
        if (this.userBufferGen !== null) {
          const next = this.userBufferGen();
          if (next instanceof Uint8Array) { this.userBuffer = next; handle?.useUserBuffer(next); }
        }
      } else {
        result = this.push(buf);
      }
      if (!result && handle) {
        handle.reading = false;
        if (!this.destroyed) {
          const err = handle.readStop();
          if (err) this.destroy(new ErrnoException(err, 'read'));
        }
      }
      return;
    }
    if (nread === 0) return;
    if (nread !== UV_EOF) {
      this.destroy(new ErrnoException(nread, 'read'));
      return;
    }
    if (!this.readableEnded && !(this as unknown as { _readableState: { endEmitted: boolean } })._readableState.endEmitted) {
      this.push(null);
      this.read(0);
    }
  }

  private tryReadStart(): void {
    const h = this._handle!;
    h.reading = true;
    const err = h.readStart();
    if (err) this.destroy(new ErrnoException(err, 'read'));
  }

  override _read(n: number): void {
    if (this.connecting || !this._handle) {
      this.once('connect', () => this._read(n));
    } else if (!this._handle.reading) {
      this.tryReadStart();
    }
  }

  override pause(): this {
    if (this.userBufferCb !== null && !this.connecting && this._handle && this._handle.reading) {
      this._handle.reading = false;
      if (!this.destroyed) {
        const err = this._handle.readStop();
        if (err) this.destroy(new ErrnoException(err, 'read'));
      }
    }
    return super.pause();
  }

  override resume(): this {
    if (this.userBufferCb !== null && !this.connecting && this._handle && !this._handle.reading) this.tryReadStart();
    return super.resume();
  }

  override read(n?: number): unknown {
    if (this.userBufferCb !== null && !this.connecting && this._handle && !this._handle.reading) this.tryReadStart();
    return super.read(n);
  }

  // ---- writing ------------------------------------------------------------------------------

  override _final(cb: (err?: Error | null) => void): void {
    // Node 22+ waits only for a connection under way; before, also for one never asked for.
    if (line.net22 ? this.connecting : this.pending) {
      this.once('connect', () => this._final(cb));
      return;
    }
    if (!this._handle) { cb(); return; }
    const req = new ShutdownWrap();
    req.oncomplete = afterShutdown;
    req.handle = this._handle;
    req.callback = cb;
    const err = this._handle.shutdown(req);
    if (err === 1 || err === UV_ENOTCONN) { cb(); return; }
    if (err !== 0) cb(new ErrnoException(err, 'shutdown'));
  }

  override _write(data: unknown, encoding: BufferEncoding | 'buffer', cb: (err?: Error | null) => void): void {
    this.writeGeneric(false, data, encoding, cb);
  }

  override _writev(chunks: Array<{ chunk: unknown; encoding: BufferEncoding }>, cb: (err?: Error | null) => void): void {
    this.writeGeneric(true, chunks, '', cb);
  }

  private writeGeneric(writev: boolean, data: unknown, encoding: string, cb: (err?: Error | null) => void): void {
    if (this.connecting) {
      this._pendingData = data;
      this._pendingEncoding = encoding;
      const onClose = (): void => { cb(new ERR_SOCKET_CLOSED_BEFORE_CONNECTION()); };
      this.once('connect', function connect(this: NetSocket) {
        this.off('close', onClose);
        this.writeGeneric(writev, data, encoding, cb);
      });
      this.once('close', onClose);
      return;
    }
    this._pendingData = null;
    this._pendingEncoding = '';
    const handle = this._handle;
    if (!handle) { cb(new ERR_SOCKET_CLOSED()); return; }
    this._unrefTimer();

    const req = new WriteWrap();
    req.handle = handle;
    req.oncomplete = onWriteComplete;
    req.callback = cb;
    let err: number;
    if (writev) {
      const list = data as Array<{ chunk: unknown; encoding: BufferEncoding }> & { allBuffers?: boolean };
      const bufs: Uint8Array[] = new Array(list.length);
      for (let i = 0; i < list.length; i++) bufs[i] = toBytes(list[i]!.chunk, list[i]!.encoding);
      err = handle.writev(req, bufs);
      if (err === 0 && req.async) req.buffer = bufs;
    } else {
      const buf = toBytes(data, encoding);
      err = handle.writeBuffer(req, buf);
      if (err === 0 && req.async) req.buffer = buf;
    }
    if (err !== 0) { cb(new ErrnoException(err, 'write', req.error)); return; }
    if (!req.async) cb();
    else this.lastWriteQueueSize = req.bytes;
  }

  /** @internal called when an asynchronous write completes. */
  afterAsyncWrite(): void {
    this.lastWriteQueueSize = 0;
  }

  override end(...args: unknown[]): this {
    (Duplex.prototype.end as (...a: unknown[]) => unknown).apply(this, args);
    return this;
  }

  // ---- timeouts, options --------------------------------------------------------------------

  /** Refreshes the inactivity timers of this socket and its parents. */
  _unrefTimer(): void {
    for (let s: NetSocket | null = this; s !== null; s = s._parent) s.idleTimer?.refresh();
  }

  setTimeout(msecs: number, callback?: () => void): this {
    if (this.destroyed) return this;
    this.timeout = msecs;
    const ms = timerDuration(msecs, 'msecs');
    if (this.idleTimer !== null) { this.idleTimer.close(); this.idleTimer = null; }
    if (ms === 0) {
      if (callback !== undefined) {
        validateFunction(callback, 'callback');
        this.removeListener('timeout', callback);
      }
    } else {
      this.idleTimer = new IdleTimer(this.netState, Math.max(1, ms), () => this._onTimeout(),
        // Real clock: unref'd, exactly as Node's (events run while handles keep the process);
        // virtual clock: ref'd while the handle is, so that time moves to it.
        () => this.netState.loop.sched.mode !== 'real' &&
          (this._handle === null || typeof extras(this._handle).ref !== 'function' || (this._handle as NetHandle).hasRef()));
      if (callback !== undefined) {
        validateFunction(callback, 'callback');
        this.once('timeout', callback);
      }
    }
    return this;
  }

  _onTimeout(): void {
    const handle = this._handle;
    const last = this.lastWriteQueueSize;
    if (last > 0 && handle) {
      // A write is still making progress: not idle.
      const { writeQueueSize } = handle;
      if (last !== writeQueueSize) {
        this.lastWriteQueueSize = writeQueueSize;
        this._unrefTimer();
        return;
      }
    }
    this.emit('timeout');
  }

  setNoDelay(enable?: boolean): this {
    const on = Boolean(enable === undefined ? true : enable);
    if (!this._handle) { this.setNoDelayFlag = on; return this; }
    const h = extras(this._handle);
    if (typeof h.setNoDelay === 'function' && on !== this.setNoDelayFlag) {
      this.setNoDelayFlag = on;
      h.setNoDelay(on);
    }
    return this;
  }

  setKeepAlive(enable?: boolean | KeepAliveOptions | null, initialDelayMsecs?: number, intervalMsecs?: number, count?: number): this {
    // Node 24.22: setKeepAlive({ enable, initialDelay, interval, count }) and the interval and count arguments.
    if (line.keepAliveInterval && enable !== null && typeof enable === 'object') {
      const o = enable;
      enable = o.enable;
      initialDelayMsecs = o.initialDelay;
      intervalMsecs = o.interval;
      count = o.count;
    }
    const on = Boolean(enable);
    const delay = ~~((initialDelayMsecs as number) / 1000);
    const intvl = line.keepAliveInterval && intervalMsecs !== undefined ? ~~(intervalMsecs / 1000) : undefined;
    const cnt: unknown = line.keepAliveInterval ? count : undefined;
    if (!this._handle) {
      this.setKeepAliveFlag = on;
      this.setKeepAliveDelay = delay;
      this.setKeepAliveIntvl = intvl;
      this.setKeepAliveCount = cnt;
      return this;
    }
    const h = extras(this._handle);
    if (typeof h.setKeepAlive !== 'function') return this;
    if (on !== this.setKeepAliveFlag || (on && (this.setKeepAliveDelay !== delay || this.setKeepAliveIntvl !== intvl || this.setKeepAliveCount !== cnt))) {
      this.setKeepAliveFlag = on;
      this.setKeepAliveDelay = delay;
      this.setKeepAliveIntvl = intvl;
      this.setKeepAliveCount = cnt;
      if (line.keepAliveInterval) h.setKeepAlive(on, delay, intvl, cnt);
      else h.setKeepAlive(on, delay);
    }
    return this;
  }

  /** Node 24.22: IP_TOS (IPv4) or IPV6_TCLASS (IPv6); kept until there is a handle, applied on connect. */
  setTypeOfService(tos: number): this {
    if (Number.isNaN(tos)) throw new ERR_INVALID_ARG_TYPE('tos', 'number', tos);
    validateInt32(tos, 'tos', 0, 255);
    const h = this._handle === null ? null : extras(this._handle);
    if (h === null || typeof h.setTypeOfService !== 'function') { this.setTOS = tos; return this; }
    if (tos !== this.setTOS) {
      this.setTOS = tos;
      const err = h.setTypeOfService(tos);
      if (err) throw new ErrnoException(err, 'setTypeOfService');
    }
    return this;
  }

  /** Node 24.22: the socket's IP_TOS / IPV6_TCLASS (what was set, or 0, without a handle; EBADF before the handle has a socket). */
  getTypeOfService(): number {
    const h = this._handle === null ? null : extras(this._handle);
    if (h === null || typeof h.getTypeOfService !== 'function') return this.setTOS !== undefined ? this.setTOS : 0;
    const res = h.getTypeOfService();
    if (typeof res === 'number' && res < 0) throw new ErrnoException(res, 'getTypeOfService');
    return res;
  }

  /** @internal the server applies its noDelay/keepAlive options to accepted sockets through these. */
  markOptions(noDelay: boolean, keepAlive: boolean, keepAliveDelay: number): void {
    if (noDelay) this.setNoDelayFlag = true;
    if (keepAlive) { this.setKeepAliveFlag = true; this.setKeepAliveDelay = keepAliveDelay; }
  }

  address(): SockNameOut {
    return this._getsockname();
  }

  get _connecting(): boolean { return this.connecting; }

  get pending(): boolean { return !this._handle || this.connecting; }

  get readyState(): string {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  get bufferSize(): number | undefined {
    return this._handle ? this.writableLength : undefined;
  }

  get bytesRead(): number {
    return this._handle ? this._handle.bytesRead : this.savedBytesRead;
  }

  get _bytesDispatched(): number {
    return this._handle ? this._handle.bytesWritten : this.savedBytesWritten;
  }

  get bytesWritten(): number | undefined {
    let bytes = this._bytesDispatched;
    const data = this._pendingData;
    const encoding = this._pendingEncoding;
    const writableBuffer = (this as unknown as { writableBuffer?: unknown }).writableBuffer as Array<{ chunk: unknown; encoding: BufferEncoding }> | undefined;
    if (!writableBuffer) return undefined;
    for (const el of writableBuffer) {
      bytes += Buffer.isBuffer(el.chunk) ? el.chunk.length : Buffer.byteLength(el.chunk as string, el.encoding);
    }
    if (Array.isArray(data)) {
      const list = data as Array<{ chunk: unknown; encoding: BufferEncoding } | Buffer> & { allBuffers?: boolean };
      for (const chunk of list) {
        if (list.allBuffers || Buffer.isBuffer(chunk)) bytes += (chunk as Buffer).length;
        else bytes += Buffer.byteLength((chunk as { chunk: string }).chunk, (chunk as { encoding: BufferEncoding }).encoding);
      }
    } else if (data) {
      if (typeof data !== 'string') bytes += (data as Uint8Array).length;
      else bytes += Buffer.byteLength(data, encoding as BufferEncoding);
    }
    return bytes;
  }

  _getpeername(): SockNameOut {
    const h = extras(this._handle);
    if (!this._handle || typeof h.getpeername !== 'function' || this.connecting) return this._peername || {};
    if (!this._peername) {
      const out: SockNameOut = {};
      const err = h.getpeername(out);
      if (err) return out;
      this._peername = out;
    }
    return this._peername;
  }

  _getsockname(): SockNameOut {
    if (this.boundPath !== undefined) return { address: this.boundPath };
    const h = extras(this._handle);
    if (!this._handle || typeof h.getsockname !== 'function') return {};
    if (!this._sockname) {
      this._sockname = {};
      h.getsockname(this._sockname);
    }
    return this._sockname;
  }

  get remoteAddress(): string | undefined { return this._getpeername().address; }
  get remoteFamily(): string | undefined { return this._getpeername().family; }
  get remotePort(): number | undefined { return this._getpeername().port; }
  get localAddress(): string | undefined { return this._getsockname().address; }
  get localPort(): number | undefined { return this._getsockname().port; }
  get localFamily(): string | undefined { return this._getsockname().family; }

  // ---- closing ------------------------------------------------------------------------------

  resetAndDestroy(): this {
    if (this._handle) {
      if (!(this._handle instanceof TcpHandle)) throw new ERR_INVALID_HANDLE_TYPE();
      if (this.connecting) this.once('connect', () => this._reset());
      else this._reset();
    } else {
      this.destroy(new ERR_SOCKET_CLOSED());
    }
    return this;
  }

  _reset(): this {
    this.resetAndClosing = true;
    return this.destroy();
  }

  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', this.destroy);
  }

  override _destroy(exception: Error | null, cb: (err: Error | null) => void): void {
    this.connecting = false;
    for (let s: NetSocket | null = this; s !== null; s = s._parent) {
      if (s.idleTimer !== null) { s.idleTimer.close(); s.idleTimer = null; }
    }
    const h = this._handle;
    if (h) {
      const isException = !!exception;
      this.savedBytesRead = h.bytesRead;
      this.savedBytesWritten = h.bytesWritten;
      if (this.resetAndClosing) {
        this.resetAndClosing = false;
        const err = (h as TcpHandle).reset(() => { this.emit('close', isException); });
        if (err) this.emit('error', new ErrnoException(err, 'reset'));
      } else if (this._closeAfterHandlingError) {
        queueMicrotask(() => this.closeSocketHandle(isException, true));
      } else {
        this.closeSocketHandle(isException);
      }
      if (!this._closeAfterHandlingError) {
        h.onread = noop;
        this._handle = null;
        this._sockname = null;
      }
      cb(exception);
    } else {
      cb(exception);
      process.nextTick(() => this.emit('close'));
    }
    if (this._server) {
      this._server._connections--;
      this._server._emitCloseIfDrained();
    }
  }

  // ---- connecting ---------------------------------------------------------------------------

  connect(...args: unknown[]): this {
    let normalized: NormalizedArgs;
    if (Array.isArray(args[0]) && (args[0] as NormalizedArgs)[kNormalized]) normalized = args[0] as NormalizedArgs;
    else normalized = normalizeArgs(args);
    const options = normalized[0] as SocketConnectOptions;
    const cb = normalized[1];
    if (cb !== null) this.once('connect', cb);

    if (this._parent && this._parent.connecting) return this;
    if (options.port === undefined && options.path == null) throw new ERR_MISSING_ARGS(['options', 'port', 'path']);

    // A socket ended by its peer gets writeAfterFIN; reconnecting brings the real write back.
    if (Object.prototype.hasOwnProperty.call(this, 'write')) delete (this as { write?: unknown }).write;

    if (this.destroyed) {
      this._handle = null;
      this._peername = null;
      this._sockname = null;
    }

    const { path } = options;
    // An adopted BoundSocket's handle says TCP or pipe (until it is destroyed), not the options.
    const pipe = this.boundSource && this._handle ? this._handle instanceof PipeHandle : !!path;
    if (!this._handle) {
      this._handle = pipe ? new PipeHandle(this.netState.loop, PipeConstants.SOCKET) : new TcpHandle(this.netState.loop, TCPConstants.SOCKET);
      this.initSocketHandle();
    }
    this._unrefTimer();
    this.connecting = true;

    if (pipe) {
      validateString(path, 'options.path');
      this.internalConnect(path, undefined, 0, undefined, undefined);
    } else {
      this.lookupAndConnect(options);
    }
    return this;
  }

  /** @internal replaces the handle between two connection attempts. */
  reinitializeHandle(handle: NetHandle): void {
    this._handle?.close();
    this._handle = handle;
    handle.owner = this;
    this.initSocketHandle();
  }

  private lookupAndConnect(options: SocketConnectOptions): void {
    const { localAddress, localPort } = options;
    const host = options.host || 'localhost';
    let { port, autoSelectFamilyAttemptTimeout, autoSelectFamily } = options;
    if (line.net22) validateStringWithoutNullBytes(host, 'options.host');

    // An adopted BoundSocket has its local address and family already.
    if (this.boundSource) {
      if (localAddress !== undefined || localPort !== undefined) {
        throw new ERR_INVALID_ARG_VALUE('options', options, 'localAddress and localPort cannot be used with an adopted bound socket');
      }
      autoSelectFamily = false;
    }

    if (localAddress && !isIP(localAddress)) throw new ERR_INVALID_IP_ADDRESS(localAddress);
    if (localPort) validateNumber(localPort, 'options.localPort');
    if (typeof port !== 'undefined') {
      if (typeof port !== 'number' && typeof port !== 'string') throw new ERR_INVALID_ARG_TYPE('options.port', ['number', 'string'], port);
      validatePort(port);
    }
    const portNum = (port as number) | 0;

    if (autoSelectFamily != null) validateBoolean(autoSelectFamily, 'options.autoSelectFamily');
    else autoSelectFamily = this.netState.autoSelectFamily;

    if (autoSelectFamilyAttemptTimeout != null) {
      validateInt32(autoSelectFamilyAttemptTimeout, 'options.autoSelectFamilyAttemptTimeout', 1);
      if (autoSelectFamilyAttemptTimeout < 10) autoSelectFamilyAttemptTimeout = 10;
    } else {
      autoSelectFamilyAttemptTimeout = this.netState.autoSelectFamilyAttemptTimeout;
    }

    const addressType = isIP(host);
    if (addressType) {
      // Node 24.22: a BoundSocket connects within the call (its source address is known at once).
      if (this.boundSource) {
        this.internalConnect(host, portNum, addressType, localAddress, localPort);
        return;
      }
      process.nextTick(() => {
        if (this.connecting) this.internalConnect(host, portNum, addressType, localAddress, localPort);
      });
      return;
    }

    if (options.lookup != null) validateFunction(options.lookup, 'options.lookup');
    const dnsopts: { family: number | string | undefined; hints: number; all?: boolean } = {
      family: socketToDnsFamily(options.family),
      hints: options.hints || 0,
    };
    if (dnsopts.family !== 4 && dnsopts.family !== 6 && dnsopts.hints === 0) dnsopts.hints = ADDRCONFIG;

    this._host = host;
    const lookup: LookupFunction = options.lookup || this.netState.lookup;

    if (dnsopts.family !== 4 && dnsopts.family !== 6 && !localAddress && autoSelectFamily) {
      dnsopts.all = true;
      this.lookupAndConnectMultiple(lookup, host, options, dnsopts, portNum, localAddress, localPort, autoSelectFamilyAttemptTimeout);
      return;
    }

    lookup(host, dnsopts, (err, ip, family) => {
      this.emit('lookup', err, ip, family, host);
      if (!this.connecting) return;
      if (err) {
        process.nextTick(() => this.destroy(err));
      } else if (typeof ip !== 'string' || !isIP(ip)) {
        const e = new ERR_INVALID_IP_ADDRESS(ip as string);
        process.nextTick(() => this.destroy(e));
      } else if (family !== 4 && family !== 6) {
        const e = invalidAddressFamily(family, options.host, options.port);
        process.nextTick(() => this.destroy(e));
      } else {
        this._unrefTimer();
        this.internalConnect(ip, portNum, family, localAddress, localPort);
      }
    });
  }

  private lookupAndConnectMultiple(lookup: LookupFunction, host: string, options: SocketConnectOptions,
    dnsopts: { family: number | string | undefined; hints: number; all?: boolean }, port: number,
    localAddress: string | undefined, localPort: number | undefined, timeout: number): void {
    lookup(host, dnsopts, (err, result) => {
      if (!this.connecting) return;
      if (err) {
        this.emit('lookup', err, undefined, undefined, host);
        process.nextTick(() => this.destroy(err));
        return;
      }
      const addresses = (Array.isArray(result) ? result : [{ address: result, family: isIP(result) }]) as LookupAddress[];
      // RFC 8305 §4: interleave the families, the first answer's family first.
      const valid: [LookupAddress[], LookupAddress[]] = [[], []];
      const seen: [string[], string[]] = [[], []];
      let order: Record<number, 0 | 1> | undefined;
      for (const a of addresses) {
        this.emit('lookup', err, a.address, a.family, host);
        if (!this.connecting) return;
        if (isIP(a.address) && (a.family === 4 || a.family === 6)) {
          order ??= a.family === 6 ? { 6: 0, 4: 1 } : { 4: 0, 6: 1 };
          const d = order[a.family]!;
          if (!seen[d].includes(a.address)) { valid[d].push(a); seen[d].push(a.address); }
        }
      }
      if (valid[0].length === 0 && valid[1].length === 0) {
        const first = addresses[0];
        if (first === undefined) return;
        if (!isIP(first.address)) {
          const e = new ERR_INVALID_IP_ADDRESS(first.address);
          process.nextTick(() => this.destroy(e));
        } else if (first.family !== 4 && first.family !== 6) {
          const e = invalidAddressFamily(first.family, options.host, options.port);
          process.nextTick(() => this.destroy(e));
        }
        return;
      }
      const toAttempt: LookupAddress[] = [];
      for (let i = 0, l = Math.max(valid[0].length, valid[1].length); i < l; i++) {
        if (i < valid[0].length) toAttempt.push(valid[0][i]!);
        if (i < valid[1].length) toAttempt.push(valid[1][i]!);
      }
      if (toAttempt.length === 1) {
        const only = toAttempt[0]!;
        this._unrefTimer();
        this.internalConnect(only.address, port, only.family, localAddress, localPort);
        return;
      }
      this.autoSelectFamilyAttemptedAddresses = [];
      const context: MultiConnectContext = {
        socket: this, addresses: toAttempt, current: 0, port, localPort, timeout, timer: null, errors: [],
      };
      this._unrefTimer();
      this.internalConnectMultiple(context);
    });
  }

  private internalConnect(address: string, port: number | undefined, addressType: number, localAddress: string | undefined,
    localPort: number | undefined, flags = 0): void {
    let err = 0;
    const handle = this._handle!;
    if (localAddress || localPort) {
      const tcp = handle as TcpHandle;
      if (addressType === 4) {
        localAddress = localAddress || DEFAULT_IPV4_ADDR;
        err = tcp.bind(localAddress, localPort ?? 0);
      } else {
        localAddress = localAddress || DEFAULT_IPV6_ADDR;
        err = tcp.bind6(localAddress, localPort ?? 0, flags);
      }
      err = checkBindError(err, localPort ?? 0, tcp);
      if (err) {
        this.destroy(new ExceptionWithHostPort(err, 'bind', localAddress, localPort));
        return;
      }
    }

    this.emit('connectionAttempt', address, port, addressType);
    if (addressType === 6 || addressType === 4) {
      if (this.blockList?.check(address, `ipv${addressType}`)) {
        this.destroy(new ERR_IP_BLOCKED(address));
        return;
      }
      const req = new ConnectWrap();
      req.oncomplete = afterConnect;
      req.address = address;
      req.port = port;
      req.localAddress = localAddress;
      req.localPort = localPort;
      req.addressType = addressType;
      const tcp = handle as TcpHandle;
      err = addressType === 4 ? tcp.connect(req, address, port!) : tcp.connect6(req, address, port!);
    } else {
      const req = new ConnectWrap();
      req.address = address;
      req.oncomplete = afterConnect;
      err = (handle as PipeHandle).connect(req, address, line.pipeNoTruncate ? PipeConstants.UV_PIPE_NO_TRUNCATE : 0);
    }

    if (err) {
      const sockname = this._getsockname();
      const details = sockname ? `${sockname.address}:${sockname.port}` : undefined;
      this.destroy(new ExceptionWithHostPort(err, 'connect', address, port, details));
    } else if (addressType === 6 || addressType === 4) {
      this.connectPerf = this.netState.perf?.start('net', 'connect', { host: address, port }) ?? null;
    }
  }

  private internalConnectMultiple(context: MultiConnectContext, canceled = false): void {
    if (context.timer !== null) { context.timer.cancel(); context.timer = null; }
    if (this._aborted) return;
    if (canceled || context.current === context.addresses.length) {
      if (context.errors.length === 0) { this.destroy(new ERR_SOCKET_CONNECTION_TIMEOUT()); return; }
      this.destroy(new NodeAggregateError(context.errors));
      return;
    }
    const current = context.current++;
    if (current > 0) this.reinitializeHandle(new TcpHandle(this.netState.loop, TCPConstants.SOCKET));

    const { localPort, port } = context;
    const { address, family: addressType } = context.addresses[current]!;
    const handle = this._handle as TcpHandle;
    let localAddress: string | undefined;
    let err: number;
    if (localPort) {
      if (addressType === 4) { localAddress = DEFAULT_IPV4_ADDR; err = handle.bind(localAddress, localPort); }
      else { localAddress = DEFAULT_IPV6_ADDR; err = handle.bind6(localAddress, localPort, 0); }
      err = checkBindError(err, localPort, handle);
      if (err) {
        context.errors.push(new ExceptionWithHostPort(err, 'bind', localAddress, localPort));
        this.internalConnectMultiple(context);
        return;
      }
    }

    if (this.blockList?.check(address, addressType === 6 ? 'ipv6' : 'ipv4')) {
      const ex = new ERR_IP_BLOCKED(address);
      context.errors.push(ex);
      this.emit('connectionAttemptFailed', address, port, addressType, ex);
      this.internalConnectMultiple(context);
      return;
    }

    this.emit('connectionAttempt', address, port, addressType);
    const req = new ConnectWrap();
    req.oncomplete = function (this: ConnectWrap, status, h, r, readable, writable) {
      afterConnectMultiple(context, current, status, h, r, readable, writable);
    };
    req.address = address;
    req.port = port;
    req.localAddress = localAddress;
    req.localPort = localPort;
    req.addressType = addressType;
    this.autoSelectFamilyAttemptedAddresses!.push(`${address}:${port}`);

    err = addressType === 4 ? handle.connect(req, address, port) : handle.connect6(req, address, port);
    if (err) {
      const sockname = this._getsockname();
      const details = sockname ? `${sockname.address}:${sockname.port}` : undefined;
      const ex = new ExceptionWithHostPort(err, 'connect', address, port, details);
      context.errors.push(ex);
      this.emit('connectionAttemptFailed', address, port, addressType, ex);
      this.internalConnectMultiple(context);
      return;
    }
    if (current < context.addresses.length - 1) {
      // RFC 8305 §5: start the next attempt when this one has not answered in time.
      context.timer = this.netState.loop.sched.after(context.timeout, this.netState.loop.sched.bind(() => {
        context.timer = null;
        this.emit('connectionAttemptTimeout', req.address, req.port, req.addressType);
        req.oncomplete = null;
        context.errors.push(createConnectionError(req, UV_ETIMEDOUT));
        handle.close();
        if (this.connecting) this.internalConnectMultiple(context);
      }));
    }
  }

  /** @internal */
  afterConnect(status: number, req: ConnectWrap, readable: boolean, writable: boolean): void {
    if (this.destroyed) return;
    this.connecting = false;
    this._sockname = null;
    if (status === 0) {
      if (this.readable && !readable) { this.push(null); this.read(); }
      if (this.writable && !writable) this.end();
      this._unrefTimer();
      const h = extras(this._handle);
      if (this.setNoDelayFlag && typeof h.setNoDelay === 'function') h.setNoDelay(true);
      if (this.setKeepAliveFlag && typeof h.setKeepAlive === 'function') {
        if (line.keepAliveInterval) h.setKeepAlive(true, this.setKeepAliveDelay, this.setKeepAliveIntvl, this.setKeepAliveCount);
        else h.setKeepAlive(true, this.setKeepAliveDelay);
      }
      if (this.setTOS !== undefined && typeof h.setTypeOfService === 'function') {
        // Node 24.22: a failure (other than no socket) is an 'error', the connection stays.
        const err = h.setTypeOfService(this.setTOS);
        if (err && err !== UV_EBADF) this.emit('error', new ErrnoException(err, 'setTypeOfService'));
      }
      this.emit('connect');
      this.emit('ready');
      if (readable && !this.isPaused()) this.read(0);
      if (this.connectPerf !== null) { this.netState.perf?.stop(this.connectPerf); this.connectPerf = null; }
    } else {
      const ex = createConnectionError(req, status);
      this.emit('connectionAttemptFailed', req.address, req.port, req.addressType, ex);
      this.destroy(ex);
    }
  }

  ref(): this {
    if (!this._handle) { this.once('connect', this.ref); return this; }
    extras(this._handle).ref?.();
    this.idleTimer?.syncRef();
    return this;
  }

  unref(): this {
    if (!this._handle) { this.once('connect', this.unref); return this; }
    extras(this._handle).unref?.();
    this.idleTimer?.syncRef();
    return this;
  }
}

// What the running line's net.Socket has: the type of service from Node 24.22.
if (!line.typeOfService) {
  const proto = NetSocket.prototype as unknown as Record<string, unknown>;
  delete proto['setTypeOfService'];
  delete proto['getTypeOfService'];
}

/** ERR_INVALID_ADDRESS_FAMILY with its host and port properties, as Node sets them. */
function invalidAddressFamily(family: unknown, host: unknown, port: unknown): Error {
  return Object.assign(new ERR_INVALID_ADDRESS_FAMILY(family as string, host as string, port as number), { host, port });
}

function toBytes(chunk: unknown, encoding: string): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, (encoding === 'buffer' ? 'utf8' : encoding) as BufferEncoding);
  return chunk as Uint8Array;
}

function socketToDnsFamily(family: unknown): number | string | undefined {
  switch (family) {
    case 'IPv4': return 4;
    case 'IPv6': return 6;
  }
  return family as number | string | undefined;
}

/**
 * A failed bind may only show at listen/connect time, and a failed bind followed by connect
 * binds to a random port: check the port is the one asked for (Node's checkBindError).
 */
if (kNodeTimeout !== undefined) {
  const views = new WeakMap<NetSocket, TimeoutView>();
  Object.defineProperty(NetSocket.prototype, kNodeTimeout, {
    configurable: true,
    get(this: NetSocket): TimeoutView | null {
      // null until a timeout is set, as Node's; then the same object (`_idleTimeout` -1 once cleared).
      let v = views.get(this);
      if (v === undefined) {
        if ((this as unknown as { idleTimer: IdleTimer | null }).idleTimer === null) return null;
        v = new TimeoutView(this);
        views.set(this, v);
      }
      return v;
    },
  });
}

export function checkBindError(err: number, port: number, handle: NetHandle): number {
  const h = extras(handle);
  if (err === 0 && port > 0 && typeof h.getsockname === 'function') {
    const out: SockNameOut = {};
    err = h.getsockname(out);
    if (err === 0 && port !== out.port) err = UV_EADDRINUSE;
  }
  return err;
}

function createConnectionError(req: ConnectWrap, status: number): Error {
  let details: string | undefined;
  if (req.localAddress && req.localPort) details = `${req.localAddress}:${req.localPort}`;
  const ex = new ExceptionWithHostPort(status, 'connect', req.address, req.port, details);
  if (details) Object.assign(ex, { localAddress: req.localAddress, localPort: req.localPort });
  return ex;
}

function afterConnect(this: ConnectWrap, status: number, handle: StreamHandle, req: ConnectWrap, readable: boolean, writable: boolean): void {
  const self = handle.owner as NetSocket | null;
  if (!self) return;
  self.afterConnect(status, req, readable, writable);
}

function afterConnectMultiple(context: MultiConnectContext, current: number, status: number, handle: StreamHandle,
  req: ConnectWrap, readable: boolean, writable: boolean): void {
  if (context.timer !== null) { context.timer.cancel(); context.timer = null; }
  // A late success of an attempt that already timed out: drop it.
  if (status === 0 && current !== context.current - 1) { handle.close(); return; }
  const self = context.socket;
  if (status !== 0) {
    const ex = createConnectionError(req, status);
    context.errors.push(ex);
    self.emit('connectionAttemptFailed', req.address, req.port, req.addressType, ex);
    if (self.connecting) (self as unknown as { internalConnectMultiple(c: MultiConnectContext, x: boolean): void }).internalConnectMultiple(context, status === UV_ECANCELED);
    return;
  }
  (self as unknown as { connectPerf: PerfMark | null }).connectPerf =
    self.netState.perf?.start('net', 'connect', { host: req.address, port: req.port }) ?? null;
  self.afterConnect(status, req, readable, writable);
}

function afterShutdown(this: ShutdownWrap): void {
  this.callback?.();
}

function onWriteComplete(this: WriteWrap, status: number): void {
  const stream = this.handle?.owner as NetSocket | null;
  if (!stream || stream.destroyed) {
    this.callback?.(null);
    return;
  }
  if (status < 0) {
    const ex = new ErrnoException(status, 'write', this.error);
    if (this.callback) this.callback(ex);
    else stream.destroy(ex);
    return;
  }
  stream._unrefTimer();
  stream.afterAsyncWrite();
  this.callback?.(null);
}

/** After the peer's FIN, a socket without allowHalfOpen refuses writes with this error. */
function writeAfterFIN(this: NetSocket, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
  if (!this.writableEnded) {
    return (Duplex.prototype.write as (...a: unknown[]) => boolean).call(this, chunk, encoding, cb);
  }
  if (typeof encoding === 'function') { cb = encoding; encoding = null; }
  const er = genericNodeError('This socket has been ended by the other party', { code: 'EPIPE' });
  if (typeof cb === 'function') process.nextTick(cb as (e: Error) => void, er);
  this.destroy(er);
  return false;
}

function onReadableStreamEnd(this: NetSocket): void {
  if (!this.allowHalfOpen) (this as unknown as { write: typeof writeAfterFIN }).write = writeAfterFIN;
}

/** The handle kind for a sys descriptor (Node's guessHandleType): a unix socket is a pipe. */
export function createHandleForFd(state: NetState, fd: number, isServer: boolean): NetHandle {
  validateInt32(fd, 'fd', 0);
  const domain = state.loop.sys.getsockopt(fd, 'SOL_SOCKET', 'SO_DOMAIN');
  const type = state.loop.sys.getsockopt(fd, 'SOL_SOCKET', 'SO_TYPE');
  if (domain === AF_UNIX && type === 1) return new PipeHandle(state.loop, isServer ? PipeConstants.SERVER : PipeConstants.SOCKET);
  if ((domain === AF_INET || domain === AF_INET6) && type === 1) return new TcpHandle(state.loop, isServer ? TCPConstants.SERVER : TCPConstants.SOCKET);
  throw new ERR_INVALID_FD_TYPE(typeof type === 'number' && type === 2 ? 'UDP' : 'UNKNOWN');
}
