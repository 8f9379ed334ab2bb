// A virtual host talks to a real redis-server (Debian's) on 127.0.0.1 through the gateway, with a
// standard Node Redis client (ioredis) whose connections are host.net sockets. The server is
// started on a free loopback port for this test and stopped after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Redis, AbstractConnector } from 'ioredis';
import { Network } from '../../src/world/network.js';
import type { Host } from '../../src/world/host.js';

const redisServer = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();

/** A free port on 127.0.0.1 (bound, read, released). */
async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts redis-server on 127.0.0.1:port with no persistence; resolves when it accepts connections. */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`redis-server did not start in time:\n${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) { clearTimeout(t); resolve(); }
    });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`redis-server exited with ${String(code)}:\n${out}`)); });
  });
  await ready;
  return child;
}

/** ioredis's connector, making its connections with a virtual host's node:net. */
function virtualConnector(host: Host) {
  return class VirtualConnector extends AbstractConnector {
    private readonly options: { host?: string; port?: number; disconnectTimeout?: number };
    constructor(options: unknown) {
      const o = options as { host?: string; port?: number; disconnectTimeout?: number };
      super(o.disconnectTimeout ?? 2000);
      this.options = o;
    }
    connect(): Promise<never> {
      this.connecting = true;
      const sock = host.net.connect({ host: this.options.host ?? '127.0.0.1', port: this.options.port ?? 6379 });
      this.stream = sock as unknown as typeof this.stream;
      return Promise.resolve(sock as never);
    }
  };
}

test('a virtual host uses a real redis-server on 127.0.0.1 through the gateway (ioredis over host.net)', {
  timeout: 30_000,
  skip: redisServer === '' ? 'redis-server is not installed (Debian package redis-server; .ci/run installs it)' : false,
}, async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'usernet-redis-'));
  const server = await startRedis(port, dir);
  const world = new Network({ clock: 'real', seed: 11 });
  const lan = world.switch('lan');
  const app = world.host('app');
  app.attach(lan, { ipv4: '10.0.0.10/24' });
  const gw = world.gateway({ attach: lan, ipv4: '10.0.0.254/24' });
  const client = new Redis({
    host: '10.0.0.254', port, Connector: virtualConnector(app),
    lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null,
  });
  try {
    await client.connect();
    assert.equal(await client.ping(), 'PONG');
    assert.equal(await client.set('usernet:greeting', 'hello from a virtual host'), 'OK');
    assert.equal(await client.get('usernet:greeting'), 'hello from a virtual host');
    assert.equal(await client.incrby('usernet:counter', 5), 5);
    // A pipeline: several commands in one write, replies in order.
    const replies = await client.pipeline().rpush('usernet:list', 'a', 'b', 'c').lrange('usernet:list', 0, -1).del('usernet:list').exec();
    assert.deepEqual(replies, [[null, 3], [null, ['a', 'b', 'c']], [null, 1]]);
    // A value bigger than one segment each way.
    const big = 'x'.repeat(200_000);
    await client.set('usernet:big', big);
    assert.equal(await client.strlen('usernet:big'), big.length);
    assert.equal(await client.get('usernet:big'), big);
    // The server sees the gateway's real socket: a loopback client.
    const list = await client.call('CLIENT', 'LIST') as string;
    assert.match(list, /addr=127\.0\.0\.1:\d+/);
    const st = gw.stats().tcp;
    assert.equal(st.opened, 1);
    assert.ok(st.bytesToReal > 200_000 && st.bytesToVirtual > 200_000);
    await client.quit();
  } finally {
    client.disconnect();
    await gw.close();
    server.kill('SIGTERM');
    await once(server, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
});
