// SO_TIMESTAMPING's transmit timestamps for TCP (Linux Documentation/networking/timestamping.rst,
// tcp_tx_timestamp, __skb_tstamp_tx, tcp_ack_tstamp): the last byte of each write is marked;
// when a segment carrying it goes to the device, SCM_TSTAMP_SCHED (SOF_TIMESTAMPING_TX_SCHED:
// entering the queueing discipline) and SCM_TSTAMP_SND (SOF_TIMESTAMPING_TX_SOFTWARE: handed to
// the device; usernet's devices take a packet at once, so both carry the same time), again at
// each retransmission; when the peer acknowledges it, SCM_TSTAMP_ACK (SOF_TIMESTAMPING_TX_ACK).
// Each waits on the error queue (recvmsg MSG_ERRQUEUE, POLLERR): ee_errno ENOMSG, ee_origin
// SO_EE_ORIGIN_TIMESTAMPING, ee_info the SCM_TSTAMP_* kind, ee_data (SOF_TIMESTAMPING_OPT_ID) the
// byte's offset from SND.UNA when the option was set (sk_tskey), with an SCM_TIMESTAMPING control
// message (SOF_TIMESTAMPING_SOFTWARE: ts[0] the host's CLOCK_REALTIME; no hardware stamps) and,
// unless SOF_TIMESTAMPING_OPT_TSONLY, the segment's payload as the message's data (Linux loops the
// packet back with its headers). Software receive timestamps and OPT_STATS are not built.
import { EINVAL, ENOMSG } from '../../uapi/errno.js';
import {
  SCM_TSTAMP_ACK, SCM_TSTAMP_SCHED, SCM_TSTAMP_SND, SOF_TIMESTAMPING_OPT_ID, SOF_TIMESTAMPING_OPT_TSONLY, SOF_TIMESTAMPING_RAW_HARDWARE,
  SOF_TIMESTAMPING_RX_HARDWARE, SOF_TIMESTAMPING_SOFTWARE, SOF_TIMESTAMPING_SYS_HARDWARE, SOF_TIMESTAMPING_TX_ACK, SOF_TIMESTAMPING_TX_HARDWARE,
  SOF_TIMESTAMPING_TX_SCHED, SOF_TIMESTAMPING_TX_SOFTWARE, SO_EE_ORIGIN_TIMESTAMPING, type ControlMessage,
} from '../../uapi/socket.js';
import { notify } from './lifecycle.js';
import { seqLt } from './seq.js';
import { isNoItems } from './tcb.js';
import type { TcpSocket } from './socket.js';

/**
 * The flags setsockopt(SO_TIMESTAMPING) takes: Linux's, less those not built here (RX_SOFTWARE's
 * receive timestamps, OPT_CMSG, OPT_STATS, OPT_PKTINFO, OPT_TX_SWHW, BIND_PHC, OPT_ID_TCP,
 * OPT_RX_FILTER: refused with EINVAL rather than taken and ignored). The hardware ones are taken
 * and give nothing, as on a device without hardware timestamping.
 */
export const SOF_TIMESTAMPING_MASK = SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_HARDWARE |
  SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_SYS_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE | SOF_TIMESTAMPING_OPT_ID |
  SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_OPT_TSONLY;

/** The flags that ask for transmit timestamps (Linux SOF_TIMESTAMPING_TX_RECORD_MASK, less hardware: usernet has none). */
const TX_RECORD = SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_TX_ACK;

/** A marked byte (Linux shinfo->tskey) and the payload of the segment that carried it (its timestamps' data). */
export interface TstampMark {
  key: number;
  data: Uint8Array | null;
}

/** A write took data up to `end` (Linux tcp_tx_timestamp: its last byte is end - 1). */
export function tstampWrite(s: TcpSocket, end: number): void {
  if ((s.tsFlags & TX_RECORD) === 0) return;
  (s.tsMarks ??= []).push({ key: (end - 1) >>> 0, data: null });
}

/**
 * A segment [seq, seq + len) goes to the device (Linux __dev_queue_xmit and the driver's
 * skb_tx_timestamp): SCHED and SND for each marked byte it carries.
 */
export function tstampSent(s: TcpSocket, seq: number, payload: Uint8Array): void {
  const m = s.tsMarks;
  if (m === null || payload.length === 0) return;
  const end = (seq + payload.length) >>> 0;
  for (const mark of m) {
    if (seqLt(mark.key, seq) || !seqLt(mark.key, end)) continue;
    // The payload as it left, copied once (the send queue's memory is reused once acknowledged).
    if ((s.tsFlags & SOF_TIMESTAMPING_OPT_TSONLY) === 0 && mark.data === null) mark.data = Uint8Array.prototype.slice.call(payload);
    if ((s.tsFlags & SOF_TIMESTAMPING_TX_SCHED) !== 0) report(s, SCM_TSTAMP_SCHED, mark);
    if ((s.tsFlags & SOF_TIMESTAMPING_TX_SOFTWARE) !== 0) report(s, SCM_TSTAMP_SND, mark);
  }
}

/** SND.UNA moved (Linux tcp_ack_tstamp): ACK for each marked byte it covers; the marks are done. */
export function tstampAcked(s: TcpSocket): void {
  const m = s.tsMarks;
  if (m === null) return;
  while (m.length > 0 && seqLt(m[0]!.key, s.sndUna)) {
    const mark = m.shift()!;
    if ((s.tsFlags & SOF_TIMESTAMPING_TX_ACK) !== 0) report(s, SCM_TSTAMP_ACK, mark);
  }
}

/** The send queue is dropped (reset, abort): no more timestamps for it. */
export function tstampPurge(s: TcpSocket): void {
  if (s.tsMarks !== null) s.tsMarks.length = 0;
}

/** setsockopt(SO_TIMESTAMPING): Linux sock_set_timestamping's checks; OPT_ID keys from SND.UNA. */
export function setTimestamping(s: TcpSocket, flags: number, keyable: boolean): number {
  if ((flags & SOF_TIMESTAMPING_OPT_ID) !== 0 && (s.tsFlags & SOF_TIMESTAMPING_OPT_ID) === 0) {
    if (!keyable) return -EINVAL; // Linux refuses OPT_ID on a closed or listening TCP socket
    s.tsKey = s.sndUna;
  }
  s.tsFlags = flags;
  if ((flags & TX_RECORD) === 0) s.tsMarks = null;
  return 0;
}

/** Linux __skb_complete_tx_timestamp: one error-queue message. */
function report(s: TcpSocket, kind: number, mark: TstampMark): void {
  if (s.orphan) return;
  const f = s.tsFlags;
  const control: ControlMessage[] = [];
  if ((f & SOF_TIMESTAMPING_SOFTWARE) !== 0) {
    const ms = s.tcp.realtimeEpoch + s.tcp.sched.now();
    const sec = Math.floor(ms / 1000);
    const nsec = Math.round((ms - sec * 1000) * 1e6);
    control.push({ level: 'SOL_SOCKET', type: 'SCM_TIMESTAMPING', data: [{ sec, nsec }, { sec: 0, nsec: 0 }, { sec: 0, nsec: 0 }] });
  }
  const data = (f & SOF_TIMESTAMPING_OPT_TSONLY) !== 0 || mark.data === null ? undefined : mark.data;
  const id = (f & SOF_TIMESTAMPING_OPT_ID) !== 0 ? ((mark.key - s.tsKey) >>> 0) : 0;
  if (isNoItems(s.errQueue)) s.errQueue = [];
  s.errQueue.push({ ee: { errno: ENOMSG, origin: SO_EE_ORIGIN_TIMESTAMPING, type: 0, code: 0, info: kind, data: id }, control, data });
  notify(s); // sk_error_report: POLLERR
}
