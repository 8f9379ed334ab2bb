// Must-show of issue 9: real npm libraries, unmodified, as programs of virtual hosts on the
// network's clock: socket.io over long-polling and over WebSocket, express behind an undici
// client, ioredis reconnecting after a partition (to a Redis server program of our own, on a
// virtual host: fixtures/libs/resp-server.cjs). Each covers minutes of the network's time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Network, type Host, type Program } from '../../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/libs/${name}`, import.meta.url));

/** A server host and a client host, each on a cable (2 ms) to a router. */
function world(seed: number, clientSysctl?: Record<string, number>): { world: Network; srv: Host; c: Host } {
  const w = new Network({ seed });
  const r = w.host('r', { forwarding: true });
  const hosts = (['srv', 'c'] as const).map((name, i) => {
    const h = w.host(name, name === 'c' && clientSysctl ? { sysctl: clientSysctl } : {});
    w.link(r, h, { ipv4: [`10.0.${i}.1/24`, `10.0.${i}.2/24`] }).impair({ latency: '2ms' });
    h.route.add('default', { via: `10.0.${i}.1` });
    return h;
  });
  return { world: w, srv: hosts[0]!, c: hosts[1]! };
}

/** The program's output lines, as they come. */
function lines(p: Program): string[] {
  const out: string[] = [];
  let buf = '';
  const take = (d: Buffer) => {
    buf += String(d);
    let i;
    while ((i = buf.indexOf('\n')) >= 0) { out.push(buf.slice(0, i)); buf = buf.slice(i + 1); }
  };
  p.stdout.on('data', take);
  p.stderr.on('data', take);
  return out;
}

for (const transports of ['polling', 'websocket', 'polling,websocket']) {
  test(`socket.io (${transports}): acknowledged events across minutes of heartbeats`, async () => {
    const { world: w, srv, c } = world(1);
    try {
      const server = srv.spawn(fixture('sio-server.cjs'), { args: ['3000'], silent: true });
      const serverOut = lines(server);
      await w.sleep('100ms');
      const client = c.spawn(fixture('sio-client.cjs'), { args: ['http://srv:3000', transports, '4', '40'], silent: true });
      const out = lines(client);
      const { code } = await client.exited();
      await w.sleep('1s');
      assert.equal(code, 0, out.join('\n'));
      const want = transports === 'polling' ? 'polling' : 'websocket';
      for (let i = 1; i <= 4; i++) assert.ok(out.some((l) => l.endsWith(` m${i} back over ${want}`)), out.join('\n'));
      assert.ok(out.at(-1)!.endsWith('disconnect io client disconnect'), out.join('\n'));
      assert.ok(serverOut.some((l) => / connection (polling|websocket)$/.test(l)), serverOut.join('\n'));
      assert.ok(serverOut.some((l) => / disconnect client namespace disconnect$/.test(l)), serverOut.join('\n'));
      if (transports.includes(',')) assert.ok(out.some((l) => l.endsWith(' upgraded websocket')), out.join('\n'));
      // Three 40 s gaps: two minutes of the server's 25 s pings, on the network's clock.
      assert.ok(w.now() > 120_000, `${w.now()} ms`);
      server.kill();
    } finally {
      await w.close();
    }
  });
}

// The same two programs on the kernel (node express-server.cjs 18080; node undici-client.cjs
// http://127.0.0.1:18080 3 <pause>) print the same: undici's request() and fetch() of a round take
// two connections of the Agent; they are reused after a 1 s pause and closed by undici before a
// 6 s one (it keeps an idle connection for the server's 5 s keep-alive less its 2 s margin).
for (const [pause, connections] of [[1, 2], [6, 6]] as const) {
  test(`express behind undici: a keep-alive Agent, ${pause} s between rounds: ${connections} connections`, async () => {
    const { world: w, srv, c } = world(2);
    try {
      const server = srv.spawn(fixture('express-server.cjs'), { args: ['8080'], silent: true });
      const serverOut = lines(server);
      await w.sleep('100ms');
      const client = c.spawn(fixture('undici-client.cjs'), { args: ['http://srv:8080', '3', String(pause)], silent: true });
      const out = lines(client);
      const { code } = await client.exited();
      assert.equal(code, 0, out.join('\n'));
      assert.deepEqual(serverOut, ['listening 8080']);
      assert.deepEqual(out.map((l) => l.replace(/^[\d.]+ /, '')), [
        'round 1: POST 201 GET 200 n1',
        'round 2: POST 201 GET 200 n2',
        'round 3: POST 201 GET 200 n3',
        `missing 404, 3 items, ${connections} connections`,
      ]);
      // Each round a few round trips (4 ms each) after its pause, on the network's clock.
      const times = out.map((l) => Number(l.split(' ')[0]));
      times.slice(0, 3).forEach((t, i) => assert.ok(t >= i * pause && t < i * pause + 0.3, out.join('\n')));
      server.kill();
    } finally {
      await w.close();
    }
  });
}

test('ioredis reconnects after a partition and its queued commands complete', async () => {
  // The client host gives up on an unanswered connection after ~100 s (tcp_retries2 8, a usual
  // setting for fast failover), as Linux would: ETIMEDOUT, then ioredis reconnects.
  const { world: w, srv, c } = world(4, { 'net.ipv4.tcp_retries2': 8 });
  try {
    const server = srv.spawn(fixture('resp-server.cjs'), { args: ['6379'], silent: true });
    const serverOut = lines(server);
    await w.sleep('100ms');
    const client = c.spawn(fixture('redis-client.cjs'), { args: ['srv', '6379', '180'], silent: true });
    const out = lines(client);
    await w.sleep('20s');
    const cut = w.partition([c], [srv]);
    await w.sleep('150s');
    cut.heal();
    const { code } = await client.exited();
    const text = out.join('\n');
    assert.equal(code, 0, text);
    assert.equal(out.filter((l) => / ready$/.test(l)).length, 2, text);            // before, and after the partition
    assert.ok(out.some((l) => / error ETIMEDOUT$/.test(l)), text);                    // the kernel gave up on the old connection
    assert.ok(out.some((l) => / reconnecting in \d+ ms$/.test(l)), text);
    const replies = out.find((l) => / replies /.test(l))!.split(' ').pop()!.split(',').map(Number);
    assert.deepEqual(replies, Array.from({ length: 180 }, (_, i) => i + 1), text); // every INCR ran once, in order
    assert.ok(out.some((l) => l.endsWith(' final 180')), text);
    // The kernel gave up after tcp_retries2's ~100 s; connection attempts (ioredis's 10 s connect
    // timeout) failed until the heal at 170 s, and the next one succeeded.
    const t = (re: RegExp) => Number(out.find((l) => re.test(l))!.split(' ')[0]);
    assert.ok(t(/ error ETIMEDOUT$/) > 110 && t(/ error ETIMEDOUT$/) < 140, text);
    assert.ok(out.filter((l) => / ready$/.test(l)).every((l) => Number(l.split(' ')[0]) < 20 || Number(l.split(' ')[0]) >= 170), text);
    assert.ok(serverOut.filter((l) => l.startsWith('client ')).length >= 2, serverOut.join('\n'));
    server.kill();
  } finally {
    await w.close();
  }
});
