// `ip route` for a host: add, del, list (show) and get, with iproute2's error texts.

import { formatIP, ipFamily, parseCIDR, parseIP } from '../wire/addr.js';
import { get32 } from '../wire/bytes.js';
import { EEXIST, EINVAL, ENETUNREACH } from '../uapi/errno.js';
import { constants } from 'node:os';
import { codeError, type Kernel } from './kernel.js';
import { makeRoute, routeInfo, type Route, type RouteInfo, type RouteType } from './routes.js';

const ESRCH = (constants.errno as Record<string, number>)['ESRCH'] ?? 3;
const ENODEV = (constants.errno as Record<string, number>)['ENODEV'] ?? 19;

export interface RouteAddOptions {
  /** Gateway; must be on-link (reachable through a connected route) unless `dev` is given. */
  via?: string;
  /** Output interface name. */
  dev?: string;
  /** Lower wins among routes of the same prefix length. Default 0 (IPv4), 1024 (IPv6), as Linux. */
  metric?: number;
  /** Preferred source address. */
  src?: string;
  /** Route MTU (`ip route add ... mtu N`). */
  mtu?: number;
  /** unicast (default), unreachable, blackhole, prohibit. */
  type?: RouteType;
  /** For 'default' without a gateway: which family (default 4). */
  family?: 4 | 6;
}

/** What `host.route.get(dst)` answers, like `ip route get`. */
export interface RouteGet {
  family: 4 | 6;
  dst: string;
  dev: string;
  ifindex: number;
  src: string;
  via?: string;
  mtu: number;
  type: 'unicast' | 'local' | 'broadcast' | 'multicast';
}

export class RouteCommands {
  constructor(private readonly k: Kernel) {}

  /** `ip route add <dst> [via <gw>] [dev <if>] [metric N]`; dst is 'default' or a CIDR prefix. */
  add(dst: string, opts: RouteAddOptions = {}): void {
    const { family, address, prefix } = this.prefixOf(dst, opts);
    const k = this.k;
    const type = opts.type ?? 'unicast';
    let dev = opts.dev !== undefined ? k.iface(opts.dev) : undefined;
    if (opts.dev !== undefined && dev === undefined) throw codeError(`Cannot find device "${opts.dev}"`, 'ENODEV', ENODEV);
    let via: string | undefined;
    if (opts.via !== undefined) {
      const vb = parseIP(opts.via);
      if (vb === null || (vb.length === 4 ? 4 : 6) !== family) throw codeError(`Error: invalid gateway '${opts.via}' for a ${family === 4 ? 'IPv4' : 'IPv6'} route`, 'EINVAL', EINVAL);
      via = formatIP(vb);
      if (dev === undefined) {
        // Linux fib_check_nh: the gateway must be reachable through a connected (on-link) route.
        const table = family === 4 ? k.routes4 : k.routes6;
        const r = family === 4 ? table.lookup4(get32(vb, 0), 0) : table.lookup6(vb, 0);
        if (r === null || r.via !== undefined || r.dev === null) throw codeError('Error: Nexthop has invalid gateway.', 'ENETUNREACH', ENETUNREACH);
        dev = r.dev;
      }
    }
    if (type === 'unicast' && dev === undefined) throw codeError('Error: Device for nexthop is not up.', 'ENODEV', ENODEV);
    const metric = opts.metric ?? (family === 6 ? 1024 : 0);
    const route = makeRoute(family, address, prefix, {
      ...(type === 'unicast' ? { dev: dev! } : {}),
      ...(via !== undefined ? { via } : {}),
      ...(opts.src !== undefined ? { src: opts.src } : {}),
      ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}),
      metric,
      proto: 'static',
      scope: via !== undefined || type !== 'unicast' ? 'global' : 'link',
      type,
    });
    const table = family === 4 ? k.routes4 : k.routes6;
    if (!table.add(route)) throw codeError('RTNETLINK answers: File exists', 'EEXIST', EEXIST);
    k.invalidate();
  }

  /** `ip route del <dst> [via <gw>] [dev <if>] [metric N]`. */
  del(dst: string, opts: RouteAddOptions = {}): void {
    const { family, address, prefix } = this.prefixOf(dst, opts);
    const k = this.k;
    const table = family === 4 ? k.routes4 : k.routes6;
    const via = opts.via !== undefined ? formatIP(parseIP(opts.via) ?? new Uint8Array(family === 4 ? 4 : 16)) : undefined;
    let removed = false;
    const n = table.remove((r: Route) => {
      if (removed) return false;
      if (r.prefix !== prefix || formatIP(r.net) !== formatIP(makeRoute(family, address, prefix, {}).net)) return false;
      if (via !== undefined && r.via !== via) return false;
      if (opts.dev !== undefined && r.dev?.name !== opts.dev) return false;
      if (opts.metric !== undefined && r.metric !== opts.metric) return false;
      removed = true; // like iproute2, one route per command
      return true;
    });
    if (n === 0) throw codeError('RTNETLINK answers: No such process', 'ESRCH', ESRCH);
    k.invalidate();
  }

  /** `ip route show` (both families unless one is asked for). */
  list(family?: 4 | 6): RouteInfo[] {
    const out: RouteInfo[] = [];
    if (family !== 6) for (const r of this.k.routes4.list()) out.push(routeInfo(r));
    if (family !== 4) for (const r of this.k.routes6.list()) out.push(routeInfo(r));
    return out;
  }

  /** `ip route get <address>`; throws ENETUNREACH ("Network is unreachable") when there is no route. */
  get(dst: string, opts: { from?: string; oif?: string } = {}): RouteGet {
    const b = parseIP(dst);
    if (b === null) throw codeError(`Error: any valid address is expected rather than "${dst}".`, 'EINVAL', EINVAL);
    const family = b.length === 4 ? 4 : 6;
    const canonical = formatIP(b);
    const ifindex = opts.oif !== undefined ? this.k.ifindexOf(opts.oif) : 0;
    const r = this.k.route(family, canonical, { ...(opts.from !== undefined ? { src: opts.from } : {}), ifindex });
    if (typeof r === 'number') {
      const msg = r === -ENETUNREACH ? 'Network is unreachable' : r === -EINVAL ? 'Invalid argument' : 'No route to host';
      throw codeError(`RTNETLINK answers: ${msg}`, r === -ENETUNREACH ? 'ENETUNREACH' : r === -EINVAL ? 'EINVAL' : 'EHOSTUNREACH', -r);
    }
    const out: RouteGet = { family, dst: canonical, dev: r.dev, ifindex: r.ifindex, src: r.src, mtu: r.mtu, type: r.type };
    if (r.via !== undefined) out.via = r.via;
    return out;
  }

  private prefixOf(dst: string, opts: RouteAddOptions): { family: 4 | 6; address: Uint8Array; prefix: number } {
    if (dst === 'default') {
      const family = opts.family ?? (opts.via !== undefined && ipFamily(opts.via) === 6 ? 6 : 4);
      return { family, address: new Uint8Array(family === 4 ? 4 : 16), prefix: 0 };
    }
    const c = parseCIDR(dst);
    if (c === null) throw codeError(`Error: any valid prefix is expected rather than "${dst}".`, 'EINVAL', EINVAL);
    return { family: c.address.length === 4 ? 4 : 6, address: c.address, prefix: c.prefix };
  }
}
