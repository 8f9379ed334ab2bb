// host.dns.lookup: answers from the host table, node:dns argument errors and result shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import realDns from 'node:dns';
import { promisify } from 'node:util';
import { Network } from '../../src/index.js';

function net() {
  const world = new Network({ seed: 3 });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  b.attach(sw, { ipv4: ['10.0.0.2/24', '10.0.1.2/24'], ipv6: 'fd00::2/64' });
  return { world, a, b };
}

type Lookup = (host: string, opts: unknown, cb: (err: Error | null, addr?: unknown, family?: number) => void) => void;

function lookup(dns: { lookup: unknown }, host: string, opts: unknown): Promise<[Error | null, unknown, number | undefined]> {
  return new Promise((resolve) => (dns.lookup as Lookup)(host, opts, (err, addr, family) => resolve([err, addr, family])));
}

test('dns: names from the host table, families, all, order', async () => {
  const { world, a } = net();
  const p = lookup(a.dns, 'b', {});
  void world.run();
  assert.deepEqual(await p, [null, '10.0.0.2', 4]);
  assert.deepEqual((await lookup(a.dns, 'b', 6)).slice(0, 3), [null, 'fd00::2', 6]);
  assert.deepEqual(await lookup(a.dns, 'B', { family: 'IPv6' }), [null, 'fd00::2', 6]);
  assert.deepEqual((await lookup(a.dns, 'b', { all: true }))[1], [
    { address: '10.0.0.2', family: 4 }, { address: '10.0.1.2', family: 4 }, { address: 'fd00::2', family: 6 }]);
  assert.deepEqual((await lookup(a.dns, 'b', { all: true, order: 'ipv6first' }))[1], [
    { address: 'fd00::2', family: 6 }, { address: '10.0.0.2', family: 4 }, { address: '10.0.1.2', family: 4 }]);
  assert.deepEqual((await lookup(a.dns, 'localhost', { all: true }))[1], [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
  assert.deepEqual(await a.dns.promises.lookup('b', { family: 6 }), { address: 'fd00::2', family: 6 });
  assert.deepEqual(await promisify(a.dns.lookup as Lookup)('a', {}), { address: '10.0.0.1', family: 4 });
});

test('dns: IP literals come back as given, on the next tick, like node:dns', async () => {
  const { a } = net();
  for (const dns of [realDns, a.dns]) {
    const order: string[] = [];
    const p = new Promise<void>((resolve) => (dns.lookup as Lookup)('::1', { all: true }, (err, addr) => {
      order.push(JSON.stringify([err, addr]));
      resolve();
    }));
    order.push('sync');
    await p;
    assert.deepEqual(order, ['sync', '[null,[{"address":"::1","family":6}]]']);
  }
});

test('dns: an unknown name fails like getaddrinfo ENOTFOUND', async () => {
  const { world, a } = net();
  const p = lookup(a.dns, 'nowhere', {});
  void world.run();
  const [err] = await p;
  const e = err as Error & { code: string; errno: number; syscall: string; hostname: string };
  assert.equal(e.message, 'getaddrinfo ENOTFOUND nowhere');
  assert.deepEqual({ code: e.code, errno: e.errno, syscall: e.syscall, hostname: e.hostname },
    { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname: 'nowhere' });
  assert.deepEqual(Object.keys(e), ['errno', 'code', 'syscall', 'hostname']);
  await assert.rejects(a.dns.promises.lookup('nowhere.either'), { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND nowhere.either' });
});

test('dns: argument errors are node:dns errors', () => {
  const { a } = net();
  const cases: Array<[string, unknown[]]> = [
    ['hostname type', [5, () => {}]],
    ['family value', ['x', 5, () => {}]],
    ['options type', ['x', 'y', () => {}]],
    ['no callback', ['x', {}]],
    ['bad options.family', ['x', { family: 7 }, () => {}]],
    ['bad options.all', ['x', { all: 1 }, () => {}]],
    ['bad options.order', ['x', { order: 'random' }, () => {}]],
    ['bad options.hints', ['x', { hints: -1 }, () => {}]],
    ['bad options.verbatim', ['x', { verbatim: 'yes' }, () => {}]],
  ];
  for (const [what, args] of cases) {
    const run = (f: unknown): unknown => { try { (f as (...a: unknown[]) => void)(...args); } catch (e) { return e; } return undefined; };
    const r = run(realDns.lookup) as Error & { code: string };
    const v = run(a.dns.lookup) as Error & { code: string };
    assert.ok(r instanceof Error, what);
    assert.deepEqual({ name: v?.name, code: v?.code, message: v?.message }, { name: r.name, code: r.code, message: r.message }, what);
  }
});
