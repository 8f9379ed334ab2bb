// Timer handlers (Linux tcp_timer.c): retransmission (RFC 6298 §5) including SYN and SYN-ACK
// retries, persist / zero-window probes (RFC 9293 §3.8.6.1), delayed ACK (RFC 9293 §3.8.6.3),
// keep-alive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6), user timeout (RFC 5482, TCP_USER_TIMEOUT),
// TIME-WAIT and the FIN-WAIT-2 timeout of orphans. Each connection has one LazyTimer per kind;
// the retransmission slot also runs the tail loss probe and the RACK reordering timer (RFC 8985).
import { ETIMEDOUT } from '../../uapi/errno.js';
import { RTX_PROBE, RTX_REO, type RtxKind } from './lazy-timer.js';
import { abortWithError, done, notify, synackRetriesFor } from './lifecycle.js';
import { armPersist, currentMss, retransmitSkb, sendActiveReset, sendProbe, sendSyn, transmit } from './output.js';
import { rackDetectLoss } from './rack.js';
import { delackTimerFired } from './delack.js';
import { ackResponse, cwndReduction, enterLoss, enterRecovery } from './recovery.js';
import { currentRto, modelTimeout } from './rto.js';
import { CA_RECOVERY } from './tcb.js';
import { onProbeTimer } from './tlp.js';
import {
  CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, LISTEN, SYN_RECEIVED, SYN_SENT, TIME_WAIT,
} from './state.js';
import type { TcpSocket } from './socket.js';

/** Linux: tcp_orphan_retries = 0 means 8. */
function orphanRetries(s: TcpSocket): number {
  const r = s.tcp.config.orphanRetries;
  return r > 0 ? r : 8;
}

/** The connection failed to get its data through (Linux tcp_write_err): ETIMEDOUT or the soft error. */
function writeTimeout(s: TcpSocket): void {
  s.tcp.stats.TCPAbortOnTimeout++;
  abortWithError(s, s.softErr !== 0 ? s.softErr : ETIMEDOUT);
}

/**
 * Linux retransmits_timed_out: the oldest unacknowledged data has been outstanding longer than
 * TCP_USER_TIMEOUT, or than `retries` exponentially backed-off RTOs would take (RFC 9293
 * §3.8.3's R2, time-based as in Linux).
 */
function writeTimedOut(s: TcpSocket, now: number): boolean {
  if (s.retransmits === 0) return false;
  const c = s.tcp.config;
  const head = s.sendQ.first();
  const start = s.retransStamp !== 0 ? s.retransStamp : head !== undefined && head.firstSentAt >= 0 ? head.firstSentAt : now;
  if (s.userTimeout > 0) return now - start >= s.userTimeout;
  const retries = s.orphan ? orphanRetries(s) : c.retries2;
  return now - start >= modelTimeout(retries, c.rtoMinMs, c.rtoMaxMs);
}

/** Linux TCP_RESOURCE_PROBE_INTERVAL: how soon a send the local qdisc dropped is tried again (ms). */
const RESOURCE_PROBE_INTERVAL_MS = 500;
/** Linux TCP_TIMEOUT_MIN (2 jiffies at HZ=1000). */
const TIMEOUT_MIN_MS = 2;

/** Linux tcp_clamp_rto_to_user_timeout: never sleep past TCP_USER_TIMEOUT. */
function clampToUserTimeout(s: TcpSocket, rto: number, now: number): number {
  if (s.userTimeout === 0 || s.retransStamp === 0) return rto;
  const left = s.userTimeout - (now - s.retransStamp);
  if (left <= 0) return 1;
  return left < rto ? left : rto;
}

/** The retransmission timer slot fired: the RTO, the loss probe timeout or the reordering timer. */
export function onRetransmitTimer(s: TcpSocket, kind: RtxKind): void {
  if (kind === RTX_PROBE) { onProbeTimer(s); return; }
  if (kind === RTX_REO) { onReoTimer(s); return; }
  onRto(s);
}

/**
 * RFC 8985 §6.2 step 5: the reordering timer fired: segments now overdue are deemed lost and
 * recovery starts (Linux tcp_rack_reo_timeout).
 */
function onReoTimer(s: TcpSocket): void {
  const st = s.state;
  const d = s.rack.deferred;
  if (st !== ESTABLISHED && st !== CLOSE_WAIT && st !== FIN_WAIT_1 && st !== CLOSING && st !== LAST_ACK) { d.on = false; return; }
  const now = s.tcp.sched.now();
  const lost0 = s.lostSegs;
  s.rexmitHold = false; // Linux tcp_rack_reo_timeout retransmits what it deemed lost
  const marked = s.sndUna !== s.sndNxt ? rackDetectLoss(s, now) : 0;
  if (d.on) {
    // The ACKs that armed this timer for now get their response, with the losses they revealed.
    d.on = false;
    ackResponse(s, d.acked, d.delivered, d.dup, d.priorUna, now, s.lostSegs - lost0);
  } else if (marked > 0 && s.caState < CA_RECOVERY) {
    enterRecovery(s, now);
    // Linux tcp_rack_reo_timeout: one segment's worth of reduction (RFC 6937) opens recovery.
    if (s.sackOk) cwndReduction(s, s.mss, s.lostSegs - lost0, false);
  }
  // New data waited for this decision (output.ts sendNew): it goes now, lost segments first.
  transmit(s);
}

function onRto(s: TcpSocket): void {
  const tcp = s.tcp;
  const c = tcp.config;
  const now = tcp.sched.now();
  const st = s.state;
  if (s.fastopenRsk) { fastopenSynackTimer(s, now); return; }
  if (st === SYN_SENT || st === SYN_RECEIVED) {
    // RFC 6298 §5 for the SYN / SYN-ACK; Linux tcp_syn_retries / tcp_synack_retries.
    const p = s.parent;
    const limit = st === SYN_RECEIVED && s.passive
      ? (p !== null && p.synQueue.has(s) ? synackRetriesFor(p, c.synackRetries) : c.synackRetries)
      : s.synCount > 0 ? s.synCount : c.synRetries;
    const userDone = s.userTimeout > 0 && now - s.synSentAt0 >= s.userTimeout;
    if (s.retransmits >= limit || userDone) {
      if (s.passive) done(s); // a half-open passive connection just goes away
      else writeTimeout(s);
      return;
    }
    if (s.retransmits++ === 0 && p !== null && p.synQueue.has(s)) p.synYoung--;
    s.backoff++;
    s.synLost = true;
    // The data of a Fast Open SYN was sent with the first SYN only: no RTT sample from it (RFC 6298 §3).
    for (let i = s.sendQ.head; i < s.sendQ.sendIdx; i++) s.sendQ.skbs[i]!.everRetrans = true;
    tcp.stats.RetransSegs++;
    s.totalRetrans++;
    sendSyn(s, st === SYN_RECEIVED);
    s.rtxTimer.after(currentRto(s));
    return;
  }
  if (st !== ESTABLISHED && st !== CLOSE_WAIT && st !== FIN_WAIT_1 && st !== CLOSING && st !== LAST_ACK) return;
  const head = s.sendQ.first();
  if (s.sndUna === s.sndNxt || head === undefined) return;
  if (s.sndWnd === 0 && !s.orphan) {
    // Linux: with a closed window retransmissions act as probes; time out only if the peer fell silent.
    if (now - s.rcvTstamp > c.rtoMaxMs) { writeTimeout(s); return; }
  } else if (writeTimedOut(s, now)) {
    writeTimeout(s);
    return;
  }
  tcp.stats.TCPTimeouts++;
  s.rexmitHold = false;
  s.rtxTimer.cancel(RTX_PROBE);
  s.rtxTimer.cancel(RTX_REO);
  s.rack.deferred.on = false;
  enterLoss(s, now);
  // RFC 6298 §5.4: retransmit the earliest unacknowledged segment.
  if (head.len > currentMss(s)) s.sendQ.split(s.sendQ.head, currentMss(s));
  if (!retransmitSkb(s, head)) {
    // Linux tcp_retransmit_timer: the local qdisc dropped it: again in TCP_RESOURCE_PROBE_INTERVAL, no backoff.
    s.rtxTimer.after(RESOURCE_PROBE_INTERVAL_MS);
    return;
  }
  s.rtxHint = head.end;
  // RFC 6298 §5.5-5.6: back off and restart the timer.
  s.backoff++;
  s.retransmits++;
  s.rtxTimer.after(clampToUserTimeout(s, currentRto(s), now));
}

/**
 * Linux tcp_fastopen_synack_timer: a Fast Open child retransmits only its SYN-ACK until that is
 * acknowledged (one try more than tcp_synack_retries), then fails like a connection that timed out.
 */
function fastopenSynackTimer(s: TcpSocket, now: number): void {
  const c = s.tcp.config;
  const max = s.synCount > 0 ? s.synCount : c.synackRetries + 1;
  if (s.retransmits >= max) { writeTimeout(s); return; }
  if (s.retransmits === 1) enterLoss(s, now);
  s.retransmits++;
  s.backoff++;
  s.synLost = true;
  s.tcp.stats.RetransSegs++;
  s.totalRetrans++;
  if (s.retransStamp === 0) s.retransStamp = now;
  sendSyn(s, true);
  s.rtxTimer.after(Math.min(c.rtoInitialMs * 2 ** s.retransmits, c.rtoMaxMs));
}

/** Persist timer: zero-window probes, or the SWS override timeout (RFC 9293 §3.8.6.1, §3.8.6.2.1). */
export function onPersistTimer(s: TcpSocket): void {
  const st = s.state;
  if (st !== ESTABLISHED && st !== CLOSE_WAIT && st !== FIN_WAIT_1 && st !== CLOSING && st !== LAST_ACK) return;
  const out = (s.sndNxt - s.sndUna) | 0;
  if (s.sndWnd > 0) {
    // Linux tcp_write_wakeup: what the probe timer sends (corked data, say) is pushed.
    const u = s.sendQ.unsent();
    if (u !== undefined) u.psh = true;
    const now = s.tcp.sched.now();
    // Linux tcp_probe_timer with nothing in flight: probes the local qdisc keeps dropping count
    // against TCP_USER_TIMEOUT (from the first probe) and tcp_retries2.
    if (out === 0 && u !== undefined) {
      if (s.userTimeout > 0 && s.probeStart > 0 && now - s.probeStart >= s.userTimeout) { writeTimeout(s); return; }
      if (s.probesOut >= (s.orphan ? orphanRetries(s) : s.tcp.config.retries2)) { writeTimeout(s); return; }
      if (s.probeStart === 0) s.probeStart = now;
    }
    transmit(s, true);
    if (out === 0 && u !== undefined && s.sndNxt === s.sndUna && s.sendQ.unsent() !== undefined) {
      // tcp_send_probe0: not sent (local congestion): again in TCP_RESOURCE_PROBE_INTERVAL, no
      // backoff, within what the user timeout leaves (tcp_clamp_probe0_to_user_timeout).
      s.probesOut++;
      let t = RESOURCE_PROBE_INTERVAL_MS;
      if (s.userTimeout > 0) t = Math.min(t, Math.max(s.userTimeout - (now - s.probeStart), TIMEOUT_MIN_MS));
      s._persistTimer?.stop();
      s.persistTimer.after(t);
    } else if (s.sndNxt !== s.sndUna) {
      s.probesOut = 0;
      s.probeStart = 0;
    }
    return;
  }
  // Linux tcp_probe_timer: data in flight (the RTO watches it) or nothing to send: no probing.
  if (out !== 0 || s.sendQ.unsent() === undefined) { s.probesOut = 0; s.probeStart = 0; return; }
  const now = s.tcp.sched.now();
  // Linux tcp_probe_timer: give up after tcp_retries2 unanswered probes, or TCP_USER_TIMEOUT.
  if (s.userTimeout > 0 && s.probeStart > 0 && now - s.probeStart >= s.userTimeout) { writeTimeout(s); return; }
  const max = s.orphan ? orphanRetries(s) : s.tcp.config.retries2;
  if (s.probesOut >= max) { writeTimeout(s); return; }
  if (s.probeStart === 0) s.probeStart = now;
  sendProbe(s); // Linux tcp_send_probe0 -> tcp_write_wakeup -> tcp_xmit_probe_skb
  s.tcp.stats.TCPWinProbe++;
  s.probesOut++;
  if (s.backoff < max) s.backoff++;
  armPersist(s);
}

/** RFC 9293 §3.8.6.3: the delayed ACK is due (Linux tcp_delack_timer_handler, in delack.ts). */
export function onDelackTimer(s: TcpSocket): void {
  const st = s.state;
  if (st === CLOSED || st === LISTEN || st === SYN_SENT) return;
  delackTimerFired(s);
}

/** Keep-alive (RFC 9293 §3.8.4; Linux tcp_keepalive_timer with TCP_KEEPIDLE/INTVL/CNT and TCP_USER_TIMEOUT). */
export function onKeepaliveTimer(s: TcpSocket): void {
  const st = s.state;
  if (!s.keepalive || st === CLOSED || st === LISTEN || st === SYN_SENT || st === SYN_RECEIVED || st === TIME_WAIT) return;
  const now = s.tcp.sched.now();
  // Data in flight or waiting: the retransmission and persist timers watch the peer.
  if (s.sndNxt !== s.sndUna || s.sendQ.unsentBytes > 0) {
    s.keepaliveTimer.after(s.keepIdle);
    return;
  }
  const idle = now - Math.max(s.rcvTstamp, s.lastDataRecv);
  if (idle >= s.keepIdle) {
    if ((s.userTimeout > 0 && idle >= s.userTimeout && s.probesOut > 0) || (s.userTimeout === 0 && s.probesOut >= s.keepCnt)) {
      // Linux: the peer is gone; tell it (RST) and fail the connection.
      sendActiveReset(s);
      s.tcp.stats.TCPKeepAliveTimeout++;
      writeTimeout(s);
      return;
    }
    sendProbe(s);
    s.tcp.stats.TCPKeepAlive++;
    s.probesOut++;
    s.keepaliveTimer.after(s.keepIntvl);
    return;
  }
  s.keepaliveTimer.after(s.keepIdle - idle);
}

/** TIME-WAIT is over (RFC 9293 §3.10.7.4: "delete the TCB"), or an orphan's FIN-WAIT-2 timed out. */
export function onCloseTimer(s: TcpSocket): void {
  if (s.state === TIME_WAIT || (s.state === FIN_WAIT_2 && s.orphan)) {
    done(s);
    notify(s);
  }
}
