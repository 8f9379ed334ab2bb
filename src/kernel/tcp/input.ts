// Segment arrival (RFC 9293 §3.10.7.3 SYN-SENT and §3.10.7.4 the other states; Linux
// tcp_rcv_state_process / tcp_rcv_established / tcp_ack / tcp_data_queue), with PAWS
// (RFC 7323 §5), the RFC 5961 protections, SACK (RFC 2018) and the ACK policy of RFC 5681 §4.2.
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type TcpRepr } from '../../wire/tcp.js';
import { ACK_NOW, ACK_SCHED, ACK_TIMER, ackSndCheck, enterQuickack, eventDataRecv } from './delack.js';
import type { IpPacket } from '../ip-types.js';
import { ECONNRESET } from '../../uapi/errno.js';
import { done, enterTimeWait, established, notify, resetArrived, setState, synDequeue, writeSpace } from './lifecycle.js';
import { armPersist, growWindow, receiveSpace, sendOowAck, sendResetReply, sendSyn, transmit, tsNow, units } from './output.js';
import { rackAckDone, rackAckStart, rackDelivered, rackEnabled } from './rack.js';
import { ackRecovery } from './recovery.js';
import { currentRto, rttSample } from './rto.js';
import { sackUpdate } from './sack.js';
import { tlpOnAck } from './tlp.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqSub } from './seq.js';
import {
  CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, SYN_RECEIVED, SYN_SENT, TIME_WAIT, type TcpState,
} from './state.js';
import { negotiateFromSynAck } from './handshake.js';
import { fastopenChildDone, fastopenSynack } from './fastopen.js';
import { zerocopyAcked } from './zerocopy.js';
import { tstampAcked } from './timestamping.js';
import { CA_CWR, CA_LOSS } from './tcb.js';
import { ecnEcho, ecnReceive, ecnSimultaneousSyn, ecnSynack, enterCwr } from './ecn.js';
import type { TcpSocket } from './socket.js';

/** RFC 7323 §5.5: TS.Recent older than 24 days is no longer valid for PAWS. */
const PAWS_IDLE_MS = 24 * 24 * 3600 * 1000;
const EMPTY = new Uint8Array(0);

/** A segment for an existing connection (not LISTEN). */
export function segmentArrives(s: TcpSocket, seg: TcpRepr, pkt: IpPacket): void {
  const now = s.tcp.sched.now();
  const gso = pkt.gso;
  // A super-segment counts as the segments it stands for (Linux: gso_segs).
  const segs = gso !== undefined && gso > 0 ? Math.ceil(seg.payload.length / gso) || 1 : 1;
  s.segsIn += segs;
  if (s.state === SYN_SENT) { synSentArrives(s, seg, pkt, now); return; }
  if (s.state === CLOSED) return;
  if (s.state === TIME_WAIT) { timeWaitArrives(s, seg, now); return; }

  let flags = seg.flags;
  let seq = seg.seq;
  let data = seg.payload;
  const ts = s.tsOk ? seg.options.timestamp : undefined;
  let segLen = data.length + ((flags & TCP_SYN) !== 0 ? 1 : 0) + ((flags & TCP_FIN) !== 0 ? 1 : 0);

  // Simultaneous open (RFC 9293 §3.5 figure 7): in SYN-RECEIVED the peer's SYN,ACK acknowledges
  // our SYN; its SYN is the one already seen (Linux tcp_validate_incoming's exception).
  if (s.state === SYN_RECEIVED && !s.passive && (flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) &&
      seqAdd(seq, 1) === s.rcvNxt && seg.ack === s.sndNxt) {
    flags &= ~TCP_SYN;
    seq = s.rcvNxt;
    segLen--;
    // Linux tcp_data_queue: the SYN is old news: acknowledged at once, reported as a duplicate (RFC 2883).
    if (s.sackOk) s.dsack = [seg.seq, s.rcvNxt];
    s.ackNow = true;
  }

  // RFC 7323 §5.3 R1 (PAWS): a TSval older than TS.Recent marks an old duplicate; ACK and drop it.
  // Resets are exempt, as in Linux, and so are duplicate ACKs merely overtaken by a later one.
  if (ts !== undefined && (flags & TCP_RST) === 0 && ((ts.tsval - s.tsRecent) | 0) < 0 && now - s.tsRecentStamp < PAWS_IDLE_MS &&
      !disorderedAck(s, seg, seq, flags, ts.tsval)) {
    s.tcp.stats.PAWSEstab++;
    sendOowAck(s, false, data.length === 0);
    return;
  }

  // A retransmitted SYN for a half-open passive connection: its SYN-ACK was lost, send it again
  // (Linux tcp_check_req). It must be seen before the sequence check, which it would fail
  // (SEG.SEQ = IRS < RCV.NXT) and be answered with a bare ACK the peer in SYN-SENT drops.
  if (s.state === SYN_RECEIVED && s.passive && (flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN && seq === s.irs) {
    sendSyn(s, true);
    return;
  }

  // first: the sequence number check (RFC 9293 §3.10.7.4).
  const cur = seqSub(s.rcvAdvEdge, s.rcvNxt);
  const wnd = cur > 0 ? cur : 0;
  let dropText = false;
  if (!acceptable(s.rcvNxt, wnd, seq, segLen)) {
    // "If the RCV.WND is zero, no segments will be acceptable, but special allowance should be
    // made to accept valid ACKs, URGs, and RSTs."
    if (wnd === 0 && seq === s.rcvNxt) {
      dropText = true;
    } else {
      if ((flags & TCP_RST) !== 0) return;
      if ((flags & TCP_SYN) !== 0) {
        // RFC 5961 §4.2: a SYN in a synchronized state gets a challenge ACK.
        s.tcp.stats.TCPSYNChallenge++;
        sendOowAck(s, true, true);
        return;
      }
      // RFC 2883 §4: report a duplicate segment in a D-SACK block.
      if (s.sackOk && s.tcp.config.dsack && data.length > 0 && seqLe(seqAdd(seq, data.length), s.rcvNxt)) s.dsack = [seq, seqAdd(seq, data.length)];
      sendOowAck(s, false, data.length === 0);
      return;
    }
  }
  s.rcvTstamp = now;

  // second: RST (RFC 5961 §3.2): exactly RCV.NXT resets, elsewhere in the window a challenge ACK.
  if ((flags & TCP_RST) !== 0) {
    if (seq === s.rcvNxt) resetArrived(s);
    else sendOowAck(s, true, true);
    return;
  }

  // RFC 7323 §4.1 on the receiving side (Linux tcp_rcv_rtt_measure_ts): data echoing one of our
  // timestamps tells how long a round trip takes, for receive-buffer auto-tuning.
  if (ts !== undefined && data.length > 0 && ts.tsecr !== 0) {
    const r = (tsNow(s) - ts.tsecr) | 0;
    if (r >= 0) s.rcvRtt = s.rcvRtt < 0 ? r : s.rcvRtt + (r - s.rcvRtt) / 8;
  }

  // fourth: SYN.
  if ((flags & TCP_SYN) !== 0) {
    // RFC 5961 §4.2 (RFC 9293 §3.10.7.4 fourth): challenge ACK, drop.
    s.tcp.stats.TCPSYNChallenge++;
    sendOowAck(s, true, true);
    return;
  }

  // fifth: ACK.
  if ((flags & TCP_ACK) === 0) return;
  if (s.state === SYN_RECEIVED) {
    // A Fast Open child's SND.UNA is already past its SYN-ACK (Linux keeps that in the request).
    if (!((s.fastopenRsk ? seqLe(s.sndUna, seg.ack) : seqLt(s.sndUna, seg.ack)) && seqLe(seg.ack, s.sndNxt))) {
      // RFC 9293 §3.10.7.4 fifth: an unacceptable ACK in SYN-RECEIVED: <SEQ=SEG.ACK><CTL=RST>.
      sendResetReply(s.tcp, pkt, seg);
      return;
    }
    if (!synReceivedAcked(s, seg, pkt, now)) return;
  }
  if (!ackArrives(s, seg, now)) return;
  if (closed(s)) return;

  // sixth: URG is not given special treatment (RFC 6093 §5: urgent data stays in line).
  // seventh and eighth: text and FIN.
  const fin = (flags & TCP_FIN) !== 0;
  if (data.length > 0 || fin) {
    if (dropText) s.ackNow = true; // a zero-window probe: answer with the current window
    else dataArrives(s, seq, data, fin, now, segs, seg, pkt);
  }
  if (closed(s)) return;
  transmit(s);
  // Linux tcp_data_snd_check -> tcp_check_space: room freed by the ACK, or by what went out.
  writeSpace(s);
}

/**
 * Linux tcp_disordered_ack: a pure duplicate ACK (SND.UNA, no window update) with a TSval at
 * most one RTO older than TS.Recent is an ACK overtaken by a later one, not a replay: PAWS lets
 * it through, so that its SACK blocks still count.
 */
function disorderedAck(s: TcpSocket, seg: TcpRepr, seq: number, flags: number, tsval: number): boolean {
  if ((flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) !== TCP_ACK || seg.payload.length > 0) return false;
  if (seq !== s.rcvNxt || seg.ack !== s.sndUna) return false;
  const wnd = seg.window * 2 ** s.sndWscale;
  if (seqGt(seq, s.sndWl1) || (seq === s.sndWl1 && (wnd > s.sndWnd || wnd === 0))) return false;
  return ((s.tsRecent - tsval) | 0) <= currentRto(s);
}

/** Whether processing closed the connection (read again: the state changes under us). */
function closed(s: TcpSocket): boolean { return (s.state as TcpState) === CLOSED; }

/**
 * RFC 9293 §3.10.7.4 "first", with Linux's tolerance for a segment spanning the whole window.
 * Distances are taken unsigned from RCV.NXT, so that a segment 2^31 away (where the signed
 * comparisons of seq.ts both hold) is never taken for one covering RCV.NXT (Linux tcp_sequence).
 */
function acceptable(rcvNxt: number, wnd: number, seq: number, len: number): boolean {
  const off = (seq - rcvNxt) >>> 0;
  if (len === 0) return wnd === 0 ? off === 0 : off < wnd;
  if (wnd === 0) return false;
  // The first octet in the window, or RCV.NXT within the segment (its later octets in the
  // window, or the segment spanning all of it).
  if (off < wnd) return true;
  const before = (rcvNxt - seq) >>> 0;
  return before > 0 && before < len;
}

/** Linux TCP_DELACK_MAX. */
const DELACK_MAX_MS = 200;

/** The SYN-ACK acknowledged (some of) a Fast Open SYN's data: it leaves the send queue. */
function synDataAcked(s: TcpSocket, ack: number): void {
  const q = s.sendQ;
  const una = seqAdd(s.iss, 1);
  let n = 0;
  while (!q.empty) {
    const skb = q.first()!;
    if (seqLe(skb.end, ack)) { n += skb.len; q.shift(); continue; }
    if (seqLt(skb.seq, ack)) { const k = seqSub(ack, skb.seq); n += k; q.trimHead(k); }
    break;
  }
  if (seqGt(ack, una)) s.bytesAcked += n;
}

/** Linux tcp_non_congestion_loss_retransmit: every segment in flight is lost; retransmit without touching cwnd. */
function fastopenRetransmit(s: TcpSocket): void {
  const q = s.sendQ;
  for (let i = q.head; i < q.sendIdx; i++) {
    const skb = q.skbs[i]!;
    if (!skb.lost) { skb.lost = true; s.lostBytes += units(skb); q.tsUnlink(skb); }
  }
  if (s.caState !== CA_LOSS) {
    s.recoveryPoint = s.sndNxt;
    s.caState = CA_LOSS;
  }
  s.rtxHint = s.sndUna;
  transmit(s);
}

/** RFC 9293 §3.10.7.3: SYN-SENT. */
function synSentArrives(s: TcpSocket, seg: TcpRepr, pkt: IpPacket, now: number): void {
  const flags = seg.flags;
  const hasAck = (flags & TCP_ACK) !== 0;
  // first: the ACK must acknowledge our SYN, else <SEQ=SEG.ACK><CTL=RST>.
  const ackOk = hasAck && seqGt(seg.ack, s.iss) && seqLe(seg.ack, s.sndNxt);
  if (hasAck && !ackOk) {
    sendResetReply(s.tcp, pkt, seg);
    return;
  }
  // RFC 7323 §5 / Linux PAWSActiveRejected: a SYN-ACK echoing a timestamp we never sent is
  // answered with a reset.
  const ts = seg.options.timestamp;
  if (hasAck && ts !== undefined && ts.tsecr !== 0 && s.tcp.config.timestamps) {
    const first = Math.floor(s.synSentAt0);
    if (((ts.tsecr - s.tsOffset - first) >>> 0) > Math.floor(now) - first) {
      s.tcp.stats.PAWSActiveRejected++;
      sendResetReply(s.tcp, pkt, seg);
      return;
    }
  }
  // second: RST, acceptable only with an acceptable ACK (RFC 5961 §3.2 / RFC 9293).
  if ((flags & TCP_RST) !== 0) {
    if (ackOk) resetArrived(s);
    return;
  }
  // fourth: SYN.
  if ((flags & TCP_SYN) === 0) return;
  s.rcvTstamp = now;
  s.irs = seg.seq;
  s.rcvNxt = seqAdd(seg.seq, 1);
  s.rcvWup = s.rcvNxt;
  // The window our SYN offered (RFC 7323 §2.2: unscaled) is where the right edge starts.
  s.rcvAdvEdge = seqAdd(s.rcvNxt, Math.min(receiveSpace(s), 65535));
  negotiateFromSynAck(s, seg, now);
  if (ackOk) {
    ecnSynack(s, seg); // RFC 3168 §6.1.1
    // Linux tcp_finish_connect saves the ACK for data a writer is about to send (sk_write_pending).
    const writePending = s.writePending > 0;
    // A Fast Open SYN's data (RFC 7413 §4.2.1) leaves the queue as far as the SYN-ACK acknowledges it.
    if (s.sendQ.count > 0) synDataAcked(s, seg.ack);
    s.sndUna = seg.ack;
    if (s.zcPending.length > 0) zerocopyAcked(s);
    if (s.tsMarks !== null) tstampAcked(s);
    // RFC 7323 §2.2: the window in a SYN is never scaled.
    s.sndWnd = seg.window;
    s.sndWl1 = seg.seq;
    s.sndWl2 = seg.ack;
    s.maxSndWnd = s.sndWnd;
    if (handshakeRtt(s, seg, now)) s.backoff = 0;
    established(s);
    if (s.synFastopen || s.synData) {
      if (fastopenSynack(s, seg, now)) {
        // RFC 7413 §4.2.1 / Linux tcp_rcv_fastopen_synack: the SYN's data was not acknowledged:
        // it is sent again now (a loss that says nothing about congestion), carrying the ACK.
        fastopenRetransmit(s);
        return;
      }
      // RFC 7413 §4.2.2: data on the SYN-ACK of a Fast Open is taken (Linux tcp_fastopen_add_skb).
      if (seg.payload.length > 0 || (flags & TCP_FIN) !== 0) dataArrives(s, s.rcvNxt, seg.payload, (flags & TCP_FIN) !== 0, now, 1, seg, pkt);
    }
    if (closed(s)) return;
    if (writePending) {
      // Linux: quick-ACK mode, and the ACK rides on the data a waiting writer sends next (else TCP_DELACK_MAX).
      enterQuickack(s);
      s.ackPending |= ACK_SCHED | ACK_TIMER;
      s.delackTimer.ensure(DELACK_MAX_MS);
      transmit(s);
      return;
    }
    s.ackNow = true;
    transmit(s);
    return;
  }
  // Simultaneous open (RFC 9293 §3.5 figure 7): SYN-RECEIVED, answer <SYN,ACK>.
  ecnSimultaneousSyn(s, seg);
  s.sndWnd = seg.window;
  s.sndWl1 = seg.seq;
  s.sndWl2 = s.iss;
  s.maxSndWnd = s.sndWnd;
  setState(s, SYN_RECEIVED);
  sendSyn(s, true);
}

/**
 * The RTT sample of the handshake (Linux tcp_ack_update_rtt on the SYN or SYN-ACK): from when our
 * SYN (SYN-ACK) was sent, unless it was retransmitted (RFC 6298 §3, Karn); then from the echoed
 * timestamp, which names the transmission it answers (RFC 7323 §4). Whether there was one.
 */
function handshakeRtt(s: TcpSocket, seg: TcpRepr, now: number): boolean {
  let r = -1;
  if (!s.synLost) r = now - s.synSentAt;
  else {
    const ts = s.tsOk ? seg.options.timestamp : undefined;
    if (ts !== undefined && ts.tsecr !== 0) r = (tsNow(s) - ts.tsecr) | 0;
  }
  if (r < 0) return false;
  measured(s, r, now);
  return true;
}

/** RFC 9293 §3.10.7.4 fifth, SYN-RECEIVED: our SYN is acknowledged. False: drop the segment. */
function synReceivedAcked(s: TcpSocket, seg: TcpRepr, pkt: IpPacket, now: number): boolean {
  if (s.fastopenRsk) { fastopenEstablished(s, seg, now); return true; }
  const parent = s.parent;
  if (s.passive && parent !== null && parent.acceptQueue.length > parent.backlog) {
    // Linux tcp_check_req, listen_overflow: the accept queue is full. tcp_abort_on_overflow = 0:
    // the ACK is dropped and the request stays (acked); its SYN-ACK timer makes the peer repeat
    // its ACK. = 1: the request is reset.
    s.tcp.stats.ListenOverflows++;
    s.tcp.stats.ListenDrops++;
    if (s.tcp.config.abortOnOverflow) {
      sendResetReply(s.tcp, pkt, seg);
      s.tcp.stats.EmbryonicRsts++;
      done(s);
    }
    return false;
  }
  s.sndUna = seg.ack;
  s.sndWnd = seg.window * 2 ** s.sndWscale;
  s.sndWl1 = seg.seq;
  s.sndWl2 = seg.ack;
  s.maxSndWnd = s.sndWnd;
  handshakeRtt(s, seg, now);
  if (s.passive && parent !== null) synDequeue(parent, s);
  established(s);
  if (s.passive && parent !== null) {
    parent.acceptPush(s);
    s.tcp.stats.PassiveOpens++;
    notify(parent);
  }
  return true;
}

/**
 * A Fast Open child's SYN-ACK is acknowledged (Linux tcp_rcv_synrecv_state_fastopen): ESTABLISHED;
 * the data it sent meanwhile is then acknowledged as on any connection (SND.UNA stays past the SYN).
 */
function fastopenEstablished(s: TcpSocket, seg: TcpRepr, now: number): void {
  s.sndWnd = seg.window * 2 ** s.sndWscale;
  s.sndWl1 = seg.seq;
  s.sndWl2 = seg.ack;
  s.maxSndWnd = Math.max(s.maxSndWnd, s.sndWnd);
  if (!s.synLost && s.srtt === 0) measured(s, now - s.synSentAt, now);
  s.retransmits = 0;
  if (s.retransBytes === 0) s.retransStamp = 0;
  fastopenChildDone(s);
  setState(s, ESTABLISHED);
  s.rtxTimer.stop();
  if (s.sndNxt !== s.sndUna) s.rtxTimer.after(currentRto(s));
  notify(s);
}

/** RFC 9293 §3.10.7.4 fifth: the ACK field. False: drop the rest of the segment. */
function ackArrives(s: TcpSocket, seg: TcpRepr, now: number): boolean {
  const ack = seg.ack;
  // RFC 9293 / RFC 5961 §5.2: an ACK for data never sent, or older than one window: ACK and drop
  // (Linux >= 6.11 tcp_ack: a challenge ACK for both; older ones dropped the first silently).
  if (seqGt(ack, s.sndNxt) || seqLt(ack, (s.sndUna - s.maxSndWnd) >>> 0)) {
    sendOowAck(s, true, true);
    return false;
  }
  // RFC 7323 §4.3: TS.Recent takes TSval of a segment covering Last.ACK.sent, once its ACK is
  // known acceptable and not old (Linux tcp_ack: FLAG_UPDATE_TS_RECENT after those checks).
  const ts = s.tsOk ? seg.options.timestamp : undefined;
  if (ts !== undefined && seqGe(ack, s.sndUna) && seqLe(seg.seq, s.rcvWup) && ((ts.tsval - s.tsRecent) | 0) >= 0) {
    s.tsRecent = ts.tsval;
    s.tsRecentStamp = now;
  }
  s.lastAckRecv = now;
  s.probesOut = 0; // Linux: any acceptable ACK proves the peer alive
  s.softErr = 0;
  const priorUna = s.sndUna;
  const oldWnd = s.sndWnd;
  // Send window update with SND.WL1 / SND.WL2 (RFC 9293 §3.10.7.4), scaled (RFC 7323 §2.3).
  if (seqGe(ack, s.sndUna) && (seqLt(s.sndWl1, seg.seq) || (s.sndWl1 === seg.seq && seqLe(s.sndWl2, ack)))) {
    const wnd = seg.window * 2 ** s.sndWscale;
    s.sndWnd = wnd;
    s.sndWl1 = seg.seq;
    s.sndWl2 = ack;
    if (wnd > s.maxSndWnd) s.maxSndWnd = wnd;
    if (oldWnd === 0 && wnd > 0) {
      // Linux tcp_ack_probe: the window opened; the probe backoff is over.
      s.backoff = 0;
      s.probeStart = 0;
    }
  }
  const rack = rackEnabled(s);
  if (s.sackOk) rackAckStart(s);
  // Linux rx_opt.rcv_tsecr, for the undo checks (recovery.ts); a hold on retransmissions lasts one ACK.
  s.rcvTsecr = ts !== undefined && ts.tsecr !== 0 ? ts.tsecr : -1;
  s.rexmitHold = false;
  // RFC 3168 §6.1.2: an ECN echo reduces the window, once per window of data (Linux FLAG_ECE).
  if (s.ecnFlags !== 0 && ecnEcho(s, seg) && s.caState < CA_CWR) enterCwr(s, now);
  let acked = 0;
  const sacked0 = s.sackedBytes;
  if (seqGt(ack, s.sndUna)) acked = cleanAcked(s, ack, seg, now, rack);
  const sacked1 = s.sackedBytes;
  let sackNew = false;
  const blocks = seg.options.sack;
  if (s.sackOk && blocks !== undefined) sackNew = sackUpdate(s, blocks, ack, now);
  // Linux tcp_ack's `delivered`: what this ACK acknowledged for the first time, cumulatively
  // (less what was SACKed before) or selectively; the congestion window grows by it.
  const delivered = acked - (sacked0 - sacked1) + (s.sackedBytes - sacked1);
  // RFC 5681 §2 duplicate ACK; RFC 6675 §2: with SACK, an ACK that SACKs new data.
  const plainDup = seg.payload.length === 0 && (seg.flags & TCP_FIN) === 0 && s.sndWnd === oldWnd && s.sndWnd > 0;
  const dup = acked === 0 && seqLt(s.sndUna, s.sndNxt) && (s.sackOk ? sackNew : plainDup);
  if (rack) rackAckDone(s, now);
  // RFC 8985 §7.4: an ACK during a loss probe episode.
  if (s.tlp.active) tlpOnAck(s, ack, acked === 0 && plainDup && blocks === undefined, now);
  // Linux tcp_ack_is_dubious: a D-SACK alone may undo a recovery (tcp_try_undo_dsack).
  if (acked > 0 || dup || sackNew || (s.rack.dsack && s.undoMarker >= 0)) ackRecovery(s, acked, delivered, dup, sackNew, priorUna, now);
  if (seqGe(s.sndUna, s.maxFlightSeq)) { s.maxFlight = s.inFlight; s.maxFlightSeq = s.sndNxt; }
  rearmTimers(s, acked > 0);

  // Our FIN acknowledged?
  if (s.finSeq >= 0 && seqGt(s.sndUna, s.finSeq)) {
    switch (s.state) {
      case FIN_WAIT_1:
        setState(s, FIN_WAIT_2);
        // Linux tcp_fin_timeout: an orphan does not wait for the peer's FIN forever.
        if (s.orphan) s.closeTimer.after(s.tcp.config.finTimeoutMs);
        notify(s);
        break;
      case CLOSING:
        enterTimeWait(s);
        return false;
      case LAST_ACK:
        done(s);
        return false;
    }
  }
  return true;
}

/** Removes acknowledged data (Linux tcp_clean_rtx_queue); RTT samples; RFC 6298 timer rules. */
function cleanAcked(s: TcpSocket, ack: number, seg: TcpRepr, now: number, rack: boolean): number {
  const q = s.sendQ;
  const acked = seqSub(ack, s.sndUna);
  let rtt = -1;
  // Linux ca_rtt_us: the round trip of the last segment acknowledged (congestion control's sample).
  let caRtt = -1;
  const t = seg.options.timestamp;
  const tsecr = rack && s.tsOk && t !== undefined && t.tsecr !== 0 ? t.tsecr : -1;
  while (!q.empty) {
    const skb = q.first()!;
    if (seqLe(skb.end, ack)) {
      const u = units(skb);
      // RFC 8985 §6.2: a segment delivered now (SACKed ones were told when SACKed).
      if (rack && !skb.sacked) rackDelivered(s, skb, skb.end, now, tsecr, true);
      if (skb.sacked) s.sackedBytes -= u;
      else if (skb.lost) s.lostBytes -= u;
      if (skb.retrans) s.retransBytes -= u;
      // RFC 6298 §3 (Karn): no sample from a retransmitted segment.
      if (!skb.everRetrans && skb.sentAt >= 0) {
        if (rtt < 0) rtt = now - skb.sentAt;
        caRtt = now - skb.sentAt;
      }
      q.shift();
      continue;
    }
    if (seqLt(skb.seq, ack)) {
      const n = seqSub(ack, skb.seq);
      if (rack && !skb.sacked) rackDelivered(s, skb, ack, now, tsecr, true);
      if (skb.sacked) s.sackedBytes -= n;
      else if (skb.lost) s.lostBytes -= n;
      if (skb.retrans) s.retransBytes -= n;
      if (!skb.everRetrans && skb.sentAt >= 0) {
        if (rtt < 0) rtt = now - skb.sentAt;
        caRtt = now - skb.sentAt;
      }
      q.trimHead(n);
    }
    break;
  }
  s.sndUna = ack;
  s.bytesAcked += acked;
  if (s.zcPending.length > 0) zerocopyAcked(s);
  if (s.tsMarks !== null) tstampAcked(s);
  s.retransmits = 0;
  if (s.retransBytes === 0) s.retransStamp = 0;
  if (rtt < 0 && s.tsOk) {
    // RFC 7323 §4.1: RTTM from the echoed timestamp of an ACK that advances the left edge.
    if (t !== undefined && t.tsecr !== 0) {
      const r = (tsNow(s) - t.tsecr) | 0;
      if (r >= 0) rtt = r;
    }
  }
  if (rtt >= 0) {
    measured(s, rtt, now);
    s.backoff = 0; // Linux: backoff ends with a valid RTT measurement (RFC 6298 §5.7)
    // Linux tcp_ack_update_rtt / pkts_acked: congestion control's sample, from the timestamp when no segment gave one.
    if (s.cc.onRtt !== undefined) s.cc.onRtt(s, caRtt >= 0 ? caRtt : rtt, now);
  }
  // RFC 6298 §5.2 / §5.3: stop when all is acknowledged, else restart.
  if (s.sndUna === s.sndNxt) s.rtxTimer.stop();
  else s.rtxTimer.after(currentRto(s));
  return acked;
}

/** An RTT measurement: RFC 6298's estimator, RACK.min_RTT (RFC 8985 §6.2 step 1), and a probe may follow (RFC 8985 §7.3). */
function measured(s: TcpSocket, r: number, now: number): void {
  rttSample(s, r);
  if (r >= 0) s.rack.rttSample(r, now);
  s.tlp.rttSampled = true;
}

/**
 * Persist mode while the window is closed (RFC 9293 §3.8.6.1), the RTO otherwise; after an ACK
 * that advanced SND.UNA, the loss probe timeout (RFC 8985 §7.2; Linux tcp_set_xmit_timer), which
 * transmit() arms.
 */
function rearmTimers(s: TcpSocket, advanced: boolean): void {
  const out = seqSub(s.sndNxt, s.sndUna);
  if (s.sndWnd === 0 && out === 0 && s.sendQ.unsent() !== undefined) {
    s.rtxTimer.stop();
    armPersist(s);
    return;
  }
  if (s._persistTimer?.armed === true && s.sndWnd > 0) s._persistTimer.stop();
  if (out > 0 && !s.rtxTimer.armed) s.rtxTimer.after(currentRto(s));
  // RFC 8985 §7.2: the probe timeout follows this ACK, once transmit() has sent what it allows.
  if (advanced) s.tlp.rearm = true;
}

/**
 * RFC 9293 §3.10.7.4 seventh (segment text) and eighth (FIN), Linux tcp_data_queue; when to ACK
 * is delack.ts's. `seg`, `gso` and `tos` describe the arriving segment (its header, flags, the size
 * of the segments a coalesced one stands for, its IP ECN bits).
 */
function dataArrives(s: TcpSocket, seq: number, data: Uint8Array, fin: boolean, now: number, segs: number, seg: TcpRepr, pkt: IpPacket): void {
  const gso = pkt.gso ?? 0;
  const tos = pkt.tos;
  const st = s.state;
  // In CLOSE-WAIT, CLOSING, LAST-ACK and TIME-WAIT the peer already sent its FIN: ignore.
  if (st !== ESTABLISHED && st !== FIN_WAIT_1 && st !== FIN_WAIT_2) return;
  // RFC 1122 §4.2.2.13 / RFC 2525 §2.17 (Linux TCPAbortOnData): new data after the application
  // closed or shut down reading in FIN-WAIT: reset.
  if (s.rcvShutdown && (st === FIN_WAIT_1 || st === FIN_WAIT_2) && data.length > 0 && seqGt(seqAdd(seq, data.length), s.rcvNxt)) {
    // Linux tcp_rcv_state_process returns 1 (tcp_reset, then tcp_v4_send_reset): the reset
    // answers the segment (<SEQ=SEG.ACK><CTL=RST>), the connection ends with ECONNRESET.
    s.tcp.stats.TCPAbortOnData++;
    sendResetReply(s.tcp, pkt, seg);
    if (!s.orphan) s.err = ECONNRESET;
    done(s);
    return;
  }
  // Trim what was received already (RFC 9293 §3.10.7.4: "segments with higher beginning
  // sequence numbers ... may be held", earlier octets are duplicates).
  if (seqLt(seq, s.rcvNxt)) {
    const d = seqSub(s.rcvNxt, seq);
    if (d < 0) return; // 2^31 away: never in the window (acceptable() turned it away)
    if (d >= data.length) {
      if (data.length > 0 && s.sackOk && s.tcp.config.dsack) s.dsack = [seq, seqAdd(seq, data.length)]; // RFC 2883
      // Linux: a retransmission of what arrived: our ACK was lost; ACK at once (quick-ACK mode).
      if (data.length > 0) { s.tcp.stats.DelayedACKLost++; enterQuickack(s); }
      s.ackPending |= ACK_SCHED;
      s.ackNow = true;
      if (!fin || seqAdd(seq, data.length) !== s.rcvNxt) return;
      data = EMPTY;
    } else {
      if (s.sackOk && s.tcp.config.dsack) s.dsack = [seq, s.rcvNxt];
      data = data.subarray(d);
    }
    seq = s.rcvNxt;
  }
  // Trim what lies beyond the advertised window (and a FIN there).
  const room = seqSub(s.rcvAdvEdge, seq);
  if (data.length > room) {
    data = data.subarray(0, room > 0 ? room : 0);
    fin = false;
    s.ackNow = true;
  }
  if (seq !== s.rcvNxt) {
    // Out of order: hold it, and ACK at once (RFC 5681 §4.2) with SACK blocks (RFC 2018 §4).
    if (s.ecnFlags !== 0) ecnReceive(s, seg, tos); // Linux tcp_data_queue_ofo: tcp_ecn_check_ce first
    s.ackPending |= ACK_SCHED;
    s.ackNow = true;
    if (data.length > 0 && !rmemSchedule(s, seq)) {
      s.tcp.stats.TCPOFODrop++;
      return;
    }
    s.ooo.insert(seq, data, fin);
    s.tcp.stats.TCPOFOQueue++;
    if (data.length > 0) growWindow(s, data.length); // Linux tcp_data_queue_ofo
    return;
  }
  const len = data.length;
  // Linux tcp_data_queue: no room even after pruning drops in-order data (the sender sends it
  // again), unless the receive queue is empty: then it is taken all the same.
  if (len > 0 && !rmemSchedule(s, seq) && s.recvQ.bytes > 0) {
    s.tcp.stats.TCPRcvQDrop++;
    s.ackNow = true;
    return;
  }
  if (len > 0) {
    // Linux tcp_event_data_recv: the delayed-ACK engine learns from every in-order arrival.
    const remnant = (seg.flags & (TCP_PSH | TCP_FIN | TCP_RST | TCP_SYN | TCP_URG)) !== 0;
    eventDataRecv(s, gso > 0 && gso < len ? gso : len, seg.headerLength, remnant, now);
    // RFC 3168 §6.1.3: CWR from the sender, CE marks on its data (Linux: at the end of tcp_event_data_recv).
    if (s.ecnFlags !== 0) ecnReceive(s, seg, tos);
    s.recvQ.push(data);
    if (len >= 128) growWindow(s, len); // Linux tcp_event_data_recv
    s.rcvNxt = seqAdd(s.rcvNxt, len);
    s.bytesReceived += len;
    s.dataSegsIn += segs;
    s.lastDataRecv = now;
    if (s.ooo.count > 0) {
      // RFC 5681 §4.2: a segment that fills a gap is acknowledged at once.
      s.rcvNxt = s.ooo.drain(s.rcvNxt, (v) => { s.recvQ.push(v); s.bytesReceived += v.length; });
      if (s.ooo.count === 0) s.ackPending |= ACK_NOW;
    }
  }
  if (s.ooo.finSeq >= 0 && s.ooo.finSeq === s.rcvNxt) fin = true;
  if (fin) finArrives(s);
  if ((s.ackPending & ACK_SCHED) !== 0 && !closed(s)) ackSndCheck(s); // Linux tcp_ack_snd_check
  notify(s);
}

/**
 * Room for a segment arriving at `seq` (Linux tcp_try_rmem_schedule): while what the receive and
 * out-of-order queues are charged (truesize, mem.ts) is within sk_rcvbuf it is taken, even if it
 * goes over; past it, tcp_prune_queue. False: no room. Linux checks memory, not the offered
 * window: a window is never taken back (RFC 7323 §2.4), but data it let in that does not fit (say
 * after SO_RCVBUF shrank) is dropped, and the sender sends it again.
 */
function rmemSchedule(s: TcpSocket, seq: number): boolean {
  if (s.recvQ.mem + s.ooo.mem <= s.rmemLimit) return true;
  return pruneQueue(s, seq);
}

/**
 * Linux tcp_prune_queue: grow an unlocked buffer to what is held, up to tcp_rmem[2]
 * (tcp_clamp_window); else collapse both queues into compact buffers (tcp_collapse_ofo_queue,
 * tcp_collapse); else drop out-of-order data from the highest down to the segment's place, in
 * steps of an eighth of the buffer (tcp_prune_ofo_queue).
 */
function pruneQueue(s: TcpSocket, seq: number): boolean {
  const st = s.tcp.stats;
  st.PruneCalled++;
  let mem = s.recvQ.mem + s.ooo.mem;
  const rmem2 = s.tcp.config.rmem[2];
  if (!s.rcvbufLocked && s.rmemLimit < rmem2) s.rcvbufClamped = mem < rmem2 ? mem : rmem2;
  if (mem <= s.rmemLimit) return true;
  if (s.ooo.wasteful()) { s.ooo.collapse(); st.TCPRcvCollapsed++; }
  if (s.recvQ.wasteful()) { s.recvQ.collapse(); st.TCPRcvCollapsed++; }
  mem = s.recvQ.mem + s.ooo.mem;
  if (mem <= s.rmemLimit) return true;
  if (s.ooo.count > 0) {
    const goal = s.rmemLimit >> 3;
    const over = mem - s.rmemLimit;
    if (s.ooo.pruneFrom(seq, Math.ceil(over / goal) * goal) > 0) {
      st.OfoPruned++;
      if (s.recvQ.mem + s.ooo.mem <= s.rmemLimit) return true;
    }
  }
  st.RcvPruned++;
  return false;
}

/** RFC 9293 §3.10.7.4 eighth: the peer's FIN (Linux tcp_fin). */
function finArrives(s: TcpSocket): void {
  s.rcvNxt = seqAdd(s.rcvNxt, 1);
  s.finRcvd = true;
  s.rcvShutdown = true;
  s.ooo.clear();
  s.ackPending |= ACK_SCHED;
  switch (s.state) {
    case ESTABLISHED:
      setState(s, CLOSE_WAIT);
      // Linux: ping-pong mode, hoping the ACK rides on our own FIN; the delayed-ACK timeout
      // decides (none yet when no data came: at once).
      s.pingpong = 1;
      break;
    case FIN_WAIT_1:
      // Our FIN is not acknowledged yet (else we would be in FIN-WAIT-2): simultaneous close.
      setState(s, CLOSING);
      s.ackNow = true;
      break;
    case FIN_WAIT_2:
      s.ackNow = true;
      enterTimeWait(s);
      break;
  }
}

/**
 * TIME-WAIT (RFC 9293 §3.10.7.4; Linux tcp_timewait_state_process): a retransmitted FIN is
 * acknowledged again and restarts the 2*MSL timer; an in-window RST ends TIME-WAIT (Linux's
 * default, tcp_rfc1337 = 0); a new SYN is handled by the Tcp object (it may reopen).
 */
function timeWaitArrives(s: TcpSocket, seg: TcpRepr, now: number): void {
  const flags = seg.flags;
  const ts = s.tsOk ? seg.options.timestamp : undefined;
  const pawsReject = ts !== undefined && ((ts.tsval - s.tsRecent) | 0) < 0 && now - s.tsRecentStamp < PAWS_IDLE_MS;
  const segLen = seg.payload.length + ((flags & TCP_SYN) !== 0 ? 1 : 0) + ((flags & TCP_FIN) !== 0 ? 1 : 0);
  if (!pawsReject && seg.seq === s.rcvNxt && (segLen === 0 || (flags & TCP_RST) !== 0)) {
    if ((flags & TCP_RST) !== 0) { s.tcp.stats.TW++; done(s); return; }
    s.closeTimer.after(s.tcp.config.timeWaitMs);
    if (ts !== undefined) { s.tsRecent = ts.tsval; s.tsRecentStamp = now; }
    return;
  }
  if ((flags & TCP_RST) !== 0) return;
  if (pawsReject || (flags & TCP_ACK) !== 0) s.closeTimer.after(s.tcp.config.timeWaitMs);
  sendOowAck(s, false, true);
}

/** For the Tcp object: whether a SYN may reopen this TIME-WAIT connection (RFC 1122 §4.2.2.13, RFC 6191). */
export function timeWaitAcceptsSyn(s: TcpSocket, seg: TcpRepr): boolean {
  if ((seg.flags & (TCP_SYN | TCP_RST | TCP_ACK)) !== TCP_SYN) return false;
  const ts = s.tsOk ? seg.options.timestamp : undefined;
  if (ts !== undefined && ((ts.tsval - s.tsRecent) | 0) > 0) return true;
  return seqGt(seg.seq, s.rcvNxt);
}
