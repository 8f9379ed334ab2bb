// Random and mutated datagrams into UDP input: nothing throws, every datagram is counted
// once (an error, no port, or queued), and queued payloads are exactly the datagram's data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Udp } from '../../src/kernel/udp.js';
import { Random } from '../../src/links/random.js';
import { AF_INET } from '../../src/uapi/socket.js';
import { emitUdpHeader } from '../../src/wire/udp.js';
import { FakeIp, FakeSegment } from './fake-ip.js';

const SRC = new Uint8Array([10, 0, 0, 1]);
const DST = new Uint8Array([10, 0, 0, 2]);

test('udp fuzz: random and mutated datagrams are counted once and never throw', () => {
  fc.assert(fc.property(
    fc.array(fc.record({
      payload: fc.uint8Array({ maxLength: 40 }),
      port: fc.constantFrom(53, 54),
      mutate: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))),
      truncate: fc.option(fc.nat()),
      raw: fc.boolean(),
    }), { maxLength: 30 }),
    (cases) => {
      const ip = new FakeIp(new FakeSegment(), '10.0.0.2', 'fd00::2');
      ip.sendUnreachable = () => {};
      const udp = new Udp(ip, new Random(1));
      const s = udp.socket(AF_INET);
      assert.equal(s.bind({ family: 4, address: '0.0.0.0', port: 53 }), 0);
      let queued = 0;
      for (const c of cases) {
        let bytes: Uint8Array;
        if (c.raw) bytes = c.payload;
        else {
          bytes = new Uint8Array(8 + c.payload.length);
          bytes.set(c.payload, 8);
          emitUdpHeader(bytes, 0, 1234, c.port, c.payload.length, SRC, DST);
          if (c.mutate !== null) bytes[c.mutate[0] % bytes.length] = c.mutate[1];
          if (c.truncate !== null) bytes = bytes.subarray(0, c.truncate % (bytes.length + 1));
        }
        const before = s.rmem;
        udp.input({ family: 4, src: '10.0.0.1', dst: '10.0.0.2', srcBytes: SRC, dstBytes: DST, protocol: 17, ttl: 64, tos: 0,
          payload: bytes, ifindex: 2, multicast: false });
        if (s.rmem !== before) queued++;
      }
      const st = udp.stats4;
      assert.equal(st.InErrors + st.NoPorts + queued, cases.length);
      let read = 0;
      for (;;) {
        const d = s.recvfrom(65536);
        if (typeof d === 'number') break;
        read++;
      }
      assert.equal(read, queued);
    },
  ), { numRuns: 200 });
});
