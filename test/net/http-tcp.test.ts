// node:http between two virtual hosts over host.net TCP: an http.Server fed with the
// connections of a host.net server, a keep-alive Agent whose connections are host.net sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Socket } from 'node:net';
import { Network } from '../../src/index.js';

test('1,000 keep-alive HTTP requests between two hosts over at most 4 connections', async () => {
  const world = new Network({ seed: 3 });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24' });
  b.attach(sw, { ipv4: '10.0.0.2/24' });

  const hs = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => { body += d; });
    req.on('end', () => res.end(`${req.method} ${req.url} ${body.length}`));
  });
  let accepted = 0;
  const server = b.net.createServer((s) => { accepted++; hs.emit('connection', s); });
  await new Promise<void>((r) => server.listen(80, () => r()));

  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  (agent as unknown as { createConnection: (o: { port: number; host: string }) => Socket }).createConnection =
    (o) => a.net.connect(o.port, o.host) as unknown as Socket;
  const request = (i: number): Promise<string> => new Promise((resolve, reject) => {
    const post = i % 10 === 0;
    const req = http.request({ agent, host: '10.0.0.2', port: 80, path: `/${i}`, method: post ? 'POST' : 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end(post ? 'x'.repeat(3000) : undefined);
  });
  const bodies = await Promise.all(Array.from({ length: 1000 }, (_, i) => request(i)));
  bodies.forEach((b2, i) => assert.equal(b2, i % 10 === 0 ? `POST /${i} 3000` : `GET /${i} 0`));
  assert.ok(accepted >= 1 && accepted <= 4, `connections: ${accepted}`);
  agent.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  hs.close();
});
