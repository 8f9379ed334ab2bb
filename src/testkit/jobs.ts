// USERNET_JOBS=N: forSeeds runs its seeds in N worker processes at once (a seed sweep is CPU
// work in one thread: one process uses one core).
//
// A worker is the test file itself, run again by Node with the same loaders and flags, all of its
// own tests filtered out (--test-name-pattern that matches nothing) and USERNET_SEED_WORKER set:
// there forSeeds registers no tests but keeps each scenario function under its name, and runs
// the seeds the parent sends over the IPC channel one after another, each on a fresh network,
// answering with the outcome. The parent's test for each seed waits for that answer: the report
// (one test per seed, its error, the replay command) is the same as without workers.

import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** What a worker answers for one seed. */
export interface SeedOutcome {
  ok: boolean;
  error?: { name: string; message: string; stack?: string; code?: unknown };
}

interface Request { id: string; seed: number }
interface Reply extends SeedOutcome { id: string; seed: number }

/** The number of worker processes USERNET_JOBS asks for (1: run the seeds in this process). */
export function jobCount(spec: string | undefined = process.env.USERNET_JOBS): number {
  if (spec === undefined || spec.trim() === '') return 1;
  if (spec.trim() === 'auto') return availableParallelism();
  const n = Number(spec);
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`USERNET_JOBS: cannot read '${spec}' (use a number of processes, or auto)`);
  return n;
}

/** True in a worker process that forSeeds' parent started. */
export const isSeedWorker = process.env.USERNET_SEED_WORKER === '1' && typeof process.send === 'function';

// ---- in a worker --------------------------------------------------------------------------------

type Scenario = (seed: number) => Promise<void>;
const scenarios = new Map<string, Scenario>();
const waiting = new Map<string, Request[]>(); // requests that came before their forSeeds call ran
let serving = false;
const queue: Request[] = [];
let current: Request | null = null;

function errorOf(err: unknown): NonNullable<SeedOutcome['error']> {
  if (err instanceof Error) {
    const e: NonNullable<SeedOutcome['error']> = { name: err.name, message: err.message };
    if (err.stack !== undefined) e.stack = err.stack;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') e.code = code;
    return e;
  }
  return { name: 'Error', message: `thrown: ${String(err)}` };
}

function reply(r: Reply): void {
  process.send!(r);
}

async function serve(): Promise<void> {
  if (serving) return;
  serving = true;
  while (queue.length > 0) {
    const req = queue.shift()!;
    const fn = scenarios.get(req.id);
    if (fn === undefined) { let w = waiting.get(req.id); if (w === undefined) waiting.set(req.id, w = []); w.push(req); continue; }
    current = req;
    let out: Reply;
    try {
      await fn(req.seed);
      out = { id: req.id, seed: req.seed, ok: true };
    } catch (err) {
      out = { id: req.id, seed: req.seed, ok: false, error: errorOf(err) };
    }
    current = null;
    reply(out);
  }
  serving = false;
}

let listening = false;
function listen(): void {
  if (listening) return;
  listening = true;
  process.on('message', (m: unknown) => {
    const req = m as Request;
    if (typeof req?.id !== 'string' || typeof req.seed !== 'number') return;
    queue.push(req);
    void serve();
  });
  // An exception no scenario caught ends this worker: the seed it was running fails with it.
  process.on('uncaughtException', (err) => {
    if (current !== null) reply({ id: current.id, seed: current.seed, ok: false, error: errorOf(err) });
    process.exit(70);
  });
  process.on('unhandledRejection', (err) => {
    if (current !== null) reply({ id: current.id, seed: current.seed, ok: false, error: errorOf(err) });
    process.exit(70);
  });
  process.on('disconnect', () => process.exit(0));
}

/** In a worker: keeps the scenario of forSeeds call `id` to run the seeds the parent sends. */
export function registerScenario(id: string, fn: Scenario): void {
  listen();
  scenarios.set(id, fn);
  const w = waiting.get(id);
  if (w !== undefined) { waiting.delete(id); queue.unshift(...w); void serve(); }
}

// ---- in the parent ----------------------------------------------------------------------------

/** Test-runner flags the workers must not inherit (they would run the file's tests). */
const valued = new Set(['--test-reporter', '--test-reporter-destination', '--test-name-pattern', '--test-skip-pattern',
  '--test-shard', '--test-concurrency', '--test-timeout', '--watch-path', '--test-coverage-include',
  '--test-coverage-exclude', '--test-coverage-branches', '--test-coverage-functions', '--test-coverage-lines',
  '--test-isolation', '--test-global-setup', '--inspect-port']);

export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (valued.has(a)) { i++; continue; }
    if (/^--(test|watch|inspect|experimental-test-coverage)/.test(a)) continue;
    out.push(a);
  }
  out.push('--test-name-pattern=(?!)'); // none of the file's own tests run in a worker
  return out;
}

interface Worker { proc: ChildProcess; busy: Request | null; tail: string; dead: boolean }
interface Pending { req: Request; resolve: (o: SeedOutcome) => void }

/** Worker processes running seeds of the test file `file`. */
export class SeedPool {
  private readonly workers: Worker[] = [];
  private readonly todo: Pending[] = [];
  private readonly inFlight = new Map<string, Pending>(); // `${id}:${seed}`
  private readonly results = new Map<string, SeedOutcome>();
  private readonly asked = new Map<string, Array<(o: SeedOutcome) => void>>();

  constructor(private readonly file: string, private readonly jobs: number) {}

  /** Queues seeds to be run (ahead of the tests that will wait for them). */
  prefetch(id: string, seeds: readonly number[]): void {
    for (const seed of seeds) this.enqueue({ id, seed });
  }

  /** The outcome of `seed` of forSeeds call `id` (run now unless queued or done already). */
  run(id: string, seed: number): Promise<SeedOutcome> {
    const key = `${id}:${seed}`;
    const done = this.results.get(key);
    if (done !== undefined) { this.results.delete(key); return Promise.resolve(done); }
    return new Promise((resolve) => {
      let a = this.asked.get(key);
      if (a === undefined) this.asked.set(key, a = []);
      a.push(resolve);
      if (!this.inFlight.has(key) && !this.todo.some((p) => p.req.id === id && p.req.seed === seed)) this.enqueue({ id, seed });
      else if (this.todo.length > 0) {
        // Asked for now: move it to the front of the queue.
        const i = this.todo.findIndex((p) => p.req.id === id && p.req.seed === seed);
        if (i > 0) this.todo.unshift(...this.todo.splice(i, 1));
      }
    });
  }

  private enqueue(req: Request): void {
    const key = `${req.id}:${req.seed}`;
    this.todo.push({
      req,
      resolve: (o) => {
        const a = this.asked.get(key);
        if (a !== undefined && a.length > 0) { this.asked.delete(key); for (const r of a) r(o); } else this.results.set(key, o);
      },
    });
    this.dispatch();
  }

  private dispatch(): void {
    for (;;) {
      if (this.todo.length === 0) break;
      let w = this.workers.find((x) => !x.dead && x.busy === null);
      if (w === undefined) {
        if (this.workers.filter((x) => !x.dead).length >= this.jobs) break;
        w = this.spawn();
      }
      const p = this.todo.shift()!;
      w.busy = p.req;
      this.inFlight.set(`${p.req.id}:${p.req.seed}`, p);
      w.proc.send(p.req);
    }
    if (this.todo.length === 0 && this.inFlight.size === 0) this.close();
  }

  private spawn(): Worker {
    const env: NodeJS.ProcessEnv = { ...process.env, USERNET_SEED_WORKER: '1', USERNET_JOBS: '1' };
    delete env.NODE_TEST_CONTEXT; // a run of its own, not a child of a `node --test` run
    const proc = fork(this.file, [], { execArgv: workerExecArgv(), env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const w: Worker = { proc, busy: null, tail: '', dead: false };
    const keep = (d: Buffer) => { w.tail = (w.tail + String(d)).slice(-4000); };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    proc.on('message', (m: unknown) => {
      const r = m as Reply;
      const key = `${r.id}:${r.seed}`;
      const p = this.inFlight.get(key);
      if (p === undefined) return;
      this.inFlight.delete(key);
      w.busy = null;
      w.tail = '';
      p.resolve({ ok: r.ok, ...(r.error !== undefined ? { error: r.error } : {}) });
      this.dispatch();
    });
    proc.on('exit', (code, signal) => {
      w.dead = true;
      const req = w.busy;
      w.busy = null;
      if (req !== null) {
        const key = `${req.id}:${req.seed}`;
        const p = this.inFlight.get(key);
        if (p !== undefined) {
          this.inFlight.delete(key);
          const tail = w.tail.trim().split('\n').slice(-20).join('\n');
          p.resolve({ ok: false, error: { name: 'Error', message: `the worker process running seed ${req.seed} exited (${signal ?? `code ${code}`})${tail ? `; its last output:\n${tail}` : ''}` } });
        }
      }
      this.dispatch();
    });
    this.workers.push(w);
    return w;
  }

  /** Lets the idle workers go (they exit when their IPC channel closes). */
  private close(): void {
    for (const w of this.workers) if (!w.dead && w.busy === null && w.proc.connected) w.proc.disconnect();
    this.workers.length = 0;
  }
}
