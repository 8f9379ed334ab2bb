// The small version of scripts/tcp-lossy.ts (64 MiB on demand): 4 MiB over a link with 40 ms
// latency, 2% loss, 1% reordering and 0.1% duplication arrives byte-identical, and tshark finds
// no malformed segment and no bad checksum in the capture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tsharkAvailable, TSHARK_MISSING } from '../tshark.js';

test('4 MiB over a lossy, reordering, duplicating 40 ms link: SHA-256 identical, capture clean', (t) => {
  const root = new URL('../../', import.meta.url).pathname;
  const pcap = join(mkdtempSync(join(tmpdir(), 'usernet-lossy-')), 'lossy.pcap');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/tcp-lossy.ts', '4', '7', pcap], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^OK sha256 [0-9a-f]{64}$/m);
  assert.match(r.stdout, /retransmitted [1-9]\d* segments/, 'losses were recovered by retransmission');
  if (!tsharkAvailable) { t.skip(TSHARK_MISSING); return; }
  assert.match(r.stdout, /tshark read [1-9]\d* frames of .*: 0 malformed or with a bad checksum/);
});
