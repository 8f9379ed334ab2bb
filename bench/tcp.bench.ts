// TCP through host.net beside node:net on the kernel's loopback, in the same process run:
//   bulk throughput on a host's own loopback (MTU 65536) and between two hosts on a 1500-MTU
//   switch; connections per second; small-message round trips. The same code drives both.
import * as nodeNet from 'node:net';
import { Network } from '../src/index.js';
import { QUICK, compare, netBulk, netConnections, type NetLike } from './common.js';


const BULK = QUICK ? 4 << 20 : 128 << 20;
const CONNS = QUICK ? 200 : 2000;
const RTTS = QUICK ? 500 : 10000;
const CHUNK = Buffer.alloc(64 << 10, 0x5a);

function listen(net: NetLike, host: string, onConn: (s: nodeNet.Socket) => void): Promise<nodeNet.Server> {
  return new Promise((resolve) => {
    const srv = net.createServer(onConn);
    srv.listen(0, host, () => resolve(srv));
  });
}

/** Sends `BULK` bytes from a client to a server that counts them; resolves with the byte count. */
function bulk(server: NetLike, client: NetLike, host: string): Promise<number> {
  return netBulk(server, client, host, BULK, CHUNK);
}

/** Opens and closes connections one after another; resolves with the number completed. */
function connRate(server: NetLike, client: NetLike, host: string): Promise<number> {
  return netConnections(server, client, host, CONNS);
}

/** Ping-pong of 32-byte messages on one connection; resolves with the number of round trips. */
async function roundTrips(server: NetLike, client: NetLike, host: string): Promise<number> {
  const srv = await listen(server, host, (s) => { s.setNoDelay(true); s.on('data', (d: Buffer) => s.write(d)); });
  const port = (srv.address() as nodeNet.AddressInfo).port;
  const c = client.connect(port, host);
  c.setNoDelay(true);
  await new Promise<void>((r) => c.once('connect', () => r()));
  const msg = Buffer.alloc(32, 1);
  let n = 0;
  await new Promise<void>((resolve) => {
    let pending = 0;
    c.on('data', (d: Buffer) => {
      pending -= d.length;
      if (pending > 0) return;
      if (++n === RTTS) { resolve(); return; }
      pending = msg.length;
      c.write(msg);
    });
    pending = msg.length;
    c.write(msg);
  });
  c.destroy();
  srv.close();
  return n;
}

const world = new Network({ seed: 1 });
const lan = world.switch('lan', { mtu: 1500 });
const a = world.host('a');
const b = world.host('b');
a.attach(lan, { ipv4: '10.0.0.1/24' });
b.attach(lan, { ipv4: '10.0.0.2/24' });
const an = a.net as unknown as NetLike;
const bn = b.net as unknown as NetLike;
// The same two hosts with segmentation offload off (ethtool -K eth0 tso off): TCP itself cuts
// every 1448-byte segment and each one crosses the switch as its own frame, as when the switch
// is captured or impaired.
const lan2 = world.switch('lan2', { mtu: 1500 });
const c = world.host('c');
const d = world.host('d');
c.attach(lan2, { ipv4: '10.0.1.1/24' }).offload = false;
d.attach(lan2, { ipv4: '10.0.1.2/24' }).offload = false;
const cn = c.net as unknown as NetLike;
const dn = d.net as unknown as NetLike;

async function both(name: string, unit: string, fn: (s: NetLike, c: NetLike, h: string) => Promise<number>, virt: [NetLike, NetLike, string], goal?: number): Promise<void> {
  if (process.env.BENCH_ONLY !== undefined && !name.includes(process.env.BENCH_ONLY)) return;
  await compare(name, unit, () => fn(nodeNet, nodeNet, '127.0.0.1'), () => fn(...virt), { goal });
}

await both('tcp bulk, host loopback (MTU 65536) vs kernel loopback', 'bytes', bulk, [an, an, '127.0.0.1'], 1.0);
await both('tcp bulk, two hosts on a 1500-MTU switch vs kernel loopback', 'bytes', bulk, [bn, an, '10.0.0.2'], 0.5);
await both('tcp bulk, 1500-MTU switch, offload off (a frame per segment) vs kernel loopback', 'bytes', bulk, [dn, cn, '10.0.1.2']);
await both('tcp connections/s, host loopback vs kernel loopback', 'connections', connRate, [an, an, '127.0.0.1'], 1.0);
await both('tcp 32-byte round trips, two hosts vs kernel loopback', 'round trips', roundTrips, [bn, an, '10.0.0.2']);
