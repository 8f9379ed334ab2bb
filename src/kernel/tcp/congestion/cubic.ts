// CUBIC (RFC 9438), Linux's default: after a loss, the window follows
// W_cubic(t) = C*(t - K)^3 + W_max (§4.2), no slower than an AIMD estimate of Reno (§4.3),
// with multiplicative decrease β = 0.7 (§4.6) and fast convergence (§4.7). Windows inside the
// formulas are in segments and times in seconds, as in the RFC.
import { slowStart, type CcSocket, type CongestionControl } from './types.js';

const C = 0.4; // RFC 9438 §5
const BETA = 0.7; // RFC 9438 §4.6
const ALPHA = (3 * (1 - BETA)) / (1 + BETA); // RFC 9438 §4.3

export class Cubic implements CongestionControl {
  readonly name = 'cubic' as const;
  /** W_max: the window (segments) just before the last reduction. */
  private wMax = 0;
  /** Time (ms) the current congestion-avoidance epoch started; -1 when none. */
  private epoch = -1;
  private k = 0;
  /** W_est: the Reno-friendly estimate (segments). */
  private wEst = 0;
  /** cwnd (segments) right after the last reduction, where α switches to 1 (§4.3). */
  private cwndPrior = 0;

  // RFC 9438 §4.6: ssthresh = cwnd * β_cubic, at least 2 segments.
  ssthresh(s: CcSocket): number {
    return Math.max(s.cwnd * BETA, 2 * s.mss);
  }

  onLoss(s: CcSocket): void {
    const w = s.cwnd / s.mss;
    // RFC 9438 §4.7: fast convergence releases bandwidth when the window keeps shrinking.
    this.wMax = w < this.wMax ? (w * (1 + BETA)) / 2 : w;
    this.cwndPrior = w;
    this.epoch = -1;
  }

  onAck(s: CcSocket, acked: number, now: number): void {
    if (s.cwnd < s.ssthresh) {
      acked = slowStart(s, acked);
      if (acked === 0) return;
    }
    const mss = s.mss;
    const cwnd = s.cwnd / mss;
    if (this.epoch < 0) {
      // RFC 9438 §4.2: a new congestion-avoidance stage; K = cbrt((W_max - cwnd_epoch) / C).
      this.epoch = now;
      if (this.wMax < cwnd) this.wMax = cwnd;
      this.k = Math.cbrt((this.wMax - cwnd) / C);
      this.wEst = cwnd;
    }
    const segs = acked / mss;
    const rtt = (s.srtt > 0 ? s.srtt : 0) / 1000;
    const t = (now - this.epoch) / 1000;
    // RFC 9438 §4.3: the Reno-friendly region, α = 1 once W_est passed the pre-loss window.
    const alpha = this.wEst >= this.cwndPrior ? 1 : ALPHA;
    this.wEst += (alpha * segs) / cwnd;
    const wt = C * (t - this.k) ** 3 + this.wMax;
    if (wt < this.wEst) {
      if (this.wEst > cwnd) s.cwnd = this.wEst * mss;
      return;
    }
    // RFC 9438 §4.2: aim at W_cubic(t + RTT), clamped to [cwnd, 1.5 cwnd], grown per ACK by (target - cwnd) / cwnd.
    let target = C * (t + rtt - this.k) ** 3 + this.wMax;
    if (target < cwnd) target = cwnd;
    else if (target > 1.5 * cwnd) target = 1.5 * cwnd;
    s.cwnd += (mss * (target - cwnd) * segs) / cwnd;
  }
}
