// The port table of one transport protocol (one per protocol per host: UDP has one, TCP has
// one), with Linux's bind rules.
//
// API (used by UDP here and by TCP in src/kernel/tcp/):
//
//   const table = new PortTable<Sock>(random, { mayShare });     // one per protocol per host
//   const e = table.bind(sock, { family, address, port, v6only, reuseAddr, reusePort });
//       -> PortEntry<Sock> | -EADDRINUSE   (port 0 picks an ephemeral port, -EADDRINUSE when
//          none is free; callers doing an implicit bind (autobind) report -EAGAIN like Linux)
//   table.unbind(e);                                               // on close
//   table.rehash(e, address)     -> a new local address, no conflict check (UDP connect)
//   table.conflict(e)            -> the entry e now collides with (TCP re-checks on listen())
//   table.entries(port)          -> every entry on that port (demux scans this, most specific wins)
//   table.pickEphemeral(isFree, parity?) -> a free port in the range or -EADDRINUSE; TCP's
//          connect() passes its own 4-tuple check as isFree
//   coverage(family, address, v6only) / overlaps(a, b): which local addresses a binding owns
//
// The address given to bind() must already be canonical text and checked by the caller
// (local, multicast or broadcast, else -EADDRNOTAVAIL: see checkBindAddress below).
//
// Rules (Linux net/ipv4/inet_connection_sock.c and udp.c):
// - Two bindings on one port collide when the local addresses they own overlap: a wildcard
//   (0.0.0.0, ::) owns every address of its family; an AF_INET6 socket bound to :: without
//   IPV6_V6ONLY also owns every IPv4 address (dual stack); ::ffff:a.b.c.d is the IPv4 address.
// - Overlapping bindings may coexist when the protocol's `mayShare` rule says so. The default
//   (UDP's, udp_lib_lport_inuse) is: both set SO_REUSEADDR, or both set SO_REUSEPORT (one
//   user in this model, so the uid check always passes). TCP passes its own rule that also
//   looks at LISTEN and TIME_WAIT states.
// - Ephemeral ports come from net.ipv4.ip_local_port_range, 32768-60999 by default: a random
//   start, then a linear scan, as Linux does (TCP prefers odd ports for bind(0) and even ones
//   for connect(); pass `parity`).
import type { Random } from '../links/random.js';
import { EADDRINUSE, EADDRNOTAVAIL, EINVAL } from '../uapi/errno.js';
import { LazyMap } from '../links/lazy.js';

/** Linux's default net.ipv4.ip_local_port_range. */
export const EPHEMERAL_LOW = 32768;
export const EPHEMERAL_HIGH = 60999;

/** What a socket asks of bind(). `family` is the socket's domain (4 = AF_INET, 6 = AF_INET6). */
export interface BindRequest {
  family: 4 | 6;
  /** Canonical local address: '0.0.0.0', '::', '10.0.0.1', 'fd00::1', '::ffff:10.0.0.1'. */
  address: string;
  /** 0 = pick an ephemeral port. */
  port: number;
  v6only: boolean;
  reuseAddr: boolean;
  reusePort: boolean;
}

/** The local addresses a binding owns in each family: '*' = all, a string = that one, null = none. */
export interface Coverage {
  v4: string | null;
  v6: string | null;
}

export interface PortEntry<T> extends Coverage {
  readonly owner: T;
  readonly family: 4 | 6;
  /** Changes only through PortTable.rehash (a UDP connect() fixing the source address). */
  address: string;
  readonly port: number;
  readonly v6only: boolean;
  /** The socket's flags may change after bind (setsockopt); the table reads them at each check. */
  reuseAddr: boolean;
  reusePort: boolean;
}

/** Whether `candidate` may share its port with `existing` when their addresses overlap. */
export type ShareRule<T> = (candidate: PortEntry<T>, existing: PortEntry<T>) => boolean;

/** UDP's rule (Linux udp_lib_lport_inuse): both SO_REUSEADDR, or both SO_REUSEPORT. */
export function udpMayShare<T>(a: PortEntry<T>, b: PortEntry<T>): boolean {
  return (a.reuseAddr && b.reuseAddr) || (a.reusePort && b.reusePort);
}

const MAPPED = '::ffff:';

/** '::ffff:10.0.0.1' -> '10.0.0.1'; anything else -> null. */
export function unmapped(address: string): string | null {
  if (!address.startsWith(MAPPED)) return null;
  const rest = address.slice(MAPPED.length);
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(rest) ? rest : null;
}

/** Which local addresses a socket of `family` bound to `address` owns. */
export function coverage(family: 4 | 6, address: string, v6only: boolean): Coverage {
  if (family === 4) return { v4: address === '0.0.0.0' ? '*' : address, v6: null };
  if (address === '::') return { v4: v6only ? null : '*', v6: '*' };
  const v4 = unmapped(address);
  if (v4 !== null) return { v4: v4 === '0.0.0.0' ? '*' : v4, v6: null };
  return { v4: null, v6: address };
}

function meet(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && (a === '*' || b === '*' || a === b);
}

/** Whether two bindings own a common local address. */
export function overlaps(a: Coverage, b: Coverage): boolean {
  return meet(a.v4, b.v4) || meet(a.v6, b.v6);
}

/** Whether a binding owns local address `addr` of `family` (used by demux). */
export function covers(c: Coverage, family: 4 | 6, addr: string): boolean {
  const mine = family === 4 ? c.v4 : c.v6;
  return mine !== null && (mine === '*' || mine === addr);
}

/**
 * Linux's checks on a bind() address, before the port table. `isLocal` answers for the host's
 * own addresses; multicast and broadcast addresses may be bound too (inet_bind, inet6_bind).
 * Returns 0, -EADDRNOTAVAIL, or -EINVAL (a v4-mapped address on an IPV6_V6ONLY socket).
 */
export function checkBindAddress(family: 4 | 6, address: string, v6only: boolean,
  isLocalOrBroadcast: (family: 4 | 6, address: string) => boolean): number {
  if (family === 4) {
    if (address === '0.0.0.0' || isMulticast4(address)) return 0;
    return isLocalOrBroadcast(4, address) ? 0 : -EADDRNOTAVAIL;
  }
  if (address === '::') return 0;
  const v4 = unmapped(address);
  if (v4 !== null) {
    if (v6only) return -EINVAL;
    if (v4 === '0.0.0.0' || isMulticast4(v4)) return 0;
    return isLocalOrBroadcast(4, v4) ? 0 : -EADDRNOTAVAIL;
  }
  if (isMulticast6(address)) return 0;
  return isLocalOrBroadcast(6, address) ? 0 : -EADDRNOTAVAIL;
}

export function isMulticast4(a: string): boolean {
  const first = Number(a.slice(0, a.indexOf('.')));
  return first >= 224 && first <= 239;
}
export function isMulticast6(a: string): boolean {
  return a.length >= 2 && (a[0] === 'f' || a[0] === 'F') && (a[1] === 'f' || a[1] === 'F');
}

export class PortTable<T> {
  readonly low: number;
  readonly high: number;
  private readonly byPort = new LazyMap<number, Array<PortEntry<T>>>();
  private readonly mayShare: ShareRule<T>;
  private count = 0;

  constructor(private readonly random: Random, opts: { low?: number; high?: number; mayShare?: ShareRule<T> } = {}) {
    this.low = opts.low ?? EPHEMERAL_LOW;
    this.high = opts.high ?? EPHEMERAL_HIGH;
    this.mayShare = opts.mayShare ?? udpMayShare;
  }

  /** Number of bindings in the table. */
  get size(): number { return this.count; }

  /** Every binding on `port` (empty when none), in bind order. Do not modify. */
  entries(port: number): readonly PortEntry<T>[] {
    return this.byPort.get(port) ?? EMPTY;
  }

  /** Every binding, port by port. */
  *all(): IterableIterator<PortEntry<T>> {
    for (const list of this.byPort.values()) yield* list;
  }

  /** The first binding `e` collides with (other than itself), or null. */
  conflict(e: PortEntry<T>): PortEntry<T> | null {
    const list = this.byPort.get(e.port);
    if (list === undefined) return null;
    for (let i = 0; i < list.length; i++) {
      const o = list[i]!;
      if (o === e) continue;
      if (overlaps(e, o) && !this.mayShare(e, o)) return o;
    }
    return null;
  }

  /** Binds `owner` as `req` asks; port 0 takes a free ephemeral port. */
  bind(owner: T, req: BindRequest): PortEntry<T> | number {
    const cov = coverage(req.family, req.address, req.v6only);
    const make = (port: number): PortEntry<T> => ({
      owner, family: req.family, address: req.address, port, v6only: req.v6only,
      reuseAddr: req.reuseAddr, reusePort: req.reusePort, v4: cov.v4, v6: cov.v6,
    });
    if (req.port !== 0) {
      const e = make(req.port);
      if (this.conflict(e) !== null) return -EADDRINUSE;
      this.insert(e);
      return e;
    }
    // An ephemeral port: one nobody else owns an overlapping address on (Linux also avoids
    // sharing a fresh port through SO_REUSEADDR, so any overlapping owner makes it busy).
    const port = this.pickEphemeral((p) => {
      const list = this.byPort.get(p);
      if (list === undefined) return true;
      for (const o of list) if (overlaps(cov, o)) return false;
      return true;
    });
    if (port < 0) return port;
    const e = make(port);
    this.insert(e);
    return e;
  }

  /**
   * Changes the local address of a bound entry without a conflict check, as Linux's rehash does
   * when connect() on a wildcard-bound datagram socket fixes its source address (and back to the
   * wildcard on disconnect).
   */
  rehash(e: PortEntry<T>, address: string): void {
    const cov = coverage(e.family, address, e.v6only);
    e.address = address;
    e.v4 = cov.v4;
    e.v6 = cov.v6;
  }

  unbind(e: PortEntry<T>): void {
    const list = this.byPort.get(e.port);
    if (list === undefined) return;
    const i = list.indexOf(e);
    if (i < 0) return;
    list.splice(i, 1);
    this.count--;
    if (list.length === 0) this.byPort.delete(e.port);
  }

  /**
   * A port in [low, high] for which `isFree` holds: a random start, then a linear scan
   * (Linux inet_csk_find_open_port / __inet_hash_connect). With `parity` the ports of that
   * parity are tried first (0 = even, 1 = odd), then the others. -EADDRINUSE when none is free.
   */
  pickEphemeral(isFree: (port: number) => boolean, parity?: 0 | 1): number {
    const n = this.high - this.low + 1;
    if (n <= 0) return -EADDRINUSE;
    const start = this.random.int(n);
    if (parity === undefined) {
      for (let i = 0; i < n; i++) {
        const p = this.low + ((start + i) % n);
        if (isFree(p)) return p;
      }
      return -EADDRINUSE;
    }
    for (const want of [parity, parity ^ 1]) {
      for (let i = 0; i < n; i++) {
        const p = this.low + ((start + i) % n);
        if ((p & 1) === want && isFree(p)) return p;
      }
    }
    return -EADDRINUSE;
  }

  private insert(e: PortEntry<T>): void {
    let list = this.byPort.get(e.port);
    if (list === undefined) { list = []; this.byPort.set(e.port, list); }
    list.push(e);
    this.count++;
  }
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The member of an SO_REUSEPORT group that takes a flow (Linux reuseport_select_sock): a keyed
 * hash of the 4-tuple (inet_ehashfn's role), scaled onto the group (reciprocal_scale), so each
 * flow always lands on the same socket while the group is unchanged. Used by UDP and TCP.
 */
export function reuseportSelect<S>(group: readonly S[], secret: number, src: string, sport: number, dst: string, dport: number): S {
  let h = secret | 0;
  for (let i = 0; i < src.length; i++) h = Math.imul(h ^ src.charCodeAt(i), 0x01000193);
  for (let i = 0; i < dst.length; i++) h = Math.imul(h ^ dst.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ ((sport << 16) | dport), 0x01000193);
  // Spread every input bit over the result (murmur3's finalizer) before scaling.
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return group[Math.floor(((h >>> 0) * group.length) / 0x100000000)]!;
}
