// Idle hosts: how fast they are built and what each costs in heap once the network has settled
// (addresses configured, MLD reports sent). Hosts sit on switches of `perSwitch`, each with one
// IPv4 address (and its IPv6 link-local), as many-clients.ts builds them.
import { Network } from '../../src/index.js';
import type { Host } from '../../src/index.js';
import { heapUsed } from './heap.js';

export interface IdleHostsResult {
  n: number;
  buildMs: number;
  /** Hosts built per wall second. */
  perSecond: number;
  /** Heap per host right after building, and after `settleMs` of virtual time. */
  heapBuilt: number;
  heapIdle: number;
  settleMs: number;
}

export async function idleHosts(n: number, opts: { perSwitch?: number; settleMs?: number } = {}): Promise<IdleHostsResult> {
  const perSwitch = opts.perSwitch ?? 250;
  const settleMs = opts.settleMs ?? 10_000;
  const h0 = heapUsed();
  const t0 = performance.now();
  const world = new Network({ seed: 1 });
  const hosts: Host[] = [];
  for (let w = 0; hosts.length < n; w++) {
    const sw = world.switch(`lan${w}`);
    for (let i = 0; i < perSwitch && hosts.length < n; i++) {
      const h = world.host(`h${hosts.length}`);
      h.attach(sw, { ipv4: `10.${w >> 8}.${w & 255}.${i + 1}/24` });
      hosts.push(h);
    }
  }
  const buildMs = performance.now() - t0;
  const h1 = heapUsed();
  await world.run({ for: settleMs });
  const h2 = heapUsed();
  await world.close();
  return { n, buildMs, perSecond: n / (buildMs / 1000), heapBuilt: (h1 - h0) / n, heapIdle: (h2 - h0) / n, settleMs };
}
