// The Internet checksum: 16-bit one's complement of the one's complement sum of 16-bit words.
// RFC 1071 (computation), RFC 1624 (incremental update), RFC 768/9293/8200 (pseudo-headers).

// RFC 1071 §2(B): the sum is byte-order independent, so on a little-endian host we may add
// native loads (32 bits at a time, RFC 1071 §2(C) deferred carries) and swap the folded result
// once. Endianness is detected once; a constant, not state.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// Below this many bytes a plain byte loop beats creating a Uint32Array view.
const VIEW_MIN = 96;

/** Folds carries of any non-negative integer sum into 16 bits (the value is not complemented). */
function fold(s: number): number {
  while (s > 0xffffffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s;
}

function sumWords32(view: Uint32Array, from: number, to: number): number {
  let s = 0;
  let k = from;
  const last4 = to - 3;
  for (; k < last4; k += 4) s += view[k] + view[k + 1] + view[k + 2] + view[k + 3];
  for (; k < to; k++) s += view[k];
  return s;
}

function swap16(x: number): number {
  return ((x & 0xff) << 8) | (x >>> 8);
}

/**
 * One's complement running sum of the 16-bit big-endian words of buf[start, end), added to
 * `initial`. An odd trailing byte is padded with zero (RFC 1071 §4.1). The result is folded
 * to 16 bits (never complemented) so sums can be chained; each call starts at a word boundary.
 */
export function onesSum(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = 0;
  let i = start;
  if (end - start >= VIEW_MIN && LITTLE_ENDIAN) {
    const abs = buf.byteOffset + start;
    let odd = 0;
    if ((abs & 1) !== 0) {
      // First byte is a high byte on its own; the rest starts word-aligned in memory but at an
      // odd position of the checksum stream, where a little-endian load already has the right weights.
      odd = buf[i] << 8;
      i++;
    }
    // Sum little-endian loads. A 32-bit load b0|b1<<8|b2<<16|b3<<24 is congruent (mod 0xffff) to
    // the sum of its two 16-bit little-endian halves, so aligned 32-bit chunks may be added whole.
    let s = 0;
    if (((buf.byteOffset + i) & 2) !== 0 && end - i >= 2) {
      s += buf[i] | (buf[i + 1] << 8);
      i += 2;
    }
    const quads = (end - i) >>> 2;
    const view = new Uint32Array(buf.buffer, buf.byteOffset + i, quads);
    // At most 2^20 loads of < 2^32 each between folds keeps the double sum exact (< 2^53).
    for (let k = 0; k < quads; k += 0x100000) s = fold(s + sumWords32(view, k, Math.min(quads, k + 0x100000)));
    i += quads << 2;
    if (end - i >= 2) {
      s += buf[i] | (buf[i + 1] << 8);
      i += 2;
    }
    s = fold(s);
    // Even stream position: a little-endian load is the byte swap of the network-order word.
    sum = odd === 0 ? swap16(s) : s + odd;
    if (i < end) {
      // One byte left; its position in the stream is even when start was even (high byte).
      sum += odd === 0 ? buf[i] << 8 : buf[i];
    }
    return fold(sum + initial);
  }
  const last = end - 1;
  for (; i < last; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8; // RFC 1071 §4.1: pad an odd byte with zero
  return fold(sum + initial);
}

/** Folds a running sum and complements it: the 16-bit value to store in a checksum field. */
export function foldChecksum(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/** The Internet checksum of buf[start, end) (RFC 1071). A buffer holding a correct checksum gives 0. */
export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length): number {
  return foldChecksum(onesSum(buf, start, end, 0));
}

/**
 * Partial sum of the pseudo-header. IPv4 (4-byte addresses, RFC 768 / RFC 9293 §3.1):
 * src, dst, zero, protocol, length. IPv6 (16-byte addresses, RFC 8200 §8.1): src, dst,
 * 32-bit upper-layer length, 24 zero bits, next header.
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let s = 0;
  const n = src.length;
  for (let i = 0; i < n; i += 2) s += (src[i] << 8) | src[i + 1];
  const m = dst.length;
  for (let i = 0; i < m; i += 2) s += (dst[i] << 8) | dst[i + 1];
  if (n === 16) s += Math.floor(length / 0x10000) + (length & 0xffff);
  else s += length & 0xffff;
  return fold(s + protocol);
}

/**
 * RFC 1624 eqn. 3: updates a stored checksum when one 16-bit word changes from `oldWord`
 * to `newWord` (HC' = ~(~HC + ~m + m')), without summing the whole packet again.
 */
export function updateChecksum(checksum: number, oldWord: number, newWord: number): number {
  return foldChecksum((~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff));
}
