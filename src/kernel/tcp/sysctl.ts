// TCP's sysctl settings (Linux net/ipv4/sysctl_net_ipv4.c, net/core/sysctl_net_core.c): each
// Linux name over a field of tcp.config (config.ts), in Linux's units and value syntax (seconds
// where /proc/sys has seconds, 0/1 booleans, "min default max" vectors), with Linux's ranges.
import { CONGESTION_NAMES } from './congestion/index.js';
import type { CongestionName, TcpConfig } from './config.js';
import { INT_MAX, SysctlTable, boolSysctl } from '../sysctl.js';
import { parseFastopenKeys } from './fastopen.js';

/** Linux SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF (64-bit): the floors of rmem_max / wmem_max. */
const MIN_RCVBUF = 2304;
const MIN_SNDBUF = 4608;
/** Linux MAX_TCP_SYNCNT; tcp_syn_retries' floor (tcp_syn_retries_min). */
const MAX_SYNCNT = 127;
/** Linux TCP_RTO_MAX_SEC: tcp_rto_max_ms' range is 1 s to 120 s. */
const RTO_MAX_MS = 120_000;

/** Registers net.ipv4.tcp_* and the net.core settings TCP reads, over `c`. */
export function registerTcpSysctls(t: SysctlTable, c: TcpConfig): void {
  const ipv4 = (name: string): string => `net.ipv4.${name}`;
  const bool = (name: string, field: 'sack' | 'dsack' | 'windowScaling' | 'moderateRcvbuf' | 'slowStartAfterIdle' | 'abortOnOverflow'): void => {
    t.register(ipv4(name), boolSysctl(() => c[field], (on) => { c[field] = on; }));
  };
  const int = (name: string, get: () => number, set: (v: number) => void, min = 0, max = INT_MAX): void => {
    t.register(ipv4(name), { kind: 'int', get, set, min, max });
  };
  const secs = (ms: number): number => Math.floor(ms / 1000);

  // Options (RFC 7323, RFC 2018, RFC 2883).
  t.register(ipv4('tcp_timestamps'), {
    kind: 'int', values: [0, 1, 2],
    get: () => (!c.timestamps ? 0 : c.timestampOffsets ? 1 : 2),
    set: (v) => { c.timestamps = v !== 0; c.timestampOffsets = v === 1; },
  });
  bool('tcp_sack', 'sack');
  bool('tcp_dsack', 'dsack');
  bool('tcp_window_scaling', 'windowScaling');
  // tcp_fack: Linux keeps the name and ignores it since 4.15 (FACK was replaced by RACK).
  let fack = 0;
  t.register(ipv4('tcp_fack'), { kind: 'int', values: [0, 1], get: () => fack, set: (v) => { fack = v; } });

  // Buffers.
  t.register(ipv4('tcp_rmem'), { kind: 'vector', min: 1, get: () => [...c.rmem], set: (v) => { c.rmem = [v[0]!, v[1]!, v[2]!]; } });
  t.register(ipv4('tcp_wmem'), { kind: 'vector', min: 1, get: () => [...c.wmem], set: (v) => { c.wmem = [v[0]!, v[1]!, v[2]!]; } });
  bool('tcp_moderate_rcvbuf', 'moderateRcvbuf');
  t.register('net.core.rmem_max', { kind: 'int', min: MIN_RCVBUF, max: INT_MAX, get: () => c.rmemMax, set: (v) => { c.rmemMax = v; } });
  t.register('net.core.wmem_max', { kind: 'int', min: MIN_SNDBUF, max: INT_MAX, get: () => c.wmemMax, set: (v) => { c.wmemMax = v; } });

  // Connection set-up and tear-down.
  int('tcp_syn_retries', () => c.synRetries, (v) => { c.synRetries = v; }, 1, MAX_SYNCNT);
  int('tcp_synack_retries', () => c.synackRetries, (v) => { c.synackRetries = v; }, 0, 255);
  int('tcp_retries2', () => c.retries2, (v) => { c.retries2 = v; }, 0, 255);
  int('tcp_orphan_retries', () => c.orphanRetries, (v) => { c.orphanRetries = v; }, 0, 255);
  int('tcp_fin_timeout', () => secs(c.finTimeoutMs), (v) => { c.finTimeoutMs = v * 1000; }, 0, INT_MAX / 1000);
  int('tcp_max_tw_buckets', () => c.maxTwBuckets, (v) => { c.maxTwBuckets = v; });
  int('tcp_max_syn_backlog', () => c.maxSynBacklog, (v) => { c.maxSynBacklog = v; });
  t.register(ipv4('tcp_syncookies'), { kind: 'int', values: [0, 1, 2], get: () => c.syncookies, set: (v) => { c.syncookies = v as 0 | 1 | 2; } });
  bool('tcp_abort_on_overflow', 'abortOnOverflow');
  t.register('net.core.somaxconn', { kind: 'int', min: 0, max: INT_MAX, get: () => c.somaxconn, set: (v) => { c.somaxconn = v; } });

  // Keep-alive (seconds, as /proc/sys has them).
  int('tcp_keepalive_time', () => secs(c.keepaliveTimeMs), (v) => { c.keepaliveTimeMs = v * 1000; }, 1, INT_MAX / 1000);
  int('tcp_keepalive_intvl', () => secs(c.keepaliveIntvlMs), (v) => { c.keepaliveIntvlMs = v * 1000; }, 1, INT_MAX / 1000);
  int('tcp_keepalive_probes', () => c.keepaliveProbes, (v) => { c.keepaliveProbes = v; }, 1, 127);

  // RFC 5961 challenge ACKs and out-of-window ACK rate limits (ms).
  int('tcp_challenge_ack_limit', () => c.challengeAckLimit, (v) => { c.challengeAckLimit = v; });
  int('tcp_invalid_ratelimit', () => c.invalidRatelimitMs, (v) => { c.invalidRatelimitMs = v; });

  // Timers: tcp_rto_min_us and tcp_rto_max_ms (Linux 6.11 / 6.15).
  int('tcp_rto_min_us', () => Math.round(c.rtoMinMs * 1000), (v) => { c.rtoMinMs = v / 1000; }, 1);
  int('tcp_rto_max_ms', () => c.rtoMaxMs, (v) => { c.rtoMaxMs = v; }, 1000, RTO_MAX_MS);

  // Congestion control and loss recovery.
  t.register(ipv4('tcp_congestion_control'), {
    kind: 'string', get: () => c.congestion, set: (v) => { c.congestion = v as CongestionName; }, values: () => CONGESTION_NAMES,
  });
  t.register(ipv4('tcp_available_congestion_control'), { kind: 'string', get: () => CONGESTION_NAMES.join(' ') });
  t.register(ipv4('tcp_allowed_congestion_control'), { kind: 'string', get: () => CONGESTION_NAMES.join(' ') });
  // CUBIC's module parameters (Linux /sys/module/tcp_cubic/parameters/*, module_param int: any
  // int is taken), named as the kernel command line names them; per host, as each host is a kernel.
  const param = (name: string, field: 'cubicHystart' | 'cubicHystartDetect' | 'cubicHystartLowWindow' | 'cubicHystartAckDeltaUs'): void => {
    t.register(`tcp_cubic.${name}`, { kind: 'int', min: -INT_MAX - 1, max: INT_MAX, get: () => c[field], set: (v) => { c[field] = v; } });
  };
  param('hystart', 'cubicHystart');
  param('hystart_detect', 'cubicHystartDetect');
  param('hystart_low_window', 'cubicHystartLowWindow');
  param('hystart_ack_delta_us', 'cubicHystartAckDeltaUs');
  int('tcp_reordering', () => c.reordering, (v) => { c.reordering = v; }, 1, 300);
  bool('tcp_slow_start_after_idle', 'slowStartAfterIdle');
  // tcp_recovery bits: 0x1 RACK loss detection, 0x2 static reordering window, 0x4 no DupThresh.
  t.register(ipv4('tcp_recovery'), {
    kind: 'int', min: 0, max: 7,
    get: () => (c.recovery === 'rack' ? 1 : 0) | (c.rackStaticReoWnd ? 2 : 0) | (c.rackNoDupthresh ? 4 : 0),
    set: (v) => { c.recovery = (v & 1) !== 0 ? 'rack' : 'dupthresh'; c.rackStaticReoWnd = (v & 2) !== 0; c.rackNoDupthresh = (v & 4) !== 0; },
  });
  // Packet sizing (tso.ts): pacing ratios, TSO autosizing and deferral.
  int('tcp_pacing_ss_ratio', () => c.pacingSsRatio, (v) => { c.pacingSsRatio = v; }, 0, 1000);
  int('tcp_pacing_ca_ratio', () => c.pacingCaRatio, (v) => { c.pacingCaRatio = v; }, 0, 1000);
  int('tcp_min_tso_segs', () => c.minTsoSegs, (v) => { c.minTsoSegs = v; }, 1, 255);
  int('tcp_tso_win_divisor', () => c.tsoWinDivisor, (v) => { c.tsoWinDivisor = v; }, 0, 255);
  // Linux tcp_notsent_lowat (unsigned): unsent bytes a socket holds before it stops taking data.
  t.register(ipv4('tcp_notsent_lowat'), { kind: 'int', unsigned: true, get: () => c.notsentLowat, set: (v) => { c.notsentLowat = v; } });
  int('tcp_tso_rtt_log', () => c.tsoRttLog, (v) => { c.tsoRttLog = v; }, 0, 255);
  // ECN (RFC 3168): 0 off, 1 request and accept, 2 accept (AccECN's 3 to 5 are not there).
  t.register(ipv4('tcp_ecn'), { kind: 'int', values: [0, 1, 2], get: () => c.ecn, set: (v) => { c.ecn = v as 0 | 1 | 2; } });
  t.register(ipv4('tcp_ecn_fallback'), boolSysctl(() => c.ecnFallback, (on) => { c.ecnFallback = on; }));
  // Fast Open (RFC 7413): the tcp_fastopen bits, the server's cookie key (four 32-bit words in
  // hex, optionally ',' and a backup key; reads as zeros until one is set, as Linux before first use),
  // and how long active Fast Open pauses after a suspected blackhole.
  int('tcp_fastopen', () => c.fastopen, (v) => { c.fastopen = v; });
  t.register(ipv4('tcp_fastopen_key'), {
    kind: 'string',
    get: () => c.fastopenKey !== '' ? c.fastopenKey : '00000000-00000000-00000000-00000000',
    set: (v) => { c.fastopenKey = v; },
    valid: (v) => parseFastopenKeys(v) !== null,
  });
  int('tcp_fastopen_blackhole_timeout_sec', () => c.fastopenBlackholeTimeoutSec, (v) => { c.fastopenBlackholeTimeoutSec = v; });
  // tcp_early_retrans: 0 turns tail loss probes off, 3 (the default) or 4 on; 1 and 2 (the
  // removed early-retransmit modes) leave them off. The value written is read back.
  let early = -1;
  t.register(ipv4('tcp_early_retrans'), {
    kind: 'int', min: 0, max: 4,
    get: () => (c.tlp ? (early >= 3 ? early : 3) : early >= 0 && early < 3 ? early : 0),
    set: (v) => { early = v; c.tlp = v >= 3; },
  });
}
