// Big-endian (network order) field access on byte arrays without DataView allocation.
// Callers check bounds first; these are small enough for V8 to inline.

export function get16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function get32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Throws (a programming error) when `buf` cannot hold `len` bytes at `offset`. */
export function need(buf: Uint8Array, offset: number, len: number, what: string): void {
  if (!(offset >= 0) || offset + len > buf.length) {
    throw new RangeError(`${what}: buffer too small (${len} bytes at offset ${offset}, buffer ${buf.length})`);
  }
}

/**
 * A copy of b[start, end) that owns its bytes. `b.slice()` does not do that when b is a Node
 * Buffer (Buffer#slice is a view): a cache or a queue keeping it would pin the whole frame and
 * change when the frame's bytes do.
 */
export function copyBytes(b: Uint8Array, start = 0, end = b.length): Uint8Array {
  const out = new Uint8Array(end > start ? end - start : 0);
  out.set(b.subarray(start, end));
  return out;
}
