// world.gateway, TCP: virtual clients connect to the gateway's address (any port) and reach real
// node:net servers of this process on loopback. Connect-first: a refused real port is a refused
// virtual connect. FIN and RST cross both ways. Real sockets only on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { Network } from '../../src/world/network.js';
import type { NetSocket } from '../../src/node/net.js';

async function realServer(onConn: (s: net.Socket) => void, address = '127.0.0.1'): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer({ allowHalfOpen: true }, onConn);
  server.listen(0, address);
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

function setup() {
  const world = new Network({ clock: 'real', seed: 5 });
  const lan = world.switch('lan');
  const a = world.host('a');
  a.attach(lan, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const gw = world.gateway({ attach: lan, ipv4: '10.0.0.254/24', ipv6: 'fd00::fe/64' });
  return { world, a, gw };
}

function collect(s: NetSocket | net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => { out += d; });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: not within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}

/** Waits until cond() holds, polling; fails after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a virtual client reaches a real echo server on 127.0.0.1 through the gateway\'s address', { timeout: 15_000 }, async () => {
  const peers: string[] = [];
  const { server, port } = await realServer((s) => { peers.push(`${s.remoteAddress}`); s.pipe(s); });
  const { a, gw } = setup();
  try {
    const c = a.net.connect({ port, host: '10.0.0.254', allowHalfOpen: true });
    await within(once(c, 'connect'), 3000, 'connect');
    assert.equal(c.remoteAddress, '10.0.0.254');
    assert.equal(c.remotePort, port);
    const got = collect(c);
    c.write('hello ');
    c.end('gateway');
    assert.equal(await within(got, 3000, 'echo'), 'hello gateway');
    assert.deepEqual(peers, ['127.0.0.1']);
    await within(once(c, 'close'), 3000, 'close');
    const st = gw.stats().tcp;
    assert.equal(st.opened, 1);
    assert.equal(st.bytesToReal, 13);
    assert.equal(st.bytesToVirtual, 13);
  } finally {
    await gw.close();
    server.close();
  }
});

test('IPv6: fd00::fe leads to ::1', { timeout: 15_000 }, async () => {
  const { server, port } = await realServer((s) => s.end(`you are ${s.remoteAddress}`), '::1');
  const { a, gw } = setup();
  try {
    const c = a.net.connect({ port, host: 'fd00::fe' });
    assert.equal(await within(collect(c), 3000, 'reply'), 'you are ::1');
  } finally {
    await gw.close();
    server.close();
  }
});

test('a refused real port is a refused virtual connect: ECONNREFUSED, as from a closed port', { timeout: 15_000 }, async () => {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const { a, gw } = setup();
  try {
    const c = a.net.connect(closedPort, '10.0.0.254');
    const [err] = await within(once(c, 'error'), 3000, 'error') as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.message, `connect ECONNREFUSED 10.0.0.254:${closedPort}`);
    assert.equal(gw.stats().tcp.refused, 1);
    assert.equal(gw.stats().tcp.opened, 0);
  } finally {
    await gw.close();
  }
});

test('half-close both ways: the client\'s FIN reaches the real server, which still answers, then FINs', { timeout: 15_000 }, async () => {
  let serverGot = '';
  const { server, port } = await realServer((s) => {
    s.setEncoding('utf8');
    s.on('data', (d: string) => { serverGot += d; });
    // After the client's EOF the server still writes, then closes its side.
    s.on('end', () => { s.write('late '); s.end('reply'); });
  });
  const { a, gw } = setup();
  try {
    const c = a.net.connect({ port, host: '10.0.0.254', allowHalfOpen: true });
    await within(once(c, 'connect'), 3000, 'connect');
    const got = collect(c);
    c.end('question');
    assert.equal(await within(got, 3000, 'reply after half-close'), 'late reply');
    assert.equal(serverGot, 'question');
  } finally {
    await gw.close();
    server.close();
  }
});

test('half-close the other way: the real server\'s FIN reaches the client, which still sends', { timeout: 15_000 }, async () => {
  const serverGot = new Promise<string>((resolve) => {
    void realServer((s) => {
      s.end('bye first');
      let got = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => { got += d; });
      s.on('end', () => resolve(got));
    }).then((r) => { srv = r; ready(); });
  });
  let srv!: { server: net.Server; port: number };
  let ready!: () => void;
  await new Promise<void>((r) => { ready = r; });
  const { a, gw } = setup();
  try {
    const c = a.net.connect({ port: srv.port, host: '10.0.0.254', allowHalfOpen: true });
    const got = collect(c);
    assert.equal(await within(got, 3000, 'server FIN'), 'bye first');
    c.end('still talking');
    assert.equal(await within(serverGot, 3000, 'client data after server FIN'), 'still talking');
  } finally {
    await gw.close();
    srv.server.close();
  }
});

test('a real reset reaches the client as ECONNRESET; a virtual reset reaches the real side as ECONNRESET', { timeout: 15_000 }, async () => {
  const realSockets: net.Socket[] = [];
  const { server, port } = await realServer((s) => { realSockets.push(s); s.on('error', () => {}); });
  const { a, gw } = setup();
  try {
    const c1 = a.net.connect(port, '10.0.0.254');
    await within(once(c1, 'connect'), 3000, 'connect 1');
    c1.write('x');
    await until(() => realSockets.length >= 1, 3000, 'real accept 1');
    realSockets[0]!.resetAndDestroy();
    const [e1] = await within(once(c1, 'error'), 3000, 'client reset') as [NodeJS.ErrnoException];
    assert.equal(e1.code, 'ECONNRESET');

    const c2 = a.net.connect(port, '10.0.0.254');
    await within(once(c2, 'connect'), 3000, 'connect 2');
    await until(() => realSockets.length >= 2, 3000, 'real accept 2');
    const realErr = within(once(realSockets[1]!, 'error'), 3000, 'real reset') as Promise<[NodeJS.ErrnoException]>;
    c2.resetAndDestroy();
    const [e2] = await realErr;
    assert.equal(e2.code, 'ECONNRESET');
    await until(() => gw.stats().tcp.reset === 2, 3000, 'both joins counted as reset');
    assert.equal(gw.stats().tcp.connections, 0);
  } finally {
    await gw.close();
    server.close();
  }
});

test('a megabyte each way with backpressure arrives whole and in order', { timeout: 20_000 }, async () => {
  const size = 1 << 20;
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >>> 8)) & 0xff;
  const { server, port } = await realServer((s) => s.pipe(s));
  const { a, gw } = setup();
  try {
    const c = a.net.connect({ port, host: '10.0.0.254', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    const ended = once(c, 'end');
    c.end(data);
    await within(ended, 15_000, 'bulk echo');
    const back = Buffer.concat(chunks);
    assert.equal(back.length, size);
    assert.ok(back.equals(data));
    assert.equal(gw.stats().tcp.bytesToReal, size);
    assert.equal(gw.stats().tcp.bytesToVirtual, size);
  } finally {
    await gw.close();
    server.close();
  }
});

test('the gateway host\'s own server keeps its port; pings and the name "gateway" work; after close() nothing is translated', { timeout: 15_000 }, async () => {
  const { server, port } = await realServer((s) => s.end('real'));
  const { a, gw } = setup();
  // A virtual server on the gateway host itself, on the same port number as the real one.
  const own = gw.host.net.createServer((s) => s.end('virtual'));
  own.listen(port, '10.0.0.254');
  await once(own, 'listening');
  try {
    const c1 = a.net.connect(port, 'gateway');
    assert.equal(await within(collect(c1), 3000, 'own server'), 'virtual');
    own.close();
    await once(own, 'close');
    const c2 = a.net.connect(port, '10.0.0.254');
    assert.equal(await within(collect(c2), 3000, 'real server'), 'real');
    const r = await a.ping('10.0.0.254');
    assert.ok(r.time >= 0);
    await gw.close();
    // Closed: the SYN reaches the gateway host's TCP, where nothing listens.
    const c3 = a.net.connect(port, '10.0.0.254');
    const [err] = await within(once(c3, 'error'), 3000, 'after close') as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(gw.stats().tcp.opened, 1);
  } finally {
    await gw.close();
    server.close();
  }
});
