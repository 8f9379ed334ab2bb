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
// Both kernel sides use CUBIC; both links have a 1500-byte MTU.
//
// Two TUN devices, measured in the same run: one with the virtio-net header and its offloads
// (the default: TCP super-packets of up to 64 KiB both ways, checksums partial) and one without
// (`vnetHdr: false`: a packet per segment, every checksum computed, as before the header). The
// rounds alternate the kernel baseline and the four usernet transfers, and each line gives the
// median of the rounds and the spread of the ratios (the machine is shared: say how noisy).
//
// Usage: npm run bench tun   (BENCH_QUICK=1: 16 MiB per transfer and one round; default 128 MiB,
// 3 rounds; BENCH_TUN_ROUNDS=n, BENCH_TUN_MIB=n). Under tsx (node --import tsx bench/tun.bench.ts) everything
// runs 2-3x slower (source maps).
// Needs Linux, root (or unprivileged user namespaces), /dev/net/tun, the built addon, python3;
// without them it prints `tun: skipped: <reason>` and exits 0.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Network } from '../src/world/network.js';
import type { Host } from '../src/world/host.js';
import { tunUnavailable, type TunDevice } from '../src/doors/tun.js';
import { ip, onPath, py, start, startPy, until } from '../test/tun/netns-tools.js';
import { QUICK, report, type Measured } from './common.js';

const INSIDE = process.env.USERNET_TUN_BENCH_NETNS === '1';
const N = Number(process.env.BENCH_TUN_MIB ?? (QUICK ? 16 : 128)) * 1024 * 1024;
// Without the header a transfer is ~10x slower: a quarter of the bytes (ratios are of rates).
const NP = N / 4;
const ROUNDS = Number(process.env.BENCH_TUN_ROUNDS ?? (QUICK ? 1 : 3));
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

// usernet over TUN, two devices: with the vnet header (10.78.0.2, the kernel 10.78.0.1) and
// without (10.77.0.2, the kernel 10.77.0.1), each on a host of its own.
interface Side { label: string; host: Host; dev: TunDevice; me: string; kernel: string }
const world = new Network({ clock: 'real', seed: 1 });
function side(label: string, name: string, net: number, vnetHdr: boolean): Side {
  const host = world.host(label);
  let dev: TunDevice;
  try {
    dev = host.attachTun(name, { ipv4: `10.${net}.0.2/24`, vnetHdr });
  } catch (e) {
    fail((e as Error).message);
  }
  spawnSync('sh', ['-c', `echo 1 > /proc/sys/net/ipv6/conf/${dev.name}/disable_ipv6`], { stdio: 'ignore' });
  ip(`link set ${dev.name} up`);
  ip(`addr add 10.${net}.0.1/24 dev ${dev.name}`);
  return { label, host, dev, me: `10.${net}.0.2`, kernel: `10.${net}.0.1` };
}
const plain = side('plain', 'ubench0', 77, false);
const vnet = side('vnet', 'ubench1', 78, true);
const o = vnet.dev.offload;
if (!o.vnetHdr || !o.tso4) console.log(`tun: note: the kernel refused offloads (${JSON.stringify(o)}): the vnet device runs without TSO`);

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
  const c = await py(CLIENT, ['10.88.0.2', '5201', String(n)], 600_000);
  await srv.exited;
  const [secs, got] = c.out.split(' ');
  if (c.exit !== 0 || Number(got) !== n) fail(`kernel-to-kernel transfer failed: ${c.out}`);
  return Number(secs);
}

/** kernel -> usernet over TUN: seconds measured by the python client. */
async function kernelToUsernet(sd: Side, n: number): Promise<number> {
  const server = sd.host.net.createServer((s) => {
    let got = 0;
    s.on('data', (b: Buffer) => { got += b.length; if (got === n) s.write(`${got}\n`); });
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(5202, () => r()));
  const c = await py(CLIENT, [sd.me, '5202', String(n)], 600_000);
  server.close();
  const [secs, got] = c.out.split(' ');
  if (c.exit !== 0 || Number(got) !== n) fail(`kernel-to-usernet (${sd.label}) transfer failed: ${c.out}`);
  return Number(secs);
}

/** usernet -> kernel over TUN: seconds measured in usernet from connect() to the answer. */
async function usernetToKernel(sd: Side, n: number): Promise<number> {
  const srv = startPy(SERVER, [sd.kernel, '5203', String(n), '1']);
  await until(() => srv.output().includes('listening'));
  const chunk = Buffer.alloc(256 * 1024);
  const t0 = performance.now();
  const secs = await new Promise<number>((resolve) => {
    const c = sd.host.net.connect(5203, sd.kernel);
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
      if (Number(b.toString().trim()) !== n) fail(`usernet-to-kernel (${sd.label}) transfer failed: the kernel got ${b.toString().trim()}`);
      resolve(secs);
    });
    c.on('error', (e: Error) => fail(`usernet-to-kernel (${sd.label}) transfer failed: ${e.message}`));
  });
  await srv.exited;
  return secs;
}

const bits = (n: number, secs: number): Measured => ({ unit: 'bit', count: n * 8, ms: secs * 1000 });
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

// Warm up every path (JIT, the kernel's route and socket caches).
await kernelToKernel(WARM);
for (const sd of [plain, vnet]) { await kernelToUsernet(sd, WARM); await usernetToKernel(sd, WARM); }

type Case = 'kk' | 'ku-plain' | 'uk-plain' | 'ku-vnet' | 'uk-vnet';
const secs: Record<Case, number[]> = { 'kk': [], 'ku-plain': [], 'uk-plain': [], 'ku-vnet': [], 'uk-vnet': [] };
const ratios: Record<Exclude<Case, 'kk'>, number[]> = { 'ku-plain': [], 'uk-plain': [], 'ku-vnet': [], 'uk-vnet': [] };
for (let r = 0; r < ROUNDS; r++) {
  const kk = await kernelToKernel(N);
  secs.kk.push(kk);
  for (const [c, f] of [
    ['ku-vnet', () => kernelToUsernet(vnet, N)], ['uk-vnet', () => usernetToKernel(vnet, N)],
    ['ku-plain', () => kernelToUsernet(plain, NP)], ['uk-plain', () => usernetToKernel(plain, NP)],
  ] as const) {
    const t = await f();
    secs[c].push(t);
    ratios[c].push(c.endsWith('plain') ? (kk / N) / (t / NP) : kk / t);
  }
}
const mib = N / 1024 / 1024;
const kk = bits(N, median(secs.kk));
const spread = (c: Exclude<Case, 'kk'>): string => {
  const rs = ratios[c];
  return rs.length > 1 ? `  [round ratios ${rs.map((x) => x.toFixed(2)).join(' ')}]` : '';
};
const line = (c: Exclude<Case, 'kk'>, what: string): void => {
  const n = c.endsWith('plain') ? NP : N;
  report(`tcp ${n / 1024 / 1024} MiB ${what} vs kernel -> kernel over veth (${mib} MiB)`, bits(n, median(secs[c])), kk);
  const sp = spread(c);
  if (sp) console.log(sp);
};
console.log(`tun: ${ROUNDS} round(s) of ${mib} MiB, medians; offloads ${JSON.stringify(o)}`);
line('ku-vnet', 'kernel -> usernet over TUN (vnet header, TSO; goal 0.25x)');
line('uk-vnet', 'usernet -> kernel over TUN (vnet header, TSO; goal 0.25x)');
line('ku-plain', 'kernel -> usernet over TUN (no vnet header)');
line('uk-plain', 'usernet -> kernel over TUN (no vnet header)');
for (const sd of [vnet, plain]) {
  const st = sd.dev.stats;
  console.log(`tun device ${sd.dev.name} (${sd.label}): ${st.rxPackets} segments read in ${st.rxBatches} wake-ups ` +
    `(${st.rxGso} TCP super-packets), ${st.txPackets} written (${st.txGso} super-packets); drops ${st.rxDrops + st.txDrops}, errors ${st.txErrors}; ` +
    `usernet retransmitted ${sd.host.tcp.stats.RetransSegs} segments`);
}
plain.dev.close();
vnet.dev.close();
holder.child.kill();
process.exit(0);
