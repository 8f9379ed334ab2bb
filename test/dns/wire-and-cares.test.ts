// The network's DNS on the wire and against the real thing: a capture of a query that comes
// back truncated and goes again over TCP, read by tshark; and Node's own c-ares resolver on
// the real loopback, reaching the virtual DNS server through world.forward, giving the same
// records and errors as host.dns for every type (on the running Node line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import realDns from 'node:dns';
import { Network } from '../../src/index.js';
import { tsharkAvailable, tsharkRead, TSHARK_MISSING } from '../tshark.js';
import { routed, settle } from './helpers.js';

test('dns on the wire: UDP query, truncated answer, the same query over TCP (tshark reads it cleanly)', async (t) => {
  const { world, a, lan2 } = routed(41);
  a.resolvConf = 'nameserver 10.0.2.53\n';
  for (let i = 0; i < 30; i++) world.dns.add('big.test', 'TXT', `${'t'.repeat(30)}${i}`);
  world.dns.add('example.test', 'MX', { exchange: 'b', priority: 5 });
  const path = join(mkdtempSync(join(tmpdir(), 'usernet-dns-')), 'dns.pcap');
  const cap = world.capture(lan2, path);
  await settle(world, a.dns.promises.resolveMx('example.test'));
  await settle(world, a.dns.promises.resolveTxt('big.test'));
  await world.run({ for: '1s' });
  await cap.close();
  if (!tsharkAvailable) { t.skip(TSHARK_MISSING); return; }
  const read = tsharkRead(path);
  assert.deepEqual(read.flagged, [], read.flagged.join('\n'));
  const dns = read.lines.filter((l) => / DNS /.test(l));
  const has = (re: RegExp): boolean => dns.some((l) => re.test(l));
  assert.ok(has(/10\.0\.1\.1 → 10\.0\.2\.53 .*Standard query 0x[0-9a-f]{4} MX example\.test$/), dns.join('\n'));
  assert.ok(has(/10\.0\.2\.53 → 10\.0\.1\.1 .*Standard query response 0x[0-9a-f]{4} MX example\.test MX 5 b A 10\.0\.2\.2/), dns.join('\n'));
  // The TXT answer does not fit in 512 octets: the UDP answer has TC set and no records; the
  // same query goes over TCP and gets all 30.
  const truncated = tsharkRead(path, { flagFilter: 'dns.flags.truncated == 1' }).flagged;
  assert.equal(truncated.length, 1, truncated.join('\n'));
  assert.match(truncated[0]!, /10\.0\.2\.53 → 10\.0\.1\.1 +DNS \d+ Standard query response 0x[0-9a-f]{4} TXT big\.test$/);
  const overTcp = tsharkRead(path, { flagFilter: 'tcp && dns.flags.response == 1' }).flagged;
  assert.equal(overTcp.length, 1, overTcp.join('\n'));
  assert.equal((overTcp[0]!.match(/ TXT/g) ?? []).length, 31);
  assert.ok(read.lines.some((l) => /10\.0\.1\.1 → 10\.0\.2\.53 +TCP \d+ \d+ → 53 \[SYN\]/.test(l)), read.lines.join('\n'));
});

test("Node's own resolver (c-ares, real loopback) and host.dns agree on every record type", async () => {
  const world = new Network({ seed: 42, clock: 'real' });
  const lan = world.switch('lan');
  const a = world.host('a');
  a.attach(lan, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const b = world.host('b');
  b.attach(lan, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  const ns = world.dns.serve({ attach: lan, ipv4: '10.0.0.53/24' });
  world.dns.add('example.test', 'A', '192.0.2.80').add('example.test', 'AAAA', '2001:db8::80')
    .add('example.test', 'MX', { exchange: 'mail.example.test', priority: 10 }).add('example.test', 'MX', { exchange: 'b', priority: 20 })
    .add('example.test', 'TXT', ['v=spf1 -all', 'two']).add('example.test', 'TXT', 'other').add('example.test', 'NS', 'ns')
    .add('example.test', 'SOA', { nsname: 'ns', hostmaster: 'admin.example.test', serial: 7 })
    .add('example.test', 'CAA', { critical: 0, issue: 'ca.test' }).add('example.test', 'CAA', { critical: 128, iodef: 'mailto:x@example.test' })
    .add('example.test', 'NAPTR', { order: 100, preference: 10, flags: 'S', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.test' })
    .add('_sip._udp.example.test', 'SRV', { name: 'b', port: 5060, priority: 1, weight: 5 })
    .add('www.example.test', 'CNAME', 'web.example.test').add('web.example.test', 'CNAME', 'b').add('alias.test', 'CNAME', 'nowhere.test')
    .add('tlsa.test', 'TLSA', { certUsage: 3, selector: 1, match: 1, data: Uint8Array.from([1, 2, 3]) })
    .add('x.deep.test', 'A', '192.0.2.9');
  for (let i = 0; i < 30; i++) world.dns.add('big.test', 'TXT', `${'x'.repeat(40)}${i}`);
  // UDP and TCP forwarded from one real port (TCP for the truncated answer).
  const udp = await world.forward(0, ns.host, 53, { protocol: 'udp' });
  const tcp = await world.forward(udp.port, ns.host, 53, { protocol: 'tcp' });
  try {
    const real = new realDns.promises.Resolver({ timeout: 2000, tries: 2 });
    real.setServers([`127.0.0.1:${udp.port}`]);
    const mine = new a.dns.promises.Resolver({ timeout: 2000, tries: 2 });
    const cases: Array<[string, string, object?]> = [
      ['example.test', 'resolve4'], ['example.test', 'resolve6'], ['example.test', 'resolve4', { ttl: true }], ['b', 'resolve6'],
      ['example.test', 'resolveMx'], ['example.test', 'resolveTxt'], ['example.test', 'resolveNs'], ['example.test', 'resolveSoa'],
      ['example.test', 'resolveCaa'], ['example.test', 'resolveNaptr'], ['_sip._udp.example.test', 'resolveSrv'],
      ['www.example.test', 'resolveCname'], ['www.example.test', 'resolve4', { ttl: true }], ['www.example.test', 'resolveAny'],
      ['example.test', 'resolveAny'], ['alias.test', 'resolve4'], ['alias.test', 'resolveCname'], ['b', 'resolveCname'],
      ['2.0.0.10.in-addr.arpa', 'resolvePtr'], ['nope.test', 'resolve4'], ['nope.test', 'resolveSoa'], ['deep.test', 'resolve4'],
      ['b', 'resolveSoa'], ['big.test', 'resolveTxt'], ['Example.TEST', 'resolveMx'], ['', 'resolveNs'], ['tlsa.test', 'resolveTlsa'],
      ['foo.onion', 'resolve4'],
    ];
    const ask = async (r: object, name: string, method: string, o?: object): Promise<string> => {
      const f = (r as Record<string, (n: string, o?: object) => Promise<unknown>>)[method];
      if (typeof f !== 'function') return 'no such method';
      try {
        return JSON.stringify(await f.call(r, name, o), (_k, v) => (v instanceof ArrayBuffer ? [...new Uint8Array(v)] : v));
      } catch (e) {
        return `${(e as NodeJS.ErrnoException).code}: ${(e as Error).message}`;
      }
    };
    let compared = 0;
    for (const [name, method, o] of cases) {
      const want = await ask(real, name, method, o);
      if (want === 'no such method') continue; // resolveTlsa: Node 22.15 and later
      assert.equal(await ask(mine, name, method, o), want, `${method}(${JSON.stringify(name)})`);
      compared++;
    }
    for (const ip of ['10.0.0.2', 'fd00::2', '10.0.0.77']) {
      assert.equal(await ask(mine, ip, 'reverse'), await ask(real, ip, 'reverse'), `reverse(${ip})`);
      compared++;
    }
    assert.ok(compared >= 30, String(compared));
    assert.ok(ns.stats().tcp >= 2); // both resolvers fell back to TCP for big.test
  } finally {
    await udp.close();
    await tcp.close();
  }
});
