import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PortTable, checkBindAddress, coverage, overlaps, EPHEMERAL_LOW, EPHEMERAL_HIGH, type BindRequest } from '../../src/kernel/ports.js';
import { Random } from '../../src/links/random.js';
import { EADDRINUSE, EADDRNOTAVAIL, EINVAL } from '../../src/uapi/errno.js';

function req(family: 4 | 6, address: string, port: number, o: Partial<BindRequest> = {}): BindRequest {
  return { family, address, port, v6only: false, reuseAddr: false, reusePort: false, ...o };
}

test('ports: same address and port is EADDRINUSE; different specific addresses coexist', () => {
  const t = new PortTable<string>(new Random(1));
  assert.notEqual(typeof t.bind('a', req(4, '10.0.0.1', 53)), 'number');
  assert.equal(t.bind('b', req(4, '10.0.0.1', 53)), -EADDRINUSE);
  assert.notEqual(typeof t.bind('c', req(4, '10.0.0.2', 53)), 'number');
  // A wildcard overlaps both specific bindings.
  assert.equal(t.bind('d', req(4, '0.0.0.0', 53)), -EADDRINUSE);
  assert.equal(t.size, 2);
});

test('ports: wildcard first blocks a specific address later', () => {
  const t = new PortTable<string>(new Random(1));
  t.bind('a', req(4, '0.0.0.0', 7));
  assert.equal(t.bind('b', req(4, '127.0.0.1', 7)), -EADDRINUSE);
});

test('ports: SO_REUSEADDR on both sides shares; on one side does not', () => {
  const t = new PortTable<string>(new Random(1));
  t.bind('a', req(4, '0.0.0.0', 5000, { reuseAddr: true }));
  assert.equal(t.bind('b', req(4, '0.0.0.0', 5000)), -EADDRINUSE);
  assert.notEqual(typeof t.bind('c', req(4, '0.0.0.0', 5000, { reuseAddr: true })), 'number');
});

test('ports: SO_REUSEPORT on both sides shares', () => {
  const t = new PortTable<string>(new Random(1));
  t.bind('a', req(6, '::', 5000, { reusePort: true }));
  assert.equal(t.bind('b', req(6, '::', 5000, { reuseAddr: true })), -EADDRINUSE);
  assert.notEqual(typeof t.bind('c', req(6, '::', 5000, { reusePort: true })), 'number');
});

test('ports: dual stack: :: without v6only owns the IPv4 port, with v6only it does not', () => {
  const t = new PortTable<string>(new Random(1));
  t.bind('a', req(6, '::', 80));
  assert.equal(t.bind('b', req(4, '0.0.0.0', 80)), -EADDRINUSE);
  assert.equal(t.bind('b', req(4, '10.0.0.1', 80)), -EADDRINUSE);
  const u = new PortTable<string>(new Random(1));
  u.bind('a', req(6, '::', 80, { v6only: true }));
  assert.notEqual(typeof u.bind('b', req(4, '0.0.0.0', 80)), 'number');
  assert.equal(u.bind('c', req(6, 'fd00::1', 80)), -EADDRINUSE);
  // IPv4 first, then a dual-stack :: collides; a v6only :: does not.
  const w = new PortTable<string>(new Random(1));
  w.bind('a', req(4, '0.0.0.0', 81));
  assert.equal(w.bind('b', req(6, '::', 81)), -EADDRINUSE);
  assert.notEqual(typeof w.bind('c', req(6, '::', 81, { v6only: true })), 'number');
});

test('ports: a v4-mapped binding is its IPv4 address', () => {
  assert.deepEqual(coverage(6, '::ffff:10.0.0.1', false), { v4: '10.0.0.1', v6: null });
  assert.deepEqual(coverage(6, '::ffff:0.0.0.0', false), { v4: '*', v6: null });
  assert.ok(overlaps(coverage(6, '::ffff:10.0.0.1', false), coverage(4, '0.0.0.0', false)));
  assert.ok(!overlaps(coverage(6, 'fd00::1', false), coverage(4, '0.0.0.0', false)));
});

test('ports: ephemeral ports are in 32768-60999, distinct, seeded', () => {
  const pick = (seed: number): number[] => {
    const t = new PortTable<number>(new Random(seed));
    const out: number[] = [];
    for (let i = 0; i < 200; i++) {
      const e = t.bind(i, req(4, '0.0.0.0', 0));
      assert.notEqual(typeof e, 'number');
      out.push((e as { port: number }).port);
    }
    return out;
  };
  const a = pick(42);
  for (const p of a) assert.ok(p >= EPHEMERAL_LOW && p <= EPHEMERAL_HIGH, `port ${p}`);
  assert.equal(new Set(a).size, a.length);
  assert.deepEqual(pick(42), a);
  assert.notDeepEqual(pick(43), a);
});

test('ports: exhausting a small range gives EADDRINUSE; parity preference', () => {
  const t = new PortTable<number>(new Random(3), { low: 40000, high: 40003 });
  for (let i = 0; i < 4; i++) assert.notEqual(typeof t.bind(i, req(4, '0.0.0.0', 0)), 'number');
  assert.equal(t.bind(9, req(4, '0.0.0.0', 0)), -EADDRINUSE);
  const u = new PortTable<number>(new Random(3), { low: 40000, high: 40009 });
  for (let i = 0; i < 5; i++) assert.equal(u.pickEphemeral(() => true, 1) % 2, 1);
  assert.equal(u.pickEphemeral((p) => p % 2 === 0, 1) % 2, 0); // falls back to the other parity
});

test('ports: unbind frees the port; conflict() re-checks a bound entry', () => {
  const t = new PortTable<string>(new Random(1), {
    // A TCP-like rule: SO_REUSEADDR shares only when the existing socket is not listening.
    mayShare: (a, b) => a.reuseAddr && b.reuseAddr && b.owner !== 'listener',
  });
  const a = t.bind('listener', req(4, '0.0.0.0', 80, { reuseAddr: true }));
  assert.equal(t.bind('x', req(4, '0.0.0.0', 80, { reuseAddr: true })), -EADDRINUSE);
  assert.notEqual(typeof a, 'number');
  t.unbind(a as Exclude<typeof a, number>);
  const b = t.bind('x', req(4, '0.0.0.0', 80, { reuseAddr: true }));
  assert.notEqual(typeof b, 'number');
  assert.equal(t.conflict(b as Exclude<typeof b, number>), null);
  assert.equal(t.entries(80).length, 1);
  assert.equal(t.entries(81).length, 0);
});

test('ports: bind address checks (EADDRNOTAVAIL, EINVAL for mapped on v6only)', () => {
  const local = (f: 4 | 6, a: string): boolean => (f === 4 ? a === '10.0.0.1' || a === '127.0.0.1' : a === 'fd00::1' || a === '::1');
  assert.equal(checkBindAddress(4, '10.0.0.1', false, local), 0);
  assert.equal(checkBindAddress(4, '10.0.0.9', false, local), -EADDRNOTAVAIL);
  assert.equal(checkBindAddress(4, '0.0.0.0', false, local), 0);
  assert.equal(checkBindAddress(4, '239.1.2.3', false, local), 0);
  assert.equal(checkBindAddress(6, 'fd00::9', false, local), -EADDRNOTAVAIL);
  assert.equal(checkBindAddress(6, 'ff02::1', false, local), 0);
  assert.equal(checkBindAddress(6, '::ffff:10.0.0.1', false, local), 0);
  assert.equal(checkBindAddress(6, '::ffff:10.0.0.9', false, local), -EADDRNOTAVAIL);
  assert.equal(checkBindAddress(6, '::ffff:10.0.0.1', true, local), -EINVAL);
});

test('ports: property: after any sequence of binds and unbinds, no two bindings collide', async () => {
  const fc = (await import('fast-check')).default;
  const addrs: Array<[4 | 6, string]> = [[4, '0.0.0.0'], [4, '10.0.0.1'], [4, '127.0.0.1'], [6, '::'], [6, 'fd00::1'], [6, '::ffff:10.0.0.1']];
  const op = fc.oneof(
    fc.record({ kind: fc.constant('bind' as const), addr: fc.integer({ min: 0, max: addrs.length - 1 }), port: fc.constantFrom(0, 80, 81),
      v6only: fc.boolean(), reuseAddr: fc.boolean(), reusePort: fc.boolean() }),
    fc.record({ kind: fc.constant('unbind' as const), index: fc.nat() }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 40 }), fc.nat(), (ops, seed) => {
    const t = new PortTable<number>(new Random(seed), { low: 40000, high: 40003 });
    const live: Array<Exclude<ReturnType<typeof t.bind>, number>> = [];
    let n = 0;
    for (const o of ops) {
      if (o.kind === 'bind') {
        const [family, address] = addrs[o.addr]!;
        const e = t.bind(n++, req(family, address, o.port, { v6only: family === 6 && o.v6only, reuseAddr: o.reuseAddr, reusePort: o.reusePort }));
        if (typeof e === 'number') { assert.equal(e, -EADDRINUSE); continue; }
        if (o.port === 0) assert.ok(e.port >= 40000 && e.port <= 40003);
        live.push(e);
      } else if (live.length > 0) {
        t.unbind(live.splice(o.index % live.length, 1)[0]!);
      }
    }
    assert.equal(t.size, live.length);
    // Every overlapping pair is allowed to share by the rule (later binder against earlier).
    for (let i = 0; i < live.length; i++) {
      for (let j = i + 1; j < live.length; j++) {
        const x = live[i]!, y = live[j]!;
        if (x.port !== y.port || !overlaps(x, y)) continue;
        const [first, second] = x.owner < y.owner ? [x, y] : [y, x];
        assert.ok((first.reuseAddr && second.reuseAddr) || (first.reusePort && second.reusePort),
          `${first.address}:${first.port} and ${second.address}:${second.port} collide`);
      }
    }
  }), { numRuns: 300 });
});
