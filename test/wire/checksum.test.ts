import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { foldChecksum, internetChecksum, onesSum, pseudoHeaderSum, updateChecksum } from '../../src/wire/checksum.js';
import { hex, refChecksum } from './hex.js';

test('RFC 1071 §3 example words sum to ddf2 (checksum 220d)', () => {
  const b = hex('0001 f203 f4f5 f6f7');
  assert.equal(onesSum(b, 0, b.length), 0xddf2);
  assert.equal(internetChecksum(b), 0x220d);
});

test('IPv4 header from a capture checks to zero and recomputes its checksum', () => {
  // 20-byte header with checksum b861 (the common textbook example header).
  const h = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
  assert.equal(internetChecksum(h), 0);
  h[10] = 0;
  h[11] = 0;
  assert.equal(internetChecksum(h), 0xb861);
});

test('internetChecksum equals a word-by-word reference at every length, alignment and path', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 1600 }), fc.nat(7), fc.nat(3), (data, pre, post) => {
      // Place the data at an arbitrary byte offset of a larger buffer so both the byte loop and the
      // aligned/unaligned Uint16Array paths run.
      const big = new Uint8Array(pre + data.length + post);
      big.set(data, pre);
      assert.equal(internetChecksum(big, pre, pre + data.length), refChecksum(data));
      assert.equal(internetChecksum(big.subarray(pre, pre + data.length)), refChecksum(data));
    }),
    { numRuns: 800 },
  );
});

test('chained onesSum over even-length pieces equals the sum of the whole', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.nat(300), (data, cut) => {
      const c = Math.min(cut * 2, data.length - (data.length & 1));
      const chained = foldChecksum(onesSum(data, c, data.length, onesSum(data, 0, c)));
      assert.equal(chained, refChecksum(data));
    }),
    { numRuns: 300 },
  );
});

test('a buffer above 4 MiB (folds between 32-bit chunks) matches the reference', () => {
  const b = new Uint8Array(4 * 1024 * 1024 + 4099);
  for (let i = 0; i < b.length; i++) b[i] = (i * 2654435761) >>> 24;
  assert.equal(internetChecksum(b, 1), refChecksum(b.subarray(1)));
  b.fill(0xff);
  assert.equal(internetChecksum(b, 2, b.length - 1), 0); // an even count of 0xff bytes
});

test('all-ones and all-zero inputs', () => {
  assert.equal(internetChecksum(new Uint8Array(200).fill(0xff)), 0);
  assert.equal(internetChecksum(new Uint8Array(200)), 0xffff);
  assert.equal(internetChecksum(new Uint8Array(0)), 0xffff);
});

test('pseudoHeaderSum matches summing an explicit pseudo-header (IPv4 and IPv6)', () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0xfffff }),
      (v6, s16, d16, proto, len) => {
        let ph: number[];
        let src: Uint8Array;
        let dst: Uint8Array;
        if (v6) {
          src = s16;
          dst = d16;
          ph = [...src, ...dst, (len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255, 0, 0, 0, proto];
        } else {
          src = s16.subarray(0, 4);
          dst = d16.subarray(0, 4);
          len &= 0xffff;
          ph = [...src, ...dst, 0, proto, len >>> 8, len & 255];
        }
        assert.equal(foldChecksum(pseudoHeaderSum(src, dst, proto, len)), refChecksum(ph));
      },
    ),
    { numRuns: 300 },
  );
});

test('RFC 1624 incremental update equals recomputation', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.nat(9), fc.integer({ min: 0, max: 0xffff }), (h, w, nv) => {
      const b = new Uint8Array(h);
      b[10] = 0;
      b[11] = 0;
      const c = internetChecksum(b);
      b[10] = c >>> 8;
      b[11] = c & 255;
      if (w === 5) return; // the checksum word itself
      const old = (b[2 * w] << 8) | b[2 * w + 1];
      b[2 * w] = nv >>> 8;
      b[2 * w + 1] = nv & 255;
      const upd = updateChecksum(c, old, nv);
      b[10] = 0;
      b[11] = 0;
      const full = internetChecksum(b);
      // One's complement has two zeros; both encodings verify, so compare modulo 0xffff.
      assert.equal(upd % 0xffff, full % 0xffff);
    }),
    { numRuns: 300 },
  );
});
