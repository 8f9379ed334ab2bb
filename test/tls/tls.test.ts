// host.tls between two hosts through a router, with the network's CA and verification on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import { Network } from '../../src/index.js';
import { collect, payload, routedPair, sha256 } from './helpers.js';

test('tls: 16 MiB each way byte-identical through a router on a lossy, slow link; certificate from world.ca', async () => {
  const { world, a, b } = routedPair();
  const N = 16 << 20;
  const up = payload(N, 'up');
  const down = payload(N, 'down');
  let serverGot: Promise<Buffer> | null = null;
  let serverSide: TLSSocket | null = null;
  const server = b.tls.createServer({ ALPNProtocols: ['x-test', 'h2'] }, (s) => {
    serverSide = s;
    serverGot = collect(s);
    s.end(down);
  }).listen(443);
  const c = a.tls.connect(443, 'b', { servername: 'b', ALPNProtocols: ['x-test'] });
  let protocol: string | null = null;
  let cert: ReturnType<TLSSocket['getPeerCertificate']> | null = null;
  let peerAddress: [string | undefined, number | undefined] = [undefined, undefined];
  c.on('secureConnect', () => { protocol = c.getProtocol(); cert = c.getPeerCertificate(); peerAddress = [c.remoteAddress, c.remotePort]; });
  c.end(up);
  const [got] = await Promise.all([collect(c), world.run()]);
  assert.equal(got.length, N);
  assert.equal(sha256(got), sha256(down));
  const sg = await serverGot!;
  assert.equal(sg.length, N);
  assert.equal(sha256(sg), sha256(up));
  assert.equal(c.authorized, true);
  assert.equal(c.encrypted, true);
  assert.equal(protocol, 'TLSv1.3');
  assert.equal(c.alpnProtocol, 'x-test');
  assert.equal(serverSide!.servername, 'b');
  assert.equal(serverSide!.alpnProtocol, 'x-test');
  assert.ok(cert !== null);
  const peer = cert as ReturnType<TLSSocket['getPeerCertificate']>;
  assert.equal(peer.subject.CN, 'b');
  assert.match(peer.subjectaltname ?? '', /DNS:b, DNS:localhost, IP Address:127\.0\.0\.1, .*IP Address:192\.0\.2\.2/);
  assert.equal(peer.issuer.CN, 'usernet CA (seed 5)');
  assert.deepEqual(peerAddress, ['192.0.2.2', 443]);
  assert.ok(world.now() > 100, 'the transfer took virtual time on the slow link');
  server.close();
});

test('tls: verification is on: a name the certificate lacks is refused, an untrusted client is refused', async () => {
  const { world, a, b } = routedPair(6, false);
  const server = b.tls.createServer((s) => s.end('x')).listen(443);
  const errs: Array<NodeJS.ErrnoException> = [];
  const c1 = a.tls.connect({ host: '192.0.2.2', port: 443, servername: 'elsewhere' });
  c1.on('error', (e) => errs.push(e));
  // A CA of another network: not trusted by b's network.
  const other = new Network({ seed: 99 }).ca;
  const c2 = a.tls.connect({ host: 'b', port: 443, ca: other.cert });
  c2.on('error', (e) => errs.push(e));
  await world.run();
  // b sends its chain (its certificate and the network's CA): a CA of its own name is not trusted.
  assert.deepEqual(errs.map((e) => e.code).sort(), ['ERR_TLS_CERT_ALTNAME_INVALID', 'SELF_SIGNED_CERT_IN_CHAIN']);
  server.close();
});

test('tls: half-close keeps every byte: the client ends with 1 MiB, the server echoes all of it', async () => {
  const { world, a, b } = routedPair(7, false);
  const N = 1 << 20;
  const data = payload(N, 'half');
  // The server's raw socket has allowHalfOpen false, as net.Server's default.
  const raw = b.net.createServer((sock) => {
    const s = new b.tls.TLSSocket(sock, { isServer: true, ...world.ca.issue('b') });
    s.pipe(s);
  }).listen(443);
  const c = a.tls.connect({ socket: a.net.connect(443, 'b'), servername: 'b' });
  c.end(data);
  const [got] = await Promise.all([collect(c), world.run()]);
  assert.equal(got.length, N);
  assert.equal(sha256(got), sha256(data));
  raw.close();
});

test('tls: destroy midway: both sides close, the server sees the connection go', async () => {
  const { world, a, b } = routedPair(8, false);
  let serverClosed = false;
  let serverBytes = 0;
  const server = b.tls.createServer((s) => {
    s.on('data', (d: Buffer) => { serverBytes += d.length; });
    s.on('error', () => {});
    s.on('close', () => { serverClosed = true; });
  }).listen(443);
  const c = a.tls.connect(443, 'b', { servername: 'b' }, () => {
    c.write(payload(64 << 10, 'mid'), () => c.destroy());
  });
  let clientClosed = false;
  c.on('close', () => { clientClosed = true; });
  await world.run();
  assert.ok(clientClosed && serverClosed);
  assert.ok(serverBytes <= 64 << 10);
  assert.deepEqual(b.ss().filter((r) => r.proto === 'tcp' && r.state === 'ESTAB'), []);
  server.close();
});

test('tls: renegotiation is refused by a server that disables it; TLS 1.2 sessions resume', async () => {
  const { world, a, b } = routedPair(9, false);
  const serverErrors: string[] = [];
  const accepted: TLSSocket[] = [];
  const server = b.tls.createServer({ maxVersion: 'TLSv1.2' }, (s) => {
    accepted.push(s);
    s.disableRenegotiation();
    s.on('error', (e: NodeJS.ErrnoException) => serverErrors.push(e.code!));
    s.write('ok');
  }).listen(443);
  let session: Buffer | undefined;
  const first = a.tls.connect(443, 'b', { servername: 'b' });
  first.once('data', () => first.renegotiate({}, () => {}));
  first.on('session', (s: Buffer) => { session = s; });
  first.on('error', () => {});
  await world.run();
  assert.deepEqual(serverErrors, ['ERR_TLS_RENEGOTIATION_DISABLED']);
  assert.ok(session);
  const second = a.tls.connect(443, 'b', { servername: 'b', session }, () => second.end());
  let reused: boolean | undefined;
  second.on('secureConnect', () => { reused = second.isSessionReused(); });
  second.on('error', () => {});
  await world.run();
  assert.equal(reused, true);
  first.destroy();
  for (const s of accepted) s.destroy();
  server.close();
  await world.run();
});
