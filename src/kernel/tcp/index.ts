// TCP for one host (RFC 9293): the TransportProtocol the IP layer hands segments to. It owns the
// port table (with TCP's bind rules), the connection demultiplexer (one Map lookup per segment),
// the listeners, RSTs for closed ports (RFC 9293 §3.10.7.1), ICMP errors (RFC 5927, RFC 1191 /
// RFC 8201 path MTU), and the per-host secrets for ISNs and SYN cookies.
//
//   const tcp = new Tcp(ip, sched, random, { timeWaitMs: 1000 });  // registers for protocol 6
//   const s = tcp.socket(AF_INET);                                   // a KernelSocket for sys
//   tcp.sockets();                                                   // rows for host.ss()
//
// Counters: ip.stats.tcp, with Linux's /proc/net/snmp "Tcp:" names (ActiveOpens, PassiveOpens,
// AttemptFails, EstabResets, CurrEstab, InSegs, OutSegs, RetransSegs, InErrs, OutRsts,
// InCsumErrors) and the /proc/net/netstat "TcpExt:" ones this stack keeps (SyncookiesSent, ...).
import type { Scheduler } from '../../links/clock.js';
import type { Random } from '../../links/random.js';
import { AF_INET, type Domain } from '../../uapi/socket.js';
import { copyBytes, get16, get32 } from '../../wire/bytes.js';
import { parseIP } from '../../wire/addr.js';
import { WireError } from '../../wire/error.js';
import { parseTcp, tcpChecksumOk } from '../../wire/tcp.js';
import { IPPROTO_TCP, type IcmpError, type IpLayer, type IpPacket, type TransportProtocol } from '../ip-types.js';
import { PortTable, overlaps, reuseportSelect, type BindRequest, type Coverage, type PortEntry } from '../ports.js';
import { ChunkAllocator } from './buffers.js';
import { defaultTcpConfig, type TcpConfig } from './config.js';
import { advertisedMss, syncMss } from './handshake.js';
import { segmentArrives, timeWaitAcceptsSyn } from './input.js';
import { IsnGenerator } from './isn.js';
import { abortWithError, done, stopTimers } from './lifecycle.js';
import { listenArrives } from './listen.js';
import { sendActiveReset, sendResetReply, sendSyn, transmit, units } from './output.js';
import { seqAdd, seqBetween } from './seq.js';
import { ssEntry, type SsEntry } from './info.js';
import { CLOSE_WAIT, CLOSED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LISTEN, SYN_RECEIVED, SYN_SENT, TIME_WAIT } from './state.js';
import { SynCookies } from './syncookies.js';
import { FastopenHost } from './fastopen.js';
import { CA_LOSS } from './tcb.js';
import { TcpSocket } from './socket.js';
import { INT_MAX } from '../sysctl.js';
import { counterGroup } from '../stats.js';
import { LazyMap } from '../../links/lazy.js';

export { TcpSocket } from './socket.js';
export type { TcpConfig } from './config.js';
export type { TcpInfo, SsEntry } from './info.js';

const LO_IFINDEX = 1;

const COUNTERS = `ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs
  OutRsts InCsumErrors SyncookiesSent SyncookiesRecv SyncookiesFailed ListenOverflows ListenDrops TCPReqQFullDrop EmbryonicRsts TCPTimeWaitOverflow
  TCPChallengeACK TCPSYNChallenge TCPACKSkippedChallenge TCPACKSkippedSeq PAWSEstab OutOfWindowIcmps TCPTimeouts
  TCPFastRetrans TCPSackRecovery TCPRenoRecovery TCPAbortOnTimeout TCPAbortOnData TCPAbortOnClose TCPAbortOnLinger
  TCPKeepAlive TCPKeepAliveTimeout TCPWinProbe TCPOFOQueue TCPOFODrop TCPRcvQDrop PruneCalled TCPRcvCollapsed OfoPruned RcvPruned TCPDSACKRecv DelayedACKs TW TWRecycled TCPWQueueTooBig
  DelayedACKLost TCPLossProbes TCPLossProbeRecovery TCPLostRetransmit TCPSACKReorder TCPTSReorder
  TCPFullUndo TCPPartialUndo TCPDSACKUndo TCPLossUndo
  TCPFastOpenActive TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail TCPFastOpenPassiveAltKey
  TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole PAWSActiveRejected TCPRetransFail`;

export type TcpCounters = Record<string, number>;

/**
 * Whether an ICMP error is "hard" (Linux icmp_err_convert / icmpv6_err_convert `fatal`;
 * RFC 1122 §4.2.3.9 lets protocol and port unreachable abort, the others are soft).
 */
function icmpFatal(e: IcmpError): boolean {
  if (e.family === 4) {
    if (e.type === 3) return [2, 3, 6, 7, 8, 9, 10, 13, 14, 15].includes(e.code);
    return e.type === 12;
  }
  if (e.type === 1) return e.code === 1 || e.code === 4 || e.code === 5 || e.code === 6;
  return e.type === 4;
}

/**
 * Whether an ICMP error ends a half-open passive connection, silently (Linux tcp_req_err's
 * `abort`): over IPv4, tcp_v4_err's rule: a parameter problem, a time exceeded, or a destination
 * unreachable for the net or the host (RFC 1122 §4.2.3.9: the SYN-ACK's path is gone); over
 * IPv6 tcp_v6_err's, a fatal error (icmpv6_err_convert).
 */
function reqsockAbort(e: IcmpError): boolean {
  if (e.family === 4) return e.type === 12 || e.type === 11 || (e.type === 3 && (e.code === 0 || e.code === 1));
  return icmpFatal(e);
}

const counters: () => TcpCounters = counterGroup(COUNTERS);

/**
 * TCP's bind rule (Linux inet_bind_conflict): overlapping bindings share a port when both set
 * SO_REUSEADDR and the existing one is not listening, or both set SO_REUSEPORT; ports that
 * connect() picked are shared by connections to different peers (the 4-tuple keeps them apart).
 */
function tcpMayShare(a: PortEntry<TcpSocket>, b: PortEntry<TcpSocket>): boolean {
  if (a.owner.connectBound && b.owner.connectBound) return true;
  if (a.reuseAddr && b.reuseAddr && b.owner.state !== LISTEN) return true;
  return a.reusePort && b.reusePort;
}

/** An address and its bytes (Tcp.addr). */
export interface Addr {
  readonly addr: string;
  readonly bytes: Uint8Array;
}

/** How many addresses Tcp.addr keeps. */
const ADDR_CACHE = 4096;

export class Tcp implements TransportProtocol {
  readonly protocol = IPPROTO_TCP;
  readonly config: TcpConfig;
  readonly ports: PortTable<TcpSocket>;
  readonly stats: TcpCounters;
  readonly isn: IsnGenerator;
  readonly cookies: SynCookies;
  /** Fast Open's key, the client's cookie cache and the blackhole detector (RFC 7413). */
  readonly fastopen: FastopenHost;
  /** Storage for the send queues of this host's connections. */
  readonly mem = new ChunkAllocator();
  /** Connections in TIME-WAIT now (Linux tcp_death_row.tw_refcount), against tcp_max_tw_buckets. */
  twCount = 0;
  /** Connections (every state but LISTEN and CLOSED) by localPort * 65536 + remotePort. */
  private readonly conns = new LazyMap<number, TcpSocket[]>();
  private readonly listeners = new LazyMap<number, TcpSocket[]>();
  /** Connections made by listeners, by local port: they use their listener's port (Linux's bind bucket). */
  private readonly children = new LazyMap<number, Set<TcpSocket>>();
  /** Addresses of connections: one string and one byte array per address, shared by its connections (addr()). */
  private addrs: Map<string, Addr> | null = null;
  private hashSecret = -1;
  private challengeSec = -1;
  private challengeCount = 0;

  /**
   * CLOCK_REALTIME at network time 0 (ms since 1970: the network's epoch; the host sets it):
   * SO_TIMESTAMPING's software timestamps.
   */
  realtimeEpoch = 0;

  constructor(readonly ip: IpLayer, readonly sched: Scheduler, readonly random: Random, config: Partial<TcpConfig> = {}) {
    this.config = { ...defaultTcpConfig(), ...config };
    this.ports = new PortTable<TcpSocket>(random, { mayShare: tcpMayShare });
    this.isn = new IsnGenerator(random, sched);
    this.cookies = new SynCookies(random, sched);
    this.fastopen = new FastopenHost(random, this.config);
    const kept = ip.stats.tcp as TcpCounters | undefined;
    this.stats = kept ?? counters();
    if (kept !== undefined) for (const [k, v] of Object.entries(counters())) if (kept[k] === undefined) kept[k] = v;
    ip.stats.tcp = this.stats;
    ip.register(this);
  }

  /**
   * The address `addr` (its bytes `bytes` if at hand) as connections keep it: one string and one
   * byte array for every connection to or from it, never written to (a connection's own copies
   * cost it ~420 bytes). At most ADDR_CACHE addresses are kept; past that the cache starts over.
   */
  addr(addr: string, bytes?: Uint8Array): Addr {
    let m = this.addrs;
    if (m === null) m = this.addrs = new Map();
    let e = m.get(addr);
    if (e === undefined) {
      if (m.size >= ADDR_CACHE) m.clear();
      e = { addr, bytes: bytes !== undefined ? copyBytes(bytes) : parseIP(addr)! };
      m.set(addr, e);
    }
    return e;
  }

  /** A new TCP socket (AF_INET or AF_INET6). */
  socket(domain: Domain): TcpSocket {
    return new TcpSocket(this, domain);
  }

  // ---- input ------------------------------------------------------------------------------------

  input(pkt: IpPacket): void {
    const st = this.stats;
    const buf = pkt.payload;
    const seg = parseTcp(buf);
    if (seg instanceof WireError) { st.InErrs++; return; }
    // RFC 9293 §3.1: a segment with a bad checksum is dropped. Loopback packets never left the
    // host, and a super-segment crossed only virtual wires whole: both left it partial (offload).
    const gso = pkt.gso;
    if (pkt.ifindex !== LO_IFINDEX && !(gso !== undefined && gso > 0) && !tcpChecksumOk(buf, pkt.srcBytes, pkt.dstBytes)) {
      st.InCsumErrors++;
      st.InErrs++;
      return;
    }
    st.InSegs += gso !== undefined && gso > 0 ? Math.ceil(seg.payload.length / gso) || 1 : 1;
    // RFC 1122 §4.2.3.10, RFC 9293 §3.9.1: TCP is unicast only.
    if (pkt.multicast) return;
    const s = this.lookupConn(pkt.dst, seg.dstPort, pkt.src, seg.srcPort);
    if (s !== null) {
      if (s.state === TIME_WAIT && timeWaitAcceptsSyn(s, seg)) {
        // RFC 1122 §4.2.2.13 / RFC 6191: a new SYN may reopen a connection in TIME-WAIT; the new
        // ISN is above anything the old incarnation used (Linux: SND.NXT + 65535 + 2).
        const l = this.lookupListener(pkt.family, pkt.dst, seg.dstPort, pkt.src, seg.srcPort);
        if (l !== null) {
          const isn = seqAdd(s.sndNxt, 65537);
          st.TWRecycled++;
          done(s);
          listenArrives(this, l, seg, pkt, isn === 0 ? 1 : isn);
          return;
        }
      }
      segmentArrives(s, seg, pkt);
      return;
    }
    const l = this.lookupListener(pkt.family, pkt.dst, seg.dstPort, pkt.src, seg.srcPort);
    if (l !== null) {
      listenArrives(this, l, seg, pkt);
      return;
    }
    // RFC 9293 §3.10.7.1: no such connection: answer with a reset (never to a reset).
    sendResetReply(this, pkt, seg);
  }

  /**
   * ICMP errors about our segments (RFC 5927; RFC 1122 §4.2.3.9; Linux tcp_v4_err): path MTU
   * updates (RFC 1191, RFC 8201); in SYN-SENT / SYN-RECEIVED the attempt fails with the error;
   * on a synchronized connection it is a soft error, reported if the connection times out.
   */
  icmpError(err: IcmpError): void {
    const t = err.transport;
    if (t.length < 8) return;
    const sport = get16(t, 0);
    const dport = get16(t, 2);
    const seq = get32(t, 4);
    const s = this.lookupConn(err.src, sport, err.dst, dport);
    if (s === null || s.state === TIME_WAIT) return;
    // RFC 5927 §4.1: only for a segment that is in flight.
    const inFlight = s.state === SYN_SENT || (s.state === SYN_RECEIVED && s.passive)
      ? seq === s.iss
      : seqBetween(s.sndUna, seq, s.sndNxt);
    if (!inFlight) { this.stats.OutOfWindowIcmps++; return; }
    if (err.mtu !== undefined && err.mtu > 0) {
      this.pmtuChanged(s, err.mtu);
      return;
    }
    if (err.errno <= 0) return;
    if (s.state === SYN_SENT || s.state === SYN_RECEIVED) {
      // Linux tcp_req_err: a half-open passive connection goes only for a hard error; an
      // active open fails with any (tcp_v4_err).
      // A Fast Open child is a full socket: it takes the error (Linux tcp_v4_err).
      if (s.fastopenRsk) abortWithError(s, err.errno);
      else if (s.passive) {
        if (reqsockAbort(err)) { this.stats.ListenDrops++; done(s); }
      } else abortWithError(s, err.errno);
      return;
    }
    s.softErr = err.errno;
  }

  /**
   * The path MTU toward the peer dropped (RFC 1191 §6.3, RFC 8201 §5.2): a smaller MSS, and the
   * segments in flight that no longer fit are sent again at once (Linux tcp_simple_retransmit).
   */
  pmtuChanged(s: TcpSocket, mtu: number): void {
    const min = s.family === 4 ? 552 : 1280; // Linux ip_rt_min_pmtu; RFC 8200 §5
    if (mtu < min) mtu = min;
    if (mtu >= s.pmtu || !s.acceptsPmtu()) return;
    s.pmtu = mtu;
    if (s.state === SYN_SENT) { this.synSentPmtu(s); return; }
    const old = s.mss;
    syncMss(s);
    if (s.mss >= old) return;
    const q = s.sendQ;
    let lost = false;
    for (let i = q.head; i < q.sendIdx; i++) {
      const skb = q.skbs[i]!;
      if (skb.len > s.mss && !skb.sacked) {
        if (skb.retrans) { skb.retrans = false; s.retransBytes -= units(skb); }
        if (!skb.lost) { skb.lost = true; s.lostBytes += units(skb); }
        lost = true;
      }
    }
    if (!lost) return;
    if (s.caState !== CA_LOSS) {
      s.recoveryPoint = s.sndNxt;
      s.caState = CA_LOSS;
    }
    s.rtxHint = s.sndUna;
    transmit(s);
  }

  /**
   * The path MTU dropped while our SYN is out (Linux tcp_v4_mtu_reduced then tcp_simple_retransmit):
   * the SYN goes again at once announcing the smaller MSS; a Fast Open SYN's data that no longer
   * fits is sent again after the handshake (RFC 7413 §4.2.1).
   */
  private synSentPmtu(s: TcpSocket): void {
    s.advMss = advertisedMss(s);
    syncMss(s);
    const q = s.sendQ;
    for (let i = q.head; i < q.sendIdx; i++) {
      const skb = q.skbs[i]!;
      skb.everRetrans = true;
      if (skb.len > s.mss && !skb.lost) { skb.lost = true; s.lostBytes += units(skb); q.tsUnlink(skb); }
    }
    this.stats.RetransSegs++;
    s.totalRetrans++;
    sendSyn(s, false);
  }

  // ---- demultiplexing ---------------------------------------------------------------------------

  lookupConn(laddr: string, lport: number, raddr: string, rport: number): TcpSocket | null {
    const list = this.conns.get(lport * 65536 + rport);
    if (list === undefined) return null;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (s.remoteAddr === raddr && s.localAddr === laddr) return s;
    }
    return null;
  }

  /** The listener for a SYN: bound to the address itself before wildcards, AF_INET before dual stack; SO_REUSEPORT groups share by flow hash. */
  lookupListener(family: 4 | 6, dst: string, dport: number, src: string, sport: number): TcpSocket | null {
    const list = this.listeners.get(dport);
    if (list === undefined) return null;
    let best: TcpSocket | null = null;
    let bestScore = -1;
    for (let i = 0; i < list.length; i++) {
      const l = list[i]!;
      const e = l.entry!;
      const mine = family === 4 ? e.v4 : e.v6;
      if (mine === null || (mine !== '*' && mine !== dst)) continue;
      const score = (mine === dst ? 2 : 0) + ((l.domain === AF_INET) === (family === 4) ? 1 : 0);
      if (score > bestScore) { best = l; bestScore = score; }
    }
    if (best === null || !best.reusePort) return best;
    const group = list.filter((l) => l.reusePort && l.domain === best!.domain && l.entry!.address === best!.entry!.address);
    if (group.length <= 1) return best;
    if (this.hashSecret < 0) this.hashSecret = this.random.u32();
    return reuseportSelect(group, this.hashSecret, src, sport, dst, dport);
  }

  hash(s: TcpSocket): void {
    if (s.hashed) return;
    const key = s.localPort * 65536 + s.remotePort;
    let list = this.conns.get(key);
    if (list === undefined) { list = []; this.conns.set(key, list); }
    list.push(s);
    s.hashed = true;
    if (s.passive) {
      let set = this.children.get(s.localPort);
      if (set === undefined) { set = new Set(); this.children.set(s.localPort, set); }
      set.add(s);
    }
  }

  unhash(s: TcpSocket): void {
    if (!s.hashed) return;
    const key = s.localPort * 65536 + s.remotePort;
    const list = this.conns.get(key);
    if (list !== undefined) {
      const i = list.indexOf(s);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.conns.delete(key);
    }
    s.hashed = false;
  }

  addListener(s: TcpSocket): void {
    let list = this.listeners.get(s.localPort);
    if (list === undefined) { list = []; this.listeners.set(s.localPort, list); }
    if (!list.includes(s)) list.push(s);
  }

  removeListener(s: TcpSocket): void {
    const list = this.listeners.get(s.localPort);
    if (list === undefined) return;
    const i = list.indexOf(s);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.listeners.delete(s.localPort);
  }

  // ---- ports ------------------------------------------------------------------------------------

  /** bind(): the port table, plus the connections that use a listener's port. */
  bindPort(s: TcpSocket, req: BindRequest): PortEntry<TcpSocket> | number {
    const e = this.ports.bind(s, req);
    if (typeof e === 'number') return e;
    if (req.port !== 0 && this.childConflict(e)) {
      this.ports.unbind(e);
      return -98; // EADDRINUSE
    }
    s.entry = e;
    s.localPort = e.port;
    return e;
  }

  /** Linux inet_csk_listen_start's second look at the port. */
  portConflict(s: TcpSocket): boolean {
    const e = s.entry;
    return e !== null && (this.ports.conflict(e) !== null || this.childConflict(e));
  }

  private childConflict(e: PortEntry<TcpSocket>): boolean {
    const set = this.children.get(e.port);
    if (set === undefined) return false;
    for (const c of set) {
      if (c.parent === e.owner) continue;
      const cov: Coverage = c.family === 4 ? { v4: c.localAddr, v6: null } : { v4: null, v6: c.localAddr };
      if (!overlaps(e, cov)) continue;
      if ((e.reuseAddr && c.reuseAddr) || (e.reusePort && c.reusePort)) continue;
      return true;
    }
    return false;
  }

  /**
   * connect() on an unbound socket: an ephemeral port (even ports first, as Linux) that no
   * explicitly bound socket uses and that makes the 4-tuple unique. -EADDRNOTAVAIL when none.
   */
  connectPort(s: TcpSocket): number {
    const fam: 4 | 6 = s.domain === AF_INET ? 4 : 6;
    const shownLocal = fam === 6 && s.family === 4 ? `::ffff:${s.localAddr}` : s.localAddr;
    const port = this.ports.pickEphemeral((p) => {
      if (this.children.has(p) || this.listeners.has(p)) return false;
      for (const e of this.ports.entries(p)) {
        if (!e.owner.connectBound) return false;
        const o = e.owner;
        if (o.localAddr === s.localAddr && o.remoteAddr === s.remoteAddr && o.remotePort === s.remotePort) return false;
      }
      return true;
    }, 0);
    if (port < 0) return -99; // EADDRNOTAVAIL
    s.connectBound = true;
    const e = this.ports.bind(s, { family: fam, address: shownLocal, port, v6only: s.v6only, reuseAddr: s.reuseAddr, reusePort: s.reusePort });
    if (typeof e === 'number') { s.connectBound = false; return -99; }
    s.entry = e;
    s.localPort = port;
    return 0;
  }

  releasePort(s: TcpSocket): void {
    if (s.entry !== null) {
      this.ports.unbind(s.entry);
      s.entry = null;
    }
    s.connectBound = false;
    if (s.passive) {
      const set = this.children.get(s.localPort);
      if (set !== undefined) {
        set.delete(s);
        if (set.size === 0) this.children.delete(s.localPort);
      }
    }
  }

  // ---- helpers for the connections ----------------------------------------------------------------

  /** RFC 7323 §5.4: the TSval offset of a connection (none with tcp_timestamps = 2). */
  tsOffset(localAddr: string, remoteAddr: string): number {
    return this.config.timestampOffsets ? this.isn.tsOffset(localAddr, remoteAddr) : 0;
  }

  /**
   * RFC 5961 §7: the host-wide budget of challenge ACKs, as Linux tcp_send_challenge_ack: none
   * by default (tcp_challenge_ack_limit = INT_MAX, Linux 6.0+); when a limit is set, each second
   * allows a random number of them in [limit/2, limit*3/2) (Linux 4.7+), so that an off-path
   * attacker cannot count them (CVE-2016-5696).
   */
  challengeAllowed(): boolean {
    const limit = this.config.challengeAckLimit;
    if (limit >= INT_MAX) return true;
    const sec = Math.floor(this.sched.now() / 1000);
    if (sec !== this.challengeSec) {
      const half = (limit + 1) >>> 1;
      this.challengeSec = sec;
      this.challengeCount = half + this.random.int(limit);
    }
    if (this.challengeCount <= 0) return false;
    this.challengeCount--;
    return true;
  }

  /** Aborts a connection with a RST (close with unread data, data after close). */
  abortConnection(s: TcpSocket, err: number): void {
    const st = s.state;
    if (st === ESTABLISHED || st === CLOSE_WAIT || st === FIN_WAIT_1 || st === FIN_WAIT_2 || st === SYN_RECEIVED) sendActiveReset(s);
    if (err !== 0 && !s.orphan) s.err = err;
    done(s);
  }

  /**
   * Linux tcp_sndbuf_expand: the send buffer follows the congestion window (twice the larger of
   * the initial window and cwnd, in segments), up to tcp_wmem[2], unless SO_SNDBUF fixed it. A
   * segment costs what Linux charges for it: the MSS plus MAX_TCP_HEADER (320) and
   * skb_shared_info (320), rounded up to a power of two, plus the sk_buff (256).
   */
  expandSndbuf(s: TcpSocket): void {
    if (s.sndbufLocked) return;
    const segs = Math.max(this.config.initCwnd, Math.ceil(s.cwnd / s.mss), this.config.reordering + 1);
    const clamp = s.userMss > 0 && s.userMss < s.peerMss ? s.userMss : s.peerMss; // rx_opt.mss_clamp
    const perMss = 2 ** Math.ceil(Math.log2(Math.max(clamp, s.mss) + 640)) + 256;
    const want = Math.min(2 * segs * perMss, this.config.wmem[2]);
    if (want > s.sndbuf) s.sndbuf = want;
  }

  /** Rows for host.ss(): listeners, then connections. */
  sockets(): SsEntry[] {
    const out: SsEntry[] = [];
    for (const list of this.listeners.values()) for (const l of list) out.push(ssEntry(l));
    for (const list of this.conns.values()) for (const s of list) if (s.state !== CLOSED) out.push(ssEntry(s));
    return out;
  }

  /**
   * The host crashed: every connection, listener and binding is forgotten at once, without a
   * segment sent (the peers find out by their own timeouts or by RSTs after a restart).
   */
  crash(): void {
    const all = new Set<TcpSocket>();
    for (const list of this.conns.values()) for (const s of list) all.add(s);
    for (const list of this.listeners.values()) for (const l of list) { all.add(l); for (const c of l.synQueue) all.add(c); for (const c of l.acceptQueue) all.add(c); }
    for (const s of all) {
      stopTimers(s);
      s.orphan = true;
      s.onReady = null;
      s.state = CLOSED;
      s.hashed = false;
      s.sendQ.clear();
      s.recvQ.clear();
      s.ooo.clear();
      s.entry = null;
    }
    for (const e of [...this.ports.all()]) this.ports.unbind(e);
    this.conns.clear();
    this.listeners.clear();
    this.children.clear();
    this.stats.CurrEstab = 0;
    this.twCount = 0;
  }

  /** Every connection's socket (tests, tools). */
  connections(): TcpSocket[] {
    const out: TcpSocket[] = [];
    for (const list of this.conns.values()) out.push(...list);
    return out;
  }
}

