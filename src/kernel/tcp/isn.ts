// Initial sequence numbers (RFC 6528) and timestamp offsets (RFC 7323 §5.4), both keyed hashes
// of the connection's addresses with a per-host secret drawn from the network's Random.
import { createHmac } from 'node:crypto';
import type { Scheduler } from '../../links/clock.js';
import type { Random } from '../../links/random.js';

/**
 * A keyed hash with a secret from the network's Random, drawn on first use (so that a host that
 * never uses TCP draws nothing from its random stream).
 */
export class SecretHash {
  private key: Buffer | null = null;

  constructor(private readonly random: Random, private readonly bytes = 16) {}

  /** A 32-bit keyed hash (HMAC-SHA-256, truncated) of the text. */
  hash32(text: string): number {
    this.key ??= Buffer.from(this.random.fill(new Uint8Array(this.bytes)));
    return createHmac('sha256', this.key).update(text).digest().readUInt32BE(0);
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
  private readonly tsCache = new Map<string, number>();

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
