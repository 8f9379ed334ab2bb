// The routing table of one address family: longest-prefix match, then the lowest metric
// (RFC 1812 §5.2.4.3; Linux's fib lookup). Hosts have a handful of routes, so a list kept
// sorted by (prefix length desc, metric asc) and scanned linearly is faster than a trie; the
// kernel also caches results per destination (see kernel.ts).

import { networkOf, prefixMatch, formatIP } from '../wire/addr.js';
import { get32 } from '../wire/bytes.js';
import type { Interface } from './interface.js';

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'multicast' | 'unreachable' | 'blackhole' | 'prohibit';
export type RouteProto = 'kernel' | 'static';
export type RouteScope = 'host' | 'link' | 'global';

export interface Route {
  readonly family: 4 | 6;
  /** The network bytes (host bits cleared) and prefix length. */
  readonly net: Uint8Array;
  readonly prefix: number;
  /** IPv4 only: the network and mask as unsigned 32-bit numbers, for the fast match. */
  readonly net32: number;
  readonly mask32: number;
  /** Output interface; null for unreachable/blackhole/prohibit routes. */
  readonly dev: Interface | null;
  /** Gateway (next hop) when not on-link. */
  readonly via: string | undefined;
  readonly metric: number;
  /** Preferred source address (prefsrc). */
  readonly src: string | undefined;
  readonly proto: RouteProto;
  readonly scope: RouteScope;
  readonly type: RouteType;
  /** Route-specific MTU (`ip route add ... mtu N`); 0 = the interface's. */
  readonly mtu: number;
}

/** Like one line of `ip route` (`ip -j route`): what `host.route.list()` returns. */
export interface RouteInfo {
  family: 4 | 6;
  dst: string;
  dev?: string;
  via?: string;
  src?: string;
  metric: number;
  proto: RouteProto;
  scope: RouteScope;
  type: RouteType;
  mtu?: number;
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function routeDst(r: Route): string {
  return r.prefix === 0 ? 'default' : `${formatIP(r.net)}/${r.prefix}`;
}

export function makeRoute(
  family: 4 | 6,
  address: Uint8Array,
  prefix: number,
  fields: Partial<Omit<Route, 'family' | 'net' | 'prefix' | 'net32' | 'mask32'>>,
): Route {
  const net = networkOf(address, prefix);
  return {
    family,
    net,
    prefix,
    net32: family === 4 ? get32(net, 0) : 0,
    mask32: family === 4 ? maskOf(prefix) : 0,
    dev: fields.dev ?? null,
    via: fields.via,
    metric: fields.metric ?? 0,
    src: fields.src,
    proto: fields.proto ?? 'static',
    scope: fields.scope ?? (fields.via !== undefined ? 'global' : 'link'),
    type: fields.type ?? 'unicast',
    mtu: fields.mtu ?? 0,
  };
}

export function routeInfo(r: Route): RouteInfo {
  const info: RouteInfo = { family: r.family, dst: routeDst(r), metric: r.metric, proto: r.proto, scope: r.scope, type: r.type };
  if (r.dev) info.dev = r.dev.name;
  if (r.via !== undefined) info.via = r.via;
  if (r.src !== undefined) info.src = r.src;
  if (r.mtu > 0) info.mtu = r.mtu;
  return info;
}

export class RouteTable {
  readonly family: 4 | 6;
  private routes: Route[] = [];
  /** Bumped on every change; the kernel's per-destination cache compares it. */
  gen = 0;

  constructor(family: 4 | 6) {
    this.family = family;
  }

  list(): readonly Route[] {
    return this.routes;
  }

  /** Adds a route; false when the same (prefix, metric, dev, via) is already there (EEXIST). */
  add(r: Route): boolean {
    for (const o of this.routes) {
      if (o.prefix === r.prefix && o.metric === r.metric && prefixMatch(o.net, r.net, r.prefix) && o.dev === r.dev && o.via === r.via) return false;
    }
    let i = 0;
    while (i < this.routes.length) {
      const o = this.routes[i]!;
      if (o.prefix < r.prefix || (o.prefix === r.prefix && o.metric > r.metric)) break;
      i++;
    }
    this.routes.splice(i, 0, r);
    this.gen++;
    return true;
  }

  /** Removes the routes matching; returns how many went. */
  remove(match: (r: Route) => boolean): number {
    const before = this.routes.length;
    this.routes = this.routes.filter((r) => !match(r));
    const n = before - this.routes.length;
    if (n > 0) this.gen++;
    return n;
  }

  /** Longest-prefix match for an IPv4 destination given as a 32-bit number. */
  lookup4(dst32: number, ifindex: number): Route | null {
    const rs = this.routes;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      if (((dst32 & r.mask32) >>> 0) !== r.net32) continue;
      if (ifindex !== 0 && (r.dev === null || r.dev.ifindex !== ifindex)) continue;
      if (r.dev !== null && !r.dev.up) continue;
      return r;
    }
    return null;
  }

  /** Longest-prefix match for an IPv6 destination. */
  lookup6(dst: Uint8Array, ifindex: number): Route | null {
    const rs = this.routes;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      if (!prefixMatch(dst, r.net, r.prefix)) continue;
      if (ifindex !== 0 && (r.dev === null || r.dev.ifindex !== ifindex)) continue;
      if (r.dev !== null && !r.dev.up) continue;
      return r;
    }
    return null;
  }
}
