// The retransmission timeout (RFC 6298), with Linux's bounds: RTO = SRTT + max(4*RTTVAR,
// RTO_min) where RTO_min is 200 ms (Linux's tcp_rto_min, lower than RFC 6298 §2.4's 1 s),
// capped at 120 s (RFC 6298 §2.5 allows any maximum of at least 60 s), 1 s before the first
// sample (RFC 6298 §2.1). Times are milliseconds of the network clock.
import type { TcpConfig } from './config.js';

export interface RttFields {
  /** Smoothed round-trip time; 0 before the first sample. */
  srtt: number;
  rttvar: number;
  /** The RTO before backoff. */
  rto: number;
  /** Exponential backoff exponent (RFC 6298 §5.5), reset by new acknowledgments. */
  backoff: number;
  /** Smallest RTT seen (for CUBIC and TCP_INFO). */
  minRtt: number;
  readonly tcp: { readonly config: TcpConfig };
}

const ALPHA = 1 / 8; // RFC 6298 §2.3
const BETA = 1 / 4;

/** Feeds one RTT measurement `r` (ms). */
export function rttSample(s: RttFields, r: number): void {
  if (r < 0) return;
  if (r < s.minRtt) s.minRtt = r;
  if (s.srtt === 0 && s.rttvar === 0) {
    // RFC 6298 §2.2: the first measurement.
    s.srtt = r > 0 ? r : 1e-3;
    s.rttvar = r / 2;
  } else {
    // RFC 6298 §2.3: RTTVAR first (with the old SRTT), then SRTT.
    s.rttvar = (1 - BETA) * s.rttvar + BETA * Math.abs(s.srtt - r);
    s.srtt = (1 - ALPHA) * s.srtt + ALPHA * r;
  }
  setRto(s);
}

/** RFC 6298 §2.2/2.3 with Linux's floor on the variance term, and §2.5's maximum. */
export function setRto(s: RttFields): void {
  const c = s.tcp.config;
  const v = Math.max(4 * s.rttvar, c.rtoMinMs);
  s.rto = Math.min(s.srtt + v, c.rtoMaxMs);
}

/** The timeout in force now: the RTO doubled once per backoff step (RFC 6298 §5.5), capped. */
export function currentRto(s: RttFields): number {
  const r = s.rto * 2 ** s.backoff;
  const max = s.tcp.config.rtoMaxMs;
  return r < max ? r : max;
}

/**
 * Linux tcp_model_timeout: how long `retries` retransmissions take with exponential backoff
 * from `base` up to the maximum RTO; a connection whose first unacknowledged segment has been
 * outstanding longer than this gives up (tcp_retries2 = 15 gives 924.6 s with a 200 ms base).
 */
export function modelTimeout(retries: number, base: number, max: number): number {
  const thresh = Math.floor(Math.log2(max / base));
  if (retries <= thresh) return ((2 << retries) - 1) * base;
  return ((2 << thresh) - 1) * base + (retries - thresh) * max;
}
