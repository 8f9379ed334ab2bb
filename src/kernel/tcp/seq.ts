// Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): comparisons are made on the signed
// 32-bit difference, so they stay right across wrap-around as long as the two numbers are
// within 2^31 of each other (which the window limits guarantee).

/** a < b */
export function seqLt(a: number, b: number): boolean { return ((a - b) | 0) < 0; }
/** a <= b */
export function seqLe(a: number, b: number): boolean { return ((a - b) | 0) <= 0; }
/** a > b */
export function seqGt(a: number, b: number): boolean { return ((a - b) | 0) > 0; }
/** a >= b */
export function seqGe(a: number, b: number): boolean { return ((a - b) | 0) >= 0; }
/** a + n, wrapped to 32 bits. */
export function seqAdd(a: number, n: number): number { return (a + n) >>> 0; }
/** The signed distance a - b. */
export function seqSub(a: number, b: number): number { return (a - b) | 0; }
/** lo <= x <= hi (inclusive, in the window starting at lo). */
export function seqBetween(lo: number, x: number, hi: number): boolean {
  return ((x - lo) >>> 0) <= ((hi - lo) >>> 0);
}
/** The larger of two sequence numbers. */
export function seqMax(a: number, b: number): number { return seqGt(a, b) ? a : b; }
/** The smaller of two sequence numbers. */
export function seqMin(a: number, b: number): number { return seqLt(a, b) ? a : b; }
