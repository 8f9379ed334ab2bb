// net.Server for host.net, with node:net's behaviour (lib/net.js): every listen() overload,
// the default address '::' (dual stack) falling back to 0.0.0.0, host names resolved through
// the host's resolver, 'listening' / 'connection' / 'close' / 'error' / 'drop' events,
// maxConnections, pauseOnConnect, close() draining, ref/unref.
import { EventEmitter } from 'node:events';
import { isIP, isIPv6, type BlockList } from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { StreamHandle, UV_EINVAL, type SockNameOut } from '../handles/stream.js';
import { TcpHandle, TCPConstants } from '../handles/tcp.js';
import { PipeHandle, PipeConstants } from '../handles/pipe.js';
import { codes, ErrnoException } from './errors.js';
import { UVExceptionWithHostPort } from './net-errors.js';
import { validateAbortSignal, validateBlockList, validateNumber, validatePort } from './validators.js';
import { isPipeName, kNetState, normalizeArgs, toNumber, type NetState } from './net-context.js';
import { createHandleForFd, extras, NetSocket, type NetHandle } from './net-socket.js';
import { line } from './line.js';
import { consumeBoundSocket, isBoundSocket } from './net-bound.js';

const { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_SERVER_ALREADY_LISTEN, ERR_SERVER_NOT_RUNNING } = codes;

const DEFAULT_IPV4_ADDR = '0.0.0.0';
const DEFAULT_IPV6_ADDR = '::';

export interface ServerOptions {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
  /** Node 22.13+: peers whose connections are closed as soon as they are accepted. */
  blockList?: BlockList;
}

export interface ListenOptions {
  port?: number | string | null;
  host?: string;
  path?: string;
  backlog?: number;
  exclusive?: boolean;
  ipv6Only?: boolean;
  /** Node 22.12+: SO_REUSEPORT, several servers on one port sharing its connections. */
  reusePort?: boolean;
  readableAll?: boolean;
  writableAll?: boolean;
  signal?: AbortSignal;
  fd?: number;
  handle?: unknown;
  _handle?: unknown;
}

/** fe80::/10 (RFC 4291 §2.5.6). */
function isIPv6LinkLocal(ip: string): boolean {
  if (!isIPv6(ip)) return false;
  const first = parseInt(ip.slice(0, ip.indexOf(':')) || '0', 16);
  return (first & 0xffc0) === 0xfe80;
}

type SocketClass = new (options: Record<string, unknown>) => NetSocket;

const EventEmitterInit = EventEmitter as unknown as { call(self: object): void };

/**
 * Sets up a net.Server on `self`; host-bound constructors are plain functions calling this, so
 * that `net.Server.call(this, options)` (old-style inheritance, as http does) works too.
 */
export function initServer(self: NetServer, state: NetState & { Socket: SocketClass }, options?: ServerOptions | ((socket: NetSocket) => void),
  connectionListener?: (socket: NetSocket) => void): void {
  EventEmitterInit.call(self);
  self._init(state, options, connectionListener);
}

export class NetServer extends EventEmitter {
  declare _connections: number;
  declare _handle: NetHandle | null;
  declare _usingWorkers: boolean;
  declare _workers: never[];
  declare _unref: boolean;
  declare _listeningId: number;
  declare _pipeName: string | undefined;
  declare _connectionKey: string | undefined;
  declare allowHalfOpen: boolean;
  declare pauseOnConnect: boolean;
  declare noDelay: boolean;
  declare keepAlive: boolean;
  declare keepAliveInitialDelay: number;
  declare highWaterMark: number;
  declare maxConnections: number | undefined;
  declare blockList: BlockList | undefined;

  /** @internal */ declare netState: NetState & { Socket: SocketClass };

  /** Only through a host: `new host.net.Server(...)` (a constructor bound to the host). */
  constructor(options?: ServerOptions | ((socket: NetSocket) => void), connectionListener?: (socket: NetSocket) => void) {
    super();
    const state = (new.target as unknown as { [kNetState]?: NetState & { Socket: SocketClass } })[kNetState];
    if (state === undefined) throw new TypeError('net.Server must be created through a host (host.net.Server)');
    this._init(state, options, connectionListener);
  }

  /** @internal the body of the constructor, after the EventEmitter is set up. */
  _init(state: NetState & { Socket: SocketClass }, options?: ServerOptions | ((socket: NetSocket) => void),
    connectionListener?: (socket: NetSocket) => void): void {
    this.netState = state;
    let opts: ServerOptions;
    if (typeof options === 'function') {
      this.on('connection', options);
      opts = {};
    } else if (options == null || typeof options === 'object') {
      opts = { ...options };
      if (typeof connectionListener === 'function') this.on('connection', connectionListener);
    } else {
      throw new ERR_INVALID_ARG_TYPE('options', 'Object', options);
    }
    if (typeof opts.keepAliveInitialDelay !== 'undefined') {
      validateNumber(opts.keepAliveInitialDelay, 'options.keepAliveInitialDelay');
      if (opts.keepAliveInitialDelay < 0) opts.keepAliveInitialDelay = 0;
    }
    if (typeof opts.highWaterMark !== 'undefined') {
      validateNumber(opts.highWaterMark, 'options.highWaterMark');
      if (opts.highWaterMark < 0) opts.highWaterMark = getDefaultHighWaterMark(false);
    }
    this._connections = 0;
    this._handle = null;
    this._usingWorkers = false;
    this._workers = [];
    this._unref = false;
    this._listeningId = 1;
    this.allowHalfOpen = opts.allowHalfOpen || false;
    this.pauseOnConnect = !!opts.pauseOnConnect;
    this.noDelay = Boolean(opts.noDelay);
    this.keepAlive = Boolean(opts.keepAlive);
    this.keepAliveInitialDelay = ~~((opts.keepAliveInitialDelay as number) / 1000);
    this.highWaterMark = opts.highWaterMark ?? getDefaultHighWaterMark(false);
    if (line.blockList && opts.blockList) this.blockList = validateBlockList(opts.blockList, 'options.blockList');
    state.track?.(this);
  }

  get listening(): boolean {
    return !!this._handle;
  }

  listen(...args: unknown[]): this {
    const normalized = normalizeArgs(args);
    let options = normalized[0] as ListenOptions & Record<string, unknown>;
    const cb = normalized[1];
    if (this._handle) throw new ERR_SERVER_ALREADY_LISTEN();
    if (cb !== null) this.once('listening', cb);

    // (handle, backlog) or (path, backlog) or (port, backlog), or (port, host, backlog)
    const backlogFromArgs = toNumber(args.length > 1 && args[1]) || toNumber(args.length > 2 && args[2]) || 0;

    // Node 24.22: (boundSocket[, ...]) or ({ handle: boundSocket }[, ...]) adopts its bound handle.
    const bound = !line.boundSocket ? null : isBoundSocket(options) ? options : isBoundSocket(options.handle) ? options.handle : null;
    if (bound !== null) {
      const { handle, path } = consumeBoundSocket(bound, this.netState, 'options.handle');
      this._handle = handle;
      if (path !== undefined) this._pipeName = path;
      this._listeningId++;
      this.setupListenHandle(null, -1, -1, backlogFromArgs, undefined, 0);
      return this;
    }

    options = (options._handle || options.handle || options) as ListenOptions & Record<string, unknown>;
    let flags = options.ipv6Only === true ? TCPConstants.UV_TCP_IPV6ONLY : 0;
    if (line.reusePort && options.reusePort === true) flags |= TCPConstants.UV_TCP_REUSEPORT;
    this._listeningId++;

    // (handle[, backlog][, cb])
    if (options instanceof TcpHandle || options instanceof PipeHandle) {
      this._handle = options;
      this.setupListenHandle(null, -1, -1, backlogFromArgs, undefined, 0);
      return this;
    }
    this.addAbortSignal(options);
    // (options with fd[, cb])
    if (typeof options.fd === 'number' && options.fd >= 0) {
      this.setupListenHandle(null, null, null, backlogFromArgs, options.fd, 0);
      return this;
    }

    // listen(), listen(null), listen(cb), listen({ port: undefined }): an arbitrary port
    if (args.length === 0 || typeof args[0] === 'function' ||
        (typeof options.port === 'undefined' && 'port' in options) || options.port === null) {
      options.port = 0;
    }
    if (typeof options.port === 'number' || typeof options.port === 'string') {
      validatePort(options.port, 'options.port');
      const backlog = options.backlog || backlogFromArgs;
      if (options.host) {
        this.lookupAndListen((options.port as number) | 0, options.host, backlog, flags);
      } else {
        this.setupListenHandle(null, (options.port as number) | 0, 4, backlog, undefined, flags);
      }
      return this;
    }

    // (path[, backlog][, cb]) or ({ path })
    if (options.path && isPipeName(options.path)) {
      if (options.path[0] === '\0' && (options.readableAll || options.writableAll)) {
        throw new ERR_INVALID_ARG_VALUE('options', options,
          'can not set readableAll or writableAllt to true when path is abstract unix socket');
      }
      const pipeName = this._pipeName = options.path;
      const backlog = options.backlog || backlogFromArgs;
      this.setupListenHandle(pipeName, -1, -1, backlog, undefined, 0);
      const handle = this._handle as NetHandle | null;
      if (!handle) return this;
      let mode = 0;
      if (options.readableAll === true) mode |= PipeConstants.UV_READABLE;
      if (options.writableAll === true) mode |= PipeConstants.UV_WRITABLE;
      if (mode !== 0) {
        const err = (handle as PipeHandle).fchmod(mode);
        if (err) {
          handle.close();
          this._handle = null;
          throw new ErrnoException(err, 'uv_pipe_chmod');
        }
      }
      return this;
    }

    if (!('port' in options || 'path' in options)) {
      throw new ERR_INVALID_ARG_VALUE('options', options, 'must have the property "port" or "path"');
    }
    throw new ERR_INVALID_ARG_VALUE('options', options);
  }

  private addAbortSignal(options: ListenOptions): void {
    if (options?.signal === undefined) return;
    validateAbortSignal(options.signal, 'options.signal');
    const { signal } = options;
    const onAborted = (): void => { this.close(); };
    if (signal.aborted) {
      process.nextTick(onAborted);
    } else {
      signal.addEventListener('abort', onAborted, { once: true });
      this.once('close', () => signal.removeEventListener('abort', onAborted));
    }
  }

  private lookupAndListen(port: number, address: string, backlog: number, flags: number): void {
    const listeningId = this._listeningId;
    const listen = (ip: string, addressType: number | undefined): void => {
      this.setupListenHandle(ip, port, ip ? (addressType ?? 4) : 4, backlog, undefined, flags);
    };
    if (line.net22) {
      // Node 22+: every answer, and the first that is not IPv6 link-local (else the first).
      this.netState.lookup(address, { all: true }, (err, addresses) => {
        if (listeningId !== this._listeningId) return;
        if (err) { this.emit('error', err); return; }
        const list = Array.isArray(addresses) ? addresses : [{ address: addresses, family: 4 }];
        const chosen = list.find((a) => !isIPv6LinkLocal(a.address)) ?? list[0];
        listen(chosen?.address ?? '', chosen?.family || 4);
      });
      return;
    }
    this.netState.lookup(address, {}, (err, ip, addressType) => {
      if (listeningId !== this._listeningId) return;
      if (err) this.emit('error', err);
      else listen(typeof ip === 'string' ? ip : '', addressType);
    });
  }

  /** Makes a bound handle, or returns the error (Node's createServerHandle). */
  private createServerHandle(address: string | null, port: number | null, addressType: number | null, fd: number | undefined, flags: number): NetHandle | number {
    let err = 0;
    let handle: NetHandle;
    let isTCP = false;
    const { loop } = this.netState;
    if (typeof fd === 'number' && fd >= 0) {
      try {
        handle = createHandleForFd(this.netState, fd, true);
      } catch {
        return UV_EINVAL;
      }
      err = handle.open(fd);
      if (err) return err;
    } else if (port === -1 && addressType === -1) {
      handle = new PipeHandle(loop, PipeConstants.SERVER);
    } else {
      handle = new TcpHandle(loop, TCPConstants.SERVER);
      isTCP = true;
    }
    if (address || port || isTCP) {
      if (handle instanceof PipeHandle) {
        err = handle.bind(address ?? '', line.pipeNoTruncate ? PipeConstants.UV_PIPE_NO_TRUNCATE : 0);
      } else if (!address) {
        err = handle.bind6(DEFAULT_IPV6_ADDR, port ?? 0, flags);
        if (err) {
          handle.close();
          return this.createServerHandle(DEFAULT_IPV4_ADDR, port, 4, undefined, line.reusePort ? flags : 0);
        }
      } else if (addressType === 6) {
        err = handle.bind6(address, port ?? 0, flags);
      } else {
        // Node 22+ hands the flags to an IPv4 bind too (libuv: IPV6ONLY there is EINVAL).
        err = handle.bind(address, port ?? 0, line.reusePort ? flags : 0);
      }
    }
    if (err) {
      handle.close();
      return err;
    }
    return handle;
  }

  /** Binds (unless a handle was given) and listens; 'listening' or 'error' follow on the next tick. */
  setupListenHandle(address: string | null, port: number | null, addressType: number | null, backlog: number, fd: number | undefined, flags: number): void {
    if (!this._handle) {
      let rval: NetHandle | number | null = null;
      // Try the unspecified IPv6 address first: dual stack when the host has IPv6.
      if (!address && typeof fd !== 'number') {
        rval = this.createServerHandle(DEFAULT_IPV6_ADDR, port, 6, fd, flags);
        if (typeof rval === 'number') {
          rval = null;
          address = DEFAULT_IPV4_ADDR;
          addressType = 4;
        } else {
          address = DEFAULT_IPV6_ADDR;
          addressType = 6;
        }
      }
      if (rval === null) rval = this.createServerHandle(address, port, addressType, fd, flags);
      if (typeof rval === 'number') {
        const error = new UVExceptionWithHostPort(rval, 'listen', address ?? '', port ?? undefined);
        process.nextTick(() => this.emit('error', error));
        return;
      }
      this._handle = rval;
    }

    const handle = this._handle;
    handle.owner = this;
    handle.onconnection = (err, client) => this.onconnection(err, client);
    // A backlog of 511: the kernel rounds backlog + 1 up to a power of two, 512 entries.
    const err = handle.listen(backlog || 511);
    if (err) {
      const ex = new UVExceptionWithHostPort(err, 'listen', address ?? '', port ?? undefined);
      handle.close();
      this._handle = null;
      process.nextTick(() => this.emit('error', ex));
      return;
    }
    this._connectionKey = `${addressType}:${address}:${port}`;
    if (this._unref) this.unref();
    process.nextTick(() => { if (this._handle) this.emit('listening'); });
  }

  /** Legacy alias of setupListenHandle. */
  _listen2(address: string | null, port: number | null, addressType: number | null, backlog: number, fd: number | undefined, flags: number): void {
    this.setupListenHandle(address, port, addressType, backlog, fd, flags);
  }

  address(): SockNameOut | string | null {
    const h = extras(this._handle);
    if (this._handle && typeof h.getsockname === 'function') {
      const out: SockNameOut = {};
      const err = h.getsockname(out);
      if (err) throw new ErrnoException(err, 'address');
      return out;
    }
    if (this._pipeName) return this._pipeName;
    return null;
  }

  private onconnection(err: number, clientHandle?: StreamHandle): void {
    if (err) {
      this.emit('error', new ErrnoException(err, 'accept'));
      return;
    }
    const client = clientHandle as NetHandle;
    // Node 21+: maxConnections 0 drops every connection; before, 0 meant no limit.
    const limit = this.maxConnections;
    if ((line.maxConnectionsZero ? limit != null : !!limit) && this._connections >= limit!) {
      const ch = extras(client);
      if (typeof ch.getsockname === 'function' || typeof ch.getpeername === 'function') {
        const data = Object.create(null) as Record<string, unknown>;
        if (typeof ch.getsockname === 'function') {
          const local: SockNameOut = {};
          ch.getsockname(local);
          data.localAddress = local.address; data.localPort = local.port; data.localFamily = local.family;
        }
        if (typeof ch.getpeername === 'function') {
          const remote: SockNameOut = {};
          ch.getpeername(remote);
          data.remoteAddress = remote.address; data.remotePort = remote.port; data.remoteFamily = remote.family;
        }
        this.emit('drop', data);
      } else {
        this.emit('drop');
      }
      client.close();
      return;
    }
    if (this.blockList && typeof extras(client).getpeername === 'function') {
      const remote: SockNameOut = {};
      extras(client).getpeername!(remote);
      const family = isIP(remote.address ?? '');
      if (family && this.blockList.check(remote.address!, family === 6 ? 'ipv6' : 'ipv4')) {
        client.close();
        return;
      }
    }
    const socket = new this.netState.Socket({
      handle: client,
      allowHalfOpen: this.allowHalfOpen,
      pauseOnCreate: this.pauseOnConnect,
      readable: true,
      writable: true,
      readableHighWaterMark: this.highWaterMark,
      writableHighWaterMark: this.highWaterMark,
    });
    const ch = extras(client);
    if (this.noDelay && typeof ch.setNoDelay === 'function') {
      socket.markOptions(true, false, 0);
      ch.setNoDelay(true);
    }
    if (this.keepAlive && typeof ch.setKeepAlive === 'function') {
      socket.markOptions(false, true, this.keepAliveInitialDelay);
      ch.setKeepAlive(true, this.keepAliveInitialDelay);
    }
    this._connections++;
    socket.server = this;
    socket._server = this;
    this.emit('connection', socket);
  }

  getConnections(cb: (err: Error | null, count?: number) => void): this {
    process.nextTick(cb, null, this._connections);
    return this;
  }

  close(cb?: (err?: Error) => void): this {
    this._listeningId++;
    if (typeof cb === 'function') {
      if (!this._handle) {
        this.once('close', function close() { cb(new ERR_SERVER_NOT_RUNNING()); });
      } else {
        this.once('close', cb);
      }
    }
    if (this._handle) {
      this._handle.close();
      this._handle = null;
    }
    this._emitCloseIfDrained();
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this._handle) return;
    await new Promise<void>((resolve, reject) => this.close((err) => (err ? reject(err) : resolve())));
  }

  _emitCloseIfDrained(): void {
    if (this._handle || this._connections) return;
    process.nextTick(() => this.emit('close'));
  }

  override [EventEmitter.captureRejectionSymbol](err: Error, event: string, sock?: NetSocket): void {
    if (event === 'connection' && sock) sock.destroy(err);
    else this.emit('error', err);
  }

  ref(): this {
    this._unref = false;
    if (this._handle) extras(this._handle).ref?.();
    return this;
  }

  unref(): this {
    this._unref = true;
    if (this._handle) extras(this._handle).unref?.();
    return this;
  }
}

