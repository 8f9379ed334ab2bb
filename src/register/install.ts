// usernet/register: runs an unmodified program inside one virtual host. Node's own dgram and
// dns modules are re-pointed at the host's modules, so that require('dgram'),
// require('node:dgram'), `import dgram from 'node:dgram'` and `import { createSocket } from
// 'node:dgram'` (builtin ESM exports are re-synced) all reach the virtual host, and dns.lookup
// answers from its name table. The network runs on the real clock (programs use real timers).
//
// Environment: USERNET_SEED (default 0) seeds the network; USERNET_HOST names the host
// (default 'localhost-vm').
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { Network } from '../network.js';
import type { Host } from '../host.js';
import { createDgram } from '../node/dgram.js';

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
  const k = host.kernel;

  // dns: lookup and promises.lookup answer from the host (the module object is Node's own, so
  // code that replaces dns.lookup later is seen by dgram, as in Node).
  const dns = require('node:dns') as Record<string, unknown> & { promises: Record<string, unknown> };
  dns.lookup = host.dns.lookup;
  dns.promises.lookup = host.dns.promises.lookup;
  dns.getDefaultResultOrder = host.dns.getDefaultResultOrder;
  dns.setDefaultResultOrder = host.dns.setDefaultResultOrder;

  // dgram
  const dgram = createDgram({
    loop: { sys: host.sys, sched: k.sched, ifindex: (n) => k.iface(n)?.ifindex ?? 0, ifname: (i) => k.iface(i)?.name },
    dns: dns as unknown as { lookup: (...args: never[]) => unknown },
  });
  const realDgram = require('node:dgram') as Record<string, unknown>;
  realDgram.createSocket = dgram.createSocket;
  realDgram.Socket = dgram.Socket;
  realDgram._createSocketHandle = dgram._createSocketHandle;

  // net: once host.net exists, re-point node:net here the same way (createServer, Server,
  // Socket, Stream, connect, createConnection, isIP/isIPv4/isIPv6 stay Node's own).

  syncBuiltinESMExports();
  const r: Registered = { world, host };
  g[kInstalled] = r;
  return r;
}
