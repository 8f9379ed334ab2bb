import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runDemo } from '../../src/cli/demo.js';
import { tsharkAvailable, tsharkRead, TSHARK_MISSING } from '../tshark.js';

test('the demo exchanges datagrams and pings, and tshark reads its captures cleanly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usernet-demo-'));
  const lines: string[] = [];
  const r = await runDemo({ pcap: join(dir, 'demo.pcap'), seed: 1, out: (l) => lines.push(l) });
  const text = lines.join('\n');
  assert.equal(r.datagrams, 4);
  assert.equal(r.pings, 3);
  assert.match(text, /a got HELLO OVER UDP4 from 10\.0\.0\.2:7/);
  assert.match(text, /a got HELLO OVER UDP6 from fd00::2:7/);
  assert.match(text, /ARP, Request who-has 10\.0\.0\.2 tell 10\.0\.0\.1/);
  assert.match(text, /neighbor solicitation, who has fd00::2/);
  assert.match(text, /ttl=63/);
  assert.match(text, /Time to live exceeded/);
  assert.match(text, /sendto\(3, 15 bytes, \{10\.0\.0\.2:7\}\) = 15/);
  // The HTTP exchange: status, the server's and client's events, the handshake on the wire.
  assert.equal(r.httpStatus, 200);
  assert.match(text, /hello ::ffff:10\.0\.0\.1 from c/);
  for (const ev of [/c srv +'listening'/, /c srv +'connection'/, /c srv +'data'/, /a cli +'connect'/, /a cli +'data'/, /a cli +'close'/, /Flags \[SYN\]/, /Flags \[SYN,ACK\]/, /Flags \[FIN,ACK\]/]) {
    assert.match(text, ev);
  }
  assert.match(text, /TIME-WAIT/);
  // Same seed, same run: the capture bytes are identical.
  const again = await runDemo({ pcap: join(dir, 'again.pcap'), seed: 1, out: () => {} });
  assert.deepEqual(readFileSync(again.pcap), readFileSync(r.pcap));
  if (!tsharkAvailable) { t.skip(TSHARK_MISSING); return; }
  for (const f of [r.pcap, r.pcap2]) {
    const read = tsharkRead(f);
    assert.ok(read.lines.length > 10, read.lines.join('\n'));
    assert.deepEqual(read.flagged, [], `tshark flagged in ${f}:\n${read.flagged.join('\n')}`);
  }
});

test('`usernet --help` and an unknown command', () => {
  const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
  const help = spawnSync(process.execPath, ['--import', 'tsx', main, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usernet demo/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', main, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command 'frobnicate'/);
});
