// TCP throughput between the Linux kernel and a usernet host over a TUN device (host.attachTun,
// real clock), beside kernel-to-kernel TCP over a veth pair into a second namespace, in the same
// run. Everything happens in a network namespace of its own (`unshare -n`, or `unshare -rn`
// when not root); the veth's far end lives in a second namespace held by a `sleep` process.
//
//   kernel -> usernet: a python3 client sends N bytes to a host.net server, which answers one line
//                      when it has them all; the client times connect -> answer.
//   usernet -> kernel: a host.net client sends N bytes to a python3 server on the kernel side,
//                      timed the same way from usernet.
//   kernel -> kernel:  the same python3 client and server across the veth pair (the baseline).
// Both kernel sides use CUBIC; both links have a 1500-byte MTU. One ratio line per direction.
//
// Usage: node --import tsx bench/tun.bench.ts   (BENCH_QUICK=1: 16 MiB per transfer instead of 256)
// Needs Linux, root (or unprivileged user namespaces), /dev/net/tun, the built addon, python3;
// without them it prints `tun: skipped: <reason>` and exits 0.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Network } from '../src/world/network.js';
import { tunUnavailable } from '../src/doors/tun.js';
import { ip, onPath, py, start, startPy, until } from '../test/tun/netns-tools.js';
import { QUICK, report, type Measured } from './common.js';

const INSIDE = process.env.USERNET_TUN_BENCH_NETNS === '1';
const N = (QUICK ? 16 : 256) * 1024 * 1024;
const WARM = 4 * 1024 * 1024;

if (!INSIDE) {
  const missing = ['unshare', 'ip', 'nsenter', 'python3'].find((c) => !onPath(c));
  const why = tunUnavailable() ?? (missing ? `no \`${missing}\` command` : null);
  if (why) { console.log(`tun: skipped: ${why}`); process.exit(0); }
  const flags = process.getuid?.() === 0 ? ['-n'] : ['-rn'];
  const r = spawnSync('unshare', [...flags, process.execPath, ...(import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : []), fileURLToPath(import.meta.url)], {
    stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { ...process.env, USERNET_TUN_BENCH_NETNS: '1' },
  });
  process.stdout.write(r.stdout ?? '');
  if (r.error || r.status !== 0) {
    if (!/^tun: skipped: /m.test(r.stdout ?? '')) {
      console.log(`tun: skipped: cannot run in a network namespace (unshare ${flags.join(' ')}: ${r.error?.message ?? `exit ${r.status}`})`);
    }
  }
  process.exit(r.status === 0 ? 0 : r.stdout?.includes('tun: skipped: ') ? 0 : 1);
}

// ---- inside the namespace ------------------------------------------------------------------

// The kernel's sockets: CUBIC whatever this machine's default is; the sender counts seconds from
// connect() to the receiver's one-line answer, the receiver counts bytes (no hashing: throughput).
const CLIENT = `
import socket, sys, time
peer, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b'cubic')
chunk = bytes(1 << 20)
t0 = time.perf_counter()
s.connect((peer, port))
left = n
while left > 0:
    m = min(left, len(chunk))
    s.sendall(chunk[:m] if m < len(chunk) else chunk)
    left -= m
line = s.recv(100)
secs = time.perf_counter() - t0
s.close()
print('%.6f %s' % (secs, line.decode().strip()))
`;
const SERVER = `
import socket, sys
me, port, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
l = socket.socket(socket.AF_INET)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b'cubic')
l.bind((me, port))
l.listen(4)
print('listening', flush=True)
buf = bytearray(1 << 20)
for _ in range(rounds):
    c, _ = l.accept()
    got = 0
    while got < n:
        k = c.recv_into(buf)
        if k == 0:
            break
        got += k
    c.sendall(b'%d\\n' % got)
    c.recv(1)
    c.close()
`;

function fail(why: string): never {
  console.log(`tun: skipped: ${why}`);
  process.exit(0);
}

// usernet over TUN: 10.77.0.1 (kernel) -- 10.77.0.2 (usernet).
const world = new Network({ clock: 'real', seed: 1 });
const h = world.host('u');
let dev;
try {
  dev = h.attachTun('ubench0', { ipv4: '10.77.0.2/24' });
} catch (e) {
  fail((e as Error).message);
}
spawnSync('sh', ['-c', `echo 1 > /proc/sys/net/ipv6/conf/${dev.name}/disable_ipv6`], { stdio: 'ignore' });
ip(`link set ${dev.name} up`);
ip(`addr add 10.77.0.1/24 dev ${dev.name}`);

// kernel to kernel: 10.88.0.1 here -- 10.88.0.2 in a second namespace, over a veth pair.
const holder = start('unshare', ['-n', 'sleep', '3600']);
await new Promise((r) => setTimeout(r, 100));
const far = String(holder.child.pid);
ip(`link add ubv0 type veth peer name ubv1 netns ${far}`);
ip('addr add 10.88.0.1/24 dev ubv0');
ip('link set ubv0 up');
const inFar = (args: string): void => {
  const r = spawnSync('nsenter', ['-t', far, '-n', 'ip', ...args.split(' ')], { encoding: 'utf8' });
  if (r.status !== 0) fail(`configuring the veth's far end: ${r.stderr.trim()}`);
};
inFar('link set lo up');
inFar('addr add 10.88.0.2/24 dev ubv1');
inFar('link set ubv1 up');

/** kernel -> kernel over the veth: seconds for `n` bytes, measured by the python client. */
async function kernelToKernel(n: number): Promise<number> {
  const srv = start('nsenter', ['-t', far, '-n', 'python3', '-c', SERVER, '10.88.0.2', '5201', String(n), '1']);
  await until(() => srv.output().includes('listening'));
  const c = await py(CLIENT, ['10.88.0.2', '5201', String(n)], 120_000);
  await srv.exited;
  const [secs, got] = c.out.split(' ');
  if (c.exit !== 0 || Number(got) !== n) fail(`kernel-to-kernel transfer failed: ${c.out}`);
  return Number(secs);
}

/** kernel -> usernet over TUN: seconds measured by the python client. */
async function kernelToUsernet(n: number): Promise<number> {
  const server = h.net.createServer((s) => {
    let got = 0;
    s.on('data', (b: Buffer) => { got += b.length; if (got === n) s.write(`${got}\n`); });
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(5202, () => r()));
  const c = await py(CLIENT, ['10.77.0.2', '5202', String(n)], 120_000);
  server.close();
  const [secs, got] = c.out.split(' ');
  if (c.exit !== 0 || Number(got) !== n) fail(`kernel-to-usernet transfer failed: ${c.out}`);
  return Number(secs);
}

/** usernet -> kernel over TUN: seconds measured in usernet from connect() to the answer. */
async function usernetToKernel(n: number): Promise<number> {
  const srv = startPy(SERVER, ['10.77.0.1', '5203', String(n), '1']);
  await until(() => srv.output().includes('listening'));
  const chunk = Buffer.alloc(256 * 1024);
  const t0 = performance.now();
  const secs = await new Promise<number>((resolve) => {
    const c = h.net.connect(5203, '10.77.0.1');
    let sent = 0;
    const pump = (): void => {
      while (sent < n) {
        const m = Math.min(chunk.length, n - sent);
        sent += m;
        if (!c.write(m === chunk.length ? chunk : chunk.subarray(0, m))) { c.once('drain', pump); return; }
      }
    };
    c.on('connect', pump);
    c.on('data', (b: Buffer) => {
      const secs = (performance.now() - t0) / 1000;
      c.end();
      if (Number(b.toString().trim()) !== n) fail(`usernet-to-kernel transfer failed: the kernel got ${b.toString().trim()}`);
      resolve(secs);
    });
    c.on('error', (e: Error) => fail(`usernet-to-kernel transfer failed: ${e.message}`));
  });
  await srv.exited;
  return secs;
}

const bits = (n: number, secs: number): Measured => ({ unit: 'bit', count: n * 8, ms: secs * 1000 });

// Warm up both paths (JIT, the kernel's route and socket caches).
await kernelToKernel(WARM);
await kernelToUsernet(WARM);
await usernetToKernel(WARM);

const kk = bits(N, await kernelToKernel(N));
const ku = bits(N, await kernelToUsernet(N));
const uk = bits(N, await usernetToKernel(N));
const mib = N / 1024 / 1024;
report(`tcp ${mib} MiB kernel -> usernet over TUN vs kernel -> kernel over veth`, ku, kk);
report(`tcp ${mib} MiB usernet -> kernel over TUN vs kernel -> kernel over veth`, uk, kk);
const st = dev.stats;
console.log(`tun device: ${st.rxPackets} packets read in ${st.rxBatches} batches (${(st.rxPackets / Math.max(1, st.rxBatches)).toFixed(1)} per wake-up), ` +
  `${st.txPackets} written, drops ${st.rxDrops + st.txDrops}, errors ${st.txErrors}; usernet retransmitted ${h.tcp.stats.RetransSegs} segments`);
dev.close();
holder.child.kill();
process.exit(0);
