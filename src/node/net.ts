// host.net: node:net for one virtual host. createNet(host) builds a module shaped like
// node:net (createServer, connect, createConnection, Socket, Server, Stream, isIP, isIPv4,
// isIPv6, BlockList, SocketAddress, get/setDefaultAutoSelectFamily[AttemptTimeout]) whose
// sockets live in that host's kernel. The defaults are per host.
import { BlockList, SocketAddress, isIP, isIPv4, isIPv6 } from 'node:net';
import { validateBoolean, validateInt32 } from './validators.js';
import { callable, kNetState, normalizeArgs, type NetHost, type NetState } from './net-context.js';
import { NetSocket, type SocketConnectOptions, type SocketConstructorOptions } from './net-socket.js';
import { NetServer, type ServerOptions } from './net-server.js';
import { TcpHandle } from '../handles/tcp.js';

export type { NetHost, LookupFunction, LookupAddress, LookupOptions } from './net-context.js';
export { NetSocket, NetServer };
export type { SocketConnectOptions, SocketConstructorOptions, ServerOptions };

type ConnectionListener = (socket: NetSocket) => void;

/** The shape of host.net. */
export interface NetModule {
  Socket: typeof NetSocket & ((options?: SocketConstructorOptions | number) => NetSocket);
  Stream: typeof NetSocket & ((options?: SocketConstructorOptions | number) => NetSocket);
  Server: typeof NetServer & ((options?: ServerOptions | ConnectionListener, listener?: ConnectionListener) => NetServer);
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
  _setSimultaneousAccepts(handle?: unknown): void;
  _createServerHandle?: undefined;
  /** The handle classes, for code that checks `instanceof` (Node's TCP wrap). */
  TCP: typeof TcpHandle;
}

/** Node's defaults: family autoselection on, 250 ms per attempt (v20). */
export const DEFAULT_AUTOSELECT_FAMILY = true;
export const DEFAULT_AUTOSELECT_FAMILY_ATTEMPT_TIMEOUT = 250;

export function createNet(host: NetHost): NetModule {
  const state: NetState & { Socket: typeof NetSocket } = {
    loop: host.loop,
    lookup: host.lookup,
    autoSelectFamily: DEFAULT_AUTOSELECT_FAMILY,
    autoSelectFamilyAttemptTimeout: DEFAULT_AUTOSELECT_FAMILY_ATTEMPT_TIMEOUT,
    Socket: NetSocket,
  };

  class Socket extends NetSocket {
    static readonly [kNetState] = state;
  }
  class Server extends NetServer {
    static readonly [kNetState] = state;
  }
  const SocketC = callable(Socket);
  const ServerC = callable(Server);
  state.Socket = SocketC;

  function createServer(options?: ServerOptions | ConnectionListener, connectionListener?: ConnectionListener): NetServer {
    return new ServerC(options, connectionListener);
  }

  function connect(...args: unknown[]): NetSocket {
    const normalized = normalizeArgs(args);
    const options = normalized[0] as SocketConnectOptions;
    const socket = new SocketC(options as SocketConstructorOptions);
    if (options.timeout) socket.setTimeout(options.timeout);
    return socket.connect(normalized);
  }

  let warnedSimultaneousAccepts = false;

  return {
    Socket: SocketC,
    Stream: SocketC,
    Server: ServerC,
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
    _setSimultaneousAccepts(): void {
      if (!warnedSimultaneousAccepts) {
        process.emitWarning('net._setSimultaneousAccepts() is deprecated and will be removed.', 'DeprecationWarning', 'DEP0121');
        warnedSimultaneousAccepts = true;
      }
    },
    TCP: TcpHandle,
  };
}
