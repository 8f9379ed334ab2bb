// host.http2: node:http2 for one virtual host. Node's HTTP/2 (nghttp2 in C++) consumes a
// StreamBase: h2c connections get one over the host socket (see stream-base.ts), h2 ones the
// TLSWrap of a host.tls socket. Servers listen on the host; connect() opens its connection
// through the host (a createConnection option given by the caller is used as given, a host
// socket it returns gets its StreamBase).
import * as nodeHttp2 from 'node:http2';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import type { NetModule } from './net.js';
import { hostServerClass } from './host-server.js';
import { http2OnNetworkClock } from './http2-clock.js';
import { asStreamBase, completeWritesAtOnce } from './stream-base.js';
import { serverState, withTlsDefaults, type TlsHost, type TlsModule } from './tls.js';

export type Http2Module = typeof nodeHttp2;

type Options = Record<string, unknown>;

// Node's own, taken when this module loads (usernet/register re-points node:http2's exports at a
// host's later).
const nodeConnect = nodeHttp2.connect;
const http2Statics = { ...nodeHttp2 } as Options;
// Node exports neither server class; they are its servers' constructors.
const Http2Server = Object.getPrototypeOf(nodeHttp2.createServer()).constructor as new (...a: unknown[]) => nodeHttp2.Http2Server;
const Http2SecureServer = Object.getPrototypeOf(nodeHttp2.createSecureServer()).constructor as new (...a: unknown[]) => nodeHttp2.Http2SecureServer;

/**
 * The connect functions a client's default connection goes through: host.net's and host.tls's,
 * or (usernet/register) whatever node:net's and node:tls's exports hold at the call, as Node's
 * http2.connect looks them up.
 */
export interface Http2Connectors {
  net(options: Options): unknown;
  tls(port: string, host: string, options: Options): unknown;
}

export function createHttp2(host: TlsHost & { net: NetModule }, tls: TlsModule, connectors?: Http2Connectors): Http2Module {
  const state = serverState(host.net);
  const via: Http2Connectors = connectors ?? {
    net: (o) => host.net.connect(o as never),
    tls: (port, hostname, o) => tls.connect(Number(port), hostname, o as never),
  };
  const adopt = (s: object): void => http2OnNetworkClock(s as never, state);
  const Server = hostServerClass(Http2Server, state, { streamBase: true, http2: true, adopt }) as unknown as typeof Http2Server;
  const SecureServer = hostServerClass(Http2SecureServer, state, {
    streamBase: true,
    adopt,
    prepare: (args) => [withTlsDefaults(host, args[0], true), ...args.slice(1)],
  }) as unknown as typeof Http2SecureServer;

  // As Node's: createServer(handler) takes no options; createSecureServer always takes them
  // (Node's constructors throw ERR_INVALID_ARG_TYPE for what is not an object).
  function createServer(options?: unknown, handler?: unknown): nodeHttp2.Http2Server {
    if (typeof options === 'function') { handler = options; options = undefined; }
    return new Server(options, handler);
  }
  function createSecureServer(options?: unknown, handler?: unknown): nodeHttp2.Http2SecureServer {
    return new SecureServer(options, handler);
  }

  function connect(authority: string | URL | Options, options?: unknown, listener?: unknown): nodeHttp2.ClientHttp2Session {
    if (typeof options === 'function') { listener = options; options = undefined; }
    if (options === null || (options !== undefined && typeof options !== 'object')) {
      return (nodeConnect as (...a: unknown[]) => nodeHttp2.ClientHttp2Session)(authority, options, listener); // Node's argument errors
    }
    const o: Options = { ...(options as Options | undefined) };
    const url = (typeof authority === 'string' ? new URL(authority) : authority) as URL;
    const protocol = (url?.protocol || o.protocol || 'https:') as string;
    const own = o.createConnection;
    if (typeof own === 'function') {
      o.createConnection = (...a: unknown[]) => {
        const sb = asStreamBase((own as (...x: unknown[]) => unknown)(...a));
        completeWritesAtOnce(sb);
        return sb;
      };
    } else if (protocol === 'http:' || protocol === 'https:') {
      // What Node's http2.connect does with no createConnection (its port a string), the
      // options it was given passed on without ours.
      o.createConnection = (auth: URL, given: Options) => {
        const opts: Options = { ...given };
        delete opts.createConnection;
        const port = '' + (auth.port !== '' ? auth.port : (auth.protocol === 'http:' ? 80 : 443));
        let hostname = 'localhost';
        if (auth.hostname) hostname = auth.hostname[0] === '[' ? auth.hostname.slice(1, -1) : auth.hostname;
        else if ((auth as unknown as { host?: string }).host) hostname = (auth as unknown as { host: string }).host;
        if (protocol === 'http:') {
          const sb = asStreamBase(via.net({ port, host: hostname, ...opts }));
          completeWritesAtOnce(sb);
          return sb;
        }
        // What Node's http2.connect gives tls.connect: ALPN h2 (and http/1.1 with allowHTTP1), SNI.
        if (!opts.ALPNCallback) opts.ALPNProtocols = opts.allowHTTP1 === true ? ['h2', 'http/1.1'] : ['h2'];
        if (!isIP(hostname) && !opts.servername) opts.servername = hostname;
        return via.tls(port, hostname, opts);
      };
    }
    return (nodeConnect as (...a: unknown[]) => nodeHttp2.ClientHttp2Session)(authority, o, listener);
  }

  // Node's util.promisify(http2.connect) (lib/internal/http2/core.js connect[promisify.custom]):
  // the session once connected, or its first 'error'.
  if (typeof (nodeConnect as unknown as Record<symbol, unknown>)[promisify.custom] === 'function') {
    Object.defineProperty(connect, promisify.custom, {
      value: (authority: string | URL | Options, options?: Options) => new Promise<nodeHttp2.ClientHttp2Session>((resolve, reject) => {
        const session = connect(authority, options, () => { session.removeListener('error', reject); resolve(session); });
        session.once('error', reject);
      }),
    });
  }

  return {
    ...http2Statics,
    connect,
    createServer,
    createSecureServer,
  } as unknown as Http2Module;
}
