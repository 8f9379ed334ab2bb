// SYN cookies (RFC 4987 §3.6): when a listener's SYN queue is full, the SYN-ACK's sequence
// number carries the connection's state so nothing is stored until the final ACK returns it.
//
// Cookie layout (32 bits):  t mod 32 (5 bits) | MSS index (3 bits) | MAC (24 bits)
//   t    a counter advancing every 64 s (a cookie is honoured for two periods, up to 128 s)
//   MAC  keyed hash of the 4-tuple, t and the client's ISN, with a per-host secret
// With timestamps, the options the client offered ride in the low 6 bits of our TSval and come
// back in its TSecr (Linux cookie_init_timestamp): window scale (4 bits, 15 = none), SACK-permitted.
import type { Scheduler } from '../../links/clock.js';
import type { Random } from '../../links/random.js';
import { SecretHash } from './isn.js';

const PERIOD_MS = 64_000;
/** MSS values a cookie can carry: RFC 9293's 536, the IPv6 minimum (1280 - 60), Linux's 1300 and 1440, Ethernet's 1460, jumbo frames (9000 - 40), loopback (65536 - 60 and - 40). */
export const COOKIE_MSS = [536, 1220, 1300, 1440, 1460, 8960, 65476, 65496];
const TS_BITS = 6;
const TS_MASK = (1 << TS_BITS) - 1;
const WSCALE_NONE = 0xf;

export interface CookieOptions {
  /** Window scale the client offered (-1: none). */
  wscale: number;
  sackOk: boolean;
}

export class SynCookies {
  private readonly secret: SecretHash;

  constructor(random: Random, private readonly sched: Scheduler) {
    this.secret = new SecretHash(random);
  }

  /** A reboot: cookies are keyed with a new secret. */
  reseed(): void { this.secret.reset(); }

  /** Index of the largest table MSS not above `mss`. */
  mssIndex(mss: number): number {
    let i = 0;
    while (i + 1 < COOKIE_MSS.length && COOKIE_MSS[i + 1]! <= mss) i++;
    return i;
  }

  private mac(t: number, laddr: string, lport: number, raddr: string, rport: number, peerIsn: number): number {
    return this.secret.hash32(`${t}|${laddr}|${lport}|${raddr}|${rport}|${peerIsn}`) & 0xffffff;
  }

  /** The ISN of a cookie SYN-ACK. */
  make(laddr: string, lport: number, raddr: string, rport: number, peerIsn: number, mssIndex: number): number {
    const t = Math.floor(this.sched.now() / PERIOD_MS);
    return (((t & 31) << 27) | ((mssIndex & 7) << 24) | this.mac(t, laddr, lport, raddr, rport, peerIsn)) >>> 0;
  }

  /** Checks the cookie an ACK returns (its ACK - 1); the MSS it carries, or -1. */
  check(laddr: string, lport: number, raddr: string, rport: number, peerIsn: number, cookie: number): number {
    const now = Math.floor(this.sched.now() / PERIOD_MS);
    const t5 = cookie >>> 27;
    for (let age = 0; age <= 1; age++) {
      const t = now - age;
      if (t < 0 || (t & 31) !== t5) continue;
      if ((cookie & 0xffffff) === this.mac(t, laddr, lport, raddr, rport, peerIsn)) return COOKIE_MSS[(cookie >>> 24) & 7]!;
    }
    return -1;
  }

  /** TSval for a cookie SYN-ACK: the clock with the offered options in the low bits, never ahead of it. */
  encodeTs(tsval: number, o: CookieOptions): number {
    const bits = (o.wscale >= 0 ? o.wscale & 0xf : WSCALE_NONE) | (o.sackOk ? 1 << 4 : 0);
    let v = ((tsval & ~TS_MASK) | bits) >>> 0;
    if (((v - tsval) | 0) > 0) v = (v - (1 << TS_BITS)) >>> 0;
    return v;
  }

  decodeTs(tsecr: number): CookieOptions {
    const w = tsecr & 0xf;
    return { wscale: w === WSCALE_NONE ? -1 : w, sackOk: (tsecr & (1 << 4)) !== 0 };
  }
}
