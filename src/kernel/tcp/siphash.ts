// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): the keyed hash
// Linux uses for TCP initial sequence numbers, timestamp offsets and SYN cookies (secure_tcp_seq,
// cookie_v4_hash). RFC 6528 §3 asks for a pseudorandom function F of the connection's addresses
// and a secret key; SipHash is one made for short inputs, and costs a small fraction of an HMAC.
//
// The 64-bit words are kept as pairs of unsigned 32-bit halves, so no BigInt is needed.

/**
 * SipHash-2-4 of msg[0, len) under the 128-bit key k (four 32-bit words, little-endian halves:
 * k[0] low and k[1] high of the first key word, k[2] and k[3] of the second). Returns the low
 * 32 bits of the 64-bit result; `out`, when given, receives [low 32 bits, high 32 bits].
 */
export function siphash24(k: Uint32Array, msg: Uint8Array, len: number, out?: Uint32Array): number {
  // Initialisation: v0..v3 = k0 ^ "somepseu", k1 ^ "dorandom", k0 ^ "lygenera", k1 ^ "tedbytes".
  let v0l = (k[0]! ^ 0x70736575) >>> 0, v0h = (k[1]! ^ 0x736f6d65) >>> 0;
  let v1l = (k[2]! ^ 0x6e646f6d) >>> 0, v1h = (k[3]! ^ 0x646f7261) >>> 0;
  let v2l = (k[0]! ^ 0x6e657261) >>> 0, v2h = (k[1]! ^ 0x6c796765) >>> 0;
  let v3l = (k[2]! ^ 0x79746573) >>> 0, v3h = (k[3]! ^ 0x74656462) >>> 0;

  const round = (): void => {
    let lo: number, hi: number, t: number;
    // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    lo = (v0l + v1l) >>> 0; v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0; v0l = lo;
    hi = ((v1h << 13) | (v1l >>> 19)) >>> 0; lo = ((v1l << 13) | (v1h >>> 19)) >>> 0;
    v1h = (hi ^ v0h) >>> 0; v1l = (lo ^ v0l) >>> 0;
    t = v0l; v0l = v0h; v0h = t;
    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    lo = (v2l + v3l) >>> 0; v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0; v2l = lo;
    hi = ((v3h << 16) | (v3l >>> 16)) >>> 0; lo = ((v3l << 16) | (v3h >>> 16)) >>> 0;
    v3h = (hi ^ v2h) >>> 0; v3l = (lo ^ v2l) >>> 0;
    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    lo = (v0l + v3l) >>> 0; v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0; v0l = lo;
    hi = ((v3h << 21) | (v3l >>> 11)) >>> 0; lo = ((v3l << 21) | (v3h >>> 11)) >>> 0;
    v3h = (hi ^ v0h) >>> 0; v3l = (lo ^ v0l) >>> 0;
    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    lo = (v2l + v1l) >>> 0; v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0; v2l = lo;
    hi = ((v1h << 17) | (v1l >>> 15)) >>> 0; lo = ((v1l << 17) | (v1h >>> 15)) >>> 0;
    v1h = (hi ^ v2h) >>> 0; v1l = (lo ^ v2l) >>> 0;
    t = v2l; v2l = v2h; v2h = t;
  };

  const word = (ml: number, mh: number): void => {
    v3l = (v3l ^ ml) >>> 0; v3h = (v3h ^ mh) >>> 0;
    round(); round(); // c = 2 compression rounds
    v0l = (v0l ^ ml) >>> 0; v0h = (v0h ^ mh) >>> 0;
  };

  const full = len & ~7;
  for (let i = 0; i < full; i += 8) {
    word(
      (msg[i]! | (msg[i + 1]! << 8) | (msg[i + 2]! << 16) | (msg[i + 3]! << 24)) >>> 0,
      (msg[i + 4]! | (msg[i + 5]! << 8) | (msg[i + 6]! << 16) | (msg[i + 7]! << 24)) >>> 0,
    );
  }
  // The last word: the remaining bytes, little-endian, with len mod 256 in the top byte.
  let ml = 0, mh = (len & 0xff) << 24;
  const rest = len - full;
  for (let j = 0; j < rest; j++) {
    const b = msg[full + j]!;
    if (j < 4) ml |= b << (8 * j);
    else mh |= b << (8 * (j - 4));
  }
  word(ml >>> 0, mh >>> 0);
  // Finalisation: v2 ^= 0xff, d = 4 rounds, v0 ^ v1 ^ v2 ^ v3.
  v2l = (v2l ^ 0xff) >>> 0;
  round(); round(); round(); round();
  const lo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
  if (out !== undefined) { out[0] = lo; out[1] = (v0h ^ v1h ^ v2h ^ v3h) >>> 0; }
  return lo;
}
