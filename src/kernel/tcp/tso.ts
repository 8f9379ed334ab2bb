// How big a TSO packet is, and when to wait for a bigger one (Linux tcp_output.c:
// tcp_update_pacing_rate, tcp_tso_autosize, tcp_cwnd_test, tcp_tso_should_defer):
//
// - the pacing rate is the congestion window per smoothed RTT, times tcp_pacing_ss_ratio (200 %)
//   in slow start or tcp_pacing_ca_ratio (120 %) after, capped by SO_MAX_PACING_RATE;
// - a packet carries about 1 ms of that rate (plus a share of 64 KiB that shrinks as the minimum
//   RTT grows, tcp_tso_rtt_log), at least tcp_min_tso_segs segments; and at most half the
//   congestion window, so that two packets are in flight;
// - a packet smaller than that waits for the next ACK, when the oldest packet in flight left at
//   least SRTT/2 ago, and the window has room for less than 1/tcp_tso_win_divisor of it (0: less
//   than 3 segments).
import type { Skb } from './buffers.js';
import { CA_RECOVERY } from './tcb.js';
import type { TcpSocket } from './socket.js';

/** Linux GSO_LEGACY_MAX_SIZE: the largest TSO packet. */
const GSO_MAX_SIZE = 65536;
/** Linux sk_pacing_shift: a packet holds 2^-10 s (~1 ms) of the pacing rate. */
const PACING_SHIFT = 10;
/** Linux tcp_max_tso_deferred_mss with tcp_tso_win_divisor = 0. */
const MAX_TSO_DEFERRED_MSS = 3;

/** Linux tcp_update_pacing_rate (bytes per second): cwnd * mss / srtt times the ratio, capped by SO_MAX_PACING_RATE. */
export function pacingRate(s: TcpSocket): number {
  const c = s.tcp.config;
  const mss = s.mss;
  const segs = Math.max(Math.ceil(s.cwnd / mss), Math.ceil(((s.sndNxt - s.sndUna) >>> 0) / mss));
  const ratio = s.cwnd < s.ssthresh / 2 ? c.pacingSsRatio : c.pacingCaRatio;
  const srttUs = s.srtt * 1000;
  // No RTT yet: Linux divides by nothing (srtt_us = 0), which makes the rate as good as unbounded.
  const rate = srttUs > 0 ? (mss * ratio / 100) * segs * 1e6 / srttUs : mss * ratio * 80000 * segs;
  return s.maxPacingRate >= 0 && rate > s.maxPacingRate ? s.maxPacingRate : rate;
}

/** Linux tcp_tso_autosize / tcp_tso_segs: segments per TSO packet at the current rate. */
export function tsoSegs(s: TcpSocket, mss: number): number {
  const c = s.tcp.config;
  let bytes = Math.floor(pacingRate(s) / 2 ** PACING_SHIFT);
  if (s.minRtt !== Infinity) {
    const r = Math.floor((s.minRtt * 1000) / 2 ** c.tsoRttLog);
    if (r < 32) bytes += Math.floor(GSO_MAX_SIZE / 2 ** r);
  }
  if (bytes > GSO_MAX_SIZE) bytes = GSO_MAX_SIZE;
  const segs = Math.floor(bytes / mss);
  return segs > c.minTsoSegs ? segs : c.minTsoSegs;
}

/**
 * Linux tcp_cwnd_test: how many segments the congestion window lets go in one packet now: what
 * it has room for, at most half of it (at least two packets in flight). In bytes.
 */
export function cwndQuota(s: TcpSocket, cwnd: number, inFlight: number): number {
  const mss = s.mss;
  const half = Math.max(Math.floor(Math.floor(cwnd / mss) / 2), 1) * mss;
  const room = cwnd - inFlight;
  return room < half ? room : half;
}

/**
 * Linux tcp_tso_should_defer: whether a chunk of several segments waits for a bigger packet.
 * `limit`: bytes the windows allow now; `maxBytes`: a full TSO packet.
 */
export function tsoShouldDefer(s: TcpSocket, skb: Skb, sendWin: number, congWin: number, maxBytes: number, now: number): boolean {
  if (s.caState >= CA_RECOVERY) return false;
  // Only while sending is going on: the last transmission was less than 1 ms ago. (Exactly
  // 1 ms counts as over: a real kernel handles the event a little after its time.)
  if (now - s.lastXmit >= 1) return false;
  const limit = sendWin < congWin ? sendWin : congWin;
  if (limit >= maxBytes) return false; // a full packet can go
  const q = s.sendQ;
  if (skb !== q.skbs[q.skbs.length - 1] && limit >= skb.len) return false; // it will not grow
  const div = s.tcp.config.tsoWinDivisor;
  if (div > 0) {
    const chunk = Math.floor(Math.min(s.sndWnd, s.cwnd) / div);
    if (limit >= chunk) return false; // a fair share of the window is there: use it
  } else if (limit > MAX_TSO_DEFERRED_MSS * s.mss) return false;
  const head = q.first();
  if (head === undefined || head.sentAt < 0 || q.sendIdx === q.head) return false;
  // Wait only when the next ACK is not too late: the oldest packet in flight left at least half
  // an SRTT ago, in Linux's integer microseconds (srtt_us >> 4 of the 8-times-scaled SRTT).
  const ageUs = Math.round((now - head.sentAt) * 1000);
  const halfSrttUs = Math.floor(s.srtt * 8000) >> 4;
  if (ageUs < halfSrttUs) return false;
  if (congWin < sendWin) { if (congWin <= skb.len) return true; }
  else if (sendWin <= skb.len) return true;
  // Application limited: a packet that will get no more data does not wait.
  if (skb.fin || skb.eor) return false;
  return true;
}
