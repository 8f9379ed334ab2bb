// Test fixture only: a minimal IpLayer joining a few hosts on one segment, to drive UDP before
// (and independently of) the real IP layer. Packets are handed over in a setImmediate, with
// their bytes copied, as a wire would.
import type { IcmpError, IpLayer, IpOutputOptions, IpPacket, RouteResult, TransportProtocol } from '../../src/kernel/ip-types.js';
import { ECONNREFUSED, ENETUNREACH } from '../../src/uapi/errno.js';
import { parseIP } from '../../src/wire/addr.js';

export class FakeSegment {
  hosts: FakeIp[] = [];
  /** Every packet put on the segment (not loopback). */
  log: Array<{ family: 4 | 6; src: string; dst: string; ttl: number; bytes: Uint8Array }> = [];
}

export class FakeIp implements IpLayer {
  readonly stats: Record<string, Record<string, number>> = {};
  tp: TransportProtocol | null = null;
  groups = new Map<string, number>();
  unreachables: IpPacket[] = [];
  constructor(readonly seg: FakeSegment, readonly v4: string, readonly v6: string, readonly bcast = '10.0.0.255') {
    seg.hosts.push(this);
  }
  register(tp: TransportProtocol): void { this.tp = tp; }
  isLocal(family: 4 | 6, a: string): boolean {
    return family === 4 ? a === this.v4 || a === '127.0.0.1' : a === this.v6 || a === '::1';
  }
  route(family: 4 | 6, dst: string, opts?: { src?: string; ifindex?: number }): RouteResult | number {
    const local = this.isLocal(family, dst);
    const loop = dst === '127.0.0.1' || dst === '::1';
    const mc = family === 4 ? Number(dst.split('.')[0]) >= 224 && Number(dst.split('.')[0]) <= 239 : dst.startsWith('ff');
    const bc = family === 4 && (dst === '255.255.255.255' || dst === this.bcast);
    if (family === 4 && !mc && !bc && !local && !dst.startsWith('10.0.0.')) return -ENETUNREACH;
    if (family === 6 && !mc && !local && !dst.startsWith('fd00::')) return -ENETUNREACH;
    const src = opts?.src ?? (loop ? dst : family === 4 ? this.v4 : this.v6);
    return {
      family, dev: loop ? 'lo' : 'eth0', ifindex: loop ? 1 : 2, src, mtu: 1500,
      type: local ? 'local' : mc ? 'multicast' : bc ? 'broadcast' : 'unicast',
    };
  }
  output(family: 4 | 6, src: string, dst: string, protocol: number, buf: Uint8Array, offset: number, opts?: IpOutputOptions): number {
    const bytes = buf.slice(offset);
    const ttl = opts?.ttl ?? 64;
    const make = (to: FakeIp, ifindex: number, multicast: boolean): IpPacket => ({
      family, src, dst, srcBytes: parseIP(src)!, dstBytes: parseIP(dst)!, protocol, ttl, tos: 0,
      payload: bytes.slice(), ifindex, multicast,
    });
    if (this.isLocal(family, dst)) {
      setImmediate(() => this.tp?.input(make(this, 1, false)));
      return 0;
    }
    const r = this.route(family, dst);
    if (typeof r === 'number') return r;
    this.seg.log.push({ family, src, dst, ttl, bytes });
    const group = r.type === 'multicast' || r.type === 'broadcast';
    for (const h of this.seg.hosts) {
      if (h === this) {
        if (r.type === 'multicast' && opts?.multicastLoop !== false && h.isMember(family, dst, 2)) setImmediate(() => h.tp?.input(make(h, 2, true)));
        if (r.type === 'broadcast') setImmediate(() => h.tp?.input(make(h, 2, true)));
        continue;
      }
      if (group) {
        if (r.type === 'multicast' && !h.isMember(family, dst, 2)) continue;
        setImmediate(() => h.tp?.input(make(h, 2, true)));
      } else if (h.isLocal(family, dst)) setImmediate(() => h.tp?.input(make(h, 2, false)));
    }
    return 0;
  }
  joinGroup(family: 4 | 6, group: string, ifindex: number): number {
    const k = `${family}/${group}/${ifindex}`;
    this.groups.set(k, (this.groups.get(k) ?? 0) + 1);
    return 0;
  }
  leaveGroup(family: 4 | 6, group: string, ifindex: number): number {
    const k = `${family}/${group}/${ifindex}`;
    const n = (this.groups.get(k) ?? 0) - 1;
    if (n <= 0) this.groups.delete(k); else this.groups.set(k, n);
    return 0;
  }
  isMember(family: 4 | 6, group: string, ifindex: number): boolean { return this.groups.has(`${family}/${group}/${ifindex}`); }
  ifindexOf(s: string): number { return s === 'lo' || s === '127.0.0.1' ? 1 : s === 'eth0' || s === this.v4 || s === this.v6 ? 2 : 0; }
  sendUnreachable(pkt: IpPacket): void {
    this.unreachables.push(pkt);
    // Tell the sender, as its kernel would on receiving ICMP port unreachable.
    const sender = this.seg.hosts.find((h) => h.isLocal(pkt.family, pkt.src));
    if (sender === undefined) return;
    const err: IcmpError = {
      family: pkt.family, reporter: pkt.dst, type: pkt.family === 4 ? 3 : 1, code: pkt.family === 4 ? 3 : 4, errno: ECONNREFUSED,
      src: pkt.src, dst: pkt.dst, protocol: 17, transport: pkt.payload.slice(0, 8),
    };
    setImmediate(() => sender.tp?.icmpError?.(err));
  }
}

/** Resolves after pending setImmediate deliveries ran. */
export function settle(rounds = 3): Promise<void> {
  return new Promise((resolve) => {
    let n = rounds;
    const step = (): void => { if (--n <= 0) resolve(); else setImmediate(step); };
    setImmediate(step);
  });
}
