// A program on a host: an unmodified Node program run as a process of a virtual host, in this
// process and thread (host.spawn). What it sees as `process`, `console`, its modules and its
// clock is its own (src/world/programs.ts patches the globals to dispatch on the async context,
// and loads its modules in a module graph of its own); what the test sees is a ChildProcess-like
// object: pid, stdout, stderr, kill(), 'spawn', 'exit' (code, signal), 'close'.
//
// A program ends as a process does: process.exit(), an uncaught exception or unhandled rejection
// nobody handles (exit code 1), a signal it does not handle (kill()), its host crashing
// (SIGKILL), or nothing left to do: no ref'd timer, immediate or socket (exit code 0, after
// 'beforeExit').

import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { Console } from 'node:console';
import { constants as osConstants } from 'node:os';
import type Module from 'node:module';
import type { RefCounter } from '../links/clock.js';
import { machine } from '../links/clock.js';
import { RunContext } from './context.js';
import { Timeout } from './time.js';
import type { Host } from './host.js';

/** Thrown through a program's code when it ended (process.exit, a kill): unwinds it silently. */
export class ProgramExit {
  constructor(readonly program: Program) {}
  toString(): string { return `ProgramExit(${this.program.pid})`; }
}

export interface SpawnOptions {
  /** process.argv after the entry (default []). */
  args?: readonly string[];
  /** process.env of the program (default: a copy of this process's). */
  env?: Record<string, string | undefined>;
  /** Keep stdout and stderr to the streams only (default false: also written to this process's, each line prefixed `[host] `). */
  silent?: boolean;
}

/** One line of a program's output as its host prints it. */
function prefixLines(host: string, pending: { s: string }, text: string, out: (s: string) => void): void {
  pending.s += text;
  let i: number;
  while ((i = pending.s.indexOf('\n')) >= 0) {
    out(`[${host}] ${pending.s.slice(0, i + 1)}`);
    pending.s = pending.s.slice(i + 1);
  }
}

/** The program's side of `process`: what the patched process object answers inside it. */
export class ProgramProcess extends EventEmitter {
  argv: string[];
  env: Record<string, string | undefined>;
  exitCode: number | undefined = undefined;
  title: string;
  readonly pid: number;
  readonly ppid = 1;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly console: Console;
  readonly startedAt: number;
  mainModule: Module | undefined = undefined;

  constructor(readonly program: Program, argv: string[], env: Record<string, string | undefined>) {
    super();
    this.argv = argv;
    this.env = env;
    this.pid = program.pid;
    this.title = 'node';
    this.stdout = program._writer('stdout');
    this.stderr = program._writer('stderr');
    this.console = new Console({ stdout: this.stdout, stderr: this.stderr });
    this.startedAt = program.ctx.clock.mono();
  }
}

export class Program extends EventEmitter implements RefCounter {
  readonly pid: number;
  readonly host: Host;
  readonly spawnfile: string;
  readonly spawnargs: string[];
  /** What the program writes to process.stdout / process.stderr (console included). */
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly stdin = null;
  readonly connected = false;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killed = false;
  /** @internal */ readonly ctx: RunContext;
  /** @internal */ readonly proc: ProgramProcess;
  /** @internal The program's CommonJS modules by file name. */
  readonly cache = new Map<string, Module>();
  /** @internal Its builtin modules bound to the host (net, dgram, dns, os), made when first required. */
  readonly builtins = new Map<string, unknown>();
  /** @internal Objects it made that die with it (sockets, servers). */
  readonly objects = new Set<object>();
  /** @internal Still loading its entry module (it cannot end meanwhile). */
  loading = true;
  private handleRefs = 0;
  private checking = false;
  private readonly silent: boolean;
  private readonly pendingOut = { stdout: { s: '' }, stderr: { s: '' } };

  constructor(host: Host, pid: number, entry: string, opts: SpawnOptions) {
    super();
    this.host = host;
    this.pid = pid;
    this.spawnfile = process.execPath;
    this.silent = opts.silent === true;
    const args = [...(opts.args ?? [])];
    this.spawnargs = [process.execPath, entry, ...args];
    this.stdout = new Readable({ read() {} });
    this.stderr = new Readable({ read() {} });
    this.ctx = new RunContext(host, `pid ${pid}`);
    this.ctx.program = this;
    // Code of a program that ended may still run (a promise settling later): its timers never fire.
    this.ctx.refuse = () => {};
    this.proc = new ProgramProcess(this, [process.execPath, entry, ...args], opts.env ? { ...opts.env } : { ...process.env });
  }

  /** Whether the program is still running. */
  get running(): boolean { return this.exitCode === null && this.signalCode === null; }

  /** @internal A writable for the program's stdout or stderr. */
  _writer(which: 'stdout' | 'stderr'): Writable {
    const w = new Writable({
      decodeStrings: false,
      write: (chunk: Buffer | string, enc, cb) => {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk, enc) : chunk;
        (which === 'stdout' ? this.stdout : this.stderr).push(buf);
        this.host.network._record(`${this.host.name}:${this.pid}`, `${which} ${JSON.stringify(buf.toString('utf8'))}`);
        if (!this.silent) {
          const out = which === 'stdout' ? realStdout : realStderr;
          prefixLines(this.host.name, this.pendingOut[which], buf.toString('utf8'), (s) => out(s));
        }
        cb();
      },
    });
    Object.assign(w, { isTTY: false, fd: which === 'stdout' ? 1 : 2, columns: undefined });
    return w;
  }

  // ---- liveness ---------------------------------------------------------------------------------

  refHandle(): void { this.handleRefs++; }
  unrefHandle(): void {
    if (--this.handleRefs <= 0) { this.handleRefs = 0; this.idleSoon(); }
  }

  /** @internal Something that held the program may be gone: look again once what is due now has run. */
  idleSoon(): void {
    if (this.checking || !this.running || this.loading) return;
    this.checking = true;
    // A scheduler event at the current time: lookups and other callbacks already due run first.
    this.ctx.sched.after(0, () => { this.checking = false; this.checkIdle(); });
  }

  private busy(): boolean {
    if (this.handleRefs > 0 || this.loading) return true;
    for (const p of this.ctx.pending) {
      if (p instanceof Timeout) { if (p.hasRef()) return true; } else return true; // an immediate
    }
    return false;
  }

  private checkIdle(): void {
    if (!this.running || this.busy()) return;
    // Node: 'beforeExit' may schedule more work; then the loop goes on.
    this.ctx.sched.hold();
    try {
      this.inContext(() => this.proc.emit('beforeExit', this.proc.exitCode ?? 0));
    } finally {
      this.ctx.sched.release();
    }
    if (!this.running) return;
    if (this.busy()) return;
    this.end(this.proc.exitCode ?? 0, null);
  }

  /** Runs fn in the program's context; its exit unwinds here. */
  inContext(fn: () => void): void {
    try {
      programContext.run(this.ctx, fn);
    } catch (e) {
      if (!(e instanceof ProgramExit)) this.uncaught(e, 'uncaughtException');
    }
  }

  // ---- ending -----------------------------------------------------------------------------------

  /** process.exit(code) inside the program. */
  exit(code?: number | string | null): never {
    if (this.running) {
      const c = code === undefined || code === null ? (this.proc.exitCode ?? 0) : Number(code) | 0;
      this.proc.exitCode = c;
      this.end(c, null);
    }
    throw new ProgramExit(this);
  }

  /** An exception or rejection nobody caught in the program's code. */
  uncaught(err: unknown, origin: 'uncaughtException' | 'unhandledRejection'): void {
    if (err instanceof ProgramExit || !this.running) return;
    const p = this.proc;
    if (origin === 'unhandledRejection' && p.listenerCount('unhandledRejection') > 0) {
      this.guarded(() => p.emit('unhandledRejection', err, undefined));
      return;
    }
    if (p.listenerCount('uncaughtException') > 0) {
      this.guarded(() => p.emit('uncaughtException', err, origin));
      return;
    }
    const text = err instanceof Error ? (err.stack ?? String(err)) : `Uncaught ${describe(err)}`;
    p.stderr.write(`${text}\n\nNode.js ${process.version}\n`);
    this.end(origin === 'unhandledRejection' ? 1 : 1, null);
  }

  private guarded(fn: () => void): void {
    try {
      programContext.run(this.ctx, fn);
    } catch (e) {
      if (e instanceof ProgramExit) return;
      // A handler that throws: Node exits with 7.
      const text = e instanceof Error ? (e.stack ?? String(e)) : describe(e);
      this.proc.stderr.write(`${text}\n`);
      this.end(7, null);
    }
  }

  /** Sends a signal: handled by the program's process.on(signal) listeners, else it ends it. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (!this.running) return false;
    const name = typeof signal === 'number' ? signalName(signal) : signal;
    this.killed = true;
    if (name !== 'SIGKILL' && name !== 'SIGSTOP' && this.proc.listenerCount(name) > 0) {
      machine.setImmediate(() => { if (this.running) this.inContext(() => this.proc.emit(name, name)); });
      return true;
    }
    this.end(null, name);
    return true;
  }

  /** @internal The host crashed: the program dies with it. */
  _crash(): void {
    if (this.running) this.end(null, 'SIGKILL', true);
  }

  /** The program ended: its process 'exit' listeners run, its timers and sockets go, the test hears 'exit' and 'close'. */
  private end(code: number | null, signal: NodeJS.Signals | null, crashed = false): void {
    if (!this.running) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.loading = false;
    this.host.network._record(`${this.host.name}:${this.pid}`, `exit ${code} ${signal}`);
    if (code !== null && !crashed) {
      try { programContext.run(this.ctx, () => this.proc.emit('exit', code)); } catch { /* exit listeners that throw: the process is ending anyway */ }
    }
    this.ctx.kill();
    for (const obj of [...this.objects]) {
      try { destroyObject(obj); } catch { /* already closing */ }
    }
    this.objects.clear();
    for (const which of ['stdout', 'stderr'] as const) {
      const rest = this.pendingOut[which].s;
      if (rest !== '' && !this.silent) (which === 'stdout' ? realStdout : realStderr)(`[${this.host.name}] ${rest}\n`);
      this.pendingOut[which].s = '';
    }
    this.host._programEnded(this);
    machine.setImmediate(() => {
      this.emit('exit', code, signal);
      this.stdout.push(null);
      this.stderr.push(null);
      machine.setImmediate(() => this.emit('close', code, signal));
    });
  }

  /** Resolves with the exit code (or signal) once the program ended. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return Promise.resolve({ code: this.exitCode, signal: this.signalCode });
    return new Promise((resolve) => this.once('exit', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal })));
  }

  ref(): void {}
  unref(): void {}
}

/** The storage the program's context lives in (the same as every host context's). */
import { hostContext as programContext } from './context.js';

/** How a dying program's sockets and servers go (set by programs.ts, which knows the classes). */
let destroyObject: (obj: object) => void = () => {};
export function setDestroyObject(fn: (obj: object) => void): void { destroyObject = fn; }

/** The machine's own stdout/stderr writers (set by programs.ts before it patches process). */
let realStdout: (s: string) => void = (s) => { process.stdout.write(s); };
let realStderr: (s: string) => void = (s) => { process.stderr.write(s); };
export function setRealOutput(out: (s: string) => void, err: (s: string) => void): void { realStdout = out; realStderr = err; }

function signalName(n: number): NodeJS.Signals {
  for (const [k, v] of Object.entries(osConstants.signals)) if (v === n) return k as NodeJS.Signals;
  return 'SIGTERM';
}

function describe(v: unknown): string {
  try { return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v); } catch { return String(v); }
}
