// DNS messages (src/wire/dns.ts, dns-name.ts, dns-rdata.ts): every record type round-trips,
// names are compressed on the wire as RFC 1035 §4.1.4 draws it, EDNS(0) and truncation, TCP
// framing, reverse names; decoding never throws on random or mutated bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addressOfReverseName, decodeDnsMessage, DnsTcpReader, DNS_CLASS_IN, DNS_TYPES, DNS_TYPE_A, DNS_TYPE_ANY, encodeDnsMessage,
  encodeDnsQuery, frameDnsTcp, isDnsName, reverseName, type DnsMessage, type DnsRdata,
} from '../../src/wire/dns.js';
import { WireError } from '../../src/wire/error.js';

const every: DnsRdata[] = [
  { type: 'A', address: '192.0.2.1' },
  { type: 'AAAA', address: '2001:db8::1' },
  { type: 'NS', value: 'ns1.example.org' },
  { type: 'CNAME', value: 'www.example.org' },
  { type: 'PTR', value: 'host.example.org' },
  { type: 'MX', priority: 10, exchange: 'mail.example.org' },
  { type: 'TXT', entries: ['v=spf1 ~all', 'a\0b', ''] },
  { type: 'SRV', priority: 1, weight: 2, port: 5060, name: 'sip.example.org' },
  { type: 'SOA', nsname: 'ns1.example.org', hostmaster: 'admin.example.org', serial: 2024010101, refresh: 3600, retry: 600, expire: 86400, minttl: 60 },
  { type: 'NAPTR', order: 100, preference: 10, flags: 'S', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.org' },
  { type: 'CAA', critical: 128, tag: 'issue', value: 'ca.example.net' },
  { type: 'TLSA', certUsage: 3, selector: 1, match: 1, data: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) },
];

test('dns wire: every record type round-trips, with header bits and question', () => {
  const bytes = encodeDnsMessage({
    id: 0xbeef, qr: true, aa: true, rd: true, ra: true, rcode: 0,
    questions: [{ name: 'example.org', type: DNS_TYPE_ANY, class: DNS_CLASS_IN }],
    answers: every.map((rdata, i) => ({ name: 'example.org', ttl: 100 + i, rdata })),
  });
  const m = decodeDnsMessage(bytes) as DnsMessage;
  assert.ok(!(m instanceof WireError), String(m));
  assert.equal(m.id, 0xbeef);
  assert.deepEqual([m.qr, m.aa, m.tc, m.rd, m.ra, m.rcode, m.opcode], [true, true, false, true, true, 0, 0]);
  assert.deepEqual(m.questions, [{ name: 'example.org', type: 255, class: 1 }]);
  assert.equal(m.answers.length, every.length);
  m.answers.forEach((rr, i) => {
    assert.equal(rr.type, DNS_TYPES[every[i]!.type]);
    assert.equal(rr.ttl, 100 + i);
    assert.deepEqual(rr.rdata, every[i]);
  });
  assert.equal(m.answers[0]!.address, '192.0.2.1');
});

test('dns wire: names are compressed (RFC 1035 §4.1.4) where RFC 3597 allows, and decompressed', () => {
  const bytes = encodeDnsMessage({
    id: 1, qr: true, questions: [{ name: 'example.org', type: DNS_TYPES.MX, class: DNS_CLASS_IN }],
    answers: [
      { name: 'example.org', ttl: 1, rdata: { type: 'MX', priority: 5, exchange: 'mail.example.org' } },
      { name: 'Example.ORG', ttl: 1, rdata: { type: 'SRV', priority: 0, weight: 0, port: 1, name: 'mail.example.org' } },
    ],
  });
  // Question name at 12: 7 'example' 3 'org' 0 (13 octets), type, class; the first answer's
  // owner is a pointer to 12 (c0 0c).
  assert.deepEqual([...bytes.subarray(12, 25)], [7, ...Buffer.from('example'), 3, ...Buffer.from('org'), 0]);
  assert.deepEqual([...bytes.subarray(29, 31)], [0xc0, 12]);
  // MX RDATA: priority, then 4 'mail' and a pointer to 'example.org' at 12.
  assert.deepEqual([...bytes.subarray(41, 49)], [0, 5, 4, ...Buffer.from('mail'), 0xc0]);
  // The second owner matches without case (a pointer), the SRV target is written out whole (RFC 2782).
  const srvOwner = 50;
  assert.deepEqual([...bytes.subarray(srvOwner, srvOwner + 2)], [0xc0, 12]);
  assert.ok(Buffer.from(bytes).includes(Buffer.from('\x04mail\x07example\x03org\x00', 'latin1')));
  const m = decodeDnsMessage(bytes) as DnsMessage;
  assert.deepEqual(m.answers.map((r) => [r.name, r.rdata]), [
    ['example.org', { type: 'MX', priority: 5, exchange: 'mail.example.org' }],
    ['example.org', { type: 'SRV', priority: 0, weight: 0, port: 1, name: 'mail.example.org' }],
  ]);
});

test('dns wire: pointer loops, forward pointers, short and overrunning records are WireErrors', () => {
  const q = encodeDnsQuery(1, 'a.example', DNS_TYPE_A);
  const rr = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
  const resp = Uint8Array.from([...q, ...rr]);
  resp[2] = 0x81; resp[7] = 1;
  const m = decodeDnsMessage(resp) as DnsMessage;
  assert.deepEqual([m.answers[0]!.name, m.answers[0]!.address], ['a.example', '192.0.2.1']);
  const loop = Uint8Array.from([...q.subarray(0, 12), 0xc0, 12, 0, 1, 0, 1]);
  loop[5] = 1;
  assert.ok(decodeDnsMessage(loop) instanceof WireError);
  assert.ok(decodeDnsMessage(Uint8Array.from([...q.subarray(0, 12), 0xc0, 14, 0, 0, 1, 0, 1])) instanceof WireError);
  assert.ok(decodeDnsMessage(resp.subarray(0, resp.length - 1)) instanceof WireError);
  assert.ok(decodeDnsMessage(new Uint8Array(11)) instanceof WireError);
  // An A record of 5 octets, an MX whose name runs past its RDATA, a CAA without a tag.
  const bad = (type: number, rdata: number[]): Uint8Array => {
    const b = Uint8Array.from([...q, 0xc0, 12, type >> 8, type & 255, 0, 1, 0, 0, 0, 1, 0, rdata.length, ...rdata]);
    b[7] = 1;
    return b;
  };
  assert.ok(decodeDnsMessage(bad(1, [1, 2, 3, 4, 5])) instanceof WireError);
  assert.ok(decodeDnsMessage(bad(15, [0, 1, 4, 0x61])) instanceof WireError);
  assert.ok(decodeDnsMessage(bad(257, [0, 0])) instanceof WireError);
  // ...and the ANCOUNT of Node's test-dns-resolveany-bad-ancount: two claimed, one there.
  const claims2 = Uint8Array.from(resp);
  claims2[7] = 2;
  assert.ok(decodeDnsMessage(claims2) instanceof WireError);
});

test('dns wire: special octets in labels are escaped as c-ares writes them, and read back', () => {
  const bytes = encodeDnsQuery(2, 'a\\.b.c\\\\d.\\000x', 1);
  assert.deepEqual([...bytes.subarray(12, 25)], [3, 0x61, 0x2e, 0x62, 3, 0x63, 0x5c, 0x64, 2, 0, 0x78, 0, 0]);
  assert.equal((decodeDnsMessage(bytes) as DnsMessage).questions[0]!.name, 'a\\.b.c\\\\d.\\000x');
  assert.equal(isDnsName('x'.repeat(63)), true);
  assert.equal(isDnsName('x'.repeat(64)), false);
  assert.equal(isDnsName('a..b'), false);
  assert.equal(isDnsName(Array(128).fill('a').join('.')), false); // 256 octets
});

test('dns wire: EDNS(0) OPT is read into edns and written from it (RFC 6891 §6.1.2)', () => {
  const bytes = encodeDnsMessage({ id: 3, rd: true, questions: [{ name: 'x', type: 1, class: 1 }], edns: { udpSize: 1232, do: true, options: [[10, Uint8Array.from([1, 2])]] } });
  // OPT: root owner, type 41, class 1232, TTL ext-rcode 0, version 0, DO, RDLEN 6, option 10 len 2.
  assert.deepEqual([...bytes.subarray(bytes.length - 17)], [0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 6, 0, 10, 0, 2, 1, 2]);
  const m = decodeDnsMessage(bytes) as DnsMessage;
  assert.deepEqual(m.additionals, []);
  assert.equal(m.edns?.udpSize, 1232);
  assert.equal(m.edns?.do, true);
  assert.deepEqual(m.edns?.options.map(([c, d]) => [c, [...d]]), [[10, [1, 2]]]);
});

test('dns wire: an answer over maxSize goes out truncated (TC, question only); extra records are just left out', () => {
  const answers = Array.from({ length: 30 }, (_, i) => ({ name: 'big.test', ttl: 1, rdata: { type: 'TXT', entries: ['x'.repeat(20) + i] } as DnsRdata }));
  const full = encodeDnsMessage({ id: 4, qr: true, questions: [{ name: 'big.test', type: 16, class: 1 }], answers });
  assert.ok(full.length > 512);
  const cut = decodeDnsMessage(encodeDnsMessage({ id: 4, qr: true, questions: [{ name: 'big.test', type: 16, class: 1 }], answers }, { maxSize: 512 })) as DnsMessage;
  assert.deepEqual([cut.tc, cut.answers.length, cut.questions.length], [true, 0, 1]);
  const extra = Array.from({ length: 40 }, (_, i) => ({ name: `h${i}.test`, ttl: 1, rdata: { type: 'A', address: `10.0.0.${i}` } as DnsRdata }));
  const bytes = encodeDnsMessage({ id: 5, qr: true, questions: [{ name: 'm.test', type: 15, class: 1 }], answers: [{ name: 'm.test', ttl: 1, rdata: { type: 'MX', priority: 1, exchange: 'h0.test' } }], additionals: extra }, { maxSize: 512 });
  const m = decodeDnsMessage(bytes) as DnsMessage;
  assert.ok(bytes.length <= 512);
  assert.equal(m.tc, false);
  assert.equal(m.answers.length, 1);
  assert.ok(m.additionals.length > 0 && m.additionals.length < 40);
});

test('dns wire: TCP framing (RFC 1035 §4.2.2) across arbitrary chunk boundaries', () => {
  const msgs = [encodeDnsQuery(1, 'a', 1), encodeDnsQuery(2, 'bb.cc', 28), encodeDnsQuery(3, '', 2)];
  const stream = Buffer.concat(msgs.map((m) => frameDnsTcp(m)));
  fc.assert(fc.property(fc.array(fc.nat(stream.length), { maxLength: 6 }), (cuts) => {
    const points = [...new Set([0, ...cuts, stream.length])].sort((x, y) => x - y);
    const r = new DnsTcpReader();
    const out: Uint8Array[] = [];
    for (let i = 1; i < points.length; i++) out.push(...r.push(stream.subarray(points[i - 1], points[i])));
    assert.deepEqual(out.map((b) => [...b]), msgs.map((b) => [...b]));
    assert.equal(r.buffered, 0);
  }), { numRuns: 300 });
});

test('dns wire: reverse names (in-addr.arpa, ip6.arpa) and back', () => {
  assert.equal(reverseName('10.0.0.2'), '2.0.0.10.in-addr.arpa');
  assert.equal(reverseName('2001:db8::567:89ab'), 'b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  assert.equal(reverseName('nope'), null);
  assert.equal(addressOfReverseName('2.0.0.10.in-addr.arpa.'), '10.0.0.2');
  assert.equal(addressOfReverseName(reverseName('fd00::53')!), 'fd00::53');
  assert.equal(addressOfReverseName('300.0.0.10.in-addr.arpa'), null);
});

const arbName = fc.array(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), { maxLength: 4 }).map((l) => l.join('.'));
const arbRdata: fc.Arbitrary<DnsRdata> = fc.oneof(
  fc.ipV4().map((address) => ({ type: 'A' as const, address })),
  fc.tuple(arbName, fc.constantFrom('NS', 'CNAME', 'PTR')).map(([value, type]) => ({ type, value }) as DnsRdata),
  fc.tuple(fc.nat(65535), arbName).map(([priority, exchange]) => ({ type: 'MX' as const, priority, exchange })),
  fc.array(fc.string({ maxLength: 40 }).map((s) => Buffer.from(s, 'latin1').toString('latin1')), { minLength: 1, maxLength: 3 }).map((entries) => ({ type: 'TXT' as const, entries })),
  fc.tuple(fc.nat(65535), fc.nat(65535), fc.nat(65535), arbName).map(([priority, weight, port, name]) => ({ type: 'SRV' as const, priority, weight, port, name })),
  fc.tuple(fc.nat(255), fc.stringMatching(/^[a-z]{1,15}$/), fc.string({ maxLength: 30 })).map(([critical, tag, value]) => ({ type: 'CAA' as const, critical, tag, value: Buffer.from(value, 'latin1').toString('latin1') })),
);

test('dns wire: random messages round-trip; random and mutated bytes never throw', () => {
  fc.assert(fc.property(fc.array(fc.tuple(arbName, arbRdata), { maxLength: 8 }), fc.nat(65535), (records, id) => {
    const bytes = encodeDnsMessage({ id, qr: true, questions: [{ name: 'q.test', type: 255, class: 1 }], answers: records.map(([name, rdata]) => ({ name, ttl: 5, rdata })) });
    const m = decodeDnsMessage(bytes) as DnsMessage;
    assert.ok(!(m instanceof WireError), String(m));
    assert.deepEqual(m.answers.map((r) => [r.name, r.rdata]), records);
  }), { numRuns: 300 });
  const base = encodeDnsMessage({
    id: 9, qr: true, questions: [{ name: 'x.y', type: 255, class: 1 }],
    answers: every.map((rdata) => ({ name: 'x.y', ttl: 1, rdata })), edns: { udpSize: 1232 },
  });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
    const r = decodeDnsMessage(b);
    return r instanceof WireError || typeof r.id === 'number';
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(base.length), (muts, cut) => {
    const b = Uint8Array.from(base.subarray(0, Math.max(cut, base.length - 20)));
    for (const [i, v] of muts) if (i < b.length) b[i] = v;
    const r = decodeDnsMessage(b);
    return r instanceof WireError || Array.isArray(r.answers);
  }), { numRuns: 3000 });
});
