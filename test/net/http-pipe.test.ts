// node:http on host.net sockets over a unix path: the server is fed by a host.net server
// ('connection' events), the client's keep-alive agent makes its connections with host.net.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Socket } from 'node:net';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Scheduler } from '../../src/links/clock.js';
import { Sys } from '../../src/sys/sys.js';
import { UnixNamespace, registerUnix } from '../../src/kernel/unix.js';
import { createNet } from '../../src/node/net.js';

function virtualNet() {
  const sched = new Scheduler('virtual');
  const sys = new Sys();
  registerUnix(sys, new UnixNamespace(sched));
  return createNet({ loop: { sys, sched }, lookup: () => assert.fail('no lookups over unix paths') });
}

test('1,000 keep-alive HTTP requests over host.net unix sockets, at most 3 connections', async () => {
  const net = virtualNet();
  const hs = http.createServer((req, res) => res.end(`hello ${req.url}`));
  let accepted = 0;
  const ns = net.createServer((s) => { accepted++; hs.emit('connection', s); });
  await new Promise<void>((r) => ns.listen('/run/http.sock', () => r()));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 3 });
  (agent as unknown as { createConnection: () => Socket }).createConnection = () => net.connect('/run/http.sock') as unknown as Socket;
  const get = (i: number): Promise<string> => new Promise((resolve, reject) => {
    http.get({ agent, path: `/${i}` }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  const bodies = await Promise.all(Array.from({ length: 1000 }, (_, i) => get(i)));
  bodies.forEach((b, i) => assert.equal(b, `hello /${i}`));
  assert.ok(accepted >= 1 && accepted <= 3, `connections made: ${accepted}`);
  agent.destroy();
  await new Promise<void>((r) => ns.close(() => r()));
  hs.close();
});

test('socket callbacks run in the async context the socket was made in', async () => {
  const net = virtualNet();
  const als = new AsyncLocalStorage<string>();
  const server = net.createServer((s) => s.end('x'));
  await new Promise<void>((r) => server.listen('/ctx', () => r()));
  const seen = await als.run('client-context', () => new Promise<string | undefined>((resolve) => {
    const c = net.connect('/ctx');
    c.on('data', () => resolve(als.getStore()));
  }));
  assert.equal(seen, 'client-context');
  server.close();
});
