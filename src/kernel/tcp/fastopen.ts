// TCP Fast Open (RFC 7413), as Linux does it (net/ipv4/tcp_fastopen.c, tcp_output.c
// tcp_send_syn_data, tcp_input.c tcp_rcv_fastopen_synack, tcp_metrics.c's cookie cache):
//
// - the server's cookie is SipHash-2-4 of the SYN's source and destination addresses under a
//   128-bit key (tcp_fastopen_key, or a listener's TCP_FASTOPEN_KEY), 8 bytes little-endian;
//   a SYN carrying a valid cookie (or data while no cookie is required) makes a full child at
//   once, its data readable before the handshake completes;
// - the client remembers, per address pair, the cookie and MSS the server gave (Linux's
//   tcp_metrics); with a cookie, the SYN carries data (up to the MSS less 40 bytes of option
//   room), otherwise a cookie request; data the SYN-ACK does not acknowledge is sent again at once;
// - active Fast Open pauses after suspected middlebox blackholes (tcp_fastopen_blackhole_timeout_sec).
import type { Random } from '../../links/random.js';
import type { TcpOptions, TcpRepr } from '../../wire/tcp.js';
import type { IpPacket } from '../ip-types.js';
import { siphash24 } from './siphash.js';
import type { TcpSocket } from './socket.js';
import { LazyMap } from '../../links/lazy.js';
import { copyBytes } from '../../wire/bytes.js';

/** Linux's tcp_fastopen bits. */
export const TFO_CLIENT_ENABLE = 0x1;
export const TFO_SERVER_ENABLE = 0x2;
export const TFO_CLIENT_NO_COOKIE = 0x4;
export const TFO_SERVER_COOKIE_NOT_REQD = 0x200;
export const TFO_SERVER_WO_SOCKOPT1 = 0x400;

/** Linux TCP_FASTOPEN_COOKIE_SIZE: the cookies this server makes. */
export const FASTOPEN_COOKIE_SIZE = 8;
/** Linux MAX_TCP_OPTION_SPACE: option room a SYN with data leaves for middleboxes. */
const MAX_TCP_OPTION_SPACE = 40;

/** Linux tcp_fastopen_client_fail values (tcpi_fastopen_client_fail). */
export const TFO_STATUS_UNSPEC = 0;
export const TFO_COOKIE_UNAVAILABLE = 1;
export const TFO_DATA_NOT_ACKED = 2;
export const TFO_SYN_RETRANSMITTED = 3;

/** A cookie as Linux's struct tcp_fastopen_cookie: len -1 none, 0 a request, else the cookie's length. */
export interface FoCookie {
  len: number;
  val: Uint8Array;
  exp: boolean;
}

const NO_BYTES = new Uint8Array(0);

export function noCookie(): FoCookie { return { len: -1, val: NO_BYTES, exp: false }; }

/** The Fast Open option of a SYN or SYN-ACK (Linux tcp_parse_fastopen_option). */
export function cookieOf(o: TcpOptions): FoCookie {
  const f = o.fastopen;
  if (f === undefined || f.invalid === true) return noCookie();
  return { len: f.cookie.length, val: copyBytes(f.cookie), exp: f.exp };
}

/** A client's Fast Open in progress (Linux struct tcp_fastopen_request). */
export interface FastopenRequest {
  cookie: FoCookie;
  /** What the application gave: sent in the SYN as far as it fits. */
  data: Uint8Array;
  /** Bytes taken into the SYN. */
  copied: number;
  /** The application's buffer cannot be read (a NULL pointer, EFAULT): the SYN falls back to a cookie request. */
  fault?: boolean;
}

/** Four 32-bit key words, as SipHash's key (k0 = w1:w0, k1 = w3:w2: the key bytes little-endian). */
export type FastopenKey = Uint32Array;

/**
 * tcp_fastopen_key's text: 'a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4', optionally ',' and a backup
 * key (Linux proc_tcp_fastopen_key). null when malformed.
 */
export function parseFastopenKeys(text: string): FastopenKey[] | null {
  const parts = text.trim().split(',');
  if (parts.length < 1 || parts.length > 2) return null;
  const keys: FastopenKey[] = [];
  for (const p of parts) {
    const w = p.trim().split('-');
    if (w.length !== 4 || w.some((x) => !/^[0-9a-fA-F]{1,8}$/.test(x))) return null;
    keys.push(Uint32Array.from(w.map((x) => parseInt(x, 16) >>> 0)));
  }
  return keys;
}

/** TCP_FASTOPEN_KEY's 16 or 32 raw bytes (used as the key bytes themselves). */
export function keysFromBytes(b: Uint8Array): FastopenKey[] {
  const keys: FastopenKey[] = [];
  for (let at = 0; at + 16 <= b.length; at += 16) {
    const k = new Uint32Array(4);
    for (let i = 0; i < 4; i++) k[i] = (b[at + 4 * i]! | (b[at + 4 * i + 1]! << 8) | (b[at + 4 * i + 2]! << 16) | (b[at + 4 * i + 3]! << 24)) >>> 0;
    keys.push(k);
  }
  return keys;
}

/** The raw bytes of keys (getsockopt TCP_FASTOPEN_KEY). */
export function keysToBytes(keys: readonly FastopenKey[]): Uint8Array {
  const out = new Uint8Array(16 * keys.length);
  keys.forEach((k, j) => { for (let i = 0; i < 4; i++) for (let b = 0; b < 4; b++) out[16 * j + 4 * i + b] = (k[i]! >>> (8 * b)) & 0xff; });
  return out;
}

/** Linux __tcp_fastopen_cookie_gen_cipher: SipHash-2-4 of saddr || daddr, the result little-endian. */
export function makeCookie(key: FastopenKey, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const msg = new Uint8Array(src.length + dst.length);
  msg.set(src, 0);
  msg.set(dst, src.length);
  const h = new Uint32Array(2);
  siphash24(key, msg, msg.length, h);
  const out = new Uint8Array(FASTOPEN_COOKIE_SIZE);
  for (let i = 0; i < 4; i++) { out[i] = (h[0]! >>> (8 * i)) & 0xff; out[4 + i] = (h[1]! >>> (8 * i)) & 0xff; }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What a client remembers about one server (Linux struct tcp_fastopen_metrics). */
interface CacheEntry {
  mss: number;
  cookie: FoCookie;
  /** 1: try the experimental option next time; 2: back to RFC 7413's. */
  tryExp: number;
  synLoss: number;
  lastSynLoss: number;
}

/** A host's Fast Open state: its key, the client's cookie cache, the blackhole detector. */
export class FastopenHost {
  private keys: FastopenKey[] | null = null;
  private keyText = '';
  private readonly cache = new LazyMap<string, CacheEntry>();
  /** Linux tfo_active_disable_times / _stamp. */
  private disableTimes = 0;
  private disableStamp = 0;

  constructor(private readonly random: Random, private readonly config: { fastopenKey: string; fastopenBlackholeTimeoutSec: number }) {}

  /** A reboot: a new random key, no cookies remembered, no blackhole pause. */
  reset(): void {
    this.keys = null;
    this.keyText = '';
    this.cache.clear();
    this.disableTimes = 0;
    this.disableStamp = 0;
  }

  /** `ip tcp_metrics flush`: the cookie cache is emptied. */
  flushCache(): void { this.cache.clear(); }

  /** The host's keys: tcp_fastopen_key, or a random one drawn once (Linux tcp_fastopen_init_key_once). */
  hostKeys(): FastopenKey[] {
    const text = this.config.fastopenKey;
    if (text !== '' && text !== this.keyText) {
      const k = parseFastopenKeys(text);
      if (k !== null) { this.keys = k; this.keyText = text; }
    }
    if (this.keys === null) this.keys = keysFromBytes(this.random.fill(new Uint8Array(16)));
    return this.keys;
  }

  /** Keys for a listener: its own (TCP_FASTOPEN_KEY), else the host's. */
  keysFor(l: TcpSocket): FastopenKey[] { return l.fastopenKeys ?? this.hostKeys(); }

  private cacheKey(s: TcpSocket): string { return `${s.localAddr}|${s.remoteAddr}`; }

  /** Linux tcp_fastopen_cache_get: the MSS (0 unknown) and cookie remembered for the peer. */
  cacheGet(s: TcpSocket, cookie: FoCookie): number {
    const e = this.cache.get(this.cacheKey(s));
    if (e === undefined) return 0;
    cookie.len = e.cookie.len;
    cookie.val = e.cookie.val;
    cookie.exp = e.cookie.exp;
    if (cookie.len <= 0 && e.tryExp === 1) cookie.exp = true;
    return e.mss;
  }

  /** Linux tcp_fastopen_cache_set. */
  cacheSet(s: TcpSocket, mss: number, cookie: FoCookie | null, synLost: boolean, tryExp: number, now: number): void {
    const k = this.cacheKey(s);
    let e = this.cache.get(k);
    if (e === undefined) {
      e = { mss: 0, cookie: { len: 0, val: NO_BYTES, exp: false }, tryExp: 0, synLoss: 0, lastSynLoss: 0 };
      this.cache.set(k, e);
    }
    if (mss > 0) e.mss = mss;
    if (cookie !== null && cookie.len > 0) e.cookie = { len: cookie.len, val: cookie.val, exp: cookie.exp };
    else if (tryExp > e.tryExp && e.cookie.len <= 0 && !e.cookie.exp) e.tryExp = tryExp;
    if (synLost) { e.synLoss++; e.lastSynLoss = now; } else e.synLoss = 0;
  }

  /** Linux tcp_fastopen_active_should_disable: active Fast Open is paused after blackholes. */
  activeShouldDisable(s: TcpSocket, now: number): boolean {
    if (this.disableTimes === 0) return false;
    const mult = 1 << Math.min(this.disableTimes - 1, 6);
    if (now - this.disableStamp < mult * this.config.fastopenBlackholeTimeoutSec * 1000) return true;
    s.synFastopenCh = true;
    return false;
  }

  /** Linux tcp_fastopen_active_disable. */
  activeDisable(s: TcpSocket, now: number): void {
    this.disableTimes++;
    this.disableStamp = now;
    s.tcp.stats.TCPFastOpenBlackhole++;
  }

  /** A marked Fast Open connection got data through: the pause count starts over (tcp_fastopen_active_disable_ofo_check). */
  activeWorked(s: TcpSocket): void {
    if (s.synFastopenCh && this.disableTimes > 0 && s.remoteAddr !== s.localAddr) this.disableTimes = 0;
  }
}

// ---- client -------------------------------------------------------------------------------------

function noCookieFor(s: TcpSocket, flag: number): boolean {
  return (s.tcp.config.fastopen & flag) !== 0 || s.fastopenNoCookie;
}

/**
 * Linux tcp_fastopen_cookie_check: fills the cookie (and the remembered MSS, 0 if none) from the
 * cache; whether the SYN may carry data.
 */
export function cookieCheck(s: TcpSocket, cookie: FoCookie): { ok: boolean; mss: number } {
  const fo = s.tcp.fastopen;
  const now = s.tcp.sched.now();
  const mss = fo.cacheGet(s, cookie);
  if (fo.activeShouldDisable(s, now)) { cookie.len = -1; return { ok: false, mss }; }
  if (noCookieFor(s, TFO_CLIENT_NO_COOKIE)) { cookie.len = -1; return { ok: true, mss }; }
  if (cookie.len > 0) return { ok: true, mss };
  s.fastopenClientFail = TFO_COOKIE_UNAVAILABLE;
  return { ok: false, mss };
}

/**
 * Linux tcp_fastopen_defer_connect: connect() with TCP_FASTOPEN_CONNECT and a cookie in hand sends
 * nothing yet (the SYN leaves with the first write). Without a cookie the SYN goes now, asking for one.
 */
export function deferConnect(s: TcpSocket): boolean {
  if (!s.fastopenConnect || s.fastopenReq !== null) return false;
  const cookie: FoCookie = { len: 0, val: NO_BYTES, exp: false };
  if (cookieCheck(s, cookie).ok) return true;
  s.fastopenReq = { cookie, data: NO_BYTES, copied: 0 };
  return false;
}

/**
 * The payload a SYN may carry (Linux tcp_send_syn_data): the cookie check, then the MSS the
 * server gave last time (or ours), bounded by the path and TCP_MAXSEG, less 40 bytes of option room.
 * Returns -1 when the SYN goes without data (a cookie request, or nothing when Fast Open is paused).
 */
export function synDataSpace(s: TcpSocket, mtuMss: number): number {
  const fo = s.fastopenReq!;
  const chk = cookieCheck(s, fo.cookie);
  if (!chk.ok) {
    if (fo.cookie.len > 0) fo.cookie.len = 0;
    return -1;
  }
  let clamp = chk.mss > 0 ? chk.mss : s.advMss;
  if (s.userMss > 0 && s.userMss < clamp) clamp = s.userMss;
  let space = Math.min(mtuMss, clamp) - MAX_TCP_OPTION_SPACE;
  if (space < 0) space = 0;
  return fo.fault === true ? space : Math.min(space, fo.data.length);
}

/**
 * Linux tcp_rcv_fastopen_synack: remember what the server said (cookie, MSS, whether the SYN
 * with data seems lost); data the SYN-ACK did not acknowledge is deemed lost. True: it is being
 * sent again (the caller sends no bare ACK).
 */
export function fastopenSynack(s: TcpSocket, seg: TcpRepr, now: number): boolean {
  const cookie = cookieOf(seg.options);
  const mss = seg.options.mss ?? 0;
  const dataLeft = s.synData && s.sendQ.sendIdx > s.sendQ.head;
  let synDrop = false;
  let tryExp = 0;
  if (!s.synFastopen) cookie.len = -1; // an unsolicited cookie is ignored
  else if (s.totalRetrans > 0) synDrop = cookie.len < 0 && dataLeft;
  else if (cookie.len < 0 && !s.synData) tryExp = s.synFastopenExp ? 2 : 1;
  s.tcp.fastopen.cacheSet(s, mss, cookie, synDrop, tryExp, now);
  if (dataLeft) {
    s.fastopenClientFail = s.totalRetrans > 0 ? TFO_SYN_RETRANSMITTED : TFO_DATA_NOT_ACKED;
    s.tcp.stats.TCPFastOpenActiveFail++;
    return true;
  }
  s.synDataAcked = s.synData;
  if (s.synDataAcked) s.tcp.stats.TCPFastOpenActive++;
  return false;
}

// ---- server -------------------------------------------------------------------------------------

/** Linux tcp_fastopen_queue_check: the listener does Fast Open and has room for one more child. */
function queueCheck(l: TcpSocket): boolean {
  if (l.fastopenMaxQlen === 0) return false;
  if (l.fastopenQlen >= l.fastopenMaxQlen) { l.tcp.stats.TCPFastOpenListenOverflow++; return false; }
  return true;
}

/** The outcome of tcp_try_fastopen: a child now, and the cookie the SYN-ACK carries (len -1: none). */
export interface TryFastopen {
  fastopen: boolean;
  cookie: FoCookie;
}

/**
 * Linux tcp_try_fastopen for a SYN at listener `l`: a valid cookie (or data while no cookie is
 * required) asks for a child at once; a cookie request or a wrong cookie gets a valid cookie back.
 */
export function tryFastopen(l: TcpSocket, seg: TcpRepr, pkt: IpPacket): TryFastopen {
  const tcp = l.tcp;
  const foc = cookieOf(seg.options);
  const synData = seg.payload.length > 0 || (seg.flags & 1) !== 0;
  if (foc.len === 0) tcp.stats.TCPFastOpenCookieReqd++;
  if (!((tcp.config.fastopen & TFO_SERVER_ENABLE) !== 0 && (synData || foc.len >= 0) && queueCheck(l))) {
    return { fastopen: false, cookie: noCookie() };
  }
  if (synData && noCookieFor(l, TFO_SERVER_COOKIE_NOT_REQD)) return { fastopen: true, cookie: noCookie() };
  if (foc.len < 0) return { fastopen: false, cookie: noCookie() };
  const keys = tcp.fastopen.keysFor(l);
  const valid = makeCookie(keys[0]!, pkt.srcBytes, pkt.dstBytes);
  if (foc.len === 0) return { fastopen: false, cookie: { len: FASTOPEN_COOKIE_SIZE, val: valid, exp: foc.exp } };
  if (foc.len > 0) {
    for (let i = 0; i < keys.length; i++) {
      const c = i === 0 ? valid : makeCookie(keys[i]!, pkt.srcBytes, pkt.dstBytes);
      if (foc.len === FASTOPEN_COOKIE_SIZE && sameBytes(c, foc.val)) {
        tcp.stats.TCPFastOpenPassive++;
        // A cookie made with the backup key is answered with one made with the primary key.
        if (i > 0) { tcp.stats.TCPFastOpenPassiveAltKey++; return { fastopen: true, cookie: { len: FASTOPEN_COOKIE_SIZE, val: valid, exp: foc.exp } }; }
        return { fastopen: true, cookie: noCookie() };
      }
    }
    tcp.stats.TCPFastOpenPassiveFail++;
    return { fastopen: false, cookie: { len: FASTOPEN_COOKIE_SIZE, val: valid, exp: foc.exp } };
  }
  // Data without any cookie option: no cookie is offered either.
  return { fastopen: false, cookie: noCookie() };
}

/** Linux reqsk_fastopen_remove: the Fast Open child finished its handshake (or died): the listener's count drops. */
export function fastopenChildDone(c: TcpSocket): void {
  if (!c.fastopenRsk) return;
  c.fastopenRsk = false;
  const l = c.fastopenListener;
  c.fastopenListener = null;
  if (l !== null && l.fastopenQlen > 0) l.fastopenQlen--;
}
