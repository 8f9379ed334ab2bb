// On demand: a large TCP transfer between two hosts over a path that loses 2%, reorders 1% and
// duplicates 0.1% of frames must arrive byte-identical (SHA-256). The test suite runs a 2 MiB
// version (test/tcp/retransmit.test.ts); this one defaults to 64 MiB.
//   node --import tsx scripts/tcp-lossy.ts [MiB] [seed]
import { createHash, randomBytes } from 'node:crypto';
import { Network } from '../src/network.js';
import { AF_INET } from '../src/sys/types.js';
import type { TcpSocket } from '../src/kernel/tcp/socket.js';

const mib = Number(process.argv[2] ?? 64);
const seed = Number(process.argv[3] ?? 1);
const world = new Network({ seed });
const a = world.host('a');
const b = world.host('b');
const link = world.link(a, b, { ipv4: ['10.0.0.1/24', '10.0.0.2/24'] });
const l = b.tcp.socket(AF_INET);
l.bind({ family: 4, address: '0.0.0.0', port: 80 });
l.listen(4);
const c = a.tcp.socket(AF_INET);
c.connect({ family: 4, address: '10.0.0.2', port: 80 });
await world.run({ for: 100 });
const acc = l.accept();
if (typeof acc === 'number') throw new Error(`accept failed: ${acc}`);
const s = acc.sock as TcpSocket;
link.impair({ latency: '10ms', jitter: '2ms', loss: 0.02, reorder: 0.01, duplicate: 0.001 });

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
process.exit(hex === want ? 0 : 1);
