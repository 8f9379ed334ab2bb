// usernet/test: helpers for node:test and Vitest.
//
//   import { test } from 'node:test';                 // or: import { test } from 'vitest'
//   import { network, forSeeds } from 'usernet/test';
//
//   test('one network', async () => {
//     await using world = network({ seed: 3 });       // closed when the test ends
//   });
//   forSeeds(test, 'the cluster survives a partition', async (world, seed) => { ... });
//
// forSeeds registers one test per seed: USERNET_SEEDS=1..200 (or 7, or 1,5,9) picks them
// (default: the `seeds` option, else seed 1). A failing seed's error ends with a one-line
// command that runs that seed alone. USERNET_CHECK=1 (or `check: true`) runs each seed twice and
// fails at the first difference between the two runs' journals (see checkDeterminism).

import { Network, type JournalEntry, type NetworkOptions } from '../world/network.js';
import { SeedPool, isSeedWorker, jobCount, registerScenario, type SeedOutcome } from './jobs.js';

/** A fresh network; `await using world = network()` closes it when the scope ends. */
export function network(opts: NetworkOptions = {}): Network {
  return new Network(opts);
}

/** The seeds USERNET_SEEDS names ('1..200', '7', '1,5,9'), or `fallback`. */
export function seedList(spec: string | undefined = process.env.USERNET_SEEDS, fallback: readonly number[] = [1]): number[] {
  if (spec === undefined || spec.trim() === '') return [...fallback];
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(-?\d+)\s*(?:\.\.\s*(-?\d+)\s*)?$/.exec(part);
    if (!m) throw new TypeError(`USERNET_SEEDS: cannot read '${part}' (use e.g. 1..200, 7 or 1,5,9)`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let s = from; s <= to; s++) out.push(s);
  }
  return out;
}

/** Where two runs of one scenario first differ. */
export interface Divergence {
  /** Index in the journals. */
  index: number;
  /** The entry of each run there (undefined: that run's journal ended). */
  first: JournalEntry | undefined;
  second: JournalEntry | undefined;
}

/**
 * Runs `scenario` twice on fresh networks with the same options (a journal kept) and returns
 * where their journals first differ, or null when they are the same.
 */
export async function checkDeterminism(scenario: (world: Network) => unknown, opts: NetworkOptions = {}): Promise<Divergence | null> {
  const journals: JournalEntry[][] = [];
  for (let i = 0; i < 2; i++) {
    const world = new Network({ ...opts, journal: true });
    try {
      await scenario(world);
    } finally {
      await world.close();
    }
    journals.push(world.journal!);
  }
  const [a, b] = journals as [JournalEntry[], JournalEntry[]];
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || x.time !== y.time || x.source !== y.source || x.event !== y.event) return { index: i, first: x, second: y };
  }
  return null;
}

function show(e: JournalEntry | undefined): string {
  return e === undefined ? '(nothing: the run ended)' : `${e.time.toFixed(3)} ms ${e.source} ${e.event}`;
}

/** The test function of node:test or Vitest: (name, fn). */
export type TestFunction = (name: string, fn: () => Promise<void>) => unknown;

export interface ForSeedsOptions {
  /** Seeds when USERNET_SEEDS is not set (default [1]). */
  seeds?: readonly number[];
  /** Network options besides the seed. */
  network?: Omit<NetworkOptions, 'seed'>;
  /** Run each seed twice and compare (default: USERNET_CHECK=1). */
  check?: boolean;
}

/** The test file that called us (the first stack frame outside usernet). */
function callerFile(): string | undefined {
  const stack = new Error().stack?.split('\n') ?? [];
  for (const line of stack.slice(1)) {
    const m = /\((.*?):\d+:\d+\)$/.exec(line) ?? /at (.*?):\d+:\d+$/.exec(line);
    const f = m?.[1]?.replace(/^file:\/\//, '');
    if (f !== undefined && !f.includes('/testkit/') && !f.startsWith('node:') && !f.includes('node_modules')) return f;
  }
  return undefined;
}

function quote(s: string): string {
  return /^[\w./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The one-line command that runs test `name` of `file` with only `seed`. */
export function replayCommand(file: string | undefined, name: string, seed: number): string {
  const f = quote(file ?? '<test file>');
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Vitest's -t is a pattern over the test's full name (its describe blocks' names first).
  if (process.env.VITEST !== undefined) return `USERNET_SEEDS=${seed} npx vitest run ${f} -t ${quote(`${escaped}$`)}`;
  const loaders: string[] = [];
  const ea = process.execArgv;
  for (let i = 0; i < ea.length; i++) {
    const a = ea[i]!;
    if ((a === '--import' || a === '--require' || a === '--loader' || a === '-r') && i + 1 < ea.length) loaders.push(a, ea[++i]!);
    else if (/^--(import|require|loader)=/.test(a)) loaders.push(a);
  }
  const pattern = `^${escaped}$`;
  return ['USERNET_SEEDS=' + seed, 'node', ...loaders.map(quote), '--test', `--test-name-pattern=${quote(pattern)}`, f].join(' ');
}

/** How many forSeeds calls of this file registered each name (a worker finds them again by it). */
const callsByName = new Map<string, number>();
let pool: SeedPool | null = null;

/** Whether this run picks tests by name (then seeds are not run ahead of their tests). */
function filtered(): boolean {
  return [...process.execArgv, ...process.argv].some((a) => /^--test-(name|skip)-pattern/.test(a) || a === '--test-only');
}

/**
 * Registers `name (seed N)` with `test` for every seed: each gets a fresh network with that seed,
 * closed after. A failure's message ends with the command that replays that seed. With
 * USERNET_JOBS=N (node:test) the seeds run in N worker processes at once (see ./jobs.ts).
 */
export function forSeeds(test: TestFunction, name: string, fn: (world: Network, seed: number) => unknown, opts: ForSeedsOptions = {}): void {
  const file = callerFile();
  const check = opts.check ?? process.env.USERNET_CHECK === '1';
  const runSeed = async (seed: number): Promise<void> => {
    if (check) {
      const d = await checkDeterminism((w) => fn(w, seed), { ...opts.network, seed });
      if (d !== null) {
        throw new Error(`seed ${seed} is not deterministic: the two runs first differ at journal entry ${d.index}:\n` +
          `  first run:  ${show(d.first)}\n  second run: ${show(d.second)}`);
      }
    } else {
      const world = new Network({ ...opts.network, seed });
      try {
        await fn(world, seed);
      } finally {
        await world.close();
      }
    }
  };
  const n = (callsByName.get(name) ?? 0) + 1;
  callsByName.set(name, n);
  const id = `${n} ${name}`;
  if (isSeedWorker) { registerScenario(id, runSeed); return; }
  const seeds = seedList(undefined, opts.seeds ?? [1]);
  const jobs = process.env.VITEST === undefined && file !== undefined && seeds.length > 1 ? Math.min(jobCount(), seeds.length) : 1;
  let started = false;
  for (const seed of seeds) {
    const full = `${name} (seed ${seed})`;
    test(full, async () => {
      const replay = replayCommand(file, full, seed);
      try {
        if (jobs > 1) {
          pool ??= new SeedPool(file!, jobs);
          if (!started) {
            started = true;
            if (!filtered()) pool.prefetch(id, seeds.slice(seeds.indexOf(seed)));
          }
          const o = await pool.run(id, seed);
          if (!o.ok) throw outcomeError(o);
        } else {
          await runSeed(seed);
        }
      } catch (err) {
        if (err instanceof Error) {
          const head = `${err.name}: ${err.message}`;
          err.message += `\n  replay: ${replay}`;
          // The stack starts with the old message (which may span lines): put the new one in its
          // place. A function, not a string, as replacement: the command holds `$'`.
          if (err.stack !== undefined) {
            const stack = err.stack;
            err.stack = stack.startsWith(head) ? `${err.name}: ${err.message}${stack.slice(head.length)}` : stack.replace(/^[^\n]*/, () => `${err.name}: ${err.message}`);
          }
        }
        console.error(`usernet: seed ${seed} failed; replay: ${replay}`);
        throw err;
      }
    });
  }
}

/** The error a worker reported for a seed, as an Error of this process. */
function outcomeError(o: SeedOutcome): Error {
  const e = o.error ?? { name: 'Error', message: 'failed' };
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack !== undefined) err.stack = e.stack;
  if (e.code !== undefined) (err as Error & { code?: unknown }).code = e.code;
  return err;
}

export { Network };
export { jobCount } from './jobs.js';
export type { JournalEntry, NetworkOptions };
