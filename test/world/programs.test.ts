import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Network } from '../../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function lan(seed = 1) {
  const world = new Network({ seed });
  const sw = world.switch('lan');
  const hosts = ['a', 'b', 'c'].map((n, i) => { const h = world.host(n); h.attach(sw, { ipv4: `10.0.0.${i + 1}/24` }); return h; });
  return { world, hosts };
}

function collect(stream: NodeJS.ReadableStream): () => string {
  let s = '';
  stream.on('data', (d) => { s += d; });
  return () => s;
}

test('an unmodified CommonJS program runs as a process of a host: its net, os, timers and process', async () => {
  const { world, hosts: [a, b, c] } = lan();
  const s1 = b.spawn(fixture('echo-server.cjs'), { args: ['7'], silent: true });
  const s2 = c.spawn(fixture('echo-server.cjs'), { args: ['7'], silent: true });
  const out1 = collect(s1.stdout);
  const client = a.spawn(fixture('echo-client.cjs'), { args: ['b', '7', 'one', 'two', 'three'], silent: true });
  const out = collect(client.stdout);
  const c2 = a.spawn(fixture('echo-client.cjs'), { args: ['c', '7', 'x'], silent: true });
  const [exit, exit2] = await Promise.all([client.exited(), c2.exited()]);
  assert.deepEqual(exit, { code: 3, signal: null });
  assert.deepEqual(exit2, { code: 1, signal: null });
  assert.match(out(), /^\+\d+ms b#1: one\n\+10\d\dms b#1: two\n\+20\d\dms b#1: three\n$/);
  assert.equal(out1(), `listening on 7 as pid ${s1.pid}\n`);
  assert.ok(s1.running && s2.running, 'servers keep running');
  assert.equal(s1.pid, 100);
  assert.equal(client.pid, 100);
  assert.equal(c2.pid, 101);
  // A signal it handles: the server closes and, with nothing left, exits 0.
  assert.equal(s1.kill('SIGTERM'), true);
  assert.deepEqual(await s1.exited(), { code: 0, signal: null });
  assert.match(out1(), /bye\n$/);
  // A signal it does not handle ends it.
  s2.removeAllListeners();
  b.crash();
  c.crash();
  assert.deepEqual(await s2.exited(), { code: null, signal: 'SIGKILL' });
  assert.ok(world.now() >= 2000);
});

test('a program ends as a process does: an uncaught exception, an unhandled rejection, process.exit(); its handler catches; the others go on', async () => {
  const { world, hosts: [a, b, c] } = lan();
  const d = world.host('d');
  const ends = await Promise.all(['throw', 'reject', 'exit', 'handled'].map((how, i) => {
    const p = [a, b, c, d][i]!.spawn(fixture('crashy.cjs'), { args: [how], silent: true });
    const out = collect(p.stdout);
    const err = collect(p.stderr);
    return p.exited().then((e) => ({ how, ...e, out: out(), err: err().split('\n')[0] }));
  }));
  const res = 'resources TCPServerWrap,Timeout 1\n'; // what node prints running the file itself
  assert.deepEqual(ends, [
    { how: 'throw', code: 1, signal: null, out: res, err: 'Error: boom' },
    { how: 'reject', code: 1, signal: null, out: res, err: 'Error: rejected' },
    { how: 'exit', code: 3, signal: null, out: `${res}exit event 3\n`, err: '' },
    { how: 'handled', code: 0, signal: null, out: `${res}caught late\n`, err: '' },
  ]);
});

const esm = typeof (await import('node:module') as { registerHooks?: unknown }).registerHooks === 'function';

test('an ES module program: its own module instances per host, node:* builtins of its host', { skip: esm ? false : 'module.registerHooks needs Node >= 22.15' }, async () => {
  const { hosts: [a, b] } = lan();
  const pa = a.spawn(fixture('esm/app.js'), { args: ['80', 'b'], silent: true });
  const pb = b.spawn(fixture('esm/app.js'), { args: ['80', 'a'], silent: true });
  const oa = collect(pa.stdout);
  const ob = collect(pb.stdout);
  assert.deepEqual(await Promise.all([pa.exited(), pb.exited()]), [{ code: 0, signal: null }, { code: 0, signal: null }]);
  assert.equal(oa(), 'a got "b counter 1 1" at 500\n');
  assert.equal(ob(), 'b got "a counter 1 1" at 500\n');
});

test('spawning an ES module program on a Node without module.registerHooks says so', { skip: esm ? 'this Node has registerHooks' : false }, () => {
  const { hosts: [a] } = lan();
  assert.throws(() => a.spawn(fixture('esm/app.js')), { code: 'ERR_USERNET_SPAWN_ESM' });
});

test('Network.close() ends programs and stops the clock; nothing holds the process open', async () => {
  const { world, hosts: [a, b] } = lan();
  const s = b.spawn(fixture('echo-server.cjs'), { args: ['7'], silent: true });
  a.run(() => setInterval(() => {}, 1000));
  await world.run({ for: '5s' });
  await world.close();
  assert.deepEqual(await s.exited(), { code: null, signal: 'SIGKILL' });
  assert.equal(world.sched.size, 0);
  await world.run(); // resolves at once
});

test('the journal records frames and program output; the same seed gives the same journal', async () => {
  const once = async () => {
    const world = new Network({ seed: 4, journal: true });
    const sw = world.switch('lan');
    const [a, b] = ['a', 'b'].map((n, i) => { const h = world.host(n); h.attach(sw, { ipv4: `10.0.0.${i + 1}/24` }); return h; });
    b!.spawn(fixture('echo-server.cjs'), { args: ['7'], silent: true });
    await a!.spawn(fixture('echo-client.cjs'), { args: ['b', '7', 'x', 'y'], silent: true }).exited();
    await world.close();
    return world.journal!;
  };
  const j1 = await once();
  const j2 = await once();
  assert.ok(j1.some((e) => e.source === 'lan' && e.event.startsWith('frame ')));
  assert.ok(j1.some((e) => e.source === 'a:100' && e.event.includes('b#1: y')));
  assert.deepEqual(j2, j1);
});

test('programs\' node:http is their host\'s: a server and a client program talk HTTP on the virtual clock', async () => {
  const { world, hosts: [a, b] } = lan();
  const server = b.spawn(fixture('http-server.cjs'), { silent: true });
  const client = a.spawn(fixture('http-client.cjs'), { args: ['b'], silent: true });
  const out = collect(client.stdout);
  assert.deepEqual(await client.exited(), { code: 0, signal: null });
  assert.equal(out(), '200 hi /x at 2024-01-01T00:00:01.000Z\n');
  assert.ok(server.running);
  await world.close();
});

test('a pending name lookup keeps a program running (an active request, as in Node)', async () => {
  const { world, hosts: [a] } = lan();
  const p = a.spawn(fixture('lookup-late.cjs'), { args: ['b'], silent: true });
  const out = collect(p.stdout);
  assert.deepEqual(await p.exited(), { code: 0, signal: null });
  assert.equal(out(), '10.0.0.2\n');
  await world.close();
});

test('programs\' dgram, dns, tls, https, http2 and os are their host\'s; argv, env; output prefixed with the host\'s name and readable as streams; \'exit\' as a ChildProcess\'s', async () => {
  const { world, hosts: [a, b] } = lan(6);
  // Not silent: each line also goes to this process's stdout, prefixed "[host] ".
  const printed: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' && /^\[[ab]\] /.test(chunk)) { printed.push(chunk); return true; }
    return (write as (...x: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof write;
  try {
    const server = b.spawn(fixture('services-server.cjs'), { env: { ROLE: 'server' } });
    const sout = collect(server.stdout);
    await world.run({ for: '1s' });
    const client = a.spawn(fixture('services-client.cjs'), { args: ['b'], env: { ROLE: 'client' } });
    const cout = collect(client.stdout);
    const exited = new Promise<[number | null, string | null]>((resolve) => client.on('exit', (code: number | null, signal: string | null) => resolve([code, signal])));
    assert.deepEqual(await exited, [0, null]);
    assert.equal(cout(), [
      'a argv b env client ifaces eth0 10.0.0.1/24',
      'lookup b 10.0.0.2',
      'udp b ping',
      'tls hello tls TLSv1.3',
      '200 https /x from b',
      'h2 /y 2.0',
      `at ${cout().match(/at (\S+)\n$/)![1]}`,
    ].join('\n') + '\n');
    // What node prints running the file itself (its servers on 127.0.0.1).
    assert.equal(sout(), [
      'handles Http2SecureServer,Server,Server,Socket',
      'resources TCPServerWrap,TCPServerWrap,TCPServerWrap,UDPWrap',
      `ready as b pid ${server.pid} env server`,
    ].join('\n') + '\n');
    assert.equal(server.kill('SIGTERM'), true);
    assert.deepEqual(await server.exited(), { code: 0, signal: null });
    assert.deepEqual(printed.filter((l) => l.startsWith('[b] ')).join(''), sout().split('\n').filter(Boolean).map((l) => `[b] ${l}\n`).join(''));
    assert.deepEqual(printed.filter((l) => l.startsWith('[a] ')).join(''), cout().split('\n').filter(Boolean).map((l) => `[a] ${l}\n`).join(''));
  } finally {
    process.stdout.write = write;
  }
  await world.close();
});

test('a package\'s bin runs as a program (nanoid\'s CLI): its crypto draws from the host\'s seeded source', async () => {
  const run = async (seed: number, host: string) => {
    const world = new Network({ seed });
    const h = world.host(host);
    const p = h.spawn('nanoid', { args: ['--size', '12'], silent: true });
    const out = collect(p.stdout);
    assert.deepEqual(await p.exited(), { code: 0, signal: null });
    await world.close();
    return out();
  };
  const first = await run(9, 'a');
  assert.match(first, /^[\w-]{12}\n$/);
  assert.equal(await run(9, 'a'), first, 'same seed, same id');
  assert.notEqual(await run(10, 'a'), first, 'another seed, another id');
});
