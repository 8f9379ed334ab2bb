// Raw packet rate through a TUN device, in a network namespace of its own (`unshare -n`).
//
//   kernel -> JS: a sender (python3, else node:dgram) in the namespace sends UDP to 10.77.0.2
//                 through the device as fast as it can; JS counts the packets it reads, with
//                 the addon's reader thread (what openTun uses) and, for comparison, with
//                 fs.read on a blocking descriptor through libuv's threadpool (4 reads
//                 outstanding).
//   JS -> kernel: JS writes UDP packets to 10.77.0.1 in batches of 256 per macrotask through
//                 TunDevice.send(); the kernel's own rx counter of the device confirms them.
//
// Usage: node --import tsx bench/tun-raw.ts      (BENCH_QUICK=1: 0.3 s per case instead of 2 s)
// Needs Linux, root (or unprivileged user namespaces), /dev/net/tun and the built addon.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { read as fsRead } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openTun, tunAddonForBench, tunUnavailable } from '../src/doors/tun.js';

const SECONDS = process.env.BENCH_QUICK === '1' ? 0.3 : 2;
const INSIDE = process.env.USERNET_TUN_BENCH_NETNS === '1';

function fmt(n: number): string {
  if (n >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return n.toFixed(0);
}

if (!INSIDE) {
  const why = tunUnavailable();
  if (why) { console.log(`tun-raw: skipped: ${why}`); process.exit(0); }
  const flags = process.getuid?.() === 0 ? ['-n'] : ['-rn'];
  const r = spawnSync('unshare', [...flags, process.execPath, ...(import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : []), fileURLToPath(import.meta.url)], {
    stdio: 'inherit', env: { ...process.env, USERNET_TUN_BENCH_NETNS: '1' },
  });
  if (r.error || r.status !== 0) {
    console.log(`tun-raw: could not run in a network namespace (unshare ${flags.join(' ')}: ${r.error?.message ?? `exit ${r.status}`})`);
  }
  process.exit(0);
}

// ---- inside the namespace ------------------------------------------------------------------

const ipCmd = (args: string): void => { execFileSync('ip', args.split(' ')); };
/** The kernel's counters for the device (`ip -s link`; /sys shows the parent namespace). */
function counter(dev: string, name: 'rx_packets' | 'tx_dropped'): number {
  const j = JSON.parse(execFileSync('ip', ['-j', '-s', 'link', 'show', 'dev', dev], { encoding: 'utf8' })) as
    Array<{ stats64: { rx: { packets: number }; tx: { dropped: number } } }>;
  const st = j[0]!.stats64;
  return name === 'rx_packets' ? st.rx.packets : st.tx.dropped;
}
const hasPython = spawnSync('sh', ['-c', 'command -v python3'], { stdio: 'ignore' }).status === 0;

/** CPU time of this process (all its threads, user + system) per packet since c0. */
function cpuPerPacket(c0: NodeJS.CpuUsage, packets: number): string {
  const c = process.cpuUsage(c0);
  return `${((c.user + c.system) / Math.max(1, packets)).toFixed(2)} us CPU/packet`;
}

function setUp(dev: string): void {
  spawnSync('sh', ['-c', `echo 1 > /proc/sys/net/ipv6/conf/${dev}/disable_ipv6`], { stdio: 'ignore' });
  ipCmd(`link set ${dev} up`);
  ipCmd(`addr add 10.77.0.1/24 dev ${dev}`);
}

/** Starts the kernel-side UDP flood to 10.77.0.2:9 (or dest:port) for `seconds`; resolves with datagrams sent. */
function flood(seconds: number, size: number, dest = '10.77.0.2', port = 9): Promise<{ sent: number; by: string }> {
  const py = `
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
p = b'x' * ${size}
a = ('${dest}', ${port})
n = 0
end = time.time() + ${seconds}
while time.time() < end:
    for _ in range(200):
        try:
            s.sendto(p, a)
            n += 1
        except OSError:
            pass
print(n)
`;
  const js = `
const s = require('node:dgram').createSocket('udp4');
const p = Buffer.alloc(${size}, 120); let n = 0, inflight = 0; const end = performance.now() + ${seconds * 1000};
function more() {
  if (performance.now() >= end) { if (inflight === 0) { console.log(n); s.close(); } return; }
  for (let i = 0; i < 64; i++) { inflight++; s.send(p, ${port}, '${dest}', () => { inflight--; n++; }); }
  setImmediate(more);
}
more();
`;
  const child = hasPython ? spawn('python3', ['-c', py]) : spawn(process.execPath, ['-e', js]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve) => child.on('close', () => resolve({ sent: Number(out.trim()), by: hasPython ? 'python3' : 'node:dgram' })));
}

async function rxThread(size: number): Promise<void> {
  const dev = openTun('ubench0', { layer: 3 });
  setUp(dev.name);
  let n = 0;
  dev.onFrame = () => { n++; };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { sent, by } = await flood(SECONDS, size);
  await new Promise((r) => setTimeout(r, 50)); // what is still queued in the device
  const ms = performance.now() - t0;
  const cpu = cpuPerPacket(c0, n);
  const kernelDrops = counter(dev.name, 'tx_dropped');
  const batch = dev.stats.rxPackets / Math.max(1, dev.stats.rxBatches);
  dev.close();
  console.log(`tun-raw rx ${size}B, reader thread: ${fmt(n / (ms / 1000))} packets/s read by JS, ${cpu} ` +
    `(${by} sent ${fmt(sent / (ms / 1000))}/s; ${n} of ${sent} read, ${batch.toFixed(1)} per batch, kernel dropped ${kernelDrops} at the full device queue)`);
}

async function rxFsRead(size: number): Promise<void> {
  const native = tunAddonForBench();
  const opened = native.open('ubench1', false, true); // blocking: fs.read in the threadpool waits in read(2)
  setUp(opened.name);
  let n = 0;
  let running = true;
  const OUTSTANDING = 4;
  const issue = (buf: Buffer): void => {
    fsRead(opened.fd, buf, 0, buf.length, null, (err, got) => {
      if (err || !running) return;
      if (got > 0) n++;
      issue(buf);
    });
  };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < OUTSTANDING; i++) issue(Buffer.alloc(65536));
  const { sent, by } = await flood(SECONDS, size);
  await new Promise((r) => setTimeout(r, 50));
  const ms = performance.now() - t0;
  const cpu = cpuPerPacket(c0, n);
  running = false;
  const kernelDrops = counter(opened.name, 'tx_dropped');
  // Wake the reads still waiting in read(2) so that the threadpool can shut down.
  await flood(0.05, 1);
  console.log(`tun-raw rx ${size}B, fs.read x${OUTSTANDING} (threadpool): ${fmt(n / (ms / 1000))} packets/s read by JS, ${cpu} ` +
    `(${by} sent ${fmt(sent / (ms / 1000))}/s; ${n} of ${sent} read, kernel dropped ${kernelDrops})`);
  native.close(opened.handle);
}

/** A UDP/IPv4 packet 10.77.0.2:9 -> 10.77.0.1:9 with `size` bytes of payload, checksums done. */
function udpPacket(size: number): Uint8Array {
  const p = new Uint8Array(28 + size).fill(0x78);
  const v = new DataView(p.buffer);
  p[0] = 0x45; p[1] = 0; v.setUint16(2, p.length); v.setUint32(4, 0); p[8] = 64; p[9] = 17; v.setUint16(10, 0);
  p.set([10, 77, 0, 2], 12); p.set([10, 77, 0, 1], 16);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += v.getUint16(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  v.setUint16(10, ~s & 0xffff);
  v.setUint16(20, 9); v.setUint16(22, 9); v.setUint16(24, 8 + size); v.setUint16(26, 0); // UDP checksum 0: none (RFC 768)
  return p;
}

async function txThread(size: number): Promise<void> {
  const dev = openTun('ubench2', { layer: 3 });
  setUp(dev.name);
  const pkt = udpPacket(size);
  const rx0 = counter(dev.name, 'rx_packets');
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const end = t0 + SECONDS * 1000;
  await new Promise<void>((resolve) => {
    const burst = (): void => {
      if (performance.now() >= end) { resolve(); return; }
      for (let i = 0; i < 256; i++) dev.send(pkt);
      setImmediate(burst);
    };
    burst();
  });
  await new Promise((r) => setImmediate(r));
  const ms = performance.now() - t0;
  const cpu = cpuPerPacket(c0, dev.stats.txPackets);
  const kernelRx = counter(dev.name, 'rx_packets') - rx0;
  const st = dev.stats;
  dev.close();
  console.log(`tun-raw tx ${size}B, batched send(): ${fmt(st.txPackets / (ms / 1000))} packets/s written by JS, ${cpu} ` +
    `(kernel counted ${kernelRx} received, ${st.txErrors} errors, ${st.txDrops} drops)`);
}

/** The same flood to a node:dgram socket on the namespace's loopback, for scale. */
async function rxDgram(size: number): Promise<void> {
  ipCmd('link set lo up');
  const { createSocket } = await import('node:dgram');
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(9999, '127.0.0.1', r));
  let n = 0;
  sock.on('message', () => { n++; });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { sent, by } = await flood(SECONDS, size, '127.0.0.1', 9999);
  await new Promise((r) => setTimeout(r, 50));
  const ms = performance.now() - t0;
  const cpu = cpuPerPacket(c0, n);
  sock.close();
  console.log(`tun-raw rx ${size}B, node:dgram on loopback (for scale): ${fmt(n / (ms / 1000))} packets/s read by JS, ${cpu} ` +
    `(${by} sent ${fmt(sent / (ms / 1000))}/s; ${n} of ${sent} read)`);
}

await rxDgram(64);
await rxThread(64);
await rxThread(1400);
await txThread(64);
await txThread(1400);
await rxFsRead(64);
process.exit(0);
