// The many-clients scenario (issue 11): `n` hosts on switches of 250 behind one router, each
// connecting at the same moment to one server on the far side (node:net shaped sockets, the
// listener's default backlog), sending 1 KiB and reading it back, then closing. Shared by
// bench/scale (timed, 10,000 hosts) and the test suite (a smaller n).
import { createHash } from 'node:crypto';
import { Network } from '../../src/index.js';
import type { Host } from '../../src/index.js';

export interface ManyClientsResult {
  n: number;
  completed: number;
  /** Errors the clients' sockets emitted, by code. */
  errors: Record<string, number>;
  buildMs: number;
  runMs: number;
  /** Process CPU time (user + system) of the building and of the run. */
  buildCpuMs: number;
  runCpuMs: number;
  virtualMs: number;
  /** The server host's TCP counters of interest. */
  server: Record<string, number>;
  /** With `digest: true`: a SHA-256 of the network's journal (every frame on every wire, hashed). */
  digest?: string;
}

export interface ManyClientsOptions {
  virtualMs?: number;
  seed?: number;
  perSwitch?: number;
  /** The listener's backlog (default: node:net's, 511). */
  backlog?: number;
  /** Settings of the server host (host.sysctl names), before it listens. */
  serverSysctl?: Record<string, number>;
  /** Keep the network's journal and return its digest (same seed, same frames). */
  digest?: boolean;
}

export async function manyClients(n: number, opts: ManyClientsOptions = {}): Promise<ManyClientsResult> {
  const virtualMs = opts.virtualMs ?? 60_000;
  const perSwitch = opts.perSwitch ?? 250;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const world = new Network({ seed: opts.seed ?? 1, journal: opts.digest === true });
  const router = world.host('r', { forwarding: true });
  const core = world.switch('core');
  const server = world.host('srv');
  server.attach(core, { ipv4: '10.255.0.1/16' });
  router.attach(core, { ipv4: '10.255.0.254/16' });
  server.route.add('default', { via: '10.255.0.254' });
  const clients: Host[] = [];
  const lans = [core];
  const switches = Math.ceil(n / perSwitch);
  for (let w = 0; w < switches; w++) {
    const sw = world.switch(`lan${w}`);
    lans.push(sw);
    const net = `10.${w >> 8}.${w & 255}`;
    // /24 per switch: 10.<hi>.<lo>.x, the router at .254.
    router.attach(sw, { ipv4: `${net}.254/24` });
    for (let i = 0; i < perSwitch && clients.length < n; i++) {
      const h = world.host(`c${clients.length}`);
      h.attach(sw, { ipv4: `${net}.${i + 1}/24` });
      h.route.add('default', { via: `${net}.254` });
      clients.push(h);
    }
  }
  // A router with this many neighbours is set up as Linux routers of that size must be: its
  // neighbour table's limits (gc_thresh1/2/3, 128/512/1024 for the whole host by default) raised.
  if (n + 2 > 128) {
    router.sysctl('net.ipv4.neigh.default.gc_thresh1', n + 2);
    router.sysctl('net.ipv4.neigh.default.gc_thresh2', 2 * (n + 2));
    router.sysctl('net.ipv4.neigh.default.gc_thresh3', 4 * (n + 2));
  }
  for (const [k, v] of Object.entries(opts.serverSysctl ?? {})) server.sysctl(k, v);
  const srv = server.net.createServer((s) => s.pipe(s));
  srv.listen(opts.backlog === undefined ? { port: 7 } : { port: 7, backlog: opts.backlog });
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  let completed = 0;
  const errors: Record<string, number> = {};
  const payload = Buffer.alloc(1024, 0x61);
  for (const h of clients) {
    const sock = h.net.connect(7, '10.255.0.1');
    let got = 0;
    sock.on('error', (e: NodeJS.ErrnoException) => { errors[e.code ?? String(e)] = (errors[e.code ?? String(e)] ?? 0) + 1; });
    sock.on('data', (d: Buffer) => { got += d.length; if (got >= payload.length) sock.end(); });
    sock.on('close', () => { if (got >= payload.length) completed++; });
    sock.write(payload);
  }
  await world.run({ for: virtualMs });
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number => (b.user - a.user + b.system - a.system) / 1000;
  const st = server.kernel.stats.tcp as Record<string, number>;
  const pick = ['PassiveOpens', 'ListenOverflows', 'ListenDrops', 'SyncookiesSent', 'SyncookiesRecv', 'SyncookiesFailed', 'TCPReqQFullDrop', 'EmbryonicRsts', 'OutRsts', 'EstabResets'];
  const result: ManyClientsResult = {
    n, completed, errors: { ...errors }, buildMs: t1 - t0, runMs: t2 - t1, buildCpuMs: cpuMs(c0, c1), runCpuMs: cpuMs(c1, c2), virtualMs,
    server: { ...Object.fromEntries(pick.map((k) => [k, st[k] ?? 0])), SoftnetSqueezed: server.kernel.softnet.squeezed },
  };
  if (world.journal !== null) {
    const h = createHash('sha256');
    for (const e of world.journal) h.update(`${e.time} ${e.source} ${e.event}\n`);
    // And every counter: the hosts' (kernel and interfaces) and the switches'.
    for (const host of [server, router, ...clients]) {
      h.update(JSON.stringify(host.kernel.stats));
      for (const i of host.kernel.interfaces) h.update(JSON.stringify(i.stats));
    }
    for (const sw of lans) h.update(JSON.stringify(sw.stats()));
    result.digest = h.digest('hex');
  }
  srv.close();
  await world.close();
  return result;
}
