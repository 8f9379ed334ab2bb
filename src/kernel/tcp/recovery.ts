// Loss recovery and congestion-window management on ACKs (Linux tcp_fastretrans_alert and
// tcp_cong_control): fast retransmit / fast recovery per RFC 5681 §3.2 with NewReno's partial
// ACK handling (RFC 6582) when SACK is off, SACK-based recovery (RFC 6675) when it is on, with
// losses found by RACK (RFC 8985, rack.ts) or by RFC 6675's IsLost(), and the loss state after a
// retransmission timeout (RFC 5681 §3.1, RFC 6675 §5.1, RFC 8985 §6.3).
import { currentMss, retransmitSkb, units } from './output.js';
import { rackEnabled, rackMarkLossesOnRto, rackOnAckDetect, rackRecoveryEnded } from './rack.js';
import { markLost, markLostBySack } from './sack.js';
import { seqGe, seqLe } from './seq.js';
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
  switch (s.caState) {
    case CA_LOSS:
      // RFC 6675 §5.1: the loss state ends when RecoveryPoint is acknowledged.
      if (seqGe(s.sndUna, s.recoveryPoint)) { s.caState = CA_OPEN; s.dupAcks = 0; rackRecoveryEnded(s); }
      if (acked > 0 && delivered > 0) s.cc.onAck(s, delivered, now); // RFC 5681 §3.1: slow start from the loss window
      return;
    case CA_RECOVERY:
      if (seqGe(s.sndUna, s.recoveryPoint)) { exitRecovery(s); return; }
      if (s.sackOk) cwndReduction(s, delivered, newlyLost, acked > 0);
      else {
        if (acked > 0) {
          // RFC 6582 §3.2 step 5: a partial ACK: retransmit the next hole, deflate by the amount acknowledged, add back one SMSS.
          const head = s.sendQ.first();
          if (head !== undefined) {
            markLost(s, head);
            if (head.len > currentMss(s)) s.sendQ.split(s.sendQ.head, currentMss(s));
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
    default: {
      // RFC 3168 §6.1.2 / Linux tcp_end_cwnd_reduction: the reduced window holds until the
      // window of data sent at the echo is acknowledged; it does not grow meanwhile.
      const cwr = s.caState === CA_CWR && !seqGe(s.sndUna, s.recoveryPoint);
      if (s.caState === CA_CWR && !cwr) { s.caState = CA_OPEN; if (s.cwnd > s.ssthresh) s.cwnd = Math.max(s.ssthresh, s.mss); }
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
        enterRecovery(s, now);
        // Linux tcp_cong_control: the ACK that starts recovery already paces it (RFC 6937).
        if (s.sackOk) cwndReduction(s, delivered, newlyLost, acked > 0);
        return;
      }
      if (cwr) return;
      if (acked > 0 && delivered > 0 && cwndLimited(s, priorUna)) s.cc.onAck(s, delivered, now);
      s.caState = s.dupAcks > 0 || s.sackedBytes > 0 ? CA_DISORDER : CA_OPEN;
    }
  }
}

/** RFC 5681 §3.2 steps 2-3, RFC 6582 §3.2 step 2, RFC 6675 §5 step 4. */
export function enterRecovery(s: TcpSocket, now: number): void {
  const st = s.tcp.stats;
  if (s.sackOk) st.TCPSackRecovery++;
  else st.TCPRenoRecovery++;
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

function exitRecovery(s: TcpSocket): void {
  rackRecoveryEnded(s);
  if (!s.sackOk) {
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
