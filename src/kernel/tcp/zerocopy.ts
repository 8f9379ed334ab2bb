// MSG_ZEROCOPY (Linux Documentation/networking/msg_zerocopy.rst, net/core/skbuff.c
// msg_zerocopy_*): with SO_ZEROCOPY set, each send(MSG_ZEROCOPY) that takes data gets the next
// 32-bit id of the socket; once the peer has acknowledged all of that send's data, a notification
// [lo, hi] of completed ids waits on the socket's error queue (recvmsg MSG_ERRQUEUE, POLLERR),
// merged with the one before it while that is unread and the ids run on. usernet copies the
// data into the send queue whatever the flag (it has no pages to pin), so every notification
// says SO_EE_CODE_ZEROCOPY_COPIED, as Linux does when it had to copy after all.
import { SO_EE_CODE_ZEROCOPY_COPIED, SO_EE_ORIGIN_ZEROCOPY, type ControlMessage, type SockExtendedErr } from '../../uapi/socket.js';
import { notify } from './lifecycle.js';
import { seqLe } from './seq.js';
import { isNoItems } from './tcb.js';
import type { TcpSocket } from './socket.js';

/** One message on a socket's error queue: the extended error and any other control messages. */
export interface ErrQueueEntry {
  ee: SockExtendedErr;
  control?: ControlMessage[];
  /** The message's data (a transmit timestamp's packet payload). */
  data?: Uint8Array;
}

/** A zerocopy send in flight: its id, and the sequence number just past its data. */
export interface ZerocopySend {
  id: number;
  end: number;
}

/** A send with MSG_ZEROCOPY took data up to sequence number `end` (Linux msg_zerocopy_realloc). */
export function zerocopySent(s: TcpSocket, end: number): void {
  if (isNoItems(s.zcPending)) s.zcPending = [];
  s.zcPending.push({ id: s.zcKey, end });
  s.zcKey = (s.zcKey + 1) >>> 0;
}

/** SND.UNA moved: the sends it covers are complete (Linux's skb free callback). */
export function zerocopyAcked(s: TcpSocket): void {
  const p = s.zcPending;
  while (p.length > 0 && seqLe(p[0]!.end, s.sndUna)) complete(s, p.shift()!.id);
}

/** The send queue is dropped (reset, abort): its sends complete all the same. */
export function zerocopyPurge(s: TcpSocket): void {
  const p = s.zcPending;
  while (p.length > 0) complete(s, p.shift()!.id);
}

/** Linux __msg_zerocopy_callback with skb_zerocopy_notify_extend. */
function complete(s: TcpSocket, id: number): void {
  if (s.orphan) return;
  let q = s.errQueue;
  const tail = q.length > 0 ? q[q.length - 1]!.ee : undefined;
  if (tail !== undefined && tail.origin === SO_EE_ORIGIN_ZEROCOPY && ((tail.data + 1) >>> 0) === id &&
      ((tail.data - tail.info) >>> 0) < 0xfffffffe) {
    tail.data = id;
  } else {
    if (isNoItems(q)) q = s.errQueue = [];
    q.push({ ee: { errno: 0, origin: SO_EE_ORIGIN_ZEROCOPY, type: 0, code: SO_EE_CODE_ZEROCOPY_COPIED, info: id, data: id } });
  }
  notify(s); // sk_error_report: POLLERR
}
