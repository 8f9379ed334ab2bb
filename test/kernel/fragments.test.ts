import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../../src/links/clock.js';
import { FRAG_QUEUE_OVERHEAD, Reassembler, REASM_HIGH_THRESH, REASM_TIMEOUT_MS } from '../../src/kernel/fragments.js';
import { truesize } from '../../src/kernel/mem.js';

function counters(): Record<string, number> {
  return { ReasmReqds: 0, ReasmOKs: 0, ReasmFails: 0, ReasmTimeout: 0, ReasmOverlaps: 0 };
}

test('reassembly memory: past ipfrag_high_thresh every fragment is dropped (Linux 4.17+ inet_frag_find) until datagrams complete or expire', async () => {
  const sched = new Scheduler('virtual');
  const st = counters();
  const expired: string[] = [];
  const r = new Reassembler(sched, st, (q) => expired.push(q.key));
  const n = 3000; // 3000 first fragments in frames of their own, each charged its frame and its queue
  const perQueue = FRAG_QUEUE_OVERHEAD + truesize(new Uint8Array(1514));
  let max = 0;
  for (let i = 0; i < n; i++) {
    const frame = new Uint8Array(1514);
    assert.equal(r.add(`d${i}`, 0, frame.subarray(34), true, frame.subarray(14), 65515, 2), null);
    // Checked before a fragment is taken: at most one datagram's worth over.
    assert.ok(r.memory <= REASM_HIGH_THRESH + perQueue);
    assert.equal(r.memory, r.size * perQueue);
    max = Math.max(max, r.size);
  }
  const kept = Math.floor(REASM_HIGH_THRESH / perQueue) + 1;
  assert.equal(max, kept);
  assert.equal(st.ReasmFails, n - kept);
  // The oldest are kept; while over the threshold even the fragment completing one is dropped.
  assert.equal(r.add('d0', 1480, new Uint8Array(100), false, new Uint8Array(120), 65515, 2), null);
  assert.equal(r.size, kept);
  assert.equal(st.ReasmFails, n - kept + 1);
  // Lowering the charge below the threshold (one datagram timing out is enough) lets fragments in again.
  await sched.run(REASM_TIMEOUT_MS + 1);
  assert.equal(expired.length, kept);
  assert.equal(r.memory, 0);
  const f = new Uint8Array(1514);
  assert.equal(r.add('e', 0, f.subarray(34), true, f.subarray(14), 65515, 2), null);
  const q = r.add('e', 1480, new Uint8Array(100), false, new Uint8Array(120), 65515, 2);
  assert.ok(q !== null);
  assert.equal(q.total, 1580);
  assert.equal(st.ReasmOKs, 1);
  // ipfrag_high_thresh = 0: nothing is reassembled.
  r.params.lowThresh = 0;
  r.params.highThresh = 0;
  assert.equal(r.add('g', 0, f.subarray(34), true, f.subarray(14), 65515, 2), null);
  assert.equal(r.size, 0);
  r.clear();
  assert.equal(r.memory, 0);
});

test('reassembly: timeout after 30 s (Linux ipfrag_time), length consistency rules', async () => {
  const sched = new Scheduler('virtual');
  const st = counters();
  const expired: string[] = [];
  const r = new Reassembler(sched, st, (q) => expired.push(q.key));
  const d = new Uint8Array(64);
  r.add('x', 0, d.subarray(0, 16), true, d, 65515, 2);
  await sched.run(REASM_TIMEOUT_MS - 1);
  assert.deepEqual(expired, []);
  await sched.run(2);
  assert.deepEqual(expired, ['x']);
  assert.equal(st.ReasmTimeout, 1);
  assert.equal(r.memory, 0);
  // Two different last fragments: corrupt, dropped.
  r.add('y', 16, d.subarray(0, 16), false, d, 65515, 2);
  assert.equal(r.add('y', 24, d.subarray(0, 16), false, d, 65515, 2), null);
  assert.equal(r.size, 0);
  // Data beyond the known end: dropped.
  r.add('z', 16, d.subarray(0, 8), false, d, 65515, 2);
  assert.equal(r.add('z', 16, d.subarray(0, 16), true, d, 65515, 2), null);
  assert.equal(r.size, 0);
  // Beyond the family's maximum.
  assert.equal(r.add('w', 65512, d.subarray(0, 32), false, d, 65515, 2), null);
  assert.equal(st.ReasmFails, 4);
  r.clear();
  await sched.run();
});
