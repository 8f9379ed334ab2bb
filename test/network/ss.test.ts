// host.ss(): TCP and UDP sockets like `ss -tuan`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/world/network.js';

test('ss lists a listener, both ends of a connection, and bound UDP sockets', async () => {
  const world = new Network({ seed: 2 });
  const lan = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(lan, { ipv4: '10.0.0.1/24' });
  b.attach(lan, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  const srv = b.net.createServer((s) => { s.on('data', () => {}); });
  await new Promise<void>((r) => srv.listen(80, '10.0.0.2', () => r()));
  const c = a.net.connect(80, '10.0.0.2');
  await new Promise<void>((r) => c.on('connect', () => r()));
  c.write('x'.repeat(100));
  const u = b.dgram.createSocket('udp6');
  await new Promise<void>((r) => u.bind(53, () => r()));
  const cu = a.dgram.createSocket('udp4');
  cu.connect(9, '10.0.0.2');
  await new Promise<void>((r) => cu.on('connect', () => r()));
  await world.run({ for: '100ms' });

  const rows = b.ss();
  const listen = rows.find((r) => r.state === 'LISTEN');
  assert.deepEqual({ proto: listen?.proto, local: listen?.local, remote: listen?.remote }, { proto: 'tcp', local: '10.0.0.2:80', remote: '0.0.0.0:*' });
  const est = rows.find((r) => r.proto === 'tcp' && r.state === 'ESTAB');
  assert.equal(est?.local, '10.0.0.2:80');
  assert.equal(est?.remote, `10.0.0.1:${c.localPort}`);
  const udp = rows.find((r) => r.proto === 'udp');
  assert.deepEqual(udp && { state: udp.state, local: udp.local, remote: udp.remote }, { state: 'UNCONN', local: '[::]:53', remote: '[::]:*' });

  const arows = a.ss();
  assert.ok(arows.some((r) => r.proto === 'tcp' && r.state === 'ESTAB' && r.remote === '10.0.0.2:80'));
  const audp = arows.find((r) => r.proto === 'udp');
  assert.equal(audp?.state, 'ESTAB');
  assert.equal(audp?.remote, '10.0.0.2:9');
  c.destroy(); srv.close(); u.close(); cu.close();
});
