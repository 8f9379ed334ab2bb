// Tail loss probes (RFC 8985 §7; Linux tcp_schedule_loss_probe / tcp_send_loss_probe /
// tcp_process_tlp_ack, on by default as net.ipv4.tcp_early_retrans = 3). When the last segments
// of a flight are lost no ACK comes back to tell, and only the RTO would notice: instead, about
// two round trips after the last transmission, one segment goes out (new data, or the last
// segment again) so that its ACK, with SACK and RACK, reveals the loss and starts fast recovery.
// The probe timeout shares the retransmission timer slot with the RTO (lazy-timer.ts).
import { currentMss, retransmitSkb, sendNewProbe } from './output.js';
import { RTX_PROBE } from './lazy-timer.js';
import { currentRto } from './rto.js';
import { seqGt, seqLt } from './seq.js';
import { CLOSE_WAIT, CLOSING, ESTABLISHED, FIN_WAIT_1, LAST_ACK } from './state.js';
import { CA_RECOVERY } from './tcb.js';
import type { TcpSocket } from './socket.js';

/** Linux TCP_TIMEOUT_MIN: two ticks of slack added to 2*SRTT when more than one segment is out. */
const TIMEOUT_MIN_MS = 2;
/** RFC 8985 §7.2: the PTO before any RTT sample. */
const PTO_NO_RTT_MS = 1000;

/** TLP's per-connection variables (RFC 8985 §5.3). */
export class TlpState {
  /** A probe is outstanding: TLP.end_seq is not None. */
  active = false;
  /** TLP.end_seq: SND.NXT when the probe was sent. */
  endSeq = 0;
  /** TLP.is_retrans: the probe was a retransmission. */
  isRetrans = false;
  /** An RTT sample was taken since the last probe (RFC 8985 §7.3's second condition). */
  rttSampled = false;
  /** An ACK advanced SND.UNA: the probe timeout is to be re-armed (or dropped) after sending. */
  rearm = false;
}

export function tlpEnabled(s: TcpSocket): boolean {
  return s.sackOk && s.tcp.config.tlp;
}

/** RFC 8985 §7.1: a new episode after fast recovery or RTO recovery begins. */
export function tlpReset(s: TcpSocket): void {
  s.tlp.active = false;
  s.tlp.isRetrans = false;
}

/**
 * RFC 8985 §7.2: arms the probe timeout after new data was sent or an ACK advanced SND.UNA,
 * unless in fast or RTO recovery or with segments SACKed. Returns whether it was armed.
 */
export function scheduleLossProbe(s: TcpSocket): boolean {
  s.tlp.rearm = false;
  const t = s.tlp;
  if (!tlpEnabled(s) || s.caState >= CA_RECOVERY || s.sackedBytes > 0 || s.sndUna === s.sndNxt || t.active || !s.rtxTimer.armed) return false;
  const now = s.tcp.sched.now();
  let pto: number;
  if (s.srtt > 0) {
    // RFC 8985 §7.2: PTO = 2*SRTT; a lone segment may be waiting for a delayed ACK: add
    // TLP.max_ack_delay (Linux: tcp_rto_min, 200 ms); otherwise Linux adds TCP_TIMEOUT_MIN.
    pto = 2 * s.srtt + (((s.sndNxt - s.sndUna) >>> 0) <= s.mss ? s.tcp.config.rtoMinMs : TIMEOUT_MIN_MS);
  } else {
    pto = PTO_NO_RTT_MS;
  }
  // RFC 8985 §7.2: never later than the RTO would fire.
  let at = now + pto;
  if (at > s.rtxTimer.rtoAt) at = s.rtxTimer.rtoAt;
  s.rtxTimer.early(RTX_PROBE, at);
  return true;
}

/** RFC 8985 §7.3: the probe timeout fired. */
export function onProbeTimer(s: TcpSocket): void {
  const st = s.state;
  if (st !== ESTABLISHED && st !== CLOSE_WAIT && st !== FIN_WAIT_1 && st !== CLOSING && st !== LAST_ACK) return;
  if (s.sndUna === s.sndNxt) return;
  const t = s.tlp;
  // RFC 8985 §7.3: no probe while another is in flight, or before an RTT sample since the last
  // one; RFC 8985 §7.2: none in recovery or with segments SACKed. The RTO stays armed.
  if (t.active || !t.rttSampled || s.caState >= CA_RECOVERY || s.sackedBytes > 0) return;
  if (sendNewProbe(s)) {
    // RFC 8985 §7.3: new data when the window allows (it may reveal a loss without a retransmission).
    t.isRetrans = false;
  } else {
    // RFC 8985 §7.3: else the highest-sequence segment sent so far, again (the last MSS of its chunk).
    const q = s.sendQ;
    if (q.sendIdx <= q.head) return;
    let i = q.sendIdx - 1;
    const last = q.skbs[i]!;
    const mss = currentMss(s);
    if (last.len > mss) {
      q.split(i, last.len - (((last.len - 1) % mss) + 1));
      i = q.sendIdx - 1;
    }
    retransmitSkb(s, q.skbs[i]!);
    t.isRetrans = true;
  }
  t.active = true;
  t.endSeq = s.sndNxt;
  t.rttSampled = false;
  s.tcp.stats.TCPLossProbes++;
  // RFC 8985 §7.3: the RTO restarts from the probe.
  s.rtxTimer.after(currentRto(s));
}

/**
 * RFC 8985 §7.4.2 TLP_process_ack(): on an ACK at or beyond TLP.end_seq, end the episode; when
 * the probe was a retransmission and nothing shows the original arrived too (a D-SACK for the
 * probe, or a plain duplicate ACK), the probe repaired a loss: congestion control responds.
 * `pureDup`: an ACK that acknowledges nothing new and carries no data, SACK or window change.
 */
export function tlpOnAck(s: TcpSocket, ack: number, pureDup: boolean, now: number): void {
  const t = s.tlp;
  if (!t.active || seqLt(ack, t.endSeq)) return;
  if (!t.isRetrans) { t.active = false; return; }
  if (s.rack.dsack && s.rack.dsackEnd === t.endSeq) { t.active = false; return; }
  if (seqGt(ack, t.endSeq)) {
    t.active = false;
    s.tcp.stats.TCPLossProbeRecovery++;
    // The response to a loss event, without a retransmission (Linux: CWR down to ssthresh;
    // tcp_reno_ssthresh halves cwnd, so cwnd stands for the flight here).
    s.cc.onLoss(s, 'recovery', now);
    s.ssthresh = s.cc.ssthresh(s, s.cwnd);
    s.cwnd = s.ssthresh;
    return;
  }
  if (pureDup) t.active = false;
}
