// usernet/register: runs an unmodified program inside one virtual host. Node's own net, dgram
// and dns modules are re-pointed at the host's modules, so that require('dgram'),
// require('node:dgram'), `import dgram from 'node:dgram'` and `import { createSocket } from
// 'node:dgram'` (builtin ESM exports are re-synced) all reach the virtual host, and dns.lookup
// and the resolvers (dns.resolve*, dns.Resolver, dns.promises) are the host's. The network
// runs on the real clock (programs use real timers).
//
// The host has lo (127.0.0.1, ::1) and eth0 on a switch of its own with only its IPv6
// link-local address; os.networkInterfaces() lists these, as it would inside the host.
//
// Environment: USERNET_SEED (default 0) seeds the network; USERNET_HOST names the host
// (default 'localhost-vm').
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { Network } from '../world/network.js';
import type { Host } from '../world/host.js';
import type { Scheduler } from '../links/clock.js';
import { interfacesOf } from '../world/os.js';
import { liveHandles, resourceName } from '../world/programs.js';
import { createDgram } from '../node/dgram.js';
import { exposeToInternals } from './internals.js';
import { observeHostEntries } from './perf-hooks.js';
import { createNet, type LookupFunction } from '../node/net.js';
// These load Node's tls, http, https and http2 now, while node:net is still Node's: their classes
// (TLSSocket, http.Server, ...) are built on Node's net.Socket and net.Server, as they must be.
import { createTls } from '../node/tls.js';
import { createHttp, createHttps } from '../node/http.js';
import { createHttp2 } from '../node/http2.js';
import { createDispatcher } from '../node/fetch.js';
import { resolverKeys } from '../node/dns-resolver.js';
import { isHostSocket, toStreamBase } from '../node/stream-base.js';
import { StreamHandle } from '../handles/stream.js';

const require = createRequire(import.meta.url);
const kInstalled = Symbol.for('usernet.register');

export interface Registered {
  world: Network;
  host: Host;
}

/** Installs the virtual host (once per process) and returns it. */
export function install(): Registered {
  const g = globalThis as unknown as Record<symbol, Registered | undefined>;
  const done = g[kInstalled];
  if (done !== undefined) return done;

  const seed = Number(process.env.USERNET_SEED ?? 0) || 0;
  const world = new Network({ seed, clock: 'real' });
  const host = world.host(process.env.USERNET_HOST || 'localhost-vm');
  host.attach(world.switch('lan'), { name: 'eth0' });
  const k = host.kernel;

  const os = require('node:os') as Record<string, unknown>;
  os.networkInterfaces = () => interfacesOf(host);

  // dns: lookup and promises.lookup answer from the host (the module object is Node's own, so
  // code that replaces dns.lookup later is seen by dgram, as in Node).
  const dns = require('node:dns') as Record<string, unknown> & { promises: Record<string, unknown> };
  dns.lookup = host.dns.lookup;
  dns.promises.lookup = host.dns.promises.lookup;
  dns.lookupService = host.dns.lookupService;
  dns.promises.lookupService = host.dns.promises.lookupService;
  dns.getDefaultResultOrder = host.dns.getDefaultResultOrder;
  dns.setDefaultResultOrder = host.dns.setDefaultResultOrder;
  // Resolvers: the host's (every record type, over the virtual network), and the functions of
  // the default resolver on both module objects, so that no query reaches the real network.
  for (const [target, mine] of [[dns, host.dns], [dns.promises, host.dns.promises]] as const) {
    for (const key of [...resolverKeys, 'setServers', 'Resolver'] as const) target[key] = (mine as unknown as Record<string, unknown>)[key];
  }

  // The host's servers and sockets, for process._getActiveHandles() and getActiveResourcesInfo():
  // held weakly and without a listener (the program sees only its own listeners, and a server or
  // socket it drops is collected, as on the kernel).
  const objects = new WeakObjects();
  const track = (obj: object): void => { objects.add(obj); };
  listVirtualHandles(objects, k.sched);

  // dgram
  const loop = { sys: host.sys, sched: k.sched, ifindex: (n: string) => k.iface(n)?.ifindex ?? 0, ifname: (i: number) => k.iface(i)?.name };
  const dgramHost = { loop, dns: dns as unknown as { lookup: (...args: never[]) => unknown }, track };
  const dgram = createDgram(dgramHost);
  const realDgram = require('node:dgram') as Record<string, unknown>;
  realDgram.createSocket = dgram.createSocket;
  realDgram.Socket = dgram.Socket;
  if (dgram._createSocketHandle !== undefined) realDgram._createSocketHandle = dgram._createSocketHandle;

  // net: node:net's constructors and functions re-pointed at the host (isIP/isIPv4/isIPv6,
  // BlockList and SocketAddress stay Node's own). Names resolve through node:dns's lookup, read
  // at each use as Node does; sockets on the process's own descriptors (stdio, child pipes)
  // stay Node's.
  const realNet = require('node:net') as Record<string, unknown>;
  const nodeSocket = realNet.Socket as new (options?: object) => object;
  const net = createNet({
    loop: { sys: host.sys, sched: k.sched },
    lookup: (hostname, options, callback) => { (dns.lookup as LookupFunction)(hostname, options, callback); },
    nativeSocket: nodeSocket,
    perf: host.perf_hooks,
    nativeServer: realNet.Server as new () => object,
    track,
  });
  for (const name of ['Socket', 'Stream', 'Server', 'createServer', 'connect', 'createConnection',
    'getDefaultAutoSelectFamily', 'setDefaultAutoSelectFamily', 'getDefaultAutoSelectFamilyAttemptTimeout',
    'setDefaultAutoSelectFamilyAttemptTimeout', '_normalizeArgs', '_setSimultaneousAccepts', 'BoundSocket'] as const) {
    // What the running line has (BoundSocket from 24.22; _setSimultaneousAccepts before 24).
    if (net[name] !== undefined) realNet[name] = net[name];
  }
  // Node's TLSSocket calls node:net's Socket.prototype methods kept under symbols on itself
  // (kReinitializeHandle...): Node's own, on the host's prototype (host sockets have theirs).
  const nodeSocketProto = nodeSocket.prototype as object;
  for (const key of Object.getOwnPropertySymbols(nodeSocketProto)) {
    if (!(key in net.Socket.prototype)) Object.defineProperty(net.Socket.prototype, key, Object.getOwnPropertyDescriptor(nodeSocketProto, key)!);
  }

  // perf_hooks: observers of 'net' and 'dns' entries see the host's (connects, lookups).
  observeHostEntries(require('node:perf_hooks') as Record<string, unknown>, host.perf_hooks);

  // Node's own tests (--expose-internals) reach net's and dgram's internals: the host's.
  if (process.execArgv.includes('--expose-internals')) {
    exposeToInternals(dgramHost, dgram.Socket);
  }

  // tls, https, http, http2 and the global fetch: the host's (Node's own classes on the host's
  // sockets, see src/node/tls.ts and http.ts). Node's trust store and defaults are kept.
  const tlsHost = { net };
  const tls = createTls(tlsHost);
  const realTls = require('node:tls') as Record<string, unknown>;
  for (const name of ['connect', 'createServer', 'Server', 'TLSSocket'] as const) realTls[name] = tls[name];
  const http = createHttp(net);
  // Node's HTTP parser reading a socket itself (parser.consume(socket._handle), C++ reading a
  // StreamBase): a host socket's handle is read through its StreamBase (stream-base.ts).
  const parserProto = (require('node:_http_common') as { HTTPParser: { prototype: Record<string, unknown> } }).HTTPParser.prototype;
  const consume = parserProto.consume as (this: unknown, handle: unknown) => unknown;
  parserProto.consume = function (this: unknown, handle: unknown): unknown {
    const owner = handle instanceof StreamHandle ? handle.owner : null;
    return consume.call(this, isHostSocket(owner) ? (toStreamBase(owner) as unknown as { _handle: unknown })._handle : handle);
  };
  // Node's own Agent class took node:net's createConnection when it loaded, before the line
  // above re-pointed node:net: agents of that class (require('_http_agent').Agent, and classes
  // extending it) connect through the host too.
  (require('node:_http_agent') as { Agent: { prototype: Record<string, unknown> } }).Agent.prototype.createConnection = net.createConnection;
  const realHttp = require('node:http') as Record<string, unknown>;
  for (const name of ['Server', 'createServer', 'Agent'] as const) realHttp[name] = http[name];
  realHttp.globalAgent = http.globalAgent; // node:http's setter: the agent ClientRequest falls back to
  const https = createHttps(tlsHost, tls);
  const realHttps = require('node:https') as Record<string, unknown>;
  for (const name of ['Server', 'createServer', 'Agent', 'globalAgent'] as const) realHttps[name] = https[name];
  // http2.connect's default connection through node:net's / node:tls's connect as they are at
  // the call (Node's looks them up so; programs replace them), i.e. the host's unless replaced.
  type Connect = (...a: unknown[]) => unknown;
  const http2 = createHttp2(tlsHost, tls, {
    net: (o) => (realNet.connect as Connect)(o),
    tls: (port, hostname, o) => (realTls.connect as Connect)(port, hostname, o),
  });
  const realHttp2 = require('node:http2') as Record<string, unknown>;
  for (const name of ['connect', 'createServer', 'createSecureServer'] as const) realHttp2[name] = http2[name];
  // The global fetch and WebSocket (Node's bundled undici) use the dispatcher registered under
  // this symbol, shared by undici's versions: an undici Agent on the host.
  (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] = createDispatcher(net, tls);

  syncBuiltinESMExports();
  const r: Registered = { world, host };
  g[kInstalled] = r;
  return r;
}

/**
 * process._getActiveHandles() and process.getActiveResourcesInfo() list the host's live servers
 * and sockets (TCPServerWrap, TCPSocketWrap, PipeServerWrap, PipeWrap, UDPWrap) besides Node's
 * own handles, as they would if the program ran on the kernel.
 */
/** An iterable set of objects held weakly: an entry goes once its object is collected. */
class WeakObjects implements Iterable<object> {
  private readonly refs = new Set<WeakRef<object>>();
  private readonly registry = new FinalizationRegistry<WeakRef<object>>((ref) => { this.refs.delete(ref); });
  add(obj: object): void {
    const ref = new WeakRef(obj);
    this.refs.add(ref);
    this.registry.register(obj, ref);
  }
  *[Symbol.iterator](): Iterator<object> {
    for (const ref of this.refs) {
      const obj = ref.deref();
      if (obj !== undefined) yield obj;
    }
  }
}

function listVirtualHandles(objects: Iterable<object>, sched: Scheduler): void {
  const proc = process as unknown as { _getActiveHandles(): object[]; getActiveResourcesInfo?(): string[] };
  const nodeHandles = proc._getActiveHandles.bind(process);
  proc._getActiveHandles = () => [...nodeHandles(), ...liveHandles(objects)];
  const info = proc.getActiveResourcesInfo?.bind(process);
  if (info === undefined) return;
  proc.getActiveResourcesInfo = () => {
    const out = info();
    // Node lists requests, handles, then timers: the host's handles go before the timers, and
    // the timers and immediates the network's scheduler itself holds are left out.
    let { timeouts, immediates } = sched.machineResources();
    for (let j = out.length - 1; j >= 0 && (timeouts > 0 || immediates > 0); j--) {
      if (out[j] === 'Timeout' && timeouts > 0) { out.splice(j, 1); timeouts--; }
      else if (out[j] === 'Immediate' && immediates > 0) { out.splice(j, 1); immediates--; }
    }
    let i = out.length;
    while (i > 0 && (out[i - 1] === 'Timeout' || out[i - 1] === 'Immediate')) i--;
    out.splice(i, 0, ...liveHandles(objects).map(resourceName));
    return out;
  };
}
