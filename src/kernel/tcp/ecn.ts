// Explicit Congestion Notification for TCP (RFC 3168 §6), as Linux does it (net/ipv4/tcp_input.c
// tcp_ecn_*, tcp_output.c tcp_ecn_send*): tcp_ecn = 1 asks for ECN in the SYN (ECE and CWR set),
// tcp_ecn = 2 (Linux's default) agrees when a peer asks. On an ECN connection new data leaves as
// ECT(0) (retransmissions and pure ACKs as Not-ECT, §6.1.5); a CE mark on arriving data makes the
// receiver set ECE until the sender answers with CWR (§6.1.3); ECE makes the sender reduce its
// window once per window of data (Linux's CWR state) and set CWR on its next new data (§6.1.2).
import { TCP_CWR, TCP_ECE, TCP_SYN, type TcpRepr } from '../../wire/tcp.js';
import { CA_CWR } from './tcb.js';
import { ACK_NOW, enterQuickack } from './delack.js';
import type { TcpSocket } from './socket.js';

/** Linux tp->ecn_flags. */
export const ECN_OK = 1;
export const ECN_QUEUE_CWR = 2;
export const ECN_DEMAND_CWR = 4;
export const ECN_SEEN = 8;

/** The IP ECN field (RFC 3168 §5). */
export const ECN_NOT_ECT = 0;
export const ECN_ECT1 = 1;
export const ECN_ECT0 = 2;
export const ECN_CE = 3;

/** Linux tcp_ecn_send_syn: the flags of our first SYN; ECN is asked for with tcp_ecn = 1. */
export function synEcnFlags(s: TcpSocket, retransmission: boolean): number {
  if (!retransmission) {
    s.ecnFlags = s.tcp.config.ecn === 1 ? ECN_OK : 0;
    return s.ecnFlags !== 0 ? TCP_ECE | TCP_CWR : 0;
  }
  // RFC 3168 §6.1.1.1 / tcp_ecn_fallback: a retransmitted SYN asks no more (the SYN-ACK decides).
  if (s.tcp.config.ecnFallback) return 0;
  return s.ecnFlags !== 0 ? TCP_ECE | TCP_CWR : 0;
}

/** Linux tcp_ecn_rcv_synack: the SYN-ACK must carry ECE without CWR. */
export function ecnSynack(s: TcpSocket, seg: TcpRepr): void {
  if ((s.ecnFlags & ECN_OK) !== 0 && ((seg.flags & TCP_ECE) === 0 || (seg.flags & TCP_CWR) !== 0)) s.ecnFlags = 0;
}

/** Linux tcp_ecn_rcv_syn (simultaneous open): the peer's SYN must ask for ECN too. */
export function ecnSimultaneousSyn(s: TcpSocket, seg: TcpRepr): void {
  if ((s.ecnFlags & ECN_OK) !== 0 && ((seg.flags & TCP_ECE) === 0 || (seg.flags & TCP_CWR) === 0)) s.ecnFlags = 0;
}

/**
 * Linux tcp_ecn_create_request: a listener with tcp_ecn set agrees to a SYN that asks for ECN
 * (ECE and CWR) and is not itself ECN-capable (RFC 3168 §6.1.1).
 */
export function ecnRequest(s: TcpSocket, seg: TcpRepr, tos: number): void {
  const asks = (seg.flags & (TCP_ECE | TCP_CWR)) === (TCP_ECE | TCP_CWR);
  s.ecnFlags = asks && (tos & 3) === ECN_NOT_ECT && s.tcp.config.ecn !== 0 ? ECN_OK : 0;
}

/**
 * Linux tcp_ecn_send: the ECN codepoint of an outgoing segment and the ECE / CWR flags it adds.
 * New data is ECT(0) and carries a queued CWR; everything else is Not-ECT; ECE while the peer
 * owes a CWR. Returns (codepoint << 8) | flags.
 */
export function ecnSend(s: TcpSocket, seq: number, payloadLen: number, flags: number): number {
  const f = s.ecnFlags;
  if ((f & ECN_OK) === 0 || (flags & TCP_SYN) !== 0) return 0;
  let out = 0;
  if (payloadLen > 0 && ((seq - s.sndNxt) | 0) >= 0) {
    out = ECN_ECT0 << 8;
    if ((f & ECN_QUEUE_CWR) !== 0) {
      s.ecnFlags = f & ~ECN_QUEUE_CWR;
      out |= TCP_CWR;
    }
  }
  if ((f & ECN_DEMAND_CWR) !== 0) out |= TCP_ECE;
  return out;
}

/**
 * An arriving segment of an ECN connection (Linux tcp_ecn_accept_cwr, __tcp_ecn_check_ce): CWR
 * ends our ECE; CE on data asks for ECE and an immediate ACK.
 */
export function ecnReceive(s: TcpSocket, seg: TcpRepr, tos: number): void {
  if ((s.ecnFlags & ECN_OK) === 0) return;
  const data = seg.payload.length > 0;
  if ((seg.flags & TCP_CWR) !== 0) {
    s.ecnFlags &= ~ECN_DEMAND_CWR;
    if (data) s.ackPending |= ACK_NOW; // the sender's window may be tiny: answer at once
  }
  if (!data) return;
  switch (tos & 3) {
    case ECN_NOT_ECT:
      // Linux: Not-ECT after ECT seen is probably a retransmission: quick ACKs.
      if ((s.ecnFlags & ECN_SEEN) !== 0) enterQuickack(s, 2);
      break;
    case ECN_CE:
      if ((s.ecnFlags & ECN_DEMAND_CWR) === 0) {
        enterQuickack(s, 2); // Linux tcp_enter_quickack_mode(sk, 2)
        s.ecnFlags |= ECN_DEMAND_CWR;
      }
      s.ecnFlags |= ECN_SEEN;
      break;
    default:
      s.ecnFlags |= ECN_SEEN;
  }
}

/** An ACK with ECE on an ECN connection (Linux tcp_ecn_rcv_ecn_echo). */
export function ecnEcho(s: TcpSocket, seg: TcpRepr): boolean {
  return (s.ecnFlags & ECN_OK) !== 0 && (seg.flags & (TCP_ECE | TCP_SYN)) === TCP_ECE;
}

/**
 * Linux tcp_enter_cwr (RFC 3168 §6.1.2): once per window, the congestion window is reduced as
 * for a loss (ssthresh from the congestion control, cwnd down to it), SND.NXT marks the window's
 * end, and the next new data segment carries CWR.
 */
export function enterCwr(s: TcpSocket, now: number): void {
  if (s.caState >= CA_CWR) return;
  s.cc.onLoss(s, 'ecn', now);
  s.ssthresh = s.cc.ssthresh(s, (s.sndNxt - s.sndUna) >>> 0);
  if (s.cwnd > s.ssthresh) s.cwnd = Math.max(s.ssthresh, s.mss);
  s.recoveryPoint = s.sndNxt;
  s.caState = CA_CWR;
  if ((s.ecnFlags & ECN_OK) !== 0) s.ecnFlags |= ECN_QUEUE_CWR; // tcp_ecn_queue_cwr
}
