// host.net: node:net for one virtual host. createNet(host) builds a module shaped like
// node:net (createServer, connect, createConnection, Socket, Server, Stream, isIP, isIPv4,
// isIPv6, BlockList, SocketAddress, get/setDefaultAutoSelectFamily[AttemptTimeout]) whose
// sockets live in that host's kernel. The defaults are per host.
import { BlockList, SocketAddress, isIP, isIPv4, isIPv6, getDefaultAutoSelectFamily, getDefaultAutoSelectFamilyAttemptTimeout } from 'node:net';
import { validateBoolean, validateInt32 } from './validators.js';
import { kNetState, normalizeArgs, type NetHost, type NetState } from './net-context.js';
import { initSocket, NetSocket, type SocketConnectOptions, type SocketConstructorOptions } from './net-socket.js';
import { initServer, NetServer, type ServerOptions } from './net-server.js';
import { TcpHandle } from '../handles/tcp.js';
import { boundSocketClass, type BoundSocket } from './net-bound.js';
import { line } from './line.js';

export type { NetHost, LookupFunction, LookupAddress, LookupOptions } from './net-context.js';
export { NetSocket, NetServer };
export type { SocketConnectOptions, SocketConstructorOptions, ServerOptions };

type ConnectionListener = (socket: NetSocket) => void;

/** host.net.Socket: `new Socket(options)` or `Socket(options)`. */
export type SocketConstructor = typeof NetSocket & ((options?: SocketConstructorOptions | number) => NetSocket);
/** host.net.Server: `new Server(options, listener)` or `Server(options, listener)`. */
export type ServerConstructor = typeof NetServer & ((options?: ServerOptions | ConnectionListener, listener?: ConnectionListener) => NetServer);

/** The shape of host.net. */
export interface NetModule {
  Socket: SocketConstructor;
  Stream: SocketConstructor;
  Server: ServerConstructor;
  createServer(options?: ServerOptions | ConnectionListener, connectionListener?: ConnectionListener): NetServer;
  connect(...args: unknown[]): NetSocket;
  createConnection(...args: unknown[]): NetSocket;
  isIP(input: string): number;
  isIPv4(input: string): boolean;
  isIPv6(input: string): boolean;
  BlockList: typeof BlockList;
  SocketAddress: typeof SocketAddress;
  getDefaultAutoSelectFamily(): boolean;
  setDefaultAutoSelectFamily(value: boolean): void;
  getDefaultAutoSelectFamilyAttemptTimeout(): number;
  setDefaultAutoSelectFamilyAttemptTimeout(value: number): void;
  _normalizeArgs: typeof normalizeArgs;
  /** Deprecated (DEP0121); gone from Node 24's net, and from this one on that line. */
  _setSimultaneousAccepts?: (handle?: unknown) => void;
  /** Node 24.22+: a socket bound at once, for server.listen() or new Socket({ handle }) to adopt. */
  BoundSocket?: typeof BoundSocket;
  _createServerHandle?: undefined;
  /** The handle classes, for code that checks `instanceof` (Node's TCP wrap). */
  TCP: typeof TcpHandle;
}

/**
 * Each host starts with the process's defaults: Node's (on, 250 ms per attempt in v20) unless
 * --[no-]network-family-autoselection[-attempt-timeout] changed them. Read once, when this
 * module loads (before usernet/register re-points node:net).
 */
export const DEFAULT_AUTOSELECT_FAMILY = getDefaultAutoSelectFamily();
export const DEFAULT_AUTOSELECT_FAMILY_ATTEMPT_TIMEOUT = getDefaultAutoSelectFamilyAttemptTimeout();

/** A descriptor of the process (not of the host's sys), or a native handle: node:net's business. */
function isNative(host: NetHost, options: unknown): boolean {
  const fd = typeof options === 'number' ? options : (options as { fd?: unknown } | null | undefined)?.fd;
  if (typeof fd === 'number') {
    const t = host.loop.sys.getsockopt(fd, 'SOL_SOCKET', 'SO_TYPE');
    return !(typeof t === 'number' && t > 0);
  }
  const handle = (options as { handle?: { isStreamBase?: unknown } } | null | undefined)?.handle;
  return handle !== null && typeof handle === 'object' && handle.isStreamBase === true;
}

/**
 * The one constructor behind every host's `new host.net.Socket()`: V8 gives objects a hidden
 * class per constructor and prototype, so sockets made by a constructor (or on a prototype) of
 * their own per host would make every property access in node:net and the stream code
 * megamorphic in a network of many hosts. All hosts' sockets are made here, on NetSocket's
 * prototype; `host.net.Socket.prototype` is that one prototype.
 */
function HostSocket(this: NetSocket, state: NetState, options?: SocketConstructorOptions | number): void {
  initSocket(this, state, options);
}
HostSocket.prototype = NetSocket.prototype;
// What Node's messages and util.inspect call a socket: its constructor's name, as node:net's.
Object.defineProperty(NetSocket, 'name', { value: 'Socket' });

export function createNet(host: NetHost): NetModule {
  const state: NetState & { Socket: typeof NetSocket } = {
    loop: host.loop,
    lookup: host.lookup,
    ...(host.track !== undefined ? { track: host.track } : {}),
    ...(host.perf !== undefined ? { perf: host.perf } : {}),
    ...(host.wallClock !== undefined ? { wallClock: host.wallClock } : {}),
    ...(host.monoClock !== undefined ? { monoClock: host.monoClock } : {}),
    autoSelectFamily: DEFAULT_AUTOSELECT_FAMILY,
    autoSelectFamilyAttemptTimeout: DEFAULT_AUTOSELECT_FAMILY_ATTEMPT_TIMEOUT,
    Socket: NetSocket,
  };

  // Plain constructor functions, as Node's are: callable without `new`, usable with
  // `Socket.call(this, options)` and with `class X extends Socket`.
  const Socket = function Socket(this: NetSocket | undefined, options?: SocketConstructorOptions | number): NetSocket | void {
    const native = host.nativeSocket;
    if (native !== undefined && isNative(host, options)) {
      // Node's own sockets over native handles; Node's subclasses (TLSSocket) initialise themselves so.
      if (this !== null && typeof this === 'object' && native.prototype.isPrototypeOf(this)) {
        (native as unknown as (o: unknown) => void).call(this, options);
        return;
      }
      return new native(options as object) as NetSocket;
    }
    // `new Socket()` and `Socket()`: the shared constructor; a subclass's `super()` or
    // `Socket.call(this)` (old-style inheritance): `this`, made by the subclass.
    if (new.target === Socket || !(this !== null && typeof this === 'object' && NetSocket.prototype.isPrototypeOf(this))) {
      return Reflect.construct(HostSocket, [state, options]) as NetSocket;
    }
    initSocket(this, state, options);
  } as unknown as SocketConstructor;
  (Socket as { prototype: object }).prototype = NetSocket.prototype;
  Object.setPrototypeOf(Socket, NetSocket);
  Object.defineProperty(Socket, kNetState, { value: state });

  const Server = function Server(this: NetServer | undefined, options?: ServerOptions | ConnectionListener, listener?: ConnectionListener): NetServer | void {
    if (!(this !== null && typeof this === 'object' && Server.prototype.isPrototypeOf(this))) {
      // Node's servers made on Node's own net.Server (http.Server...) initialise themselves so:
      // they listen on the host (their listening methods are host.net's, see host-server.ts).
      if (host.nativeServer !== undefined && this !== null && typeof this === 'object' && host.nativeServer.prototype.isPrototypeOf(this)) {
        initServer(this as NetServer, state, options, listener);
        return;
      }
      return new (Server as ServerConstructor)(options, listener);
    }
    initServer(this, state, options, listener);
  } as unknown as ServerConstructor;
  Object.setPrototypeOf(Server.prototype, NetServer.prototype);
  Object.setPrototypeOf(Server, NetServer);
  Object.defineProperty(Server, kNetState, { value: state });
  state.Socket = Socket;
  // Standing in for node:net: Node's own sockets and servers (TLS sockets, stdio, http.Server)
  // are node:net's too.
  if (host.nativeSocket !== undefined) {
    const native = host.nativeSocket;
    Object.defineProperty(Socket, Symbol.hasInstance, { value: (x: unknown) => x instanceof NetSocket && Socket.prototype.isPrototypeOf(x) || x instanceof native });
  }
  if (host.nativeServer !== undefined) {
    const native = host.nativeServer;
    Object.defineProperty(Server, Symbol.hasInstance, { value: (x: unknown) => x instanceof NetServer && Server.prototype.isPrototypeOf(x) || x instanceof native });
  }

  function createServer(options?: ServerOptions | ConnectionListener, connectionListener?: ConnectionListener): NetServer {
    return new Server(options, connectionListener);
  }

  function connect(...args: unknown[]): NetSocket {
    const normalized = normalizeArgs(args);
    const options = normalized[0] as SocketConnectOptions;
    const socket = new Socket(options as SocketConstructorOptions);
    if (options.timeout) socket.setTimeout(options.timeout);
    return socket.connect(normalized);
  }

  let warnedSimultaneousAccepts = false;

  const net: NetModule = {
    Socket,
    Stream: Socket,
    Server,
    createServer,
    connect,
    createConnection: connect,
    isIP,
    isIPv4,
    isIPv6,
    BlockList,
    SocketAddress,
    getDefaultAutoSelectFamily: () => state.autoSelectFamily,
    setDefaultAutoSelectFamily(value: boolean): void {
      validateBoolean(value, 'value');
      state.autoSelectFamily = value;
    },
    getDefaultAutoSelectFamilyAttemptTimeout: () => state.autoSelectFamilyAttemptTimeout,
    setDefaultAutoSelectFamilyAttemptTimeout(value: number): void {
      validateInt32(value, 'value', 1);
      state.autoSelectFamilyAttemptTimeout = value < 10 ? 10 : value;
    },
    _normalizeArgs: normalizeArgs,
    TCP: TcpHandle,
  };
  // What the running line's node:net has.
  if (line.setSimultaneousAccepts) {
    net._setSimultaneousAccepts = (): void => {
      if (!warnedSimultaneousAccepts) {
        process.emitWarning('net._setSimultaneousAccepts() is deprecated and will be removed.', 'DeprecationWarning', 'DEP0121');
        warnedSimultaneousAccepts = true;
      }
    };
  }
  if (line.boundSocket) net.BoundSocket = boundSocketClass(state);
  return net;
}
