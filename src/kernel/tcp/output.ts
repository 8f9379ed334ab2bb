// Segment output (Linux tcp_output.c): what to send and when — new data within the
// congestion and send windows, Nagle and sender-side silly-window avoidance, retransmissions
// of segments deemed lost, SYN / SYN-ACK, pure ACKs and window updates, resets, probes.
// Segments are built in buffers with HEADROOM free in front; a never-sent chunk of the send
// queue is sent in place (see buffers.ts), anything else is copied once into a fresh buffer.
import { TCP_ACK, TCP_ECE, TCP_FIN, TCP_HEADER_LEN, TCP_PSH, TCP_RST, TCP_SYN, emitTcpHeader, tcpOptionsLength, type TcpHeaderFields, type TcpOptions, type TcpRepr } from '../../wire/tcp.js';
import { EMSGSIZE } from '../../uapi/errno.js';
import { HEADROOM, IPPROTO_TCP, type IpOutputOptions, type IpPacket } from '../ip-types.js';
import type { Skb } from './buffers.js';
import { currentRto } from './rto.js';
import { synDataSpace } from './fastopen.js';
import { cwndQuota, tsoSegs, tsoShouldDefer } from './tso.js';
import { ecnSend, synEcnFlags } from './ecn.js';
import { mssForMtu } from './options.js';
import { RTX_PROBE, RTX_REO } from './lazy-timer.js';
import { writeSpace } from './lifecycle.js';
import { tstampSent } from './timestamping.js';
import { scheduleLossProbe } from './tlp.js';
import { eventAckSent, eventDataSent } from './delack.js';
import { seqAdd, seqGt, seqLt, seqMax, seqSub } from './seq.js';
import { CLOSE_WAIT, CLOSING, ESTABLISHED, FIN_WAIT_1, LAST_ACK } from './state.js';
import { CA_CWR, CA_RECOVERY } from './tcb.js';
import { enterCwr } from './ecn.js';
import type { Tcp } from './index.js';
import type { TcpSocket } from './socket.js';

/** RFC 1191 / RFC 8201 path MTU discovery: every segment leaves with DF set. */
const DF: IpOutputOptions = { dontFragment: true };

// Scratch objects of the output path, shared by every connection in the process: each is filled
// and consumed (header written, packet handed to IP, which keeps no reference to the options)
// within one call, and nothing in between sends another segment. Kept per connection they cost
// an idle connection ~370 bytes.
/** The options of a non-SYN segment (segmentOptions fills them, emit writes them). */
const txOpts: TcpOptions = {};
/** The header fields emit writes. */
const txHdr: TcpHeaderFields = { srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, options: undefined };
/** IP output options of a super-segment (DF, `gso`, the link-local interface). */
const gsoOpts: IpOutputOptions = { dontFragment: true, gso: 0, ifindex: undefined };
/** IP output options of a segment with a TOS / traffic class or ECN codepoint, or without DF. */
const tosOpts: IpOutputOptions = { dontFragment: true, tos: 0, ifindex: undefined, gso: undefined };

/** Sequence space an skb takes (payload plus one for a FIN). */
export function units(skb: Skb): number { return skb.len + (skb.fin ? 1 : 0); }

/** RFC 7323 §5.4: TSval is a millisecond clock plus a per-connection offset. */
export function tsNow(s: TcpSocket): number {
  return (Math.floor(s.tcp.sched.now()) + s.tsOffset) >>> 0;
}

/** States in which queued data and FIN may be sent. */
function canSend(st: number): boolean {
  return st === ESTABLISHED || st === CLOSE_WAIT || st === FIN_WAIT_1 || st === CLOSING || st === LAST_ACK;
}

// ---- the receive window ----------------------------------------------------------------------------

/** Free room in the receive buffer (bytes). */
export function receiveSpace(s: TcpSocket): number {
  const free = s.rcvBudget - s.recvQ.bytes - s.ooo.bytes;
  return free > 0 ? free : 0;
}

/**
 * The window to advertise now (bytes), moving the advertised right edge. RFC 9293 §3.8.6.2.2:
 * the right edge moves forward only once the window can grow by min(RCV.BUFF/2, Eff.snd.MSS)
 * (receiver silly-window avoidance); RFC 7323 §2.4 / RFC 9293 §3.8.6: it never moves back.
 */
export function selectWindow(s: TcpSocket): number {
  const win = selectWindowPeek(s);
  s.rcvAdvEdge = (s.rcvNxt + win) >>> 0;
  return win;
}

/** The window selectWindow() would announce now, without announcing it (Linux __tcp_select_window). */
export function selectWindowPeek(s: TcpSocket): number {
  const cur = (s.rcvAdvEdge - s.rcvNxt) | 0;
  const curWin = cur > 0 ? cur : 0;
  const shift = s.rcvWscale;
  const max = 65535 << shift; // below 2^30 (RFC 7323 §2.3: shift <= 14)
  let free = s.rcvBudget - s.recvQ.bytes - s.ooo.bytes;
  if (free < 0) free = 0;
  else if (free > max) free = max;
  if (free > s.rcvSsthresh) free = s.rcvSsthresh; // Linux __tcp_select_window
  let win = curWin;
  const half = s.rcvBudget >> 1;
  const step = half < s.rcvMss ? half : s.rcvMss;
  if (free - curWin >= step || (free > curWin && free === max)) win = free;
  if (shift > 0) {
    const w = (win >>> shift) << shift;
    win = w >= curWin ? w : (((curWin + (1 << shift) - 1) >>> shift) << shift);
  }
  return win;
}

/** The 16-bit window field of a non-SYN segment (RFC 7323 §2.3: scaled down by our shift). */
function windowField(s: TcpSocket): number {
  const f = selectWindow(s) >>> s.rcvWscale;
  return f > 65535 ? 65535 : f;
}

/** RFC 7323 §2.2: the window in a SYN or SYN-ACK is never scaled. */
function synWindow(s: TcpSocket): number {
  const free = receiveSpace(s);
  const win = free > 65535 ? 65535 : free;
  s.rcvSsthresh = win; // Linux tcp_connect_init / tcp_openreq_init_rwin: rcv_ssthresh = rcv_wnd
  return win;
}

/**
 * Linux tcp_grow_window: data of `len` bytes arrived (in order, at least 128 bytes, or out of
 * order); rcv_ssthresh grows by twice the larger of it and the MSS we announced, up to the room
 * the buffer has (skbs are taken to be of the usual truesize: tcp_win_from_space(truesize) <= len).
 */
export function growWindow(s: TcpSocket, len: number): void {
  const clamp = 65535 * 2 ** s.rcvWscale;
  const space = receiveSpace(s);
  const room = (space < clamp ? space : clamp) - s.rcvSsthresh;
  if (room <= 0) return;
  const incr = 2 * (len > s.advMss ? len : s.advMss);
  s.rcvSsthresh += incr < room ? incr : room;
}

// ---- options -------------------------------------------------------------------------------------

/** Fills the reusable options of a non-SYN segment; returns their length. */
function segmentOptions(s: TcpSocket): number {
  const o = txOpts;
  o.mss = undefined;
  o.wscale = undefined;
  o.sackPermitted = undefined;
  let n = 0;
  if (s.tsOk) {
    // RFC 7323 §3.2: TSval our clock, TSecr the TS.Recent to echo.
    let ts = o.timestamp;
    if (ts === undefined) ts = o.timestamp = { tsval: 0, tsecr: 0 };
    ts.tsval = tsNow(s);
    ts.tsecr = s.tsRecent;
    n = 12;
  } else o.timestamp = undefined;
  o.sack = undefined;
  if (s.sackOk && (s.dsack !== null || s.ooo.count > 0)) {
    // RFC 2018 §3: at most 3 blocks next to timestamps, 4 without; RFC 2883 §4: a D-SACK block goes first.
    const max = s.tsOk ? 3 : 4;
    const blocks = s.ooo.sackBlocks(s.dsack !== null ? max - 1 : max, s.rcvNxt);
    if (s.dsack !== null) blocks.unshift(s.dsack);
    if (blocks.length > 0) {
      o.sack = blocks;
      n += 4 + 8 * blocks.length;
    }
  }
  return n;
}

/** Room for SACK blocks while some are to be reported: segments carry that much less data. */
function sackRoom(s: TcpSocket): number {
  if (!s.sackOk || (s.dsack === null && s.ooo.count === 0)) return 0;
  return s.tsOk ? 4 + 8 * 3 : 4 + 8 * 4;
}

/**
 * Payload of a full segment sent now (Linux tcp_current_mss): the MSS less the room for the SACK
 * blocks the segment will carry. Retransmissions are cut to it, or they would not fit the path.
 */
export function currentMss(s: TcpSocket): number {
  return s.mss - sackRoom(s);
}

// ---- sending one segment ---------------------------------------------------------------------------

/**
 * Writes the header at buf[off] (payload already after it) and hands the segment to IP. `gso` > 0:
 * a super-segment of segments of that many bytes (TSO); its checksum is left partial, as the
 * segmentation computes each real segment's (src/wire/gso.ts) and nobody else checks it.
 */
function emit(s: TcpSocket, buf: Uint8Array, off: number, seq: number, flags: number, payloadLen: number, opts: TcpOptions | undefined, window: number, gso = 0): number {
  const h = txHdr;
  h.srcPort = s.localPort;
  h.dstPort = s.remotePort;
  h.seq = seq;
  h.ack = (flags & TCP_ACK) !== 0 ? s.rcvNxt : 0;
  h.flags = flags;
  h.window = window;
  h.options = opts;
  // RFC 3168 §6.1: on an ECN connection, new data as ECT(0), ECE / CWR as owed.
  let ect = 0;
  if (s.ecnFlags !== 0) {
    const e = ecnSend(s, seq, payloadLen, flags);
    h.flags = flags | (e & 0xff);
    ect = e >>> 8;
  }
  emitTcpHeader(buf, off, h, payloadLen, s.localBytes, s.remoteBytes, s.csumOffload || gso > 0 ? 'partial' : 'full');
  s.lastXmit = s.tcp.sched.now(); // Linux tcp_wstamp_ns
  const segs = gso > 0 ? Math.ceil(payloadLen / gso) : 1; // Linux counts tcp_skb_pcount
  s.segsOut += segs;
  const st = s.tcp.stats;
  st.OutSegs += segs;
  if ((flags & TCP_RST) !== 0) st.OutRsts++;
  if ((flags & TCP_ACK) !== 0) { s.rcvWup = s.rcvNxt; s.dsack = null; eventAckSent(s); }
  let o = s.outOpts ?? DF;
  if (gso > 0) {
    const g = gsoOpts;
    g.gso = gso;
    g.ifindex = o.ifindex; // a link-local IPv6 peer's interface (outOpts)
    o = g;
  }
  // IP_TOS / IPV6_TCLASS with TCP's ECN bits; DF as IP_MTU_DISCOVER says (Linux ip_queue_xmit).
  const tos = (s.family === 4 ? s.ipTos : s.tclass) | ect;
  const df = s.dontFragment();
  if (tos !== 0 || !df) {
    const e = tosOpts;
    e.ifindex = o.ifindex;
    e.gso = gso > 0 ? gso : undefined;
    e.tos = tos;
    e.dontFragment = df;
    o = e;
  }
  const r = s.tcp.ip.output(s.family, s.localAddr, s.remoteAddr, IPPROTO_TCP, buf, off, o);
  if (r < 0) outputError(s, r);
  // Linux __tcp_transmit_skb: the qdisc dropped it (NET_XMIT_DROP): local congestion, tcp_enter_cwr.
  else if (r > 0) enterCwr(s, s.tcp.sched.now());
  return r;
}


/** IP refused the packet: over the path MTU (learn it and resegment) or a soft error. */
function outputError(s: TcpSocket, r: number): void {
  if (r === -EMSGSIZE) {
    const route = s.tcp.ip.route(s.family, s.remoteAddr, { src: s.localAddr });
    if (typeof route !== 'number') s.tcp.pmtuChanged(s, route.mtu);
    return;
  }
  s.softErr = -r;
}

/** Sends one whole send-queue chunk (new data or a retransmission); `gso` > 0: as a super-segment. */
function sendSkb(s: TcpSocket, skb: Skb, retrans: boolean, gso = 0): number {
  let flags = TCP_ACK;
  if (skb.fin) flags |= TCP_FIN;
  const q = s.sendQ;
  const len = skb.len;
  const tso = gso > 0 && len > gso ? gso : 0;
  // PSH at the end of a write or a forced push (Linux tcp_mark_push), and on every packet of
  // several segments (Linux 5.6 __tcp_transmit_skb: a GRO flush hint; segmentation leaves it on the last).
  if (len > 0 && (skb.psh || tso > 0)) flags |= TCP_PSH;
  const optLen = segmentOptions(s);
  const hl = TCP_HEADER_LEN + optLen;
  let buf: Uint8Array;
  let off: number;
  if (skb.inPlace && !retrans && len > 0 && skb.off - hl >= HEADROOM) {
    // First transmission of a whole chunk: the header goes into the room in front of it.
    // The packet ends where the payload ends (the chunk may have room left).
    const end = skb.off + len;
    buf = end === skb.buf.length ? skb.buf : skb.buf.subarray(0, end);
    off = skb.off - hl;
    skb.inPlace = false;
  } else {
    buf = Buffer.allocUnsafe(HEADROOM + hl + len);
    off = HEADROOM;
    if (len > 0) buf.set(skb.buf.subarray(skb.off, skb.off + len), off + hl);
    skb.inPlace = false;
  }
  const now = s.tcp.sched.now();
  if (len > 0) {
    s.dataSegsOut += tso > 0 ? Math.ceil(len / tso) : 1;
    eventDataSent(s, now);
    s.lastDataSent = now;
    s.bytesSent += len;
  }
  const r = emit(s, buf, off, skb.seq, flags, len, optLen > 0 ? txOpts : undefined, windowField(s), tso);
  // Dropped by the local qdisc (r > 0): the chunk did not leave (Linux tcp_update_skb_after_send
  // only without an error); the caller keeps it unsent or unretransmitted.
  if (r > 0) return r;
  skb.sentAt = now;
  if (skb.firstSentAt < 0) skb.firstSentAt = now;
  skb.txCount++;
  skb.txOrder = ++s.rack.txOrder;
  q.tsPush(skb); // RFC 8985 §6.1: the latest transmission time orders the chunks for RACK
  // RFC 6937 prr_out (Linux tcp_write_xmit / tcp_xmit_retransmit_queue): segments sent while the window is being reduced.
  if (s.caState === CA_CWR || s.caState === CA_RECOVERY) s.prrOut += tso > 0 ? Math.ceil(len / tso) : 1;
  // SO_TIMESTAMPING: SCHED / SND for a write's last byte in this segment (timestamping.ts).
  if (s.tsMarks !== null && r >= 0) tstampSent(s, skb.seq, buf.subarray(off + hl, off + hl + len));
  return r;
}

/**
 * Retransmits one chunk (Linux tcp_retransmit_skb); the caller cut it to at most one MSS. False
 * when the local qdisc dropped it: not counted as retransmitted (TCPRetransFail).
 */
export function retransmitSkb(s: TcpSocket, skb: Skb): boolean {
  const st = s.tcp.stats;
  if (sendSkb(s, skb, true) > 0) { st.TCPRetransFail++; return false; }
  if (!skb.retrans) {
    skb.retrans = true;
    s.retransBytes += units(skb);
  }
  skb.everRetrans = true;
  if (s.retransStamp === 0) s.retransStamp = skb.firstSentAt > 0 ? skb.firstSentAt : s.tcp.sched.now();
  // Linux tcp_retransmit_skb: retrans_stamp (the first retransmission's time) and undo_retrans.
  if (s.rtxFirstAt < 0) s.rtxFirstAt = s.tcp.sched.now();
  if (s.undoRetrans < 0) s.undoRetrans = 0;
  s.undoRetrans += skb.len > s.mss ? Math.ceil(skb.len / s.mss) : 1;
  st.RetransSegs++;
  s.totalRetrans++;
  s.bytesRetrans += skb.len;
  // Linux tcp_xmit_retransmit_queue: retransmitting the first unacknowledged segment restarts
  // the RTO (one RTO after the repair, not after the original); otherwise RFC 6298 §5.1.
  if (skb === s.sendQ.first() || !s.rtxTimer.armed) s.rtxTimer.after(currentRto(s));
  return true;
}

// ---- what to send ----------------------------------------------------------------------------------

/**
 * Sends what the windows allow (Linux tcp_write_xmit and tcp_xmit_retransmit_queue), then a
 * pure ACK if one is still owed. `force`: the override timeout of RFC 9293 §3.8.6.2.1 fired.
 */
export function transmit(s: TcpSocket, force = false): void {
  // A Fast Open child sends data before its SYN-ACK is acknowledged (RFC 7413 §4.2.2).
  if (canSend(s.state) || s.fastopenRsk) {
    if (s.lostBytes > 0 && s.caState >= CA_RECOVERY && !s.rexmitHold) retransmitLost(s);
    const nxt = s.sndNxt;
    sendNew(s, force);
    // Linux tcp_event_new_data_sent -> tcp_check_space: fewer bytes wait unsent (TCP_NOTSENT_LOWAT).
    if (s.sndNxt !== nxt && s.noSpace) writeSpace(s);
    // RFC 8985 §7.2: new data went out, or an ACK advanced SND.UNA: (re)arm the loss probe
    // timeout; after such an ACK it is dropped when not due (Linux tcp_set_xmit_timer).
    if (s.sndNxt !== nxt || s.tlp.rearm) {
      const fromAck = s.tlp.rearm;
      if (!scheduleLossProbe(s) && fromAck) s.rtxTimer.cancel(RTX_PROBE);
    }
  }
  if (s.ackNow) sendAck(s);
}

/** RFC 6675 §5 NextSeg (1) / RFC 6582: retransmit segments marked lost while pipe < cwnd. */
function retransmitLost(s: TcpSocket): void {
  const q = s.sendQ;
  let i = q.indexOf(s.rtxHint);
  if (i < 0) i = q.head;
  for (; i < q.sendIdx; i++) {
    if (s.inFlight >= s.cwnd) { s.cwndLimitedSeq = s.sndNxt; break; }
    const skb = q.skbs[i]!;
    if (!skb.lost || skb.retrans || skb.sacked) continue;
    const mss = currentMss(s);
    if (skb.len > mss) q.split(i, mss);
    // Linux tcp_xmit_retransmit_queue: a retransmission the local qdisc dropped stops the round.
    if (!retransmitSkb(s, skb)) break;
    s.rtxHint = skb.end;
  }
}

/** New data (RFC 9293 §3.8.6.2.1, RFC 5681 §3.1, RFC 3042, RFC 896). */
function sendNew(s: TcpSocket, force: boolean): void {
  const q = s.sendQ;
  const now = s.tcp.sched.now();
  // RFC 5681 §4.1 / RFC 7661: after an idle period longer than the RTO, restart from the initial window.
  if (s.tcp.config.slowStartAfterIdle && s.sndNxt === s.sndUna && q.unsentBytes > 0 && s.lastDataSent > 0 && now - s.lastDataSent > currentRto(s)) {
    const iw = initialWindow(s);
    if (s.cwnd > iw) s.cwnd = iw;
  }
  // A reordering timer due now (rack.ts) is about to deem segments lost: their retransmissions
  // take the window before new data does (Linux tcp_xmit_recovery before tcp_data_snd_check).
  const rt = s.rtxTimer;
  if (rt.earlyKind === RTX_REO && rt.earlyAt <= now) return;
  for (;;) {
    const skb = q.unsent();
    if (skb === undefined) return;
    const mss = s.mss - sackRoom(s);
    // RFC 3042 limited transmit: the first two duplicate ACKs each allow one more segment.
    let cwnd = s.cwnd;
    if (s.dupAcks > 0 && s.caState < CA_RECOVERY && !s.sackOk) cwnd += (s.dupAcks < 2 ? s.dupAcks : 2) * s.mss;
    const inFlight = s.inFlight;
    // Linux tcp_cwnd_test: the final FIN in a segment of its own (or on at most one MSS of data)
    // goes whatever the congestion window.
    if (inFlight >= cwnd && !(skb.fin && skb.len <= mss)) { s.cwndLimitedSeq = s.sndNxt; return; }
    // TSO (Linux tcp_write_xmit): a packet takes as many whole segments as the pacing rate
    // sizes it for (tcp_tso_autosize) and the congestion window allows (at most half of it,
    // tcp_cwnd_test); a smaller one may wait for the next ACK (tcp_tso_should_defer).
    let max = mss;
    const wndEnd = seqAdd(s.sndUna, s.sndWnd);
    if (s.gsoOk && skb.len > mss) {
      const full = tsoSegs(s, mss) * mss;
      const quota = cwndQuota(s, cwnd, inFlight);
      const sendWin = seqSub(wndEnd, skb.seq);
      if (!force && sendWin >= mss && tsoShouldDefer(s, skb, sendWin, cwnd - inFlight, full, now)) return;
      max = Math.min(full, quota - (quota % mss));
      if (max < mss) max = mss;
    }
    if (skb.len > max) q.split(q.sendIdx, max);
    let len = skb.len;
    if (seqGt(seqAdd(skb.seq, units(skb)), wndEnd)) {
      const avail = seqSub(wndEnd, skb.seq);
      if (len > mss && avail >= mss) {
        // With data in flight an ACK is coming that opens the peer's window further: a super-segment
        // waits for room for a third of that window (tcp_tso_win_divisor) rather than being cut now
        // (its remainder could no longer go out in place: one more copy). On a path with no delay
        // Linux's timing rule (tsoShouldDefer) never waits; this keeps packets whole there.
        if (s.sndNxt !== s.sndUna && avail * s.tcp.config.tsoWinDivisor < s.sndWnd) return;
        // Whole segments of a super-segment that fit the offered window go now (tcp_mss_split_point).
        const n = avail - (avail % mss);
        q.split(q.sendIdx, n);
        len = n;
      } else if (avail > 0 && len > avail && (avail >= s.maxSndWnd / 2 || force)) {
        // RFC 9293 §3.8.6.2.1: a piece of a segment only when it is at least half the largest window offered.
        q.split(q.sendIdx, avail);
        len = avail;
      } else {
        // RFC 9293 §3.8.6.1: window closed with nothing in flight: the persist timer probes it.
        if (s.sndNxt === s.sndUna) armPersist(s);
        return;
      }
    }
    // Linux tcp_mss_split_point: a super-segment at the tail of the queue leaves its partial last
    // segment behind when Nagle or TCP_CORK (below) would hold a small segment.
    if (len > mss && !skb.fin && !force && q.sendIdx === q.skbs.length - 1) {
      const partial = len % mss;
      if (partial !== 0 && (s.cork || s.moreCork || (!s.nodelay && s.sndNxt !== s.sndUna && seqGt(s.sndSml, s.sndUna)))) {
        q.split(q.sendIdx, len - partial);
        len -= partial;
      }
    }
    // RFC 896 / RFC 9293 §3.7.4 Nagle, with Minshall's refinement as Linux has it (hold a small
    // segment only while an earlier small one is unacknowledged); TCP_CORK holds any partial segment.
    if (len < mss && !skb.fin && !force && q.sendIdx === q.skbs.length - 1) {
      // Linux: a corked partial segment still leaves when the probe timer fires (TCP_CORK's 200 ms ceiling).
      if (s.cork || s.moreCork) { if (s.sndNxt === s.sndUna) armPersist(s); return; }
      if (!s.nodelay && s.sndNxt !== s.sndUna && seqGt(s.sndSml, s.sndUna)) return;
    }
    if (sendSkb(s, skb, false, s.gsoOk ? mss : 0) > 0) {
      // Linux tcp_write_xmit: the qdisc dropped it: it stays unsent; with nothing in flight the
      // probe timer tries again (tcp_check_probe_timer), else the retransmission timer's ACK clock.
      if (s.sndNxt === s.sndUna) armPersist(s);
      return;
    }
    if (len < mss || len % mss !== 0) s.sndSml = skb.end; // Linux tcp_minshall_update
    q.advanceSend();
    s.sndNxt = seqMax(s.sndNxt, skb.end);
    const f = s.inFlight;
    if (f > s.maxFlight) s.maxFlight = f;
    if (s._persistTimer?.armed === true) s._persistTimer.stop();
    if (!s.rtxTimer.armed) s.rtxTimer.after(currentRto(s)); // RFC 6298 §5.1
  }
}

/**
 * RFC 8985 §7.3: one segment of new data as a loss probe, if the peer's window has room for it;
 * neither cwnd nor Nagle holds it back (Linux tcp_write_xmit with push_one = 2). False if none.
 */
export function sendNewProbe(s: TcpSocket): boolean {
  const q = s.sendQ;
  const skb = q.unsent();
  if (skb === undefined) return false;
  const mss = currentMss(s);
  const n = skb.len < mss ? skb.len : mss;
  if (seqGt(seqAdd(skb.seq, n), seqAdd(s.sndUna, s.sndWnd))) return false;
  if (skb.len > n) q.split(q.sendIdx, n);
  if (sendSkb(s, skb, false) > 0) return false;
  if (skb.len < mss) s.sndSml = skb.end;
  q.advanceSend();
  s.sndNxt = seqMax(s.sndNxt, skb.end);
  const f = s.inFlight;
  if (f > s.maxFlight) s.maxFlight = f;
  return true;
}

/**
 * How much payload a send-queue chunk collects (Linux tcp_xmit_size_goal): one MSS, or with TSO
 * as many whole segments as a 64 KiB packet holds, bounded by half the peer's largest window.
 */
export function sizeGoal(s: TcpSocket): number {
  const mss = s.mss;
  if (!s.gsoOk) return mss;
  let goal = 65535 - (s.family === 4 ? 20 : 40) - 60;
  if (s.maxSndWnd > 536 && goal > s.maxSndWnd >> 1) goal = s.maxSndWnd >> 1;
  return goal > mss ? goal - (goal % mss) : mss;
}

/** RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)) (the count is tcp.config.initCwnd). */
export function initialWindow(s: TcpSocket): number {
  const n = s.tcp.config.initCwnd;
  return Math.min(n * s.mss, Math.max(2 * s.mss, n * 1460));
}

/** Arms the persist timer (RFC 9293 §3.8.6.1; Linux tcp_probe0_when: the RTO shifted by the backoff, RFC 1122 §4.2.2.17). */
export function armPersist(s: TcpSocket): void {
  if (s._persistTimer?.armed === true) return;
  s.persistTimer.after(currentRto(s));
}

// ---- control segments ------------------------------------------------------------------------------

/** A pure ACK (window update, delayed or immediate acknowledgment). */
export function sendAck(s: TcpSocket): void {
  const optLen = segmentOptions(s);
  const buf = Buffer.allocUnsafe(HEADROOM + TCP_HEADER_LEN + optLen);
  emit(s, buf, HEADROOM, s.sndNxt, TCP_ACK, 0, optLen > 0 ? txOpts : undefined, windowField(s));
}

/**
 * An ACK answering an unacceptable segment (RFC 9293 §3.10.7.4), a challenge ACK
 * (RFC 5961 §3.2, §4.2, §5.2), or one for a segment in TIME-WAIT. Rate limited like Linux:
 * one per connection per tcp_invalid_ratelimit; challenge ACKs also host-wide (RFC 5961 §7).
 */
export function sendOowAck(s: TcpSocket, challenge: boolean, limited: boolean): void {
  const now = s.tcp.sched.now();
  const st = s.tcp.stats;
  if (limited) {
    if (now - s.lastOowAck < s.tcp.config.invalidRatelimitMs) {
      st[challenge ? 'TCPACKSkippedChallenge' : 'TCPACKSkippedSeq']++;
      return;
    }
    s.lastOowAck = now;
  }
  if (challenge) {
    if (!s.tcp.challengeAllowed()) { st.TCPACKSkippedChallenge++; return; }
    st.TCPChallengeACK++;
  }
  sendAck(s);
}

/**
 * SYN (connect) or SYN-ACK (answer to a SYN, or simultaneous open), with our options. A client's
 * SYN carries Fast Open's option while a Fast Open is in progress (RFC 7413 §4.1.1), and
 * `dataLen` bytes of the send queue when it is the SYN of a Fast Open with data (§4.2.1); the
 * first SYN-ACK of a listener carries the cookie it hands out (§4.1.2).
 */
export function sendSyn(s: TcpSocket, withAck: boolean, dataLen = 0): void {
  const c = s.tcp.config;
  const o: TcpOptions = { mss: s.advMss };
  if (!withAck) {
    // Linux's SYN options: MSS, SACK-permitted, timestamps, window scale (RFC 2018, RFC 7323).
    if (c.sack) o.sackPermitted = true;
    if (c.timestamps) o.timestamp = { tsval: tsNow(s), tsecr: 0 };
    if (c.windowScaling) o.wscale = s.rcvWscale;
    const fo = s.fastopenReq;
    if (fo !== null && fo.cookie.len >= 0) {
      o.fastopen = { cookie: fo.cookie.val.subarray(0, fo.cookie.len), exp: fo.cookie.exp };
      s.synFastopen = true;
      s.synFastopenExp = fo.cookie.exp;
    }
  } else {
    // RFC 7323 §2.2, §3.2, RFC 2018 §2: only the options the peer's SYN carried.
    if (s.sackOk) o.sackPermitted = true;
    if (s.tsOk) o.timestamp = { tsval: tsNow(s), tsecr: s.tsRecent };
    if (s.wscaleOk) o.wscale = s.rcvWscale;
    const ck = s.synackCookie;
    if (ck !== null && ck.len >= 0) o.fastopen = { cookie: ck.val.subarray(0, ck.len), exp: ck.exp };
    s.synackCookie = null; // Linux: a retransmitted SYN-ACK carries no cookie
  }
  const optLen = tcpOptionsLength(o);
  const buf = Buffer.allocUnsafe(HEADROOM + TCP_HEADER_LEN + optLen + dataLen);
  if (dataLen > 0) s.sendQ.copyOut(seqAdd(s.iss, 1), dataLen, buf, HEADROOM + TCP_HEADER_LEN + optLen);
  const win = synWindow(s);
  s.synSentAt = s.tcp.sched.now(); // the handshake's RTT sample is measured from here (RFC 6298 §2)
  if (withAck) s.rcvAdvEdge = seqAdd(s.rcvNxt, win);
  // RFC 3168 §6.1.1: an ECN-setup SYN carries ECE and CWR, the SYN-ACK that agrees ECE.
  const ecn = withAck ? ((s.ecnFlags & 1) !== 0 ? TCP_ECE : 0) : synEcnFlags(s, s.totalRetrans > 0);
  emit(s, buf, HEADROOM, s.iss, (withAck ? TCP_SYN | TCP_ACK : TCP_SYN) | ecn, dataLen, o, win);
}

/**
 * Linux tcp_send_syn_data: the first SYN of a Fast Open (RFC 7413 §4.2): with a cookie, it
 * carries the cookie and what of the application's data fits; without one, a cookie request.
 * The data is queued as if sent in a segment of its own after the SYN, so that a retransmitted
 * SYN is a plain one and data the SYN-ACK leaves unacknowledged is retransmitted as data.
 */
function sendSynData(s: TcpSocket): void {
  const fo = s.fastopenReq!;
  const space = synDataSpace(s, mssForMtu(s.family, s.pmtu));
  if (space < 0) {
    sendSyn(s, false);
    fo.cookie.len = -1; // the SYN's retransmissions go without the option
    return;
  }
  if (space > 0 && fo.fault === true) {
    // Linux tcp_send_syn_data: the copy from the application fails: a regular SYN asking for a cookie.
    if (fo.cookie.len > 0) fo.cookie.len = 0;
    sendSyn(s, false);
    fo.cookie.len = -1;
    return;
  }
  const q = s.sendQ;
  if (space > 0) {
    q.append(fo.data, 0, space, s.writeSeq, space, s.tcp.mem);
    s.writeSeq = seqAdd(s.writeSeq, space);
    q.last()!.psh = true; // Linux tcp_send_syn_data: the data's skb is ACK|PSH
  }
  fo.copied = space;
  sendSyn(s, false, space);
  fo.cookie.len = -1;
  if (space === 0) return;
  const now = s.tcp.sched.now();
  while (q.sendIdx < q.skbs.length) {
    const skb = q.skbs[q.sendIdx]!;
    skb.inPlace = false;
    skb.sentAt = now;
    skb.firstSentAt = now;
    skb.txCount = 1;
    skb.txOrder = ++s.rack.txOrder;
    q.tsPush(skb);
    q.advanceSend();
    s.sndNxt = seqMax(s.sndNxt, skb.end);
  }
  s.synData = true;
  s.dataSegsOut++;
  s.bytesSent += space;
  s.lastDataSent = now;
}

/** Linux tcp_connect: the SYN goes out (with Fast Open's option and data when one is in progress). */
export function tcpConnect(s: TcpSocket): void {
  const tcp = s.tcp;
  tcp.stats.ActiveOpens++;
  s.synSentAt0 = tcp.sched.now();
  if (s.fastopenReq !== null) sendSynData(s);
  else sendSyn(s, false);
  s.rtxTimer.after(tcp.config.rtoInitialMs); // RFC 6298 §2.1
}

/** RST from a connection (Linux tcp_send_active_reset): abort, SO_LINGER 0, close with unread data. */
export function sendActiveReset(s: TcpSocket): void {
  const optLen = s.tsOk ? segmentOptions(s) : 0;
  const buf = Buffer.allocUnsafe(HEADROOM + TCP_HEADER_LEN + optLen);
  emit(s, buf, HEADROOM, s.sndNxt, TCP_RST | TCP_ACK, 0, optLen > 0 ? txOpts : undefined, 0);
}

/**
 * A probe that makes the peer answer with an ACK carrying its window: sequence number one below
 * SND.UNA, no data (Linux tcp_xmit_probe_skb, for keep-alives, RFC 9293 §3.8.4, and for a closed
 * window: tcp_write_wakeup sends it rather than RFC 9293 §3.8.6.1's octet of new data).
 */
export function sendProbe(s: TcpSocket): void {
  const optLen = segmentOptions(s);
  const buf = Buffer.allocUnsafe(HEADROOM + TCP_HEADER_LEN + optLen);
  emit(s, buf, HEADROOM, (s.sndUna - 1) >>> 0, TCP_ACK, 0, optLen > 0 ? txOpts : undefined, windowField(s));
}

/**
 * RFC 9293 §3.10.7.1 (CLOSED) and §3.10.7.2 (LISTEN, an ACK): the reset that answers a segment
 * no connection wants. With ACK set: <SEQ=SEG.ACK><CTL=RST>; otherwise
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
export function sendResetReply(tcp: Tcp, pkt: IpPacket, seg: TcpRepr): void {
  if ((seg.flags & TCP_RST) !== 0) return; // RFC 9293 §3.10.7.1: a reset is never answered
  const segLen = seg.payload.length + ((seg.flags & TCP_SYN) !== 0 ? 1 : 0) + ((seg.flags & TCP_FIN) !== 0 ? 1 : 0);
  let seq = 0;
  let ack = 0;
  let flags = TCP_RST;
  if ((seg.flags & TCP_ACK) !== 0) seq = seg.ack;
  else {
    ack = seqAdd(seg.seq, segLen);
    flags |= TCP_ACK;
  }
  const buf = Buffer.allocUnsafe(HEADROOM + TCP_HEADER_LEN);
  emitTcpHeader(buf, HEADROOM, { srcPort: seg.dstPort, dstPort: seg.srcPort, seq, ack, flags, window: 0 }, 0, pkt.dstBytes, pkt.srcBytes);
  tcp.stats.OutSegs++;
  tcp.stats.OutRsts++;
  tcp.ip.output(pkt.family, pkt.dst, pkt.src, IPPROTO_TCP, buf, HEADROOM, DF);
}

/** Whether the send queue has data or a FIN the peer has not acknowledged. */
export function hasUnacked(s: TcpSocket): boolean {
  return seqLt(s.sndUna, s.sndNxt);
}
