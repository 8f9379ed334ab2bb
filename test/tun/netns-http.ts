// Inside a fresh network namespace (see netns.ts): HTTP between the Linux kernel and a usernet
// host over a TUN device, IPv4 and IPv6, both ways.
//  - kernel -> usernet: `curl` GETs a body from, and POSTs a body to, a node:http server whose
//    connections come from usernet's host.net (http.Server fed through 'connection').
//  - usernet -> kernel: node:http requests whose sockets come from host.net (createConnection)
//    GET a file from `python3 -m http.server` bound to the kernel's address in the namespace.
// Each side hashes what it received (SHA-256). Prints `RESULT {...}` or `SKIP <reason>`.

import http from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { Network } from '../../src/world/network.js';
import { needCommands, run, settledStats, start, tunSide, until } from './netns-tools.js';

needCommands('curl', 'python3');
const SIZE = 1 << 20;

/** Deterministic bytes that are not all alike (a SHA-256 counter stream). */
function body(n: number, seed: string): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0, off = 0; off < n; i++) off += createHash('sha256').update(`${seed}:${i}`).digest().copy(out, off);
  return out;
}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const world = new Network({ clock: 'real', seed: 3 });
const h = world.host('u');
const { dev, iface } = tunSide(world, h, {
  name: 'uhttp0', ipv4: '10.77.0.2/24', ipv6: 'fd77::2/64', kernelIpv4: '10.77.0.1/24', kernelIpv6: 'fd77::1/64',
});
const dir = mkdtempSync(join(tmpdir(), 'usernet-http-'));
const r: Record<string, unknown> = { name: dev.name };

// usernet's HTTP server: node:http, connections from host.net.
const served = body(SIZE, 'usernet');
r.servedSha = sha(served);
const peers: string[] = [];
const httpServer = http.createServer((req, res) => {
  peers.push(`${req.socket.remoteAddress} ${req.method} ${req.url}`);
  if (req.method === 'GET' && req.url === '/blob') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': served.length });
    res.end(served);
    return;
  }
  if (req.method === 'POST' && req.url === '/upload') {
    const hash = createHash('sha256');
    let n = 0;
    req.on('data', (c: Buffer) => { hash.update(c); n += c.length; });
    req.on('end', () => { res.end(`${n} ${hash.digest('hex')}`); });
    return;
  }
  res.writeHead(404).end();
});
const listener = h.net.createServer((s) => { httpServer.emit('connection', s); });
await new Promise<void>((res) => listener.listen(8080, () => res()));

// kernel -> usernet: curl GET and POST, IPv4 and IPv6.
const upload = body(SIZE, 'kernel');
r.uploadSha = sha(upload);
writeFileSync(join(dir, 'upload'), upload);
for (const [fam, host] of [['4', '10.77.0.2'], ['6', '[fd77::2]']] as const) {
  const out = join(dir, `got${fam}`);
  const get = await run('curl', ['-sS', '-g', '--max-time', '20', '-o', out, '-w', '%{http_code} %{size_download}', `http://${host}:8080/blob`], 25000);
  let gotSha = '';
  try { gotSha = sha(readFileSync(out)); } catch { /* curl wrote nothing */ }
  const post = await run('curl', ['-sS', '-g', '--max-time', '20', '--data-binary', `@${join(dir, 'upload')}`,
    '-H', 'content-type: application/octet-stream', `http://${host}:8080/upload`], 25000);
  r[`curl${fam}`] = { get, gotSha, post };
}
r.peers = peers;

// usernet -> kernel: python3's http.server on each of the kernel's addresses.
const file = body(SIZE, 'python');
r.fileSha = sha(file);
writeFileSync(join(dir, 'file'), file);
for (const [fam, addr] of [['4', '10.77.0.1'], ['6', 'fd77::1']] as const) {
  const port = fam === '4' ? 8004 : 8006;
  const srv = start('python3', ['-u', '-m', 'http.server', '--bind', addr, '--directory', dir, String(port)]);
  await until(() => /Serving HTTP/.test(srv.output()), 15000);
  r[`node${fam}`] = await new Promise((resolve) => {
    const req = http.get({
      host: addr, port, path: '/file', family: Number(fam),
      createConnection: () => h.net.connect({ host: addr, port }) as unknown as Socket,
    }, (res) => {
      const hash = createHash('sha256');
      let n = 0;
      res.on('data', (c: Buffer) => { hash.update(c); n += c.length; });
      res.on('end', () => resolve({ ok: true, status: res.statusCode, bytes: n, sha: hash.digest('hex') }));
      res.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
    req.on('error', (e) => resolve({ ok: false, error: e.message }));
    req.setTimeout(20000, () => req.destroy(new Error('timed out')));
  });
  srv.child.kill();
  await srv.exited;
  r[`pythonLog${fam}`] = srv.output().split('\n').filter((l) => l.includes('GET')).map((l) => l.split(' ')[0]);
}

listener.close();
httpServer.close();
// Both counters together, once the device has written what the interface sent.
Object.assign(r, await settledStats(dev, iface));
dev.close();
rmSync(dir, { recursive: true, force: true });
console.log(`RESULT ${JSON.stringify(r)}`);
process.exit(0);
