// Under usernet/register, node:dns's resolvers, lookup and lookupService are the virtual host's:
// a program's own DNS server on 127.0.0.1:53 inside it answers dns.resolve*, and nothing reaches
// the machine's resolver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;

const program = `
import dgram from 'node:dgram';
import dns, { Resolver } from 'node:dns';
import dnsPromises from 'node:dns/promises';
const out = [];
out.push(JSON.stringify([dns.getServers(), new Resolver().getServers(), dnsPromises === dns.promises]));
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => {
  const b = Buffer.from(m);
  b[2] |= 0x80; b[7] = 1;
  s.send(Buffer.concat([b, Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 9, 0, 4, 192, 0, 2, 53])]), r.port, r.address);
});
await new Promise((r) => s.bind(53, '127.0.0.1', r));
out.push(JSON.stringify(await dnsPromises.resolve4('x.example', { ttl: true })));
out.push(JSON.stringify(await new Promise((res) => dns.resolve4('y.example', (e, a) => res(e ?? a)))));
out.push(JSON.stringify(await dnsPromises.lookupService('127.0.0.1', 22)));
s.close();
const e = await new dnsPromises.Resolver({ tries: 1 }).resolveMx('z.example').then(() => null, (err) => err.message);
out.push(e);
console.log(out.join('\\n'));
`;

test('usernet/register: dns.resolve*, Resolver, lookupService are the virtual host\'s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'usernet-dns-register-'));
  const file = join(dir, 'prog.mjs');
  writeFileSync(file, program);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', join(root, 'src/register/register.mts'), file], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    '[["127.0.0.1"],["127.0.0.1"],true]',
    '[{"address":"192.0.2.53","ttl":9}]',
    '["192.0.2.53"]',
    '{"hostname":"localhost","service":"ssh"}',
    // The server is gone: ICMP port unreachable from the host's own loopback, at once.
    'queryMx ECONNREFUSED z.example',
  ]);
});
