// host.dns.Resolver: the DNS message codec (src/wire/dns.ts) round-trips and never throws on
// random bytes; a resolver on one host queries a tiny DNS server written on another host's dgram
// across a switch; Node-shaped ENOTFOUND / ECONNREFUSED / ETIMEOUT / ECANCELLED errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Network } from '../../src/index.js';
import {
  decodeDnsMessage, DNS_CLASS_IN, DNS_RCODE_NXDOMAIN, DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_ANY, encodeDnsMessage, encodeDnsQuery,
  type DnsMessage,
} from '../../src/wire/dns.js';
import { WireError } from '../../src/wire/error.js';

test('dns wire: a response round-trips (header bits, question, A and AAAA answers)', () => {
  const bytes = encodeDnsMessage({
    id: 0xbeef, qr: true, aa: true, rd: true, ra: true, rcode: 0,
    questions: [{ name: 'example.org', type: DNS_TYPE_ANY, class: DNS_CLASS_IN }],
    answers: [
      { name: 'example.org', type: DNS_TYPE_A, ttl: 123, address: '10.1.2.3' },
      { name: 'example.org', type: DNS_TYPE_AAAA, ttl: 7, address: 'fd00::5' },
    ],
  });
  const m = decodeDnsMessage(bytes) as DnsMessage;
  assert.ok(!(m instanceof WireError));
  assert.equal(m.id, 0xbeef);
  assert.deepEqual([m.qr, m.aa, m.tc, m.rd, m.ra, m.rcode, m.opcode], [true, true, false, true, true, 0, 0]);
  assert.deepEqual(m.questions, [{ name: 'example.org', type: 255, class: 1 }]);
  assert.deepEqual(m.answers.map((r) => [r.name, r.type, r.ttl, r.address]), [['example.org', 1, 123, '10.1.2.3'], ['example.org', 28, 7, 'fd00::5']]);
  // RFC 1035 §4.1.1: header then QNAME as labels 7 'example' 3 'org' 0.
  assert.deepEqual([...bytes.subarray(12, 25)], [7, ...Buffer.from('example'), 3, ...Buffer.from('org'), 0]);
});

test('dns wire: compression pointers are followed; loops and forward pointers are WireErrors', () => {
  const q = encodeDnsQuery(1, 'a.example', DNS_TYPE_A);
  // An answer whose name is a pointer to the question's name at offset 12.
  const rr = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
  const resp = Uint8Array.from([...q, ...rr]);
  resp[2] = 0x81; resp[7] = 1; // QR, ANCOUNT 1
  const m = decodeDnsMessage(resp) as DnsMessage;
  assert.ok(!(m instanceof WireError));
  assert.deepEqual([m.answers[0]!.name, m.answers[0]!.address], ['a.example', '192.0.2.1']);

  const loop = Uint8Array.from([...q.subarray(0, 12), 0xc0, 12, 0, 1, 0, 1]);
  loop[5] = 1;
  assert.ok(decodeDnsMessage(loop) instanceof WireError);
  const forward = Uint8Array.from([...q.subarray(0, 12), 0xc0, 14, 0, 0, 1, 0, 1]);
  assert.ok(decodeDnsMessage(forward) instanceof WireError);
  assert.ok(decodeDnsMessage(resp.subarray(0, resp.length - 1)) instanceof WireError);
  assert.ok(decodeDnsMessage(new Uint8Array(11)) instanceof WireError);
});

test('dns wire: decode never throws on random bytes or mutated messages', () => {
  const base = encodeDnsMessage({
    id: 9, qr: true, questions: [{ name: 'x.y', type: 1, class: 1 }],
    answers: [{ name: 'x.y', type: 1, ttl: 1, address: '1.2.3.4' }],
  });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
    const r = decodeDnsMessage(b);
    return r instanceof WireError || typeof r.id === 'number';
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (muts) => {
    const b = Uint8Array.from(base);
    for (const [i, v] of muts) b[i] = v;
    const r = decodeDnsMessage(b);
    return r instanceof WireError || Array.isArray(r.answers);
  }), { numRuns: 2000 });
});

/** Two hosts on a switch; b runs a tiny DNS server on port 5353 answering from `zone`. */
function setup(zone: Record<string, Array<{ type: 'A' | 'AAAA'; address: string; ttl: number }>>) {
  const world = new Network({ seed: 11 });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  const seen: string[] = [];
  const server = b.dgram.createSocket('udp6');
  server.on('message', (msg, rinfo) => {
    const q = decodeDnsMessage(msg);
    if (q instanceof WireError) return;
    const question = q.questions[0]!;
    seen.push(`${question.name}/${question.type} from ${rinfo.address}`);
    const records = zone[question.name];
    const answers = (records ?? []).filter((r) => question.type === DNS_TYPE_ANY || (r.type === 'A' ? 1 : 28) === question.type)
      .map((r) => ({ name: question.name, type: r.type === 'A' ? DNS_TYPE_A : DNS_TYPE_AAAA, ttl: r.ttl, address: r.address }));
    server.send(encodeDnsMessage({ id: q.id, qr: true, rd: q.rd, ra: true, rcode: records ? 0 : DNS_RCODE_NXDOMAIN, questions: q.questions, answers }),
      rinfo.port, rinfo.address);
  });
  server.bind(5353);
  return { world, a, b, server, seen };
}

/** Runs the virtual network until `p` settles. */
async function settle<T>(world: Network, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  while (!done) {
    await world.run({ for: 1000 });
    await new Promise((r) => setImmediate(r));
  }
  return p;
}

const zone = {
  'example.org': [{ type: 'AAAA' as const, address: 'fd00::99', ttl: 300 }, { type: 'A' as const, address: '10.0.0.99', ttl: 123 }],
  'v4only.test': [{ type: 'A' as const, address: '192.0.2.7', ttl: 60 }],
};

test('dns resolver: A, AAAA, ANY and ttl answers from a server on another host, over IPv4 and IPv6', async () => {
  const { world, a, server, seen } = setup(zone);
  const r = new a.dns.Resolver();
  assert.deepEqual(r.getServers(), ['127.0.0.1']);
  r.setServers(['10.0.0.2:5353', '[fd00::2]:5353']);
  assert.deepEqual(r.getServers(), ['10.0.0.2:5353', '[fd00::2]:5353']);

  const cb = (f: (cb: (err: unknown, v?: unknown) => void) => void) =>
    settle(world, new Promise((res, rej) => f((err, v) => (err ? rej(err) : res(v)))));
  assert.deepEqual(await cb((k) => r.resolve('example.org', k)), ['10.0.0.99']);
  assert.deepEqual(await cb((k) => r.resolve('example.org', 'AAAA', k)), ['fd00::99']);
  assert.deepEqual(await cb((k) => r.resolve('example.org', 'ANY', k)),
    [{ address: 'fd00::99', ttl: 300, type: 'AAAA' }, { address: '10.0.0.99', ttl: 123, type: 'A' }]);
  assert.deepEqual(await cb((k) => r.resolve4('example.org', { ttl: true }, k)), [{ address: '10.0.0.99', ttl: 123 }]);
  assert.deepEqual(await cb((k) => r.resolve6('example.org', { ttl: true }, k)), [{ address: 'fd00::99', ttl: 300 }]);
  assert.ok(seen.every((s) => s.endsWith('from ::ffff:10.0.0.1')), seen.join());

  const p = new a.dns.promises.Resolver();
  p.setServers(['[fd00::2]:5353']);
  assert.deepEqual(await settle(world, p.resolve4('v4only.test')), ['192.0.2.7']);
  assert.equal(seen.at(-1), 'v4only.test/1 from fd00::1');

  a.dns.promises.setServers(['10.0.0.2:5353']);
  assert.deepEqual(await settle(world, a.dns.promises.resolve6('example.org')), ['fd00::99']);
  server.close();
});

test('dns resolver: ENOTFOUND, ENODATA, ECONNREFUSED (with fallback), ETIMEOUT after tries, ECANCELLED', async () => {
  const { world, a, b, server, seen } = setup(zone);
  const p = new a.dns.promises.Resolver({ timeout: 500, tries: 2 });
  p.setServers(['10.0.0.2:5353']);
  await assert.rejects(settle(world, p.resolve('nosuch.example', 'A')),
    { message: 'queryA ENOTFOUND nosuch.example', code: 'ENOTFOUND', syscall: 'queryA', hostname: 'nosuch.example' });
  await assert.rejects(settle(world, p.resolve6('v4only.test')), { code: 'ENODATA', syscall: 'queryAaaa' });

  // Nothing listens on 10.0.0.2:53: the ICMP port unreachable ends the query as Node reports it.
  p.setServers(['10.0.0.2']);
  await assert.rejects(settle(world, p.resolve('example.org', 'ANY')),
    { message: 'queryAny ECONNREFUSED example.org', code: 'ECONNREFUSED', syscall: 'queryAny', hostname: 'example.org' });
  // A refused server is skipped for the next one.
  p.setServers(['10.0.0.2', '10.0.0.2:5353']);
  assert.deepEqual(await settle(world, p.resolve4('example.org')), ['10.0.0.99']);

  // A bound socket that never answers: ETIMEOUT after tries x timeout.
  const silent = b.dgram.createSocket('udp4');
  silent.bind(5300);
  p.setServers(['10.0.0.2:5300']);
  const before = seen.length;
  const t0 = world.now();
  await assert.rejects(settle(world, p.resolve4('example.org')),
    { message: 'queryA ETIMEOUT example.org', code: 'ETIMEOUT', syscall: 'queryA', hostname: 'example.org' });
  assert.equal(world.now() - t0, 1000);
  assert.equal(seen.length, before);
  silent.close();

  const r = new a.dns.Resolver({ timeout: 500, tries: 1 });
  r.setServers(['10.0.0.2:5353']);
  const cancelled = new Promise((res) => r.resolve4('example.org', (err) => res(err)));
  r.cancel();
  const e = await settle(world, cancelled) as NodeJS.ErrnoException & { hostname: string };
  assert.ok(e instanceof Error);
  assert.deepEqual([e.message, e.code, e.syscall, e.hostname], ['queryA ECANCELLED example.org', 'ECANCELLED', 'queryA', 'example.org']);

  assert.throws(() => r.setServers(['not an ip']), { code: 'ERR_INVALID_IP_ADDRESS' });
  assert.throws(() => r.resolve('x', 'MX', () => {}), { code: 'ERR_INVALID_ARG_VALUE' });
  server.close();
});
