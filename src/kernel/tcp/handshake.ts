// Connection set-up helpers shared by the active open (connect), the passive open (a listener's
// SYN queue) and SYN cookies: initial sequence numbers, MSS, window scale and option negotiation.
import type { TcpRepr } from '../../wire/tcp.js';
import { chooseWscale, mssForMtu, readSynOptions, TS_OPTION_LEN } from './options.js';
import type { TcpSocket } from './socket.js';

/** Linux TCP_MIN_SND_MSS: the sender MSS never goes below this. */
const MIN_SND_MSS = 48;

/** RFC 9293 §3.7.1: the MSS we announce, from the route's MTU (and TCP_MAXSEG). */
export function advertisedMss(s: TcpSocket): number {
  let m = mssForMtu(s.family, s.pmtu);
  if (s.userMss > 0 && s.userMss < m) m = s.userMss;
  return m;
}

/**
 * RFC 9293 §3.7.1 Eff.snd.MSS: min(peer's MSS, path MTU - headers) minus the fixed options
 * (timestamps, RFC 7323 §3.2) — the payload of a full segment.
 */
export function syncMss(s: TcpSocket): void {
  let m = Math.min(s.peerMss, mssForMtu(s.family, s.pmtu));
  if (s.userMss > 0 && s.userMss < m) m = s.userMss;
  if (s.tsOk) m -= TS_OPTION_LEN;
  s.mss = m > MIN_SND_MSS ? m : MIN_SND_MSS;
}

/** The window scale we offer: enough for the largest receive buffer (RFC 7323 §2.3; Linux uses tcp_rmem[2]). */
export function ourWscale(s: TcpSocket): number {
  const c = s.tcp.config;
  if (!c.windowScaling) return 0;
  return chooseWscale(s.rcvbufLocked ? s.rcvbuf : Math.max(c.rmem[2], s.rcvbuf));
}

/** Sequence numbers and per-connection values before our SYN (RFC 6528, RFC 7323 §5.4). */
export function prepareActive(s: TcpSocket, mtu: number): void {
  const tcp = s.tcp;
  s.pmtu = mtu;
  s.advMss = advertisedMss(s);
  s.rcvWscale = ourWscale(s);
  s.tsOffset = tcp.tsOffset(s.localAddr, s.remoteAddr);
  s.iss = tcp.isn.isn(s.localAddr, s.localPort, s.remoteAddr, s.remotePort);
  s.sndUna = s.iss;
  s.sndNxt = (s.iss + 1) >>> 0;
  s.rtxHint = s.sndUna;
  s.recoveryPoint = s.sndUna;
}

/** Options of the peer's SYN-ACK (RFC 7323 §2.2, §3.2; RFC 2018 §2): what both sides agreed on. */
export function negotiateFromSynAck(s: TcpSocket, seg: TcpRepr, now: number): void {
  const c = s.tcp.config;
  const offer = readSynOptions(seg.options, s.family);
  s.peerMss = offer.mss;
  s.sackOk = c.sack && offer.sackOk;
  s.wscaleOk = c.windowScaling && offer.wscale >= 0;
  if (s.wscaleOk) s.sndWscale = offer.wscale;
  else { s.sndWscale = 0; s.rcvWscale = 0; }
  s.tsOk = c.timestamps && offer.tsval >= 0;
  if (s.tsOk) {
    s.tsRecent = offer.tsval;
    s.tsRecentStamp = now;
  }
  syncMss(s);
}

/** Options of a peer's SYN at a listener: we answer with the ones it offered. */
export function negotiateFromSyn(s: TcpSocket, seg: TcpRepr, now: number): void {
  const c = s.tcp.config;
  const offer = readSynOptions(seg.options, s.family);
  s.peerMss = offer.mss;
  s.sackOk = c.sack && offer.sackOk;
  s.wscaleOk = c.windowScaling && offer.wscale >= 0;
  if (s.wscaleOk) { s.sndWscale = offer.wscale; s.rcvWscale = ourWscale(s); }
  else { s.sndWscale = 0; s.rcvWscale = 0; }
  s.tsOk = c.timestamps && offer.tsval >= 0;
  if (s.tsOk) {
    s.tsRecent = offer.tsval;
    s.tsRecentStamp = now;
  }
  s.advMss = advertisedMss(s);
  syncMss(s);
}
