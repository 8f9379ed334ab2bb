// Cold performance: the first run of a case in a fresh process, usernet beside node:net on the
// kernel's loopback. The other benchmarks warm both sides up first (V8 optimises a path only
// after many calls); most test suites never run long enough for that, so what they see is this.
// Each side runs in processes of its own (a side run first in a shared process would warm up
// node:net's and the streams' JavaScript for the other), alternating kernel and usernet, and the
// printed rates and ratio are the medians over the processes.
//   bulk: the first 256 MiB through a TCP connection on the loopback (a host's own, MTU 65536);
//   connections: the first 5,000 connections opened and closed one after another.
import { spawnSync } from 'node:child_process';
import * as nodeNet from 'node:net';
import { fileURLToPath } from 'node:url';
import { Network } from '../src/index.js';
import { QUICK, netBulk, netConnections, report, type NetLike } from './common.js';

const BULK = QUICK ? 4 << 20 : 256 << 20;
const CONNS = QUICK ? 200 : 5000;
const PROCESSES = QUICK ? 1 : 3;
const CHUNK = Buffer.alloc(64 << 10, 0x5a);

type Case = 'bulk' | 'connections';
type Side = 'kernel' | 'usernet';

/** In a child: runs one case once on one side and prints `count ms` on stdout. */
async function child(which: Case, side: Side): Promise<void> {
  let net: NetLike = nodeNet;
  if (side === 'usernet') {
    const world = new Network({ seed: 1 });
    net = world.host('a').net as unknown as NetLike;
  }
  const t0 = performance.now();
  const count = which === 'bulk' ? await netBulk(net, net, '127.0.0.1', BULK, CHUNK) : await netConnections(net, net, '127.0.0.1', CONNS);
  const ms = performance.now() - t0;
  process.stdout.write(`${count} ${ms}\n`);
  process.exit(0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fresh(which: Case, side: Side): { count: number; ms: number } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, COLD_CHILD: `${which}:${side}` }, encoding: 'utf8',
  });
  const m = /^(\d+) ([\d.]+)$/m.exec(r.stdout ?? '');
  if (r.status !== 0 || m === null) throw new Error(`cold ${which} on ${side}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return { count: Number(m[1]), ms: Number(m[2]) };
}

async function main(): Promise<void> {
  const names: Record<Case, [string, string, number]> = {
    bulk: [`tcp bulk, first ${BULK >> 20} MiB in a fresh process, host loopback vs kernel loopback`, 'bytes', BULK],
    connections: [`tcp connections/s, first ${CONNS} in a fresh process, host loopback vs kernel loopback`, 'connections', CONNS],
  };
  for (const which of ['bulk', 'connections'] as const) {
    const [name, unit, want] = names[which];
    const k: number[] = [];
    const u: number[] = [];
    for (let i = 0; i < PROCESSES; i++) {
      for (const side of ['kernel', 'usernet'] as const) {
        const m = fresh(which, side);
        if (m.count !== want) throw new Error(`cold ${which} on ${side}: counted ${m.count}, expected ${want}`);
        (side === 'kernel' ? k : u).push(m.count / (m.ms / 1000));
      }
    }
    report(name, { unit, count: 1, ms: 1000 / median(u) }, { unit, count: 1, ms: 1000 / median(k) }, 1.0);
    if (PROCESSES > 1) console.log(`  [ratio per process pair: ${u.map((x, i) => (x / k[i]!).toFixed(2)).join(' ')}]`);
  }
}

const spec = process.env.COLD_CHILD;
if (spec !== undefined) {
  const [which, side] = spec.split(':') as [Case, Side];
  await child(which, side);
} else {
  await main();
}
