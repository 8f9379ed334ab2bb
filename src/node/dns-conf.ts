// A host's resolver configuration, written as /etc/resolv.conf is (resolv.conf(5)):
//
//   nameserver 10.0.0.53          # one per line, tried in order (an IPv6 address too)
//   nameserver [fd00::53]:5353    # c-ares also takes a port: 'ip:port' (IPv4) or '[ip]:port'
//   search example.test lan       # or 'domain example.test': suffixes for short names (lookup only)
//   options timeout:2 attempts:3 rotate ndots:1
//
// Node's Resolver (c-ares) reads the nameservers, `timeout` (when the Resolver was made without
// one) and `rotate`; its tries come from the Resolver's own option (default 4), so `attempts` is
// not read. dns.lookup (glibc's stub resolver) reads all of it. Lines it does not understand are
// skipped, as glibc skips them; with no nameserver line the server on the host itself is used.
import { ipFamily } from '../wire/addr.js';

/** RFC 1035 §4.2.1: port 53. */
export const DNS_PORT = 53;

export interface NameServer {
  address: string;
  port: number;
  family: 4 | 6;
}

export interface ResolvConf {
  nameservers: NameServer[];
  search: string[];
  /** `options timeout:N`, in seconds, when given (glibc's default 5, c-ares's 2). */
  timeout?: number;
  /** `options attempts:N`, when given (glibc's default 2). */
  attempts?: number;
  rotate: boolean;
  ndots: number;
}

// resolv.conf(5): timeout is capped at 30 s, attempts at 5, ndots at 15.
const MAX_TIMEOUT = 30;
const MAX_ATTEMPTS = 5;
const MAX_NDOTS = 15;

/** One server as Node's setServers takes it: 'ip', 'ip:port', '[ipv6]', '[ipv6]:port'; null if not one. */
export function parseNameServer(s: string): NameServer | null {
  const f = ipFamily(s);
  if (f !== 0) return { address: s, port: DNS_PORT, family: f };
  const m6 = /^\[([^[\]]*)\](?::(\d+))?$/.exec(s);
  if (m6) {
    const f6 = ipFamily(m6[1]!);
    if (f6 === 0) return null;
    return { address: m6[1]!, port: m6[2] ? Number(m6[2]) || DNS_PORT : DNS_PORT, family: f6 };
  }
  const m4 = /^(.+?)(?::(\d+))?$/.exec(s);
  if (m4) {
    const f4 = ipFamily(m4[1]!);
    if (f4 !== 0) return { address: m4[1]!, port: m4[2] ? Number(m4[2]) || DNS_PORT : DNS_PORT, family: f4 };
  }
  return null;
}

/** A server as Node's getServers prints it. */
export function formatNameServer(s: NameServer): string {
  if (s.port === DNS_PORT) return s.address;
  return s.family === 6 ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
}

/** Reads resolv.conf text. Never throws: what it cannot read it skips, as glibc does. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], rotate: false, ndots: 1 };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (line === '') continue;
    const [key, ...args] = line.split(/\s+/);
    if (key === 'nameserver' && args[0] !== undefined) {
      const ns = parseNameServer(args[0]);
      if (ns) conf.nameservers.push(ns);
    } else if (key === 'search') {
      conf.search = args;
    } else if (key === 'domain' && args[0] !== undefined) {
      conf.search = [args[0]];
    } else if (key === 'options') {
      for (const o of args) {
        const [name, value] = o.split(':');
        const n = value !== undefined && /^\d+$/.test(value) ? Number(value) : NaN;
        if (name === 'rotate') conf.rotate = true;
        else if (name === 'timeout' && n >= 0) conf.timeout = Math.min(n, MAX_TIMEOUT);
        else if (name === 'attempts' && n >= 0) conf.attempts = Math.min(n, MAX_ATTEMPTS);
        else if (name === 'ndots' && n >= 0) conf.ndots = Math.min(n, MAX_NDOTS);
      }
    }
  }
  return conf;
}

/** resolv.conf text listing these servers (the generated configuration of a host). */
export function formatResolvConf(servers: readonly NameServer[]): string {
  return servers.map((s) => `nameserver ${formatNameServer(s)}\n`).join('');
}
