// The resolver when things go wrong, with Node's errors, on the virtual clock: a partitioned
// server (ETIMEOUT, after c-ares's backed-off tries), a crashed one (and back after restart),
// a stopped one (ECONNREFUSED), a slow one, servers that answer SERVFAIL, REFUSED or garbage
// (EBADRESP), a program's own UDP+TCP server on port 53 used through setServers and resolv.conf.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDnsMessage, DnsTcpReader, encodeDnsMessage, frameDnsTcp, type DnsMessage } from '../../src/wire/dns.js';
import { WireError } from '../../src/wire/error.js';
import type { Host } from '../../src/world/host.js';
import { cb, failure, routed, settle, timed } from './helpers.js';

test('dns: a partitioned server: ETIMEOUT after tries, each waiting timeout << round (c-ares), on the virtual clock', async () => {
  const { world, a, ns } = routed(11);
  a.resolvConf = 'nameserver 10.0.2.53\n';
  const p = new a.dns.promises.Resolver({ timeout: 500, tries: 3 });
  assert.deepEqual(await settle(world, p.resolve4('b')), ['10.0.2.2']);
  const before = ns.stats().udp;
  const cut = world.partition([a], [ns.host]);
  const t0 = world.now();
  const e = await failure(world, p.resolve4('b'));
  const elapsed = e.at - t0;
  assert.deepEqual([e.message, e.code, e.syscall, e.hostname], ['queryA ETIMEOUT b', 'ETIMEOUT', 'queryA', 'b']);
  // Try 1 waits 500 ms (seen at the 1000 ms tick: Node's timer runs every `timeout` ms and a
  // deadline on a tick is seen at the next); try 2 waits 500-1000 ms, try 3 1000-2000 ms.
  assert.equal(elapsed % 500, 0);
  assert.ok(elapsed >= 3000 && elapsed <= 5000, String(elapsed));
  assert.equal(cut.stats()['a->b'], 3);
  assert.equal(ns.stats().udp, before);
  // The same seed gives the same timing.
  const again = routed(11);
  again.a.resolvConf = 'nameserver 10.0.2.53\n';
  const p2 = new again.a.dns.promises.Resolver({ timeout: 500, tries: 3 });
  await settle(again.world, p2.resolve4('b'));
  again.world.partition([again.a], [again.ns.host]);
  const t1 = again.world.now();
  assert.equal((await failure(again.world, p2.resolve4('b'))).at - t1, elapsed);

  // The default resolver (timeout 2 s, 4 tries, both of the server's addresses): 8 tries.
  const t2 = world.now();
  a.resolvConf = null;
  const d = await failure(world, a.dns.promises.resolveMx('b'));
  const total = d.at - t2;
  assert.equal(d.message, 'queryMx ETIMEOUT b');
  assert.equal(total % 1000, 0);
  assert.ok(total >= 2 * 3000 + 2 * 2000 + 2 * 4000 + 2 * 8000 && total <= 70_000, String(total));
  cut.heal();
  assert.deepEqual(await settle(world, a.dns.promises.resolve6('b')), ['fd02::2']);
});

test('dns: a crashed server times out; restarted, it answers again (a daemon enabled at boot)', async () => {
  const { world, a, ns } = routed(12);
  const p = new a.dns.promises.Resolver({ timeout: 300, tries: 2 });
  assert.deepEqual(await settle(world, p.resolve4('ns')), ['10.0.2.53']);
  ns.host.crash();
  assert.equal((await failure(world, p.resolve4('b'))).code, 'ETIMEOUT');
  ns.host.restart();
  assert.deepEqual(await settle(world, p.resolve4('b')), ['10.0.2.2']);
  // A stopped server: the host answers ICMP port unreachable, c-ares reports ECONNREFUSED.
  ns.close();
  assert.equal(a.resolvConf, '');
  const r = new a.dns.promises.Resolver({ timeout: 300, tries: 2 });
  r.setServers(['10.0.2.53', '[fd02::53]']);
  const t0 = world.now();
  const e = await failure(world, r.resolveTxt('b'));
  assert.deepEqual([e.message, e.code], ['queryTxt ECONNREFUSED b', 'ECONNREFUSED']);
  assert.equal(e.at, t0);
});

test('dns: a client that crashes mid-query never calls back; after restart() its resolvers work again', async () => {
  const { world, a, ns } = routed(21);
  ns.delay = 500;
  const r = new a.dns.promises.Resolver();
  let called = 0;
  a.dns.resolve4('b', () => called++);
  r.resolve4('b').then(() => called++, () => called++);
  await world.run({ for: '100ms' });
  a.crash();
  await world.run({ for: '30s' });
  assert.equal(called, 0);
  a.restart();
  ns.delay = 0;
  assert.deepEqual(await settle(world, a.dns.promises.resolve4('b')), ['10.0.2.2']);
  assert.deepEqual(await settle(world, r.resolve6('b')), ['fd02::2']);
});

test("dns: per-host resolv.conf: a dead server, a slow one, another host's view unchanged", async () => {
  const { world, a, b, ns } = routed(13);
  // A server address nobody has: the router's ARP for it fails, the queries are lost.
  a.resolvConf = 'nameserver 10.0.2.99\noptions timeout:1\n';
  const r = new a.dns.promises.Resolver({ tries: 1 });
  assert.deepEqual(r.getServers(), ['10.0.2.99']);
  const t0 = world.now();
  const dead = await failure(world, r.resolve4('b'));
  assert.equal(dead.code, 'ETIMEOUT');
  assert.equal(dead.at - t0, 2000); // options timeout:1 → 1 s, seen at the 2 s tick
  assert.deepEqual(await settle(world, b.dns.promises.resolve4('a')), ['10.0.1.1']);
  // The host's default resolver follows resolv.conf edits; a slow server answers in time or not.
  a.resolvConf = 'nameserver 10.0.2.53\n';
  ns.delay = 2500;
  // A late answer still counts until Node's timer (every second here) sees the deadline passed.
  const slow = new a.dns.promises.Resolver({ timeout: 1000, tries: 1 });
  assert.equal((await failure(world, slow.resolve4('b'))).code, 'ETIMEOUT');
  const patient = new a.dns.promises.Resolver({ timeout: 3000, tries: 1 });
  const t1 = world.now();
  const ok = await timed(world, patient.resolve4('b'));
  assert.deepEqual(ok.value, ['10.0.2.2']);
  assert.ok(ok.at - t1 >= 2500, String(ok.at - t1));
  ns.delay = 0;
  assert.deepEqual(a.dns.getServers(), ['10.0.2.53']);
  a.dns.setServers(['10.0.2.99']);
  a.resolvConf = null;
  assert.deepEqual(a.dns.getServers(), ['10.0.2.99']); // setServers() holds over resolv.conf
  assert.deepEqual(new a.dns.Resolver().getServers(), ['10.0.2.53', 'fd02::53']);
});

/** A program's own DNS server on `host`: UDP and TCP on `port`, answering with `reply`. */
function ownServer(host: Host, port: number, reply: (q: DnsMessage, tcp: boolean) => Uint8Array | null) {
  const seen: string[] = [];
  const udp = host.dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const q = decodeDnsMessage(msg);
    if (q instanceof WireError) return;
    seen.push(`udp ${q.questions[0]?.name}/${q.questions[0]?.type} from ${rinfo.address}`);
    const out = reply(q, false);
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  udp.bind(port);
  const tcp = host.net.createServer((s) => {
    const reader = new DnsTcpReader();
    s.on('data', (chunk) => {
      for (const m of reader.push(chunk)) {
        const q = decodeDnsMessage(m) as DnsMessage;
        seen.push(`tcp ${q.questions[0]?.name}/${q.questions[0]?.type}`);
        const out = reply(q, true);
        if (out) s.write(frameDnsTcp(out));
      }
    });
  }).listen(port);
  return { seen, close: () => { udp.close(); tcp.close(); } };
}

test("dns: a program's own UDP+TCP server on port 53 of a host, via setServers and resolv.conf", async () => {
  const { world, a, b } = routed(14);
  // It answers every A question with 192.0.2.x, and sends UDP answers truncated.
  const own = ownServer(b, 53, (q, tcp) => encodeDnsMessage({
    id: q.id, qr: true, aa: true, rd: q.rd, questions: q.questions, tc: !tcp,
    answers: tcp ? [{ name: q.questions[0]!.name, ttl: 9, rdata: { type: 'A', address: '192.0.2.53' } }] : [],
  }));
  const r = new a.dns.promises.Resolver();
  r.setServers(['10.0.2.2']);
  assert.deepEqual(await settle(world, r.resolve4('anything.example', { ttl: true })), [{ address: '192.0.2.53', ttl: 9 }]);
  assert.deepEqual(own.seen, ['udp anything.example/1 from 10.0.1.1', 'tcp anything.example/1']);
  b.resolvConf = 'nameserver 127.0.0.1\n';
  assert.deepEqual(await settle(world, b.dns.promises.resolve4('self.example')), ['192.0.2.53']);
  // The network's server is untouched by it (it lives on ns, port 53 of b was free).
  assert.deepEqual(await settle(world, a.dns.promises.resolve4('b')), ['10.0.2.2']);
  own.close();
});

test('dns: servers that answer SERVFAIL, REFUSED, NXDOMAIN or garbage; queries with the wrong ID are not answers', async () => {
  const { world, a, b } = routed(15);
  let mode = 'servfail';
  let count = 0;
  const own = ownServer(b, 5300, (q) => {
    count++;
    const rcode = { servfail: 2, refused: 5, nxdomain: 3, notimp: 4, formerr: 1 }[mode];
    if (rcode !== undefined) return encodeDnsMessage({ id: q.id, qr: true, rcode, questions: q.questions });
    if (mode === 'short') return Uint8Array.from([q.id >> 8, q.id & 255, 0x81]);
    if (mode === 'badcount') {
      const m = encodeDnsMessage({ id: q.id, qr: true, questions: q.questions, answers: [{ name: q.questions[0]!.name, ttl: 1, rdata: { type: 'A', address: '1.2.3.4' } }] });
      m[7] = 2;
      return m;
    }
    if (mode === 'wrongid') return encodeDnsMessage({ id: q.id ^ 1, qr: true, questions: q.questions, answers: [] });
    return null;
  });
  const r = new a.dns.promises.Resolver({ timeout: 250, tries: 3 });
  r.setServers(['10.0.2.2:5300']);
  const expect: Array<[string, string, number]> = [
    // NOCHECKRESP: the first answer ends it, whatever its RCODE.
    ['servfail', 'ESERVFAIL', 1], ['refused', 'EREFUSED', 1], ['nxdomain', 'ENOTFOUND', 1], ['notimp', 'ENOTIMP', 1], ['formerr', 'EFORMERR', 1],
    // A malformed answer is a failed try: asked again, then EBADRESP.
    ['short', 'EBADRESP', 3], ['badcount', 'EBADRESP', 3],
    // Answers that are not for the query are dropped: the query times out.
    ['wrongid', 'ETIMEOUT', 3],
  ];
  for (const [m, code, queries] of expect) {
    mode = m;
    count = 0;
    const e = await failure(world, r.resolve4('example.test'));
    assert.deepEqual([m, e.code, e.message, count], [m, code, `queryA ${code} example.test`, queries]);
  }
  own.close();
  // What the network's server gets that is not a query: counted and dropped, and it keeps serving.
  const { ns } = routed(16);
  const w = ns.host.network;
  const junk = w.get('a')!.dgram.createSocket('udp4');
  for (const bytes of [Uint8Array.of(1, 2, 3), encodeDnsMessage({ id: 1, qr: true, questions: [{ name: 'x', type: 1, class: 1 }] }), new Uint8Array(40).fill(0xff)]) {
    junk.send(bytes, 53, '10.0.2.53');
  }
  await w.run({ for: '1s' });
  junk.close();
  assert.equal(ns.stats().malformed, 3);
  assert.deepEqual(await settle(w, w.get('a')!.dns.promises.resolve4('b')), ['10.0.2.2']);
});

test('dns: setServers() while queries are in flight, cancel(), setLocalAddress(), rotate', async () => {
  const { world, a, lan1, ns } = routed(17);
  const r = new a.dns.Resolver();
  const answer = new Promise((res) => r.resolve4('b', (err, v) => res(err ?? v)));
  assert.throws(() => r.setServers(['127.0.0.1']), {
    code: 'ERR_DNS_SET_SERVERS_FAILED', message: 'c-ares failed to set servers: "There are pending queries." [127.0.0.1]',
  });
  // dns.setServers() makes a new default resolver: no error.
  a.dns.resolve4('b', () => {});
  a.dns.setServers(['10.0.2.53']);
  assert.deepEqual(await settle(world, answer), ['10.0.2.2']);

  const c = new a.dns.Resolver();
  const cancelled = new Promise<NodeJS.ErrnoException>((res) => c.resolveSrv('x', (err) => res(err!)));
  c.cancel();
  const e = await settle(world, cancelled);
  assert.deepEqual([e.message, e.code, e.syscall], ['querySrv ECANCELLED x', 'ECANCELLED', 'querySrv']);

  a.attach(lan1, { ipv4: '10.0.1.11/24' });
  const seen: string[] = [];
  const stop = ns.host.trace((line) => { if (line.includes('recvfrom') && line.includes('10.0.1.')) seen.push(line); });
  const l = new a.dns.promises.Resolver();
  l.setLocalAddress('10.0.1.11');
  await settle(world, l.resolve4('b'));
  stop();
  assert.ok(seen.some((s) => s.includes('10.0.1.11')), seen.join('\n'));
  assert.throws(() => l.setLocalAddress('nope'), { code: 'ERR_INVALID_ARG_VALUE', message: 'Invalid IP address.' });
  assert.throws(() => l.setLocalAddress('10.0.0.1', '10.0.0.2'), { message: 'Cannot specify two IPv4 addresses.' });

  // rotate: queries spread over the servers (c-ares picks among the best at random).
  const two = routed(18);
  two.world.dns.serve(two.b);
  two.a.resolvConf = 'nameserver 10.0.2.53\nnameserver 10.0.2.2\noptions rotate\n';
  const rot = new two.a.dns.promises.Resolver();
  for (let i = 0; i < 12; i++) await settle(two.world, rot.resolve4('a'));
  const served = two.world.dns.servers.map((s) => s.stats().udp);
  assert.ok(served.every((n) => n > 0) && served[0]! + served[1]! === 12, String(served));
});

test("dns: c-ares's per-server metrics: after 3 quick answers a try waits 250 ms, not the configured 3 s", async () => {
  const { world, a, ns } = routed(19);
  a.resolvConf = 'nameserver 10.0.2.53\n';
  const r = new a.dns.promises.Resolver({ timeout: 3000, tries: 1 });
  for (let i = 0; i < 3; i++) await settle(world, r.resolve4('b'));
  ns.delay = 1500;
  const t0 = world.now();
  const e = await failure(world, r.resolve4('b'));
  assert.equal(e.code, 'ETIMEOUT');
  // Deadline 250 ms (5 × ~1 ms, at least 250), seen at the first 1 s tick.
  assert.equal(e.at - t0, 1000);
  const fresh = new a.dns.promises.Resolver({ timeout: 3000, tries: 1 });
  assert.deepEqual(await settle(world, fresh.resolve4('b')), ['10.0.2.2']);
});

test('dns: Resolver argument errors are node:dns errors', async () => {
  const realDns = await import('node:dns');
  const { a } = routed(20, { server: false });
  const run = (f: () => unknown): Error & { code?: string } => { try { f(); } catch (e) { return e as Error & { code?: string }; } return new Error('no throw'); };
  const cases: Array<(d: typeof realDns) => unknown> = [
    (d) => new d.Resolver({ timeout: 1.5 }),
    (d) => new d.Resolver({ timeout: -2 }),
    (d) => new d.Resolver({ timeout: '1' as never }),
    (d) => new d.Resolver({ tries: 0 }),
    (d) => new d.promises.Resolver({ tries: 2 ** 31 }),
    (d) => new d.Resolver().resolve('x', 'NOPE', () => {}),
    (d) => new d.Resolver().resolve('x', [] as never, () => {}),
    (d) => new d.Resolver().resolve4(5 as never, () => {}),
    (d) => new d.Resolver().resolveMx('x', undefined as never),
    (d) => new d.promises.Resolver().resolve('x', 5 as never),
    (d) => new d.promises.Resolver().resolveTxt(undefined as never),
    (d) => new d.Resolver().reverse('not an address', () => {}),
    (d) => new d.Resolver().setServers(['1.2.3.4:va']),
    (d) => new d.Resolver().setServers('1.2.3.4' as never),
    (d) => new d.Resolver().setLocalAddress(5 as never),
  ];
  for (const f of cases) {
    const want = run(() => f(realDns));
    const got = run(() => f(a.dns as unknown as typeof realDns));
    assert.deepEqual({ name: got.name, code: got.code, message: got.message }, { name: want.name, code: want.code, message: want.message }, f.toString());
  }
  const callbacks: Array<[string, (r: InstanceType<typeof realDns.Resolver>, k: (e: NodeJS.ErrnoException | null) => void) => void]> = [
    ['a..b', (r, k) => r.resolve4('a..b', k)],
  ];
  for (const [what, f] of callbacks) {
    const r = new a.dns.Resolver();
    const e = await cb<unknown>((k) => f(r as never, k)).then(() => null, (x: NodeJS.ErrnoException) => x);
    assert.equal(e?.code, 'EBADNAME', what);
  }
});
