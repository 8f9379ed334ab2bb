// A node:net listener flooded with 10,000 SYNs from spoofed sources (crafted by hand and written
// into an in-process device, so they cross the IP layer like any packet) still accepts a
// legitimate client: the SYN queue fills and SYN cookies take over (RFC 4987 §3.6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/world/network.js';
import { parseIPv4 } from '../../src/wire/addr.js';
import { emitIpv4Header, IPV4_HEADER_LEN } from '../../src/wire/ipv4.js';
import { emitTcpHeader, tcpOptionsLength, TCP_SYN } from '../../src/wire/tcp.js';

test('10,000 spoofed SYNs: the listener still accepts a legitimate client and serves it', async () => {
  const world = new Network({ seed: 11 });
  const lan = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(lan, { ipv4: '10.0.0.1/24' });
  b.attach(lan, { ipv4: '10.0.0.2/24' });
  const dev = b.attachDevice('tun0', { ipv4: '10.9.0.1/16' }); // where the flood comes from
  let synacksToSpoofed = 0;
  dev.on('packet', () => { synacksToSpoofed++; });
  const srv = b.net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => srv.listen(80, () => r())); // backlog 511, like Node's default

  const dst = parseIPv4('10.0.0.2')!;
  const options = { mss: 1460, sackPermitted: true, timestamp: { tsval: 1, tsecr: 0 }, wscale: 7 };
  const tcpLen = 20 + tcpOptionsLength(options);
  for (let i = 0; i < 10_000; i++) {
    const src = parseIPv4(`10.9.${1 + (i >> 8) % 250}.${1 + (i & 0xff) % 254}`)!;
    const pkt = new Uint8Array(IPV4_HEADER_LEN + tcpLen);
    emitIpv4Header(pkt, 0, { totalLength: pkt.length, id: i & 0xffff, ttl: 64, protocol: 6, src, dst, df: true });
    emitTcpHeader(pkt, IPV4_HEADER_LEN, { srcPort: 1024 + (i % 60000), dstPort: 80, seq: (i * 2654435761) >>> 0, ack: 0, flags: TCP_SYN, window: 64240, options }, 0, src, dst);
    dev.write(pkt);
  }
  await world.run({ for: '10ms' });
  const stats = b.tcp.stats;
  assert.ok(stats.SyncookiesSent! > 9000, `cookies sent: ${stats.SyncookiesSent}`);

  // The legitimate client, while the half-open connections are still queued.
  const c = a.net.connect(80, '10.0.0.2');
  const echoed = await new Promise<string>((resolve, reject) => {
    c.on('error', reject);
    c.on('connect', () => c.end('still here'));
    let got = '';
    c.on('data', (d: Buffer) => { got += d.toString(); });
    c.on('end', () => resolve(got));
  });
  assert.equal(echoed, 'still here');
  assert.equal(stats.SyncookiesRecv, 1, 'the client came in through a cookie');
  assert.ok(synacksToSpoofed >= 10_000, `every spoofed SYN was answered (${synacksToSpoofed})`);
  srv.close();
  dev.close();
});
