// The replicated key-value store of fixtures/kv: three replicas on n1..n3 and a client on c,
// each on its own cable to a router r (5 ms latency, 1% loss each way). The leader is
// partitioned away at 5 s and healed at 15 s; a follower crashes at 22 s and is restarted (with
// an empty store) at 26 s.
import { fileURLToPath } from 'node:url';
import type { Network, Host, Program } from '../../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/kv/${name}`, import.meta.url));

export interface KvResult {
  code: number | null;
  /** The client's last line. */
  report: string;
  /** Every line the programs wrote, in order, prefixed by host. */
  output: string[];
}

export async function kvScenario(world: Network, opts: { writes: number; unsafe?: boolean }): Promise<KvResult> {
  const r = world.host('r', { forwarding: true });
  const names = ['n1', 'n2', 'n3', 'c'];
  const hosts = new Map<string, Host>();
  names.forEach((n, i) => {
    const h = world.host(n);
    const link = world.link(r, h, { ipv4: [`10.0.${i}.1/24`, `10.0.${i}.2/24`] });
    link.impair({ latency: '5ms', loss: 0.01 });
    h.route.add('default', { via: `10.0.${i}.1` });
    hosts.set(n, h);
  });
  const output: string[] = [];
  const env = { KV_UNSAFE: opts.unsafe ? '1' : '0' };
  const watch = (p: Program, host: string) => {
    let buf = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += String(d);
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { output.push(`${host}: ${buf.slice(0, i)}`); buf = buf.slice(i + 1); }
    });
  };
  const replica = (n: string) => {
    const p = hosts.get(n)!.spawn(fixture('replica.cjs'), { args: [n, '7000', ...['n1', 'n2', 'n3'].filter((m) => m !== n).map((m) => `${m}:7000`)], env, silent: true });
    watch(p, n);
    return p;
  };
  for (const n of ['n1', 'n2', 'n3']) replica(n);
  const client = hosts.get('c')!.spawn(fixture('client.cjs'), { args: [String(opts.writes), 'n1:7000', 'n2:7000', 'n3:7000'], silent: true });
  watch(client, 'c');
  const leaderNow = () => {
    const l = [...output].reverse().find((line) => / leader$/.test(line));
    return l?.split(':')[0];
  };
  await world.sleep('5s');
  const leader = leaderNow() ?? 'n1';
  const cut = world.partition([hosts.get(leader)!], names.filter((n) => n !== leader).map((n) => hosts.get(n)!));
  await world.sleep('10s');
  cut.heal();
  await world.sleep('7s');
  const victim = ['n1', 'n2', 'n3'].find((n) => n !== leaderNow())!;
  hosts.get(victim)!.crash();
  await world.sleep('4s');
  hosts.get(victim)!.restart();
  replica(victim);
  const { code } = await client.exited();
  return { code, report: output.filter((l) => l.startsWith('c: ')).pop() ?? '', output };
}
