// Node's servers (http.Server, https.Server, tls.Server, HTTP/2's) listening on a host. Each of
// them extends node:net's Server, whose listening half (listen, address, close, getConnections,
// ref, unref, the accepted sockets) would open the machine's own sockets. A host's server class
// is a subclass of Node's with host.net's Server methods in between: its instances are Node's
// servers in every other way (instanceof http.Server holds, Node's request handling runs),
// listening on the host. No global object is changed.
import * as net from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { NetServer } from './net-server.js';
import type { NetSocket } from './net-socket.js';
import type { NetState } from './net-context.js';
import { asStreamBase, completeWritesAtOnce } from './stream-base.js';

/** Node's own net.Server, taken when this module loads (usernet/register re-points node:net's later). */
const NodeNetServer = net.Server;

type AnyFunction = abstract new (...args: never[]) => unknown;
type SocketClass = new (options: Record<string, unknown>) => NetSocket;
export type ServerState = NetState & { Socket: SocketClass };

/** Servers that live on a host (what a crash closes). */
const hostServers = new WeakSet<object>();

export function isHostServer(obj: object): obj is { listening: boolean; close(): unknown } {
  return hostServers.has(obj);
}

export interface HostServerOptions {
  /** Rewrites the constructor's arguments (default credentials...). */
  prepare?: (args: unknown[]) => unknown[];
  /**
   * The server hands its connections to Node's C++ (TLS, HTTP/2): the 'connection' handlers
   * Node's constructor installed get a StreamBase over a host socket (see stream-base.ts).
   */
  streamBase?: boolean;
  /** Its StreamBases carry HTTP/2 sessions (h2c): see completeWritesAtOnce. */
  http2?: boolean;
  /** Called once with each new server, after Node's constructor and the host's own set-up. */
  adopt?: (server: object) => void;
}

const kHostServer = Symbol('usernet.hostServer');

/**
 * A constructor for `Base`'s servers on a host: callable with or without `new`, and with
 * `Base.call(this, ...)` as Node's own subclasses call their parents.
 */
export function hostServerClass<T extends AnyFunction>(Base: T, state: ServerState, opts: HostServerOptions = {}): T {
  const base = Base as unknown as new (...args: unknown[]) => object;
  const HostServer = function (this: unknown, ...args: unknown[]): object {
    if (opts.prepare) args = opts.prepare(args);
    let self: object;
    if (new.target !== undefined) {
      self = Reflect.construct(base, args, new.target);
    } else if (this !== null && typeof this === 'object' && base.prototype.isPrototypeOf(this)) {
      (base as unknown as (...a: unknown[]) => void).apply(this, args);
      self = this;
    } else {
      self = Reflect.construct(base, args, HostServer);
    }
    adoptServer(self as NetServer, state, opts.streamBase === true, opts.http2 === true, opts.adopt);
    return self;
  } as unknown as T & { prototype: object };
  const proto = Object.create(base.prototype) as Record<PropertyKey, unknown>;
  Object.defineProperty(proto, 'constructor', { value: HostServer, writable: true, configurable: true });
  graftNetServer(proto, base.prototype);
  HostServer.prototype = proto;
  Object.setPrototypeOf(HostServer, Base);
  Object.defineProperty(HostServer, 'name', { value: Base.name });
  // A server of this kind is any of Base's (under usernet/register a Node module's class is
  // replaced by the host's, and objects made by Node's own subclasses must still match).
  Object.defineProperty(HostServer, Symbol.hasInstance, { value: (x: unknown) => x instanceof base });
  return HostServer;
}

/** host.net's Server methods onto `proto`, except where Node's server class defines its own. */
function graftNetServer(proto: Record<PropertyKey, unknown>, baseProto: object): void {
  const own = new Set<PropertyKey>();
  for (let p: object | null = baseProto; p !== null && p !== NodeNetServer.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const k of Reflect.ownKeys(p)) own.add(k);
  }
  for (const k of Reflect.ownKeys(NetServer.prototype)) {
    if (k === 'constructor' || own.has(k)) continue;
    Object.defineProperty(proto, k, Object.getOwnPropertyDescriptor(NetServer.prototype, k)!);
  }
}

/** Makes `self` (initialised by Node's constructors) a server of the host. */
function adoptServer(self: NetServer, state: ServerState, streamBase: boolean, http2: boolean, adopt?: (server: object) => void): void {
  const s = self as NetServer & { [kHostServer]?: true };
  if (s[kHostServer] === undefined) {
    Object.defineProperty(s, kHostServer, { value: true });
    s.netState = state;
    // Fields node:net's constructor sets and host.net's Server reads (Node's sets the same ones).
    s._connections ??= 0;
    s._handle ??= null;
    s._usingWorkers ??= false;
    s._workers ??= [];
    s._unref ??= false;
    s._listeningId ??= 1;
    s.highWaterMark ??= getDefaultHighWaterMark(false);
    hostServers.add(s);
    state.track?.(s);
    adopt?.(s);
  }
  if (streamBase && !(s as unknown as { [kStreamBaseListeners]?: true })[kStreamBaseListeners]) {
    Object.defineProperty(s, kStreamBaseListeners, { value: true });
    for (const l of s.rawListeners('connection') as Array<(this: unknown, socket: unknown) => void>) {
      s.removeListener('connection', l);
      s.on('connection', function onHostConnection(this: unknown, socket: unknown) {
        const sb = asStreamBase(socket);
        if (http2) completeWritesAtOnce(sb);
        l.call(this, sb);
      });
    }
  }
}

const kStreamBaseListeners = Symbol('usernet.streamBaseListeners');
