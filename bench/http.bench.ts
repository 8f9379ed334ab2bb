// HTTP over host modules beside Node's modules on the kernel's loopback, in the same process run:
//   HTTP/1.1 keep-alive requests per second (node:http server with default options, node:http
//   agent with keepAlive), HTTPS bulk download, HTTP/2 streams per second on one session.
// The same code drives both sides; the usernet side is two hosts on a 1500-MTU switch.
import * as nodeHttp from 'node:http';
import * as nodeHttps from 'node:https';
import * as nodeHttp2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Network } from '../src/index.js';
import { QUICK, compare } from './common.js';

const REQUESTS = QUICK ? 200 : 5000;
const BULK = QUICK ? 4 << 20 : 64 << 20;
const STREAMS = QUICK ? 200 : 5000;
const CHUNK = Buffer.alloc(64 << 10, 0x5a);

type Http = Pick<typeof nodeHttp, 'createServer' | 'request' | 'Agent'>;
type Https = Pick<typeof nodeHttps, 'createServer' | 'request' | 'Agent'>;
type Http2 = Pick<typeof nodeHttp2, 'createServer' | 'connect'>;

function listening<T extends { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }>(srv: T, host: string): Promise<number> {
  return new Promise((resolve) => { srv.listen(0, host, () => resolve((srv.address() as AddressInfo).port)); });
}

/** Sequential GETs on one keep-alive connection; resolves with the number of responses. */
async function keepAlive(server: Http, client: Http, host: string): Promise<number> {
  const srv = server.createServer((req, res) => { res.end('hello'); });
  const port = await listening(srv, host);
  const agent = new client.Agent({ keepAlive: true, maxSockets: 1 });
  let n = 0;
  for (let i = 0; i < REQUESTS; i++) {
    await new Promise<void>((resolve, reject) => {
      client.request({ host, port, path: '/', agent }, (res) => { res.resume(); res.on('end', () => { n++; resolve(); }); }).on('error', reject).end();
    });
  }
  agent.destroy();
  srv.close();
  return n;
}

/** One HTTPS response of BULK bytes; resolves with the bytes received. */
async function httpsBulk(server: Https, client: Https, host: string, tls: { key: string; cert: string; ca: string }): Promise<number> {
  const srv = server.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    let sent = 0;
    const pump = (): void => {
      while (sent < BULK) { sent += CHUNK.length; if (!res.write(CHUNK)) { res.once('drain', pump); return; } }
      res.end();
    };
    pump();
  });
  const port = await listening(srv, host);
  const agent = new client.Agent({ keepAlive: false });
  const got = await new Promise<number>((resolve, reject) => {
    client.request({ host, port, path: '/', agent, ca: tls.ca, servername: 'bench' }, (res) => {
      let n = 0;
      res.on('data', (d: Buffer) => { n += d.length; });
      res.on('end', () => resolve(n));
    }).on('error', reject).end();
  });
  agent.destroy();
  srv.close();
  return got;
}

/** STREAMS requests on one h2c session, 16 at a time; resolves with the number completed. */
async function h2Streams(server: Http2, client: Http2, host: string): Promise<number> {
  const srv = server.createServer((req, res) => { res.end('hello'); });
  const port = await listening(srv as unknown as { listen(p: number, h: string, cb: () => void): unknown; address(): unknown }, host);
  const session = client.connect(`http://${host}:${port}`);
  let n = 0;
  let started = 0;
  await new Promise<void>((resolve, reject) => {
    session.on('error', reject);
    const one = (): void => {
      if (started === STREAMS) return;
      started++;
      const r = session.request({ ':path': '/' });
      r.resume();
      r.on('end', () => { if (++n === STREAMS) resolve(); else one(); });
      r.end();
    };
    for (let i = 0; i < 16; i++) one();
  });
  session.close();
  srv.close();
  return n;
}

const world = new Network({ seed: 1 });
const lan = world.switch('lan', { mtu: 1500 });
const a = world.host('a');
const b = world.host('b');
a.attach(lan, { ipv4: '10.0.0.1/24' });
b.attach(lan, { ipv4: '10.0.0.2/24' });
const creds = world.ca.issue(['bench', '127.0.0.1', '10.0.0.2']);

const real = new Network({ seed: 1, clock: 'real' });
const rlan = real.switch('lan', { mtu: 1500 });
const ra = real.host('a');
const rb = real.host('b');
ra.attach(rlan, { ipv4: '10.0.0.1/24' });
rb.attach(rlan, { ipv4: '10.0.0.2/24' });

const only = process.env.BENCH_ONLY;
async function both(name: string, unit: string, kernel: () => Promise<number>, usernet: () => Promise<number>, goal: number): Promise<void> {
  if (only !== undefined && !name.includes(only)) return;
  await compare(name, unit, kernel, usernet, { goal });
}

await both('http/1.1 keep-alive requests, two hosts (virtual clock) vs kernel loopback', 'requests',
  () => keepAlive(nodeHttp, nodeHttp, '127.0.0.1'), () => keepAlive(b.http, a.http, '10.0.0.2'), 1.0);
await both('http/1.1 keep-alive requests, two hosts (real clock) vs kernel loopback', 'requests',
  () => keepAlive(nodeHttp, nodeHttp, '127.0.0.1'), () => keepAlive(rb.http, ra.http, '10.0.0.2'), 1.0);
await both('https bulk download, two hosts vs kernel loopback', 'bytes',
  () => httpsBulk(nodeHttps, nodeHttps, '127.0.0.1', creds), () => httpsBulk(b.https, a.https, '10.0.0.2', creds), 0.8);
await both('http/2 streams on one h2c session, two hosts vs kernel loopback', 'streams',
  () => h2Streams(nodeHttp2, nodeHttp2, '127.0.0.1'), () => h2Streams(b.http2, a.http2, '10.0.0.2'), 0.8);
