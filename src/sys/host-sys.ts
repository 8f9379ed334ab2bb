// The socket calls of one host: a Sys with the host's socket kinds plugged in. Each transport
// registers the kinds it makes here (UDP below; TCP and unix-domain sockets add their lines).
import type { Kernel } from '../kernel/kernel.js';
import { IPPROTO_UDP } from '../kernel/ip-types.js';
import type { Udp } from '../kernel/udp.js';
import { EPROTONOSUPPORT } from './errno.js';
import { Sys } from './sys.js';
import { AF_INET, AF_INET6, SOCK_DGRAM } from './types.js';
import { UnixNamespace, registerUnix } from '../kernel/unix.js';

/** What the host's socket kinds are made from. */
export interface HostStack {
  readonly kernel: Kernel;
  readonly udp: Udp;
}

export function createHostSys(stack: HostStack): Sys {
  const sys = new Sys();
  const { udp } = stack;
  sys.registerFactory(AF_INET, SOCK_DGRAM, (p) => (p === 0 || p === IPPROTO_UDP ? udp.socket(AF_INET) : -EPROTONOSUPPORT));
  sys.registerFactory(AF_INET6, SOCK_DGRAM, (p) => (p === 0 || p === IPPROTO_UDP ? udp.socket(AF_INET6) : -EPROTONOSUPPORT));
  // TCP: sys.registerFactory(AF_INET / AF_INET6, SOCK_STREAM, (p) => TcpSocket or -EPROTONOSUPPORT)
  registerUnix(sys, new UnixNamespace(stack.kernel.sched)); // AF_UNIX SOCK_STREAM, a path namespace per host
  return sys;
}
