// reusePort (Node 22.12+): servers and datagram sockets sharing one port as an SO_REUSEPORT
// group, connections and datagrams spread by a hash of the 4-tuple (Linux reuseport_select_sock),
// each flow kept on one socket. On a line without the option, it is ignored as Node ignores it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { line } from '../../src/node/line.js';
import { lan, listening } from './lan.js';

test('net: servers with reusePort share a port; connections spread over them, by 4-tuple', { skip: !line.reusePort && 'this Node line has no reusePort' }, async () => {
  const { world, a, b } = lan(11);
  const hits = [0, 0, 0];
  const servers = hits.map((_, i) => b.net.createServer((s) => { hits[i]!++; s.end(`${i}`); }));
  await listening(servers[0]!.listen({ port: 80, reusePort: true }));
  for (const s of servers.slice(1)) await listening(s.listen({ port: 80, reusePort: true }));
  assert.deepEqual(b.ss().filter((r) => r.proto === 'tcp' && r.state === 'LISTEN').map((r) => r.local), ['[::]:80', '[::]:80', '[::]:80']);

  // A server without the option may not join the group (Linux: both must set SO_REUSEPORT).
  const intruder = b.net.createServer().listen({ port: 80 });
  await assert.rejects(listening(intruder), { code: 'EADDRINUSE', syscall: 'listen' });

  const served: string[] = [];
  for (let i = 0; i < 30; i++) {
    await new Promise<void>((resolve, reject) => {
      const c = a.net.connect({ port: 80, host: '10.0.0.2', localPort: 41000 + i });
      let got = '';
      c.on('data', (d: Buffer) => { got += d; });
      c.on('error', reject);
      c.on('close', () => { served.push(got); resolve(); });
    });
  }
  assert.ok(hits.every((n) => n >= 4), `every server takes a share of 30 connections: ${hits}`);
  assert.equal(hits[0]! + hits[1]! + hits[2]!, 30);

  // The same 4-tuple again (the server closed first, so its TIME-WAIT takes the new SYN on to
  // the listeners): the hash sends the flow where it went before.
  const again = await new Promise<string>((resolve) => {
    const c = a.net.connect({ port: 80, host: '10.0.0.2', localPort: 41005, localAddress: '10.0.0.1' });
    let got = '';
    c.on('data', (d: Buffer) => { got += d; });
    c.on('error', () => resolve('error'));
    c.on('close', () => resolve(got));
  });
  assert.equal(again, served[5]);
  for (const s of servers) s.close();
});

test('net: without reusePort (or on a line without it) a second server on the port is EADDRINUSE', async () => {
  const { b } = lan(11);
  const one = b.net.createServer();
  await listening(one.listen({ port: 80, reusePort: true }));
  const two = b.net.createServer().listen({ port: 80, reusePort: true });
  if (line.reusePort) {
    await listening(two);
    two.close();
  } else {
    await assert.rejects(listening(two), { code: 'EADDRINUSE' });
  }
  one.close();
});

test('dgram: sockets with reusePort share a port; datagrams spread by flow, each flow sticks', { skip: !line.reusePort && 'this Node line has no reusePort' }, async () => {
  const { world, a, b } = lan(11);
  const got: Array<Set<number>> = [new Set(), new Set()];
  const socks = got.map((seen) => {
    const s = b.dgram.createSocket({ type: 'udp4', reusePort: true });
    s.on('message', (_m, rinfo) => seen.add(rinfo.port));
    return s;
  });
  await new Promise<void>((r) => socks[0]!.bind(5300, () => r()));
  await new Promise<void>((r) => socks[1]!.bind(5300, () => r()));
  const plain = b.dgram.createSocket('udp4');
  await assert.rejects(new Promise((r, j) => { plain.once('listening', r); plain.once('error', j); plain.bind(5300); }), { code: 'EADDRINUSE', syscall: 'bind' });

  const senders = [];
  for (let i = 0; i < 16; i++) {
    const s = a.dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(42000 + i, () => r()));
    senders.push(s);
  }
  for (let round = 0; round < 3; round++) {
    for (const s of senders) await new Promise<void>((r, j) => s.send('x', 5300, '10.0.0.2', (e) => (e ? j(e) : r())));
  }
  await world.run({ for: '100ms' });
  assert.equal(got[0]!.size + got[1]!.size, 16, 'each sender\'s flow reached exactly one socket, every time');
  assert.ok(got[0]!.size >= 3 && got[1]!.size >= 3, `both sockets take a share: ${got[0]!.size} / ${got[1]!.size}`);
  for (const s of [...socks, ...senders]) s.close();
});
