// The shape of host.net: constructors as Node's (callable, old-style and class inheritance),
// per-host defaults, argument errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inherits } from 'node:util';
import * as realNet from 'node:net';
import { Scheduler } from '../../src/links/clock.js';
import { Sys } from '../../src/sys/sys.js';
import { UnixNamespace, registerUnix } from '../../src/kernel/unix.js';
import { createNet, NetSocket, NetServer } from '../../src/node/net.js';

function virtualNet() {
  const sched = new Scheduler('virtual');
  const sys = new Sys();
  registerUnix(sys, new UnixNamespace(sched));
  return createNet({ loop: { sys, sched }, lookup: () => assert.fail('no lookups here') });
}

test('Socket and Server work with and without new, old-style and class inheritance', async () => {
  const net = virtualNet();
  const a = net.Socket();
  assert.ok(a instanceof net.Socket && a instanceof NetSocket);
  assert.equal(net.Stream, net.Socket);
  const srv = net.Server();
  assert.ok(srv instanceof net.Server && srv instanceof NetServer);

  function OldStyle(this: NetSocket, opts?: object): void { net.Socket.call(this, opts); }
  inherits(OldStyle, net.Socket);
  const o = new (OldStyle as unknown as new (opts?: object) => NetSocket)({ allowHalfOpen: true });
  assert.ok(o instanceof net.Socket);
  assert.equal(o.allowHalfOpen, true);
  assert.equal(o.readyState, new realNet.Socket().readyState);

  class Echo extends net.Server {
    constructor() { super((s: NetSocket) => s.pipe(s)); }
  }
  const e = new Echo();
  await new Promise<void>((r) => e.listen('/echo', () => r()));
  const c = net.connect('/echo');
  c.end('hi');
  let got = '';
  for await (const d of c) got += d;
  assert.equal(got, 'hi');
  e.close();
});

test('autoselection defaults are per host and validated as Node validates them', () => {
  const a = virtualNet();
  const b = virtualNet();
  assert.equal(a.getDefaultAutoSelectFamily(), realNet.getDefaultAutoSelectFamily());
  assert.equal(a.getDefaultAutoSelectFamilyAttemptTimeout(), realNet.getDefaultAutoSelectFamilyAttemptTimeout());
  a.setDefaultAutoSelectFamily(false);
  a.setDefaultAutoSelectFamilyAttemptTimeout(5);
  assert.equal(a.getDefaultAutoSelectFamily(), false);
  assert.equal(a.getDefaultAutoSelectFamilyAttemptTimeout(), 10);
  assert.equal(b.getDefaultAutoSelectFamily(), true);
  const codeOf = (fn: () => unknown): string | undefined => { try { fn(); } catch (e) { return (e as { code?: string }).code; } return undefined; };
  assert.equal(codeOf(() => a.setDefaultAutoSelectFamily(1 as unknown as boolean)), 'ERR_INVALID_ARG_TYPE');
  assert.equal(codeOf(() => a.setDefaultAutoSelectFamilyAttemptTimeout(0)), codeOf(() => realNet.setDefaultAutoSelectFamilyAttemptTimeout(0)));
  assert.equal(a.isIP('::1'), 6);
  assert.equal(a.isIPv4('10.0.0.1'), true);
  assert.equal(a.BlockList, realNet.BlockList);
});

test('argument errors match node:net', () => {
  const net = virtualNet();
  const same = (fn: (n: typeof realNet) => unknown): void => {
    const catchIt = (n: typeof realNet): Record<string, unknown> => {
      try { fn(n); } catch (e) { const x = e as Error & { code?: string }; return { code: x.code, message: x.message, name: x.name }; }
      return {};
    };
    assert.deepEqual(catchIt(net as unknown as typeof realNet), catchIt(realNet));
  };
  same((n) => n.connect({} as never));
  same((n) => n.connect({ port: -1 }));
  same((n) => n.connect({ port: 80, localAddress: 'nope' }));
  same((n) => n.connect({ port: 80, autoSelectFamily: 'yes' as never }));
  same((n) => n.createServer().listen({ port: 65536 }));
  same((n) => n.createServer().listen({ host: 'x' } as never));
  same((n) => n.createServer(7 as never));
  same((n) => new n.Socket({ objectMode: true } as never));
  same((n) => new n.Socket().setTimeout(-1));
  same((n) => new n.Socket().setTimeout(1, 'x' as never));
});
