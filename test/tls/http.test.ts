// host.http, host.https, host.http2, host.fetch and host.dispatcher between two hosts through a
// router on a lossy, slow link, verification on with the network's CA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { request as undiciRequest } from 'undici';
import { collect, payload, routedPair, runUntil, sha256 } from './helpers.js';

const N = 16 << 20;

test('https: a 16 MiB upload and download, keep-alive agent; servers are Node\'s https.Server on the host', async () => {
  const { world, a, b } = routedPair(11);
  const up = payload(N, 'up');
  const down = payload(N, 'down');
  const server = b.https.createServer(async (req, res) => {
    const body = await collect(req);
    res.setHeader('x-got', sha256(body));
    res.end(down);
  }).listen(443);
  assert.ok(server instanceof https.Server && server instanceof tls.Server);
  const done = new Promise<{ body: Buffer; got: string; reused: boolean }>((resolve, reject) => {
    const req = a.https.request('https://b/upload', { method: 'POST' }, (res) => {
      collect(res).then((body) => resolve({ body, got: String(res.headers['x-got']), reused: req.reusedSocket }), reject);
    });
    req.on('error', reject);
    req.end(up);
  });
  const r = await runUntil(world, done, 120_000);
  assert.equal(r.got, sha256(up));
  assert.equal(sha256(r.body), sha256(down));
  // A second request reuses the pooled TLS connection.
  const again = new Promise<boolean>((resolve, reject) => {
    const req = a.https.get('https://b/again', (res) => { res.resume(); res.on('end', () => resolve(req.reusedSocket)); });
    req.on('error', reject);
  });
  const [reused] = await Promise.all([again, world.run({ for: '5s' })]);
  assert.equal(reused, true);
  a.https.globalAgent.destroy();
  server.close();
  await world.run();
});

test('http: Node\'s http.Server and Agent on two hosts; the hosts do not share agents', async () => {
  const { world, a, b } = routedPair(12);
  const server = b.http.createServer((req, res) => { res.end(`${req.method} ${req.url} from ${req.socket.remoteAddress}`); }).listen(80);
  assert.ok(server instanceof http.Server);
  assert.notEqual(a.http.globalAgent, b.http.globalAgent);
  assert.notEqual(a.http.globalAgent, http.globalAgent);
  const text = new Promise<string>((resolve, reject) => {
    a.http.get('http://b/x', (res) => collect(res).then((d) => resolve(String(d)), reject)).on('error', reject);
  });
  const [t] = await Promise.all([text, world.run({ for: '10s' })]);
  assert.equal(t, 'GET /x from ::ffff:10.0.1.1');
  a.http.globalAgent.destroy();
  server.close();
  await world.run();
});

test('http2: h2 with ALPN and h2c, 16 MiB each way on one stream', async () => {
  const { world, a, b } = routedPair(13);
  const up = payload(N, 'up');
  const down = payload(N, 'down');
  const handler = (req: import('node:http2').Http2ServerRequest, res: import('node:http2').Http2ServerResponse): void => {
    collect(req).then((body) => { res.setHeader('x-got', sha256(body)); res.end(down); });
  };
  const secure = b.http2.createSecureServer({}, handler).listen(443);
  const plain = b.http2.createServer(handler).listen(80);
  for (const url of ['https://b', 'http://b']) {
    const session = a.http2.connect(url);
    const req = session.request({ ':method': 'POST', ':path': '/' });
    req.end(up);
    const headers = new Promise<Record<string, unknown>>((resolve) => req.on('response', resolve));
    const [body, h] = await runUntil(world, Promise.all([collect(req), headers]), 120_000);
    assert.equal(h['x-got'], sha256(up), url);
    assert.equal(sha256(body), sha256(down), url);
    if (url.startsWith('https')) assert.equal((session.socket as tls.TLSSocket).alpnProtocol, 'h2');
    session.close();
  }
  secure.close();
  plain.close();
  await world.run();
});

test('fetch and undici.request through host.dispatcher: 16 MiB each way over https', async () => {
  const { world, a, b } = routedPair(14);
  const up = payload(N, 'up');
  const down = payload(N, 'down');
  const server = b.https.createServer(async (req, res) => {
    const body = await collect(req);
    res.setHeader('x-got', sha256(body));
    res.end(down);
  }).listen(443);
  const viaFetch = (async () => {
    const res = await a.fetch('https://b/f', { method: 'POST', body: up });
    return { got: res.headers.get('x-got'), body: Buffer.from(await res.arrayBuffer()) };
  })();
  const f = await runUntil(world, viaFetch, 120_000);
  assert.equal(f.got, sha256(up));
  assert.equal(sha256(f.body), sha256(down));
  const viaRequest = (async () => {
    const res = await undiciRequest('https://b/u', { method: 'PUT', body: up, dispatcher: a.dispatcher });
    return { got: res.headers['x-got'], body: Buffer.from(await res.body.arrayBuffer()) };
  })();
  const u = await runUntil(world, viaRequest, 120_000);
  assert.equal(u.got, sha256(up));
  assert.equal(sha256(u.body), sha256(down));
  await Promise.all([a.dispatcher.close(), world.run({ for: '1s' })]);
  server.close();
  await world.run();
});
