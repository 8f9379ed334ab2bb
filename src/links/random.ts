// The network's seeded random source (sfc32). Same seed, same sequence: every random choice in a
// network (loss, reordering, jitter, ISN secrets, ephemeral ports, IPv4 IDs) draws from here.

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 to spread the seed over the state
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A uniform number in [0, 1). */
  next(): number { return this.u32() / 4294967296; }

  /** A uniform integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }

  /** True with probability p. */
  chance(p: number): boolean { return p > 0 && this.next() < p; }

  /** Fills a buffer with random bytes. */
  fill(buf: Uint8Array): Uint8Array {
    for (let i = 0; i < buf.length; i += 4) {
      let v = this.u32();
      for (let j = 0; j < 4 && i + j < buf.length; j++) { buf[i + j] = v & 0xff; v >>>= 8; }
    }
    return buf;
  }

  /** A new independent stream derived from this one (for a host, a link). */
  fork(): Random { return new Random(this.u32() ^ this.u32()); }
}
