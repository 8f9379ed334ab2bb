// The congestion-control interface (Linux's tcp_congestion_ops): the loss-recovery machinery
// (../recovery.ts) asks the algorithm for the new ssthresh on a loss and lets it grow cwnd on
// ACKs outside recovery. Windows are in bytes; SMSS is the connection's current MSS.

export interface CcSocket {
  /** Congestion window (bytes). */
  cwnd: number;
  /** Slow-start threshold (bytes). */
  ssthresh: number;
  /** Sender maximum segment size (bytes). */
  readonly mss: number;
  /** Smoothed RTT (ms; 0 before the first sample). */
  readonly srtt: number;
  /** Smallest RTT seen (ms; Infinity before the first sample). */
  readonly minRtt: number;
  /** Sends super-segments (TSO/GSO): one ACK may cover a whole one. */
  readonly gsoOk?: boolean;
  /** SND.UNA and SND.NXT (HyStart's rounds). */
  readonly sndUna?: number;
  readonly sndNxt?: number;
}

/** The largest super-segment's payload bound (a 64 KiB IP packet), for RFC 3465's L with TSO. */
const GSO_MAX = 65535;

export interface CongestionControl {
  readonly name: 'reno' | 'cubic';
  /** The slow-start threshold after a loss, given the data in flight (bytes). */
  ssthresh(s: CcSocket, flight: number): number;
  /** An ACK newly acknowledged `acked` bytes outside loss recovery: grow cwnd. */
  onAck(s: CcSocket, acked: number, now: number): void;
  /** A loss event begins ('recovery': fast retransmit; 'rto': timeout). Called before ssthresh(). */
  /** A loss (fast recovery, RTO) or an ECN echo (RFC 3168 §6.1.2: reacted to as to a loss). */
  onLoss(s: CcSocket, kind: 'recovery' | 'rto' | 'ecn', now: number): void;
  /** An ACK brought an RTT sample (ms) of the last segment it acknowledged (Linux pkts_acked). */
  onRtt?(s: CcSocket, rtt: number, now: number): void;
}

/**
 * RFC 5681 §3.1 slow start with Appropriate Byte Counting (RFC 3465 §2.3): cwnd grows by the
 * bytes acknowledged, at most L per ACK, up to ssthresh. Returns the acknowledged bytes left
 * over for congestion avoidance. L is 2*SMSS; a sender of super-segments (TSO) counts L in its
 * packets instead, as a usernet receiver acknowledges a whole super-segment with one ACK (the
 * ACK a GRO receiver sends), which would otherwise hold slow start to 2 SMSS per 45 segments.
 */
export function slowStart(s: CcSocket, acked: number): number {
  const lim = s.gsoOk === true ? Math.max(2 * s.mss, GSO_MAX) : 2 * s.mss;
  let inc = acked < lim ? acked : lim;
  const room = s.ssthresh - s.cwnd;
  if (inc > room) inc = room > 0 ? room : 0;
  s.cwnd += inc;
  return acked - inc;
}
