// The Node.js line usernet runs on, and what its net, dgram and dns have that older lines lack.
// One codebase: host.net, host.dgram and host.dns follow the running line through these checks
// (a surface Node's own module has, else the release that brought the behaviour), never forks.
//
//   import { line } from './line.js';
//   if (line.reusePort) ...                 // server.listen({ reusePort }), dgram reusePort
import net, { BlockList } from 'node:net';
import dgram from 'node:dgram';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

/** Whether the running Node has a change that came out in each of `releases` ([major, minor], oldest line first). */
function since(...releases: Array<[number, number]>): boolean {
  for (const [maj, min] of releases) if (major === maj) return minor >= min;
  return major > releases[releases.length - 1]![0];
}

export interface Line {
  readonly major: number;
  /** server.listen({ reusePort }) and dgram.createSocket({ reusePort }): SO_REUSEPORT (22.12, 23.1). */
  readonly reusePort: boolean;
  /**
   * The blockList option of net.Socket / net.Server / net.connect(), receiveBlockList and
   * sendBlockList of dgram.createSocket(), ERR_IP_BLOCKED (22.13, 23.4: with BlockList.isBlockList).
   */
  readonly blockList: boolean;
  /** server.maxConnections = 0 drops every connection rather than meaning "no limit" (21.0). */
  readonly maxConnectionsZero: boolean;
  /**
   * connect() checks options.host has no null bytes; server.listen(port, name) listens on the
   * first answer that is not IPv6 link-local (22.0).
   */
  readonly net22: boolean;
  /** A unix socket path longer than sun_path is EINVAL (Node 24: UV_PIPE_NO_TRUNCATE); before, cut to 107 bytes. */
  readonly pipeNoTruncate: boolean;
  /** dgram's deprecated private accessors (_handle, _receiving, ...) and _createSocketHandle (gone in 26). */
  readonly dgramPrivates: boolean;
  /** socket.setTypeOfService() / getTypeOfService() and the typeOfService option (24.22, 26: IP_TOS / IPV6_TCLASS). */
  readonly typeOfService: boolean;
  /** socket.setKeepAlive(enable, initialDelay, interval, count) and its options-object form (24.22, 26). */
  readonly keepAliveInterval: boolean;
  /** net.BoundSocket: a socket bound at once, adopted by server.listen() or new net.Socket({ handle }) (24.22, 26). */
  readonly boundSocket: boolean;
  /** dgram socket.bindSync() / connectSync() (24.22, 26). */
  readonly dgramSync: boolean;
  /**
   * bind(port, callback) cleans up with an errorMonitor listener, so a bind error no 'error'
   * listener handles is thrown rather than swallowed (nodejs/node#62602: 24.22, 26).
   */
  readonly dgramBindErrorMonitor: boolean;
  /** net._setSimultaneousAccepts (deprecated, DEP0121; gone from Node 24). */
  readonly setSimultaneousAccepts: boolean;
  /** dns.lookup('') (an empty or falsy hostname) is ERR_INVALID_ARG_VALUE, not a DEP0118 warning and an empty answer (26). */
  readonly dnsEmptyHostnameThrows: boolean;
}

type NetProto = Record<string, unknown> & { setKeepAlive: (...a: unknown[]) => unknown };
const netProto = net.Socket.prototype as unknown as NetProto;
const dgramProto = dgram.Socket.prototype as unknown as Record<string, unknown>;

export const line: Line = {
  major,
  reusePort: since([22, 12], [23, 1]),
  blockList: typeof (BlockList as unknown as { isBlockList?: unknown }).isBlockList === 'function',
  maxConnectionsZero: major >= 21,
  net22: major >= 22,
  pipeNoTruncate: major >= 24,
  dgramPrivates: typeof (dgram as unknown as { _createSocketHandle?: unknown })._createSocketHandle === 'function',
  typeOfService: typeof netProto['setTypeOfService'] === 'function',
  keepAliveInterval: netProto.setKeepAlive.length >= 4,
  boundSocket: typeof (net as unknown as { BoundSocket?: unknown }).BoundSocket === 'function',
  dgramSync: typeof dgramProto['bindSync'] === 'function',
  // Node's own bind() is the only place that says which listener it uses.
  dgramBindErrorMonitor: String(dgram.Socket.prototype.bind).includes('errorMonitor'),
  setSimultaneousAccepts: typeof (net as unknown as { _setSimultaneousAccepts?: unknown })._setSimultaneousAccepts === 'function',
  dnsEmptyHostnameThrows: major >= 26,
};
