// A listening socket (RFC 9293 §3.10.7.2; Linux tcp_conn_request, tcp_check_req): SYNs create
// half-open connections in the SYN queue; completed ones wait in the accept queue. When the SYN
// queue is full, SYN cookies (RFC 4987 §3.6, syncookies.ts) answer without keeping state.
//
// Queue limits as in Linux: the accept queue holds backlog + 1 connections (sk_acceptq_is_full);
// the SYN queue is full at `backlog` half-open connections (inet_csk_reqsk_queue_is_full), which
// turns on cookies (tcp.config.syncookies = 1); without cookies, SYNs beyond
// tcp_max_syn_backlog * 3/4 are dropped.
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_HEADER_LEN, emitTcpHeader, type TcpOptions, type TcpRepr } from '../../wire/tcp.js';
import { HEADROOM, IPPROTO_TCP, type IpPacket } from '../ip-types.js';
import { advertisedMss, negotiateFromSyn, ourWscale, syncMss } from './handshake.js';
import { established, initTransfer, notify, setState } from './lifecycle.js';
import { tryFastopen } from './fastopen.js';
import { ecnRequest } from './ecn.js';
import { readSynOptions } from './options.js';
import { sendResetReply, sendSyn } from './output.js';
import { segmentArrives } from './input.js';
import { seqAdd } from './seq.js';
import { CLOSE_WAIT, ESTABLISHED, SYN_RECEIVED } from './state.js';
import type { Tcp } from './index.js';
import { TcpSocket } from './socket.js';

/** Linux TCP_SYNCOOKIE_VALID: cookies are checked for two minutes after the last overflow. */
const COOKIE_VALID_MS = 120_000;

/** A segment for a listening socket. `isn`: the ISN to use when a TIME-WAIT connection is reopened. */
export function listenArrives(tcp: Tcp, l: TcpSocket, seg: TcpRepr, pkt: IpPacket, isn = -1): void {
  const flags = seg.flags;
  const st = tcp.stats;
  // RFC 9293 §3.10.7.2 first: a RST is ignored.
  if ((flags & TCP_RST) !== 0) return;
  // second: an ACK is bad here, unless it returns a SYN cookie.
  if ((flags & TCP_ACK) !== 0) {
    if ((flags & TCP_SYN) === 0 && cookiesActive(tcp, l) && cookieAck(tcp, l, seg, pkt)) return;
    sendResetReply(tcp, pkt, seg);
    return;
  }
  // fourth: anything but a SYN is dropped.
  if ((flags & TCP_SYN) === 0) return;
  const c = tcp.config;
  const now = tcp.sched.now();
  const synFull = l.synQueue.size >= l.backlog;
  let wantCookie = false;
  if ((c.syncookies === 2 || synFull) && isn < 0) {
    if (c.syncookies === 0) { st.TCPReqQFullDrop++; st.ListenDrops++; return; }
    wantCookie = true;
    l.lastSynOverflow = now;
  }
  // Linux: a full accept queue drops the SYN (the client will retry).
  if (l.acceptQueue.length > l.backlog) {
    st.ListenOverflows++;
    st.ListenDrops++;
    return;
  }
  if (wantCookie) { cookieSynAck(tcp, l, seg, pkt); return; }
  if (c.syncookies === 0 && c.maxSynBacklog - l.synQueue.size < c.maxSynBacklog >> 2) {
    st.TCPReqQFullDrop++;
    st.ListenDrops++;
    return;
  }
  const child = newChild(tcp, l, pkt, seg);
  child.irs = seg.seq;
  child.rcvNxt = seqAdd(seg.seq, 1);
  child.rcvWup = child.rcvNxt;
  negotiateFromSyn(child, seg, now);
  ecnRequest(child, seg, pkt.tos); // RFC 3168 §6.1.1
  child.iss = isn >= 0 ? isn : tcp.isn.isn(child.localAddr, child.localPort, child.remoteAddr, child.remotePort);
  child.sndUna = child.iss;
  child.sndNxt = seqAdd(child.iss, 1);
  child.writeSeq = child.sndNxt;
  child.sndWnd = seg.window; // RFC 7323 §2.2: not scaled in a SYN
  child.sndWl1 = seg.seq;
  child.maxSndWnd = child.sndWnd;
  setState(child, SYN_RECEIVED);
  tcp.hash(child);
  child.synSentAt0 = now;
  // RFC 7413 §4.2.2 (Linux tcp_try_fastopen): a valid cookie makes a full child at once; a
  // cookie request, or a wrong cookie, is answered with a valid cookie in the SYN-ACK.
  const tfo = isn < 0 ? tryFastopen(l, seg, pkt) : null;
  if (tfo !== null && tfo.cookie.len >= 0) child.synackCookie = tfo.cookie;
  if (tfo !== null && tfo.fastopen) {
    fastopenChild(tcp, l, child, seg, now);
    sendSyn(child, true);
    child.rtxTimer.after(c.rtoInitialMs); // Linux: TCP_TIMEOUT_INIT for the SYN-ACK
    notify(l);
    return;
  }
  l.synQueue.add(child);
  l.synYoung++;
  sendSyn(child, true);
  child.rtxTimer.after(c.rtoInitialMs); // RFC 6298 §2.1
}

/**
 * Linux tcp_fastopen_create_child / tcp_fastopen_add_skb: the child takes the SYN's data (and
 * FIN) now, may send before its SYN-ACK is acknowledged, and waits in the accept queue at once.
 */
function fastopenChild(tcp: Tcp, l: TcpSocket, child: TcpSocket, seg: TcpRepr, now: number): void {
  child.fastopenRsk = true;
  child.fastopenListener = l;
  l.fastopenQlen++;
  // Linux tcp_create_openreq_child: SND.UNA starts past the SYN-ACK, which the request (here the
  // SYN-ACK timer, timers.ts) looks after; the data sent meanwhile is all that is in flight.
  child.sndUna = child.sndNxt;
  child.rtxHint = child.sndUna;
  initTransfer(child);
  const data = seg.payload;
  if (data.length > 0) {
    // The frame's bytes are kept as a view (the receive queue's rule); the data is in order.
    child.recvQ.push(data);
    child.rcvNxt = seqAdd(child.rcvNxt, data.length);
    child.bytesReceived = data.length;
    child.dataSegsIn = 1;
    child.lastDataRecv = now;
    child.synDataAcked = true;
  }
  if ((seg.flags & TCP_FIN) !== 0) {
    // Linux tcp_fin in SYN-RECEIVED: the peer is done sending; our side goes on.
    child.rcvNxt = seqAdd(child.rcvNxt, 1);
    child.finRcvd = true;
    child.rcvShutdown = true;
    setState(child, CLOSE_WAIT);
  }
  child.rcvWup = child.rcvNxt;
  l.acceptPush(child);
  tcp.stats.PassiveOpens++;
}

/** A connection born from `l` (Linux inet_csk_clone_lock: it inherits the listener's options). */
function newChild(tcp: Tcp, l: TcpSocket, pkt: IpPacket, seg: TcpRepr): TcpSocket {
  const child = new TcpSocket(tcp, l.domain);
  child.inheritFrom(l);
  child.rcvSsthresh = Math.min(child.rcvBudget, 65535); // Linux tcp_create_openreq_child: the SYN-ACK's window
  child.passive = true;
  child.parent = l;
  child.family = pkt.family;
  const local = tcp.addr(pkt.dst, pkt.dstBytes);
  const remote = tcp.addr(pkt.src, pkt.srcBytes);
  child.localAddr = local.addr;
  child.localPort = seg.dstPort;
  child.remoteAddr = remote.addr;
  child.remotePort = seg.srcPort;
  child.localBytes = local.bytes;
  child.remoteBytes = remote.bytes;
  const linkLocal = pkt.family === 6 && pkt.srcBytes[0] === 0xfe && (pkt.srcBytes[1]! & 0xc0) === 0x80;
  const r = tcp.ip.route(pkt.family, pkt.src, linkLocal ? { src: pkt.dst, ifindex: pkt.ifindex } : { src: pkt.dst });
  child.pmtu = typeof r === 'number' ? (pkt.family === 4 ? 576 : 1280) : r.mtu;
  child.csumOffload = typeof r !== 'number' && r.type === 'local' && tcp.config.loopbackChecksumOffload;
  child.gsoOk = typeof r !== 'number' && r.gso === true;
  child.tsOffset = tcp.tsOffset(child.localAddr, child.remoteAddr);
  // A link-local IPv6 peer is answered through the interface it came in on.
  if (linkLocal) child.outOpts = { dontFragment: true, ifindex: pkt.ifindex };
  child.setTimersRef(false);
  return child;
}

function cookiesActive(tcp: Tcp, l: TcpSocket): boolean {
  const c = tcp.config.syncookies;
  return c === 2 || (c === 1 && tcp.sched.now() - l.lastSynOverflow < COOKIE_VALID_MS);
}

/** RFC 4987 §3.6: a SYN-ACK whose ISN is the cookie; nothing is kept. */
function cookieSynAck(tcp: Tcp, l: TcpSocket, seg: TcpRepr, pkt: IpPacket): void {
  const c = tcp.config;
  const offer = readSynOptions(seg.options, pkt.family);
  const r = tcp.ip.route(pkt.family, pkt.src, { src: pkt.dst });
  const mtu = typeof r === 'number' ? (pkt.family === 4 ? 576 : 1280) : r.mtu;
  const probe = new TcpSocket(tcp, l.domain);
  probe.inheritFrom(l);
  probe.family = pkt.family;
  probe.pmtu = mtu;
  const ourMss = advertisedMss(probe);
  const idx = tcp.cookies.mssIndex(Math.min(offer.mss, ourMss));
  const isn = tcp.cookies.make(pkt.dst, seg.dstPort, pkt.src, seg.srcPort, seg.seq, idx);
  const o: TcpOptions = { mss: ourMss };
  // Without timestamps the options cannot be remembered: no window scaling, no SACK (as Linux).
  if (c.timestamps && offer.tsval >= 0) {
    const wscale = c.windowScaling && offer.wscale >= 0 ? offer.wscale : -1;
    const sackOk = c.sack && offer.sackOk;
    const tsval = (Math.floor(tcp.sched.now()) + tcp.tsOffset(pkt.dst, pkt.src)) >>> 0;
    o.timestamp = { tsval: tcp.cookies.encodeTs(tsval, { wscale, sackOk }), tsecr: offer.tsval };
    if (sackOk) o.sackPermitted = true;
    if (wscale >= 0) o.wscale = ourWscale(probe);
  }
  const optLen = 4 + (o.timestamp ? 12 : 0) + (o.wscale !== undefined ? 4 : 0);
  const buf = Buffer.allocUnsafe(HEADROOM + TCP_HEADER_LEN + optLen);
  const win = Math.min(probe.rcvBudget, 65535);
  emitTcpHeader(buf, HEADROOM, {
    srcPort: seg.dstPort, dstPort: seg.srcPort, seq: isn, ack: seqAdd(seg.seq, 1), flags: TCP_SYN | TCP_ACK, window: win, options: o,
  }, 0, pkt.dstBytes, pkt.srcBytes);
  tcp.stats.SyncookiesSent++;
  tcp.stats.OutSegs++;
  tcp.ip.output(pkt.family, pkt.dst, pkt.src, IPPROTO_TCP, buf, HEADROOM, { dontFragment: true });
}

/** RFC 4987 §3.6: an ACK that may carry a valid cookie becomes an established connection. */
function cookieAck(tcp: Tcp, l: TcpSocket, seg: TcpRepr, pkt: IpPacket): boolean {
  const cookie = (seg.ack - 1) >>> 0;
  const peerIsn = (seg.seq - 1) >>> 0;
  const mss = tcp.cookies.check(pkt.dst, seg.dstPort, pkt.src, seg.srcPort, peerIsn, cookie);
  if (mss < 0) { tcp.stats.SyncookiesFailed++; return false; }
  if (l.acceptQueue.length > l.backlog) {
    tcp.stats.ListenOverflows++;
    tcp.stats.ListenDrops++;
    return true; // drop; the client's retransmission may find room
  }
  tcp.stats.SyncookiesRecv++;
  const now = tcp.sched.now();
  const child = newChild(tcp, l, pkt, seg);
  child.iss = cookie;
  child.irs = peerIsn;
  child.sndUna = seg.ack;
  child.sndNxt = seg.ack;
  child.writeSeq = seg.ack;
  child.rcvNxt = seg.seq;
  child.rcvWup = seg.seq;
  child.peerMss = mss;
  const ts = seg.options.timestamp;
  const c = tcp.config;
  if (c.timestamps && ts !== undefined && ts.tsecr !== 0) {
    const o = tcp.cookies.decodeTs(ts.tsecr);
    child.tsOk = true;
    child.tsRecent = ts.tsval;
    child.tsRecentStamp = now;
    child.sackOk = o.sackOk;
    if (o.wscale >= 0) {
      child.wscaleOk = true;
      child.sndWscale = o.wscale;
      child.rcvWscale = ourWscale(child);
    }
  }
  child.advMss = advertisedMss(child);
  syncMss(child);
  child.sndWnd = seg.window * 2 ** child.sndWscale;
  child.sndWl1 = seg.seq;
  child.sndWl2 = seg.ack;
  child.maxSndWnd = child.sndWnd;
  // The window our cookie SYN-ACK advertised (unscaled, RFC 7323 §2.2).
  child.rcvAdvEdge = seqAdd(child.rcvNxt, Math.min(child.rcvBudget, 65535));
  child.rcvSsthresh = Math.min(child.rcvBudget, 65535);
  setState(child, SYN_RECEIVED);
  tcp.hash(child);
  established(child);
  if (child.state === ESTABLISHED) {
    l.acceptPush(child);
    tcp.stats.PassiveOpens++;
    notify(l);
    // The ACK may carry data (or a FIN).
    if (seg.payload.length > 0 || (seg.flags & 1) !== 0) segmentArrives(child, seg, pkt);
  }
  return true;
}
