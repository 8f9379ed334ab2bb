// Request / response with a corked reply, on the real clock (issue 8 part 5): a server answers
// each small request with cork(), write(200 bytes), write(2 bytes), uncork() (one writev, as
// node:http's responses are), Nagle on, the client waits for all 202 bytes before its next
// request. On the kernel the two writes leave as one segment (tcp_sendmsg appends the whole
// iovec, then pushes); any delay TCP adds (Nagle holding the 2 bytes for a delayed ACK) shows
// up as tens of milliseconds per request. Two hosts on a switch, beside node:net on the kernel
// loopback in the same run. Goal: usernet's time at most 1.5x the kernel's (ratio >= 0.67).
import * as nodeNet from 'node:net';
import { Network } from '../src/index.js';
import { QUICK, compare, type NetLike } from './common.js';

const REQUESTS = QUICK ? 20 : 200;
const HEAD = Buffer.alloc(200, 0x48);
const TAIL = Buffer.alloc(2, 0x0a);
const REQ = Buffer.from('GET /x\r\n\r\n');

/** `REQUESTS` sequential requests answered by corked 200 + 2 byte replies; resolves with the count. */
async function corkedRequests(server: NetLike, client: NetLike, host: string): Promise<number> {
  const srv = server.createServer((s) => {
    s.on('data', () => {
      s.cork();
      s.write(HEAD);
      s.write(TAIL);
      s.uncork();
    });
  });
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  const c = client.connect((srv.address() as nodeNet.AddressInfo).port, host);
  await new Promise<void>((r) => c.once('connect', () => r()));
  let n = 0;
  await new Promise<void>((resolve) => {
    let got = 0;
    c.on('data', (d: Buffer) => {
      got += d.length;
      if (got < HEAD.length + TAIL.length) return;
      got = 0;
      if (++n === REQUESTS) { resolve(); return; }
      c.write(REQ);
    });
    c.write(REQ);
  });
  c.destroy();
  srv.close();
  return n;
}

const world = new Network({ clock: 'real' });
const lan = world.switch('lan', { mtu: 1500 });
const a = world.host('a');
const b = world.host('b');
a.attach(lan, { ipv4: '10.0.0.1/24' });
b.attach(lan, { ipv4: '10.0.0.2/24' });

await compare('tcp corked 200+2-byte replies (writev, Nagle on), two hosts, real clock vs kernel loopback', 'requests',
  () => corkedRequests(nodeNet, nodeNet, '127.0.0.1'),
  () => corkedRequests(b.net as unknown as NetLike, a.net as unknown as NetLike, '10.0.0.2'), { goal: 0.67 });
process.exit(0);
