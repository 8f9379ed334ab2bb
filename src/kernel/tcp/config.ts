// Per-host TCP settings: Linux's net.ipv4.tcp_* sysctls with their default values, as one
// mutable object (`tcp.config`). A host created with { tcp: { timeWaitMs: 1000 } } overrides
// single fields.

export type CongestionName = 'reno' | 'cubic';

export interface TcpConfig {
  /** 2*MSL: how long TIME-WAIT lasts (RFC 9293 §3.6.1; Linux TCP_TIMEWAIT_LEN = 60 s). */
  timeWaitMs: number;
  /** tcp_max_tw_buckets: connections held in TIME-WAIT at once; past it a closing one skips TIME-WAIT (262144). */
  maxTwBuckets: number;
  /** tcp_fin_timeout: how long an orphaned connection stays in FIN-WAIT-2 (60 s). */
  finTimeoutMs: number;
  /** tcp_syn_retries: SYN retransmissions before connect() fails with ETIMEDOUT (6). */
  synRetries: number;
  /** tcp_synack_retries: SYN-ACK retransmissions before a half-open connection is dropped (5). */
  synackRetries: number;
  /** tcp_retries2: the retransmission budget of an established connection (15, about 924.6 s). */
  retries2: number;
  /** tcp_orphan_retries: the budget once the application closed the socket (0 means 8). */
  orphanRetries: number;
  /** tcp_max_syn_backlog: half-open connections one listener keeps before SYN cookies (128, Linux's smallest default). */
  maxSynBacklog: number;
  /** net.core.somaxconn: the cap on listen()'s backlog (4096). */
  somaxconn: number;
  /** tcp_abort_on_overflow: reset a handshake whose final ACK finds the accept queue full (0: drop the ACK). */
  abortOnOverflow: boolean;
  /** tcp_syncookies: 0 never, 1 when the SYN queue overflows, 2 always. */
  syncookies: 0 | 1 | 2;
  /** tcp_timestamps (RFC 7323): 1 or 2 turn them on. */
  timestamps: boolean;
  /** tcp_timestamps = 1 rather than 2: TSval carries a random per-connection offset (RFC 7323 §5.4). */
  timestampOffsets: boolean;
  /** tcp_sack (RFC 2018). */
  sack: boolean;
  /** tcp_dsack: report duplicate segments in D-SACK blocks (RFC 2883). */
  dsack: boolean;
  /** tcp_window_scaling (RFC 7323). */
  windowScaling: boolean;
  /** tcp_congestion_control: the default algorithm of new sockets. */
  congestion: CongestionName;
  /**
   * CUBIC's HyStart module parameters (Linux tcp_cubic.c module_param, read at every use):
   * hystart (1: on), hystart_detect (bits: 1 ACK train, 2 delay increase; 3), hystart_low_window
   * (segments; 16), hystart_ack_delta_us (2000).
   */
  cubicHystart: number;
  cubicHystartDetect: number;
  cubicHystartLowWindow: number;
  cubicHystartAckDeltaUs: number;
  /** tcp_rmem: min, default, max receive buffer (bytes, as SO_RCVBUF reports). */
  rmem: [number, number, number];
  /** tcp_wmem: min, default, max send buffer. */
  wmem: [number, number, number];
  /** net.core.rmem_max / wmem_max: the cap on SO_RCVBUF / SO_SNDBUF requests (before doubling). */
  rmemMax: number;
  wmemMax: number;
  /** tcp_moderate_rcvbuf: receive buffer auto-tuning. */
  moderateRcvbuf: boolean;
  /** TCP_RTO_MIN (200 ms), TCP_RTO_MAX (120 s), TCP_TIMEOUT_INIT (1 s, RFC 6298 §2.1). */
  rtoMinMs: number;
  rtoMaxMs: number;
  rtoInitialMs: number;
  /** TCP_DELACK_MIN: the delayed-ACK timeout (40 ms). */
  delackMs: number;
  /** tcp_keepalive_time / _intvl / _probes (7200 s, 75 s, 9). */
  keepaliveTimeMs: number;
  keepaliveIntvlMs: number;
  keepaliveProbes: number;
  /** RFC 5961 §7: challenge ACKs per second for the whole host (tcp_challenge_ack_limit; INT_MAX, no limit, as Linux 6.0+). */
  challengeAckLimit: number;
  /** tcp_invalid_ratelimit: minimum gap between two out-of-window or challenge ACKs of one connection (500 ms). */
  invalidRatelimitMs: number;
  /** RFC 6928: the initial congestion window in segments (10). */
  initCwnd: number;
  /** tcp_reordering: the duplicate-ACK threshold (3, RFC 5681 §3.2). */
  reordering: number;
  /**
   * tcp_recovery: how a SACK sender deems segments lost. 'rack' (Linux's default, tcp_recovery = 1):
   * RACK's time-based detection (RFC 8985 §6), which also catches lost retransmissions; the
   * DupThresh rule survives as RACK's zero reordering window once DupThresh segments are SACKed
   * (RFC 8985 §6.2 step 4). 'dupthresh' (tcp_recovery = 0): RFC 6675's IsLost() alone.
   */
  recovery: 'rack' | 'dupthresh';
  /** tcp_recovery bit 0x2 (RACK_STATIC_REO_WND): the reordering window does not grow on D-SACKs. */
  rackStaticReoWnd: boolean;
  /** tcp_recovery bit 0x4 (RACK_NO_DUPTHRESH): no zero reordering window once DupThresh segments are SACKed. */
  rackNoDupthresh: boolean;
  /** tcp_slow_start_after_idle: after an idle period longer than the RTO, restart from the initial window (RFC 5681 §4.1, RFC 7661). */
  slowStartAfterIdle: boolean;
  /** tcp_early_retrans = 3 (Linux's default): tail loss probes (RFC 8985 §7) on SACK connections; false is 0. */
  tlp: boolean;
  /**
   * tcp_fastopen (RFC 7413), Linux's bits: 0x1 client, 0x2 server, 0x4 client sends data without
   * a cookie, 0x200 server takes data without a cookie, 0x400 every listener does Fast Open without
   * TCP_FASTOPEN (queue = backlog). Linux's default is 0x1.
   */
  fastopen: number;
  /**
   * tcp_fastopen_key: the server's cookie key, 'xxxxxxxx-xxxxxxxx-xxxxxxxx-xxxxxxxx' (four 32-bit
   * words in hex; an optional ',' and a backup key). '' : drawn from the host's Random on first use.
   */
  fastopenKey: string;
  /** tcp_ecn (RFC 3168): 0 off, 1 ask for ECN and agree, 2 agree when asked (Linux's default). */
  ecn: 0 | 1 | 2;
  /** tcp_ecn_fallback: a retransmitted SYN no longer asks for ECN (RFC 3168 §6.1.1.1). */
  ecnFallback: boolean;
  /** tcp_pacing_ss_ratio / tcp_pacing_ca_ratio: the pacing rate in percent of cwnd/srtt in slow start (200) and after (120). */
  pacingSsRatio: number;
  pacingCaRatio: number;
  /** tcp_min_tso_segs: the fewest segments a TSO packet is sized for (2). */
  minTsoSegs: number;
  /** tcp_tso_win_divisor: a TSO packet waits while the window has room for less than 1/N of it (3; 0: 3 segments). */
  tsoWinDivisor: number;
  /** tcp_tso_rtt_log: the minimum RTT (in 2^N us) below which TSO packets grow toward 64 KiB (9). */
  tsoRttLog: number;
  /**
   * tcp_notsent_lowat: a socket without TCP_NOTSENT_LOWAT stops taking data, and is not writable,
   * once this many bytes wait unsent (Linux's default 4294967295: no limit but the send buffer).
   */
  notsentLowat: number;
  /** tcp_fastopen_blackhole_timeout_sec: how long active Fast Open pauses after a suspected middlebox blackhole (0: never). */
  fastopenBlackholeTimeoutSec: number;
  /**
   * Leave TCP checksums to "offload" on loopback as Linux does (CHECKSUM_PARTIAL: the field holds
   * the pseudo-header sum; a capture on lo shows it unfinished, as tcpdump on Linux's lo does).
   */
  loopbackChecksumOffload: boolean;
}

export function defaultTcpConfig(): TcpConfig {
  return {
    timeWaitMs: 60_000,
    maxTwBuckets: 262_144,
    finTimeoutMs: 60_000,
    synRetries: 6,
    synackRetries: 5,
    retries2: 15,
    orphanRetries: 0,
    maxSynBacklog: 128,
    somaxconn: 4096,
    abortOnOverflow: false,
    syncookies: 1,
    timestamps: true,
    timestampOffsets: true,
    sack: true,
    dsack: true,
    windowScaling: true,
    congestion: 'cubic',
    cubicHystart: 1,
    cubicHystartDetect: 3,
    cubicHystartLowWindow: 16,
    cubicHystartAckDeltaUs: 2000,
    rmem: [4096, 131072, 6291456],
    wmem: [4096, 16384, 4194304],
    rmemMax: 212992,
    wmemMax: 212992,
    moderateRcvbuf: true,
    rtoMinMs: 200,
    rtoMaxMs: 120_000,
    rtoInitialMs: 1000,
    delackMs: 40,
    keepaliveTimeMs: 7_200_000,
    keepaliveIntvlMs: 75_000,
    keepaliveProbes: 9,
    challengeAckLimit: 0x7fffffff, // INT_MAX
    invalidRatelimitMs: 500,
    initCwnd: 10,
    reordering: 3,
    recovery: 'rack',
    rackStaticReoWnd: false,
    rackNoDupthresh: false,
    slowStartAfterIdle: true,
    tlp: true,
    loopbackChecksumOffload: true,
    fastopen: 1,
    fastopenKey: '',
    fastopenBlackholeTimeoutSec: 0,
    ecn: 2,
    pacingSsRatio: 200,
    pacingCaRatio: 120,
    minTsoSegs: 2,
    tsoWinDivisor: 3,
    tsoRttLog: 9,
    ecnFallback: true,
    notsentLowat: 0xffffffff,
  };
}
