// node:http keep-alive on the virtual clock, with wall-time pauses in the client (real work it
// awaits): the same events as over the kernel's loopback. Before one clock, virtual time jumped
// over the client's pause to the server's 5 s keepAliveTimeout and the next request was lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { Network, type Host } from '../../src/index.js';

type Connect = (port: number, host: string) => net.Socket;

/** One client's story: requests on a keep-alive agent, wall-time pauses, then a pause past the server's keep-alive timeout. */
async function story(hs: http.Server, connect: Connect, host: string, port: number): Promise<string[]> {
  const log: string[] = [];
  const sockets: net.Socket[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  (agent as unknown as { createConnection: Connect }).createConnection = (o: unknown) => {
    const { port: p, host: h } = o as { port: number; host: string };
    const s = connect(p, h);
    sockets.push(s);
    s.on('close', () => log.push(`socket ${sockets.indexOf(s)} closed`));
    return s;
  };
  const get = (path: string) => new Promise<void>((resolve, reject) => {
    const req = http.get({ agent, host, port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => { log.push(`${path}: ${res.statusCode} ${body} on socket ${sockets.indexOf(req.socket as net.Socket)}`); resolve(); });
    });
    req.on('error', (e) => { log.push(`${path}: ${(e as NodeJS.ErrnoException).code}`); reject(e); });
  });
  const wallPause = () => new Promise((r) => execFile(process.execPath, ['-e', 'setTimeout(() => {}, 30)'], r));
  await get('/1');
  await wallPause();
  await get('/2');
  await wallPause();
  await wallPause();
  await get('/3');
  hs.keepAliveTimeout = 200;
  await get('/4');
  await new Promise((r) => setTimeout(r, 400)); // past the keep-alive timeout: the server closes the idle connection
  await get('/5');
  agent.destroy();
  while (log.filter((l) => l.endsWith('closed')).length < sockets.length) await new Promise((r) => setImmediate(r));
  return log;
}

/** Hosts a (10.0.0.1) and b (10.0.0.2) on one switch. */
function twoHosts(world: Network): [Host, Host] {
  const lan = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(lan, { ipv4: '10.0.0.1/24' });
  b.attach(lan, { ipv4: '10.0.0.2/24' });
  return [a, b];
}

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.end(`hello ${req.url}`);
}

test('node:http keep-alive with default timeouts and wall-time pauses: same events on the virtual clock as on the kernel', async () => {
  // The kernel.
  const hs = http.createServer(handler);
  await new Promise<void>((r) => hs.listen(0, '127.0.0.1', r));
  const port = (hs.address() as net.AddressInfo).port;
  const kernel = await story(hs, (p, h) => net.connect(p, h), '127.0.0.1', port);
  await new Promise((r) => hs.close(r));

  // Two hosts on the virtual clock: the server's and the client's code run as their hosts.
  const world = new Network({ seed: 5 });
  const [a, b] = twoHosts(world);
  const [vhs, listener] = b.run(({ net: bnet }) => {
    const s = http.createServer(handler);
    return [s, bnet.createServer((c) => s.emit('connection', c)).listen(80)] as const;
  });
  const t0 = world.now();
  const virtual = await a.run(({ net: anet }) => story(vhs, (p, h) => anet.connect(p, h) as unknown as net.Socket, '10.0.0.2', 80));
  assert.deepEqual(virtual, kernel);
  assert.deepEqual(virtual.slice(0, 5), ['/1: 200 hello /1 on socket 0', '/2: 200 hello /2 on socket 0', '/3: 200 hello /3 on socket 0', '/4: 200 hello /4 on socket 0', 'socket 0 closed']);
  // The wall-time pauses took no virtual time; the 400 ms timer did.
  const took = world.now() - t0;
  assert.ok(took >= 400 && took < 450, `virtual time taken: ${took} ms`);
  listener.close();
  vhs.close();
});

/** A host server with `opts`, a raw client on another host that sends `sent` and waits: what it receives, when, and when the connection closed. */
async function stalled(opts: http.ServerOptions, sent: string): Promise<{ got: string; at: number; closedAt: number; wall: number }> {
  const world = new Network({ seed: 1 });
  const [a, b] = twoHosts(world);
  // GETs are answered; a POST's body is waited for, never answered.
  const server = b.run(() => b.http.createServer(opts, (req, res) => { if (req.method === 'GET') res.end('ok'); }).listen(80));
  const wall0 = performance.now();
  const r = await a.run(({ net: anet }) => new Promise<{ got: string; at: number; closedAt: number }>((resolve) => {
    let got = '';
    let at = -1;
    const t0 = performance.now(); // the host's clock
    const c = anet.connect(80, '10.0.0.2', () => c.write(sent));
    c.setEncoding('utf8');
    c.on('data', (d: string) => { got += d; if (at < 0) at = performance.now() - t0; });
    c.on('error', () => {});
    // The client gives up after 400 s (a ref'd timer: virtual time moves on to it, through the
    // server's unref'd checks, as the process stays alive on the kernel).
    const giveUp = setTimeout(() => c.destroy(), 400_000);
    c.on('close', () => { clearTimeout(giveUp); resolve({ got, at, closedAt: performance.now() - t0 }); });
  }));
  const wall = performance.now() - wall0;
  server.close();
  await world.close();
  return { ...r, wall };
}

test('a host server\'s default headersTimeout (60 s, checked every 30 s) times a stalled request out on the network\'s clock: 408', async () => {
  const r = await stalled({}, 'GET / HTTP/1.1\r\nHost: b\r\n');
  assert.match(r.got, /^HTTP\/1\.1 408 Request Timeout\r\n/, JSON.stringify(r));
  // Node's rule: expired at the first check (every 30 s from 'listening') more than 60 s after the first byte.
  assert.ok(r.at > 60_000 && r.at <= 90_100, `408 after ${r.at} ms of the network's time`);
  assert.ok(r.closedAt - r.at < 100, `closed ${r.closedAt - r.at} ms after`);
  assert.ok(r.wall < 30_000, `wall ${r.wall} ms`);
});

test('a host server\'s requestTimeout and connectionsCheckingInterval hold on the network\'s clock: a body that stalls gets a 408 after requestTimeout', async () => {
  const r = await stalled({ requestTimeout: 10_000, headersTimeout: 5_000, connectionsCheckingInterval: 1_000 },
    'POST / HTTP/1.1\r\nHost: b\r\nContent-Length: 10\r\n\r\nhello');
  assert.match(r.got, /^HTTP\/1\.1 408 Request Timeout\r\n/, JSON.stringify(r));
  assert.ok(r.at > 10_000 && r.at <= 11_100, `408 after ${r.at} ms of the network's time`);
});

test('a request that completes in time is not timed out, however long the connection then stays idle', async () => {
  const r = await stalled({ requestTimeout: 10_000, headersTimeout: 5_000, connectionsCheckingInterval: 1_000, keepAliveTimeout: 60_000 },
    'GET / HTTP/1.1\r\nHost: b\r\n\r\n');
  assert.match(r.got, /^HTTP\/1\.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n/, 'the Date of the network\'s clock (its epoch)');
  assert.doesNotMatch(r.got, /408/);
  // Closed by the keep-alive timeout (a socket timeout, plus Node's 1 s of slack), not by the request checks.
  assert.ok(r.closedAt >= 60_000 && r.closedAt < 62_000, `closed after ${r.closedAt} ms`);
});

test('a host server\'s Date header is the host\'s wall clock, where Node writes its own (same bytes as on the kernel but the date)', async () => {
  const handlers: Array<[string, http.RequestListener]> = [
    ['/plain', (_req, res) => res.end('a')],
    ['/set', (_req, res) => { res.setHeader('X-One', '1'); res.setHeader('Content-Type', 'text/plain'); res.end('b'); }],
    ['/head-obj', (_req, res) => { res.writeHead(201, { 'X-Two': '2' }); res.end('c'); }],
    ['/head-arr', (_req, res) => { res.writeHead(202, ['X-Three', '3', 'X-Four', '4']); res.end('d'); }],
    ['/own-date', (_req, res) => { res.setHeader('Date', 'Tue, 02 Jan 2024 00:00:00 GMT'); res.end('e'); }],
    ['/no-date', (_req, res) => { res.sendDate = false; res.end('f'); }],
    ['/chunked', (_req, res) => { res.write('g'); res.end('h'); }],
  ];
  const handler: http.RequestListener = (req, res) => handlers.find(([p]) => p === req.url)![1](req, res);
  const raw = (connect: () => net.Socket, path: string) => new Promise<string>((resolve) => {
    let got = '';
    const c = connect();
    c.setEncoding('utf8');
    c.on('connect', () => c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    c.on('data', (d: string) => { got += d; });
    c.on('close', () => resolve(got));
  });
  const hs = http.createServer(handler);
  await new Promise<void>((r) => hs.listen(0, '127.0.0.1', r));
  const port = (hs.address() as net.AddressInfo).port;
  const kernel: string[] = [];
  for (const [p] of handlers) kernel.push(await raw(() => net.connect(port, '127.0.0.1'), p));
  hs.close();

  const world = new Network({ seed: 2, epoch: '2030-06-01T12:00:00Z' });
  const [a, b] = twoHosts(world);
  b.clock.set({ offset: '1h' });
  const vs = b.run(() => b.http.createServer(handler).listen(80));
  await world.sleep('90s');
  const virtual: string[] = [];
  for (const [p] of handlers) virtual.push(await a.run(({ net: anet }) => raw(() => anet.connect(80, '10.0.0.2') as unknown as net.Socket, p)));
  vs.close();
  await world.close();
  const mask = (s: string) => s.replace(/^Date: (?!Tue, 02 Jan 2024).*$/m, 'Date: <date>');
  assert.deepEqual(virtual.map(mask), kernel.map(mask));
  for (const [i, [p]] of handlers.entries()) {
    const date = /^Date: (.*)\r$/m.exec(virtual[i]!)?.[1];
    if (p === '/no-date') assert.equal(date, undefined);
    else if (p === '/own-date') assert.equal(date, 'Tue, 02 Jan 2024 00:00:00 GMT');
    else assert.equal(date, 'Sat, 01 Jun 2030 13:01:30 GMT', `${p}: the host's wall clock (epoch + 1 h offset + 90 s)`);
  }
});

test('an idle listening host http server leaves world.run() free to return; a request begun later is still timed out on Node\'s interval', async () => {
  const world = new Network({ seed: 5 });
  const [a, b] = twoHosts(world);
  const hs = b.run(() => b.http.createServer({ headersTimeout: 2_000, requestTimeout: 3_000, connectionsCheckingInterval: 1_000 }, handler));
  b.run(() => hs.listen(80));
  // No request in progress: nothing of the server's is scheduled, as Node's check finds nothing then.
  const ran = await Promise.race([world.run().then(() => 'returned'), new Promise<string>((r) => setTimeout(() => r('still running'), 10_000))]);
  assert.equal(ran, 'returned');
  const start = world.now();
  const c = a.net.connect(80, '10.0.0.2');
  let got = '';
  let at = -1;
  c.on('data', (d: Buffer) => { got += d.toString('latin1'); if (at < 0) at = world.now() - start; });
  c.on('error', () => {});
  c.write('GET / HTTP/1.1\r\nHost: b\r\n');
  await world.run({ for: 10_000 });
  assert.match(got, /^HTTP\/1\.1 408 Request Timeout\r\n/, got);
  // headersTimeout 2 s after the first byte, found at a check of the 1 s interval that began at 'listening'.
  assert.ok(at > 2_000 && at <= 3_100, `408 after ${at} ms`);
  c.destroy();
  hs.close();
  await world.close();
});
