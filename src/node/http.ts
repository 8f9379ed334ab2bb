// host.http and host.https: node:http and node:https for one virtual host. Node's HTTP (its
// parser, ClientRequest, ServerResponse, Agent pooling) runs unchanged over the host's sockets:
// servers listen on the host (see host-server.ts), the host's Agent classes open their
// connections through host.net / host.tls, and request()/get() use the host's global agents. Two
// hosts never share an agent or a pool; nothing global is changed.
import * as nodeHttp from 'node:http';
import * as nodeHttps from 'node:https';
import type { TLSSocket } from 'node:tls';
import { urlToHttpOptions } from 'node:url';
import type { NetModule } from './net.js';
import { hostServerClass } from './host-server.js';
import { onNetworkClock } from './http-clock.js';
import { serverState, withTlsDefaults, type TlsHost, type TlsModule } from './tls.js';

export type HttpModule = typeof nodeHttp;
export type HttpsModule = typeof nodeHttps;

type Options = Record<string, unknown>;

// Node's own, taken when this module loads (usernet/register re-points the modules' exports at
// a host's later, and the host's are built on these).
const NodeHttpServer = nodeHttp.Server;
const NodeHttpAgent = nodeHttp.Agent;
const ClientRequest = nodeHttp.ClientRequest;
const NodeHttpsServer = nodeHttps.Server;
const NodeHttpsAgent = nodeHttps.Agent;
const httpStatics = { ...nodeHttp } as Options;
type Callback = (...a: unknown[]) => void;

/**
 * A subclass of Node's agent class `Base` that, as Node's agents, can be called without `new`
 * (`https.Agent()`), with `proto` holding its own methods.
 */
function agentClass<T extends new (...a: never[]) => object>(Base: T, proto: Record<string, unknown>): T {
  const Agent = function Agent(this: unknown, ...args: unknown[]): object {
    return Reflect.construct(Base, args, new.target ?? Agent);
  } as unknown as T & { prototype: object };
  Agent.prototype = Object.create(Base.prototype, { constructor: { value: Agent, writable: true, configurable: true } });
  for (const [k, v] of Object.entries(proto)) Object.defineProperty(Agent.prototype, k, { value: v, writable: true, configurable: true });
  Object.setPrototypeOf(Agent, Base);
  return Agent;
}

/**
 * request()'s arguments ([url][, options][, cb]) with the host's default agent, as Node's
 * https.request prepares them for ClientRequest.
 */
function requestArgs(args: unknown[], defaultAgent: nodeHttp.Agent, always: boolean): unknown[] {
  const rest = args.slice();
  let options: Options = {};
  if (typeof rest[0] === 'string') options = urlToHttpOptions(new URL(rest.shift() as string)) as unknown as Options;
  else if (rest[0] instanceof URL) options = urlToHttpOptions(rest.shift() as URL) as unknown as Options;
  if (rest[0] && typeof rest[0] !== 'function') Object.assign(options, rest.shift());
  if (always || options._defaultAgent === undefined) options._defaultAgent = defaultAgent;
  return [options, ...rest];
}

export function createHttp(net: NetModule): HttpModule {
  const state = serverState(net);
  const Server = hostServerClass(NodeHttpServer, state, { adopt: (s) => onNetworkClock(s as never, state) });

  /** Node's http.Agent whose connections are the host's sockets. */
  const Agent = agentClass(NodeHttpAgent, { createConnection: net.createConnection });
  let globalAgent: nodeHttp.Agent = new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 });

  function request(...args: unknown[]): nodeHttp.ClientRequest {
    return Reflect.construct(ClientRequest, requestArgs(args, globalAgent, false)) as nodeHttp.ClientRequest;
  }
  function get(...args: unknown[]): nodeHttp.ClientRequest {
    const req = request(...args);
    req.end();
    return req;
  }

  const mod: Options = {
    ...httpStatics,
    Agent,
    Server,
    createServer: (options?: unknown, listener?: unknown) => new (Server as unknown as new (o: unknown, l: unknown) => nodeHttp.Server)(options, listener),
    request,
    get,
  };
  delete mod.globalAgent;
  Object.defineProperty(mod, 'globalAgent', { enumerable: true, get: () => globalAgent, set: (v: nodeHttp.Agent) => { globalAgent = v; } });
  // Process-wide, as in Node.
  Object.defineProperty(mod, 'maxHeaderSize', { enumerable: true, get: () => nodeHttp.maxHeaderSize });
  return mod as unknown as HttpModule;
}

export function createHttps(host: TlsHost, tls: TlsModule): HttpsModule {
  const state = serverState(host.net);
  const Server = hostServerClass(NodeHttpsServer, state, {
    streamBase: true,
    adopt: (s) => onNetworkClock(s as never, state),
    prepare: (args) => (typeof args[0] === 'function' ? [withTlsDefaults(host, {}, true), args[0], ...args.slice(1)] : [withTlsDefaults(host, args[0], true), ...args.slice(1)]),
  });

  /** Node's https.Agent whose connections are host.tls's, with its TLS session cache. */
  interface AgentInternals {
    _getSession(key: string): Buffer | undefined;
    _cacheSession(key: string, session: Buffer): void;
    _evictSession(key: string): void;
  }
  const Agent = agentClass(NodeHttpsAgent, {
    createConnection: function createConnection(this: AgentInternals, port: unknown, hostname: unknown, options: unknown): TLSSocket {
      let o: Options;
      if (port !== null && typeof port === 'object') o = port as Options;
      else if (hostname !== null && typeof hostname === 'object') o = { ...(hostname as Options) };
      else if (options === null || typeof options !== 'object') o = {};
      else o = { ...(options as Options) };
      if (typeof port === 'number') o.port = port;
      if (typeof hostname === 'string') o.host = hostname;
      const key = o._agentKey as string | undefined;
      if (key) {
        const session = this._getSession(key);
        if (session) o = { session, ...o };
      }
      const socket = tls.connect(o as never);
      if (key) {
        socket.on('session', (session: Buffer) => { this._cacheSession(key, session); });
        socket.once('close', (err: boolean) => { if (err) this._evictSession(key); });
      }
      return socket;
    },
  });
  let globalAgent: nodeHttps.Agent = new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 });

  function request(...args: unknown[]): nodeHttp.ClientRequest {
    return Reflect.construct(ClientRequest, requestArgs(args, globalAgent, true)) as nodeHttp.ClientRequest;
  }
  function get(...args: unknown[]): nodeHttp.ClientRequest {
    const req = request(...args);
    req.end();
    return req;
  }

  const mod: Options = {
    Agent,
    Server,
    createServer: (options?: unknown, listener?: unknown) => new (Server as unknown as new (o: unknown, l: unknown) => nodeHttps.Server)(options, listener),
    request,
    get,
  };
  Object.defineProperty(mod, 'globalAgent', { enumerable: true, get: () => globalAgent, set: (v: nodeHttps.Agent) => { globalAgent = v; } });
  return mod as unknown as HttpsModule;
}

export type { Callback };
