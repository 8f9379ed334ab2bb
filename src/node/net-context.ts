// What host.net is bound to: the host's socket calls and scheduler, its resolver and its
// per-host defaults. Shared by the net.Socket and net.Server implementations.
import type { HandleLoop } from '../handles/stream.js';
import type { HostPerformance, PerfMark } from './perf.js';
export type { PerfMark };

/** One answer of an `all: true` lookup. */
export interface LookupAddress {
  address: string;
  family: number;
}

export interface LookupOptions {
  family?: number | string;
  hints?: number;
  all?: boolean;
  verbatim?: boolean;
  order?: string;
}

/** node:dns lookup's shape: (hostname, options, callback). */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/** What a host gives its net module. */
export interface NetHost {
  readonly loop: HandleLoop;
  /** The host's resolver (host.dns.lookup). */
  readonly lookup: LookupFunction;
  /**
   * The process's own net.Socket, for sockets on the process's real descriptors and native
   * handles (stdio pipes, child process pipes) when this module stands in for node:net
   * (usernet/register): Node's internals make those through require('net').Socket.
   */
  readonly nativeSocket?: new (options?: object) => object;
  /**
   * The process's own net.Server, when this module stands in for node:net: Node's servers made
   * before (http.Server, tls.Server...) call `net.Server.call(this, options)` on themselves.
   */
  readonly nativeServer?: new (...args: never[]) => object;
  /**
   * Called with every net.Socket and net.Server this module makes, once built: the host keeps
   * them to destroy when it crashes (the programs that owned them die with it). Throws to refuse
   * a new object (the host is down).
   */
  readonly track?: (obj: object) => void;
  /** The host's perf_hooks timeline: 'net' connect entries go there while observed. */
  readonly perf?: HostPerformance;
  /** The host's wall clock (ms since 1970, as Date.now() reads for its code): HTTP's Date header. */
  readonly wallClock?: () => number;
  /** The host's monotonic clock (ms, as performance.now() reads for its code): HTTP/2's ping and settings durations. */
  readonly monoClock?: () => number;
}

/** Per-host state of a net module. */
export interface NetState extends NetHost {
  autoSelectFamily: boolean;
  autoSelectFamilyAttemptTimeout: number;
}

/**
 * Marks an argument array already normalized by normalizeArgs. usernet/register makes it
 * internal/net's normalizedArgsSymbol when Node's internals are exposed (Node's own tests).
 */
export let kNormalized: symbol = Symbol('normalizedArgs');
export function useNormalizedArgsSymbol(sym: symbol): void { kNormalized = sym; }

/**
 * Node's handles report a read by setting streamBaseState[kReadBytesOrError] and calling
 * onread() without arguments. usernet's handles pass the result as arguments; a handle of
 * Node's protocol (a test's own object, with Node's internals exposed) is read through this.
 */
export let nodeStreamState: (() => number) | null = null;
export function useNodeStreamState(read: () => number): void { nodeStreamState = read; }
/** The static slot on host-bound Socket and Server classes that holds their NetState. */
export const kNetState = Symbol('usernet.netState');

export type NormalizedArgs = [Record<string, unknown>, ((...a: unknown[]) => void) | null] & { [kNormalized]?: true };

/** Node's toNumber: a non-negative number, or false. */
export function toNumber(x: unknown): number | false {
  const n = Number(x);
  return n >= 0 ? n : false;
}

/** A string that is not a port number is a unix-domain path. */
export function isPipeName(s: unknown): s is string {
  return typeof s === 'string' && toNumber(s) === false;
}

/**
 * (options[, cb]), (path[, cb]) or ([port][, host][, cb]) → [options, cb], as Socket#connect
 * and Server#listen take them.
 */
export function normalizeArgs(args: readonly unknown[]): NormalizedArgs {
  let arr: NormalizedArgs;
  if (args.length === 0) {
    arr = [{}, null] as NormalizedArgs;
    arr[kNormalized] = true;
    return arr;
  }
  const arg0 = args[0];
  let options: Record<string, unknown> = {};
  if (typeof arg0 === 'object' && arg0 !== null) {
    options = arg0 as Record<string, unknown>;
  } else if (isPipeName(arg0)) {
    options.path = arg0;
  } else {
    options.port = arg0;
    if (args.length > 1 && typeof args[1] === 'string') options.host = args[1];
  }
  const cb = args[args.length - 1];
  arr = [options, typeof cb === 'function' ? cb as (...a: unknown[]) => void : null] as NormalizedArgs;
  arr[kNormalized] = true;
  return arr;
}
