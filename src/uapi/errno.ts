// Linux errno values and names. Socket calls return -errno on failure, as the kernel does, and
// the handle layer turns them into Node's error shapes with the same numbers libuv would give.
import { constants } from 'node:os';

const E = constants.errno as Record<string, number>;
function n(name: string, linux: number): number { return E[name] ?? linux; }

export const EPERM = n('EPERM', 1);
export const ENOENT = n('ENOENT', 2);
export const EINTR = n('EINTR', 4);
export const EBADF = n('EBADF', 9);
export const EAGAIN = n('EAGAIN', 11);
export const ENOMEM = n('ENOMEM', 12);
export const EACCES = n('EACCES', 13);
export const EFAULT = n('EFAULT', 14);
export const EEXIST = n('EEXIST', 17);
export const ENOTDIR = n('ENOTDIR', 20);
export const EINVAL = n('EINVAL', 22);
export const EMFILE = n('EMFILE', 24);
export const ENOTTY = n('ENOTTY', 25);
export const ENOSPC = n('ENOSPC', 28);
export const EPIPE = n('EPIPE', 32);
export const ENAMETOOLONG = n('ENAMETOOLONG', 36);
export const ENOMSG = n('ENOMSG', 42);
export const ENOTSOCK = n('ENOTSOCK', 88);
export const EDESTADDRREQ = n('EDESTADDRREQ', 89);
export const EMSGSIZE = n('EMSGSIZE', 90);
export const EPROTOTYPE = n('EPROTOTYPE', 91);
export const ENOPROTOOPT = n('ENOPROTOOPT', 92);
export const EPROTONOSUPPORT = n('EPROTONOSUPPORT', 93);
export const ESOCKTNOSUPPORT = n('ESOCKTNOSUPPORT', 94);
export const EOPNOTSUPP = n('EOPNOTSUPP', 95);
export const EAFNOSUPPORT = n('EAFNOSUPPORT', 97);
export const EADDRINUSE = n('EADDRINUSE', 98);
export const EADDRNOTAVAIL = n('EADDRNOTAVAIL', 99);
export const ENETDOWN = n('ENETDOWN', 100);
export const ENETUNREACH = n('ENETUNREACH', 101);
export const ECONNABORTED = n('ECONNABORTED', 103);
export const ECONNRESET = n('ECONNRESET', 104);
export const ENOBUFS = n('ENOBUFS', 105);
export const EISCONN = n('EISCONN', 106);
export const ENOTCONN = n('ENOTCONN', 107);
export const ETIMEDOUT = n('ETIMEDOUT', 110);
export const ECONNREFUSED = n('ECONNREFUSED', 111);
export const EHOSTDOWN = n('EHOSTDOWN', 112);
export const EHOSTUNREACH = n('EHOSTUNREACH', 113);
export const EALREADY = n('EALREADY', 114);
export const EINPROGRESS = n('EINPROGRESS', 115);

const names = new Map<number, string>();
for (const [k, v] of Object.entries(E)) if (!names.has(v)) names.set(v, k);
names.set(EAGAIN, 'EAGAIN');

/** 'ECONNREFUSED' for 111 or -111. */
export function errnoName(errno: number): string {
  return names.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

/** True for a negative -errno result of a socket call. */
export function isErr(r: unknown): r is number {
  return typeof r === 'number' && r < 0;
}
