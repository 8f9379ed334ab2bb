// node:http2 on the network's virtual clock: a host server's `date` header is the host's wall
// clock, a stream's setTimeout, the secure server's unknownProtocolTimeout and (allowHTTP1) its
// HTTP/1 requests' headersTimeout fire at their virtual time, and ping()/settings() report the
// host's monotonic time. Each of them fails on Node's own clocks (the machine's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Network, type Host } from '../../src/index.js';
import { routedPair } from './helpers.js';

/** The virtual time at which `p` settles, running the network `step` ms at a time (-1 if not within 60 s). */
async function settlesAt(world: Network, p: Promise<unknown>, step = 100): Promise<number> {
  let at = -1;
  p.then(() => { at = world.now(); }, () => { at = world.now(); });
  const end = world.now() + 60_000;
  while (at < 0 && world.now() < end) await world.run({ for: step });
  return at;
}

const dir = mkdtempSync(join(tmpdir(), 'usernet-h2date-'));
const file = join(dir, 'f.txt');
writeFileSync(file, 'file\n');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Handlers by path: each answers in one of the ways Node adds (or does not add) a date. */
const handlers: Record<string, (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void> = {
  '/respond': (s) => { s.respond({ ':status': 200, 'x-one': '1', 'content-type': 'text/plain' }); s.end('a'); },
  '/respond-none': (s) => { s.respond(); s.end('b'); },
  '/own-date': (s) => { s.respond({ ':status': 200, date: 'Tue, 02 Jan 2024 00:00:00 GMT' }); s.end('c'); },
  '/no-date': (s) => { s.respond({ ':status': 200 }, { sendDate: false } as http2.ServerStreamResponseOptions); s.end('d'); },
  '/file': (s) => { s.respondWithFile(file, { 'content-type': 'text/plain' }); },
};

/** The compat API (request handler): through the stream's respond. */
function compat(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void {
  if (req.url === '/compat') { res.setHeader('x-two', '2'); res.end('e'); }
  else if (req.url === '/compat-no-date') { res.sendDate = false; res.end('f'); }
}

const paths = [...Object.keys(handlers), '/compat', '/compat-no-date'];

function serve(server: http2.Http2Server | http2.Http2SecureServer): void {
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => handlers[headers[':path'] as string]?.(stream, headers));
  server.on('request', compat);
}

/** Each path's response headers (names in order, the date's value), over one session. */
async function fetchAll(session: http2.ClientHttp2Session, run: (p: Promise<unknown>) => Promise<unknown>, clock = () => Date.now()): Promise<Array<[string[], string | undefined, number]>> {
  const out: Array<[string[], string | undefined, number]> = [];
  for (const path of paths) {
    const got = new Promise<[string[], string | undefined, number]>((resolve, reject) => {
      const req = session.request({ ':path': path });
      req.on('response', (h) => resolve([Object.keys(h), h.date as string | undefined, clock()]));
      req.on('error', reject);
      req.resume();
    });
    await run(got);
    out.push(await got);
  }
  return out;
}

test('http2: a host server\'s date header is the host\'s wall clock, where Node writes its own (h2c and h2)', async () => {
  // The kernel: the same headers in the same order, with the machine's date.
  const ks = http2.createServer();
  serve(ks);
  await new Promise<void>((r) => ks.listen(0, '127.0.0.1', r));
  const kc = http2.connect(`http://127.0.0.1:${(ks.address() as AddressInfo).port}`);
  const kernel = await fetchAll(kc, (p) => p);
  kc.close();
  ks.close();

  const world = new Network({ seed: 31, epoch: '2030-06-01T12:00:00Z' });
  const lan = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(lan, { ipv4: '10.0.0.1/24' });
  b.attach(lan, { ipv4: '10.0.0.2/24' });
  b.clock.set({ offset: '1h' });
  const plain = b.http2.createServer();
  serve(plain);
  plain.listen(80);
  const secure = b.http2.createSecureServer({});
  serve(secure);
  secure.listen(443);
  await world.sleep('90s');
  for (const url of ['http://b', 'https://b']) {
    const session = a.http2.connect(url);
    const virtual = await fetchAll(session, (p) => settlesAt(world, p, 5), () => b.clock.now());
    session.close();
    assert.deepEqual(virtual.map(([names]) => names), kernel.map(([names]) => names), `${url}: the same headers in the same order`);
    for (const [i, path] of paths.entries()) {
      const [, date, at] = virtual[i]!;
      // b's wall clock when the response arrived (sent a few ms before): epoch + 1 h offset + 90 s and on.
      const dated = [new Date(at).toUTCString(), new Date(at - 100).toUTCString()];
      if (path === '/no-date' || path === '/compat-no-date') assert.equal(date, undefined, path);
      else if (path === '/own-date') assert.equal(date, 'Tue, 02 Jan 2024 00:00:00 GMT');
      else assert.ok(dated.includes(date!) && date!.startsWith('Sat, 01 Jun 2030 13:0'), `${url}${path}: ${date}, not the host's wall clock (${dated[0]})`);
    }
  }
  plain.close();
  secure.close();
  await world.run();
  await world.close();
});

test('http2: a stream\'s setTimeout fires at its virtual time, on the client and on the server (compat req.setTimeout)', async () => {
  const { world, a, b } = routedPair(32, false);
  let serverStream: http2.ServerHttp2Stream | null = null;
  let serverTimedOut = -1;
  const server = b.http2.createServer((req) => {
    // Never answered; the server's own stream times out after 4 s without traffic.
    serverStream = req.stream;
    req.setTimeout(4000, () => { serverTimedOut = world.now(); });
  }).listen(80);
  const session = a.http2.connect('http://b');
  const req = session.request({ ':path': '/' });
  const sent = new Promise<number>((resolve) => req.on('ready', () => resolve(world.now())));
  const timedOut = new Promise<void>((resolve) => req.setTimeout(6000, () => resolve()));
  const at = await settlesAt(world, timedOut);
  const t0 = await sent;
  assert.ok(at - t0 >= 6000 && at - t0 < 6100, `client stream 'timeout' ${at - t0} ms after the request`);
  assert.ok(serverStream !== null);
  // The request reached b 10 ms (two wire hops and the router) after it was sent.
  assert.ok(serverTimedOut - t0 >= 4000 && serverTimedOut - t0 < 4100, `server stream 'timeout' ${serverTimedOut - t0} ms after the request`);
  req.close();
  session.close();
  server.close();
  await world.run();
  await world.close();
});

/** a and b on one link with 15 ms of latency each way. */
function slowLink(seed: number): { world: Network; a: Host; b: Host } {
  const world = new Network({ seed });
  const a = world.host('a');
  const b = world.host('b');
  world.link(a, b, { ipv4: ['10.9.0.1/30', '10.9.0.2/30'] }).impair({ latency: '15ms' });
  return { world, a, b };
}

test('http2: ping() and settings() report what the round trip took on the host\'s monotonic clock (its drift included)', async () => {
  const { world, a, b } = slowLink(33);
  const server = b.http2.createServer().listen(80);
  const session = a.http2.connect('http://10.9.0.2');
  await settlesAt(world, new Promise((r) => session.once('connect', r)));
  await world.sleep('1s');
  const ping = new Promise<[Error | null, number, Buffer]>((resolve) => session.ping(Buffer.from('abcdefgh'), (err, duration, payload) => resolve([err, duration, payload])));
  await settlesAt(world, ping);
  const [err, duration, payload] = await ping;
  assert.equal(err, null);
  assert.equal(payload.toString(), 'abcdefgh');
  assert.ok(duration >= 30 && duration < 31, `ping took ${duration} ms (15 ms each way)`);
  // A host whose clock runs 10% fast measures 10% more.
  a.clock.set({ drift: 100_000 });
  const settings = new Promise<[Error | null, number]>((resolve) => session.settings({ enablePush: false }, (e, _s, d) => resolve([e, d])));
  await settlesAt(world, settings);
  const [err2, took] = await settings;
  assert.equal(err2, null);
  assert.ok(took >= 33 && took < 34, `settings acknowledged after ${took} ms of the host's clock`);
  // A ping without a callback is still Node's argument error.
  assert.throws(() => session.ping(undefined as never), { code: 'ERR_INVALID_ARG_TYPE' });
  session.close();
  server.close();
  await world.run();
  await world.close();
});

test('http2: a secure server destroys a TLS client that negotiated no h2 after unknownProtocolTimeout of the network\'s time', async () => {
  const { world, a, b } = slowLink(34);
  const server = b.http2.createSecureServer({ unknownProtocolTimeout: 3000 }).listen(443);
  let accepted = -1;
  const serverClosed = new Promise<void>((resolve) => server.on('secureConnection', (s: import('node:tls').TLSSocket) => {
    accepted = world.now();
    s.once('close', () => resolve());
  }));
  // A client that offers no ALPN, reads Node's 403 and keeps its side open (allowHalfOpen).
  const c = a.tls.connect({ host: '10.9.0.2', port: 443, servername: 'b', allowHalfOpen: true } as import('node:tls').ConnectionOptions);
  let got = '';
  c.setEncoding('utf8');
  c.on('data', (d: string) => { got += d; });
  c.on('error', () => {});
  // In steps of 5 ms: a socket's 'close' comes in the immediate after its destroy, once time has moved on.
  const closedAt = await settlesAt(world, serverClosed, 5);
  assert.match(got, /^HTTP\/1\.0 403 Forbidden\r\n/);
  assert.ok(accepted >= 0);
  assert.ok(closedAt - accepted >= 3000 && closedAt - accepted < 3010, `destroyed ${closedAt - accepted} ms after the connection`);
  c.destroy();
  server.close();
  await world.run();
  await world.close();
});

test('http2: allowHTTP1 — a secure server\'s HTTP/1 requests get the host\'s Date and its headersTimeout on the network\'s clock', async () => {
  const world = new Network({ seed: 35, epoch: '2030-06-01T12:00:00Z' });
  const a = world.host('a');
  const b = world.host('b');
  world.link(a, b, { ipv4: ['10.9.0.1/30', '10.9.0.2/30'] });
  const server = b.http2.createSecureServer({ allowHTTP1: true }, (_req, res) => res.end('ok'));
  // Node sets these on a secure server with allowHTTP1 (its types do not show them).
  Object.assign(server, { headersTimeout: 2000, connectionsCheckingInterval: 1000 });
  server.listen(443);
  await world.sleep('10s');
  const got = new Promise<string | undefined>((resolve, reject) => {
    a.https.get({ host: '10.9.0.2', servername: 'b', path: '/', ALPNProtocols: ['http/1.1'] } as object, (res) => { res.resume(); resolve(res.headers.date); }).on('error', reject);
  });
  await settlesAt(world, got);
  assert.equal(await got, 'Sat, 01 Jun 2030 12:00:10 GMT');
  // Headers that never end: 408 at the first check more than 2 s after the first byte.
  const c = a.tls.connect({ host: '10.9.0.2', port: 443, servername: 'b', ALPNProtocols: ['http/1.1'] }, () => c.write('GET / HTTP/1.1\r\nHost: b\r\n'));
  let sentAt = -1;
  let reply = '';
  c.on('secureConnect', () => { sentAt = world.now(); });
  c.setEncoding('utf8');
  c.on('data', (d: string) => { reply += d; });
  c.on('error', () => {});
  const at = await settlesAt(world, new Promise((r) => c.once('data', r)));
  assert.match(reply, /^HTTP\/1\.1 408 Request Timeout\r\n/, reply);
  assert.ok(at - sentAt > 2000 && at - sentAt <= 3100, `408 ${at - sentAt} ms after the first byte`);
  c.destroy();
  await a.https.globalAgent.destroy();
  server.close();
  await world.run();
  await world.close();
});
