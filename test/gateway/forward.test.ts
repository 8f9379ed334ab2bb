// world.forward: a real listening port on 127.0.0.1 that leads to a virtual server. Real clients
// (curl when it is on PATH, node:http, node:net, node:dgram) only ever talk to loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { execFile, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { Network } from '../../src/world/network.js';
import type { NetSocket } from '../../src/node/net.js';

const hasCurl = spawnSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).status === 0;

function setup() {
  const world = new Network({ clock: 'real', seed: 9 });
  const lan = world.switch('lan');
  const a = world.host('a');
  a.attach(lan, { ipv4: '10.0.0.1/24' });
  const web = world.host('web');
  web.attach(lan, { ipv4: '10.0.0.80/24' });
  return { world, a, web };
}

/** A node:http server on the virtual host, fed with host.net's connections; returns the peers it saw. */
function virtualHttp(host: ReturnType<typeof setup>['web'], port: number): { close(): void; peers: string[] } {
  const peers: string[] = [];
  const hs = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello from ${host.name}, you asked for ${req.url}\n`);
  });
  const ns = host.net.createServer((s: NetSocket) => { peers.push(`${s.remoteAddress}`); hs.emit('connection', s); });
  ns.listen(port);
  return { close: () => { ns.close(); hs.close(); }, peers };
}

function realGet(port: number, path: string): Promise<{ status: number; body: string }> {
  if (hasCurl) {
    return new Promise((resolve, reject) => {
      execFile('curl', ['-sS', '--max-time', '5', '-w', '\n%{http_code}', `http://127.0.0.1:${port}${path}`], (err, stdout) => {
        if (err) { reject(err); return; }
        const i = stdout.lastIndexOf('\n');
        resolve({ status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) });
      });
    });
  }
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

test(`${hasCurl ? 'curl' : 'node:http (curl is not on PATH)'} fetches a page from a virtual node:http server through a forwarded port`, { timeout: 20_000 }, async () => {
  const { world, web } = setup();
  const srv = virtualHttp(web, 80);
  const fwd = await world.forward(0, web, 80);
  try {
    assert.equal(fwd.address, '127.0.0.1');
    assert.ok(fwd.port > 0);
    const r1 = await realGet(fwd.port, '/index.html');
    assert.equal(r1.status, 200);
    assert.equal(r1.body, 'hello from web, you asked for /index.html\n');
    const r2 = await realGet(fwd.port, '/second');
    assert.equal(r2.body, 'hello from web, you asked for /second\n');
    // By default the connection is made by the server's host itself, over its loopback (the
    // server listens on the dual-stack ::, so IPv4 peers show as mapped addresses, as in Node).
    assert.deepEqual(srv.peers, ['::ffff:127.0.0.1', '::ffff:127.0.0.1']);
    const st = fwd.stats();
    assert.equal(st.opened, 2);
    assert.ok(st.bytesToVirtual > 0 && st.bytesToReal > 0);
  } finally {
    await fwd.close();
    srv.close();
  }
});

test('from another host: the connection crosses the virtual LAN to the server\'s address', { timeout: 20_000 }, async () => {
  const { world, a, web } = setup();
  const srv = virtualHttp(web, 8080);
  const fwd = await world.forward(0, web, 8080, { from: a });
  try {
    const r = await realGet(fwd.port, '/x');
    assert.equal(r.body, 'hello from web, you asked for /x\n');
    assert.deepEqual(srv.peers, ['::ffff:10.0.0.1']);
  } finally {
    await fwd.close();
    srv.close();
  }
});

test('nothing listening on the virtual port: the real client\'s connection is reset', { timeout: 20_000 }, async () => {
  const { world, web } = setup();
  const fwd = await world.forward(0, web, 81);
  try {
    const c = net.connect(fwd.port, '127.0.0.1');
    c.write('hello?');
    const [err] = await once(c, 'error') as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
    assert.equal(fwd.stats().refused, 1);
  } finally {
    await fwd.close();
  }
});

test('half-close through a forwarded port: the real client\'s FIN reaches the virtual server, which answers, then FINs', { timeout: 20_000 }, async () => {
  const { world, web } = setup();
  const ns = web.net.createServer({ allowHalfOpen: true }, (s: NetSocket) => {
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => { got += d; });
    s.on('end', () => s.end(`you said ${got}`));
  });
  ns.listen(7);
  const fwd = await world.forward(0, web, 7);
  try {
    const c = net.connect({ port: fwd.port, host: '127.0.0.1', allowHalfOpen: true });
    let reply = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => { reply += d; });
    c.end('ping');
    await once(c, 'end');
    assert.equal(reply, 'you said ping');
  } finally {
    await fwd.close();
    ns.close();
  }
});

test('a virtual server\'s reset reaches the real client as ECONNRESET', { timeout: 20_000 }, async () => {
  const { world, web } = setup();
  const ns = web.net.createServer((s: NetSocket) => { s.once('data', () => s.resetAndDestroy()); });
  ns.listen(9);
  const fwd = await world.forward(0, web, 9);
  try {
    const c = net.connect(fwd.port, '127.0.0.1');
    await once(c, 'connect');
    c.write('x');
    const [err] = await once(c, 'error') as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
  } finally {
    await fwd.close();
    ns.close();
  }
});

test('UDP forwarding: a real dgram client gets the virtual echo server\'s reply', { timeout: 20_000 }, async () => {
  const { world, web } = setup();
  const vs = web.dgram.createSocket('udp4');
  const seen: string[] = [];
  vs.on('message', (m, r) => { seen.push(`${r.address}`); vs.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address); });
  vs.bind(53);
  await once(vs, 'listening');
  const fwd = await world.forward(0, web, 53, { protocol: 'udp' });
  const c = dgram.createSocket('udp4');
  try {
    assert.equal(fwd.protocol, 'udp');
    c.send('q1', fwd.port, '127.0.0.1');
    const [m1] = await once(c, 'message') as [Buffer];
    assert.equal(m1.toString(), 'echo:q1');
    c.send('q2', fwd.port, '127.0.0.1');
    const [m2] = await once(c, 'message') as [Buffer];
    assert.equal(m2.toString(), 'echo:q2');
    assert.deepEqual(seen, ['127.0.0.1', '127.0.0.1']);
    const st = fwd.stats();
    assert.equal(st.active, 1);
    assert.equal(st.opened, 1);
    assert.equal(st.datagramsToVirtual, 2);
    assert.equal(st.datagramsToReal, 2);
  } finally {
    c.close();
    await fwd.close();
    vs.close();
  }
});

test('forward needs the real clock and checks its arguments', async () => {
  const w = new Network();
  const h = w.host('h');
  await assert.rejects(w.forward(0, h, 80), /clock: 'real'/);
  const { world, web } = setup();
  await assert.rejects(world.forward(70000, web, 80), RangeError);
  await assert.rejects(world.forward(0, web, 0), RangeError);
  await assert.rejects(world.forward(0, h, 80), /host of this network/);
  await assert.rejects(world.forward(0, web, 80, { bind: 'localhost' }), /bind must be an IP address/);
});
