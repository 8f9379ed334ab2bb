// openTun's errors, close, the kernel's refusals, a device deleted under the reader, unref —
// each in a network namespace of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsUnavailable, onPath, runInNetns } from './netns.js';

const unavailable = netnsUnavailable();
type Failure = { code?: string; name?: string; message?: string };
type Stats = { rxPackets: number; rxDrops: number; txPackets: number; txDrops: number; txErrors: number };

test('TUN device lifecycle: errors that say why, close, refusals, deletion, unref', async (t) => {
  if (unavailable) { t.skip(unavailable); return; }
  const out = await runInNetns<Record<string, unknown>>('./netns-lifecycle.ts', []);
  if ('skip' in out) { t.skip(out.skip); return; }
  const r = out.result;
  assert.equal((r.badLayer as Failure).name, 'TypeError');
  assert.equal((r.longName as Failure).name, 'TypeError');
  assert.equal((r.badMtu as Failure).name, 'RangeError');
  assert.equal(r.named, 'ulc0');
  assert.equal(r.existsWhileOpen, true);
  const busy = r.busy as Failure;
  assert.equal(busy.code, 'EBUSY');
  assert.match(busy.message!, /ulc0 is already open/);
  const wrong = r.wrongType as Failure;
  assert.equal(wrong.code, 'EINVAL');
  assert.match(wrong.message!, /not a TAP device/);
  // Down: EIO; up but not IP: EINVAL. Both are errors, not drops, and nothing counted as sent.
  assert.deepEqual([(r.whileDown as Stats).txErrors, (r.whileDown as Stats).txPackets], [1, 0]);
  assert.deepEqual([(r.notIp as Stats).txErrors, (r.notIp as Stats).txPackets], [2, 0]);
  assert.equal(r.goneAfterClose, true, 'closing removes the (non-persistent) device at once');
  assert.equal((r.afterClose as Stats).txDrops, 1, 'a send after close is a drop');
  assert.equal(r.reopen, 'ok', 'the name can be opened again right after close()');
  assert.equal(r.closeEvents, 1, "one 'close' event for two close() calls");
  assert.notEqual(r.deleteNoError, true, 'deleting the device must fail the reader');
  assert.equal((r.deleteError as Failure).code, 'EBADFD');
  assert.deepEqual(r.deleteEvents, ['error', 'close']);
  assert.equal(r.deleteClosed, true);
  assert.equal(r.left, 'uref0', 'the script ended by itself with an unref\'d device open');
});

test('openTun explains a missing permission (EACCES) and a missing CAP_NET_ADMIN (EPERM)', async (t) => {
  if (unavailable) { t.skip(unavailable); return; }
  if (process.getuid?.() !== 0 || !onPath('setpriv')) { t.skip('needs root and setpriv to drop privileges'); return; }
  const nobody = await runInNetns<{ open: Failure }>('./netns-lifecycle.ts', ['privs'],
    { wrap: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'] });
  if ('skip' in nobody) { t.skip(nobody.skip); return; }
  // /dev/net/tun is often 0666: then `nobody` gets past open() and fails at TUNSETIFF instead.
  const o = nobody.result.open;
  assert.ok(o.code === 'EACCES' || o.code === 'EPERM', JSON.stringify(o));
  assert.match(o.message!, o.code === 'EACCES' ? /permission denied opening \/dev\/net\/tun/ : /no CAP_NET_ADMIN/);
  const noCap = await runInNetns<{ open: Failure }>('./netns-lifecycle.ts', ['privs'],
    { wrap: ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin'] });
  if ('skip' in noCap) { t.skip(noCap.skip); return; }
  assert.equal(noCap.result.open.code, 'EPERM');
  assert.match(noCap.result.open.message!, /no CAP_NET_ADMIN: creating TUN device upriv0/);
});
