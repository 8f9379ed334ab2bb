// Socket options of TCP sockets (Linux sock_setsockopt / do_tcp_setsockopt / ipv6_setsockopt
// and the getsockopt side): names as strings, booleans as true/false or 0/1, read back as 0/1;
// times in the units Linux uses (TCP_KEEPIDLE/INTVL in seconds, TCP_USER_TIMEOUT in ms).
import { EINVAL, ENOENT, ENOPROTOOPT, EOPNOTSUPP } from '../../uapi/errno.js';
import { AF_INET6, IP_PMTUDISC_DONT, IP_PMTUDISC_OMIT, SOCK_STREAM, type SockoptLevel } from '../../uapi/socket.js';
import { IPPROTO_TCP } from '../ip-types.js';
import { CONGESTION_NAMES, createCongestionControl } from './congestion/index.js';
import type { CongestionName } from './config.js';
import { syncMss } from './handshake.js';
import { keysFromBytes, keysToBytes, TFO_CLIENT_ENABLE } from './fastopen.js';
import { tcpInfo } from './info.js';
import { SOF_TIMESTAMPING_MASK, setTimestamping } from './timestamping.js';
import { notify } from './lifecycle.js';
import { transmit } from './output.js';
import { inPingpong, setQuickack } from './delack.js';
import { CLOSE_WAIT, ESTABLISHED, LISTEN, CLOSED, SYN_SENT } from './state.js';
import type { TcpSocket } from './socket.js';

/** Linux SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF (64-bit). */
const RCVBUF_MIN = 2304;
const SNDBUF_MIN = 4608;
/** Linux TCP_MIN_MSS and MAX_TCP_WINDOW: the range TCP_MAXSEG accepts. */
const USER_MSS_MIN = 88;
const USER_MSS_MAX = 32767;
/** Linux MAX_TCP_KEEPIDLE / KEEPINTVL (seconds) and MAX_TCP_KEEPCNT, MAX_TCP_SYNCNT. */
const KEEP_MAX_SECS = 32767;
const KEEPCNT_MAX = 127;
const SYNCNT_MAX = 127;

function toInt(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return NaN;
}

export function setOption(s: TcpSocket, level: SockoptLevel, name: string, value: number | boolean | string | Uint8Array | object): number {
  const c = s.tcp.config;
  const v = toInt(value);
  switch (level) {
    case 'SOL_SOCKET':
      switch (name) {
        case 'SO_REUSEADDR':
          if (Number.isNaN(v)) return -EINVAL;
          s.reuseAddr = v !== 0;
          if (s.entry !== null) s.entry.reuseAddr = s.reuseAddr;
          return 0;
        case 'SO_REUSEPORT':
          if (Number.isNaN(v)) return -EINVAL;
          s.reusePort = v !== 0;
          if (s.entry !== null) s.entry.reusePort = s.reusePort;
          return 0;
        case 'SO_KEEPALIVE':
          if (Number.isNaN(v)) return -EINVAL;
          s.setKeepalive(v !== 0);
          return 0;
        case 'SO_LINGER': {
          if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return -EINVAL;
          const o = value as { onoff?: unknown; linger?: unknown };
          const on = toInt(o.onoff ?? 0);
          const secs = toInt(o.linger ?? 0);
          if (Number.isNaN(on) || Number.isNaN(secs)) return -EINVAL;
          s.lingerOn = on !== 0;
          s.lingerSecs = secs < 0 ? 0 : secs;
          return 0;
        }
        case 'SO_RCVBUF':
          if (Number.isNaN(v)) return -EINVAL;
          // Linux sock_setsockopt: capped by rmem_max, doubled for bookkeeping overhead.
          s.rcvbuf = Math.max(Math.min(Math.max(v, 0), c.rmemMax) * 2, RCVBUF_MIN);
          s.rcvbufLocked = true;
          s.rcvbufClamped = 0;
          return 0;
        case 'SO_SNDBUF':
          if (Number.isNaN(v)) return -EINVAL;
          s.sndbuf = Math.max(Math.min(Math.max(v, 0), c.wmemMax) * 2, SNDBUF_MIN);
          s.sndbufLocked = true;
          if (s.writable()) notify(s);
          return 0;
        case 'SO_ZEROCOPY':
          // Linux sock_setsockopt: MSG_ZEROCOPY sends get completion notifications (zerocopy.ts).
          if (Number.isNaN(v) || v < 0 || v > 1) return -EINVAL;
          s.zerocopy = v === 1;
          return 0;
        case 'SO_TIMESTAMPING': {
          // Linux sock_set_timestamping: the flags (an int, or struct so_timestamping's flags).
          const f = typeof value === 'object' && value !== null && !(value instanceof Uint8Array) ? toInt((value as { flags?: unknown }).flags ?? NaN) : v;
          if (Number.isNaN(f) || (f & ~SOF_TIMESTAMPING_MASK) !== 0) return -EINVAL;
          return setTimestamping(s, f, s.state !== CLOSED && s.state !== LISTEN);
        }
        case 'SO_MARK':
          // Linux sock_setsockopt: a 32-bit mark (sk_mark).
          if (Number.isNaN(v)) return -EINVAL;
          s.mark = v >>> 0;
          return 0;
        case 'SO_BROADCAST':
        case 'SO_OOBINLINE':
          return Number.isNaN(v) ? -EINVAL : 0;
      }
      return -ENOPROTOOPT;
    case 'IPPROTO_TCP':
      switch (name) {
        case 'TCP_NODELAY':
          if (Number.isNaN(v)) return -EINVAL;
          s.nodelay = v !== 0;
          // Linux __tcp_sock_set_nodelay: TCP_NAGLE_PUSH: what is queued goes now, corked or not.
          if (s.nodelay) s.push(true);
          return 0;
        case 'TCP_CORK':
          if (Number.isNaN(v)) return -EINVAL;
          s.cork = v !== 0;
          if (!s.cork) s.push(true);
          return 0;
        case 'TCP_KEEPIDLE':
          if (Number.isNaN(v) || v < 1 || v > KEEP_MAX_SECS) return -EINVAL;
          s.keepIdle = v * 1000;
          if (s.keepalive && s._keepaliveTimer?.armed === true) s.keepaliveTimer.after(s.keepIdle);
          return 0;
        case 'TCP_KEEPINTVL':
          if (Number.isNaN(v) || v < 1 || v > KEEP_MAX_SECS) return -EINVAL;
          s.keepIntvl = v * 1000;
          return 0;
        case 'TCP_KEEPCNT':
          if (Number.isNaN(v) || v < 1 || v > KEEPCNT_MAX) return -EINVAL;
          s.keepCnt = v;
          return 0;
        case 'TCP_SYNCNT':
          if (Number.isNaN(v) || v < 1 || v > SYNCNT_MAX) return -EINVAL;
          s.synCount = v;
          return 0;
        case 'TCP_MAXSEG':
          if (Number.isNaN(v) || (v !== 0 && (v < USER_MSS_MIN || v > USER_MSS_MAX))) return -EINVAL;
          s.userMss = v;
          if (s.state === ESTABLISHED || s.state === CLOSE_WAIT) syncMss(s);
          return 0;
        case 'TCP_USER_TIMEOUT':
          if (Number.isNaN(v) || v < 0) return -EINVAL;
          s.userTimeout = v;
          return 0;
        case 'TCP_CONGESTION': {
          const n = typeof value === 'string' ? value : value instanceof Uint8Array ? Buffer.from(value).toString().replace(/\0.*$/, '') : '';
          if (!(CONGESTION_NAMES as readonly string[]).includes(n)) return -ENOENT;
          if (n !== s.ccName) {
            s.ccName = n as CongestionName;
            s.cc = createCongestionControl(s.ccName, s.tcp.config);
          }
          return 0;
        }
        case 'TCP_QUICKACK':
          if (Number.isNaN(v)) return -EINVAL;
          setQuickack(s, v);
          return 0;
        case 'TCP_INFO':
          return -ENOPROTOOPT;
        case 'TCP_INQ':
          // Linux do_tcp_setsockopt: 0 or 1.
          if (Number.isNaN(v) || v < 0 || v > 1) return -EINVAL;
          s.recvmsgInq = v === 1;
          return 0;
        case 'TCP_NOTSENT_LOWAT': {
          // Linux do_tcp_setsockopt: any unsigned value (0: the sysctl's); the writer may wake now.
          const u = v >>> 0;
          if (Number.isNaN(v) || v < -0x80000000 || v > 0xffffffff) return -EINVAL;
          s.notsentLowat = u;
          if (s.writable()) notify(s); // sk->sk_write_space
          return 0;
        }
        case 'TCP_FASTOPEN':
          // RFC 7413 server side (Linux fastopen_queue_tune): the queue of Fast Open children, capped by somaxconn.
          if (Number.isNaN(v) || v < 0 || (s.state !== CLOSED && s.state !== LISTEN)) return -EINVAL;
          s.fastopenMaxQlen = Math.min(v, c.somaxconn);
          return 0;
        case 'TCP_FASTOPEN_CONNECT':
          if (Number.isNaN(v) || v < 0 || v > 1) return -EINVAL;
          if ((c.fastopen & TFO_CLIENT_ENABLE) === 0) return -EOPNOTSUPP;
          if (s.state !== CLOSED) return -EINVAL;
          s.fastopenConnect = v === 1;
          return 0;
        case 'TCP_FASTOPEN_NO_COOKIE':
          if (Number.isNaN(v) || v < 0 || v > 1 || (s.state !== CLOSED && s.state !== LISTEN)) return -EINVAL;
          s.fastopenNoCookie = v === 1;
          return 0;
        case 'TCP_FASTOPEN_KEY': {
          // A primary key, or a primary and a backup key (Linux TCP_FASTOPEN_KEY_LENGTH / _BUF_LENGTH).
          if (!(value instanceof Uint8Array) || (value.length !== 16 && value.length !== 32)) return -EINVAL;
          s.fastopenKeys = keysFromBytes(value);
          return 0;
        }
      }
      return -ENOPROTOOPT;
    case 'IPPROTO_IP':
      // Linux do_ip_setsockopt (an IPv6 socket takes them too, for IPv4-mapped peers).
      switch (name) {
        case 'IP_TOS':
          // __ip_sock_set_tos: a stream socket keeps its own ECN bits.
          if (Number.isNaN(v)) return -EINVAL;
          s.ipTos = v & 0xfc;
          return 0;
        case 'IP_MTU_DISCOVER':
          if (Number.isNaN(v) || v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT) return -EINVAL;
          s.pmtudisc = v;
          return 0;
      }
      return -ENOPROTOOPT;
    case 'IPPROTO_IPV6':
      if (s.domain !== AF_INET6) return -ENOPROTOOPT;
      switch (name) {
        case 'IPV6_V6ONLY':
          if (Number.isNaN(v)) return -EINVAL;
          if (s.entry !== null || s.state !== CLOSED) return -EINVAL; // Linux: not once bound
          s.v6only = v !== 0;
          return 0;
        case 'IPV6_TCLASS':
          // Linux do_ipv6_setsockopt: -1 (the default, 0) to 255; TCP keeps its own ECN bits.
          if (Number.isNaN(v) || v < -1 || v > 0xff) return -EINVAL;
          s.tclass = v === -1 ? 0 : v & 0xfc;
          return 0;
        case 'IPV6_MTU_DISCOVER':
          if (Number.isNaN(v) || v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT) return -EINVAL;
          s.pmtudisc6 = v;
          return 0;
      }
      return -ENOPROTOOPT;
  }
  return -ENOPROTOOPT;
}

export function getOption(s: TcpSocket, level: SockoptLevel, name: string): unknown {
  switch (level) {
    case 'SOL_SOCKET':
      switch (name) {
        case 'SO_TYPE': return SOCK_STREAM;
        case 'SO_DOMAIN': return s.domain;
        case 'SO_PROTOCOL': return IPPROTO_TCP;
        case 'SO_ERROR': return s.takeError();
        case 'SO_REUSEADDR': return s.reuseAddr ? 1 : 0;
        case 'SO_REUSEPORT': return s.reusePort ? 1 : 0;
        case 'SO_KEEPALIVE': return s.keepalive ? 1 : 0;
        case 'SO_LINGER': return { onoff: s.lingerOn ? 1 : 0, linger: s.lingerSecs };
        case 'SO_RCVBUF': return s.rmemLimit;
        case 'SO_SNDBUF': return s.sndbuf;
        case 'SO_ACCEPTCONN': return s.state === LISTEN ? 1 : 0;
        case 'SO_ZEROCOPY': return s.zerocopy ? 1 : 0;
        case 'SO_MARK': return s.mark;
        case 'SO_TIMESTAMPING': return s.tsFlags;
      }
      return -ENOPROTOOPT;
    case 'IPPROTO_TCP':
      switch (name) {
        case 'TCP_NODELAY': return s.nodelay ? 1 : 0;
        case 'TCP_CORK': return s.cork ? 1 : 0;
        case 'TCP_QUICKACK': return inPingpong(s) ? 0 : 1; // Linux: !inet_csk_in_pingpong_mode
        case 'TCP_KEEPIDLE': return Math.round(s.keepIdle / 1000);
        case 'TCP_KEEPINTVL': return Math.round(s.keepIntvl / 1000);
        case 'TCP_KEEPCNT': return s.keepCnt;
        case 'TCP_SYNCNT': return s.synCount > 0 ? s.synCount : s.tcp.config.synRetries;
        case 'TCP_MAXSEG':
          // Linux: the current MSS once connected, else TCP_MAXSEG or the default 536.
          if (s.state !== CLOSED && s.state !== LISTEN && s.state !== SYN_SENT) return s.mss;
          return s.userMss > 0 ? s.userMss : 536;
        case 'TCP_USER_TIMEOUT': return s.userTimeout;
        case 'TCP_CONGESTION': return s.ccName;
        case 'TCP_INFO': return tcpInfo(s);
        case 'TCP_NOTSENT_LOWAT': return s.notsentLowat;
        case 'TCP_INQ': return s.recvmsgInq ? 1 : 0;
        case 'TCP_FASTOPEN': return s.fastopenMaxQlen;
        case 'TCP_FASTOPEN_CONNECT': return s.fastopenConnect ? 1 : 0;
        case 'TCP_FASTOPEN_NO_COOKIE': return s.fastopenNoCookie ? 1 : 0;
        case 'TCP_FASTOPEN_KEY': return keysToBytes(s.fastopenKeys ?? s.tcp.fastopen.hostKeys());
      }
      return -ENOPROTOOPT;
    case 'IPPROTO_IP':
      switch (name) {
        case 'IP_TOS': return s.ipTos;
        case 'IP_MTU_DISCOVER': return s.pmtudisc;
      }
      return -ENOPROTOOPT;
    case 'IPPROTO_IPV6':
      if (s.domain !== AF_INET6) return -ENOPROTOOPT;
      switch (name) {
        case 'IPV6_V6ONLY': return s.v6only ? 1 : 0;
        case 'IPV6_TCLASS': return s.tclass;
        case 'IPV6_MTU_DISCOVER': return s.pmtudisc6;
      }
      return -ENOPROTOOPT;
  }
  return -ENOPROTOOPT;
}
