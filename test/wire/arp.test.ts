import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import { ARP_LEN, ARP_REPLY, ARP_REQUEST, emitArp, parseArp, type ArpRepr } from '../../src/wire/arp.js';
import { ETHERTYPE_ARP, parseEthernet, type EthernetRepr } from '../../src/wire/ethernet.js';
import { formatIPv4, formatMAC } from '../../src/wire/addr.js';
import { hex, toHex } from './hex.js';
import { ARP_REQUEST_FRAME } from './vectors.js';

test('known ARP request frame', () => {
  const e = parseEthernet(ARP_REQUEST_FRAME) as EthernetRepr;
  assert.equal(e.etherType, ETHERTYPE_ARP);
  const a = parseArp(e.payload);
  assert.ok(!(a instanceof WireError));
  assert.equal(a.op, ARP_REQUEST);
  assert.equal(formatMAC(a.senderMac), '08:00:27:aa:bb:cc');
  assert.equal(formatIPv4(a.senderIp), '192.168.1.10');
  assert.equal(formatMAC(a.targetMac), '00:00:00:00:00:00');
  assert.equal(formatIPv4(a.targetIp), '192.168.1.1');
  assert.equal(a.senderMac.buffer, ARP_REQUEST_FRAME.buffer); // a view
  const out = new Uint8Array(ARP_LEN);
  assert.equal(emitArp(a, out, 0), 28);
  assert.equal(toHex(out), toHex(e.payload.subarray(0, 28)));
});

test('ARP for other hardware/protocol types or address sizes is a WireError', () => {
  const p = ARP_REQUEST_FRAME.slice(14, 42);
  for (const [i, v] of [[1, 6], [3, 0xdd], [4, 8], [5, 16]] as const) {
    const b = p.slice();
    b[i] = v;
    assert.ok(parseArp(b) instanceof WireError, `byte ${i}`);
  }
  assert.ok(parseArp(p.subarray(0, 27)) instanceof WireError);
});

test('ARP emit → parse round-trip', () => {
  const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
  const ip = fc.uint8Array({ minLength: 4, maxLength: 4 });
  fc.assert(
    fc.property(fc.constantFrom(ARP_REQUEST, ARP_REPLY), mac, ip, mac, ip, (op, sm, si, tm, ti) => {
      const r: ArpRepr = { op, senderMac: sm, senderIp: si, targetMac: tm, targetIp: ti };
      const b = new Uint8Array(30);
      emitArp(r, b, 2);
      const p = parseArp(b.subarray(2)) as ArpRepr;
      assert.deepEqual([p.op, toHex(p.senderMac), toHex(p.senderIp), toHex(p.targetMac), toHex(p.targetIp)], [op, toHex(sm), toHex(si), toHex(tm), toHex(ti)]);
    }),
    { numRuns: 200 },
  );
});
