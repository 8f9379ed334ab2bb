// Bug 7 of issue 11, small: clients connecting at the same instant to one listener through a
// router, as Linux takes them (net.core.netdev_budget, the SYN queue and SYN cookies, the accept
// queue and tcp_abort_on_overflow). bench/scale runs the 10,000-client version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manyClients } from '../../bench/scale/many-clients.js';

const N = 200;

test(`${N} clients at one instant, listener backlog 20: receive rounds of netdev_budget 16 let the accept loop keep up; all complete at once`, async () => {
  const r = await manyClients(N, { perSwitch: 100, backlog: 20, virtualMs: 500, serverSysctl: { 'net.core.netdev_budget': 16 } });
  assert.deepEqual(r.errors, {});
  assert.equal(r.completed, N, JSON.stringify(r));
  assert.equal(r.server.ListenOverflows, 0, JSON.stringify(r.server));
  assert.ok(r.server.SoftnetSqueezed! > 0, 'the bursts took several rounds');
  assert.ok(r.server.SyncookiesSent! > 0, 'a SYN queue of 20 overflowed into SYN cookies');
});

test(`${N} clients at one instant, backlog 20, one receive round for the whole burst: the accept queue overflows, the ACKs are dropped (tcp_abort_on_overflow 0) and repeated; all complete, no error`, async () => {
  const r = await manyClients(N, { perSwitch: 100, backlog: 20, virtualMs: 60_000, serverSysctl: { 'net.core.netdev_budget': 100_000 } });
  assert.deepEqual(r.errors, {});
  assert.equal(r.completed, N, JSON.stringify(r));
  assert.ok(r.server.ListenOverflows! > 0, JSON.stringify(r.server));
  assert.equal(r.server.OutRsts, 0);
});
