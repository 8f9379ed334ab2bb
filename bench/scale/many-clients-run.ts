// Runs the many-clients scenario once and prints its result as JSON (for timing and profiling:
// `node --cpu-prof .bench-build/bench/scale/many-clients-run.js 10000`; `digest` as a second
// argument keeps the network's journal and prints its SHA-256: same seed, same frames).
import { manyClients } from './many-clients.js';

const n = Number(process.argv[2] ?? 1000);
const digest = process.argv.includes('digest');
const r = await manyClients(n, { digest });
const { server, ...rest } = r;
const round = (x: number): number => Math.round(x);
console.log(JSON.stringify({ ...rest, buildMs: round(r.buildMs), runMs: round(r.runMs), buildCpuMs: round(r.buildCpuMs), runCpuMs: round(r.runCpuMs) }));
console.log(`  server: ${JSON.stringify(server)}`);
