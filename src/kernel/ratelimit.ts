// ICMP error rate limiting per destination, as Linux does it (net/ipv4/icmp.c icmpv4_xrlim_allow,
// net/ipv6/icmp.c icmpv6_xrlim_allow, net/ipv4/inetpeer.c inet_peer_xrlim_allow): a token bucket
// per destination that refills one token per `intervalMs` (net.ipv4.icmp_ratelimit = 1000 ms),
// holding at most XRLIM_BURST_FACTOR (6) tokens, full for a destination not seen before.
// RFC 1812 §4.3.2.8 and RFC 4443 §2.4(f) ask routers and hosts to limit ICMP error rates.

import type { Scheduler } from '../links/clock.js';
import { LazyMap } from '../links/lazy.js';

/** Linux XRLIM_BURST_FACTOR. */
export const BURST = 6;

export class IcmpRateLimiter {
  private readonly peers = new LazyMap<string, { tokens: number; last: number }>();

  constructor(private readonly sched: Scheduler, readonly intervalMs = 1000, readonly maxPeers = 4096) {}

  /** True when an error to `dst` may be sent now (and consumes a token). */
  allow(dst: string): boolean {
    const now = this.sched.now();
    let p = this.peers.get(dst);
    if (p === undefined) {
      if (this.peers.size >= this.maxPeers) this.peers.clear();
      p = { tokens: BURST * this.intervalMs, last: now };
      this.peers.set(dst, p);
    }
    let tokens = p.tokens + (now - p.last);
    p.last = now;
    if (tokens > BURST * this.intervalMs) tokens = BURST * this.intervalMs;
    if (tokens >= this.intervalMs) {
      p.tokens = tokens - this.intervalMs;
      return true;
    }
    p.tokens = tokens;
    return false;
  }

  clear(): void {
    this.peers.clear();
  }
}
