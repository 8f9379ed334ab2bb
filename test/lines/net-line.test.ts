// What host.net does as the running Node line does: perf_hooks entries for connects and lookups,
// unix socket names longer than sun_path (cut on Node 20 and 22, EINVAL from Node 24), a listen
// on a name whose first answer is IPv6 link-local (Node 22+ takes the next one), options.host
// checks, end() before connect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { line } from '../../src/node/line.js';
import type { HostPerformanceEntry, HostPerformanceEntryList } from '../../src/node/perf.js';
import { lan, listening } from './lan.js';

test('perf_hooks: a net entry per connection and a dns entry per lookup, only while observed', async () => {
  const { world, sw, a, b } = lan();
  sw.impair({ latency: '10ms' }); // a handshake takes one round trip: 20 ms
  const server = b.net.createServer((s) => s.end());
  await listening(server.listen(80));
  // An address: one attempt, timed from connect() to the handshake's end. (With several
  // addresses to race, Node times only the last step, and so does usernet.)
  const connect = (): Promise<void> => new Promise((r) => { a.net.connect(80, '10.0.0.2').on('close', () => r()).on('error', () => {}); });
  const lookup = (): Promise<unknown> => new Promise((r) => a.dns.lookup('b', { all: true }, r));

  await connect(); // nobody observes yet: no entry
  const seen: HostPerformanceEntry[] = [];
  const obs = new a.perf_hooks.PerformanceObserver((list: HostPerformanceEntryList) => seen.push(...list.getEntries()));
  obs.observe({ entryTypes: ['net', 'dns', 'mark'] });
  const t0 = world.now();
  await connect();
  await lookup();
  await new Promise((r) => setImmediate(r));
  obs.disconnect();
  await connect();
  await lookup();
  await new Promise((r) => setImmediate(r));

  assert.deepEqual(seen.map((e) => `${e.entryType}:${e.name}`).sort(), ['dns:lookup', 'net:connect']);
  const net = seen.find((e) => e.entryType === 'net')!;
  assert.deepEqual(net.detail, { host: '10.0.0.2', port: 80 });
  assert.ok(net.startTime >= t0 && net.duration >= 20 && net.duration < 30, `on the network's clock: ${net.startTime} +${net.duration}`);
  const dns = seen.find((e) => e.entryType === 'dns')!;
  assert.equal(dns.detail.hostname, 'b');
  assert.ok(Array.isArray(dns.detail.addresses));
  assert.deepEqual(Object.keys(dns.toJSON()), ['name', 'entryType', 'startTime', 'duration', 'detail']);
  server.close();
});

test('unix socket names longer than sun_path: cut to 107 bytes before Node 24, EINVAL from Node 24', async () => {
  const { b } = lan();
  const name = `\0${'x'.repeat(300)}`; // abstract: no directory needed

  const server = b.net.createServer((s) => s.end('hi'));
  if (line.pipeNoTruncate) {
    await assert.rejects(listening(server.listen(name)), { code: 'EINVAL', syscall: 'listen' });
    const err = await new Promise<Error & { code?: string }>((r) => b.net.connect(name).on('error', r));
    assert.equal(err.code, 'EINVAL');
  } else {
    await listening(server.listen(name));
    // The socket is bound to the first 108 bytes of an abstract name: a connect to the same long
    // name (cut the same way) or to the cut name itself reaches it.
    const got = await new Promise<string>((r) => { let d = ''; b.net.connect(name.slice(0, 108)).on('data', (x: Buffer) => { d += x; }).on('end', () => r(d)); });
    assert.equal(got, 'hi');
    server.close();
  }
});

test('listen(port, name): Node 22+ skips IPv6 link-local answers', async () => {
  const { a } = lan();
  const server = a.net.createServer();
  const lookups: unknown[] = [];
  // A name whose answers start with a link-local address, through the module's lookup.
  const orig = a.dns.lookup;
  (a.dns as { lookup: unknown }).lookup = (host: string, opts: { all?: boolean }, cb: (...x: unknown[]) => void) => {
    lookups.push(opts);
    if (opts?.all) cb(null, [{ address: 'fe80::1', family: 6 }, { address: '10.0.0.1', family: 4 }]);
    else cb(null, 'fe80::1', 6);
  };
  server.listen(8080, 'somewhere');
  const r = await new Promise<unknown>((res) => { server.once('listening', () => res(server.address())); server.once('error', res); });
  (a.dns as { lookup: unknown }).lookup = orig;
  if (line.net22) {
    assert.deepEqual(r, { address: '10.0.0.1', family: 'IPv4', port: 8080 });
    server.close();
  } else {
    assert.equal((r as { address?: string }).address, 'fe80::1'); // no scope: the bind fails
    assert.equal((r as { syscall?: string }).syscall, 'listen');
  }
});

test('connect({ host }) must be a string without null bytes (Node 22+); end() before connect finishes at once', async () => {
  const { a } = lan();
  if (line.net22) {
    assert.throws(() => a.net.connect({ port: 80, host: ['10.0.0.2'] as never }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => a.net.connect({ port: 80, host: 'b\0c' }), { code: 'ERR_INVALID_ARG_VALUE', message: /must be a string without null bytes/ });
  }
  const s = new a.net.Socket();
  const ended = await new Promise<boolean>((r) => {
    const t = setTimeout(() => r(false), 200);
    s.end(() => { clearTimeout(t); r(true); });
  });
  assert.equal(ended, line.net22);
  s.destroy();
});
