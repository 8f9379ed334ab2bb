// UDP datagrams per second between two virtual hosts on a switch (host.dgram), beside
// node:dgram on the kernel's loopback in the same process. The same code drives both: the
// sender sends bursts of BURST datagrams, the receiver counts, the next burst goes when the
// last one has arrived (so neither side's receive buffer overflows).
import * as nodeDgram from 'node:dgram';
import { Network } from '../src/index.js';
import { QUICK, report, time } from './common.js';

type DgramLike = Pick<typeof nodeDgram, 'createSocket'>;

const TOTAL = QUICK ? 20_000 : 400_000;
const BURST = 64;
const SIZE = 64;

async function run(rxMod: DgramLike, txMod: DgramLike, server: string, client: string, family: 'udp4' | 'udp6'): Promise<number> {
  const rx = rxMod.createSocket(family);
  const tx = txMod.createSocket(family);
  await new Promise<void>((r) => rx.bind(0, server, () => r()));
  await new Promise<void>((r) => tx.bind(0, client, () => r()));
  const port = rx.address().port;
  const payload = Buffer.alloc(SIZE, 0x61);
  let received = 0;
  let sent = 0;
  let wake: (() => void) | null = null;
  rx.on('message', () => { received++; if (received === sent && wake) { const w = wake; wake = null; w(); } });
  while (sent < TOTAL) {
    const arrived = new Promise<void>((r) => { wake = r; });
    for (let i = 0; i < BURST; i++) { tx.send(payload, port, server); sent++; }
    // A lost datagram would stall the burst: give up on it after a while (counted as not received).
    const timer = setTimeout(() => { if (wake) { const w = wake; wake = null; sent = received; w(); } }, 1000);
    await arrived;
    clearTimeout(timer);
  }
  rx.close();
  tx.close();
  return received;
}

const world = new Network({ seed: 1 });
const lan = world.switch('lan');
const a = world.host('a');
const b = world.host('b');
a.attach(lan, { ipv4: '10.0.0.1/24' });
b.attach(lan, { ipv4: '10.0.0.2/24' });
// Warm both paths once (JIT, ARP).
const bDgram = b.dgram as unknown as DgramLike;
const aDgram = a.dgram as unknown as DgramLike;
await run(bDgram, aDgram, '10.0.0.2', '10.0.0.1', 'udp4');
await run(nodeDgram, nodeDgram, '127.0.0.1', '127.0.0.1', 'udp4');

const kernel = await time(() => run(nodeDgram, nodeDgram, '127.0.0.1', '127.0.0.1', 'udp4'), 'datagrams');
const usernet = await time(() => run(bDgram, aDgram, '10.0.0.2', '10.0.0.1', 'udp4'), 'datagrams');
report(`udp ${SIZE}-byte datagrams, two hosts on a switch vs kernel loopback`, usernet, kernel, 1.0);
