// Tools for the scripts that run inside a namespace (see netns.ts): the kernel's side of a TUN
// device configured with `ip`, kernel programs run without blocking the event loop (usernet must
// keep answering while they run), and the namespace's own TCP counters.

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Network } from '../../src/world/network.js';
import type { Host } from '../../src/world/host.js';
import { Cable } from '../../src/links/cable.js';
import { openTun, type TunDevice } from '../../src/doors/tun.js';
import type { Interface } from '../../src/kernel/interface.js';
import { onPath } from './netns.js';

export { onPath };

export type Run = { exit: number; out: string };

/** `ip <args>` (synchronous: only for configuration, never while traffic must flow). */
export function ip(args: string): string {
  const r = spawnSync('ip', args.split(' '), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args}: ${r.stderr}`);
  return r.stdout;
}

/** Prints `SKIP <reason>` and ends the script unless every command is installed. */
export function needCommands(...cmds: string[]): void {
  const missing = cmds.filter((c) => !onPath(c));
  if (missing.length > 0) {
    console.log(`SKIP not installed in this namespace: ${missing.join(', ')} (.ci/run installs them from Debian)`);
    process.exit(0);
  }
}

/** Runs a kernel-side program to its end without blocking usernet; stdout+stderr, trimmed. */
export function run(cmd: string, args: string[], timeout = 8000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ exit: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: `${stdout}${stderr}`.trim() });
    });
  });
}

/** Removes the common indentation of a block of code written inside this file. */
function dedent(code: string): string {
  const lines = code.split('\n').filter((l) => l.trim() !== '');
  const indent = Math.min(...lines.map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Runs python3 code (indented as it sits in the caller's file). */
export function py(code: string, args: string[] = [], timeout = 8000): Promise<Run> {
  return run('python3', ['-c', dedent(code), ...args], timeout);
}

/** Starts a long-running kernel-side program; `output()` is what it printed so far. */
export function start(cmd: string, args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number> } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number>((res) => child.on('exit', (code) => res(code ?? -1)));
  return { child, output: () => out, exited };
}

/** Starts python3 code in the background. */
export function startPy(code: string, args: string[] = []): ReturnType<typeof start> {
  return start('python3', ['-c', dedent(code), ...args]);
}

/** What a kernel-side hash sink or source printed last: its JSON, or its raw output when it had none. */
export type HashReport = Record<string, unknown> & { bytes?: number; sha?: string; reply?: string };

function lastJson(out: string): HashReport | string {
  try { return JSON.parse(out.trim().split('\n').pop()!) as HashReport; } catch { return out; }
}

/** Python hooks of hashSink / hashSource; `s` the socket, `peer` the other end's address. */
export interface HashHooks {
  /** Python run first, at the top level (defines what `prepare` and `info` use). */
  setup?: string;
  /** A python function applied to each socket before it connects or listens, and to the accepted one. */
  prepare?: string;
  /** A python expression over `s` and `peer` giving a dict, evaluated after the answer while the connection is established. */
  info?: string;
}

function hashPreamble(h: HashHooks): string {
  return [
    'import socket, hashlib, json, os, sys, time',
    h.setup ? dedent(h.setup) : '',
    `def prepare(s):\n    ${h.prepare ? `${h.prepare}(s)` : 'pass'}`,
    `def info(s, peer):\n    return ${h.info ?? '{}'}`,
  ].filter((l) => l !== '').join('\n');
}

/**
 * The kernel's end of a one-way transfer to it (python3): listens on `addr`:`port` (printing
 * `listening`), accepts one connection, reads `bytes` bytes and hashes them, answers
 * "<bytes> <sha256>\n", reads until the peer closes, then prints its last line, JSON
 * {bytes, sha, ...info}. `finish()` waits at most `ms` for it to exit (else kills it: -2).
 */
export function hashSink(o: { addr: string; port: number; bytes: number } & HashHooks): {
  child: ChildProcess; output: () => string; listening: Promise<boolean>; finish: (ms?: number) => Promise<number>; report: () => HashReport | string;
} {
  const code = `${hashPreamble(o)}
n = int(sys.argv[1]); me = sys.argv[2]; port = int(sys.argv[3])
l = socket.socket(socket.AF_INET6 if ':' in me else socket.AF_INET)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
prepare(l)
l.bind((me, port))
l.listen(1)
print('listening', flush=True)
s, a = l.accept()
prepare(s)
h = hashlib.sha256(); got = 0
while got < n:
    b = s.recv(1 << 20)
    if not b:
        break
    h.update(b); got += len(b)
s.sendall(('%d %s\\n' % (got, h.hexdigest())).encode())
extra = info(s, a[0])
while s.recv(65536):
    pass
s.close()
print(json.dumps({'bytes': got, 'sha': h.hexdigest(), **extra}), flush=True)`;
  const p = start('python3', ['-c', code, String(o.bytes), o.addr, String(o.port)]);
  return {
    ...p,
    listening: until(() => p.output().includes('listening'), 15000),
    async finish(ms = 10000) {
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([p.exited, new Promise<number>((res) => { timer = setTimeout(() => res(-2), ms); })]);
      clearTimeout(timer);
      if (exit === -2) p.child.kill();
      return exit;
    },
    report: () => lastJson(p.output()),
  };
}

/**
 * The kernel's end of a one-way transfer from it (python3): connects to `peer`:`port`, sends
 * `bytes` random bytes, reads the one-line answer, and prints JSON {sha, reply, secs, ...info}
 * (secs: from connect() to the answer). Resolves with the exit status and that report.
 */
export async function hashSource(o: { peer: string; port: number; bytes: number; timeoutMs?: number } & HashHooks): Promise<{ exit: number; report: HashReport | string }> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const code = `${hashPreamble(o)}
n = int(sys.argv[1]); peer = sys.argv[2]; port = int(sys.argv[3])
data = os.urandom(n)
s = socket.socket(socket.AF_INET6 if ':' in peer else socket.AF_INET)
prepare(s)
s.settimeout(${Math.ceil(timeoutMs / 1000)})
t0 = time.time()
s.connect((peer, port))
s.sendall(data)
reply = b''
while not reply.endswith(b'\\n'):
    b = s.recv(200)
    if not b:
        break
    reply += b
secs = time.time() - t0
extra = info(s, peer)
s.close()
print(json.dumps({'sha': hashlib.sha256(data).hexdigest(), 'reply': reply.decode().strip(), 'secs': secs, **extra}))`;
  const r = await run('python3', ['-c', code, String(o.bytes), o.peer, String(o.port)], timeoutMs);
  return { exit: r.exit, report: lastJson(r.out) };
}

/** Waits until `predicate` holds (polled every 20 ms), at most `ms`. */
export async function until(predicate: () => boolean, ms = 15000): Promise<boolean> {
  const end = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** The TUN device of a usernet host, and the Cable it goes through when impaired. */
export interface TunSide {
  dev: TunDevice;
  iface: Interface;
  /** Present with `through: 'cable'`: end a is the host's, end b the device's ('a->b' = usernet to kernel). */
  cable?: Cable;
}

export interface TunSideOptions {
  name: string;
  /** usernet's addresses on the device ('10.77.0.2/24'). */
  ipv4?: string;
  ipv6?: string;
  /** The kernel's addresses on its side ('10.77.0.1/24'). */
  kernelIpv4?: string;
  kernelIpv6?: string;
  mtu?: number;
  /**
   * 'direct' (default): host.attachTun. 'cable': the host's interface is plugged into one end of
   * a layer-3 Cable whose other end is spliced to the device, so that usernet's own
   * `cable.impair()` (netem-like) applies on the TUN side.
   */
  through?: 'direct' | 'cable';
  /** Who reads the device (openTun's `reader`); default the door's. */
  reader?: 'thread' | 'poll';
  /** openTun's `vnetHdr`; default the door's (on). */
  vnetHdr?: boolean;
}

/**
 * Gives `host` a TUN device and configures the kernel's side (link up, addresses without DAD).
 * Prints `SKIP <reason>` and ends the script when the device cannot be opened here.
 */
export function tunSide(world: Network, host: Host, o: TunSideOptions): TunSide {
  const addrs = { ...(o.ipv4 ? { ipv4: o.ipv4 } : {}), ...(o.ipv6 ? { ipv6: o.ipv6 } : {}), ...(o.mtu ? { mtu: o.mtu } : {}) };
  let side: TunSide;
  const devOpts = { ...(o.reader ? { reader: o.reader } : {}), ...(o.vnetHdr !== undefined ? { vnetHdr: o.vnetHdr } : {}) };
  try {
    if (o.through === 'cable') {
      const dev = openTun(o.name, { layer: 3, ...(o.mtu ? { mtu: o.mtu } : {}), ...devOpts });
      const cable = new Cable(`${o.name}-path`, world.sched, world.random.fork(), { layer: 3, mtu: dev.mtu });
      const iface = host.attach(cable, { ...addrs, name: dev.name });
      const end = cable.ends[1];
      world.claim(end);
      // Super-frames (TSO/GSO) cross whole both ways; the cable cuts them where it impairs.
      end.onFrame = (f, gso) => dev.send(f, gso);
      dev.onFrame = (f, gso) => end.send(f, gso);
      side = { dev, iface, cable };
    } else {
      const dev = host.attachTun(o.name, { ...addrs, ...devOpts });
      side = { dev, iface: dev.iface };
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EPERM' || code === 'EACCES' || code === 'ENOENT' || code === 'ERR_USERNET_TUN_ADDON') {
      console.log(`SKIP ${(e as Error).message}`);
      process.exit(0);
    }
    throw e;
  }
  const n = side.dev.name;
  if (!o.kernelIpv6) spawnSync('sh', ['-c', `echo 1 > /proc/sys/net/ipv6/conf/${n}/disable_ipv6`], { stdio: 'ignore' });
  ip(`link set ${n} up`);
  if (o.kernelIpv4) ip(`addr add ${o.kernelIpv4} dev ${n}`);
  if (o.kernelIpv6) ip(`addr add ${o.kernelIpv6} dev ${n} nodad`);
  return side;
}

/**
 * The device's and the interface's counters, read together once the device has written what the
 * interface sent. The device writes in a batch at the next immediate, and on a loaded machine
 * more frames (a late ACK, a FIN) can go out in the I/O callbacks that run before that immediate:
 * this waits until the two counts agree, at most `ms`, then reads both (a test comparing them
 * still fails if they never agree).
 */
export async function settledStats<S extends { txPackets: number }, I extends { txPackets: number }>(
  dev: { stats: S }, iface: { stats: I }, ms = 2000,
): Promise<{ stats: S; iface: I }> {
  const end = performance.now() + ms;
  await new Promise((res) => setImmediate(res));
  while (dev.stats.txPackets !== iface.stats.txPackets && performance.now() < end) await new Promise((res) => setTimeout(res, 5));
  return { stats: { ...dev.stats }, iface: { ...iface.stats } };
}

/** This namespace's TCP counters: /proc/net/snmp `Tcp:` and /proc/net/netstat `TcpExt:`. */
export async function kernelTcpCounters(): Promise<Record<string, number>> {
  const { readFile } = await import('node:fs/promises');
  const out: Record<string, number> = {};
  for (const [file, prefix] of [['/proc/net/snmp', 'Tcp:'], ['/proc/net/netstat', 'TcpExt:']] as const) {
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.startsWith(prefix));
    if (lines.length < 2) continue;
    const names = lines[0]!.split(/\s+/).slice(1);
    const values = lines[1]!.split(/\s+/).slice(1);
    names.forEach((k, i) => { out[k] = Number(values[i]); });
  }
  return out;
}

/** Differences of counters between two readings (only the ones that changed). */
export function counterDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v !== (before[k] ?? 0)) d[k] = v - (before[k] ?? 0);
  return d;
}
