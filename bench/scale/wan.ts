// A 100-host WAN: 10 sites of 10 hosts, each site a switch behind its router, the site routers
// joined to one core router by 100 Mbit/s cables of 5-32 ms one-way delay (0.1% loss). Every host
// repeatedly asks a host of the next site for 32 KiB over TCP (host.net), waiting 100 ms between
// exchanges. Measures how many virtual seconds the network runs per wall second.
import { Network } from '../../src/index.js';
import type { Host } from '../../src/index.js';

export interface WanResult {
  hosts: number;
  sites: number;
  virtualMs: number;
  wallMs: number;
  /** Virtual seconds per wall second. */
  speed: number;
  exchanges: number;
  events: number;
}

const RESPONSE = Buffer.alloc(32 << 10, 0x62);

export async function wan(opts: { sites?: number; perSite?: number; virtualMs?: number; seed?: number } = {}): Promise<WanResult> {
  const sites = opts.sites ?? 10;
  const perSite = opts.perSite ?? 10;
  const virtualMs = opts.virtualMs ?? 60_000;
  const world = new Network({ seed: opts.seed ?? 1 });
  const core = world.host('core', { forwarding: true });
  const hosts: Host[][] = [];
  for (let s = 0; s < sites; s++) {
    const r = world.host(`r${s}`, { forwarding: true });
    const link = world.link(core, r, { ipv4: [`172.16.${s}.1/30`, `172.16.${s}.2/30`], rate: '100mbit' });
    link.impair({ latency: 5 + 3 * s, loss: 0.001 });
    r.route.add('default', { via: `172.16.${s}.1` });
    core.route.add(`10.${s}.0.0/24`, { via: `172.16.${s}.2` });
    const sw = world.switch(`site${s}`);
    r.attach(sw, { ipv4: `10.${s}.0.254/24` });
    const site: Host[] = [];
    for (let i = 0; i < perSite; i++) {
      const h = world.host(`h${s}.${i}`);
      h.attach(sw, { ipv4: `10.${s}.0.${i + 1}/24` });
      h.route.add('default', { via: `10.${s}.0.254` });
      site.push(h);
    }
    hosts.push(site);
  }
  for (const site of hosts) {
    for (const h of site) {
      h.net.createServer((c) => {
        c.once('data', () => { c.end(RESPONSE); });
        c.on('error', () => {});
      }).listen(80);
    }
  }
  let exchanges = 0;
  let stopped = false;
  for (let s = 0; s < sites; s++) {
    for (let i = 0; i < perSite; i++) {
      const h = hosts[s]![i]!;
      const peer = `10.${(s + 1) % sites}.0.${i + 1}`;
      const once = (): void => {
        if (stopped) return;
        const c = h.net.connect(80, peer);
        let got = 0;
        c.on('data', (d: Buffer) => { got += d.length; });
        c.on('error', () => {});
        c.on('close', () => {
          if (got === RESPONSE.length) exchanges++;
          if (!stopped) h.run(() => setTimeout(once, 100));
        });
        c.write('GET /\r\n');
      };
      h.run(() => setTimeout(once, i * 7));
    }
  }
  const events0 = world.sched.eventsRun;
  const t0 = performance.now();
  await world.run({ for: virtualMs });
  const wallMs = performance.now() - t0;
  stopped = true;
  const events = world.sched.eventsRun - events0;
  await world.close();
  return { hosts: sites * perSite, sites, virtualMs, wallMs, speed: virtualMs / wallMs, exchanges, events };
}
