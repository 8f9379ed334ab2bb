// CUBIC (RFC 9438), Linux's default: after a loss, the window follows
// W_cubic(t) = C*(t - K)^3 + W_max (§4.2), no slower than an AIMD estimate of Reno (§4.3),
// with multiplicative decrease β = 0.7 (§4.6) and fast convergence (§4.7). Windows inside the
// formulas are in segments and times in seconds, as in the RFC.
import type { TcpConfig } from '../config.js';
import { slowStart, type CcSocket, type CongestionControl } from './types.js';

const C = 0.4; // RFC 9438 §5
const BETA = 0.7; // RFC 9438 §4.6
const ALPHA = (3 * (1 - BETA)) / (1 + BETA); // RFC 9438 §4.3
// HyStart (Ha and Rhee, 2011), as Linux's tcp_cubic.c has it, with its module parameters
// (the host's tcp_cubic.hystart, .hystart_detect, .hystart_low_window, .hystart_ack_delta_us).
const HYSTART_ACK_TRAIN = 1;
const HYSTART_DELAY = 2;
/** HYSTART_MIN_SAMPLES and HYSTART_DELAY_MIN / _MAX (4 ms and 16 ms). */
const HYSTART_MIN_SAMPLES = 8;
const HYSTART_DELAY_MIN_MS = 4;
const HYSTART_DELAY_MAX_MS = 16;
/** hystart_ack_delay(): at most 1 ms (USEC_PER_MSEC) for the ACK of a 64 KiB super-segment. */
const HYSTART_ACK_DELAY_MS = 1;

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
  /** HyStart: slow start's end found; the smallest RTT seen (ms; 0: none); the current round. */
  private found = false;
  private delayMin = 0;
  private roundStart = 0;
  private lastAck = 0;
  private endSeq = -1;
  private currRtt = Infinity;
  private sampleCnt = 0;

  /** `config`: the host's TCP settings, whose CUBIC module parameters are read at every use, as Linux's. */
  constructor(private readonly config: TcpConfig) {}

  // RFC 9438 §4.6: ssthresh = cwnd * β_cubic, at least 2 segments.
  ssthresh(s: CcSocket): number {
    return Math.max(s.cwnd * BETA, 2 * s.mss);
  }

  onLoss(s: CcSocket, kind: 'recovery' | 'rto' | 'ecn'): void {
    // Linux cubictcp_state(TCP_CA_Loss): bictcp_reset (HyStart's state too) after a timeout.
    if (kind === 'rto') { this.found = false; this.delayMin = 0; this.endSeq = -1; }
    const w = s.cwnd / s.mss;
    // RFC 9438 §4.7: fast convergence releases bandwidth when the window keeps shrinking.
    this.wMax = w < this.wMax ? (w * (1 + BETA)) / 2 : w;
    this.cwndPrior = w;
    this.epoch = -1;
  }

  /** Linux cubictcp_acked: the smallest RTT, and HyStart while in slow start. */
  onRtt(s: CcSocket, rtt: number, now: number): void {
    // Linux: delay samples right after a reduction (the first second of a CUBIC epoch) are not used.
    if (this.epoch >= 0 && now - this.epoch < 1000) return;
    const delay = rtt > 0 ? rtt : 0.001;
    if (this.delayMin === 0 || this.delayMin > delay) this.delayMin = delay;
    if (!this.found && s.cwnd < s.ssthresh && this.config.cubicHystart !== 0) this.hystartUpdate(s, delay, now);
  }

  /** Linux bictcp_hystart_reset: a new round starts with the next segment sent. */
  private hystartReset(s: CcSocket, now: number): void {
    this.roundStart = this.lastAck = now;
    this.endSeq = s.sndNxt ?? 0;
    this.currRtt = Infinity;
    this.sampleCnt = 0;
  }

  /** Linux hystart_update: ACK-train and delay-increase detection; found: ssthresh = cwnd. */
  private hystartUpdate(s: CcSocket, delay: number, now: number): void {
    if (this.endSeq < 0 || ((((s.sndUna ?? 0) - this.endSeq) | 0) > 0)) this.hystartReset(s, now);
    const c = this.config;
    if (s.cwnd / s.mss < c.cubicHystartLowWindow) return;
    // The ACK train: ACKs closely spaced for longer than half the smallest RTT (unpaced sender).
    if ((c.cubicHystartDetect & HYSTART_ACK_TRAIN) !== 0 && now - this.lastAck <= c.cubicHystartAckDeltaUs / 1000) {
      this.lastAck = now;
      if (now - this.roundStart > (this.delayMin + HYSTART_ACK_DELAY_MS) / 2) {
        this.found = true;
        s.ssthresh = s.cwnd;
      }
    }
    // The delay increase: the round's smallest RTT (of at least 8) above delay_min + clamp(delay_min/8, 4, 16) ms.
    if ((c.cubicHystartDetect & HYSTART_DELAY) === 0) return;
    if (this.currRtt > delay) this.currRtt = delay;
    if (this.sampleCnt < HYSTART_MIN_SAMPLES) this.sampleCnt++;
    else {
      const d = this.delayMin / 8;
      const thresh = d < HYSTART_DELAY_MIN_MS ? HYSTART_DELAY_MIN_MS : d > HYSTART_DELAY_MAX_MS ? HYSTART_DELAY_MAX_MS : d;
      if (this.currRtt > this.delayMin + thresh) {
        this.found = true;
        s.ssthresh = s.cwnd;
      }
    }
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
