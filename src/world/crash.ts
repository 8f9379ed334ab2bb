// What host.crash() and host.restart() do below the Host class: the kernel forgets its dynamic
// state, the programs that ran on the host (its net and dgram objects) die, and the errors a
// crashed host answers with.
//
// A crash is a power cut: nothing is sent on the way down. Every transport forgets its sockets
// at once (TCP without a RST or FIN, RFC 9293 §3.10.7.1 then answers the peers' next segments
// with RSTs after the restart), the neighbour caches, the reassembly queues, learned path MTUs,
// ICMP rate-limit state, the sockets' multicast memberships, outstanding pings and loopback
// packets in flight go with them. What the user configured stays: interfaces with their
// addresses, MTUs, MACs and up/down state, static routes, forwarding, TCP settings.

import { defineError } from '../node/errors.js';
import { NetServer, NetSocket } from '../node/net.js';
import { Socket as DgramSocket, closeForCrash } from '../node/dgram.js';
import { isHostServer } from '../node/host-server.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Udp } from '../kernel/udp.js';
import type { Tcp } from '../kernel/tcp/index.js';
import { LazySet } from '../links/lazy.js';

/** A call on a crashed host (its modules, ping, attach): `host a is down`. */
export const ERR_HOST_DOWN = defineError('ERR_HOST_DOWN', Error, (what: string, host: string) =>
  `${what}: host ${host} is down (crashed; host.restart() boots it)`);

/** Node's ERR_INVALID_STATE: restart() on a host that is running. */
export const ERR_INVALID_STATE = defineError('ERR_INVALID_STATE', Error, (what: string) => `Invalid state: ${what}`);

/**
 * The user-space objects of one host (net sockets and servers, dgram sockets), held weakly: an
 * object nobody can reach any more cannot be waited on, and a socket or server that can still
 * do something is reachable from its handle's descriptor watch. Dead references are dropped as
 * the set grows (when the garbage collector ran is invisible: only unreachable objects go).
 */
export class Programs {
  private refs: Set<WeakRef<object>> = new LazySet();
  private limit = 256;

  add(obj: object): void {
    this.refs.add(new WeakRef(obj));
    if (this.refs.size >= this.limit) {
      for (const r of this.refs) if (r.deref() === undefined) this.refs.delete(r);
      this.limit = Math.max(256, this.refs.size * 2);
    }
  }

  /** The live objects, oldest first, and forgets them all. */
  take(): object[] {
    const out: object[] = [];
    for (const r of this.refs) {
      const o = r.deref();
      if (o !== undefined) out.push(o);
    }
    this.refs = new LazySet();
    this.limit = 256;
    return out;
  }
}

/** What `obj` is, for messages: 'net.Socket', 'net.Server', 'dgram.Socket'. */
export function describeProgram(obj: object): string {
  if (obj instanceof NetServer) return 'net.Server';
  if (obj instanceof NetSocket) return 'net.Socket';
  if (obj instanceof DgramSocket) return 'dgram.Socket';
  return obj.constructor.name;
}

/**
 * The program behind `obj` died: a net socket is destroyed ('close' with hadError false; pending
 * write callbacks get ERR_STREAM_DESTROYED as after any destroy()), a listening server closes
 * ('close' once its connections, destroyed too, are gone), a dgram socket closes.
 */
export function kill(obj: object): void {
  if (obj instanceof NetSocket) {
    if (!obj.destroyed) obj.destroy();
  } else if (obj instanceof NetServer) {
    if (obj.listening) obj.close();
  } else if (obj instanceof DgramSocket) {
    closeForCrash(obj);
  } else if (isHostServer(obj)) {
    if (obj.listening) obj.close(); // Node's http, https, tls and http2 servers listening on the host
  }
}

/** The kernel forgets everything that is not configuration, sending nothing. */
export function forgetKernelState(k: Kernel, udp: Udp, tcp: Tcp, pingFailure: (target: string, seq: number) => Error): void {
  tcp.crash();
  // Memberships first, so that closing the sockets finds nothing to leave (no report is sent).
  k.mcast.forgetSockets();
  for (const s of [...udp.sockets]) {
    s.onReady = null;
    s.close();
  }
  k.pinger.clear(pingFailure);
  for (const i of k.interfaces) {
    i.arp?.clear();
    i.nd?.clear();
  }
  k.ipv4.reasm.clear();
  k.ipv6.reasm.clear();
  k.lo.flush();
  k.softnet.flush();
  k.pmtu4.clear();
  k.pmtu6.clear();
  k.icmp.limiter.clear();
  k.icmp6.limiter.clear();
  // RFC 6528 §3 / RFC 6864: the secrets and the IPv4 identification counter are chosen at boot.
  tcp.isn.reseed();
  tcp.cookies.reseed();
  tcp.fastopen.reset();
  k.ipv4.reseedId();
  k.ipv6.reseedId();
  k.invalidate();
}

/** Boot: the kernel's and the interfaces' counters start from zero (`netstat -s`, `ip -s link`). */
export function zeroCounters(k: Kernel): void {
  for (const group of Object.values(k.stats)) zero(group);
  for (const i of k.interfaces) zero(i.stats as unknown as Record<string, number>);
}

function zero(counters: Record<string, number>): void {
  for (const key of Object.keys(counters)) if (typeof counters[key] === 'number') counters[key] = 0;
}
