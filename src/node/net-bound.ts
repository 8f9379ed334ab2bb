// net.BoundSocket (Node 24.22, 26): a TCP or unix-domain socket bound at once, neither listening
// nor connecting until one server (`server.listen(bound)`, `listen({ handle: bound })`) or one
// socket (`new net.Socket({ handle: bound })`, then `connect()`) adopts it. bind(2) does not
// block, so errors throw here; no name is looked up. An un-adopted one is closed by its owner
// (`close()`, or `using`).
//
//   const bound = new host.net.BoundSocket({ host: '10.0.0.1', port: 0 });
//   bound.address()                      // { address: '10.0.0.1', family: 'IPv4', port: 32768 }
//   host.net.createServer(onConn).listen(bound);
import { isIP } from 'node:net';
import type { SockNameOut } from '../handles/stream.js';
import { TcpHandle, TCPConstants } from '../handles/tcp.js';
import { PipeHandle, PipeConstants } from '../handles/pipe.js';
import { codes, ErrnoException, ExceptionWithHostPort } from './errors.js';
import { validateBoolean, validateObject, validatePort, validateString } from './validators.js';
import type { NetState } from './net-context.js';

const { ERR_INVALID_ARG_VALUE, ERR_SOCKET_HANDLE_ADOPTED } = codes;

/** The host a BoundSocket class binds on (a static of each host's class). */
export const kBoundState = Symbol('usernet.boundSocketState');
const kConsume = Symbol('usernet.boundSocketConsume');
const kPath = Symbol('usernet.boundSocketPath');

export interface BoundSocketOptions {
  host?: string | null;
  port?: number;
  ipv6Only?: boolean;
  reusePort?: boolean;
  /** A unix-domain path (a leading '\0': the abstract namespace), instead of host and port. */
  path?: string;
}

export class BoundSocket {
  declare static [kBoundState]: NetState;
  #handle: TcpHandle | PipeHandle | null = null;
  #address: SockNameOut = {};
  #path: string | undefined;

  constructor(options: BoundSocketOptions = {}) {
    const state = (new.target as unknown as { [kBoundState]?: NetState })[kBoundState];
    if (state === undefined) throw new TypeError('net.BoundSocket must be created through a host (host.net.BoundSocket)');
    validateObject(options, 'options');
    if (options.path !== undefined) {
      this.#bindPipe(state, options);
      return;
    }
    const port = validatePort(options.port ?? 0, 'options.port');
    const ipv6Only = options.ipv6Only ?? false;
    validateBoolean(ipv6Only, 'options.ipv6Only');
    const reusePort = options.reusePort ?? false;
    validateBoolean(reusePort, 'options.reusePort');
    let { host } = options;
    let addressType: number;
    if (host === undefined || host === null) {
      host = ipv6Only ? '::' : '0.0.0.0';
      addressType = ipv6Only ? 6 : 4;
    } else {
      validateString(host, 'options.host');
      addressType = isIP(host);
      if (addressType === 0) {
        throw new ERR_INVALID_ARG_VALUE('options.host', host,
          'must be a numeric IP address; net.BoundSocket does not perform DNS resolution');
      }
    }
    let flags = 0;
    if (ipv6Only) flags |= TCPConstants.UV_TCP_IPV6ONLY;
    if (reusePort) flags |= TCPConstants.UV_TCP_REUSEPORT;
    const handle = new TcpHandle(state.loop, TCPConstants.SOCKET);
    let err = addressType === 6 ? handle.bind6(host, port, flags) : handle.bind(host, port, flags);
    // libuv keeps a bind's EADDRINUSE for later; getsockname() brings it out now, as Node does.
    if (err === 0) err = handle.getsockname(this.#address);
    if (err) {
      handle.close();
      throw new ExceptionWithHostPort(err, 'bind', host, port);
    }
    this.#handle = handle;
  }

  #bindPipe(state: NetState, options: BoundSocketOptions): void {
    const { path, host, port, ipv6Only, reusePort } = options;
    if (host !== undefined || port !== undefined || ipv6Only !== undefined || reusePort !== undefined) {
      throw new ERR_INVALID_ARG_VALUE('options', options, 'path is mutually exclusive with host, port, ipv6Only, and reusePort');
    }
    validateString(path, 'options.path');
    const handle = new PipeHandle(state.loop, PipeConstants.SOCKET);
    const err = handle.bind(path);
    if (err) {
      handle.close();
      throw new ErrnoException(err, 'bind');
    }
    this.#handle = handle;
    this.#path = path;
  }

  /** `{ address, family, port }` (TCP, the port the host chose for 0) or the path (unix). */
  address(): SockNameOut | string {
    if (this.#handle === null) throw new ERR_SOCKET_HANDLE_ADOPTED();
    return this.#path ?? this.#address;
  }

  /** The descriptor in the host's sys; it stays the BoundSocket's until adopted. */
  fd(): number {
    if (this.#handle === null) throw new ERR_SOCKET_HANDLE_ADOPTED();
    return this.#handle.fd;
  }

  /** Closes a socket nobody adopted. */
  close(): void {
    if (this.#handle === null) throw new ERR_SOCKET_HANDLE_ADOPTED();
    this.#handle.close();
    this.#handle = null;
  }

  [Symbol.dispose](): void {
    if (this.#handle === null) return;
    this.#handle.close();
    this.#handle = null;
  }

  get isPipe(): boolean {
    return this.#path !== undefined;
  }

  /** @internal the path of a unix-domain one (undefined for TCP). */
  get [kPath](): string | undefined {
    return this.#path;
  }

  /** @internal hands the handle to its adopter; the BoundSocket no longer has it. */
  [kConsume](): TcpHandle | PipeHandle {
    if (this.#handle === null) throw new ERR_SOCKET_HANDLE_ADOPTED();
    const h = this.#handle;
    this.#handle = null;
    return h;
  }
}

export function isBoundSocket(x: unknown): x is BoundSocket {
  return x instanceof BoundSocket;
}

/** Adopts a BoundSocket's handle (Node's kBoundSocketConsume), with its unix path if any; one host's socket cannot adopt another's. */
export function consumeBoundSocket(b: BoundSocket, state: NetState, name: string): { handle: TcpHandle | PipeHandle; path: string | undefined } {
  if ((b.constructor as unknown as { [kBoundState]?: NetState })[kBoundState]?.loop !== state.loop) {
    throw new ERR_INVALID_ARG_VALUE(name, b, 'is a net.BoundSocket of another host');
  }
  const path = b[kPath];
  return { handle: b[kConsume](), path };
}

/** host.net.BoundSocket: the class bound to one host. */
export function boundSocketClass(state: NetState): typeof BoundSocket {
  const HostBoundSocket = class BoundSocket extends BaseBoundSocket {};
  Object.defineProperty(HostBoundSocket, kBoundState, { value: state });
  return HostBoundSocket;
}

const BaseBoundSocket = BoundSocket;
