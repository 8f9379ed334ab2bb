// Under usernet/register, process._getActiveHandles() and process.getActiveResourcesInfo() list
// the virtual host's servers and sockets as Node lists its own on the kernel ("what keeps my
// process alive" tools), and leave out the timers the network's scheduler holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;

const program = `
import net from 'node:net';
import dgram from 'node:dgram';
// stdio's PipeWraps, TTYWraps and the kernel's transient ConnectWrap aside
const names = () => process.getActiveResourcesInfo().filter((n) => ['TCPServerWrap', 'TCPSocketWrap', 'UDPWrap', 'Timeout'].includes(n));
const server = net.createServer((s) => s.on('data', () => {})).listen(4000);
await new Promise((r) => server.once('listening', r));
const accepted = new Promise((r) => server.once('connection', r));
const c = net.connect(4000, '127.0.0.1');
await new Promise((r) => c.once('connect', r));
await accepted;
const u = dgram.createSocket('udp4');
await new Promise((r) => u.bind(0, r));
const t = setTimeout(() => {}, 1000);
const during = names();
// No listener of usernet's on the program's objects; a server never listened on is collected.
const listeners = [server, c, u].map((o) => o.listenerCount('close'));
let dropped = new WeakRef(net.createServer());
await new Promise((r) => setImmediate(r));
globalThis.gc();
await new Promise((r) => setImmediate(r));
const collected = dropped.deref() === undefined;
const handles = process._getActiveHandles().filter((h) => h === server || h === c || h === u || (h instanceof net.Socket && h.remotePort === c.localPort));
c.destroy(); u.close(); server.close(); clearTimeout(t);
for (let i = 0; i < 200 && names().length > 0; i++) await new Promise((r) => setTimeout(r, 10)); // closes take a round trip
console.log(JSON.stringify({ during, handles: handles.length, after: names(), listeners, collected }));
`;

test('usernet/register: _getActiveHandles() and getActiveResourcesInfo() list the host\'s servers and sockets, as on the kernel (with no listener of their own on them, holding none alive)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'usernet-register-handles-'));
  const file = join(dir, 'prog.mjs');
  writeFileSync(file, program);
  const kernel = spawnSync(process.execPath, ['--expose-gc', file], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(kernel.status, 0, kernel.stderr);
  const want = { during: ['TCPServerWrap', 'TCPSocketWrap', 'TCPSocketWrap', 'UDPWrap', 'Timeout'], handles: 4, after: [], listeners: [0, 0, 0], collected: true };
  assert.deepEqual(JSON.parse(kernel.stdout), want, 'the kernel lists these');
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', join(root, 'src/register/register.mts'), file], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), want);
});
