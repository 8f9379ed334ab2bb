// TCP_INFO (Linux struct tcp_info, in camelCase; times in milliseconds, windows also in bytes)
// and the rows `ss -tani` prints (host.ss()).
import { AF_INET } from '../../uapi/socket.js';
import { CA_CWR, CA_DISORDER, CA_LOSS, CA_RECOVERY } from './tcb.js';
import { CLOSED, LISTEN, ssStateName } from './state.js';
import type { TcpSocket } from './socket.js';

export interface TcpInfo {
  /** ss state name: ESTAB, SYN-SENT, LISTEN, TIME-WAIT, ... */
  state: string;
  /** Congestion-avoidance state (Linux tcpi_ca_state). */
  caState: 'open' | 'disorder' | 'cwr' | 'recovery' | 'loss';
  /** Consecutive retransmission timeouts (tcpi_retransmits). */
  retransmits: number;
  /** Unanswered zero-window or keep-alive probes. */
  probes: number;
  backoff: number;
  /** tcpi_options: timestamps, SACK, window scales [snd, rcv]; synData: Fast Open data in the SYN was taken (TCPI_OPT_SYN_DATA). */
  options: { timestamps: boolean; sack: boolean; wscale: [number, number] | null; synData: boolean; ecn: boolean; ecnSeen: boolean };
  /** tcpi_fastopen_client_fail: 0, or 1 no cookie, 2 SYN data not acknowledged, 3 SYN retransmitted. */
  fastopenClientFail: number;
  congestion: string;
  /** Retransmission timeout in force (ms). */
  rto: number;
  /** Delayed-ACK timeout (ms). */
  ato: number;
  sndMss: number;
  rcvMss: number;
  advmss: number;
  pmtu: number;
  /** Segments sent and not acknowledged / SACKed / deemed lost / retransmitted and outstanding. */
  unacked: number;
  sacked: number;
  lost: number;
  retrans: number;
  /** Smoothed RTT and its variation (ms). */
  rtt: number;
  rttvar: number;
  minRtt: number;
  /** Congestion window and slow-start threshold in segments (as Linux reports them) and bytes. */
  sndCwnd: number;
  sndSsthresh: number;
  cwndBytes: number;
  ssthreshBytes: number;
  bytesInFlight: number;
  reordering: number;
  /** Reordering events seen (tcpi_reord_seen; RACK, RFC 8985 §6.2 step 3). */
  reordSeen: number;
  /** Receiver RTT estimate (ms) and auto-tuned receive space (bytes). */
  rcvRtt: number;
  rcvSpace: number;
  sndWnd: number;
  rcvWnd: number;
  sndBuf: number;
  rcvBuf: number;
  totalRetrans: number;
  bytesSent: number;
  bytesRetrans: number;
  bytesAcked: number;
  bytesReceived: number;
  segsOut: number;
  segsIn: number;
  dataSegsOut: number;
  dataSegsIn: number;
  notsentBytes: number;
  /** Time since the last data sent / received / ACK received (ms). */
  lastDataSent: number;
  lastDataRecv: number;
  lastAckRecv: number;
}

export interface SsEntry {
  proto: 'tcp';
  state: string;
  /** 'address:port' as ss prints it ('[::1]:80' for IPv6, '*' port for a listener's peer). */
  local: string;
  remote: string;
  /** LISTEN: connections waiting for accept() and the backlog; otherwise bytes unread and unacknowledged. */
  recvQ: number;
  sendQ: number;
  info: TcpInfo;
}

function caName(s: TcpSocket): TcpInfo['caState'] {
  switch (s.caState) {
    case CA_DISORDER: return 'disorder';
    case CA_CWR: return 'cwr';
    case CA_RECOVERY: return 'recovery';
    case CA_LOSS: return 'loss';
  }
  return 'open';
}

export function tcpInfo(s: TcpSocket): TcpInfo {
  const now = s.tcp.sched.now();
  const q = s.sendQ;
  let unacked = 0;
  let sacked = 0;
  let lost = 0;
  let retrans = 0;
  for (let i = q.head; i < q.sendIdx; i++) {
    const k = q.skbs[i]!;
    unacked++;
    if (k.sacked) sacked++;
    if (k.lost) lost++;
    if (k.retrans) retrans++;
  }
  const mss = s.mss > 0 ? s.mss : 1;
  const rwnd = (s.rcvAdvEdge - s.rcvNxt) | 0;
  return {
    state: ssStateName(s.state),
    caState: caName(s),
    retransmits: s.retransmits,
    probes: s.probesOut,
    backoff: s.backoff,
    options: { timestamps: s.tsOk, sack: s.sackOk, wscale: s.wscaleOk ? [s.sndWscale, s.rcvWscale] : null, synData: s.synDataAcked,
      ecn: (s.ecnFlags & 1) !== 0, ecnSeen: (s.ecnFlags & 8) !== 0 },
    fastopenClientFail: s.fastopenClientFail,
    congestion: s.ccName,
    rto: Math.min(s.rto * 2 ** s.backoff, s.tcp.config.rtoMaxMs),
    ato: s.tcp.config.delackMs,
    sndMss: s.mss,
    rcvMss: s.rcvMss,
    advmss: s.advMss,
    pmtu: s.pmtu,
    unacked,
    sacked,
    lost,
    retrans,
    rtt: s.srtt,
    rttvar: s.rttvar,
    minRtt: s.minRtt === Infinity ? 0 : s.minRtt,
    sndCwnd: Math.floor(s.cwnd / mss),
    sndSsthresh: s.ssthresh === Infinity ? 0x7fffffff : Math.floor(s.ssthresh / mss),
    cwndBytes: s.cwnd,
    ssthreshBytes: s.ssthresh,
    bytesInFlight: s.state === LISTEN || s.state === CLOSED ? 0 : Math.max(0, s.inFlight),
    reordering: s.tcp.config.reordering,
    reordSeen: s.rack.reordSeen,
    rcvRtt: s.rcvRtt < 0 ? 0 : s.rcvRtt,
    rcvSpace: s.rcvSpace,
    sndWnd: s.sndWnd,
    rcvWnd: rwnd > 0 ? rwnd : 0,
    sndBuf: s.sndbuf,
    rcvBuf: s.rmemLimit,
    totalRetrans: s.totalRetrans,
    bytesSent: s.bytesSent,
    bytesRetrans: s.bytesRetrans,
    bytesAcked: s.bytesAcked,
    bytesReceived: s.bytesReceived,
    segsOut: s.segsOut,
    segsIn: s.segsIn,
    dataSegsOut: s.dataSegsOut,
    dataSegsIn: s.dataSegsIn,
    notsentBytes: q.unsentBytes,
    lastDataSent: s.lastDataSent > 0 ? now - s.lastDataSent : 0,
    lastDataRecv: s.lastDataRecv > 0 ? now - s.lastDataRecv : 0,
    lastAckRecv: s.lastAckRecv > 0 ? now - s.lastAckRecv : 0,
  };
}

/** 'address:port' as ss prints it: '10.0.0.1:80', '[fd00::1]:80', '0.0.0.0:*'. */
export function endpoint(address: string, port: number | '*'): string {
  return address.indexOf(':') >= 0 ? `[${address}]:${port}` : `${address}:${port}`;
}

export function ssEntry(s: TcpSocket): SsEntry {
  const v4 = s.domain === AF_INET;
  if (s.state === LISTEN) {
    const a = s.sockAddr();
    return {
      proto: 'tcp', state: 'LISTEN', local: endpoint(a.address, a.port), remote: endpoint(v4 ? '0.0.0.0' : '::', '*'),
      recvQ: s.acceptQueue.length, sendQ: s.backlog, info: tcpInfo(s),
    };
  }
  const l = s.sockAddr();
  const r = s.peerAddr();
  return {
    proto: 'tcp', state: ssStateName(s.state), local: endpoint(l.address, l.port), remote: endpoint(r.address, r.port),
    recvQ: s.recvQ.bytes, sendQ: s.sendQ.bytes, info: tcpInfo(s),
  };
}
