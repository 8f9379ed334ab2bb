// A host's stream socket as Node's C++ layers see a native one. Node's TLS (TLSWrap) and HTTP/2
// (Http2Session) work on a StreamBase, the C++ face of a libuv stream handle; for any other
// Duplex they go through JSStreamSocket, which feeds the Duplex's 'data' events in and writes
// through the Duplex (so a Duplex without allowHalfOpen ends its writable side when the peer's
// FIN arrives, and TLS data still to be sent is lost with EPIPE: on the kernel as well).
//
// Here the StreamBase is Node's JSStream (a StreamBase whose I/O calls come to JavaScript) wired
// straight to the host socket's stream handle, as TLSWrap is wired to a TCPWrap: reads, EOF and
// errors of the handle go to the C++ consumer, writes and shutdowns go to the handle, the
// socket's own Duplex is bypassed (as a net.Socket's is once TLS takes its handle). What carries
// the JSStream is a node:net Socket of Node's own, so that Node's TLS and HTTP/2 take it as a
// connected native socket (`socket._handle.isStreamBase`).
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import * as timers from 'node:timers';
import * as tls from 'node:tls';
import { ShutdownWrap, UV_EBADF, UV_EOF, WriteWrap, type SockNameOut } from '../handles/stream.js';
import { ErrnoException } from './errors.js';
import { IdleTimer, NetSocket, extras, kNodeTimeout, timerDuration, type NetHandle } from './net-socket.js';
import { validateFunction } from './validators.js';

/** What Node's JSStream (internalBinding('js_stream')) offers JavaScript. */
interface JSStreamHandle {
  onreadstart: () => number;
  onreadstop: () => number;
  onwrite: (req: object, bufs: Buffer[]) => number;
  onshutdown: (req: object) => number;
  isClosing: () => boolean;
  close: (cb?: () => void) => void;
  readBuffer(buf: Uint8Array): void;
  emitEOF(): void;
  finishWrite(req: object, status: number): void;
  finishShutdown(req: object, status: number): void;
  // What TLSWrap and net.Socket forward to the handle below them.
  getsockname?: (out: SockNameOut) => number;
  getpeername?: (out: SockNameOut) => number;
  setNoDelay?: (enable: boolean) => number;
  setKeepAlive?: (enable: boolean, delay: number) => number;
  ref?: () => void;
  unref?: () => void;
  hasRef?: () => boolean;
  readonly isStreamBase: boolean;
}

type JSStreamClass = new () => JSStreamHandle;

// Node's own classes, taken when this module loads: usernet/register re-points node:net's and
// node:tls's exports at a host's later, and these must stay Node's.
const NodeSocket = net.Socket;
type NodeSocket = net.Socket;
const NodeTLSSocket = tls.TLSSocket;
const nodeCreateSecureContext = tls.createSecureContext;
const nodeClearTimeout = timers.clearTimeout;
const nodeHttp2Connect = http2.connect;

let JSStream: JSStreamClass | null = null;

/**
 * Node's JSStream class. It is not exported; a TLSSocket made over a plain Duplex holds one
 * (TLSWrap's `_parent`), which is where it is found, once.
 */
function jsStreamClass(): JSStreamClass {
  if (JSStream !== null) return JSStream;
  // Its own context: a program may have replaced tls.createSecureContext (Node's tests do).
  const probe = new NodeTLSSocket(new PassThrough(), { secureContext: nodeCreateSecureContext() });
  const parent = (probe as unknown as { _handle: { _parent?: object } | null })._handle?._parent;
  probe.destroy();
  if (parent === undefined || typeof (parent as JSStreamHandle).readBuffer !== 'function') {
    throw new Error('usernet: Node\'s JSStream was not found under a TLSSocket (an unsupported Node.js version?)');
  }
  JSStream = (parent as { constructor: JSStreamClass }).constructor;
  return JSStream;
}

const kStreamBase = Symbol('usernet.streamBase');

/** A host's net socket (a socket of some host.net). */
export function isHostSocket(s: unknown): s is NetSocket {
  return s instanceof NetSocket;
}

/** The native-looking socket made for `raw` (the same one each time), or `raw` if it is not a host's. */
export function asStreamBase<T>(s: T): T | NodeSocket {
  return isHostSocket(s) ? toStreamBase(s) : s;
}

/** StreamBase handles whose consumer's C++ writes complete at once (HTTP/2 sessions). */
const atOnce = new WeakSet<object>();

/** `s` (from toStreamBase) carries an HTTP/2 session: its C++ writes complete as soon as taken. */
export function completeWritesAtOnce(s: unknown): void {
  const handle = isStreamBaseSocket(s) ? (s as unknown as { _handle: object | null })._handle : null;
  if (handle !== null) atOnce.add(handle);
}

/** Whether `s` is a socket made by toStreamBase(). */
export function isStreamBaseSocket(s: unknown): s is NodeSocket & { [kStreamBase]: NetSocket } {
  return s instanceof NodeSocket && (s as unknown as { [kStreamBase]?: NetSocket })[kStreamBase] !== undefined;
}

/** The host socket under a socket made by toStreamBase(). */
export function hostSocketOf(s: NodeSocket): NetSocket | undefined {
  return (s as unknown as { [kStreamBase]?: NetSocket })[kStreamBase];
}

/**
 * A node:net Socket (Node's own class) whose handle is a StreamBase over `raw`'s stream handle.
 * From then on the handle's reads, EOF and errors go to whatever consumes the StreamBase (TLS,
 * HTTP/2), not to `raw`'s Duplex. Destroying either socket destroys the other. `raw` may still
 * be connecting, or not yet connecting: the StreamBase takes the handle it ends up connected
 * with (writes wait for it).
 */
export function toStreamBase(raw: NetSocket): NodeSocket {
  const known = (raw as unknown as { [kStreamBase]?: NodeSocket })[kStreamBase];
  if (known !== undefined) return known;
  if (raw.netState.loop.sched.mode === 'virtual') installNodeTimeouts();
  const js = new (jsStreamClass())();
  let handle: NetHandle | null = null;
  let rawClosed = false;
  // `raw` closed first (destroyed by its owner): `sock` closes in the same turn, as a socket of
  // Node's does when the socket under it emits 'close' (its consumers see it closed at once).
  let closingWithRaw = false;
  let closeCallback: (() => void) | null = null;
  let eof = false;
  const pendingWrites: Array<() => void> = [];

  const onread = (nread: number, buf?: Buffer): void => {
    if (nread > 0) { js.readBuffer(buf!); return; }
    if (nread === 0) return;
    if (nread === UV_EOF) { eof = true; js.emitEOF(); return; }
    // A read error (ECONNRESET...): what TLSWrap would pass up from a TCPWrap.
    sock.destroy(new ErrnoException(nread, 'read'));
  };

  /** Takes the connected handle from `raw` (its reads come here from now on). */
  const adopt = (): void => {
    const h = raw._handle;
    if (h === null || handle === h) return;
    handle = h;
    h.onread = onread;
    // What `raw` read before but nobody consumed goes first.
    let chunk: unknown;
    const state = (raw as unknown as { _readableState: { length: number; ended: boolean } })._readableState;
    while (state.length > 0 && (chunk = raw.read()) !== null) js.readBuffer(chunk as Buffer);
    if (state.ended && !eof) { eof = true; js.emitEOF(); }
    for (const w of pendingWrites.splice(0)) w();
  };

  js.onreadstart = (): number => {
    if (handle === null) return 0;
    handle.reading = true;
    return handle.readStart();
  };
  js.onreadstop = (): number => {
    if (handle === null) return 0;
    handle.reading = false;
    return handle.readStop();
  };
  js.onwrite = (req: object, bufs: Buffer[]): number => {
    const h = handle;
    if (h === null) {
      if (rawClosed) return UV_EBADF;
      pendingWrites.push(() => { const err = js.onwrite(req, bufs); if (err) js.finishWrite(req, err); });
      return 0;
    }
    const w = new WriteWrap();
    w.oncomplete = (status: number): void => { js.finishWrite(req, status); };
    const err = bufs.length === 1 ? h.writeBuffer(w, bufs[0]!) : h.writev(w, bufs);
    if (err) return err;
    if (!w.async) {
      // Written at once. An HTTP/2 session's write completes now, as a TCP handle's does when
      // uv_try_write takes it all, so nghttp2 packs and orders frames as over a socket of
      // Node's (END_STREAM on the last DATA, a destroyed stream's frames before its
      // RST_STREAM). Others complete on the next tick, as the StreamBase requires of a write
      // from JS (Node's JS sets up its completion after the call; its request has a `handle`:
      // one from C++ has none, or from Node 24 on a `handle` of null, its template's default),
      // and TLSWrap's gather the records encrypted meanwhile into its next write (measured:
      // completing them at once took HTTPS bulk from 0.61x to 0.45x of the kernel).
      if (atOnce.has(js) && (req as { handle?: unknown }).handle == null) js.finishWrite(req, 0);
      else process.nextTick(finishWrite, js, req);
    }
    return 0;
  };
  js.onshutdown = (req: object): number => {
    if (handle === null) return UV_EBADF;
    const s = new ShutdownWrap();
    s.oncomplete = (status: number): void => { js.finishShutdown(req, status); };
    return handle.shutdown(s);
  };
  js.isClosing = (): boolean => rawClosed || (handle !== null && handle.isClosed);
  js.close = (cb?: () => void): void => {
    if (rawClosed) {
      if (cb === undefined) return;
      if (closingWithRaw) closeCallback = cb; else setImmediate(cb);
      return;
    }
    // A handle's close callback comes after the ticks queued so far (libuv's close phase): a
    // socket with no handle yet emits 'close' on the next tick, so wait for an immediate.
    if (cb) raw.once('close', raw._handle === null ? () => setImmediate(cb) : () => cb());
    raw.destroy();
  };
  js.getsockname = (out: SockNameOut): number => extras(raw._handle).getsockname?.(out) ?? UV_EBADF;
  js.getpeername = (out: SockNameOut): number => extras(raw._handle).getpeername?.(out) ?? UV_EBADF;
  js.setNoDelay = (enable: boolean): number => { raw.setNoDelay(enable); return 0; };
  // Node 24.22's TLSSocket hands on an interval and a count too (seconds, or undefined).
  js.setKeepAlive = (enable: boolean, delay: number, interval?: number, count?: number): number => {
    raw.setKeepAlive(enable, delay * 1000, interval === undefined ? undefined : interval * 1000, count);
    return 0;
  };
  js.ref = (): void => { raw.ref(); };
  js.unref = (): void => { raw.unref(); };
  js.hasRef = (): boolean => (raw._handle as unknown as { hasRef?: () => boolean } | null)?.hasRef?.() ?? true;

  const sock = new NodeSocket({ handle: js, manualStart: true, allowHalfOpen: raw.allowHalfOpen } as ConstructorParameters<typeof NodeSocket>[0]);
  Object.defineProperty(sock, kStreamBase, { value: raw });
  // Node's sockets refresh the timers of their `_parent` chain: traffic through TLS or HTTP/2
  // keeps `raw`'s inactivity timeout (raw.setTimeout) from firing, as over a socket of Node's.
  (sock as unknown as { _parent: unknown })._parent = raw;
  Object.defineProperty(raw, kStreamBase, { value: sock });
  const s = sock as unknown as { connecting: boolean; _host: string | null };
  s._host = raw._host;
  if (raw._handle !== null && !raw.connecting) {
    adopt();
  } else {
    // Connecting, or not yet told where to (connected later: TLS's argument checks come first).
    s.connecting = true;
    raw.once('connect', () => {
      adopt();
      s.connecting = false;
      sock.emit('connect');
    });
  }
  raw.on('error', (err: Error) => { if (!sock.destroyed) sock.destroy(err); });
  raw.once('close', () => {
    rawClosed = true;
    if (sock.destroyed) return;
    closingWithRaw = true;
    try { sock.destroy(); } finally { closingWithRaw = false; }
    const cb = closeCallback;
    closeCallback = null;
    cb?.();
  });
  return sock;
}

function finishWrite(js: JSStreamHandle, req: object): void {
  js.finishWrite(req, 0);
}

// ---- Node's inactivity timeouts over a host socket, on the network's clock ----------------------
//
// Node's own socket objects over a host socket (the StreamBase socket, a TLSSocket over it, an
// HTTP/2 session) keep their timeouts in Node's timer lists, on the machine's clock: setTimeout
// (lib/internal/stream_base_commons.js setStreamTimeout), which TLS's handshakeTimeout, the HTTP
// server's `timeout` and `keepAliveTimeout` on TLS sockets, tls.connect's `timeout` and
// Http2Session#setTimeout (the HTTP/2 server's `timeout`) all go through. On a virtual clock
// they run on the network's instead: the setTimeout of Node's net.Socket and Http2Session is
// wrapped, once, when the first StreamBase over a host socket of a virtual-clock network is made
// (never under usernet/register, whose networks run on the real clock); for any other object,
// and on the real clock (where Node's timers already keep the network's time), it is Node's own.

type TimeoutOwner = {
  destroyed: boolean;
  timeout?: unknown;
  _onTimeout(): void;
  once(ev: string, fn: (...a: unknown[]) => void): unknown;
  removeListener(ev: string, fn: (...a: unknown[]) => void): unknown;
} & Record<symbol, unknown>;

/**
 * The inactivity timer Node's code finds under `kTimeout` (refresh() on activity, `_parent`
 * chains; Node's clearTimeout sets `_onTimeout` to null and unlinks `_idlePrev`/`_idleNext`).
 */
class HostTimeout {
  _idleTimeout: number;
  _idlePrev: unknown = null;
  _idleNext: unknown = null;
  _destroyed = false;
  private timer: IdleTimer | null;
  constructor(raw: NetSocket, ms: number, fn: () => void) {
    this._idleTimeout = ms;
    const state = raw.netState;
    // Ref'd on the virtual clock while the host socket's handle is (time moves on to it), as a host socket's own.
    this.timer = new IdleTimer(state, Math.max(1, ms), fn, () => state.loop.sched.mode !== 'real' &&
      (raw._handle === null || typeof extras(raw._handle).ref !== 'function' || (raw._handle as NetHandle).hasRef()));
  }
  get _onTimeout(): (() => void) | null { return this.timer === null ? null : this.noop; }
  set _onTimeout(v: unknown) { if (v == null) this.close(); }
  get _idleStart(): number | undefined { return this.timer?.start; }
  refresh(): this { this.timer?.refresh(); return this; }
  close(): this { this.timer?.close(); this.timer = null; return this; }
  hasRef(): boolean { return false; }
  ref(): this { return this; }
  unref(): this { return this; }
  private noop = (): void => {};
}

/**
 * The host socket under one of Node's objects: a StreamBase socket, a TLSSocket over one (also
 * while its constructor runs: its TLSWrap's `_parentWrap`), an HTTP/2 session over either.
 */
function hostSocketBeneath(obj: unknown, depth = 0): NetSocket | undefined {
  if (obj === null || typeof obj !== 'object' || depth > 4) return undefined;
  if (isStreamBaseSocket(obj)) return hostSocketOf(obj);
  const o = obj as { _parent?: unknown; _handle?: { _parentWrap?: unknown } | null };
  const wrap = o._handle?._parentWrap;
  if (wrap !== undefined) return hostSocketBeneath(wrap, depth + 1);
  if (o._parent !== undefined && o._parent !== null) return hostSocketBeneath(o._parent, depth + 1);
  return undefined;
}

/** Node's setStreamTimeout, on the network's clock of `raw`. */
function hostStreamTimeout(self: TimeoutOwner, raw: NetSocket, msecs: unknown, callback?: unknown): TimeoutOwner {
  if (self.destroyed) return self;
  self.timeout = msecs;
  const ms = timerDuration(msecs, 'msecs');
  const old = self[kNodeTimeout!];
  if (old instanceof HostTimeout) old.close();
  else if (old != null) nodeClearTimeout(old as NodeJS.Timeout);
  if (ms === 0) {
    if (callback !== undefined) {
      validateFunction(callback, 'callback');
      self.removeListener('timeout', callback as () => void);
    }
  } else {
    self[kNodeTimeout!] = new HostTimeout(raw, ms, () => self._onTimeout());
    if (callback !== undefined) {
      validateFunction(callback, 'callback');
      self.once('timeout', callback as () => void);
    }
  }
  return self;
}

/**
 * Runs `fn` once after `ms` on the clock of the network `socket` belongs to (a host socket, or
 * one of Node's sockets over one): a ref'd event on the virtual clock, unref'd on the real one
 * (as Node's unref'd timers); null for a socket of the machine. Returns what cancels it.
 */
export function networkTimeout(socket: unknown, ms: number, fn: () => void): (() => void) | null {
  const raw = isHostSocket(socket) ? socket : hostSocketBeneath(socket);
  if (raw === undefined) return null;
  const sched = raw.netState.loop.sched;
  const t = sched.after(ms, sched.bind(fn), sched.mode !== 'real');
  return () => t.cancel();
}

let timeoutsInstalled = false;

function installNodeTimeouts(): void {
  if (timeoutsInstalled || kNodeTimeout === undefined) return;
  timeoutsInstalled = true;
  const wrap = (proto: { setTimeout: (this: TimeoutOwner, ...a: unknown[]) => unknown }, beneath: (self: TimeoutOwner) => NetSocket | undefined,
    after?: (self: TimeoutOwner) => void): void => {
    const own = proto.setTimeout;
    proto.setTimeout = function setTimeout(this: TimeoutOwner, msecs: unknown, callback?: unknown) {
      const raw = this.destroyed ? undefined : beneath(this);
      if (raw === undefined || raw.netState.loop.sched.mode === 'real') return own.call(this, msecs, callback);
      hostStreamTimeout(this, raw, msecs, callback);
      after?.(this);
      return this;
    };
  };
  wrap(NodeSocket.prototype as unknown as { setTimeout: (this: TimeoutOwner, ...a: unknown[]) => unknown }, (self) => hostSocketBeneath(self));
  const h2 = http2Prototypes();
  if (h2 === null) return;
  const { session: sessionProto, stream: streamProto, kUpdateTimer } = h2;
  wrap(sessionProto, (self) => sessionSocket(self));
  // An HTTP/2 stream's timeout (Http2Stream#setTimeout, the compat request's and response's):
  // as Node's setStreamTimeout, setting one also refreshes its session's (kSession's kUpdateTimer).
  wrap(streamProto, (self) => sessionSocket((self as unknown as { session?: unknown }).session), (self) => {
    const t = self[kNodeTimeout!];
    if (!(t instanceof HostTimeout) || t._onTimeout === null) return; // setTimeout(0): none set
    const session = (self as unknown as { session?: Record<symbol, unknown> }).session;
    const update = session?.[kUpdateTimer];
    if (typeof update === 'function') update.call(session);
  });
  // What a PING's acknowledgement and a SETTINGS' took (ping()'s and settings()'s callbacks):
  // Node's C++ measures them with uv_hrtime, the machine's clock; over a virtual-clock host they
  // are the host's monotonic clock's (performance.now()), as they would be there.
  const ping = sessionProto.ping;
  sessionProto.ping = function ping_(this: TimeoutOwner, ...args: unknown[]) {
    const at = typeof args[0] === 'function' ? 0 : 1;
    const clock = typeof args[at] === 'function' ? virtualMono(this) : undefined;
    if (clock === undefined) return ping.apply(this, args);
    const cb = args[at] as (...a: unknown[]) => unknown;
    const t0 = clock();
    args[at] = function pingCallback(this: unknown, err: unknown, duration?: unknown, payload?: unknown) {
      return err ? cb.call(this, err) : cb.call(this, null, clock() - t0, payload);
    };
    return ping.apply(this, args);
  };
  const settings = sessionProto.settings;
  sessionProto.settings = function settings_(this: TimeoutOwner, ...args: unknown[]) {
    const clock = typeof args[1] === 'function' ? virtualMono(this) : undefined;
    if (clock === undefined) return settings.apply(this, args);
    const cb = args[1] as (...a: unknown[]) => unknown;
    // Submitted now, or once connected (Node defers it to the session's 'connect').
    let t0 = clock();
    if ((this as unknown as { connecting?: boolean }).connecting === true) this.once('connect', () => { t0 = clock(); });
    args[1] = function settingsCallback(this: unknown, err: unknown, s?: unknown, duration?: unknown) {
      return err ? cb.call(this, err) : cb.call(this, null, s, clock() - t0);
    };
    return settings.apply(this, args);
  };
}

/** The host socket under an HTTP/2 session (none once it has let its socket go). */
function sessionSocket(session: unknown): NetSocket | undefined {
  if (session == null || typeof session !== 'object' || (session as { destroyed?: boolean }).destroyed === true) return undefined;
  try {
    return hostSocketBeneath((session as { socket?: unknown }).socket);
  } catch {
    return undefined; // Node's socket proxy throws ERR_HTTP2_SOCKET_UNBOUND
  }
}

/** The monotonic clock of the host under a live session on a virtual-clock network. */
function virtualMono(session: TimeoutOwner): (() => number) | undefined {
  const raw = sessionSocket(session);
  if (raw === undefined) return undefined;
  const state = raw.netState;
  if (state.loop.sched.mode !== 'virtual') return undefined;
  return state.monoClock ?? (() => state.loop.sched.now());
}

type SetTimeoutOwner = { setTimeout: (this: TimeoutOwner, ...a: unknown[]) => unknown };
type Http2SessionProto = SetTimeoutOwner & {
  ping: (this: TimeoutOwner, ...a: unknown[]) => unknown;
  settings: (this: TimeoutOwner, ...a: unknown[]) => unknown;
};

/**
 * Node's Http2Session.prototype and Http2Stream.prototype (neither exported), the owners of
 * `setTimeout` above a client session made over a Duplex of nothing and a request made on it,
 * destroyed at once; and the symbol of the session's kUpdateTimer method.
 */
function http2Prototypes(): { session: Http2SessionProto; stream: SetTimeoutOwner; kUpdateTimer: symbol } | null {
  const nothing = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
  const session = nodeHttp2Connect('http://localhost', { createConnection: () => nothing as unknown as net.Socket });
  session.on('error', () => {});
  let stream: object | null = null;
  try {
    const req = session.request({ ':path': '/' });
    req.on('error', () => {});
    stream = req;
  } catch { /* no stream: its timeouts stay Node's */ }
  session.destroy();
  nothing.destroy();
  const owner = (obj: object | null): object | null => {
    for (let p = obj === null ? null : Object.getPrototypeOf(obj) as object | null; p !== null; p = Object.getPrototypeOf(p) as object | null) {
      if (Object.prototype.hasOwnProperty.call(p, 'setTimeout')) return p;
    }
    return null;
  };
  const sessionProto = owner(session) as Http2SessionProto | null;
  const streamProto = owner(stream) as SetTimeoutOwner | null;
  if (sessionProto === null || streamProto === null || streamProto === sessionProto) return null;
  const kUpdateTimer = Object.getOwnPropertySymbols(sessionProto).find((k) => k.description === 'kUpdateTimer');
  if (kUpdateTimer === undefined || typeof sessionProto.ping !== 'function' || typeof sessionProto.settings !== 'function') return null;
  return { session: sessionProto, stream: streamProto, kUpdateTimer };
}
