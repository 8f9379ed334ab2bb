// Node's TLS, HTTPS and HTTP/2 timeouts and undici's connect timeout over a host's sockets run
// on the network's virtual clock: each fires at its virtual time, in a run that takes a few
// milliseconds of wall time (on Node's timers it would fire minutes of wall time later).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import { errors } from 'undici';
import { routedPair } from './helpers.js';

/**
 * The virtual time at which `p` settles: the network runs 100 ms at a time until it has (a
 * listening HTTP server keeps an unref'd check on the clock, so a run to idle would not end).
 */
async function settlesAt(world: ReturnType<typeof routedPair>['world'], p: Promise<unknown>): Promise<number> {
  let at = -1;
  p.then(() => { at = world.now(); }, () => { at = world.now(); });
  const end = world.now() + 60_000;
  while (at < 0 && world.now() < end) await world.run({ for: 100 });
  return at;
}

test('tls: the server\'s handshakeTimeout fires at its virtual time (tlsClientError ERR_TLS_HANDSHAKE_TIMEOUT)', async () => {
  const { world, a, b } = routedPair(21, false);
  const server = b.tls.createServer({ handshakeTimeout: 5000 }, () => assert.fail('no handshake'));
  server.listen(443);
  let started = -1;
  const err = new Promise<NodeJS.ErrnoException>((resolve) => server.on('tlsClientError', resolve));
  // A client that connects and never says hello.
  const raw = a.net.connect(443, 'b', () => { started = world.now(); });
  const at = await settlesAt(world, err);
  assert.equal((await err).code, 'ERR_TLS_HANDSHAKE_TIMEOUT');
  assert.ok(started >= 0);
  // Accepted when the client's ACK arrived (10 ms of latency each way on the wan), 5 s later.
  assert.ok(at - started >= 5000 && at - started < 5030, `timed out ${at - started} ms after the connect`);
  raw.destroy();
  server.close();
  await world.run();
});

test('tls: a TLS socket\'s setTimeout (tls.connect timeout) and an https server\'s timeout and keepAliveTimeout follow the virtual clock', async () => {
  const { world, a, b } = routedPair(22, false);
  const server = b.https.createServer({ keepAliveTimeout: 3000 }, (req, res) => res.end('ok'));
  server.listen(443);
  // tls.connect({ timeout }): 'timeout' after 7 s without traffic once connected.
  const c = a.tls.connect({ host: 'b', port: 443, servername: 'b', timeout: 7000 });
  let secureAt = -1;
  c.on('secureConnect', () => { secureAt = world.now(); });
  const idle = new Promise<void>((resolve) => c.once('timeout', () => resolve()));
  const idleAt = await settlesAt(world, idle);
  assert.ok(secureAt >= 0);
  // The last traffic is the server's session tickets just after the handshake.
  assert.ok(idleAt - secureAt >= 7000 && idleAt - secureAt < 7100, `'timeout' ${idleAt - secureAt} ms after secureConnect`);
  c.destroy();
  // keepAliveTimeout: the server closes an idle kept-alive connection 3 s after its response
  // (Node's lines since 20.x add 1 s to it, lib/_http_server.js HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER).
  const agent = new a.https.Agent({ keepAlive: true });
  let responded = -1;
  let sock: TLSSocket | null = null;
  const closed = new Promise<void>((resolve, reject) => {
    const req = a.https.get({ host: 'b', path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => { responded = world.now(); });
    });
    req.on('error', reject);
    req.on('socket', (s) => { sock = s as TLSSocket; s.once('close', () => resolve()); });
  });
  const closedAt = await settlesAt(world, closed);
  assert.ok(responded >= 0 && sock !== null);
  assert.ok((closedAt - responded >= 3000 && closedAt - responded < 3100) || (closedAt - responded >= 4000 && closedAt - responded < 4100), `closed ${closedAt - responded} ms after the response`);
  // server.setTimeout: an idle TLS connection's socket gets 'timeout' on the server after 4 s.
  server.setTimeout(4000);
  let connected = -1;
  const serverTimeout = new Promise<void>((resolve) => server.once('timeout', (s: TLSSocket) => { s.destroy(); resolve(); }));
  const c2 = a.tls.connect({ host: 'b', port: 443, servername: 'b' }, () => { connected = world.now(); });
  c2.on('error', () => {});
  const timeoutAt = await settlesAt(world, serverTimeout);
  assert.ok(connected >= 0);
  assert.ok(timeoutAt - connected >= 3900 && timeoutAt - connected < 4100, `server 'timeout' ${timeoutAt - connected} ms after the connect`);
  agent.destroy();
  server.close();
  await world.run();
});

test('http2: a session\'s timeout (server.setTimeout) fires at its virtual time, over h2 and h2c', async () => {
  const { world, a, b } = routedPair(23, false);
  const handler = (_req: unknown, res: import('node:http2').Http2ServerResponse): void => { res.end('ok'); };
  const secure = b.http2.createSecureServer({}, handler).listen(443);
  const plain = b.http2.createServer(handler).listen(80);
  for (const [server, url] of [[secure, 'https://b'], [plain, 'http://b']] as const) {
    server.setTimeout(6000);
    const session = a.http2.connect(url);
    let answered = -1;
    const req = session.request({ ':path': '/' });
    req.resume();
    req.on('end', () => { answered = world.now(); });
    // Node destroys a timed-out session only when the server has no 'timeout' listener.
    const timedOut = new Promise<void>((resolve) => server.once('timeout', (s: import('node:http2').Http2Session) => { s.destroy(); resolve(); }));
    const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    const at = await settlesAt(world, timedOut);
    await closed;
    assert.ok(answered >= 0, url);
    // The server session's last traffic is the stream's end (the client's ACK of it comes a round trip later).
    assert.ok(at - answered >= 5900 && at - answered < 6100, `${url}: session timeout ${at - answered} ms after the response`);
  }
  secure.close();
  plain.close();
  await world.run();
});

test('fetch: undici\'s connect timeout on the network\'s clock: ConnectTimeoutError when the server is partitioned away', async () => {
  const { world, a, b } = routedPair(24, false);
  const server = b.https.createServer((req, res) => res.end('ok')).listen(443);
  world.partition([a], [b]);
  const t0 = world.now();
  const failed = a.fetch('https://b/').then(() => assert.fail('fetched'), (e: Error) => e);
  const at = await settlesAt(world, failed);
  const err = (await failed) as Error & { cause?: Error & { code?: string } };
  assert.ok(err.cause instanceof errors.ConnectTimeoutError, String(err.cause));
  assert.equal(err.cause.code, 'UND_ERR_CONNECT_TIMEOUT');
  assert.match(err.cause.message, /^Connect Timeout Error \(attempted address: b:443, timeout: 10000ms\)$/);
  assert.ok(at - t0 >= 10000 && at - t0 < 10100, `failed after ${at - t0} ms`);
  // Set per dispatcher, as undici's connect.timeout.
  const d = a.createDispatcher({ connect: { timeout: 2500 } });
  const t1 = world.now();
  const again = a.fetch('https://b/', { dispatcher: d }).then(() => assert.fail('fetched'), (e: Error) => e);
  const at2 = await settlesAt(world, again);
  assert.ok(((await again) as Error & { cause?: Error }).cause instanceof errors.ConnectTimeoutError);
  assert.ok(at2 - t1 >= 2500 && at2 - t1 < 2600, `failed after ${at2 - t1} ms`);
  await Promise.all([d.close(), world.run({ for: 1000 })]);
  server.close();
  await Promise.all([a.dispatcher.close(), world.run()]);
});
