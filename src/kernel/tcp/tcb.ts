// The transmission control block (RFC 9293 §3.3.1): everything one connection knows. TcpSocket
// (socket.ts) adds the socket calls on top; input.ts, output.ts, recovery.ts, timers.ts work
// on these fields, as Linux's tcp_input.c / tcp_output.c / tcp_timer.c work on struct tcp_sock.
import { AF_INET, type Domain } from '../../uapi/socket.js';
import type { PortEntry } from '../ports.js';
import type { IpOutputOptions } from '../ip-types.js';
import { OooQueue, RecvQueue, SendQueue } from './buffers.js';
import type { CongestionName } from './config.js';
import { createCongestionControl, type CongestionControl } from './congestion/index.js';
import { LazyTimer, RetransmitTimer } from './lazy-timer.js';
import { RackState } from './rack.js';
import { CLOSED, type TcpState } from './state.js';
import { onCloseTimer, onDelackTimer, onKeepaliveTimer, onPersistTimer, onRetransmitTimer } from './timers.js';
import { TlpState } from './tlp.js';
import type { FastopenKey, FastopenRequest, FoCookie } from './fastopen.js';
import type { ErrQueueEntry, ZerocopySend } from './zerocopy.js';
import type { TstampMark } from './timestamping.js';
import type { Tcp } from './index.js';
import type { TcpSocket } from './socket.js';
import { LazySet } from '../../links/lazy.js';

/** Linux's congestion-avoidance states (tcp_ca_state), for TCP_INFO and recovery. */
export const CA_OPEN = 0;
export const CA_DISORDER = 1;
/** Reducing the window after an ECN echo (RFC 3168 §6.1.2; Linux TCP_CA_CWR). */
export const CA_CWR = 2;
export const CA_RECOVERY = 3;
export const CA_LOSS = 4;

/** Socket-level connection state (Linux struct socket's SS_*), which connect() consults. */
export type SockState = 'unconnected' | 'connecting' | 'connected';

const NONE = new Uint8Array(0);

/**
 * The empty list every connection starts with for its lists most never fill (the error queue,
 * zerocopy sends, a listener's accept queue): one frozen array shared by all, replaced by a list
 * of the socket's own on the first push (a push onto it throws). An empty [] per field per
 * connection was 32 bytes each.
 */
const NO_ITEMS: readonly never[] = Object.freeze([]);
export function noItems<T>(): T[] { return NO_ITEMS as unknown as T[]; }
/** Whether `a` is the shared empty list (push onto a list of the socket's own). */
export function isNoItems(a: readonly unknown[]): boolean { return a === NO_ITEMS; }

export class Tcb {
  state: TcpState = CLOSED;
  sockState: SockState = 'unconnected';

  // ---- addresses -------------------------------------------------------------------------------
  /** Family on the wire (an AF_INET6 socket talks IPv4 with a v4-mapped peer). */
  family: 4 | 6;
  localAddr = '';
  localPort = 0;
  remoteAddr = '';
  remotePort = 0;
  localBytes: Uint8Array = NONE;
  remoteBytes: Uint8Array = NONE;
  /** Binding in the port table (null for accepted connections, which use their listener's port). */
  entry: PortEntry<TcpSocket> | null = null;
  /** bind() chose the port (Linux SOCK_BINDPORT_LOCK): the binding outlives a failed connection. */
  portLocked = false;
  /** The port was picked by connect(): such ports are shared by connections to different peers. */
  connectBound = false;
  /** Listed in the connection demultiplexer. */
  hashed = false;

  // ---- life cycle ------------------------------------------------------------------------------
  /** The application closed its descriptor (Linux SOCK_DEAD). */
  orphan = false;
  /** The listener whose SYN or accept queue holds this connection. */
  parent: TcpSocket | null = null;
  /** Created by a listener (passive open). */
  passive = false;

  // ---- send sequence space (RFC 9293 §3.3.1) ---------------------------------------------------
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Send window (bytes, scaled). */
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** Largest window the peer offered (RFC 9293 §3.8.6.2.1's Max(SND.WND); RFC 5961 §5.2's MAX.SND.WND). */
  maxSndWnd = 0;
  sndWscale = 0;

  // ---- receive sequence space ------------------------------------------------------------------
  irs = 0;
  rcvNxt = 0;
  /** Right edge of the window last advertised (RCV.NXT + RCV.WND at that time). */
  rcvAdvEdge = 0;
  rcvWscale = 0;
  /** RCV.NXT when the last ACK was sent (Linux rcv_wup). */
  rcvWup = 0;

  // ---- options (RFC 7323, RFC 2018) -------------------------------------------------------------
  wscaleOk = false;
  tsOk = false;
  /** TS.Recent and when it was set (RFC 7323 §4.3, §5.5). */
  tsRecent = 0;
  tsRecentStamp = 0;
  tsOffset = 0;
  sackOk = false;
  /** MSS the peer announced (RFC 9293 §3.7.1). */
  peerMss = 536;
  /** MSS we announce. */
  advMss = 536;
  /** Sender MSS: payload bytes per full segment after fixed options (RFC 9293 §3.7.1 Eff.snd.MSS). */
  mss = 536;
  /** Estimated size of the peer's full segments (Linux rcv_mss), for the ACK policy. */
  rcvMss = 536;
  /**
   * The peer is this host (route type 'local', through lo): segments carry a partial checksum
   * (Linux's checksum offload on loopback; the receiver does not check packets that never left).
   */
  csumOffload = false;
  /**
   * The route's interface takes super-segments (TSO/GSO): new data goes out up to ~64 KiB at a
   * time as one packet of MSS-sized segments (Linux sk_can_gso), cut where real frames matter.
   */
  gsoOk = false;
  /** IP output options when not the shared default (DF set): the interface of a link-local IPv6 peer. */
  outOpts: IpOutputOptions | null = null;
  /** Path MTU in force. */
  pmtu = 1500;
  /** TCP_MAXSEG (0: none). */
  userMss = 0;

  // ---- queues ----------------------------------------------------------------------------------
  readonly sendQ = new SendQueue();
  readonly recvQ = new RecvQueue();
  readonly ooo = new OooQueue();
  /** SO_SNDBUF / SO_RCVBUF as Linux reports them (doubled requests; payload room is half of rcvbuf). */
  sndbuf: number;
  rcvbuf: number;
  sndbufLocked = false;
  rcvbufLocked = false;
  /**
   * What Linux's tcp_clamp_window grew sk_rcvbuf to when the queues' truesize overran rcvbuf
   * (0: not grown). It raises the memory the queues may hold, not the window (Linux's
   * rcv_ssthresh keeps that), so it is kept apart from rcvbuf; SO_RCVBUF reports the larger.
   */
  rcvbufClamped = 0;
  /**
   * Linux rcv_ssthresh: the most window announced for now. It starts at the SYN's window and grows
   * as data arrives (tcp_grow_window), so a new connection's window opens with the traffic rather
   * than at once to all the free buffer.
   */
  rcvSsthresh = 65535;
  /** Receive buffer auto-tuning (Linux rcvq_space): bytes per RTT the application reads. */
  rcvSpace = 0;
  rcvSpaceTime = 0;
  rcvCopied = 0;
  /** Receiver's RTT estimate (ms; -1 unknown), from timestamps echoed on data (RFC 7323 §4). */
  rcvRtt = -1;
  /** TCP_NOTSENT_LOWAT (0: the tcp_notsent_lowat sysctl's). */
  notsentLowat = 0;
  /** TCP_INQ: recvmsg() adds a TCP_CM_INQ control message (bytes left to read). */
  recvmsgInq = false;
  /** IP_TOS without its ECN bits, which TCP sets itself (IPv4 packets). */
  ipTos = 0;
  /** IPV6_TCLASS without its ECN bits (IPv6 packets). */
  tclass = 0;
  /** IP_MTU_DISCOVER (Linux's default for TCP: IP_PMTUDISC_WANT). */
  pmtudisc = 1;
  /** IPV6_MTU_DISCOVER. */
  pmtudisc6 = 1;
  /** The application wrote while the buffer was full (Linux SOCK_NOSPACE): tell it when there is room. */
  noSpace = false;

  // ---- shutdown and errors ---------------------------------------------------------------------
  rcvShutdown = false;
  sndShutdown = false;
  /** The peer's FIN arrived (Linux SOCK_DONE). */
  finRcvd = false;
  /** Pending socket error (SO_ERROR; positive errno). */
  err = 0;
  /** Soft error (ICMP on an established connection) reported when the connection times out. */
  softErr = 0;

  // ---- congestion control and loss recovery ----------------------------------------------------
  cc: CongestionControl;
  cwnd = 0;
  ssthresh = Infinity;
  caState = CA_OPEN;
  /** RFC 6675 RecoveryPoint / RFC 6582 recover: highest sequence sent when recovery began. */
  recoveryPoint = 0;
  dupAcks = 0;
  /** Scoreboard totals (bytes): SACKed, marked lost, retransmitted and still out. */
  sackedBytes = 0;
  lostBytes = 0;
  retransBytes = 0;
  /**
   * Proportional Rate Reduction (RFC 6937; Linux tcp_cwnd_reduction), in segments: the window
   * when the reduction began (prior_cwnd), segments delivered and sent since (prr_delivered,
   * prr_out).
   */
  priorCwnd = 0;
  prrDelivered = 0;
  prrOut = 0;
  /** Segments ever deemed lost (Linux tp->lost): an ACK's newly lost ones are the difference. */
  lostSegs = 0;
  /**
   * Undoing a window reduction that proves spurious (Linux tcp_init_undo, RFC 2883 / RFC 3522):
   * SND.UNA when recovery or the loss state began (-1: nothing to undo), the retransmissions of
   * that episode no D-SACK has shown needless yet (undo_retrans; -1: none sent), and ssthresh
   * before the reduction (prior_ssthresh; 0: the reduction stands, as after an ECN echo).
   */
  undoMarker = -1;
  undoRetrans = -1;
  priorSsthresh = 0;
  /** When the first retransmission since the connection was last open went (ms; -1: none): Linux retrans_stamp as tcp_packet_delayed reads it. */
  rtxFirstAt = -1;
  /** The timestamp echoed by the ACK being processed (-1: none; Linux rx_opt.rcv_tsecr). */
  rcvTsecr = -1;
  /**
   * An ACK showed a hole filled by a delayed original while retransmissions are still out: until
   * the next ACK or timer, new data goes but nothing more is retransmitted (Linux tcp_try_undo_partial).
   */
  rexmitHold = false;
  /** Segments the peer reported received twice (Linux tp->dsack_dups). */
  dsackDups = 0;
  /** Retransmission scan starts here (a sequence number; Linux retransmit_skb_hint). */
  rtxHint = 0;
  /** Sequence number up to which a PSH was last marked (Linux pushed_seq, for forced pushes). */
  pushedSeq = 0;
  /** End of the last small segment sent (Minshall's Nagle, Linux snd_sml). */
  sndSml = 0;
  /** Sending was last held back by cwnd while SND.NXT was here (RFC 7661 cwnd validation). */
  cwndLimitedSeq = 0;
  /** When the SYN (or SYN-ACK) was last sent, and first sent. */
  synSentAt = 0;
  synSentAt0 = 0;
  /** Sequence number of our FIN once queued (-1: none). */
  finSeq = -1;
  /** SND.NXT when maxFlight was last reset. */
  maxFlightSeq = 0;
  /** The SYN or SYN-ACK was retransmitted: start with a one-segment window (RFC 6298 §5.7, RFC 6928 §2). */
  synLost = false;
  /** Time the first still-unacknowledged retransmitted segment was first sent (Linux retrans_stamp; 0 none). */
  retransStamp = 0;
  /** Consecutive RTO expirations (tcpi_retransmits). */
  retransmits = 0;
  /** RACK loss detection (RFC 8985 §6) and tail loss probes (RFC 8985 §7). */
  readonly rack = new RackState();
  readonly tlp = new TlpState();

  // ---- round-trip time (RFC 6298) --------------------------------------------------------------
  srtt = 0;
  rttvar = 0;
  rto: number;
  backoff = 0;
  minRtt = Infinity;

  // ---- acknowledgments -------------------------------------------------------------------------
  /** An ACK must go out now (RFC 5681 §4.2 / RFC 9293 §3.10.7.4). */
  ackNow = false;
  /** Quick ACKs left before delaying (Linux icsk_ack.quick; see delack.ts). */
  quickAcks = 0;
  /** What the delayed-ACK engine has pending (Linux icsk_ack.pending: ACK_SCHED, ACK_TIMER, ACK_PUSHED, ...). */
  ackPending = 0;
  /** Ping-pong (interactive) count (Linux icsk_ack.pingpong): delayed ACKs ride on replies. */
  pingpong = 0;
  /** The delayed-ACK timeout (Linux icsk_ack.ato, ms; 0 until data first arrives). */
  ato = 0;
  /** When in-order data last arrived (Linux icsk_ack.lrcvtime). */
  lrcvtime = 0;
  /** The last short segment's size, for the estimate of the peer's MSS (Linux icsk_ack.last_seg_size). */
  lastSegSize = 0;
  /** A D-SACK block to report (RFC 2883), or null. */
  dsack: [number, number] | null = null;
  /** When the last out-of-window or challenge ACK went out (Linux last_oow_ack_time). */
  lastOowAck = -Infinity;

  // ---- timers ----------------------------------------------------------------------------------
  // Each made when first used (an idle connection never arms its persist, keep-alive or close
  // timer); the getters below make them, the fields are null until then.
  /** @internal */ _rtxTimer: RetransmitTimer<TcpSocket> | null = null;
  /** @internal */ _persistTimer: LazyTimer<TcpSocket> | null = null;
  /** @internal */ _delackTimer: LazyTimer<TcpSocket> | null = null;
  /** @internal */ _keepaliveTimer: LazyTimer<TcpSocket> | null = null;
  /** @internal */ _closeTimer: LazyTimer<TcpSocket> | null = null;
  /** Whether the connection's timers (keep-alive aside) hold the clock: false once orphaned. */
  timersRefed = true;
  /** Zero-window / keepalive probes sent without an answer. */
  probesOut = 0;
  /** When the current run of zero-window probes started (for TCP_USER_TIMEOUT). */
  probeStart = 0;

  // ---- socket options --------------------------------------------------------------------------
  nodelay = false;
  cork = false;
  /** A send with MSG_MORE is pushing: partial segments wait as under TCP_CORK (this call only). */
  moreCork = false;
  keepalive = false;
  keepIdle: number;
  keepIntvl: number;
  keepCnt: number;
  userTimeout = 0;
  /** TCP_SYNCNT (0: tcp.config.synRetries). */
  synCount = 0;
  reuseAddr = false;
  reusePort = false;
  v6only = false;
  lingerOn = false;
  lingerSecs = 0;
  ccName: CongestionName;

  // ---- Fast Open (RFC 7413, fastopen.ts) ---------------------------------------------------------
  /** TCP_FASTOPEN_CONNECT: connect() waits for the first write when a cookie is cached. */
  fastopenConnect = false;
  /** TCP_FASTOPEN_NO_COOKIE: data in the SYN without a cookie (client), or taken without one (listener). */
  fastopenNoCookie = false;
  /** connect() deferred its SYN to the first write (Linux inet->defer_connect). */
  deferConnect = false;
  /** A client's Fast Open in progress (Linux tp->fastopen_req). */
  fastopenReq: FastopenRequest | null = null;
  /** Our SYN carried the Fast Open option / its experimental form / data (Linux syn_fastopen, syn_fastopen_exp, syn_data). */
  synFastopen = false;
  synFastopenExp = false;
  synData = false;
  /** Fast Open ran after a blackhole pause ended (Linux syn_fastopen_ch). */
  synFastopenCh = false;
  /** The SYN's data was acknowledged by the SYN-ACK, or (server) the SYN's data was taken (TCPI_OPT_SYN_DATA). */
  synDataAcked = false;
  /** tcpi_fastopen_client_fail. */
  fastopenClientFail = 0;
  /** Listener: TCP_FASTOPEN's queue length (0: no Fast Open) and Fast Open children not yet past SYN-RECEIVED. */
  fastopenMaxQlen = 0;
  fastopenQlen = 0;
  /** Listener: its own cookie keys (TCP_FASTOPEN_KEY), else the host's. */
  fastopenKeys: FastopenKey[] | null = null;
  /** A Fast Open child still in SYN-RECEIVED (Linux tp->fastopen_rsk), and its listener. */
  fastopenRsk = false;
  fastopenListener: TcpSocket | null = null;
  /** The cookie the next SYN-ACK carries (only the first one does). */
  synackCookie: FoCookie | null = null;
  /** Callers waiting to write (Linux sk_write_pending): the handshake's last ACK waits for their data. */
  writePending = 0;

  // ---- MSG_ZEROCOPY and the error queue (zerocopy.ts) ----------------------------------------------
  /** ECN state (ecn.ts; Linux tp->ecn_flags). */
  ecnFlags = 0;
  /** When a segment last left (Linux tcp_wstamp_ns): TSO deferral waits only while sending goes on. */
  lastXmit = -Infinity;
  /** SO_MAX_PACING_RATE in bytes per second (-1: none). */
  maxPacingRate = -1;
  /** SO_ZEROCOPY. */
  zerocopy = false;
  /** SO_MARK (Linux sk_mark): kept and read back; usernet has no policy routing or filter it would select. */
  mark = 0;
  /** The next zerocopy send's id (Linux sk_zckey), and the sends not yet complete. */
  zcKey = 0;
  zcPending: ZerocopySend[] = noItems();
  /** The error queue (Linux sk_error_queue): recvmsg(MSG_ERRQUEUE) reads it; POLLERR while not empty. */
  errQueue: ErrQueueEntry[] = noItems();
  /** SO_TIMESTAMPING's flags (Linux sk_tsflags), the OPT_ID base (sk_tskey), the writes' marked last bytes (timestamping.ts). */
  tsFlags = 0;
  tsKey = 0;
  tsMarks: TstampMark[] | null = null;

  // ---- listener --------------------------------------------------------------------------------
  backlog = 0;
  readonly synQueue = new LazySet<TcpSocket>();
  /** Requests in the SYN queue whose SYN-ACK has not timed out yet (Linux reqsk_queue_len_young). */
  synYoung = 0;
  acceptQueue: TcpSocket[] = noItems();
  /** Queues a connection for accept() (Linux inet_csk_reqsk_queue_add). */
  acceptPush(c: TcpSocket): void {
    if (isNoItems(this.acceptQueue)) this.acceptQueue = [];
    this.acceptQueue.push(c);
  }

  // ---- counters (TCP_INFO) ---------------------------------------------------------------------
  bytesAcked = 0;
  bytesReceived = 0;
  bytesSent = 0;
  bytesRetrans = 0;
  segsIn = 0;
  segsOut = 0;
  dataSegsIn = 0;
  dataSegsOut = 0;
  totalRetrans = 0;
  lastDataSent = 0;
  lastDataRecv = 0;
  lastAckRecv = 0;
  /** Time anything was last received (keepalive idle time). */
  rcvTstamp = 0;
  /** Depth of socket calls in progress on this socket (their readiness changes are told later). */
  inCall = 0;
  notifyPending = false;
  /** Most bytes in flight in the current window (congestion window validation, RFC 7661). */
  maxFlight = 0;

  constructor(readonly tcp: Tcp, readonly domain: Domain) {
    const c = tcp.config;
    this.family = domain === AF_INET ? 4 : 6;
    this.sndbuf = c.wmem[1];
    this.rcvbuf = c.rmem[1];
    this.keepIdle = c.keepaliveTimeMs;
    this.keepIntvl = c.keepaliveIntvlMs;
    this.keepCnt = c.keepaliveProbes;
    this.rto = c.rtoInitialMs;
    this.ccName = c.congestion;
    this.cc = createCongestionControl(this.ccName, c);
  }

  /** RTO, with the loss probe and RACK reordering timers in the same slot (Linux icsk_retransmit_timer). */
  get rtxTimer(): RetransmitTimer<TcpSocket> {
    let t = this._rtxTimer;
    if (t === null) {
      t = this._rtxTimer = new RetransmitTimer(this.tcp.sched, onRetransmitTimer, this as unknown as TcpSocket);
      if (!this.timersRefed) t.unref();
    }
    return t;
  }
  get persistTimer(): LazyTimer<TcpSocket> { return this._persistTimer ??= this.newTimer(onPersistTimer); }
  get delackTimer(): LazyTimer<TcpSocket> { return this._delackTimer ??= this.newTimer(onDelackTimer); }
  get keepaliveTimer(): LazyTimer<TcpSocket> {
    let t = this._keepaliveTimer;
    if (t === null) {
      t = this._keepaliveTimer = new LazyTimer(this.tcp.sched, onKeepaliveTimer, this as unknown as TcpSocket);
      // Keep-alive never holds the clock by itself: an idle connection probed every two hours would
      // otherwise move virtual time forever (Linux's kernel timers do not hold a process either).
      t.refed = false;
    }
    return t;
  }
  /** TIME-WAIT, and the FIN-WAIT-2 timeout of orphans. */
  get closeTimer(): LazyTimer<TcpSocket> { return this._closeTimer ??= this.newTimer(onCloseTimer); }

  private newTimer(handler: (s: TcpSocket) => void): LazyTimer<TcpSocket> {
    const t = new LazyTimer(this.tcp.sched, handler, this as unknown as TcpSocket);
    if (!this.timersRefed) t.refed = false;
    return t;
  }

  /** Bytes in flight (RFC 6675 pipe / Linux tcp_packets_in_flight, in bytes). */
  get inFlight(): number {
    return ((this.sndNxt - this.sndUna) | 0) - this.sackedBytes - this.lostBytes + this.retransBytes;
  }

  /** Payload room of the receive buffer (half of SO_RCVBUF, Linux's tcp_adv_win_scale = 1). */
  get rcvBudget(): number { return this.rcvbuf >> 1; }

  /** Linux sk_rcvbuf: what the receive and out-of-order queues may be charged. */
  get rmemLimit(): number { return this.rcvbufClamped > this.rcvbuf ? this.rcvbufClamped : this.rcvbuf; }
}
