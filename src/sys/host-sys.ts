// The socket calls of one host: a Sys with the host's socket kinds plugged in. Each transport
// registers the kinds it makes here (UDP below; TCP and unix-domain sockets add their lines).
import type { Kernel } from '../kernel/kernel.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../kernel/ip-types.js';
import type { Udp } from '../kernel/udp.js';
import type { Tcp } from '../kernel/tcp/index.js';
import { EPROTONOSUPPORT } from '../uapi/errno.js';
import { Sys } from './sys.js';
import { AF_INET, AF_INET6, SOCK_DGRAM, SOCK_STREAM } from '../uapi/socket.js';
import { UnixNamespace, registerUnix } from '../kernel/unix.js';

/** What the host's socket kinds are made from. */
export interface HostStack {
  readonly kernel: Kernel;
  readonly udp: Udp;
  readonly tcp: Tcp;
}

export function createHostSys(stack: HostStack): Sys {
  const sys = new Sys();
  const { udp, tcp } = stack;
  sys.registerFactory(AF_INET, SOCK_DGRAM, (p) => (p === 0 || p === IPPROTO_UDP ? udp.socket(AF_INET) : -EPROTONOSUPPORT));
  sys.registerFactory(AF_INET6, SOCK_DGRAM, (p) => (p === 0 || p === IPPROTO_UDP ? udp.socket(AF_INET6) : -EPROTONOSUPPORT));
  sys.registerFactory(AF_INET, SOCK_STREAM, (p) => (p === 0 || p === IPPROTO_TCP ? tcp.socket(AF_INET) : -EPROTONOSUPPORT));
  sys.registerFactory(AF_INET6, SOCK_STREAM, (p) => (p === 0 || p === IPPROTO_TCP ? tcp.socket(AF_INET6) : -EPROTONOSUPPORT));
  registerUnix(sys, new UnixNamespace(stack.kernel.sched)); // AF_UNIX SOCK_STREAM, a path namespace per host
  return sys;
}

/**
 * host.crash(): the descriptor table is dropped (Sys.crash) and the unix-domain namespace starts
 * empty (bound paths do not survive a reboot; no socket file is left behind either).
 */
export function crashHostSys(sys: Sys, stack: HostStack): void {
  sys.crash();
  registerUnix(sys, new UnixNamespace(stack.kernel.sched));
}
