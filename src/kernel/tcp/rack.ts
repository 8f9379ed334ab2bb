// RACK, time-based loss detection (RFC 8985 §6; Linux tcp_recovery.c, on by default as
// net.ipv4.tcp_recovery = 1). A sent segment is deemed lost once a segment sent after it has been
// delivered (cumulatively or selectively acknowledged) and more than RACK.rtt + RACK.reo_wnd has
// passed since it was sent; a lost retransmission is caught the same way. The send queue keeps its
// chunks that may still be in flight in transmission order (SendQueue.tsHead), so an ACK costs
// the chunks it delivers plus the few sent before the most recently delivered one and still
// outstanding, never a walk of the whole queue.
import type { Skb } from './buffers.js';
import { RTX_REO } from './lazy-timer.js';
import { units } from './output.js';
import { seqGe, seqGt, seqLt } from './seq.js';
import { CA_RECOVERY } from './tcb.js';
import type { TcpSocket } from './socket.js';

/** Float slack when comparing times computed by different sums (ms). */
const EPS = 1e-6;
/**
 * Slack added to the reordering timer (Linux TCP_TIMEOUT_MIN: two jiffies, 2 ms at HZ=1000), so
 * that when it fires the segments it waited for are past their deadline, and a little late ACK
 * is still in time.
 */
const REO_SLACK_MS = 2;
/** RFC 8985 §6.2 step 4: DSACK-free recoveries before the reordering window shrinks back. */
const REO_WND_PERSIST = 16;
/** Window of the RACK.min_RTT filter (Linux tcp_min_rtt_wlen: 300 s). */
const MIN_RTT_WINDOW_MS = 300_000;
/** A zero RTT sample counts as one clock tick (Linux tcp_update_rtt_min: one jiffy, 1 ms at HZ=1000). */
const MIN_RTT_FLOOR_MS = 1;

/** RACK's per-connection variables (RFC 8985 §5.3), plus what one ACK gathers for them. */
export class RackState {
  /**
   * RACK.xmit_ts (-1: nothing delivered yet) and RACK.end_seq: the most recently sent segment
   * delivered, and the rank of its transmission (Skb.txOrder), which orders transmissions exactly.
   */
  xmitTs = -1;
  endSeq = 0;
  xmitOrder = 0;
  /** Transmissions so far (Skb.txOrder of the latest). */
  txOrder = 0;
  /** RACK.rtt: the round trip of that segment (ms). */
  rtt = 0;
  /** RACK.fack: the highest sequence number delivered. */
  fack = 0;
  /**
   * RACK.min_RTT (Infinity: no sample yet), the best of a windowed running minimum (RFC 8985
   * §6.2 step 1) kept as three samples, best first, each newer than the one before (the
   * estimator Linux's lib/minmax.c implements, after Kathleen Nichols).
   */
  minRtt = Infinity;
  private readonly mrVal = [Infinity, Infinity, Infinity];
  private readonly mrAt = [0, 0, 0];
  /** RACK.reordering_seen. */
  reorderingSeen = false;
  /** RACK.reo_wnd_mult and RACK.reo_wnd_persist. */
  reoWndMult = 1;
  reoWndPersist = 0;
  /** RACK.dsack_round: SND.NXT when the window last grew, while that round lasts. */
  dsackRound = 0;
  dsackRoundOn = false;
  /** Reordering events seen (Linux tp->reord_seen, TCP_INFO tcpi_reord_seen). */
  reordSeen = 0;

  // ---- what the ACK being processed delivered ----
  /** RACK.fack before this ACK. */
  priorFack = 0;
  /** Transmission time, end and rank of the most recently sent segment this ACK delivered that may update RACK (-1: none). */
  ackXmitTs = -1;
  ackEndSeq = 0;
  ackOrder = 0;
  /** The round trip of the last segment this ACK delivered (RACK.rtt), and whether a cumulatively acknowledged one set it. */
  ackRtt = 0;
  ackRttCum = false;
  /** This ACK delivered out of order: 1 seen by SACK, 2 by the echoed timestamp of a retransmitted segment's original. */
  ackReordered = 0;
  /** This ACK carried a D-SACK block (RFC 2883), ending at dsackEnd. */
  dsack = false;
  dsackEnd = 0;
  /** RACK.xmit_ts moved since loss detection last ran (Linux rack.advanced). */
  advanced = false;
  /** Chunks the last loss detection deemed lost. */
  marked = 0;
  /**
   * ACKs whose congestion response waits for the reordering timer due now (recovery.ts
   * ackRecovery): SND.UNA before the first, bytes acknowledged and delivered, whether one was a
   * duplicate or SACKed new data.
   */
  readonly deferred = { on: false, priorUna: 0, acked: 0, delivered: 0, dup: false, sackNew: false };

  /**
   * RFC 8985 §6.2 step 1: an RTT measurement (RFC 6298 / RFC 7323) at time `now` updates the
   * windowed minimum, which forgets samples older than MIN_RTT_WINDOW_MS so that it can follow
   * a move to a longer path.
   */
  rttSample(r: number, now: number): void {
    if (r <= 0) r = MIN_RTT_FLOOR_MS;
    const v = this.mrVal;
    const at = this.mrAt;
    const win = MIN_RTT_WINDOW_MS;
    // The common case: no better than the three kept, and the best still young.
    if (r > v[2]! && now - at[0]! <= win / 4) return;
    if (r <= v[0]! || now - at[2]! > win) {
      // A new best, or nothing left in the window: start over.
      v[0] = v[1] = v[2] = r;
      at[0] = at[1] = at[2] = now;
    } else {
      if (r <= v[1]!) { v[1] = v[2] = r; at[1] = at[2] = now; }
      else if (r <= v[2]!) { v[2] = r; at[2] = now; }
      const age = now - at[0]!;
      if (age > win) {
        // The best expired: the next ones move up, this sample is the newest.
        v[0] = v[1]!; at[0] = at[1]!;
        v[1] = v[2]!; at[1] = at[2]!;
        v[2] = r; at[2] = now;
        if (now - at[0]! > win) { v[0] = v[1]!; at[0] = at[1]!; v[1] = r; at[1] = now; }
      } else if (at[1] === at[0] && age > win / 4) {
        // A quarter window without a second-best: take one from the recent samples.
        v[1] = v[2] = r; at[1] = at[2] = now;
      } else if (at[2] === at[1] && age > win / 2) {
        v[2] = r; at[2] = now;
      }
    }
    this.minRtt = v[0]!;
  }
}

/** RACK runs on SACK connections (RFC 8985 §4) unless tcp.config.recovery is 'dupthresh'. */
export function rackEnabled(s: TcpSocket): boolean {
  return s.sackOk && s.tcp.config.recovery === 'rack';
}

/**
 * RFC 8985 §6.2 RACK_sent_after(): by rank of transmission; the pieces of one super-segment
 * (one transmission) left in sequence order.
 */
function sentAfter(order1: number, seq1: number, order2: number, seq2: number): boolean {
  return order1 > order2 || (order1 === order2 && seqGt(seq1, seq2));
}

/** Before an ACK is processed. */
export function rackAckStart(s: TcpSocket): void {
  const r = s.rack;
  r.priorFack = r.fack;
  r.ackXmitTs = -1;
  r.ackRttCum = false;
  r.ackReordered = 0;
  r.dsack = false;
}

/**
 * A chunk newly delivered by the ACK being processed, cumulatively (`tsecr`: the ACK's echoed
 * timestamp, -1 without) or selectively (`tsecr` -1), up to `end`.
 */
export function rackDelivered(s: TcpSocket, skb: Skb, end: number, now: number, tsecr: number, cum = false): void {
  const r = s.rack;
  let valid = true;
  let original = !skb.everRetrans;
  if (skb.everRetrans) {
    // RFC 8985 §6.2 step 2: a retransmitted segment is ambiguous when the echoed timestamp
    // shows the ACK answers an earlier transmission, or when it was retransmitted less than
    // min_RTT ago (Linux tcp_rack_advance and tcp_skb_spurious_retrans).
    if (tsecr >= 0 && ((tsecr - ((Math.floor(skb.sentAt) + s.tsOffset) >>> 0)) | 0) < 0) {
      valid = false;
      // The only earlier transmission was the original: it was delivered late (Linux TCPTSReorder).
      if (skb.txCount === 2) original = true;
    } else if (now - skb.sentAt < r.minRtt) {
      valid = false;
    }
  }
  // RFC 8985 §6.2 step 3: an original transmission delivered below RACK.fack was reordered.
  if (seqGt(end, r.fack)) r.fack = end;
  else if (original && seqLt(end, r.priorFack)) r.ackReordered = skb.everRetrans ? 2 : 1;
  // Linux tcp_rack_advance: RACK.rtt is the round trip of the last segment the ACK delivered, as
  // Linux walks them (SACKed ones first, then those acknowledged cumulatively, in order): not
  // necessarily the most recently sent one's.
  if (valid && (cum || !r.ackRttCum)) {
    r.ackRtt = now - skb.sentAt;
    if (cum) r.ackRttCum = true;
  }
  if (valid && (r.ackXmitTs < 0 || sentAfter(skb.txOrder, end, r.ackOrder, r.ackEndSeq))) {
    r.ackXmitTs = skb.sentAt;
    r.ackEndSeq = end;
    r.ackOrder = skb.txOrder;
  }
}

/** After an ACK's cumulative and selective acknowledgments were applied: RFC 8985 §6.2 steps 2-4. */
export function rackAckDone(s: TcpSocket, now: number): void {
  const r = s.rack;
  if (r.ackXmitTs >= 0) {
    // RFC 8985 §6.2 step 2: RACK.rtt from the most recently sent segment delivered; RACK.xmit_ts moves forward only.
    r.rtt = r.ackRtt;
    // usernet deviation: not below SRTT. The segment's round trip stands for how long the ones
    // sent before it should take; one that overtook them (a frame or an ACK skipping a delay, as
    // netem's reordering does) came back much faster than they can, and taken as is it made RACK
    // deem whole flights lost. A loss is then deemed at most SRTT - RTT later.
    if (r.rtt < s.srtt) r.rtt = s.srtt;
    if (r.xmitTs < 0 || sentAfter(r.ackOrder, r.ackEndSeq, r.xmitOrder, r.endSeq)) {
      r.xmitTs = r.ackXmitTs;
      r.endSeq = r.ackEndSeq;
      r.xmitOrder = r.ackOrder;
    }
    r.advanced = true;
    r.ackXmitTs = -1;
    s.tlp.rttSampled = true;
  }
  if (r.ackReordered !== 0) {
    // RFC 8985 §6.2 step 3: RACK.reordering_seen.
    r.reorderingSeen = true;
    r.reordSeen++;
    s.tcp.stats[r.ackReordered === 2 ? 'TCPTSReorder' : 'TCPSACKReorder']++;
  }
  // RFC 8985 §6.2 step 4: a D-SACK grows the reordering window, at most once per round trip.
  if (r.dsackRoundOn && seqGe(s.sndUna, r.dsackRound)) r.dsackRoundOn = false;
  // Linux tcp_dsack_seen: only D-SACKs after reordering was seen, and not one for a loss probe (a
  // timer sent that, not RACK).
  if (r.dsack && !r.dsackRoundOn && r.reorderingSeen && !(s.tlp.active && s.tlp.endSeq === r.dsackEnd)) {
    r.dsackRoundOn = true;
    r.dsackRound = s.sndNxt;
    if (r.reoWndMult < 255) r.reoWndMult++;
    r.reoWndPersist = REO_WND_PERSIST;
  }
}

/**
 * RFC 8985 §6.2 step 4: fast or RTO recovery ended and was not undone (Linux tcp_try_undo_recovery);
 * after 16 such without a D-SACK the window is min_RTT/4 again.
 */
export function rackRecoveryEnded(s: TcpSocket): void {
  const r = s.rack;
  if (r.reoWndPersist > 0) r.reoWndPersist--;
  if (r.reoWndPersist === 0) r.reoWndMult = 1;
}

/** Linux tcp_try_undo_dsack: a recovery D-SACKs proved needless keeps the widened window one recovery longer. */
export function rackPersist(s: TcpSocket): void {
  const r = s.rack;
  if (r.reoWndPersist < REO_WND_PERSIST) r.reoWndPersist++;
}

/** RACK.reo_wnd (RFC 8985 §6.2 step 4), in ms. */
export function rackReoWnd(s: TcpSocket): number {
  const r = s.rack;
  const c = s.tcp.config;
  if (!r.reorderingSeen) {
    // Without reordering seen, be quick in recovery, and keep RFC 6675's DupThresh rule:
    // RACK.segs_sacked >= DupThresh, counted in bytes as RFC 6675 §4 IsLost() does
    // (not with tcp_recovery's RACK_NO_DUPTHRESH bit).
    if (s.caState >= CA_RECOVERY) return 0;
    if (!c.rackNoDupthresh && s.sackedBytes > (c.reordering - 1) * s.mss) return 0;
  }
  const m = r.minRtt === Infinity ? 0 : r.minRtt;
  // tcp_recovery's RACK_STATIC_REO_WND bit: D-SACKs do not widen the window.
  const w = ((c.rackStaticReoWnd ? 1 : r.reoWndMult) * m) / 4;
  return w < s.srtt ? w : s.srtt;
}

/** Deems a chunk lost (Linux tcp_mark_skb_lost): a retransmission deemed lost is to be sent again. */
export function rackMarkLost(s: TcpSocket, skb: Skb): void {
  const u = units(skb);
  if (skb.retrans) {
    skb.retrans = false;
    s.retransBytes -= u;
    s.tcp.stats.TCPLostRetransmit++;
  }
  if (!skb.lost) {
    skb.lost = true;
    s.lostBytes += u;
    s.lostSegs += skb.len > s.mss ? Math.ceil(skb.len / s.mss) : 1;
  }
  if (seqLt(skb.seq, s.rtxHint)) s.rtxHint = skb.seq;
  s.sendQ.tsUnlink(skb);
}

/**
 * RFC 8985 §6.2 step 5 RACK_detect_loss(): deems lost every outstanding segment sent before
 * RACK.xmit_ts whose deadline (transmission + RACK.rtt + RACK.reo_wnd) has passed, or with
 * `mark` false only looks. Returns the longest time (ms) still to wait for the others (0: none),
 * or -1 when `mark` is false and some are overdue; counts the chunks marked in RackState.marked.
 */
function detectLoss(s: TcpSocket, now: number, mark: boolean): number {
  const r = s.rack;
  if (r.xmitTs < 0) return 0;
  const q = s.sendQ;
  let reo = -1;
  let timeout = 0;
  let skb = q.tsHead;
  while (skb !== null) {
    const next = skb.tsNext;
    if (skb.sacked || (skb.lost && !skb.retrans)) {
      // Not in flight any more (deemed lost by other means): nothing to decide.
      q.tsUnlink(skb);
    } else {
      // The list is in transmission order: the first one sent after RACK's segment ends the walk.
      if (!sentAfter(r.xmitOrder, r.endSeq, skb.txOrder, skb.end)) break;
      if (reo < 0) reo = rackReoWnd(s);
      const remaining = skb.sentAt + r.rtt + reo - now;
      if (remaining <= EPS) {
        if (!mark) return -1;
        rackMarkLost(s, skb);
        r.marked++;
      } else if (remaining > timeout) {
        timeout = remaining;
      }
    }
    skb = next;
  }
  return timeout;
}

/**
 * RFC 8985 §6.2 step 5 RACK_detect_loss_and_arm_timer(), on an ACK: segments not yet overdue
 * get the reordering timer. Those overdue are deemed lost by that timer too, set for now: it
 * runs once the other packets that arrived at the same moment have been processed (a batch read
 * from a device, or frames due together after the event loop was held up), so that a SACK seen
 * first does not condemn segments the ACKs right behind it acknowledge. Linux handles each ACK
 * as it arrives.
 */
export function rackOnAckDetect(s: TcpSocket, now: number): void {
  s.rack.advanced = false;
  const timeout = detectLoss(s, now, false);
  if (timeout < 0) s.rtxTimer.early(RTX_REO, now);
  else if (timeout > 0) s.rtxTimer.early(RTX_REO, now + timeout + REO_SLACK_MS);
  else s.rtxTimer.cancel(RTX_REO);
}

/**
 * RFC 8985 §6.2 step 5 RACK_detect_loss_and_arm_timer(), when the reordering timer fires:
 * deems the overdue segments lost and re-arms for the rest. Returns how many chunks it marked.
 */
export function rackDetectLoss(s: TcpSocket, now: number): number {
  const r = s.rack;
  r.advanced = false;
  r.marked = 0;
  const timeout = detectLoss(s, now, true);
  if (timeout > 0) s.rtxTimer.early(RTX_REO, now + timeout + REO_SLACK_MS);
  else s.rtxTimer.cancel(RTX_REO);
  return r.marked;
}

/**
 * RFC 8985 §6.3, upon RTO expiration: the first outstanding segment is lost; the others only
 * once RACK.rtt + RACK.reo_wnd has passed since they were sent. Every chunk deemed lost leaves
 * the transmission-time list; those still in flight stay in it, retransmission flags and all.
 */
export function rackMarkLossesOnRto(s: TcpSocket, now: number): void {
  const q = s.sendQ;
  const reo = rackReoWnd(s);
  const rtt = s.rack.rtt;
  for (let i = q.head; i < q.sendIdx; i++) {
    const skb = q.skbs[i]!;
    if (skb.sacked) continue;
    if (i === q.head || skb.sentAt + rtt + reo - now <= EPS) {
      if (skb.retrans) { skb.retrans = false; s.retransBytes -= units(skb); }
      if (!skb.lost) { skb.lost = true; s.lostBytes += units(skb); }
      q.tsUnlink(skb);
    }
  }
}
