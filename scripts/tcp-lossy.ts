// On demand: a large TCP transfer between two hosts over a link with 40 ms latency that loses
// 2%, reorders 1% and duplicates 0.1% of frames must arrive byte-identical (SHA-256), in virtual
// time. With a capture file, tshark (when installed) must find no malformed segment and no bad
// checksum in it. The test suite runs small versions (test/tcp/retransmit.test.ts,
// test/tcp/lossy-capture.test.ts); this one defaults to 64 MiB.
//   node --import tsx scripts/tcp-lossy.ts [MiB] [seed] [capture.pcap]
import { createHash, randomBytes } from 'node:crypto';
import { Network } from '../src/world/network.js';
import { AF_INET } from '../src/uapi/socket.js';
import type { TcpSocket } from '../src/kernel/tcp/socket.js';

const mib = Number(process.argv[2] ?? 64);
const seed = Number(process.argv[3] ?? 1);
const pcap = process.argv[4];
const world = new Network({ seed });
const a = world.host('a');
const b = world.host('b');
const link = world.link(a, b, { ipv4: ['10.0.0.1/24', '10.0.0.2/24'] });
const cap = pcap ? world.capture(link, pcap) : null;
const l = b.tcp.socket(AF_INET);
l.bind({ family: 4, address: '0.0.0.0', port: 80 });
l.listen(4);
const c = a.tcp.socket(AF_INET);
c.connect({ family: 4, address: '10.0.0.2', port: 80 });
await world.run({ for: 100 });
const acc = l.accept();
if (typeof acc === 'number') throw new Error(`accept failed: ${acc}`);
const s = acc.sock as TcpSocket;
link.impair({ latency: '40ms', loss: 0.02, reorder: 0.01, duplicate: 0.001 });

const data = randomBytes(mib << 20);
const want = createHash('sha256').update(data).digest('hex');
const got = createHash('sha256');
let received = 0;
const wall = performance.now();
await new Promise<void>((resolve, reject) => {
  let off = 0;
  c.onReady = (): void => {
    while (off < data.length) {
      const r = c.write(data.subarray(off, off + (1 << 20)));
      if (r === -11) return;
      if (r < 0) { reject(new Error(`write ${r}`)); return; }
      off += r;
    }
    c.shutdown(1);
    c.onReady = null;
  };
  s.onReady = (): void => {
    for (;;) {
      const r = s.read(1 << 20);
      if (typeof r === 'number') { if (r !== -11) reject(new Error(`read ${r}`)); return; }
      if (r.length === 0) { resolve(); return; }
      got.update(r);
      received += r.length;
    }
  };
  c.onReady(0);
});
const hex = got.digest('hex');
const i = c.info();
console.log(`${mib} MiB in ${(world.now() / 1000).toFixed(1)} s of network time (${((performance.now() - wall) / 1000).toFixed(1)} s wall);`
  + ` retransmitted ${i.totalRetrans} segments, ${a.tcp.stats.TCPSackRecovery} SACK recoveries, ${a.tcp.stats.TCPTimeouts} timeouts`);
console.log(hex === want && received === data.length ? `OK sha256 ${hex}` : `MISMATCH: got ${received} bytes, sha256 ${hex}, want ${want}`);
let ok = hex === want && received === data.length;
if (cap) {
  await cap.close();
  const { spawnSync } = await import('node:child_process');
  if (spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status !== 0) {
    console.log('tshark is not installed: the capture was not checked');
  } else {
    // The payload is random bytes: decode it as data, not as whatever port 80 suggests (HTTP).
    const prefs = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-d', 'tcp.port==80,data'];
    const count = spawnSync('tshark', ['-n', '-r', pcap!, ...prefs, '-q', '-z', 'io,stat,0'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const bad = spawnSync('tshark', ['-n', '-r', pcap!, ...prefs, '-Y', '_ws.malformed || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad"'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const frames = /\|\s*(\d+)\s*\|\s*\d+\s*\|/.exec(count.stdout)?.[1] ?? '?';
    const flagged = bad.stdout.trim() === '' ? 0 : bad.stdout.trim().split('\n').length;
    console.log(`tshark read ${frames} frames of ${pcap}: ${flagged} malformed or with a bad checksum`);
    if (bad.status !== 0 || flagged > 0) ok = false;
  }
}
process.exit(ok ? 0 : 1);
