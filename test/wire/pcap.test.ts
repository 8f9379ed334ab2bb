import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, pcapGlobalHeader, pcapRecordHeader } from '../../src/wire/pcap.js';
import { toHex } from './hex.js';

test('pcap global header: little-endian magic a1b2c3d4, version 2.4, snaplen, link type', () => {
  assert.equal(toHex(pcapGlobalHeader(LINKTYPE_ETHERNET)), 'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '01000000');
  const raw = pcapGlobalHeader(LINKTYPE_RAW, 65535);
  assert.equal(toHex(raw.subarray(16)), 'ffff0000' + '65000000');
});

test('pcap record header: seconds and microseconds from milliseconds, lengths', () => {
  const r = pcapRecordHeader(1234.5678, 60, 1514);
  const dv = new DataView(r.buffer);
  assert.equal(r.length, 16);
  assert.equal(dv.getUint32(0, true), 1);
  assert.equal(dv.getUint32(4, true), 234568); // 234.5678 ms rounds to 234568 µs
  assert.equal(dv.getUint32(8, true), 60);
  assert.equal(dv.getUint32(12, true), 1514);
  // Rounding up to a whole second carries into the seconds field.
  const c = new DataView(pcapRecordHeader(1999.9999, 1, 1).buffer);
  assert.deepEqual([c.getUint32(0, true), c.getUint32(4, true)], [2, 0]);
  const z = new DataView(pcapRecordHeader(0, 0, 0).buffer);
  assert.deepEqual([z.getUint32(0, true), z.getUint32(4, true)], [0, 0]);
});
