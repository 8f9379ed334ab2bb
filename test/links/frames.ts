// Hand-built Ethernet frames for the links tests (no dependency on the wire codecs).

export const BROADCAST = 'ff:ff:ff:ff:ff:ff';

export function mac(s: string): Uint8Array {
  return Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
}

/** A 14-byte Ethernet II header (ethertype 0x88b5, local experimental) plus `payloadLen` bytes. */
export function eth(dst: string, src: string, payloadLen = 46, id = 0): Uint8Array {
  const f = new Uint8Array(14 + payloadLen);
  f.set(mac(dst), 0);
  f.set(mac(src), 6);
  f[12] = 0x88; f[13] = 0xb5;
  // The id in the first 4 payload bytes, so receivers can tell frames apart.
  if (payloadLen >= 4) { f[14] = id >>> 24; f[15] = id >>> 16; f[16] = id >>> 8; f[17] = id; }
  for (let i = 18; i < f.length; i++) f[i] = i & 0xff;
  return f;
}

export function frameId(f: Uint8Array): number {
  return ((f[14]! << 24) | (f[15]! << 16) | (f[16]! << 8) | f[17]!) >>> 0;
}
