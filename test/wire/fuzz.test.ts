// Parsers never throw on received bytes: random bytes, and known-good packets with bytes flipped,
// cut or appended. Results must be a repr or a WireError, and views must stay inside the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import { parseEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../../src/wire/ethernet.js';
import { parseArp } from '../../src/wire/arp.js';
import { ipv4OptionsValid, parseIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv6, parseIpv6Options } from '../../src/wire/ipv6.js';
import { parseIcmpv4 } from '../../src/wire/icmpv4.js';
import { parseIcmpv6 } from '../../src/wire/icmpv6.js';
import { parseUdp, udpChecksumOk } from '../../src/wire/udp.js';
import { parseTcp, tcpChecksumOk } from '../../src/wire/tcp.js';
import { ARP_REQUEST_FRAME, DNS_FRAME, MLD2_PACKET, NS_PACKET, PING, SYN_PACKET } from './vectors.js';

function inside(view: Uint8Array, input: Uint8Array): void {
  assert.equal(view.buffer, input.buffer);
  assert.ok(view.byteOffset >= input.byteOffset && view.byteOffset + view.length <= input.byteOffset + input.length);
}

/** Decodes as deep as possible (as the kernel would), asserting the shape of every result. */
function decodeAll(bytes: Uint8Array, layer: 2 | 3): void {
  let ipBytes = bytes;
  if (layer === 2) {
    const e = parseEthernet(bytes);
    if (e instanceof WireError) return;
    inside(e.payload, bytes);
    if (e.etherType === ETHERTYPE_ARP) {
      const a = parseArp(e.payload);
      if (!(a instanceof WireError)) inside(a.targetIp, bytes);
      return;
    }
    if (e.etherType !== ETHERTYPE_IPV4 && e.etherType !== ETHERTYPE_IPV6) return;
    ipBytes = e.payload;
  }
  let src: Uint8Array;
  let dst: Uint8Array;
  let payload: Uint8Array;
  if (ipBytes.length > 0 && ipBytes[0] >>> 4 === 6) {
    const p = parseIpv6(ipBytes);
    if (p instanceof WireError) return;
    inside(p.payload, ipBytes);
    inside(p.unfragmentable, ipBytes);
    if (p.hopByHop) parseIpv6Options(p.hopByHop);
    if (p.destOptions) parseIpv6Options(p.destOptions);
    ({ src, dst, payload } = p);
  } else {
    const p = parseIpv4(ipBytes);
    if (p instanceof WireError) return;
    inside(p.payload, ipBytes);
    assert.equal(typeof p.checksumOk, 'boolean');
    ipv4OptionsValid(p.options);
    ({ src, dst, payload } = p);
  }
  // Try every transport parser on the payload whatever the protocol number says.
  const u = parseUdp(payload);
  if (!(u instanceof WireError)) inside(u.payload, payload);
  udpChecksumOk(payload, src, dst);
  const t = parseTcp(payload);
  if (!(t instanceof WireError)) {
    inside(t.payload, payload);
    assert.ok(t.headerLength >= 20 && t.headerLength <= 60);
  }
  tcpChecksumOk(payload, src, dst);
  const i4 = parseIcmpv4(payload);
  if (!(i4 instanceof WireError)) inside(i4.data, payload);
  if (src.length === 16) {
    const i6 = parseIcmpv6(payload, src, dst);
    if (!(i6 instanceof WireError)) inside(i6.data, payload);
  }
}

const SEEDS: Array<[Uint8Array, 2 | 3]> = [
  [DNS_FRAME, 2],
  [ARP_REQUEST_FRAME, 2],
  [SYN_PACKET, 3],
  [NS_PACKET, 3],
  [MLD2_PACKET, 3],
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
);

type Mutation = { kind: 'flip'; at: number; value: number } | { kind: 'cut'; at: number } | { kind: 'append'; bytes: Uint8Array };

function mutate(seed: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = seed.slice();
  for (const m of ms) {
    if (m.kind === 'flip') {
      if (b.length > 0) b[m.at % b.length] = m.value;
    } else if (m.kind === 'cut') {
      b = b.slice(0, b.length === 0 ? 0 : m.at % (b.length + 1));
    } else {
      const c = new Uint8Array(b.length + m.bytes.length);
      c.set(b);
      c.set(m.bytes, b.length);
      b = c;
    }
  }
  return b;
}

test('random bytes never make a parser throw', () => {
  const a16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), a16, a16, (b, s, d) => {
      decodeAll(b, 2);
      decodeAll(b, 3);
      // Each parser directly too, on bytes that do not start with a valid lower layer.
      parseEthernet(b);
      parseArp(b);
      parseIpv4(b);
      parseIpv6(b);
      parseUdp(b);
      parseTcp(b);
      parseIcmpv4(b);
      parseIcmpv6(b, s, d);
      parseIcmpv6(b, s.subarray(0, 4), d.subarray(0, 4));
      parseIpv6Options(b);
      ipv4OptionsValid(b);
    }),
    { numRuns: 3000 },
  );
});

test('random bytes behind a valid IPv6 / ICMPv6 header start never throw (ND and MLD bodies)', () => {
  // Valid type and code bytes make the ND/MLD parsers look at random bodies and options.
  const src = NS_PACKET.slice(8, 24);
  const dst = NS_PACKET.slice(24, 40);
  fc.assert(
    fc.property(fc.constantFrom(130, 131, 132, 133, 134, 135, 136, 137, 143, 1, 2, 3, 4, 128, 129), fc.uint8Array({ maxLength: 160 }), fc.boolean(), (type, body, linkLocal) => {
      const b = new Uint8Array(4 + body.length);
      b[0] = type;
      b.set(body, 4);
      const r = parseIcmpv6(b, linkLocal ? src : new Uint8Array(16), dst);
      if (!(r instanceof WireError)) inside(r.data, b);
    }),
    { numRuns: 3000 },
  );
});

test('mutated known-good packets never make a parser throw', () => {
  fc.assert(
    fc.property(fc.nat(SEEDS.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
      const [seed, layer] = SEEDS[i];
      decodeAll(mutate(seed, ms), layer);
    }),
    { numRuns: 3000 },
  );
  // The ping on its own (an ICMP message, not an IP packet).
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
      const b = mutate(PING, ms);
      const r = parseIcmpv4(b);
      if (!(r instanceof WireError)) inside(r.data, b);
    }),
    { numRuns: 500 },
  );
});

test('mutated TCP option areas never throw and every option stays inside the header', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (opts) => {
      const len = (opts.length + 3) & ~3;
      const b = new Uint8Array(20 + len + 5);
      b[12] = ((20 + len) / 4) << 4;
      b.set(opts, 20);
      const t = parseTcp(b);
      if (t instanceof WireError) return;
      for (const u of t.options.unknown ?? []) inside(u.data, b.subarray(0, 20 + len));
      assert.equal(t.payload.length, 5);
    }),
    { numRuns: 3000 },
  );
});
