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
