// TCP itself, without the handle and node:net layers: bulk throughput through host.sys-level
// socket calls (TcpSocket: write / read / readiness callbacks) on a host's loopback (MTU 65536)
// and between two hosts on a 1500-MTU cable, beside node:net on the kernel's loopback.
import * as nodeNet from 'node:net';
import { Network } from '../src/index.js';
import { AF_INET } from '../src/uapi/socket.js';
import type { TcpSocket } from '../src/kernel/tcp/socket.js';
import type { Host } from '../src/world/host.js';
import { QUICK, compare, netBulk } from './common.js';

const BULK = QUICK ? 8 << 20 : 128 << 20;
const CHUNK = Buffer.alloc(64 << 10, 0x5a);

const kernelBulk = (): Promise<number> => netBulk(nodeNet, nodeNet, '127.0.0.1', BULK, CHUNK);

async function usernetBulk(world: Network, server: Host, client: Host, host: string): Promise<number> {
  const l = server.tcp.socket(AF_INET);
  l.bind({ family: 4, address: host, port: 0 });
  l.listen(4);
  const port = (l.getsockname() as { port: number }).port;
  const c = client.tcp.socket(AF_INET);
  c.connect({ family: 4, address: host, port });
  await world.run({ for: 100 });
  const a = l.accept();
  if (typeof a === 'number') throw new Error(`accept: ${a}`);
  const s = a.sock as TcpSocket;
  let sent = 0;
  let got = 0;
  await new Promise<void>((resolve) => {
    c.onReady = (): void => {
      while (sent < BULK) { const r = c.write(CHUNK); if (r < 0) return; sent += r; }
      c.shutdown(1);
      c.onReady = null;
    };
    s.onReady = (): void => {
      for (;;) {
        const r = s.read(65536);
        if (typeof r === 'number') return;
        if (r.length === 0) { resolve(); return; }
        got += r.length;
      }
    };
    c.onReady(0);
  });
  s.close();
  c.close();
  l.close();
  return got;
}

const world = new Network({ seed: 1 });
const a = world.host('a');
const b = world.host('b');
world.link(a, b, { ipv4: ['10.0.0.1/24', '10.0.0.2/24'] });

async function both(name: string, fn: () => Promise<number>, goal?: number): Promise<void> {
  await compare(name, 'bytes', kernelBulk, fn, goal === undefined ? {} : { goal });
}

await both('tcp sockets bulk, host loopback (MTU 65536) vs node:net on the kernel loopback', () => usernetBulk(world, a, a, '127.0.0.1'), 1.0);
await both('tcp sockets bulk, two hosts on a 1500-MTU cable vs node:net on the kernel loopback', () => usernetBulk(world, b, a, '10.0.0.2'));
