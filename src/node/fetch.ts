// host.dispatcher and host.fetch: undici (the fetch of Node.js, as an npm package) bound to one
// virtual host. The dispatcher is an undici Agent whose connector opens the host's sockets
// (host.net for http:, host.tls for https:, with TLS session reuse and ALPN as undici's own
// connector does), so undici's fetch, request, stream, pipeline and any library that takes a
// dispatcher reach the virtual network and nothing else.
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { Agent, Dispatcher, fetch as undiciFetch } from 'undici';
import type { NetModule } from './net.js';
import { networkTimeout } from './stream-base.js';
import type { TlsModule } from './tls.js';

export type HostFetch = (input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) => ReturnType<typeof undiciFetch>;

export interface DispatcherOptions extends Omit<Agent.Options, 'connect'> {
  /** Offer HTTP/2 (ALPN h2) on https: connections. Default false, as undici's. */
  allowH2?: boolean;
  /**
   * TLS options for https: connections (ca, cert, key, rejectUnauthorized, ...), and undici's
   * `timeout`: how long a connection (TCP, and TLS's handshake) may take, on the network's
   * clock (default 10 s, as undici's; 0: none).
   */
  connect?: Record<string, unknown>;
}

interface ConnectArgs {
  hostname: string;
  host?: string;
  protocol: string;
  port: string;
  servername?: string;
  localAddress?: string | null;
  httpSocket?: Socket;
}

const MAX_SESSIONS = 100;

type Undici = typeof import('undici');
let loaded: Undici | undefined;
/**
 * undici, loaded the first time a host's dispatcher or fetch is used: loading it takes about as
 * long as the rest of usernet's modules together, and most programs never fetch.
 */
function undici(): Undici {
  return loaded ??= createRequire(import.meta.url)('undici') as Undici;
}

/** An undici Agent whose connections are the host's. */
export function createDispatcher(net: NetModule, tls: TlsModule, options: DispatcherOptions = {}): Dispatcher {
  const { allowH2 = false, connect: connectOptions = {}, ...agentOptions } = options;
  const { timeout: timeoutOption, ...tlsOptions } = connectOptions;
  const timeout = timeoutOption == null ? 10e3 : Number(timeoutOption);
  const sessions = new Map<string, Buffer>();
  const connect = ({ hostname, host, protocol, port, servername, localAddress, httpSocket }: ConnectArgs,
    callback: (err: Error | null, socket: Socket | null) => void): Socket => {
    let socket: Socket;
    const local = localAddress ? { localAddress } : {};
    if (protocol === 'https:') {
      const sni = servername || (tlsOptions.servername as string | undefined) || serverName(host ?? hostname) || undefined;
      const key = sni || hostname;
      socket = tls.connect({
        highWaterMark: 16384,
        ...tlsOptions,
        ...(sni !== undefined ? { servername: sni } : {}),
        ...(sessions.has(key) ? { session: sessions.get(key) } : {}),
        ...local,
        ALPNProtocols: allowH2 ? ['http/1.1', 'h2'] : ['http/1.1'],
        ...(httpSocket !== undefined ? { socket: httpSocket } : {}),
        port: Number(port) || 443,
        host: hostname,
      } as never);
      socket.on('session', (session: Buffer) => {
        sessions.delete(key);
        sessions.set(key, session);
        if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
      });
    } else {
      socket = net.connect({ highWaterMark: 64 * 1024, ...local, port: Number(port) || 80, host: hostname }) as unknown as Socket;
    }
    socket.setKeepAlive(true, 60e3);
    socket.setNoDelay(true);
    // undici's connect timeout (lib/core/connect.js setupConnectTimeout), on the network's clock.
    const portNumber = Number(port) || (protocol === 'https:' ? 443 : 80);
    const clearTimer = timeout > 0 ? networkTimeout(socket, timeout, () => {
      const tried = (socket as { autoSelectFamilyAttemptedAddresses?: unknown }).autoSelectFamilyAttemptedAddresses;
      const where = Array.isArray(tried) ? `attempted addresses: ${tried.join(', ')},` : `attempted address: ${hostname}:${portNumber},`;
      socket.destroy(new (undici().errors.ConnectTimeoutError)(`Connect Timeout Error (${where} timeout: ${timeout}ms)`));
    }) : null;
    let cb: typeof callback | null = callback;
    socket.once(protocol === 'https:' ? 'secureConnect' : 'connect', function (this: Socket) {
      clearTimer?.();
      if (cb) { const f = cb; cb = null; f(null, this); }
    });
    socket.on('error', (err: Error) => {
      clearTimer?.();
      if (cb) { const f = cb; cb = null; f(err, null); }
    });
    return socket;
  };
  return new (undici().Agent)({ ...agentOptions, connect: connect as never });
}

/** The TLS server name for a Host header value (not for an address, RFC 6066 §3). */
function serverName(host: string): string | null {
  let name = host;
  if (name.startsWith('[')) return null;
  const colon = name.lastIndexOf(':');
  if (colon !== -1 && name.indexOf(':') === colon) name = name.slice(0, colon);
  return isIP(name) ? null : name;
}

/** fetch() through `dispatcher` (unless init names another). */
export function createFetch(dispatcher: () => Dispatcher): HostFetch {
  return (input, init) => undici().fetch(input, { ...init, dispatcher: init?.dispatcher ?? dispatcher() });
}
