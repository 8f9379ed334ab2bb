// Node's error shapes, for host.net, host.dgram and host.dns.
//
// - `codes.ERR_*`: the argument and state errors Node throws, with the same `code`, class
//   (TypeError, RangeError, Error), message text and stack header (`TypeError [ERR_X]: ...`).
//   `defineError(code, Base, message)` adds more.
// - `ErrnoException(errno, syscall, original?)`: `getsockname EBADF` style.
// - `ExceptionWithHostPort(errno, syscall, address, port?, additional?)`:
//   `connect ECONNREFUSED 10.0.0.2:7`, with errno (negative), code, syscall, address, port.
// - `DNSException(code, syscall, hostname?)`: `getaddrinfo ENOTFOUND name`.
// - `UVException(ctx)`: `ENOENT: no such file or directory, connect '/path'`.
// - `AbortError`, `ConnResetException`.
// errno numbers are negative like libuv's on Linux (-98 = EADDRINUSE); names come from
// util.getSystemErrorName, so they are the ones Node prints.
import { format, getSystemErrorMap, getSystemErrorName, inspect, type InspectOptions } from 'node:util';

/** libuv's getaddrinfo "no such name" codes, as Node reports them. */
export const UV_EAI_NONAME = -3008;
export const UV_EAI_NODATA = -3007;

type Base = typeof Error | typeof TypeError | typeof RangeError;
type MessageFn = (...args: never[]) => string;

/** A Node error class: `new codes.ERR_X(...args)`; instances carry `code`. */
export interface NodeErrorClass<A extends unknown[]> {
  new (...args: A): Error & { code: string };
}

/** Puts the code in the stack header like Node: `TypeError [ERR_X]: message`. */
function stampStack(err: Error, name: string, code: string): void {
  const e = err as Error & { name: string };
  Object.defineProperty(e, 'name', { value: `${name} [${code}]`, writable: true, configurable: true, enumerable: false });
  void e.stack; // V8 formats the stack on first access, with the name above
  delete (e as { name?: string }).name;
}

/** Defines a Node error code: `message` is fixed text or builds it from the arguments. */
export function defineError<A extends unknown[]>(code: string, base: Base, message: string | ((...args: A) => string)): NodeErrorClass<A> {
  const B: ErrorConstructor = base;
  const C = class extends B {
    code = code;
    constructor(...args: A) {
      super(typeof message === 'string' ? message : message(...args));
      stampStack(this, base.name, code);
    }
    // As Node does (for WPT): the constructor reads as the base class.
    override get ['constructor'](): Base { return base; }
    override toString(): string { return `${this.name} [${code}]: ${this.message}`; }
  };
  Object.defineProperty(C, 'name', { value: 'NodeError' });
  return C as unknown as NodeErrorClass<A>;
}

// ---- message helpers (Node's formats) ------------------------------------------------------

const kTypes = ['string', 'function', 'number', 'object', 'Function', 'Object', 'boolean', 'bigint', 'symbol'];
const classRe = /^([A-Z][a-z0-9]*)+$/;

/** 'A', 'A or B', 'A, B, or C' (Node's formatList). */
export function formatList(items: string[], word = 'and'): string {
  if (items.length <= 1) return items.join('');
  if (items.length === 2) return `${items[0]} ${word} ${items[1]}`;
  return `${items.slice(0, -1).join(', ')}, ${word} ${items[items.length - 1]}`;
}

/** How Node describes a received value in type errors: `type number (5)`, `an instance of Object`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'bigint': return `type bigint (${value}n)`;
    case 'number':
      if (value === 0) return 1 / value === -Infinity ? 'type number (-0)' : 'type number (0)';
      return `type number (${String(value)})`;
    case 'boolean': return `type boolean (${value})`;
    case 'symbol': return `type symbol (${String(value)})`;
    case 'function': return `function ${(value as { name: string }).name}`;
    case 'object': {
      const ctor = (value as { constructor?: { name?: string } }).constructor;
      if (ctor && 'name' in ctor) return `an instance of ${ctor.name}`;
      return inspect(value, { depth: -1 });
    }
    case 'string': {
      let s = value;
      if (s.length > 28) s = `${s.slice(0, 25)}...`;
      return s.includes("'") ? `type string (${JSON.stringify(s)})` : `type string ('${s}')`;
    }
    default: {
      let s = inspect(value, { colors: false });
      if (s.length > 28) s = `${s.slice(0, 25)}...`;
      return `type ${typeof value} (${s})`;
    }
  }
}

function invalidArgType(name: string, expected: string | string[], actual: unknown): string {
  const list = Array.isArray(expected) ? expected : [expected];
  let msg = 'The ';
  if (name.endsWith(' argument')) msg += `${name} `;
  else msg += `"${name}" ${name.includes('.') ? 'property' : 'argument'} `;
  msg += 'must be ';
  const types: string[] = [], instances: string[] = [], other: string[] = [];
  for (const v of list) {
    if (kTypes.includes(v)) types.push(v.toLowerCase());
    else if (classRe.test(v)) instances.push(v);
    else other.push(v);
  }
  if (instances.length > 0) {
    const i = types.indexOf('object');
    if (i !== -1) { types.splice(i, 1); instances.push('Object'); }
  }
  if (types.length > 0) {
    msg += `${types.length > 1 ? 'one of type' : 'of type'} ${formatList(types, 'or')}`;
    if (instances.length > 0 || other.length > 0) msg += ' or ';
  }
  if (instances.length > 0) {
    msg += `an instance of ${formatList(instances, 'or')}`;
    if (other.length > 0) msg += ' or ';
  }
  if (other.length > 0) {
    if (other.length > 1) msg += `one of ${formatList(other, 'or')}`;
    else { if (other[0]!.toLowerCase() !== other[0]) msg += 'an '; msg += other[0]; }
  }
  return `${msg}. Received ${describeValue(actual)}`;
}

/** 1_000_000 style, for integers (Node's addNumericalSeparator). */
function separated(s: string): string {
  let res = '';
  let i = s.length;
  const start = s[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) res = `_${s.slice(i - 3, i)}${res}`;
  return `${s.slice(0, i)}${res}`;
}

function outOfRange(str: string, range: string, input: unknown, replaceDefault = false): string {
  let msg = replaceDefault ? str : `The value of "${str}" is out of range.`;
  let received: string;
  if (Number.isInteger(input) && Math.abs(input as number) > 2 ** 32) received = separated(String(input));
  else if (typeof input === 'bigint') {
    received = String(input);
    if (input > 2n ** 32n || input < -(2n ** 32n)) received = separated(received);
    received += 'n';
  } else received = inspect(input);
  msg += ` It must be ${range}. Received ${received}`;
  return msg;
}

function missingArgs(...names: Array<string | string[]>): string {
  const wrap = (a: string): string => `"${a}"`;
  const args = names.map((a) => (Array.isArray(a) ? a.map(wrap).join(' or ') : wrap(a)));
  let msg = 'The ';
  if (args.length === 1) msg += `${args[0]} argument`;
  else if (args.length === 2) msg += `${args[0]} and ${args[1]} arguments`;
  else msg += `${args.slice(0, -1).join(', ')}, and ${args[args.length - 1]} arguments`;
  return `${msg} must be specified`;
}

// ---- the codes -----------------------------------------------------------------------------

/** Node's SystemError (ERR_SOCKET_BUFFER_SIZE...): `info` holds the uv context. */
export interface SystemErrorContext {
  errno: number;
  code: string;
  message: string;
  syscall: string;
  path?: string;
  dest?: string;
}

export class SystemError extends Error {
  code: string;
  declare info: SystemErrorContext;
  declare errno: number;
  declare syscall: string;
  constructor(key: string, prefix: string, ctx: SystemErrorContext) {
    let message = `${prefix}: ${ctx.syscall} returned ${ctx.code} (${ctx.message})`;
    if (ctx.path !== undefined) message += ` ${ctx.path}`;
    if (ctx.dest !== undefined) message += ` => ${ctx.dest}`;
    super(message);
    this.code = key;
    stampStack(this, 'SystemError', key);
    Object.defineProperty(this, 'name', { value: 'SystemError', enumerable: false, writable: true, configurable: true });
    Object.defineProperty(this, 'info', { value: ctx, enumerable: true, configurable: true, writable: false });
    Object.defineProperty(this, 'errno', { get: () => ctx.errno, set: (v: number) => { ctx.errno = v; }, enumerable: true, configurable: true });
    Object.defineProperty(this, 'syscall', { get: () => ctx.syscall, set: (v: string) => { ctx.syscall = v; }, enumerable: true, configurable: true });
  }
  override toString(): string { return `${this.name} [${this.code}]: ${this.message}`; }
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, ctx: InspectOptions): string {
    return inspect(this, { ...ctx, getters: true, customInspect: false });
  }
}

/** The uv context of a failed call, as Node's C++ fills it for SystemError. */
export function uvContext(errno: number, syscall: string): SystemErrorContext {
  const [code, message] = getSystemErrorMap().get(errno) ?? ['UNKNOWN', 'unknown error'];
  return { errno, code, message, syscall };
}

export const codes = {
  ERR_BUFFER_OUT_OF_BOUNDS: defineError('ERR_BUFFER_OUT_OF_BOUNDS', RangeError, (name?: string) =>
    name ? `"${name}" is outside of buffer bounds` : 'Attempt to access memory outside buffer bounds'),
  ERR_INVALID_ADDRESS_FAMILY: defineError('ERR_INVALID_ADDRESS_FAMILY', RangeError,
    (addressType: string, host: string, port: number) => `Invalid address family: ${addressType} ${host}:${port}`),
  ERR_INVALID_ARG_TYPE: defineError('ERR_INVALID_ARG_TYPE', TypeError, invalidArgType),
  ERR_INVALID_ARG_VALUE: defineError('ERR_INVALID_ARG_VALUE', TypeError, (name: string, value: unknown, reason = 'is invalid') => {
    let s = inspect(value);
    if (s.length > 128) s = `${s.slice(0, 128)}...`;
    return `The ${name.includes('.') ? 'property' : 'argument'} '${name}' ${reason}. Received ${s}`;
  }),
  ERR_INVALID_FD_TYPE: defineError('ERR_INVALID_FD_TYPE', TypeError, (t: string) => format('Unsupported fd type: %s', t)),
  ERR_INVALID_HANDLE_TYPE: defineError('ERR_INVALID_HANDLE_TYPE', TypeError, 'This handle type cannot be sent'),
  ERR_INVALID_IP_ADDRESS: defineError('ERR_INVALID_IP_ADDRESS', TypeError, (a: string) => format('Invalid IP address: %s', a)),
  ERR_IP_BLOCKED: defineError('ERR_IP_BLOCKED', Error, (ip: string) => `IP(${ip}) is blocked by net.BlockList`),
  ERR_MISSING_ARGS: defineError('ERR_MISSING_ARGS', TypeError, missingArgs),
  ERR_MISSING_OPTION: defineError('ERR_MISSING_OPTION', TypeError, (o: string) => format('%s is required', o)),
  ERR_MULTIPLE_CALLBACK: defineError('ERR_MULTIPLE_CALLBACK', Error, 'Callback called multiple times'),
  ERR_OUT_OF_RANGE: defineError('ERR_OUT_OF_RANGE', RangeError, outOfRange),
  ERR_SERVER_ALREADY_LISTEN: defineError('ERR_SERVER_ALREADY_LISTEN', Error, 'Listen method has been called more than once without closing.'),
  ERR_SERVER_NOT_RUNNING: defineError('ERR_SERVER_NOT_RUNNING', Error, 'Server is not running.'),
  ERR_SOCKET_ALREADY_BOUND: defineError('ERR_SOCKET_ALREADY_BOUND', Error, 'Socket is already bound'),
  ERR_SOCKET_BAD_BUFFER_SIZE: defineError('ERR_SOCKET_BAD_BUFFER_SIZE', TypeError, 'Buffer size must be a positive integer'),
  ERR_SOCKET_BAD_PORT: defineError('ERR_SOCKET_BAD_PORT', RangeError, (name: string, port: unknown, allowZero = true) =>
    `${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${describeValue(port)}.`),
  ERR_SOCKET_BAD_TYPE: defineError('ERR_SOCKET_BAD_TYPE', TypeError, 'Bad socket type specified. Valid types are: udp4, udp6'),
  ERR_SOCKET_CLOSED: defineError('ERR_SOCKET_CLOSED', Error, 'Socket is closed'),
  ERR_SOCKET_CLOSED_BEFORE_CONNECTION: defineError('ERR_SOCKET_CLOSED_BEFORE_CONNECTION', Error, 'Socket closed before the connection was established'),
  ERR_SOCKET_CONNECTION_TIMEOUT: defineError('ERR_SOCKET_CONNECTION_TIMEOUT', Error, 'Socket connection timeout'),
  ERR_SOCKET_DGRAM_IS_CONNECTED: defineError('ERR_SOCKET_DGRAM_IS_CONNECTED', Error, 'Already connected'),
  ERR_SOCKET_DGRAM_NOT_CONNECTED: defineError('ERR_SOCKET_DGRAM_NOT_CONNECTED', Error, 'Not connected'),
  ERR_SOCKET_HANDLE_ADOPTED: defineError('ERR_SOCKET_HANDLE_ADOPTED', Error, 'The bound socket has already been adopted by a server or socket'),
  ERR_SOCKET_DGRAM_NOT_RUNNING: defineError('ERR_SOCKET_DGRAM_NOT_RUNNING', Error, 'Not running'),
  ERR_STREAM_DESTROYED: defineError('ERR_STREAM_DESTROYED', Error, (m: string) => format('Cannot call %s after a stream was destroyed', m)),
  ERR_STREAM_WRITE_AFTER_END: defineError('ERR_STREAM_WRITE_AFTER_END', Error, 'write after end'),
  ERR_UNHANDLED_ERROR: defineError('ERR_UNHANDLED_ERROR', Error, (err?: unknown) =>
    err === undefined ? 'Unhandled error.' : `Unhandled error. (${String(err)})`),
  /** A SystemError: `new codes.ERR_SOCKET_BUFFER_SIZE(uvContext(-errno, 'uv_recv_buffer_size'))`. */
  ERR_SOCKET_BUFFER_SIZE: class NodeError extends SystemError {
    constructor(ctx: SystemErrorContext) { super('ERR_SOCKET_BUFFER_SIZE', 'Could not get or set buffer size', ctx); }
  },
};

// ---- errno errors --------------------------------------------------------------------------

/** An errno error's shape: what Node's ErrnoException and ExceptionWithHostPort set. */
export interface ErrnoError extends Error {
  errno: number;
  code: string;
  syscall: string;
  address?: string;
  port?: number;
  hostname?: string;
}

function errName(errno: number): string {
  try { return getSystemErrorName(errno); } catch { return `Unknown system error ${errno}`; }
}

/** `${syscall} ${code}` (+ ` ${original}`): getsockname, setTTL, recvmsg failures. */
export class ErrnoException extends Error implements ErrnoError {
  errno: number;
  code: string;
  syscall: string;
  constructor(errno: number, syscall: string, original?: string) {
    const code = errName(errno);
    super(original ? `${syscall} ${code} ${original}` : `${syscall} ${code}`);
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
  override get ['constructor'](): typeof Error { return Error; }
}

/** `${syscall} ${code} ${address}:${port}`: bind, connect, send failures. */
export class ExceptionWithHostPort extends Error implements ErrnoError {
  errno: number;
  code: string;
  syscall: string;
  address: string;
  declare port?: number;
  constructor(errno: number, syscall: string, address: string, port?: number, additional?: string) {
    const code = errName(errno);
    let details = '';
    if (port && port > 0) details = ` ${address}:${port}`;
    else if (address) details = ` ${address}`;
    if (additional) details += ` - Local (${additional})`;
    super(`${syscall} ${code}${details}`);
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    this.address = address;
    if (port) this.port = port;
  }
  override get ['constructor'](): typeof Error { return Error; }
}

/** `getaddrinfo ENOTFOUND name`: numeric uv codes EAI_NONAME/EAI_NODATA read as ENOTFOUND. */
export class DNSException extends Error {
  errno: number | undefined;
  code: string;
  syscall: string;
  declare hostname?: string;
  constructor(code: number | string, syscall: string, hostname?: string) {
    let errno: number | undefined;
    if (typeof code === 'number') {
      errno = code;
      code = code === UV_EAI_NODATA || code === UV_EAI_NONAME ? 'ENOTFOUND' : errName(code);
    }
    super(`${syscall} ${code}${hostname ? ` ${hostname}` : ''}`);
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    if (hostname) this.hostname = hostname;
  }
  override get ['constructor'](): typeof Error { return Error; }
}

/** `${code}: ${message}, ${syscall} '${path}' -> '${dest}'` (unix-domain socket failures). */
export function UVException(ctx: { errno: number; syscall: string; path?: string; dest?: string; message?: string }): ErrnoError & { path?: string; dest?: string } {
  const [code, uvmsg] = getSystemErrorMap().get(ctx.errno) ?? ['UNKNOWN', 'unknown error'];
  let message = `${code}: ${ctx.message || uvmsg}, ${ctx.syscall}`;
  if (ctx.path) message += ` '${ctx.path}'`;
  if (ctx.dest) message += ` -> '${ctx.dest}'`;
  const err = new Error(message) as ErrnoError & { path?: string; dest?: string };
  err.errno = ctx.errno;
  err.syscall = ctx.syscall;
  err.code = code;
  if (ctx.path) err.path = ctx.path;
  if (ctx.dest) err.dest = ctx.dest;
  Error.captureStackTrace(err, UVException);
  return err;
}

export class ConnResetException extends Error {
  code = 'ECONNRESET';
  override get ['constructor'](): typeof Error { return Error; }
}

/** Node's AbortError: code 'ABORT_ERR', name 'AbortError'. */
export class AbortError extends Error {
  code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    if (options !== undefined && typeof options !== 'object') throw new codes.ERR_INVALID_ARG_TYPE('options', 'Object', options);
    super(message, options);
    this.name = 'AbortError';
  }
}
