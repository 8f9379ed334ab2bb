// Loss recovery and congestion-window management on ACKs (Linux tcp_fastretrans_alert and
// tcp_cong_control): fast retransmit / fast recovery per RFC 5681 §3.2 with NewReno's partial
// ACK handling (RFC 6582) when SACK is off, SACK-based recovery (RFC 6675) when it is on, with
// losses found by RACK (RFC 8985, rack.ts) or by RFC 6675's IsLost(), and the loss state after a
// retransmission timeout (RFC 5681 §3.1, RFC 6675 §5.1, RFC 8985 §6.3).
import { currentMss, retransmitSkb, units } from './output.js';
import { rackEnabled, rackMarkLossesOnRto, rackOnAckDetect, rackPersist, rackRecoveryEnded } from './rack.js';
import { markLost, markLostBySack } from './sack.js';
import { seqGe, seqGt, seqLe } from './seq.js';
import { CA_CWR, CA_DISORDER, CA_LOSS, CA_OPEN, CA_RECOVERY } from './tcb.js';
import { tlpReset } from './tlp.js';
import { RTX_REO } from './lazy-timer.js';
import type { TcpSocket } from './socket.js';

/** RFC 7661 §4 / Linux tcp_is_cwnd_limited: only a window in use may grow. */
function cwndLimited(s: TcpSocket, priorUna: number): boolean {
  if (s.cwnd < s.ssthresh) return s.cwnd < 2 * s.maxFlight;
  return seqLe(priorUna, s.cwndLimitedSeq);
}

/**
 * After an ACK was processed: `acked` bytes newly acknowledged cumulatively, `delivered` bytes
 * acknowledged for the first time (cumulatively or selectively: Linux tcp_ack's delivered),
 * `dup` whether it counts as a duplicate ACK (RFC 5681 §2, RFC 6675 §2), `sackNew` whether it
 * SACKed new data. The window grows by `delivered`, only on ACKs that advance SND.UNA (Linux
 * tcp_may_raise_cwnd: FLAG_DATA_ACKED).
 */
export function ackRecovery(s: TcpSocket, acked: number, delivered: number, dup: boolean, sackNew: boolean, priorUna: number, now: number): void {
  const rack = rackEnabled(s);
  const lost0 = s.lostSegs;
  // Linux tcp_identify_packet_loss: RACK (RFC 8985 §6.2 step 5) when it is on, else RFC 6675 IsLost().
  if (rack) {
    if (s.rack.advanced) rackOnAckDetect(s, now);
    const d = s.rack.deferred;
    const t = s.rtxTimer;
    const due = t.earlyKind === RTX_REO && t.earlyAt <= now;
    if (!due) d.on = false; // the timer gave way (to an RTO, or nothing is outstanding)
    else {
      // RACK deems segments lost once the packets that arrived with this ACK are in (the
      // reordering timer, due now): this ACK's response waits for that decision (onReoTimer).
      if (!d.on) { d.on = true; d.priorUna = priorUna; d.acked = 0; d.delivered = 0; d.dup = false; d.sackNew = false; }
      d.acked += acked;
      d.delivered += delivered;
      d.dup ||= dup;
      d.sackNew ||= sackNew;
      return;
    }
  } else if (s.sackOk && sackNew) markLostBySack(s);
  ackResponse(s, acked, delivered, dup, priorUna, now, s.lostSegs - lost0);
}

/**
 * The congestion response to an ACK once its losses are known (Linux tcp_fastretrans_alert and
 * tcp_cong_control); `newlyLost` segments were deemed lost on its account.
 */
export function ackResponse(s: TcpSocket, acked: number, delivered: number, dup: boolean, priorUna: number, now: number, newlyLost: number): void {
  const rack = rackEnabled(s);
  if (s.caState === CA_OPEN) s.rtxFirstAt = -1; // Linux tcp_fastretrans_alert: retrans_stamp forgotten once open
  switch (s.caState) {
    case CA_LOSS:
      // Linux tcp_process_loss: an ACK that advances SND.UNA and shows the timeout spurious
      // (RFC 3522 Eifel: it echoes a timestamp from before the retransmission) undoes it.
      if (acked > 0 && tryUndoLoss(s)) {
        if ((s.caState as number) !== CA_OPEN) return;
        break;
      }
      // RFC 6675 §5.1: the loss state ends when RecoveryPoint is acknowledged (Linux tcp_try_undo_recovery).
      if (seqGe(s.sndUna, s.recoveryPoint)) { tryUndoRecovery(s); s.caState = CA_OPEN; s.dupAcks = 0; }
      if (acked > 0 && delivered > 0) s.cc.onAck(s, delivered, now); // RFC 5681 §3.1: slow start from the loss window
      return;
    case CA_RECOVERY:
      if (seqGe(s.sndUna, s.recoveryPoint)) { exitRecovery(s, tryUndoRecovery(s)); return; }
      // Linux tcp_try_undo_partial: the hole was filled by a delayed original, not by a
      // retransmission; while retransmissions are out, new data goes but no more are sent.
      if (acked > 0 && tryUndoPartial(s)) {
        s.rexmitHold = true;
        if (s.sackOk) cwndReduction(s, delivered, newlyLost, true);
        return;
      }
      // Linux tcp_try_undo_dsack: D-SACKs showed every retransmission of this recovery needless.
      if (s.caState === CA_RECOVERY && tryUndoDsack(s)) tryKeepOpen(s);
      if (s.caState !== CA_RECOVERY) {
        // Undone: a loss still evident starts a new recovery (Linux: "reordering then loss").
        if (!(rack ? s.lostBytes > 0 : s.sackOk && s.sendQ.first()?.lost === true)) return;
        startRecovery(s, delivered, newlyLost, acked > 0, now);
        return;
      }
      if (s.sackOk) cwndReduction(s, delivered, newlyLost, acked > 0);
      else {
        if (acked > 0) {
          // RFC 6582 §3.2 step 5: a partial ACK: retransmit the next hole, deflate by the amount acknowledged, add back one SMSS.
          const head = s.sendQ.first();
          if (head !== undefined) {
            // Linux tcp_newreno_mark_lost: the head's first MSS only is deemed lost.
            if (!head.lost && head.len > currentMss(s)) s.sendQ.split(s.sendQ.head, currentMss(s));
            markLost(s, head);
            if (!head.retrans) retransmitSkb(s, head);
          }
          s.cwnd -= acked;
          if (acked >= s.mss) s.cwnd += s.mss;
          if (s.cwnd < s.mss) s.cwnd = s.mss;
        } else if (dup) {
          s.cwnd += s.mss; // RFC 6582 §3.2 step 4 / RFC 5681 §3.2 step 4: inflate
        }
      }
      return;
  }
  {
    // Open, Disorder or CWR (Linux tcp_fastretrans_alert's default case).
    // RFC 3168 §6.1.2 / Linux tcp_end_cwnd_reduction: the reduced window holds until the
    // window of data sent at the echo is acknowledged; it does not grow meanwhile.
    const cwr = s.caState === CA_CWR && !seqGe(s.sndUna, s.recoveryPoint);
    if (s.caState === CA_CWR && !cwr) { s.caState = CA_OPEN; if (s.cwnd > s.ssthresh) s.cwnd = Math.max(s.ssthresh, s.mss); }
    // A late D-SACK can still show the last recovery needless (Linux tcp_try_undo_dsack in Disorder).
    if (s.caState <= CA_DISORDER) tryUndoDsack(s);
    if (!s.sackOk && acked > 0 && s.dupAcks > 0) {
      // Linux tcp_remove_reno_sacks: without SACK each duplicate ACK stood for a segment
      // delivered; the ACK that advances counts the rest, at least one segment.
      const segs = Math.ceil(acked / s.mss) - s.dupAcks;
      delivered = (segs > 1 ? segs : 1) * s.mss;
      if (delivered > acked) delivered = acked;
    }
    if (dup) s.dupAcks++;
    else if (acked > 0) s.dupAcks = 0;
    const thresh = s.tcp.config.reordering;
    const head = s.sendQ.first();
    // With RACK, recovery starts once a segment is deemed lost (Linux tcp_time_to_recover):
    // DupThresh SACKed segments make RACK's reordering window zero (RFC 8985 §6.2 step 4).
    const lost = rack ? s.lostBytes > 0 : s.dupAcks >= thresh || (s.sackOk && head !== undefined && head.lost);
    // RFC 6582 §3.2 step 1: only when the ACK covers more than `recover`.
    if (lost && head !== undefined && seqGe(s.sndUna, s.recoveryPoint)) {
      startRecovery(s, delivered, newlyLost, acked > 0, now);
      return;
    }
    if (cwr) return;
    if (acked > 0 && delivered > 0 && cwndLimited(s, priorUna)) s.cc.onAck(s, delivered, now);
    // Linux tcp_try_to_open.
    if (!anyRetransDone(s)) s.rtxFirstAt = -1;
    s.caState = s.dupAcks > 0 || s.sackedBytes > 0 ? CA_DISORDER : CA_OPEN;
  }
}

/** Enters recovery on an ACK; with SACK that ACK already paces it (Linux tcp_cong_control, RFC 6937). */
function startRecovery(s: TcpSocket, delivered: number, newlyLost: number, advanced: boolean, now: number): void {
  enterRecovery(s, now);
  if (s.sackOk) cwndReduction(s, delivered, newlyLost, advanced);
}

// ---- undo (Linux tcp_try_undo_*: RFC 2883 D-SACKs, RFC 3522 Eifel timestamps) ----------------------

/** Linux tcp_any_retrans_done: a retransmission is out, or the head was ever retransmitted. */
function anyRetransDone(s: TcpSocket): boolean {
  return s.retransBytes > 0 || s.sendQ.first()?.everRetrans === true;
}

/** Linux tcp_current_ssthresh: ssthresh, or 3/4 of cwnd when larger, outside a reduction. */
function currentSsthresh(s: TcpSocket): number {
  if (s.caState === CA_CWR || s.caState === CA_RECOVERY) return s.ssthresh;
  const c = Math.floor(s.cwnd / s.mss);
  return Math.max(s.ssthresh, ((c >> 1) + (c >> 2)) * s.mss);
}

/** Linux tcp_init_undo. */
function initUndo(s: TcpSocket): void {
  s.undoMarker = s.sndUna;
  // Retransmissions still in flight may bring D-SACKs later.
  s.undoRetrans = s.retransBytes > 0 ? Math.max(1, Math.ceil(s.retransBytes / s.mss)) : -1;
}

/** Linux tcp_packet_delayed: this ACK echoes a timestamp sent before the first retransmission (RFC 3522). */
function packetDelayed(s: TcpSocket): boolean {
  if (s.rtxFirstAt < 0 || s.rcvTsecr < 0) return false;
  const stamp = (Math.floor(s.rtxFirstAt) + s.tsOffset) >>> 0;
  return ((s.rcvTsecr - stamp) | 0) < 0;
}

/** Linux tcp_may_undo: every retransmission proved needless by D-SACKs, or the original arrived. */
function mayUndo(s: TcpSocket): boolean {
  return s.undoMarker >= 0 && (s.undoRetrans === 0 || packetDelayed(s));
}

/**
 * Linux tcp_undo_cwnd_reduction: cwnd and ssthresh back to what they were before the reduction
 * (tcp_reno_undo_cwnd, CUBIC's too: the larger of cwnd and prior_cwnd); with `unmarkLoss`,
 * nothing is deemed lost any more.
 */
function undoCwndReduction(s: TcpSocket, unmarkLoss: boolean): void {
  if (unmarkLoss) {
    const q = s.sendQ;
    for (let i = q.head; i < q.sendIdx; i++) q.skbs[i]!.lost = false;
    s.lostBytes = 0;
    s.rtxHint = s.sndUna;
  }
  if (s.priorSsthresh > 0) {
    const prior = s.priorCwnd * s.mss;
    if (prior > s.cwnd) s.cwnd = prior;
    if (s.priorSsthresh > s.ssthresh) s.ssthresh = s.priorSsthresh;
  }
  s.undoMarker = -1;
  s.rack.advanced = true; // Linux: RACK looks at the losses again
}

/**
 * Linux tcp_try_undo_recovery, when recovery or the loss state ends: undone when it proved
 * needless; otherwise it counts towards RACK's reordering window shrinking back (RFC 8985 §6.2
 * step 4, reo_wnd_persist). Returns whether it was undone.
 */
function tryUndoRecovery(s: TcpSocket): boolean {
  if (mayUndo(s)) {
    undoCwndReduction(s, false);
    s.tcp.stats[s.caState === CA_LOSS ? 'TCPLossUndo' : 'TCPFullUndo']++;
    return true;
  }
  rackRecoveryEnded(s);
  return false;
}

/** Linux tcp_try_undo_dsack: D-SACKs covered every retransmission; the reordering window persists longer. */
function tryUndoDsack(s: TcpSocket): boolean {
  if (s.undoMarker >= 0 && s.undoRetrans === 0) {
    rackPersist(s);
    undoCwndReduction(s, false);
    s.tcp.stats.TCPDSACKUndo++;
    return true;
  }
  return false;
}

/** Linux tcp_try_undo_loss (without F-RTO): the retransmission timeout proved spurious. */
function tryUndoLoss(s: TcpSocket): boolean {
  if (!mayUndo(s)) return false;
  undoCwndReduction(s, true);
  s.tcp.stats.TCPLossUndo++;
  s.retransmits = 0;
  if (s.sackOk) s.caState = CA_OPEN;
  return true;
}

/**
 * Linux tcp_try_undo_partial, on an ACK that advances SND.UNA in recovery: when it echoes a
 * timestamp from before the first retransmission, the hole was filled by a delayed original:
 * reordering. With retransmissions still out it returns true (send no more of them); otherwise
 * the reduction is undone and nothing is deemed lost.
 */
function tryUndoPartial(s: TcpSocket): boolean {
  if (s.undoMarker < 0 || !packetDelayed(s)) return false;
  // Linux tcp_check_sack_reordering(..., ts = 1).
  s.rack.reorderingSeen = true;
  s.rack.reordSeen++;
  s.tcp.stats.TCPTSReorder++;
  if (s.retransBytes > 0) return true;
  if (!anyRetransDone(s)) s.rtxFirstAt = -1;
  undoCwndReduction(s, true);
  s.tcp.stats.TCPPartialUndo++;
  tryKeepOpen(s);
  return false;
}

/** Linux tcp_try_keep_open: Disorder while anything is SACKed, lost or retransmitted, else Open. */
function tryKeepOpen(s: TcpSocket): void {
  const st = s.sackedBytes > 0 || s.lostBytes > 0 || anyRetransDone(s) ? CA_DISORDER : CA_OPEN;
  if (s.caState !== st) {
    s.caState = st;
    s.recoveryPoint = s.sndNxt;
  }
}


/** RFC 5681 §3.2 steps 2-3, RFC 6582 §3.2 step 2, RFC 6675 §5 step 4. */
export function enterRecovery(s: TcpSocket, now: number): void {
  const st = s.tcp.stats;
  if (s.sackOk) st.TCPSackRecovery++;
  else st.TCPRenoRecovery++;
  // Linux tcp_enter_recovery: what an undo restores (none after an ECN echo: the reduction stands).
  s.priorSsthresh = s.caState === CA_CWR ? 0 : currentSsthresh(s);
  initUndo(s);
  s.cc.onLoss(s, 'recovery', now);
  initCwndReduction(s);
  s.ssthresh = s.cc.ssthresh(s, (s.sndNxt - s.sndUna) >>> 0);
  s.recoveryPoint = s.sndNxt;
  s.caState = CA_RECOVERY;
  s.rtxHint = s.sndUna;
  tlpReset(s); // RFC 8985 §7.1
  const q = s.sendQ;
  // RACK deemed segments lost already (the first is nearly always the head); otherwise the head is (RFC 6675 §5 (4.3)).
  let i = q.head;
  if (rackEnabled(s)) {
    while (i < q.sendIdx && !(q.skbs[i]!.lost && !q.skbs[i]!.retrans)) i++;
    if (i === q.sendIdx) i = q.head;
  }
  const first = q.skbs[i]!;
  // Without SACK, Linux tcp_newreno_mark_lost: only the head's first MSS is deemed lost (not
  // the rest of a TSO chunk, which a fast retransmit would otherwise resend too).
  if (!s.sackOk && !first.lost && first.len > currentMss(s)) q.split(i, currentMss(s));
  markLost(s, first);
  st.TCPFastRetrans++;
  // With SACK, Proportional Rate Reduction (RFC 6937, Linux tcp_cwnd_reduction) sets the window
  // on each ACK from here, at least one segment at once: the first lost one goes with the
  // retransmissions that follow (transmit()).
  if (s.sackOk) return;
  // RFC 5681 §3.2 step 3: cwnd = ssthresh + 3*SMSS (the segments that left).
  s.cwnd = s.ssthresh + 3 * s.mss;
  // RFC 5681 §3.2 step 2: retransmit the first segment deemed lost at once.
  if (!first.sacked && !first.retrans) {
    if (first.len > currentMss(s)) q.split(i, currentMss(s));
    retransmitSkb(s, first);
  }
}

/** Linux tcp_init_cwnd_reduction: the window a reduction starts from (RFC 6937 RecoverFS). */
export function initCwndReduction(s: TcpSocket): void {
  s.priorCwnd = Math.max(1, Math.round(s.cwnd / s.mss));
  s.prrDelivered = 0;
  s.prrOut = 0;
}

/**
 * RFC 6937 §3 (PRR-SSRB), as Linux tcp_cwnd_reduction counts it in segments: after an ACK that
 * delivered `delivered` bytes, the window lets out what keeps the flight proportional to
 * ssthresh / prior_cwnd while it is above ssthresh, and grows it back towards ssthresh (one
 * segment more per ACK that advanced SND.UNA without new losses) below it; at least one segment
 * goes when none went yet (the fast retransmission).
 */
export function cwndReduction(s: TcpSocket, delivered: number, newlyLost: number, advanced: boolean): void {
  const mss = s.mss;
  const d = Math.ceil(delivered / mss);
  if (d <= 0 || s.priorCwnd === 0) return;
  const ss = Math.max(Math.floor(s.ssthresh / mss), 2);
  const flight = s.inFlight;
  const inflight = flight > 0 ? Math.ceil(flight / mss) : 0;
  s.prrDelivered += d;
  const delta = ss - inflight;
  let sndcnt: number;
  if (delta < 0) {
    sndcnt = Math.ceil((ss * s.prrDelivered) / s.priorCwnd) - s.prrOut;
  } else {
    sndcnt = Math.max(s.prrDelivered - s.prrOut, d);
    if (advanced && newlyLost === 0) sndcnt++;
    if (sndcnt > delta) sndcnt = delta;
  }
  if (sndcnt < (s.prrOut > 0 ? 0 : 1)) sndcnt = s.prrOut > 0 ? 0 : 1;
  s.cwnd = (inflight + sndcnt) * mss;
}

function exitRecovery(s: TcpSocket, undone: boolean): void {
  if (undone) {
    // Linux tcp_end_cwnd_reduction: an undone reduction keeps the restored window.
  } else if (!s.sackOk) {
    // RFC 6582 §3.2 step 3 (full acknowledgment), option (1).
    const flight = s.inFlight;
    s.cwnd = Math.min(s.ssthresh, Math.max(flight, s.mss) + s.mss);
  } else {
    // Linux tcp_end_cwnd_reduction: the window is ssthresh when recovery ends.
    s.cwnd = Math.max(Math.floor(s.ssthresh / s.mss), 2) * s.mss;
  }
  s.caState = CA_OPEN;
  s.dupAcks = 0;
}

/**
 * Retransmission timeout (RFC 5681 §3.1, RFC 6298 §5.4-5.6, RFC 6675 §5.1): ssthresh from the
 * flight (only on the first timeout of a run), cwnd to the loss window of one segment, every
 * un-SACKed segment deemed lost (with RACK only the overdue ones, RFC 8985 §6.3), retransmission
 * from SND.UNA.
 */
export function enterLoss(s: TcpSocket, now: number): void {
  // Linux tcp_enter_loss: a timeout outside a reduction of this window may be undone later.
  if (s.caState <= CA_DISORDER || !seqGt(s.recoveryPoint, s.sndUna) || (s.caState === CA_LOSS && s.retransmits === 0)) {
    s.priorSsthresh = currentSsthresh(s);
    s.priorCwnd = Math.max(1, Math.round(s.cwnd / s.mss));
    initUndo(s);
  }
  if (s.retransmits === 0) {
    s.cc.onLoss(s, 'rto', now);
    s.ssthresh = s.cc.ssthresh(s, (s.sndNxt - s.sndUna) >>> 0);
  }
  s.cwnd = s.mss;
  s.caState = CA_LOSS;
  tlpReset(s); // RFC 8985 §7.1
  const q = s.sendQ;
  if (rackEnabled(s)) {
    rackMarkLossesOnRto(s, now);
  } else {
    for (let i = q.head; i < q.sendIdx; i++) {
      const skb = q.skbs[i]!;
      const u = units(skb);
      if (skb.retrans) { skb.retrans = false; s.retransBytes -= u; }
      if (!skb.sacked && !skb.lost) { skb.lost = true; s.lostBytes += u; }
    }
  }
  s.recoveryPoint = s.sndNxt;
  s.dupAcks = 0;
  s.rtxHint = s.sndUna;
}
