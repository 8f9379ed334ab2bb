// The path MTU cache of one address family: what ICMP "fragmentation needed" (RFC 1191) and
// ICMPv6 "packet too big" (RFC 8201) taught us about each destination. Entries expire after
// 10 minutes (RFC 1191 §6.3 suggests 10 min; Linux net.ipv4.route.mtu_expires = 600 s),
// checked lazily when the entry is read.

import type { Scheduler } from '../links/clock.js';
import { LazyMap } from '../links/lazy.js';

export const PMTU_EXPIRES_MS = 600_000;

interface Entry {
  mtu: number;
  expires: number;
}

export class PmtuCache {
  private readonly map = new LazyMap<string, Entry>();
  /** Bumped whenever a learned value changes, for anyone caching route results. */
  gen = 0;

  constructor(private readonly sched: Scheduler, readonly minMtu: number, readonly expiresMs = PMTU_EXPIRES_MS) {}

  get size(): number {
    return this.map.size;
  }

  /** The learned MTU toward `dst`, or 0 when none (or it expired). */
  get(dst: string): number {
    const e = this.map.get(dst);
    if (e === undefined) return 0;
    if (this.sched.now() >= e.expires) {
      this.map.delete(dst);
      this.gen++;
      return 0;
    }
    return e.mtu;
  }

  /**
   * Records a smaller MTU toward `dst` (clamped to the family minimum: Linux ip_rt_min_pmtu 552
   * for IPv4; RFC 8200 §5 1280 for IPv6). Returns the MTU now in force, or 0 when nothing changed
   * because `mtu` is not below `linkMtu`.
   */
  learn(dst: string, mtu: number, linkMtu: number): number {
    if (mtu < this.minMtu) mtu = this.minMtu;
    if (mtu >= linkMtu) return 0;
    const old = this.get(dst);
    // RFC 1191 §6.3: a PMTU estimate is only ever lowered by a message; it rises on expiry.
    if (old !== 0 && old <= mtu) {
      this.map.get(dst)!.expires = this.sched.now() + this.expiresMs;
      return old;
    }
    this.map.set(dst, { mtu, expires: this.sched.now() + this.expiresMs });
    this.gen++;
    return mtu;
  }

  clear(): void {
    this.map.clear();
    this.gen++;
  }

  entries(): Array<{ dst: string; mtu: number; expiresInMs: number }> {
    const now = this.sched.now();
    const out: Array<{ dst: string; mtu: number; expiresInMs: number }> = [];
    for (const [dst, e] of this.map) if (e.expires > now) out.push({ dst, mtu: e.mtu, expiresInMs: e.expires - now });
    return out;
  }
}
