// Programs on hosts (host.spawn): how an unmodified Node program runs as a process of a virtual
// host inside this process and thread, deterministically.
//
// The mechanism is one module graph per program in this thread (not worker threads: a program's
// every socket call would cross threads, and lock-step scheduling across threads would cost more
// than it buys). Once a program was spawned in this process:
//
// - `process` answers inside a program with the program's own argv, env, exitCode, exit(),
//   event listeners ('exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', signals),
//   stdout/stderr, pid, uptime(), mainModule, _getActiveHandles() and getActiveResourcesInfo();
//   `console` writes to the program's stdout/stderr. Outside programs both are Node's own.
// - process.emit('uncaughtException' | 'unhandledRejection') from a program's code goes to the
//   program (the async context tells whose code threw): it ends that program, not the world.
// - CommonJS: Module._load is wrapped: a require() from a program's module (or from its code)
//   loads the file into a module cache of the program's own, and the builtins a host replaces
//   (net, dgram, dns, dns/promises, os; http, https, tls, http2 once hosts have them) are the
//   host's. Works on every supported Node line.
// - ES modules: module.registerHooks (Node >= 22.15 / 23.5, in this thread) gives each program's
//   module URLs a `?usernet-program=N` query, so each program gets its own instances, and maps
//   the same builtins to the host's (generated modules); CommonJS files an ES module imports come
//   from the program's CommonJS cache, with their named exports found by cjs-module-lexer (as
//   Node finds them). On older Node lines spawning an ES module program throws
//   ERR_USERNET_SPAWN_ESM.

import Module, { createRequire, isBuiltin } from 'node:module';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EventEmitter } from 'node:events';
import { machine } from '../links/clock.js';
import { defineError } from '../node/errors.js';
import { createNet, NetServer, NetSocket, type NetModule } from '../node/net.js';
import { createDgram, kStateSymbol, Socket as DgramSocket, type DgramModule } from '../node/dgram.js';
import { isHostServer } from '../node/host-server.js';
import { createTls, type TlsHost, type TlsModule } from '../node/tls.js';
import { createHttp, createHttps } from '../node/http.js';
import { createHttp2 } from '../node/http2.js';
import { hostContext, type RunContext } from './context.js';
import { installTime, Timeout } from './time.js';
import { Program, ProgramExit, setDestroyObject, setRealOutput, type SpawnOptions } from './program.js';
import { kill } from './crash.js';
import type { Host } from './host.js';

const require = createRequire(import.meta.url);

export const ERR_USERNET_SPAWN_ESM = defineError('ERR_USERNET_SPAWN_ESM', Error, (file: string) =>
  `host.spawn(${file}): ES module programs need module.registerHooks (Node >= 22.15 or >= 23.5; this is ${process.version}); CommonJS programs run on every line`);
export const ERR_USERNET_SPAWN_ENTRY = defineError('ERR_USERNET_SPAWN_ENTRY', Error, (entry: string) =>
  `host.spawn: cannot find '${entry}' (a file, a file: URL, or an installed package with a bin)`);

/** Every program of the process by its unique id (the one in its ES module URLs). */
const programs = new Map<number, Program>();
let nextUid = 1;
const kPrograms = Symbol.for('usernet.programs');

/** The program whose code is running, if any. */
function current(): Program | undefined {
  const ctx = hostContext.getStore();
  const p = ctx?.program;
  return p instanceof Program ? p : undefined;
}

// ---- modules --------------------------------------------------------------------------------------

type ModuleInternals = typeof Module & {
  _load(request: string, parent: Module | null | undefined, isMain: boolean): unknown;
  _resolveFilename(request: string, parent: Module | null | undefined, isMain: boolean): string;
  _nodeModulePaths(dir: string): string[];
};
const M = Module as ModuleInternals;
/** Which program a CommonJS module belongs to. */
const moduleProgram = new WeakMap<object, Program>();
/** The uid each program's ES module URLs carry. */
const uidOf = new WeakMap<Program, number>();

/** The builtins a host replaces for its programs. */
const hostBuiltins = new Set(['net', 'dgram', 'dns', 'dns/promises', 'os', 'process', 'http', 'https', 'tls', 'http2']);

/** A builtin module as program `p` sees it, or undefined for Node's own. */
function builtinFor(p: Program, name: string): unknown {
  if (!hostBuiltins.has(name)) return undefined;
  let m = p.builtins.get(name);
  if (m !== undefined) return m;
  const host = p.host;
  const k = host.kernel;
  const track = (obj: object): void => {
    if (!p.running) throw new ProgramExit(p);
    host._track(obj);
    p.objects.add(obj);
    (obj as EventEmitter).once?.('close', () => p.objects.delete(obj));
  };
  switch (name) {
    case 'net':
      m = createNet({
        loop: { sys: host.sys, sched: k.sched },
        lookup: (hostname, options, callback) => { host.dns.lookup(hostname, options as never, callback as never); },
        track,
        perf: host.perf_hooks,
        wallClock: () => host.clock.now(),
        monoClock: () => host.clock.mono(),
      }) satisfies NetModule;
      break;
    case 'dgram':
      m = createDgram({
        loop: { sys: host.sys, sched: k.sched, ifindex: (n) => k.iface(n)?.ifindex ?? 0, ifname: (i) => k.iface(i)?.name },
        dns: host.dns,
        track,
      }) satisfies DgramModule;
      break;
    case 'process': m = processFor(p); break;
    case 'dns': m = host.dns; break;
    case 'dns/promises': m = host.dns.promises; break;
    case 'os': m = host.os; break;
    // tls, http, https, http2: Node's over the program's own net (its servers and sockets are
    // the program's: listed by its process, closed when it ends), with the host's certificate.
    case 'tls': m = createTls(programTlsHost(p)); break;
    case 'http': m = createHttp(builtinFor(p, 'net') as NetModule); break;
    case 'https': m = createHttps(programTlsHost(p), builtinFor(p, 'tls') as TlsModule); break;
    case 'http2': m = createHttp2(programTlsHost(p), builtinFor(p, 'tls') as TlsModule); break;
    default: return undefined;
  }
  p.builtins.set(name, m);
  return m;
}

/** What program `p`'s TLS modules use: its net, the network's CA, its host's certificate. */
function programTlsHost(p: Program): TlsHost {
  const host = p.host;
  return {
    net: builtinFor(p, 'net') as NetModule,
    trust: () => [host.network.ca.cert],
    credentials: () => host.network.ca.issue(host.certificateNames()),
  };
}

/** require() inside program `p`. */
function requireIn(p: Program, request: string, parent: Module | null | undefined, isMain: boolean): unknown {
  if (isBuiltin(request)) {
    const name = request.startsWith('node:') ? request.slice(5) : request;
    const own = builtinFor(p, name);
    if (own !== undefined) return own;
    return origLoad(request, parent, false);
  }
  const filename = M._resolveFilename(request, parent, isMain);
  return loadFile(p, filename, parent ?? null, isMain).exports;
}

/** Loads a CommonJS file into program `p`'s own module cache. */
function loadFile(p: Program, filename: string, parent: Module | null, isMain: boolean): Module {
  const cached = p.cache.get(filename);
  if (cached !== undefined) return cached;
  if (extname(filename) === '.node') {
    // Native addons exist once per process.
    const shared = { exports: origLoad(filename, parent, false) } as unknown as Module;
    p.cache.set(filename, shared);
    return shared;
  }
  const m = new Module(filename, parent as Module) as Module & { filename: string; paths: string[]; load(f: string): void };
  m.filename = filename;
  m.paths = M._nodeModulePaths(dirname(filename));
  moduleProgram.set(m, p);
  p.cache.set(filename, m);
  if (isMain) { p.proc.mainModule = m; (m as { id: string }).id = '.'; }
  try {
    m.load(filename);
  } catch (e) {
    p.cache.delete(filename);
    throw e;
  }
  return m;
}

let origLoad: (request: string, parent: Module | null | undefined, isMain: boolean) => unknown;

function installLoader(): void {
  origLoad = M._load;
  M._load = function (request: string, parent: Module | null | undefined, isMain: boolean): unknown {
    const p = (parent ? moduleProgram.get(parent) : undefined) ?? current();
    if (p === undefined) return origLoad.call(this, request, parent, isMain);
    return requireIn(p, request, parent, false);
  };
  installEsmHooks();
}

// ES modules: module.registerHooks, where Node has it.

const QUERY = 'usernet-program';

function programOfUrl(url: string | undefined): number | null {
  if (url === undefined) return null;
  const i = url.indexOf(`${QUERY}=`);
  if (i < 0) return null;
  return Number.parseInt(url.slice(i + QUERY.length + 1), 10);
}

function withProgram(url: string, uid: number): string {
  const u = new URL(url);
  u.searchParams.set(QUERY, String(uid));
  return u.href;
}

/** The named exports an ES module may import from a CommonJS file, as Node finds them. */
function cjsExportNames(filename: string, seen = new Set<string>()): string[] {
  if (seen.has(filename)) return [];
  seen.add(filename);
  let source: string;
  try { source = readFileSync(filename, 'utf8'); } catch { return []; }
  const lexer = require('cjs-module-lexer') as { parse(src: string): { exports: string[]; reexports: string[] } };
  let r: { exports: string[]; reexports: string[] };
  try { r = lexer.parse(source); } catch { return []; }
  const names = new Set(r.exports);
  const req = createRequire(filename);
  for (const re of r.reexports) {
    try {
      const f = req.resolve(re);
      if (isAbsolute(f)) for (const n of cjsExportNames(f, seen)) names.add(n);
    } catch { /* not resolvable: Node skips it too */ }
  }
  names.delete('default');
  return [...names].filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
}

let esm = false;

function installEsmHooks(): void {
  const registerHooks = (Module as unknown as { registerHooks?: (hooks: object) => unknown }).registerHooks;
  if (typeof registerHooks !== 'function') return;
  esm = true;
  (globalThis as unknown as Record<symbol, unknown>)[kPrograms] = {
    builtin: (uid: number, name: string) => {
      const p = programs.get(uid);
      return p === undefined ? require(`node:${name}`) : (builtinFor(p, name) ?? require(`node:${name}`));
    },
    cjs: (uid: number, filename: string) => {
      const p = programs.get(uid);
      if (p === undefined) return require(filename);
      return loadFile(p, filename, null, false).exports;
    },
  };
  registerHooks.call(Module, {
    resolve(specifier: string, context: { parentURL?: string }, nextResolve: (s: string, c: unknown) => { url: string; format?: string }) {
      const uid = programOfUrl(context.parentURL);
      if (uid === null || context.parentURL?.startsWith('usernet-builtin:')) return nextResolve(specifier, context);
      if (isBuiltin(specifier)) {
        const name = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
        if (hostBuiltins.has(name)) return { url: `usernet-builtin:${name}?${QUERY}=${uid}`, format: 'module', shortCircuit: true };
        return nextResolve(specifier, context);
      }
      const r = nextResolve(specifier, context);
      if (r.url.startsWith('file:')) return { ...r, url: withProgram(r.url, uid) };
      return r;
    },
    load(url: string, context: unknown, nextLoad: (u: string, c: unknown) => { format?: string; source?: unknown }) {
      if (url.startsWith('usernet-builtin:')) {
        const name = url.slice('usernet-builtin:'.length, url.indexOf('?'));
        const uid = programOfUrl(url)!;
        const names = Object.keys(require(`node:${name}`) as object).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
        const get = `globalThis[Symbol.for('usernet.programs')].builtin(${uid}, ${JSON.stringify(name)})`;
        const source = `const m = ${get};\nexport default m;\n` + names.map((n) => `export const ${n} = typeof m.${n} === 'function' && !/^[A-Z]/.test(${JSON.stringify(n)}) ? m.${n}.bind(m) : m.${n};`).join('\n');
        return { format: 'module', source, shortCircuit: true };
      }
      const uid = programOfUrl(url);
      if (uid === null) return nextLoad(url, context);
      const r = nextLoad(url, context);
      if (r.format === 'commonjs' || r.format === 'commonjs-typescript') {
        const u = new URL(url);
        u.search = '';
        const filename = fileURLToPath(u);
        const names = cjsExportNames(filename);
        const source = `const m = globalThis[Symbol.for('usernet.programs')].cjs(${uid}, ${JSON.stringify(filename)});\nexport default m;\n` +
          names.map((n) => `export const ${n} = m?.${n};`).join('\n');
        return { format: 'module', source, shortCircuit: true };
      }
      return r;
    },
  });
}

// ---- process and console ----------------------------------------------------------------------

/** The program's virtual handles and timers, as Node lists its own. */
function activeHandles(p: Program): object[] {
  return liveHandles(p.objects);
}

/** The servers and sockets among `objects` that Node would list as active handles. */
export function liveHandles(objects: Iterable<object>): object[] {
  return [...objects].filter((o) => isAlive(o));
}

function isAlive(o: object): boolean {
  // host.net's servers, and Node's (tls, http, https, http2) listening on a host.
  if (o instanceof NetServer || isHostServer(o)) return o.listening;
  if (o instanceof NetSocket) return !o.destroyed;
  if (o instanceof DgramSocket) return o[kStateSymbol].handle !== null; // _handle is gone on Node >= 25
  return false;
}

/** The name getActiveResourcesInfo() gives a live server or socket (Node's handle type). */
export function resourceName(o: object): string {
  if (o instanceof NetServer || isHostServer(o)) return (o as unknown as { _pipeName?: string })._pipeName ? 'PipeServerWrap' : 'TCPServerWrap';
  if (o instanceof NetSocket) return (o as unknown as { _handle?: { getProviderType?(): string } })._handle?.getProviderType?.() === 'PIPEWRAP' ? 'PipeWrap' : 'TCPSocketWrap';
  return 'UDPWrap';
}

function activeResources(p: Program): string[] {
  const out = activeHandles(p).map(resourceName);
  for (const t of p.ctx.pending) {
    if (t instanceof Timeout) { if (t.hasRef()) out.push('Timeout'); } else out.push('Immediate');
  }
  return out;
}

/** The `process` a program sees: Node's, with the program's own state and events in front. */
function programProcess(p: Program): NodeJS.Process {
  const real = realProcess;
  const own = p.proc;
  const obj = Object.create(real) as Record<string | symbol, unknown>;
  const value = (name: string, get: () => unknown, set?: (v: unknown) => void): void => {
    Object.defineProperty(obj, name, { configurable: true, enumerable: true, get, set: set ?? (() => {}) });
  };
  value('argv', () => own.argv, (v) => { own.argv = v as string[]; });
  value('env', () => own.env, (v) => { own.env = v as Record<string, string>; });
  value('exitCode', () => own.exitCode, (v) => { own.exitCode = v === undefined || v === null ? undefined : Number(v); });
  value('title', () => own.title, (v) => { own.title = String(v); });
  value('pid', () => own.pid);
  value('ppid', () => own.ppid);
  value('stdout', () => own.stdout);
  value('stderr', () => own.stderr);
  value('mainModule', () => own.mainModule);
  obj.exit = (code?: number) => p.exit(code);
  obj.reallyExit = (code?: number) => p.exit(code);
  obj.abort = () => p.exit(134);
  obj.uptime = () => (p.ctx.clock.mono() - own.startedAt) / 1000;
  obj.kill = (pid: number, sig?: NodeJS.Signals | number) => {
    const target = p.host._programByPid(Number(pid));
    if (target === undefined) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH', errno: -3, syscall: 'kill' });
    target.kill(sig ?? 'SIGTERM');
    return true;
  };
  obj._getActiveHandles = () => activeHandles(p);
  obj._getActiveRequests = () => [];
  obj.getActiveResourcesInfo = () => activeResources(p);
  for (const m of ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener', 'off', 'removeListener', 'removeAllListeners', 'listeners', 'rawListeners', 'listenerCount', 'emit', 'eventNames', 'setMaxListeners', 'getMaxListeners'] as const) {
    const fn = EventEmitter.prototype[m] as (...a: unknown[]) => unknown;
    obj[m] = (...args: unknown[]) => {
      const r = fn.apply(own, args);
      return r === own ? obj : r;
    };
  }
  return obj as unknown as NodeJS.Process;
}

const realProcess = process;
const processOf = new WeakMap<Program, NodeJS.Process>();

/** The process object program `p` sees. */
function processFor(p: Program): NodeJS.Process {
  let o = processOf.get(p);
  if (o === undefined) processOf.set(p, o = programProcess(p));
  return o;
}

function installProcess(): void {
  const out = process.stdout;
  const err = process.stderr;
  setRealOutput((s) => { out.write(s); }, (s) => { err.write(s); });
  setDestroyObject(kill);

  // The global `process`: the program's own inside a program (node:process is, too), Node's outside.
  const desc = Object.getOwnPropertyDescriptor(globalThis, 'process');
  Object.defineProperty(globalThis, 'process', {
    configurable: true,
    enumerable: desc?.enumerable ?? false,
    get() {
      const p = current();
      return p !== undefined ? processFor(p) : realProcess;
    },
    set(v: unknown) {
      if (desc?.set) desc.set.call(globalThis, v);
    },
  });

  // Exceptions and rejections of a program's code end that program (see Program.uncaught).
  const origEmit = process.emit;
  process.emit = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'uncaughtException' || event === 'unhandledRejection') {
      const e = args[0];
      if (e instanceof ProgramExit) return true;
      const p = current();
      if (p !== undefined) { p.uncaught(e, event); return true; }
    }
    return (origEmit as (...a: unknown[]) => boolean).call(this, event, ...args);
  } as typeof process.emit;


  // console: the program's own, writing to its stdout and stderr.
  const con = console as unknown as Record<string, unknown>;
  for (const key of Object.keys(con)) {
    const orig = con[key];
    if (typeof orig !== 'function') continue;
    con[key] = function (this: unknown, ...args: unknown[]): unknown {
      const p = current();
      if (p !== undefined) return (p.proc.console as unknown as Record<string, (...a: unknown[]) => unknown>)[key]?.(...args);
      return (orig as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}

let installed = false;

function installPrograms(): void {
  if (installed) return;
  installed = true;
  installTime();
  installProcess();
  installLoader();
}

/** What the scheduler does with an exception a program's callback threw (see ProgramHooks.uncaught). */
export function programUncaught(err: unknown): boolean {
  if (err instanceof ProgramExit) return true;
  const p = current();
  if (p === undefined) return false;
  p.uncaught(err, 'uncaughtException');
  return true;
}

/** The ref counter of the program whose code is running (for handles made now). */
export function currentRefOwner(): Program | null {
  return current() ?? null;
}

// ---- spawn ------------------------------------------------------------------------------------

/** The file an entry names: a path, a file: URL, or a package with a bin. */
function entryFile(entry: string): string {
  if (entry.startsWith('file:')) return fileURLToPath(entry);
  const path = resolvePath(entry);
  if (existsSync(path) && statSync(path).isFile()) return path;
  try {
    const req = createRequire(join(process.cwd(), 'noop.js'));
    const name = entry.startsWith('@') ? entry.split('/').slice(0, 2).join('/') : entry.split('/')[0]!;
    const pkgJson = req.resolve(`${name}/package.json`);
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { bin?: string | Record<string, string>; name?: string };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.[name.split('/').pop()!] ?? Object.values(pkg.bin ?? {})[0];
    if (bin !== undefined) return join(dirname(pkgJson), bin);
  } catch { /* not a package */ }
  throw new ERR_USERNET_SPAWN_ENTRY(entry);
}

/** Whether a file is an ES module (.mjs, or .js under a package.json with "type": "module"). */
function isEsm(file: string): boolean {
  const ext = extname(file);
  if (ext === '.mjs' || ext === '.mts') return true;
  if (ext === '.cjs' || ext === '.cts' || ext === '.json') return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try { return (JSON.parse(readFileSync(pj, 'utf8')) as { type?: string }).type === 'module'; } catch { return false; }
    }
    if (dirname(dir) === dir) return false;
  }
}

/** host.spawn(): starts `entry` as a program of `host`. */
export function spawnProgram(host: Host, pid: number, entry: string, opts: SpawnOptions): Program {
  const file = entryFile(entry);
  const esmEntry = isEsm(file);
  installPrograms();
  if (esmEntry && !esm) throw new ERR_USERNET_SPAWN_ESM(file);
  const p = new Program(host, pid, file, opts);
  const uid = nextUid++;
  uidOf.set(p, uid);
  programs.set(uid, p);
  p.once('exit', () => programs.delete(uid));
  const start = (): void => {
    if (esmEntry) {
      const url = withProgram(pathToFileURL(file).href, uid);
      import(url).then(() => {
        p.loading = false;
        p.idleSoon();
      }, (e: unknown) => {
        p.loading = false;
        if (!(e instanceof ProgramExit)) p.uncaught(e, 'uncaughtException');
      });
    } else {
      try {
        loadFile(p, file, null, true);
      } finally {
        p.loading = false;
      }
      p.idleSoon();
    }
  };
  // The program starts from an event of its own (as a child process starts after spawn() returns).
  host.network.sched.after(0, () => {
    machine.setImmediate(() => p.emit('spawn'));
    p.loading = true;
    p.inContext(start);
  });
  return p;
}

export type { Program, SpawnOptions };
export type { RunContext };
