// Option negotiation (RFC 9293 §3.7.1 MSS, RFC 7323 window scale and timestamps, RFC 2018
// SACK-permitted) and the sizes that follow from it.
import type { TcpOptions } from '../../wire/tcp.js';

/** RFC 9293 §3.7.1 / RFC 1122: the MSS to assume when the peer sends none. */
export const DEFAULT_MSS_V4 = 536;
/** RFC 8200 §8.3: IPv6's minimum MTU (1280) minus the IPv6 and TCP headers. */
export const DEFAULT_MSS_V6 = 1220;
/** RFC 7323 §2.3: the largest shift. */
export const MAX_WSCALE = 14;
/** Bytes the timestamps option takes in every segment (10, padded to 12). */
export const TS_OPTION_LEN = 12;
/** Linux TCP_MIN_MSS: MSS below this is not honoured (RFC 9293 §3.7.1 asks for sanity). */
export const MIN_MSS = 88;

/**
 * MSS for an MTU: minus the IP header (20 / 40) and the TCP header (20), RFC 9293 §3.7.1.
 * An IPv4 datagram is at most 65535 bytes (RFC 791 §3.1 total length) and an IPv6 payload at
 * most 65535 without jumbograms (RFC 8200 §3), so a 65536-byte loopback MTU is capped as Linux
 * does (ipv4_default_advmss / ip6_default_advmss).
 */
export function mssForMtu(family: 4 | 6, mtu: number): number {
  if (family === 4) return Math.min(mtu, 65535) - 20 - 20;
  return Math.min(mtu - 40, 65535) - 20;
}

/**
 * Linux tcp_select_initial_window: the smallest shift that lets the window reach the largest
 * receive buffer the connection may grow to (RFC 7323 §2.3).
 */
export function chooseWscale(maxSpace: number): number {
  let shift = 0;
  while (shift < MAX_WSCALE && 65535 * 2 ** shift < maxSpace) shift++;
  return shift;
}

/** What a SYN offered, as the listener or the connecting side records it. */
export interface SynOffer {
  mss: number;
  wscale: number; // -1: not offered
  sackOk: boolean;
  tsval: number; // -1: no timestamps
}

export function readSynOptions(o: TcpOptions, family: 4 | 6): SynOffer {
  let mss = o.mss ?? (family === 4 ? DEFAULT_MSS_V4 : DEFAULT_MSS_V6);
  if (mss < MIN_MSS) mss = MIN_MSS;
  return {
    mss,
    wscale: o.wscale === undefined ? -1 : Math.min(o.wscale, MAX_WSCALE), // RFC 7323 §2.3: above 14 is used as 14
    sackOk: o.sackPermitted === true,
    tsval: o.timestamp ? o.timestamp.tsval : -1,
  };
}
