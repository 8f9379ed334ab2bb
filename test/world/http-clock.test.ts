// node:http keep-alive on the virtual clock, with wall-time pauses in the client (real work it
// awaits): the same events as over the kernel's loopback. Before one clock, virtual time jumped
// over the client's pause to the server's 5 s keepAliveTimeout and the next request was lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { Network } from '../../src/index.js';

type Connect = (port: number, host: string) => net.Socket;

/** One client's story: requests on a keep-alive agent, wall-time pauses, then a pause past the server's keep-alive timeout. */
async function story(hs: http.Server, connect: Connect, host: string, port: number): Promise<string[]> {
  const log: string[] = [];
  const sockets: net.Socket[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  (agent as unknown as { createConnection: Connect }).createConnection = (o: unknown) => {
    const { port: p, host: h } = o as { port: number; host: string };
    const s = connect(p, h);
    sockets.push(s);
    s.on('close', () => log.push(`socket ${sockets.indexOf(s)} closed`));
    return s;
  };
  const get = (path: string) => new Promise<void>((resolve, reject) => {
    const req = http.get({ agent, host, port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => { log.push(`${path}: ${res.statusCode} ${body} on socket ${sockets.indexOf(req.socket as net.Socket)}`); resolve(); });
    });
    req.on('error', (e) => { log.push(`${path}: ${(e as NodeJS.ErrnoException).code}`); reject(e); });
  });
  const wallPause = () => new Promise((r) => execFile(process.execPath, ['-e', 'setTimeout(() => {}, 30)'], r));
  await get('/1');
  await wallPause();
  await get('/2');
  await wallPause();
  await wallPause();
  await get('/3');
  hs.keepAliveTimeout = 200;
  await get('/4');
  await new Promise((r) => setTimeout(r, 400)); // past the keep-alive timeout: the server closes the idle connection
  await get('/5');
  agent.destroy();
  while (log.filter((l) => l.endsWith('closed')).length < sockets.length) await new Promise((r) => setImmediate(r));
  return log;
}

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.end(`hello ${req.url}`);
}

test('node:http keep-alive with default timeouts and wall-time pauses: same events on the virtual clock as on the kernel', async () => {
  // The kernel.
  const hs = http.createServer(handler);
  await new Promise<void>((r) => hs.listen(0, '127.0.0.1', r));
  const port = (hs.address() as net.AddressInfo).port;
  const kernel = await story(hs, (p, h) => net.connect(p, h), '127.0.0.1', port);
  await new Promise((r) => hs.close(r));

  // Two hosts on the virtual clock: the server's and the client's code run as their hosts.
  const world = new Network({ seed: 5 });
  const lan = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(lan, { ipv4: '10.0.0.1/24' });
  b.attach(lan, { ipv4: '10.0.0.2/24' });
  const [vhs, listener] = b.run(({ net: bnet }) => {
    const s = http.createServer(handler);
    return [s, bnet.createServer((c) => s.emit('connection', c)).listen(80)] as const;
  });
  const t0 = world.now();
  const virtual = await a.run(({ net: anet }) => story(vhs, (p, h) => anet.connect(p, h) as unknown as net.Socket, '10.0.0.2', 80));
  assert.deepEqual(virtual, kernel);
  assert.deepEqual(virtual.slice(0, 5), ['/1: 200 hello /1 on socket 0', '/2: 200 hello /2 on socket 0', '/3: 200 hello /3 on socket 0', '/4: 200 hello /4 on socket 0', 'socket 0 closed']);
  // The wall-time pauses took no virtual time; the 400 ms timer did.
  const took = world.now() - t0;
  assert.ok(took >= 400 && took < 450, `virtual time taken: ${took} ms`);
  listener.close();
  vhs.close();
});
