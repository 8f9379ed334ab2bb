// world.dns: every record type Node resolves, asked by a host on another LAN through a router
// from the network's DNS server; truncation to TCP; a PTR name for every address; the zone's
// add/remove/records and their argument errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reverseName } from '../../src/wire/dns.js';
import { cb, failure, routed, settle } from './helpers.js';

const node24 = Number(process.versions.node.split('.')[0]) >= 24;
const tagged = <T extends object>(o: T, type: string): T => (node24 ? { ...o, type } : o);

function zone(world: ReturnType<typeof routed>['world']): void {
  const z = world.dns;
  z.add('example.test', 'A', '192.0.2.80', { ttl: 120 })
    .add('example.test', 'AAAA', '2001:db8::80')
    .add('example.test', 'MX', { exchange: 'mail.example.test', priority: 10 })
    .add('example.test', 'MX', { exchange: 'b', priority: 20 })
    .add('mail.example.test', 'A', '192.0.2.25')
    .add('example.test', 'TXT', ['v=spf1 -all', 'second string'])
    .add('example.test', 'TXT', 'another record')
    .add('example.test', 'NS', 'ns')
    .add('example.test', 'SOA', { nsname: 'ns', hostmaster: 'admin.example.test', serial: 7, minttl: 30 })
    .add('example.test', 'CAA', { critical: 0, issue: 'ca.test' })
    .add('example.test', 'CAA', { critical: 128, tag: 'iodef', value: 'mailto:sec@example.test' })
    .add('example.test', 'NAPTR', { order: 100, preference: 10, flags: 'S', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.test' })
    .add('_sip._udp.example.test', 'SRV', { name: 'b', port: 5060, priority: 1, weight: 5 })
    .add('www.example.test', 'CNAME', 'web.example.test', { ttl: 60 })
    .add('web.example.test', 'CNAME', 'b')
    .add('_25._tcp.mail.example.test', 'TLSA', { certUsage: 3, selector: 1, match: 1, data: Uint8Array.from([0xab, 0xcd]) });
}

test('dns: every record type, between hosts across a router', async () => {
  const { world, a } = routed(1);
  zone(world);
  assert.equal(a.resolvConf, 'nameserver 10.0.2.53\nnameserver fd02::53\n');
  const p = a.dns.promises;
  const got = await settle(world, Promise.all([
    p.resolve4('example.test'), p.resolve6('example.test'), p.resolve4('example.test', { ttl: true }),
    p.resolveMx('example.test'), p.resolveTxt('example.test'), p.resolveNs('example.test'), p.resolveSoa('example.test'),
    p.resolveCaa('example.test'), p.resolveNaptr('example.test'), p.resolveSrv('_sip._udp.example.test'),
    p.resolveCname('www.example.test'), p.resolve4('www.example.test', { ttl: true }), p.resolvePtr('2.2.0.10.in-addr.arpa'),
    p.resolveTlsa('_25._tcp.mail.example.test'), p.resolve('b', 'AAAA'), p.reverse('fd02::2'),
  ]));
  assert.deepEqual(got, [
    ['192.0.2.80'], ['2001:db8::80'], [{ address: '192.0.2.80', ttl: 120 }],
    [tagged({ exchange: 'mail.example.test', priority: 10 }, 'MX'), tagged({ exchange: 'b', priority: 20 }, 'MX')],
    [['v=spf1 -all', 'second string'], ['another record']],
    ['ns'],
    { nsname: 'ns', hostmaster: 'admin.example.test', serial: 7, refresh: 3600, retry: 600, expire: 86400, minttl: 30 },
    [tagged({ critical: 0, issue: 'ca.test' }, 'CAA'), tagged({ critical: 128, iodef: 'mailto:sec@example.test' }, 'CAA')],
    [{ flags: 'S', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.test', order: 100, preference: 10 }],
    [tagged({ name: 'b', port: 5060, priority: 1, weight: 5 }, 'SRV')],
    ['web.example.test'],
    // The lowest TTL along the CNAME chain (c-ares).
    [{ address: '10.0.2.2', ttl: 60 }],
    ['b'],
    [{ certUsage: 3, selector: 1, match: 1, data: Uint8Array.from([0xab, 0xcd]).buffer }],
    ['fd02::2'],
    ['b'],
  ]);
  const any = await settle(world, p.resolveAny('example.test')) as Array<{ type: string }>;
  assert.deepEqual(any.map((r) => r.type), ['A', 'AAAA', 'MX', 'MX', 'NS', 'TXT', 'TXT', 'NAPTR', 'SOA', 'CAA', 'CAA']);
  assert.deepEqual(any[0], { address: '192.0.2.80', ttl: 120, type: 'A' });
  // The callback flavour, and dns.resolve(name, type, cb).
  assert.deepEqual(await settle(world, cb<unknown>((k) => a.dns.resolveMx('example.test', k))), got[3]);
  assert.deepEqual(await settle(world, cb<unknown>((k) => a.dns.resolve('_sip._udp.example.test', 'SRV', k))), got[9]);
  assert.deepEqual(await settle(world, cb<unknown>((k) => new a.dns.Resolver().resolve4('example.test', { ttl: true }, k))), got[2]);
});

test('dns: NXDOMAIN, NODATA, a dangling CNAME, an empty non-terminal, as Node reports them', async () => {
  const { world, a } = routed(2);
  zone(world);
  world.dns.add('dangling.test', 'CNAME', 'nowhere.test').add('x.deep.test', 'A', '192.0.2.9');
  const p = a.dns.promises;
  const e = await failure(world, p.resolve4('nosuch.test'));
  assert.deepEqual([e.message, e.code, e.syscall, e.hostname, e.errno], ['queryA ENOTFOUND nosuch.test', 'ENOTFOUND', 'queryA', 'nosuch.test', undefined]);
  assert.deepEqual(Object.keys(e), ['errno', 'code', 'syscall', 'hostname']);
  assert.equal((await failure(world, p.resolveMx('b'))).message, 'queryMx ENODATA b');
  assert.equal((await failure(world, p.resolveSoa('b'))).message, 'querySoa ENODATA b');
  assert.equal((await failure(world, p.resolve4('dangling.test'))).code, 'ENOTFOUND');
  assert.deepEqual(await settle(world, p.resolveCname('dangling.test')), ['nowhere.test']);
  assert.equal((await failure(world, p.resolve4('deep.test'))).code, 'ENODATA');
  assert.equal((await failure(world, p.resolveTxt('nosuch.test'))).message, 'queryTxt ENOTFOUND nosuch.test');
  assert.equal((await failure(world, p.reverse('10.9.9.9'))).message, 'getHostByAddr ENOTFOUND 10.9.9.9');
  // The root: the network's SOA and an NS per server.
  assert.deepEqual(await settle(world, p.resolveNs('')), ['ns']);
  const soa = await settle(world, p.resolveSoa('.')) as { nsname: string; hostmaster: string };
  assert.deepEqual([soa.nsname, soa.hostmaster], ['ns', 'hostmaster.ns']);
});

test('dns: a PTR name for every address of every host (A, AAAA and PTR kept up to date)', async () => {
  const { world, a, b, lan1 } = routed(3);
  const c = world.host('c');
  c.attach(lan1, { ipv4: ['10.0.1.3/24', '10.0.1.33/24'], ipv6: 'fd01::3/64' });
  const asked: Array<Promise<unknown>> = [];
  const expected: unknown[] = [];
  for (const h of world.hosts.values()) {
    for (const row of h.hostsTable().filter((e) => e.name === h.name)) {
      asked.push(a.dns.promises.resolvePtr(reverseName(row.address)!), a.dns.promises.reverse(row.address));
      expected.push([h.name], [h.name]);
    }
  }
  assert.equal(expected.length, 2 * (2 + 2 + 2 + 4 + 3)); // a, b, ns, r (two interfaces), c (three addresses)
  assert.deepEqual(await settle(world, Promise.all(asked)), expected);
  assert.deepEqual(await settle(world, a.dns.promises.resolve4('c')), ['10.0.1.3', '10.0.1.33']);
  // A new address is in the zone at once; the loopback is not (c-ares reads it from /etc/hosts).
  b.iface('eth0')!.addAddress('10.0.2.22/24');
  assert.deepEqual(await settle(world, a.dns.promises.reverse('10.0.2.22')), ['b']);
  assert.deepEqual(await settle(world, a.dns.promises.reverse('127.0.0.1')), []);
});

test('dns: an answer too big for UDP comes back truncated and is asked again over TCP', async () => {
  const { world, a, ns } = routed(4);
  for (let i = 0; i < 40; i++) world.dns.add('big.test', 'TXT', `${'x'.repeat(40)}${i}`);
  const txt = await settle(world, a.dns.promises.resolveTxt('big.test'));
  assert.equal(txt.length, 40);
  assert.deepEqual(txt[39], [`${'x'.repeat(40)}39`]);
  const s = ns.stats();
  assert.deepEqual([s.udp, s.truncated, s.tcp, s.connections], [1, 1, 1, 1]);
  // The TCP connection closes once nothing waits on it (c-ares), and the server counted it.
  await world.run({ for: '1s' });
  assert.equal(a.ss().filter((r) => r.proto === 'tcp' && r.state === 'ESTAB').length, 0);
});

test('dns: world.dns.add/remove/records and their argument errors', () => {
  const { world } = routed(5);
  const z = world.dns;
  z.add('t.test', 'A', '192.0.2.1').add('t.test', 'A', '192.0.2.2').add('t.test', 'TXT', 'x');
  assert.deepEqual(z.records('t.test'), [
    { name: 't.test', type: 'A', ttl: 300, address: '192.0.2.1' },
    { name: 't.test', type: 'A', ttl: 300, address: '192.0.2.2' },
    { name: 't.test', type: 'TXT', ttl: 300, entries: ['x'] },
  ]);
  assert.equal(z.remove('t.test', 'A', '192.0.2.1'), 1);
  assert.equal(z.remove('t.test', 'MX'), 0);
  assert.equal(z.remove('t.test'), 2);
  assert.deepEqual(z.records('t.test'), []);
  assert.deepEqual(z.records('b').map((r) => [r.type, r.address]), [['A', '10.0.2.2'], ['AAAA', 'fd02::2']]);
  const bad: Array<[() => unknown, string, RegExp]> = [
    [() => z.add('x', 'A', 'fd00::1'), 'ERR_INVALID_ARG_VALUE', /is not an IPv4 address/],
    [() => z.add('x', 'AAAA', 5 as never), 'ERR_INVALID_ARG_TYPE', /"data" argument must be of type string/],
    [() => z.add('x', 'BOGUS' as never, 'y'), 'ERR_INVALID_ARG_VALUE', /must be one of/],
    [() => z.add('a..b', 'A', '192.0.2.1'), 'ERR_INVALID_ARG_VALUE', /is not a DNS name/],
    [() => z.add('x', 'MX', { exchange: 'm', priority: 70000 }), 'ERR_INVALID_ARG_VALUE', /0 to 65535/],
    [() => z.add('x', 'TXT', ['y'.repeat(256)]), 'ERR_INVALID_ARG_VALUE', /longer than 255 octets/],
    [() => z.add('x', 'CAA', { critical: 0, issue: 'a', iodef: 'b' }), 'ERR_INVALID_ARG_VALUE', /one property tag/],
    [() => z.add('b', 'CNAME', 'x'), 'ERR_INVALID_ARG_VALUE', /CNAME and other data/],
  ];
  for (const [f, code, message] of bad) assert.throws(f, { code, message });
});
