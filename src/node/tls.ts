// host.tls: node:tls for one virtual host. Node's own TLS (TLSSocket, TLSWrap, OpenSSL) runs
// over the host's sockets: each TLS socket's transport is a StreamBase over a host socket (see
// stream-base.ts), so the encrypted bytes travel through the host's kernel and nothing opens a
// socket of the machine. connect() opens the host's socket (names resolve through the host),
// Server listens on the host; TLSSocket over a host socket is Node's TLSSocket over its
// StreamBase. Certificates: servers without credentials of their own present the host's (from
// the network's certificate authority) and clients trust the network's authority unless given
// `ca` or a secureContext.
import { createRequire } from 'node:module';
import * as nodeTls from 'node:tls';
import { kNetState, normalizeArgs } from './net-context.js';
import type { NetModule } from './net.js';
import type { NetSocket } from './net-socket.js';
import { hostServerClass, type ServerState } from './host-server.js';
import { asStreamBase, toStreamBase } from './stream-base.js';

export type TlsModule = typeof nodeTls;

// Node's own, taken when this module loads (usernet/register re-points node:tls's exports at a
// host's later, and the host's are built on these).
const NodeServer = nodeTls.Server;
const NodeTLSSocket = nodeTls.TLSSocket;
const nodeConnect = nodeTls.connect;
const nodeCreateSecureContext = nodeTls.createSecureContext;
const nodeStatics = { ...nodeTls } as Record<string, unknown>;
/** node:tls's exports object (settable, unlike the ESM namespace). */
const tlsExports = createRequire(import.meta.url)('node:tls') as Record<string, unknown>;

/** What a host gives its TLS modules. */
export interface TlsHost {
  /** host.net. */
  readonly net: NetModule;
  /** The certificates a client trusts when given no `ca` (PEM), or undefined for Node's default store. */
  readonly trust?: () => string[] | undefined;
  /** What a server presents when given no key/cert/pfx/secureContext, or undefined for nothing. */
  readonly credentials?: () => { key: string; cert: string } | undefined;
}

/** The per-host state a host's net module keeps for its servers. */
export function serverState(net: NetModule): ServerState {
  return (net.Server as unknown as { [kNetState]: ServerState })[kNetState];
}

type Options = Record<string, unknown>;

/** The options that open the transport (node:net's), out of tls.connect's. */
export function transportOptions(o: Options): Options {
  const out: Options = {};
  for (const k of ['host', 'port', 'path', 'localAddress', 'localPort', 'family', 'hints', 'lookup', 'autoSelectFamily',
    'autoSelectFamilyAttemptTimeout', 'allowHalfOpen', 'noDelay', 'keepAlive', 'keepAliveInitialDelay']) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  return out;
}

/** Events of the transport's connection that Node's TLSSocket emits when it connects itself. */
const CONNECT_EVENTS = ['lookup', 'connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout'];

/** A secure context's options with the host's defaults: trust, and (servers) credentials. */
export function withTlsDefaults(host: TlsHost, options: unknown, server: boolean): unknown {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) return options;
  const o = { ...(options as Options | undefined) };
  if (o.secureContext !== undefined) return o;
  if (o.ca === undefined) {
    const ca = host.trust?.();
    if (ca !== undefined) o.ca = ca;
  }
  if (server && o.key === undefined && o.cert === undefined && o.pfx === undefined) {
    const c = host.credentials?.();
    if (c !== undefined) { o.key = c.key; o.cert = c.cert; }
  }
  return o;
}

export function createTls(host: TlsHost): TlsModule {
  const state = serverState(host.net);

  const Server = hostServerClass(NodeServer, state, {
    streamBase: true,
    prepare: (args) => (typeof args[0] === 'function' ? [withTlsDefaults(host, {}, true), args[0], ...args.slice(1)] : [withTlsDefaults(host, args[0], true), ...args.slice(1)]),
  });

  function createServer(options?: unknown, listener?: unknown): nodeTls.Server {
    return new (Server as unknown as new (o: unknown, l: unknown) => nodeTls.Server)(options, listener);
  }

  // Node's TLSSocket, given a host socket's StreamBase instead of the host socket. Instances
  // are Node's TLSSocket's (the prototype is shared), subclasses work through new.target. With
  // no socket, Node's would make a native TCP handle and connect() it to the machine's network:
  // here it gets a host socket not yet connected, which its connect() connects.
  const TLSSocket = function TLSSocket(this: unknown, socket?: unknown, options?: unknown): nodeTls.TLSSocket | void {
    let raw: NetSocket | null = null;
    if (socket == null) {
      const o = options !== null && typeof options === 'object' ? options as Options : {};
      raw = new host.net.Socket({ allowHalfOpen: o.allowHalfOpen === true }) as unknown as NetSocket;
      socket = raw;
    }
    const args = [asStreamBase(socket), options];
    let self: nodeTls.TLSSocket;
    if (new.target !== undefined) self = Reflect.construct(NodeTLSSocket, args, new.target) as nodeTls.TLSSocket;
    else if (this instanceof NodeTLSSocket) { (NodeTLSSocket as unknown as (...a: unknown[]) => void).apply(this, args); self = this; }
    else self = Reflect.construct(NodeTLSSocket, args) as nodeTls.TLSSocket;
    if (raw !== null) connectLater(self, raw);
    return self;
  } as unknown as typeof nodeTls.TLSSocket;
  TLSSocket.prototype = NodeTLSSocket.prototype;
  Object.setPrototypeOf(TLSSocket, NodeTLSSocket);

  /**
   * tls.connect(options[, cb]), (port[, host][, options][, cb]), (path[, options][, cb]): the
   * transport is a host socket (options.socket if given, else one connected here once Node's
   * TLS has checked the options and made its socket, in Node's order).
   */
  function connect(...args: unknown[]): nodeTls.TLSSocket {
    const [options, cb] = normalizeConnectArgs(args);
    const o = withTlsDefaults(host, options, false) as Options;
    let raw: NetSocket | null = null;
    if (o.socket == null) {
      raw = new host.net.Socket(transportOptions(o)) as unknown as NetSocket;
      o.socket = toStreamBase(raw);
    } else {
      o.socket = asStreamBase(o.socket);
    }
    const socket = cb ? nodeConnect(o as nodeTls.ConnectionOptions, cb) : nodeConnect(o as nodeTls.ConnectionOptions);
    if (raw !== null) {
      // What Node's tls.connect does for the socket it connects itself.
      useOnread(socket, o.onread);
      if (o.timeout) socket.setTimeout(o.timeout as number);
      for (const ev of CONNECT_EVENTS) raw.on(ev, (...a: unknown[]) => socket.emit(ev, ...a));
      ownTransport(socket, raw);
      // An aborted `signal` stops the connection attempts (Node's TLSSocket marks itself).
      Object.defineProperty(raw, '_aborted', { configurable: true, get: () => (socket as unknown as { _aborted?: boolean })._aborted === true, set: () => {} });
      try {
        raw.connect(transportOptions(o));
      } catch (err) {
        raw.destroy();
        throw err;
      }
    }
    return socket;
  }

  function createSecureContext(options?: nodeTls.SecureContextOptions): nodeTls.SecureContext {
    return nodeCreateSecureContext(withTlsDefaults(host, options, false) as nodeTls.SecureContextOptions);
  }

  const mod = {
    connect, createServer, Server, TLSSocket, createSecureContext,
    SecureContext: nodeStatics.SecureContext,
    checkServerIdentity: nodeStatics.checkServerIdentity,
    getCiphers: nodeStatics.getCiphers,
    convertALPNProtocols: nodeStatics.convertALPNProtocols,
    createSecurePair: nodeStatics.createSecurePair,
  } as Record<string, unknown>;
  // Process-wide settings, as in Node (every TLS socket of the process reads them).
  for (const name of ['rootCertificates', 'DEFAULT_ECDH_CURVE', 'DEFAULT_MIN_VERSION', 'DEFAULT_MAX_VERSION', 'DEFAULT_CIPHERS', 'CLIENT_RENEG_LIMIT', 'CLIENT_RENEG_WINDOW']) {
    Object.defineProperty(mod, name, {
      enumerable: true,
      get: () => tlsExports[name],
      set: (v: unknown) => { tlsExports[name] = v; },
    });
  }
  return mod as unknown as TlsModule;
}

/**
 * A TLSSocket made without a socket: its connect() (net.Socket's arguments) connects `raw`, the
 * host socket under it; the handshake starts once connected, as on Node's.
 */
function connectLater(tlsSocket: nodeTls.TLSSocket, raw: NetSocket): void {
  Object.defineProperty(tlsSocket, 'connect', {
    configurable: true,
    writable: true,
    value: function connect(this: nodeTls.TLSSocket, ...args: unknown[]): nodeTls.TLSSocket {
      const [options, cb] = normalizeArgs(args);
      if (typeof cb === 'function') this.once('connect', cb);
      ownTransport(this, raw);
      for (const ev of CONNECT_EVENTS) raw.on(ev, (...a: unknown[]) => this.emit(ev, ...a));
      if (options.timeout) this.setTimeout(options.timeout as number);
      raw.connect(options);
      return this;
    },
  });
}

/**
 * The transport's own errors (a failed connect) destroy the TLS socket first, with the error, as
 * Node's own connection failing does; through the StreamBase's socket they would close it
 * under the TLS socket and reach it as a TLS error.
 */
function ownTransport(tlsSocket: nodeTls.TLSSocket, raw: NetSocket): void {
  raw.prependListener('error', (err: Error) => { if (!tlsSocket.destroyed) tlsSocket.destroy(err); });
}

/**
 * Node's `onread` option of a socket (a buffer of the caller's that every read lands in, handed
 * to a callback instead of 'data'), for a TLS socket Node made over a host socket (Node takes
 * it only from sockets it connects itself). What net.Socket's constructor and initSocketHandle
 * do with it, on the same fields (found by their names: lib/internal/stream_base_commons.js).
 */
function useOnread(socket: nodeTls.TLSSocket, onread: unknown): void {
  if (onread === null || typeof onread !== 'object') return;
  const { buffer, callback } = onread as { buffer?: unknown; callback?: unknown };
  if (!(buffer instanceof Uint8Array || typeof buffer === 'function') || typeof callback !== 'function') return;
  const key = (name: string): symbol | undefined => Object.getOwnPropertySymbols(socket).find((k) => k.description === name);
  const kBuffer = key('kBuffer');
  const kBufferCb = key('kBufferCb');
  const kBufferGen = key('kBufferGen');
  const handle = (socket as unknown as { _handle: unknown })._handle as { useUserBuffer?: (b: Uint8Array) => void } | null;
  if (kBuffer === undefined || kBufferCb === undefined || kBufferGen === undefined || typeof handle?.useUserBuffer !== 'function') return;
  const s = socket as unknown as Record<symbol, unknown>;
  let userBuf: unknown = buffer;
  if (typeof buffer === 'function') {
    s[kBufferGen] = buffer;
    userBuf = (buffer as () => unknown)();
    if (!(userBuf instanceof Uint8Array)) { s[kBuffer] = true; s[kBufferCb] = callback; return; }
  }
  s[kBuffer] = userBuf;
  s[kBufferCb] = callback;
  handle.useUserBuffer(userBuf as Uint8Array);
}

/** tls.connect's arguments as [options, cb?] (Node's normalizeConnectArgs: a later options object is merged in). */
export function normalizeConnectArgs(list: unknown[]): [Options, ((...a: unknown[]) => void) | undefined] {
  const [options, cb] = normalizeArgs(list);
  const o = { ...options };
  if (list[1] !== null && typeof list[1] === 'object') Object.assign(o, list[1]);
  else if (list[2] !== null && typeof list[2] === 'object') Object.assign(o, list[2]);
  return [o, cb ?? undefined];
}
