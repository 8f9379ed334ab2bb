// HTTP between the Linux kernel and a usernet host over a TUN device, in a namespace of its own
// (netns-http.ts): curl against node:http on host.net, node:http on host.net against python3's
// http.server; IPv4 and IPv6; 1 MiB bodies each way, compared by SHA-256.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsUnavailable, runInNetns } from './netns.js';
import type { Run } from './netns-tools.js';

type Curl = { get: Run; gotSha: string; post: Run };
type NodeGet = { ok: boolean; status?: number; bytes?: number; sha?: string; error?: string };
interface HttpResult {
  servedSha: string; uploadSha: string; fileSha: string;
  curl4: Curl; curl6: Curl; node4: NodeGet; node6: NodeGet;
  pythonLog4: string[]; pythonLog6: string[]; peers: string[];
  iface: { rxPackets: number; txPackets: number; rxErrors: number; rxDropped: number };
  stats: { rxPackets: number; txPackets: number; rxDrops: number; txDrops: number; txErrors: number };
}

const unavailable = netnsUnavailable();

test('HTTP over TUN between the kernel (curl, python3 http.server) and usernet (node:http on host.net)', async (t) => {
  if (unavailable) { t.skip(unavailable); return; }
  const out = await runInNetns<HttpResult>('./netns-http.ts', [], { timeoutMs: 120_000 });
  if ('skip' in out) { t.skip(out.skip); return; }
  const r = out.result;
  const size = String(1 << 20);
  for (const fam of ['4', '6'] as const) {
    await t.test(`IPv${fam}: curl GETs from and POSTs to usernet's node:http server`, () => {
      const c = r[`curl${fam}`];
      assert.equal(c.get.exit, 0, c.get.out);
      assert.equal(c.get.out, `200 ${size}`);
      assert.equal(c.gotSha, r.servedSha, 'the body curl received is the one served');
      assert.equal(c.post.exit, 0, c.post.out);
      assert.equal(c.post.out, `${size} ${r.uploadSha}`, 'usernet received the body curl posted');
    });
    await t.test(`IPv${fam}: node:http on host.net GETs from python3's http.server`, () => {
      const n = r[`node${fam}`];
      assert.equal(n.ok, true, n.error);
      assert.equal(n.status, 200);
      assert.equal(n.bytes, 1 << 20);
      assert.equal(n.sha, r.fileSha);
      assert.deepEqual(r[`pythonLog${fam}`], [fam === '4' ? '10.77.0.2' : 'fd77::2'], 'the kernel saw usernet\'s address');
    });
  }
  assert.deepEqual(r.peers, ['::ffff:10.77.0.1 GET /blob', '::ffff:10.77.0.1 POST /upload', 'fd77::1 GET /blob', 'fd77::1 POST /upload'],
    'usernet\'s server saw the kernel\'s addresses (IPv4 on a dual-stack listener as ::ffff:)');
  assert.equal(r.stats.rxPackets, r.iface.rxPackets);
  assert.equal(r.stats.txPackets, r.iface.txPackets);
  assert.equal(r.stats.rxDrops + r.stats.txDrops + r.stats.txErrors + r.iface.rxErrors + r.iface.rxDropped, 0);
});
