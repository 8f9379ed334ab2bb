// Idle TCP connections: heap per connection end, node:net Socket included. usernet: `n`
// connections between two hosts on a cable (host.net on both sides, so each end is a net.Socket
// over a handle over the kernel's TCP state); the kernel: the same with node:net over
// 127.0.0.1, where each end costs a net.Socket and its handle in the JS heap (and the kernel's
// own socket memory, which the JS heap does not show). Clients are spread over several local
// addresses so that ephemeral ports (Linux's 32768-60999) do not run out.
import * as nodeNet from 'node:net';
import { Network } from '../../src/index.js';
import type { Host } from '../../src/index.js';
import { heapUsed } from './heap.js';

export interface IdleConnectionsResult {
  n: number;
  /** Heap per connection end (each connection has two). */
  perEnd: number;
  /** Connections set up per wall second. */
  perSecond: number;
}

const PER_ADDRESS = 20_000;

type NetLike = { connect(opts: { port: number; host: string; localAddress: string }): { on(ev: string, fn: (...a: never[]) => void): unknown } };

/** Opens n connections (in batches, as far as `settle` lets them complete), returns the sockets. */
async function open(net: NetLike, n: number, server: string, local: (i: number) => string, port: number,
  settle: () => Promise<void>): Promise<{ ends: unknown[]; ms: number }> {
  const ends: unknown[] = [];
  let connected = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const c = net.connect({ port, host: server, localAddress: local(Math.floor(i / PER_ADDRESS)) });
    c.on('connect', () => { connected++; });
    c.on('error', (e: Error) => { throw e; });
    ends.push(c);
    if (i % 1000 === 999) await settle();
  }
  while (connected < n) await settle();
  return { ends, ms: performance.now() - t0 };
}

export async function usernetConnections(n: number): Promise<IdleConnectionsResult> {
  const world = new Network({ seed: 1 });
  const a: Host = world.host('a');
  const b: Host = world.host('b');
  const addrs = Math.ceil(n / PER_ADDRESS);
  world.link(a, b, { ipv4: ['10.0.0.1/16', '10.0.255.254/16'] });
  for (let i = 1; i < addrs; i++) a.kernel.addAddress(a.kernel.iface('eth0')!, `10.0.0.${i + 1}/16`);
  const accepted: unknown[] = [];
  const srv = b.net.createServer((s) => { accepted.push(s); });
  srv.listen({ port: 80, backlog: 4096 });
  await world.run({ for: 10 });
  const h0 = heapUsed();
  const { ends, ms } = await open(a.net, n, '10.0.255.254', (k) => `10.0.0.${k + 1}`, 80, () => world.run({ for: 1 }));
  while (accepted.length < n) await world.run({ for: 1 });
  const h1 = heapUsed();
  const r = { n, perEnd: (h1 - h0) / (2 * n), perSecond: n / (ms / 1000) };
  for (const e of ends) (e as nodeNet.Socket).destroy();
  await world.close();
  return r;
}

export async function kernelConnections(n: number): Promise<IdleConnectionsResult> {
  const accepted: nodeNet.Socket[] = [];
  const srv = nodeNet.createServer((s) => { accepted.push(s); });
  await new Promise<void>((r) => srv.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => r()));
  const port = (srv.address() as nodeNet.AddressInfo).port;
  const h0 = heapUsed();
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1));
  const { ends, ms } = await open(nodeNet, n, '127.0.0.1', (k) => `127.0.1.${k + 1}`, port, settle);
  while (accepted.length < n) await settle();
  const h1 = heapUsed();
  const r = { n, perEnd: (h1 - h0) / (2 * n), perSecond: n / (ms / 1000) };
  for (const e of ends) (e as nodeNet.Socket).destroy();
  for (const s of accepted) s.destroy();
  await new Promise<void>((res) => srv.close(() => res()));
  return r;
}
