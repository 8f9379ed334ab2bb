// TCP connection states (RFC 9293 §3.3.2), numbered like Linux's TCP_ESTABLISHED... so that
// the names `ss` prints come out of one table.

export const ESTABLISHED = 1;
export const SYN_SENT = 2;
export const SYN_RECEIVED = 3;
export const FIN_WAIT_1 = 4;
export const FIN_WAIT_2 = 5;
export const TIME_WAIT = 6;
export const CLOSED = 7;
export const CLOSE_WAIT = 8;
export const LAST_ACK = 9;
export const LISTEN = 10;
export const CLOSING = 11;

export type TcpState = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11;

/** The names `ss` prints (iproute2 misc/ss.c sstate_name); CLOSED prints as UNCONN. */
const SS_NAMES = ['', 'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT',
  'UNCONN', 'CLOSE-WAIT', 'LAST-ACK', 'LISTEN', 'CLOSING'];

/** RFC 9293 §3.3.2 names. */
const RFC_NAMES = ['', 'ESTABLISHED', 'SYN-SENT', 'SYN-RECEIVED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT',
  'CLOSED', 'CLOSE-WAIT', 'LAST-ACK', 'LISTEN', 'CLOSING'];

export function ssStateName(s: TcpState): string { return SS_NAMES[s]!; }
export function rfcStateName(s: TcpState): string { return RFC_NAMES[s]!; }

/** States in which the connection is synchronized (RFC 9293 §3.5.3 / §3.10.7.4). */
export function synchronized(s: TcpState): boolean {
  return s === ESTABLISHED || s === FIN_WAIT_1 || s === FIN_WAIT_2 || s === CLOSE_WAIT ||
    s === CLOSING || s === LAST_ACK || s === TIME_WAIT;
}
