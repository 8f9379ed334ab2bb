// Initial sequence numbers (RFC 6528) and timestamp offsets (RFC 7323 §5.4), both keyed hashes
// of the connection's addresses with a per-host secret drawn from the network's Random.
import type { Scheduler } from '../../links/clock.js';
import type { Random } from '../../links/random.js';
import { siphash24 } from './siphash.js';
import { LazyMap } from '../../links/lazy.js';

/**
 * A keyed hash with a 128-bit secret from the network's Random, drawn on first use (so that a
 * host that never uses TCP draws nothing from its random stream).
 */
/** Stateless: one for every host. */
const encoder = new TextEncoder();

export class SecretHash {
  private key: Uint32Array | null = null;
  /** Scratch for the text's bytes (the inputs are short: addresses, ports, a counter); made on first use. */
  private buf: Uint8Array | null = null;

  constructor(private readonly random: Random) {}

  /** Forgets the secret (a reboot): the next hash draws a new one. */
  reset(): void { this.key = null; }

  /** A 32-bit keyed hash of the text: SipHash-2-4 (as Linux keys its ISNs), truncated. */
  hash32(text: string): number {
    if (this.key === null) {
      const k = this.random.fill(new Uint8Array(16));
      this.key = new Uint32Array(4);
      for (let i = 0; i < 4; i++) this.key[i] = (k[4 * i]! | (k[4 * i + 1]! << 8) | (k[4 * i + 2]! << 16) | (k[4 * i + 3]! << 24)) >>> 0;
    }
    let buf = this.buf;
    if (buf === null || text.length * 3 > buf.length) buf = this.buf = new Uint8Array(Math.max(128, text.length * 3));
    const n = encoder.encodeInto(text, buf).written;
    return siphash24(this.key, buf, n);
  }
}

/** Address pairs whose timestamp offsets are kept. */
const TS_CACHE_MAX = 4096;

export class IsnGenerator {
  private readonly secret: SecretHash;
  /**
   * tsOffset() per address pair: the keyed hash depends only on the two addresses and the
   * secret, so it is computed once per pair (HMAC costs were a visible share of connection
   * setup). Cleared when it grows past TS_CACHE_MAX pairs.
   */
  private readonly tsCache = new LazyMap<string, number>();

  constructor(random: Random, private readonly sched: Scheduler) {
    this.secret = new SecretHash(random);
  }

  /**
   * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a timer
   * ticking every 4 microseconds, F a keyed hash.
   */
  isn(localAddr: string, localPort: number, remoteAddr: string, remotePort: number): number {
    const m = Math.floor(this.sched.now() * 250);
    const f = this.secret.hash32(`isn|${localAddr}|${localPort}|${remoteAddr}|${remotePort}`);
    return (m + f) >>> 0;
  }

  /** A reboot: a new secret (RFC 6528 §3: the key is chosen at boot), so new ISNs and offsets. */
  reseed(): void {
    this.secret.reset();
    this.tsCache.clear();
  }

  /** RFC 7323 §5.4: a per-connection-pair random offset for TSval (Linux tcp_ts_off). */
  tsOffset(localAddr: string, remoteAddr: string): number {
    const key = `ts|${localAddr}|${remoteAddr}`;
    let v = this.tsCache.get(key);
    if (v === undefined) {
      v = this.secret.hash32(key);
      if (this.tsCache.size >= TS_CACHE_MAX) this.tsCache.clear();
      this.tsCache.set(key, v);
    }
    return v;
  }
}
