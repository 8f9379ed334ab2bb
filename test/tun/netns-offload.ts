// Inside a fresh network namespace (see netns.ts): TCP between the Linux kernel and a usernet host
// over a TUN device with the virtio-net header and its offloads (openTun's default), both ways,
// with captures on both sides of the device.
//
//   node netns-offload.ts <4|6> <MiB> <thread|poll|plain> [--capture] [--keep]
//   (plain: vnetHdr false, thread reader; --capture: usernet's capture, read by the test)
//
//   kernel -> usernet: a python3 client sends <MiB> MiB of random bytes to a host.net server,
//     which answers "<bytes> <sha256>". usernet's interface is captured meanwhile (a pcap its
//     capture writes: what a NIC's GRO would have reassembled, cut back into wire segments).
//   usernet -> kernel: a host.net client sends <MiB> MiB of random bytes to a python3 server,
//     which answers the same way.
//   UDP: a python3 socket sends one 9,500-byte message with UDP_SEGMENT 1000 (one UDP
//     super-datagram for a device with USO) to a host.dgram socket, which must get 10 datagrams.
//   dumpcap captures the kernel's side of the device during both: the packets the kernel hands
//   the device and takes from it, as the kernel sees them.
// Prints `RESULT {...}` or `SKIP <reason>`.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Network } from '../../src/world/network.js';
import { hashSink, hashSource, needCommands, onPath, py, settledStats, start, tunSide, until } from './netns-tools.js';

needCommands('python3');
const family = process.argv[2] === '6' ? 6 : 4;
const N = Math.round(Number(process.argv[3] ?? 16) * 1024 * 1024);
const reader = process.argv[4] === 'poll' ? 'poll' : 'thread';
const vnetHdr = process.argv[4] !== 'plain';
const me = family === 4 ? '10.79.0.2' : 'fd79::2';
const kernelAddr = family === 4 ? '10.79.0.1' : 'fd79::1';
const dir = mkdtempSync(join(tmpdir(), 'usernet-tun-offload-'));

const world = new Network({ clock: 'real', seed: 5 });
const h = world.host('u');
const { dev, iface } = tunSide(world, h, {
  name: 'uoff0', ipv4: '10.79.0.2/24', ipv6: 'fd79::2/64', kernelIpv4: '10.79.0.1/24', kernelIpv6: 'fd79::1/64', reader, vnetHdr,
});
const r: Record<string, unknown> = { family, bytes: N, reader, offload: dev.offload };

// The kernel's side of the device, captured by dumpcap (tshark's capture engine) when present.
const kernelPcap = join(dir, 'kernel.pcap');
const dumpcap = onPath('dumpcap') ? start('dumpcap', ['-q', '-i', dev.name, '-s', '128', '-B', '64', '-w', kernelPcap]) : null;
if (dumpcap) await until(() => existsSync(kernelPcap) && /Capturing|File:/.test(dumpcap.output()), 10000);

// --- kernel -> usernet, usernet's interface captured ------------------------------------------
{
  const usernetPcap = process.argv.includes('--capture') ? join(dir, 'usernet.pcap') : null;
  const cap = usernetPcap === null ? null : world.capture(iface, usernetPcap);
  let got = 0;
  const hash = createHash('sha256');
  const server = h.net.createServer((s) => {
    s.on('data', (b: Buffer) => {
      hash.update(b);
      got += b.length;
      if (got === N) s.write(`${got} ${hash.digest('hex')}\n`);
    });
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  await new Promise<void>((res) => server.listen(5001, () => res()));
  const rx0 = { ...dev.stats };
  const k = await hashSource({ peer: me, port: 5001, bytes: N, timeoutMs: 120_000 });
  server.close();
  await cap?.close();
  r.toUsernet = { exit: k.exit, kernel: k.report, usernetBytes: got, rxGso: dev.stats.rxGso - rx0.rxGso, usernetPcap };
}

// --- usernet -> kernel ------------------------------------------------------------------------
{
  const data = randomBytes(N);
  const sha = createHash('sha256').update(data).digest('hex');
  const sink = hashSink({ addr: kernelAddr, port: 5002, bytes: N });
  await sink.listening;
  const tx0 = { ...dev.stats };
  const reply = await new Promise<string>((resolve) => {
    const c = h.net.connect(5002, kernelAddr);
    let got = '';
    let off = 0;
    const pump = (): void => {
      while (off < N) {
        const end = Math.min(N, off + 256 * 1024);
        const ok = c.write(data.subarray(off, end));
        off = end;
        if (!ok) { c.once('drain', pump); return; }
      }
    };
    c.on('connect', pump);
    c.on('data', (b: Buffer) => { got += b.toString(); if (got.endsWith('\n')) { c.end(); resolve(got.trim()); } });
    c.on('error', (e: Error) => resolve(`error: ${e.message}`));
  });
  const exit = await sink.finish();
  r.toKernel = { reply, sha, exit, kernel: sink.report(), txGso: dev.stats.txGso - tx0.txGso };
}

// --- UDP GSO: kernel -> usernet -------------------------------------------------------------
{
  const sock = h.dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
  await new Promise<void>((res) => sock.bind(7000, me, () => res()));
  const got: number[] = [];
  let intact = true;
  sock.on('message', (m: Buffer) => {
    got.push(m.length);
    for (let i = 0; i < m.length; i++) if (m[i] !== ((got.length - 1) * 1000 + i) % 251) { intact = false; break; }
  });
  const rx0 = { ...dev.stats };
  const k = await py(`
  import socket, sys
  peer = sys.argv[1]
  s = socket.socket(socket.AF_INET6 if ':' in peer else socket.AF_INET, socket.SOCK_DGRAM)
  s.setsockopt(socket.IPPROTO_UDP, 103, 1000)  # UDP_SEGMENT (linux/udp.h)
  s.sendto(bytes(i % 251 for i in range(9500)), (peer, 7000))
  print('sent')
  `, [me]);
  await until(() => got.length >= 10, 5000);
  sock.close();
  r.udpGso = { exit: k.exit, out: k.out, lengths: got, intact, rxGso: dev.stats.rxGso - rx0.rxGso };
}

if (dumpcap) {
  // dumpcap may lag behind on a loaded machine: let it write what it has before it stops (the
  // file stops growing), or what is still in its ring buffer is lost.
  let size = -1;
  for (let i = 0; i < 50; i++) {
    await new Promise((res) => setTimeout(res, 200));
    const now = existsSync(kernelPcap) ? statSync(kernelPcap).size : 0;
    if (now === size) break;
    size = now;
  }
  dumpcap.child.kill('SIGINT');
  await Promise.race([dumpcap.exited, new Promise((res) => setTimeout(res, 5000))]);
  r.kernelPcap = existsSync(kernelPcap) && statSync(kernelPcap).size > 0 ? kernelPcap : null;
  if (!r.kernelPcap) r.dumpcapOutput = dumpcap.output();
} else {
  r.kernelPcap = null;
}
r.dir = dir;
// Both counters together, once the device has written what the interface sent.
Object.assign(r, await settledStats(dev, iface));
dev.close();
if (process.env.USERNET_KEEP_PCAPS !== '1' && !process.argv.includes('--keep')) {
  // The test reads the captures before they go: it passes --keep and removes the folder itself.
  rmSync(dir, { recursive: true, force: true });
}
console.log(`RESULT ${JSON.stringify(r)}`);
process.exit(0);
