// Reno congestion control (RFC 5681 §3.1): slow start, then congestion avoidance adding one
// SMSS per window of acknowledged data (byte counting, RFC 3465 §2.1), and halving on loss.
// The NewReno loss recovery that goes with it (RFC 6582) lives in ../recovery.ts.
import { slowStart, type CcSocket, type CongestionControl } from './types.js';

export class Reno implements CongestionControl {
  readonly name = 'reno' as const;
  /** Bytes acknowledged since cwnd last grew in congestion avoidance. */
  private acc = 0;

  // RFC 5681 §3.1 eq. (4): ssthresh = max(FlightSize / 2, 2*SMSS).
  ssthresh(s: CcSocket, flight: number): number {
    return Math.max(flight / 2, 2 * s.mss);
  }

  onAck(s: CcSocket, acked: number): void {
    if (s.cwnd < s.ssthresh) {
      acked = slowStart(s, acked);
      if (acked === 0) return;
    }
    // RFC 5681 §3.1 / RFC 3465 §2.1: cwnd += SMSS once a full cwnd of data has been acknowledged.
    this.acc += acked;
    if (this.acc >= s.cwnd) {
      this.acc -= s.cwnd;
      s.cwnd += s.mss;
    }
  }

  onLoss(): void {
    this.acc = 0;
  }
}
