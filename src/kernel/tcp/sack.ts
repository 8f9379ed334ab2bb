// The sender's SACK scoreboard (RFC 2018 §4, RFC 6675 §4 Update() and IsLost()).
// Each send-queue chunk carries `sacked` / `lost` / `retrans` flags and the connection keeps
// their totals, so pipe (RFC 6675 SetPipe) is one subtraction.
import type { Skb } from './buffers.js';
import { currentMss, units } from './output.js';
import { rackDelivered, rackEnabled } from './rack.js';
import { seqGe, seqGt, seqLe, seqLt, seqSub } from './seq.js';
import type { TcpSocket } from './socket.js';

function markSacked(s: TcpSocket, skb: Skb): void {
  const u = units(skb);
  skb.sacked = true;
  s.sendQ.tsUnlink(skb);
  s.sackedBytes += u;
  if (skb.lost) { skb.lost = false; s.lostBytes -= u; }
  if (skb.retrans) { skb.retrans = false; s.retransBytes -= u; }
}

/** Linux tcp_fragment's TCPWQueueTooBig check before a SACK cuts sent chunk `i` (SendQueue.mayCutSent). */
function mayCut(s: TcpSocket, i: number): boolean {
  if (s.sendQ.mayCutSent(i, s.sndbuf)) return true;
  s.tcp.stats.TCPWQueueTooBig++;
  return false;
}

/**
 * Applies the SACK blocks of an ACK whose cumulative acknowledgment is `ack` (already
 * processed). Returns true when previously un-SACKed data was SACKed (RFC 6675 §2's test for
 * counting a duplicate ACK). A D-SACK block is noted in s.rack (dsack, dsackEnd); newly SACKed
 * chunks are told to RACK (RFC 8985 §6.2).
 */
export function sackUpdate(s: TcpSocket, blocks: ReadonlyArray<readonly [number, number]>, ack: number, now: number): boolean {
  const q = s.sendQ;
  const rack = rackEnabled(s);
  let newly = false;
  for (let b = 0; b < blocks.length; b++) {
    let l = blocks[b]![0];
    const r = blocks[b]![1];
    // RFC 2883 §4: a first block below the cumulative ACK, or inside the second block, is a D-SACK.
    if (seqLe(r, ack) || (b === 0 && blocks.length > 1 && seqGe(l, blocks[1]![0]) && seqLe(r, blocks[1]![1]))) {
      if (b === 0) {
        s.tcp.stats.TCPDSACKRecv++;
        const len = seqSub(r, l);
        // Linux tcp_dsack_seen: a block wider than any window offered is dubious.
        if (len > 0 && len <= s.maxSndWnd && dsackSeen(s, len > s.mss ? Math.ceil(len / s.mss) : 1, r)) {
          s.rack.dsack = true;
          s.rack.dsackEnd = r;
        }
      }
      continue;
    }
    if (seqLt(l, ack)) l = ack;
    // RFC 2018 §4: blocks beyond what was sent are bogus.
    if (seqGt(r, s.sndNxt) || !seqLt(l, r)) continue;
    let i = q.indexOf(l);
    if (i < 0) continue;
    const mss = currentMss(s);
    for (; i < q.sendIdx; i++) {
      const skb = q.skbs[i]!;
      if (!seqLt(skb.seq, r)) break;
      if (skb.sacked) continue;
      // Linux tcp_match_skb_to_sack: a block covering part of a chunk counts in whole segments
      // of it; a part smaller than one segment is not SACKed at all.
      if (seqLt(skb.seq, l)) {
        // Cut off the part below the block, rounded up to a segment boundary (chunks already
        // sent share their buffer: no copy).
        if (skb.len <= mss) continue;
        let n = seqSub(l, skb.seq);
        n = n <= mss ? mss : Math.ceil(n / mss) * mss;
        if (n >= skb.len) continue;
        // Linux tcp_sacktag_walk: a cut tcp_fragment refuses ends this block's walk.
        if (!mayCut(s, i)) break;
        q.split(i, n);
        continue;
      }
      const dataEnd = (skb.seq + skb.len) >>> 0;
      if (seqGt(dataEnd, r)) {
        // The part inside the block, rounded down to whole segments.
        const n = seqSub(r, skb.seq);
        if (skb.len <= mss || n < mss) break;
        if (!mayCut(s, i)) break;
        q.split(i, n - (n % mss));
      } else if (skb.fin && skb.len > 0) {
        // A FIN is never SACKed; keep it on its own.
        if (!mayCut(s, i)) break;
        q.split(i, skb.len);
      }
      if (skb.len === 0) continue;
      markSacked(s, skb);
      if (rack) rackDelivered(s, skb, skb.end, now, -1);
      newly = true;
    }
  }
  return newly;
}

/**
 * RFC 6675 §4 IsLost(): a chunk is lost once DupThresh SACKed segments, or more than
 * (DupThresh - 1) * SMSS SACKed bytes, lie above it. Marks such chunks, from the top down.
 */
export function markLostBySack(s: TcpSocket): void {
  const q = s.sendQ;
  const thresh = s.tcp.config.reordering;
  const limit = (thresh - 1) * s.mss;
  let sackedBytes = 0;
  let sackedSegs = 0;
  for (let i = q.sendIdx - 1; i >= q.head; i--) {
    const skb = q.skbs[i]!;
    if (skb.sacked) {
      sackedBytes += skb.len;
      sackedSegs++;
      continue;
    }
    if (sackedSegs === 0) continue;
    if (sackedSegs >= thresh || sackedBytes > limit) {
      if (skb.lost) break; // everything below was judged before
      skb.lost = true;
      s.lostBytes += units(skb);
      s.lostSegs += skb.len > s.mss ? Math.ceil(skb.len / s.mss) : 1;
      if (seqLt(skb.seq, s.rtxHint)) s.rtxHint = skb.seq;
    }
  }
}

/** Marks one chunk lost (the head at fast retransmit, RFC 6582's partial ACKs). */
export function markLost(s: TcpSocket, skb: Skb): void {
  if (skb.lost || skb.sacked) return;
  skb.lost = true;
  s.lostBytes += units(skb);
  s.lostSegs += skb.len > s.mss ? Math.ceil(skb.len / s.mss) : 1;
  if (seqLt(skb.seq, s.rtxHint)) s.rtxHint = skb.seq;
}

/**
 * A D-SACK for `segs` segments ending at `end` (Linux tcp_dsack_seen / tcp_check_dsack): false
 * when more duplicates were reported than were ever retransmitted (dubious, ignored); otherwise
 * a retransmission of the current episode was needless.
 */
function dsackSeen(s: TcpSocket, segs: number, end: number): boolean {
  s.dsackDups += segs;
  if (s.dsackDups > s.totalRetrans) return false;
  if (s.undoMarker >= 0 && s.undoRetrans > 0 && seqGt(end, s.undoMarker)) {
    s.undoRetrans = s.undoRetrans > segs ? s.undoRetrans - segs : 0;
  }
  return true;
}
