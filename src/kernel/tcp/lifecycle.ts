// State changes with side effects (Linux tcp_set_state, tcp_done, tcp_time_wait, tcp_reset,
// tcp_finish_connect): counters, timers, queues, the demultiplexer and the port binding.
import { ECONNREFUSED, ECONNRESET, EPIPE } from '../../uapi/errno.js';
import { initialWindow } from './output.js';
import { fastopenChildDone } from './fastopen.js';
import { zerocopyPurge } from './zerocopy.js';
import { tstampPurge } from './timestamping.js';
import { CLOSE_WAIT, CLOSED, ESTABLISHED, SYN_RECEIVED, SYN_SENT, TIME_WAIT, type TcpState } from './state.js';
import { CA_OPEN } from './tcb.js';
import type { TcpSocket } from './socket.js';


export function setState(s: TcpSocket, st: TcpState): void {
  const old = s.state;
  if (old === st) return;
  const stats = s.tcp.stats;
  // Linux tcp_set_state's MIB accounting.
  if (st === ESTABLISHED) stats.CurrEstab++;
  else if (old === ESTABLISHED) stats.CurrEstab--;
  if (st === CLOSED && (old === ESTABLISHED || old === CLOSE_WAIT)) stats.EstabResets++;
  if (st === TIME_WAIT) s.tcp.twCount++;
  else if (old === TIME_WAIT) s.tcp.twCount--;
  s.state = st;
}

/**
 * Tells the application that readiness may have changed. Changes caused by a call on the socket
 * itself reach it from a Scheduler event, never inside that call (as for unix sockets); changes
 * from arriving segments and timers are told at once.
 */
export function notify(s: TcpSocket): void {
  if (s.orphan || s.onReady === null) return;
  if (s.inCall > 0) {
    if (s.notifyPending) return;
    s.notifyPending = true;
    s.tcp.sched.after(0, () => {
      s.notifyPending = false;
      if (!s.orphan && s.onReady !== null) s.onReady(s.readiness());
    });
    return;
  }
  s.onReady(s.readiness());
}

/**
 * Linux tcp_check_space, after an ACK freed room or new data went out (tcp_event_new_data_sent):
 * for a writer that found the buffer full, the send buffer grows with the congestion window
 * unless that is full (tcp_should_expand_sndbuf), and the writer wakes once the socket is
 * writable again (sk_stream_write_space).
 */
export function writeSpace(s: TcpSocket): void {
  if (!s.noSpace) return;
  if (s.inFlight < s.cwnd) s.tcp.expandSndbuf(s);
  if (s.writable()) {
    s.noSpace = false;
    notify(s);
  }
}

/** The handshake completed (RFC 9293 §3.5; Linux tcp_finish_connect / tcp_init_transfer). */
export function established(s: TcpSocket): void {
  setState(s, ESTABLISHED);
  s._rtxTimer?.stop();
  s.backoff = 0;
  s.retransmits = 0;
  s.retransStamp = 0;
  initTransfer(s);
  notify(s);
}

/**
 * Linux tcp_init_transfer: windows, buffers and ACK state for sending and receiving data — at
 * the end of the handshake, or at once for a Fast Open child (RFC 7413 §4.2.2).
 */
export function initTransfer(s: TcpSocket): void {
  const now = s.tcp.sched.now();
  // RFC 5681 §3.1: ssthresh starts arbitrarily high; RFC 6928 §2: the initial window, one
  // segment when the SYN or SYN-ACK had to be retransmitted.
  s.ssthresh = Infinity;
  s.cwnd = s.synLost ? s.mss : initialWindow(s);
  s.caState = CA_OPEN;
  s.recoveryPoint = s.sndUna;
  s.rtxHint = s.sndUna;
  s.rack.fack = s.sndUna; // RFC 8985 §6.2 step 3: nothing delivered yet
  s.cwndLimitedSeq = s.sndUna;
  s.sndSml = s.sndUna;
  // Linux tcp_finish_connect / tcp_create_openreq_child: the handshake counts as the last
  // arrival, so data sent right after it (a waiting writer's) is a reply: ping-pong (delack.ts).
  s.lrcvtime = now;
  s.pushedSeq = s.sndNxt;
  s.rcvWup = s.rcvNxt;
  // Linux tcp_init_buffer_space: the receive-space estimate starts at ten segments.
  s.rcvSpace = Math.min(s.rcvBudget, 10 * s.advMss);
  s.rcvSpaceTime = now;
  s.rcvCopied = 0;
  s.rcvMss = Math.min(s.advMss, s.mss, 536);
  s.lastAckRecv = now;
  s.rcvTstamp = now;
  s.tcp.expandSndbuf(s);
  if (s.keepalive) s.keepaliveTimer.after(s.keepIdle);
}

/**
 * The connection is gone (Linux tcp_done): CLOSED, timers stopped, out of the demultiplexer,
 * port released unless bind() chose it and the application still holds the socket. Data already
 * received stays readable.
 */
export function done(s: TcpSocket): void {
  const stats = s.tcp.stats;
  if (s.state === SYN_SENT || s.state === SYN_RECEIVED) stats.AttemptFails++;
  fastopenChildDone(s);
  s.deferConnect = false;
  setState(s, CLOSED);
  stopTimers(s);
  s.tcp.unhash(s);
  if (s.parent !== null) synDequeue(s.parent, s);
  s.rcvShutdown = true;
  s.sndShutdown = true;
  s.sendQ.clear();
  if (s.zcPending.length > 0) zerocopyPurge(s);
  if (s.tsMarks !== null) tstampPurge(s);
  s.ooo.clear();
  s.sackedBytes = s.lostBytes = s.retransBytes = 0;
  if (s.orphan) {
    s.recvQ.clear();
    s.tcp.releasePort(s);
  } else if (!s.portLocked) {
    s.tcp.releasePort(s);
  }
  notify(s);
}

/** Takes a request out of its listener's SYN queue. */
export function synDequeue(l: TcpSocket, s: TcpSocket): void {
  if (l.synQueue.delete(s) && s.retransmits === 0) l.synYoung--;
}

/**
 * Linux reqsk_timer_handler: tcp_synack_retries, fewer (down to 2) while the SYN queue is more
 * than half full and few of its requests are young (a flood of SYNs nobody completes): every
 * halving of the young share takes one retry off.
 */
export function synackRetriesFor(l: TcpSocket, max: number): number {
  const qlen = l.synQueue.size;
  if (qlen * 2 > Math.max(8, l.backlog)) {
    let young = l.synYoung * 2;
    while (max > 2) {
      if (qlen < young) break;
      max--;
      young *= 2;
    }
  }
  return max;
}

export function stopTimers(s: TcpSocket): void {
  // Only the timers that were ever made (see Tcb's timer getters).
  s._rtxTimer?.stop();
  s._persistTimer?.stop();
  s._delackTimer?.stop();
  s._keepaliveTimer?.stop();
  s._closeTimer?.stop();
}

/** RFC 9293 §3.10.7.4: TIME-WAIT for 2*MSL (tcp.config.timeWaitMs), then CLOSED. */
export function enterTimeWait(s: TcpSocket): void {
  const tcp = s.tcp;
  if (tcp.twCount >= tcp.config.maxTwBuckets) {
    // Linux tcp_time_wait: no TIME-WAIT bucket left; the connection is closed at once.
    tcp.stats.TCPTimeWaitOverflow++;
    done(s);
    return;
  }
  setState(s, TIME_WAIT);
  s._rtxTimer?.stop();
  s._persistTimer?.stop();
  s._delackTimer?.clear();
  s._keepaliveTimer?.stop();
  s.sendQ.clear();
  s.ooo.clear();
  s.sackedBytes = s.lostBytes = s.retransBytes = 0;
  s.rcvShutdown = true;
  s.sndShutdown = true;
  s.closeTimer.after(s.tcp.config.timeWaitMs);
  notify(s);
}

/** A valid RST arrived (RFC 9293 §3.10.7.4 second; Linux tcp_reset's errors). */
export function resetArrived(s: TcpSocket): void {
  let err: number;
  switch (s.state) {
    case SYN_SENT: err = ECONNREFUSED; break;
    case CLOSE_WAIT: err = EPIPE; break;
    case CLOSED: return;
    case SYN_RECEIVED:
      // A Fast Open child is a full socket (in the accept queue or accepted): reset as connected ones.
      if (s.fastopenRsk) { err = ECONNRESET; break; }
      if (s.passive) {
        // RFC 9293 §3.10.7.4: a passive open returns to LISTEN: the half-open connection just goes.
        done(s);
        return;
      }
      err = ECONNREFUSED;
      break;
    case TIME_WAIT: done(s); return;
    default: err = ECONNRESET;
  }
  if (!s.orphan) s.err = err;
  done(s);
}

/** The connection timed out or failed for good (Linux tcp_write_err). */
export function abortWithError(s: TcpSocket, err: number): void {
  if (!s.orphan) s.err = err;
  done(s);
}
