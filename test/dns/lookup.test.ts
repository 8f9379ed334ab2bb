// dns.lookup() with nsswitch's `files dns`: the host table first, then the network's DNS through
// glibc's stub resolver (search list, attempts × per-server timeout), with getaddrinfo's errors:
// ENOTFOUND (-3008 NXDOMAIN, -3007 no address), EAI_AGAIN (-3001) when no server answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failure, routed, settle, timed } from './helpers.js';

test('dns.lookup: names the table lacks come from DNS (CNAMEs followed), and net.connect uses them', async () => {
  const { world, a, b } = routed(31);
  world.dns.add('www.example.test', 'CNAME', 'b').add('v6only.test', 'AAAA', 'fd02::2').add('mx.test', 'MX', { exchange: 'b', priority: 1 });
  const p = a.dns.promises;
  assert.deepEqual(await settle(world, p.lookup('www.example.test', { all: true })), [{ address: '10.0.2.2', family: 4 }, { address: 'fd02::2', family: 6 }]);
  assert.deepEqual(await settle(world, p.lookup('v6only.test')), { address: 'fd02::2', family: 6 });
  assert.deepEqual(await settle(world, p.lookup('www.example.test', { family: 6 })), { address: 'fd02::2', family: 6 });
  const nx = await failure(world, p.lookup('nosuch.test'));
  assert.deepEqual([nx.message, nx.code, nx.errno, nx.syscall], ['getaddrinfo ENOTFOUND nosuch.test', 'ENOTFOUND', -3008, 'getaddrinfo']);
  const nodata = await failure(world, p.lookup('mx.test'));
  assert.deepEqual([nodata.code, nodata.errno], ['ENOTFOUND', -3007]);
  // The callback flavour, through net.connect: the name is resolved by DNS.
  const server = b.net.createServer((s) => s.end('hi')).listen(80);
  const got = await settle(world, new Promise<string>((res, rej) => {
    const s = a.net.connect(80, 'www.example.test');
    let data = '';
    s.on('data', (d) => { data += d; }).on('end', () => res(`${data} from ${s.remoteAddress}`)).on('error', rej);
  }));
  assert.equal(got, 'hi from 10.0.2.2');
  server.close();
});

test('dns.lookup: resolv.conf search list and ndots; no nameserver means the table only', async () => {
  const { world, a } = routed(32);
  world.dns.add('mail.example.test', 'A', '192.0.2.25').add('mail', 'A', '192.0.2.99');
  a.resolvConf = 'nameserver 10.0.2.53\nsearch example.test other.test\n';
  assert.deepEqual(await settle(world, a.dns.promises.lookup('mail')), { address: '192.0.2.25', family: 4 });
  assert.deepEqual(await settle(world, a.dns.promises.lookup('mail.')), { address: '192.0.2.99', family: 4 });
  a.resolvConf = 'nameserver 10.0.2.53\nsearch example.test\noptions ndots:0\n';
  assert.deepEqual(await settle(world, a.dns.promises.lookup('mail')), { address: '192.0.2.99', family: 4 });
  a.resolvConf = '';
  const t0 = world.now();
  const e = await failure(world, a.dns.promises.lookup('mail'));
  assert.deepEqual([e.code, e.errno, e.at], ['ENOTFOUND', -3008, t0]);
});

test('dns.lookup: an unreachable server gives EAI_AGAIN after attempts × per-server timeouts (glibc)', async () => {
  const { world, a, ns } = routed(33);
  a.resolvConf = 'nameserver 10.0.2.53\noptions timeout:1 attempts:2\n';
  const cut = world.partition([a], [ns.host]);
  const t0 = world.now();
  const e = await failure(world, a.dns.promises.lookup('nosuch.test'));
  assert.deepEqual([e.message, e.code, e.errno], ['getaddrinfo EAI_AGAIN nosuch.test', 'EAI_AGAIN', -3001]);
  assert.equal(e.at - t0, 2000);
  assert.equal(cut.stats()['a->b'], 4); // A and AAAA, twice
  // The generated resolv.conf lists both of the server's addresses: 5 s, then (5 << 1) / 2 s, twice.
  a.resolvConf = null;
  const t1 = world.now();
  const e2 = await failure(world, a.dns.promises.lookup('nosuch.test', { family: 4 }));
  assert.equal(e2.at - t1, 20_000);
  // A server that is up but refuses (nothing on port 53): the next server at once, then EAI_AGAIN.
  cut.heal();
  ns.close();
  a.resolvConf = 'nameserver 10.0.2.53\nnameserver 10.0.2.2\n';
  const t2 = world.now();
  const e3 = await failure(world, a.dns.promises.lookup('nosuch.test'));
  assert.deepEqual([e3.code, e3.at - t2], ['EAI_AGAIN', 0]);
  // The table still answers for the network's hosts.
  const ok = await timed(world, a.dns.promises.lookup('b'));
  assert.deepEqual(ok.value, { address: '10.0.2.2', family: 4 });
});

test('dns.lookupService: the table, then a PTR query; the service from /etc/services', async () => {
  const { world, a } = routed(34);
  world.dns.add('9.9.0.10.in-addr.arpa', 'PTR', 'far.example.test');
  const p = a.dns.promises;
  assert.deepEqual(await settle(world, p.lookupService('10.0.2.2', 22)), { hostname: 'b', service: 'ssh' });
  assert.deepEqual(await settle(world, p.lookupService('127.0.0.1', 8081)), { hostname: 'localhost', service: '8081' });
  assert.deepEqual(await settle(world, p.lookupService('10.0.9.9', 443)), { hostname: 'far.example.test', service: 'https' });
  const e = await failure(world, p.lookupService('10.0.9.8', 80));
  assert.deepEqual([e.message, e.code, e.errno, e.syscall], ['getnameinfo ENOTFOUND 10.0.9.8', 'ENOTFOUND', -3008, 'getnameinfo']);
  const viaCb = await settle(world, new Promise((res) => a.dns.lookupService('fd02::53', 53, (err, hostname, service) => res([err, hostname, service]))));
  assert.deepEqual(viaCb, [null, 'ns', 'domain']);
  assert.throws(() => (a.dns.lookupService as (...x: unknown[]) => void)('10.0.0.1', 80), { code: 'ERR_MISSING_ARGS' });
  assert.throws(() => a.dns.lookupService('nope', 80, () => {}), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => a.dns.lookupService('10.0.0.1', 70000, () => {}), { code: 'ERR_SOCKET_BAD_PORT' });
});
