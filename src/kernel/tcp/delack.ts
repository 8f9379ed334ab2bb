// When to acknowledge received data, as Linux decides it (its icsk_ack engine: tcp_input.c
// tcp_event_data_recv / __tcp_ack_snd_check, tcp_output.c tcp_send_delayed_ack /
// tcp_event_ack_sent / tcp_event_data_sent, tcp_timer.c tcp_delack_timer_handler, tcp.c
// __tcp_cleanup_rbuf): RFC 1122 §4.2.3.2 and RFC 5681 §4.2 with Linux's adaptive timeout.
//
// - Quick-ACK mode: the first data (and data after a long silence, or a duplicate) makes the
//   next ACKs immediate, as many as half the window holds in full segments (at most 16).
// - Otherwise every second full segment is acknowledged at once; a single one waits for the
//   delayed-ACK timeout `ato`, which starts at 40 ms and follows the gaps between arrivals.
// - Ping-pong (interactive) mode: data sent less than `ato` after data arrived, or the peer's
//   FIN: ACKs are delayed, to ride on the reply; a delayed ACK that had to fire ends it.
// - A read that empties a buffer that held a short (pushed) segment, or that at least doubles
//   the window, acknowledges at once.
import { transmit, selectWindowPeek } from './output.js';
import { seqSub } from './seq.js';
import { CLOSE_WAIT, ESTABLISHED } from './state.js';
import type { TcpSocket } from './socket.js';

/** icsk_ack.pending bits (Linux inet_csk_ack_state_t). */
export const ACK_SCHED = 1;
export const ACK_TIMER = 2;
export const ACK_PUSHED = 4;
export const ACK_PUSHED2 = 8;
export const ACK_NOW = 16;

/** Linux TCP_MAX_QUICKACKS. */
export const MAX_QUICKACKS = 16;
/** Linux TCP_DELACK_MAX (HZ/5) and the cap of tcp_send_delayed_ack's slow path (HZ/2). */
const DELACK_MAX_MS = 200;
const ATO_SLOW_MAX_MS = 500;
/** One tick of Linux's timer wheel at HZ = 1000. */
const JIFFY_MS = 1;
/** Linux TCP_MSS_DEFAULT and TCP_MIN_MSS, for tcp_measure_rcv_mss; a TCP header without options. */
const MSS_DEFAULT = 536;
const MIN_MSS = 88;
const TCP_HDR = 20;

/** TCP_ATO_MIN = TCP_DELACK_MIN (HZ/25 = 40 ms): tcp.config.delackMs. */
function atoMin(s: TcpSocket): number { return s.tcp.config.delackMs; }

/** Linux inet_csk_in_pingpong_mode (TCP_PINGPONG_THRESH = 1). */
export function inPingpong(s: TcpSocket): boolean { return s.pingpong >= 1; }

/** Linux tcp_in_quickack_mode. */
function inQuickack(s: TcpSocket): boolean { return s.quickAcks > 0 && !inPingpong(s); }

/** Linux tcp_incr_quickack: up to half the receive window in full segments of quick ACKs (at least 2). */
export function incrQuickack(s: TcpSocket, max: number): void {
  const wnd = seqSub(s.rcvAdvEdge, s.rcvWup);
  let q = Math.floor((wnd > 0 ? wnd : 0) / (2 * s.rcvMss));
  if (q === 0) q = 2;
  if (q > max) q = max;
  if (q > s.quickAcks) s.quickAcks = q;
}

/** Linux tcp_enter_quickack_mode: quick ACKs, out of ping-pong, the timeout back to its minimum. */
export function enterQuickack(s: TcpSocket, max = MAX_QUICKACKS): void {
  incrQuickack(s, max);
  s.pingpong = 0;
  s.ato = atoMin(s);
}

/**
 * Linux tcp_measure_rcv_mss: the size of the peer's full segments, from what arrives; a shorter
 * segment marks the ACK "pushed" (ICSK_ACK_PUSHED, twice: PUSHED2) so that a read emptying the
 * buffer acknowledges it at once. `len` is the payload, `hdrLen` the TCP header with options,
 * `psh` whether it carried PSH (or FIN/URG/RST/SYN: Linux's TCP_REMNANT).
 */
function measureRcvMss(s: TcpSocket, len: number, hdrLen: number, remnant: boolean): void {
  const lss = s.lastSegSize;
  s.lastSegSize = 0;
  if (len >= s.rcvMss) {
    s.rcvMss = Math.min(len, s.advMss);
    return;
  }
  const withHdr = len + hdrLen;
  if (withHdr >= MSS_DEFAULT + TCP_HDR || (withHdr >= MIN_MSS + TCP_HDR && !remnant)) {
    // The segment less the invariant header (with timestamps): a size free of SACK jitter.
    const l = withHdr - (TCP_HDR + (s.tsOk ? 12 : 0));
    s.lastSegSize = l;
    if (l === lss) { s.rcvMss = l; return; }
  }
  if ((s.ackPending & ACK_PUSHED) !== 0) s.ackPending |= ACK_PUSHED2;
  s.ackPending |= ACK_PUSHED;
}

/**
 * Linux tcp_event_data_recv: in-order data arrived. The first data starts quick-ACK mode and the
 * timeout at 40 ms; later the timeout follows half the gap between arrivals (a gap longer than
 * the RTO: quick ACKs again).
 */
export function eventDataRecv(s: TcpSocket, len: number, hdrLen: number, remnant: boolean, now: number): void {
  s.ackPending |= ACK_SCHED;
  measureRcvMss(s, len, hdrLen, remnant);
  const min = atoMin(s);
  if (s.ato === 0) {
    incrQuickack(s, MAX_QUICKACKS);
    s.ato = min;
  } else {
    const m = now - s.lrcvtime;
    if (m <= min / 2) {
      s.ato = s.ato / 2 + min / 2;
    } else if (m < s.ato) {
      s.ato = s.ato / 2 + m;
      if (s.ato > s.rto) s.ato = s.rto;
    } else if (m > s.rto) {
      incrQuickack(s, MAX_QUICKACKS);
    }
  }
  s.lrcvtime = now;
}

/**
 * Linux __tcp_ack_snd_check: after data (or a FIN) was taken, ACK now (more than a full segment
 * unacknowledged and the window not shrinking, quick-ACK mode, or a state that demands it) or
 * arm the delayed ACK. Out-of-order data is acknowledged at once (RFC 5681 §4.2).
 */
export function ackSndCheck(s: TcpSocket): void {
  if (s.ackNow) return;
  if ((seqSub(s.rcvNxt, s.rcvWup) > s.rcvMss && selectWindowPeek(s) >= seqSub(s.rcvAdvEdge, s.rcvWup)) ||
      inQuickack(s) || (s.ackPending & ACK_NOW) !== 0 || s.ooo.count > 0) {
    s.ackNow = true;
    return;
  }
  sendDelayedAck(s);
}

/**
 * Linux tcp_send_delayed_ack: the delayed ACK fires `ato` from now; a slowly arriving stream
 * (ato above 40 ms) waits at most the RTT, and 200 ms in ping-pong mode or after a short segment
 * (500 ms otherwise). An ACK already due within a quarter of that goes now.
 */
export function sendDelayedAck(s: TcpSocket): void {
  const now = s.tcp.sched.now();
  let ato = s.ato;
  const min = atoMin(s);
  if (ato > min) {
    let maxAto = inPingpong(s) || (s.ackPending & ACK_PUSHED) !== 0 ? DELACK_MAX_MS : ATO_SLOW_MAX_MS;
    if (s.srtt > 0) {
      const rtt = Math.max(s.srtt, min);
      if (rtt < maxAto) maxAto = rtt;
    }
    if (ato > maxAto) ato = maxAto;
  }
  if (ato > DELACK_MAX_MS) ato = DELACK_MAX_MS; // icsk_delack_max
  // A timer set for the current jiffy fires at the next tick (HZ = 1000): never sooner than 1 ms.
  let timeout = now + (ato >= JIFFY_MS ? ato : JIFFY_MS);
  if ((s.ackPending & ACK_TIMER) !== 0 && s._delackTimer?.armed === true) {
    const due = s._delackTimer.deadline;
    if (due <= now + ato / 4) { s.ackNow = true; transmit(s); return; }
    if (timeout >= due) timeout = due;
  }
  s.ackPending |= ACK_SCHED | ACK_TIMER;
  s.delackTimer.at(timeout);
}

/** Linux tcp_delack_timer_handler: the delayed ACK is due; it inflates the timeout, or ends ping-pong mode. */
export function delackTimerFired(s: TcpSocket): void {
  if ((s.ackPending & ACK_TIMER) === 0) return;
  s.ackPending &= ~ACK_TIMER;
  if ((s.ackPending & ACK_SCHED) === 0) return;
  if (!inPingpong(s)) {
    s.ato = Math.min(s.ato * 2, s.rto);
  } else {
    s.pingpong = 0;
    s.ato = atoMin(s);
  }
  s.tcp.stats.DelayedACKs++;
  s.ackNow = true;
  transmit(s);
}

/** Linux tcp_event_ack_sent: an ACK left (alone or on data): one quick ACK used, nothing pending. */
export function eventAckSent(s: TcpSocket): void {
  if (s.quickAcks > 0 && (s.ackPending & ACK_SCHED) !== 0) {
    s.quickAcks--;
    if (s.quickAcks === 0) s.ato = atoMin(s); // leaving quick-ACK mode deflates the timeout
  }
  s.ackPending = 0;
  s.ackNow = false;
  s._delackTimer?.clear();
}

/** Linux tcp_event_data_sent: data sent within `ato` of the last arrival is a reply: ping-pong. */
export function eventDataSent(s: TcpSocket, now: number): void {
  if (now - s.lrcvtime < s.ato && s.pingpong < 255) s.pingpong++;
}

/**
 * Linux __tcp_cleanup_rbuf: the application read `copied` bytes. ACK now when a full segment is
 * still unacknowledged, or when the read emptied the buffer that held a short segment (outside
 * ping-pong mode, or after two), or when the window it can announce now is at least twice the
 * one announced (while the window is at most half its largest; never after the peer's FIN).
 */
export function cleanupRbuf(s: TcpSocket, copied: number): void {
  let now = false;
  if ((s.ackPending & ACK_SCHED) !== 0) {
    if (seqSub(s.rcvNxt, s.rcvWup) > s.rcvMss ||
        (copied > 0 && ((s.ackPending & ACK_PUSHED2) !== 0 || ((s.ackPending & ACK_PUSHED) !== 0 && !inPingpong(s))) &&
         s.recvQ.bytes === 0)) now = true;
  }
  if (copied > 0 && !now && !s.rcvShutdown) {
    const cur = seqSub(s.rcvAdvEdge, s.rcvNxt);
    const rcvWindowNow = cur > 0 ? cur : 0;
    if (2 * rcvWindowNow <= windowClamp(s)) {
      const w = selectWindowPeek(s);
      if (w > 0 && w >= 2 * rcvWindowNow) now = true;
    }
  }
  if (now) { s.ackNow = true; transmit(s); }
}

/** Linux tp->window_clamp: the largest window this connection may announce. */
function windowClamp(s: TcpSocket): number {
  const max = 65535 * 2 ** s.rcvWscale;
  const b = s.rcvBudget;
  return b < max ? b : max;
}

/**
 * TCP_QUICKACK (Linux __tcp_sock_set_quickack): 0 enters ping-pong mode (ACKs delayed); 1 leaves
 * it and, with an ACK pending, acknowledges now (odd values stay out of ping-pong afterwards).
 */
export function setQuickack(s: TcpSocket, v: number): void {
  if (v === 0) { s.pingpong = 1; return; }
  s.pingpong = 0;
  const st = s.state;
  if ((st === ESTABLISHED || st === CLOSE_WAIT) && (s.ackPending & ACK_SCHED) !== 0) {
    s.ackPending |= ACK_PUSHED;
    cleanupRbuf(s, 1);
    if ((v & 1) === 0) s.pingpong = 1;
  }
}
