// bench/scale: what big networks cost, in one run (issue 11). Prints
//   - idle hosts: hosts built per second, heap per idle host (goal <= 16 KiB);
//   - idle TCP connections: heap per connection end, net.Socket included, beside node:net on the
//     kernel's loopback (JS heap only there; the kernel's own socket memory is not in it), and
//     connections set up per second (goal <= 3 KiB per end at 100,000 connections);
//   - many clients: n hosts behind a router, one 1 KiB TCP echo each with one server, 60 s of
//     virtual time: wall time (goal < 10 s for 10,000);
//   - a 100-host WAN: virtual seconds per wall second.
// Sizes: SCALE_HOSTS (10000), SCALE_CONNS (100000), SCALE_KERNEL_CONNS (5000: two fds each),
// SCALE_CLIENTS (10000); BENCH_QUICK=1 runs small ones (the suite's version).
import { QUICK, report } from './common.js';
import { kib } from './scale/heap.js';
import { idleHosts } from './scale/hosts.js';
import { kernelConnections, usernetConnections } from './scale/connections.js';
import { manyClients } from './scale/many-clients.js';
import { wan } from './scale/wan.js';

const size = (name: string, full: number, quick: number): number => {
  const v = process.env[name];
  return v !== undefined && v !== '' ? Number(v) : QUICK ? quick : full;
};
const HOSTS = size('SCALE_HOSTS', 10_000, 200);
const CONNS = size('SCALE_CONNS', 100_000, 1_000);
const KCONNS = size('SCALE_KERNEL_CONNS', 5_000, 500);
const CLIENTS = size('SCALE_CLIENTS', 10_000, 100);
const WAN = QUICK ? { sites: 4, perSite: 5, virtualMs: 2_000 } : { virtualMs: 60_000 };
const goal = (ok: boolean): string => (ok ? 'met' : 'not met');

const h = await idleHosts(HOSTS);
console.log(`scale hosts: ${h.n} built in ${h.buildMs.toFixed(0)} ms (${h.perSecond.toFixed(0)} hosts/s); heap per host ${kib(h.heapBuilt)} built, ${kib(h.heapIdle)} idle after ${h.settleMs / 1000} s (goal <= 16 KiB: ${goal(h.heapIdle <= 16 * 1024)})`);

const k = await kernelConnections(KCONNS);
const u = await usernetConnections(CONNS);
console.log(`scale connections: usernet ${u.n} idle: ${kib(u.perEnd)} per end (goal <= 3 KiB: ${goal(u.perEnd <= 3 * 1024)}); node:net on the kernel loopback, ${k.n}: ${kib(k.perEnd)} of JS heap per end (+ the kernel's socket memory)`);
report('scale connections set up', { unit: 'conns', count: u.n, ms: (u.n / u.perSecond) * 1000 }, { unit: 'conns', count: k.n, ms: (k.n / k.perSecond) * 1000 });

const m = await manyClients(CLIENTS);
const errs = Object.entries(m.errors).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
console.log(`scale many clients: ${m.n} hosts, one 1 KiB echo each through a router: ${m.completed} completed (errors: ${errs}); build ${m.buildMs.toFixed(0)} ms, ${m.virtualMs / 1000} s virtual in ${m.runMs.toFixed(0)} ms wall (goal < 10 s: ${goal(m.runMs < 10_000 && m.completed === m.n)})`);
console.log(`  server: ${Object.entries(m.server).map(([c, n]) => `${c} ${n}`).join(', ')}`);

const w = await wan(WAN);
console.log(`scale wan: ${w.hosts} hosts in ${w.sites} sites, ${w.exchanges} exchanges of 32 KiB: ${(w.virtualMs / 1000).toFixed(0)} s virtual in ${(w.wallMs / 1000).toFixed(1)} s wall = ${w.speed.toFixed(2)} virtual s per wall s (${w.events} events)`);
