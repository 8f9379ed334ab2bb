// usernet/register: runs an unmodified program inside one virtual host. Node's own net, dgram
// and dns modules are re-pointed at the host's modules, so that require('dgram'),
// require('node:dgram'), `import dgram from 'node:dgram'` and `import { createSocket } from
// 'node:dgram'` (builtin ESM exports are re-synced) all reach the virtual host, and dns.lookup
// answers from its name table. The network runs on the real clock (programs use real timers).
//
// The host has lo (127.0.0.1, ::1) and eth0 on a switch of its own with only its IPv6
// link-local address; os.networkInterfaces() lists these, as it would inside the host.
//
// Environment: USERNET_SEED (default 0) seeds the network; USERNET_HOST names the host
// (default 'localhost-vm').
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { NetworkInterfaceInfo } from 'node:os';
import { Network } from '../world/network.js';
import type { Host } from '../world/host.js';
import { createDgram } from '../node/dgram.js';
import { exposeToInternals } from './internals.js';
import { createNet, type LookupFunction } from '../node/net.js';

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
  os.networkInterfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => interfacesOf(host);

  // dns: lookup and promises.lookup answer from the host (the module object is Node's own, so
  // code that replaces dns.lookup later is seen by dgram, as in Node).
  const dns = require('node:dns') as Record<string, unknown> & { promises: Record<string, unknown> };
  dns.lookup = host.dns.lookup;
  dns.promises.lookup = host.dns.promises.lookup;
  dns.getDefaultResultOrder = host.dns.getDefaultResultOrder;
  dns.setDefaultResultOrder = host.dns.setDefaultResultOrder;
  // Resolver: the host's (A, AAAA, ANY over the virtual network). Node's dns.setServers() binds
  // every method name of the exported Resolver's prototype to its default resolver, so the
  // record types the host's Resolver lacks keep Node's own methods rather than being missing.
  for (const [mine, theirs] of [[host.dns.Resolver, dns.Resolver], [host.dns.promises.Resolver, dns.promises.Resolver]] as const) {
    const proto = (mine as unknown as { prototype: Record<string, unknown> }).prototype;
    const real = (theirs as { prototype: Record<string, unknown> }).prototype;
    for (const key of Object.getOwnPropertyNames(real)) {
      if (!(key in proto)) Object.defineProperty(proto, key, Object.getOwnPropertyDescriptor(real, key)!);
    }
  }
  dns.Resolver = host.dns.Resolver;
  dns.promises.Resolver = host.dns.promises.Resolver;

  // dgram
  const dgram = createDgram({
    loop: { sys: host.sys, sched: k.sched, ifindex: (n) => k.iface(n)?.ifindex ?? 0, ifname: (i) => k.iface(i)?.name },
    dns: dns as unknown as { lookup: (...args: never[]) => unknown },
  });
  const realDgram = require('node:dgram') as Record<string, unknown>;
  realDgram.createSocket = dgram.createSocket;
  realDgram.Socket = dgram.Socket;
  realDgram._createSocketHandle = dgram._createSocketHandle;

  // net: node:net's constructors and functions re-pointed at the host (isIP/isIPv4/isIPv6,
  // BlockList and SocketAddress stay Node's own). Names resolve through node:dns's lookup, read
  // at each use as Node does; sockets on the process's own descriptors (stdio, child pipes)
  // stay Node's.
  const realNet = require('node:net') as Record<string, unknown>;
  const net = createNet({
    loop: { sys: host.sys, sched: k.sched },
    lookup: (hostname, options, callback) => { (dns.lookup as LookupFunction)(hostname, options, callback); },
    nativeSocket: realNet.Socket as new (options?: object) => object,
  });
  for (const name of ['Socket', 'Stream', 'Server', 'createServer', 'connect', 'createConnection',
    'getDefaultAutoSelectFamily', 'setDefaultAutoSelectFamily', 'getDefaultAutoSelectFamilyAttemptTimeout',
    'setDefaultAutoSelectFamilyAttemptTimeout', '_normalizeArgs', '_setSimultaneousAccepts'] as const) {
    realNet[name] = net[name];
  }

  // Node's own tests (--expose-internals) reach net's and dgram's internals: the host's.
  if (process.execArgv.includes('--expose-internals')) {
    exposeToInternals({ sys: host.sys, sched: k.sched, ifindex: (n) => k.iface(n)?.ifindex ?? 0, ifname: (i) => k.iface(i)?.name }, dgram.Socket);
  }

  syncBuiltinESMExports();
  const r: Registered = { world, host };
  g[kInstalled] = r;
  return r;
}

/** os.networkInterfaces() of a virtual host. */
function interfacesOf(host: Host): NodeJS.Dict<NetworkInterfaceInfo[]> {
  const out: NodeJS.Dict<NetworkInterfaceInfo[]> = {};
  for (const i of host.addr()) {
    const internal = i.ifname === 'lo';
    const list: NetworkInterfaceInfo[] = [];
    for (const a of i.addrs) {
      const cidr = `${a.address}/${a.prefix}`;
      if (a.family === 4) {
        list.push({ address: a.address, netmask: mask4(a.prefix), family: 'IPv4', mac: i.mac, internal, cidr });
      } else {
        list.push({ address: a.address, netmask: mask6(a.prefix), family: 'IPv6', mac: i.mac, internal, cidr, scopeid: a.scope === 'link' ? i.ifindex : 0 });
      }
    }
    if (list.length > 0) out[i.ifname] = list;
  }
  return out;
}

function mask4(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [m >>> 24, (m >>> 16) & 255, (m >>> 8) & 255, m & 255].join('.');
}

function mask6(prefix: number): string {
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) {
    const bits = Math.max(0, Math.min(16, prefix - g * 16));
    groups.push(bits === 0 ? '0' : ((0xffff << (16 - bits)) & 0xffff).toString(16));
  }
  // RFC 5952 form, as Node prints it: the longest run of zero groups becomes '::'.
  const s = groups.join(':');
  const runs = s.match(/(^|:)0(:0)+(:|$)/g);
  if (!runs) return s;
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a));
  return s.replace(longest, '::');
}
