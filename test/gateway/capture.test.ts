// What the gateway puts on the wire itself, read back by tshark: the RST that refuses a SYN whose
// real connect was refused, and the ICMP port unreachable for a refused UDP flow. Real sockets
// only on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Network } from '../../src/world/network.js';
import { tsharkAvailable, TSHARK_MISSING, tsharkRead, MALFORMED_OR_BAD_CHECKSUM } from '../tshark.js';

test('the gateway\'s RST and ICMP port unreachable are well-formed on the wire (tshark)', {
  timeout: 60_000,
  skip: tsharkAvailable ? false : TSHARK_MISSING,
}, async () => {
  // A TCP and a UDP port where nothing listens on loopback now.
  const t = net.createServer().listen(0, '127.0.0.1');
  await once(t, 'listening');
  const tport = (t.address() as net.AddressInfo).port;
  await new Promise<void>((r) => t.close(() => r()));
  const u = dgram.createSocket('udp4').bind(0, '127.0.0.1');
  await once(u, 'listening');
  const uport = u.address().port;
  u.close();

  const dir = mkdtempSync(join(tmpdir(), 'usernet-gw-'));
  const path = join(dir, 'lan.pcap');
  const world = new Network({ clock: 'real', seed: 2 });
  const lan = world.switch('lan');
  const a = world.host('a');
  a.attach(lan, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const gw = world.gateway({ attach: lan, ipv4: '10.0.0.254/24', ipv6: 'fd00::fe/64' });
  const cap = world.capture(lan, path);
  try {
    for (const host of ['10.0.0.254', 'fd00::fe']) {
      const c = a.net.connect(tport, host);
      const [err] = await once(c, 'error') as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNREFUSED');
    }
    const s = a.dgram.createSocket('udp4');
    s.connect(uport, '10.0.0.254');
    await once(s, 'connect');
    s.send('x');
    const [uerr] = await once(s, 'error') as [NodeJS.ErrnoException];
    assert.equal(uerr.code, 'ECONNREFUSED');
    s.close();
    await cap.close();
    const r = tsharkRead(path, { flagFilter: MALFORMED_OR_BAD_CHECKSUM });
    assert.deepEqual(r.flagged, []);
    const rsts = r.lines.filter((l) => /\[RST, ACK\]/.test(l));
    assert.equal(rsts.length, 2, r.lines.join('\n'));
    assert.ok(rsts.some((l) => l.includes('10.0.0.254 → 10.0.0.1')), rsts.join('\n'));
    assert.ok(rsts.some((l) => l.includes('fd00::fe → fd00::1')), rsts.join('\n'));
    assert.ok(r.lines.some((l) => /10\.0\.0\.254 → 10\.0\.0\.1 +ICMP.*Port unreachable/.test(l)), r.lines.join('\n'));
  } finally {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
