// Node's argument validators (lib/internal/validators.js behaviour), throwing the same
// ERR_* errors with the same messages. Shared by host.net, host.dgram and host.dns.
import { BlockList } from 'node:net';
import { codes } from './errors.js';

const { ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, ERR_SOCKET_BAD_PORT, ERR_INVALID_ARG_VALUE } = codes;

export function validateString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new ERR_INVALID_ARG_TYPE(name, 'string', value);
}

/** Node 22+: a string without NUL characters. */
export function validateStringWithoutNullBytes(value: unknown, name: string): asserts value is string {
  validateString(value, name);
  if (value.includes('\u0000')) throw new ERR_INVALID_ARG_VALUE(name, value, 'must be a string without null bytes');
}

export function validateNumber(value: unknown, name: string, min?: number, max?: number): asserts value is number {
  if (typeof value !== 'number') throw new ERR_INVALID_ARG_TYPE(name, 'number', value);
  if ((min != null && value < min) || (max != null && value > max) || ((min != null || max != null) && Number.isNaN(value))) {
    const range = `${min != null ? `>= ${min}` : ''}${min != null && max != null ? ' && ' : ''}${max != null ? `<= ${max}` : ''}`;
    throw new ERR_OUT_OF_RANGE(name, range, value);
  }
}

export function validateInt32(value: unknown, name: string, min = -2147483648, max = 2147483647): asserts value is number {
  if (typeof value !== 'number') throw new ERR_INVALID_ARG_TYPE(name, 'number', value);
  if (!Number.isInteger(value)) throw new ERR_OUT_OF_RANGE(name, 'an integer', value);
  if (value < min || value > max) throw new ERR_OUT_OF_RANGE(name, `>= ${min} && <= ${max}`, value);
}

export function validateUint32(value: unknown, name: string, positive = false): asserts value is number {
  if (typeof value !== 'number') throw new ERR_INVALID_ARG_TYPE(name, 'number', value);
  if (!Number.isInteger(value)) throw new ERR_OUT_OF_RANGE(name, 'an integer', value);
  const min = positive ? 1 : 0;
  if (value < min || value > 4_294_967_295) throw new ERR_OUT_OF_RANGE(name, `>= ${min} && <= 4294967295`, value);
}

export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ERR_INVALID_ARG_TYPE(name, 'boolean', value);
}

export function validateFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new ERR_INVALID_ARG_TYPE(name, 'Function', value);
}

export function validateObject(value: unknown, name: string, opts: { allowArray?: boolean; allowFunction?: boolean; nullable?: boolean } = {}): asserts value is object {
  const ok = (opts.nullable && value === null) ||
    (value !== null && (typeof value === 'object' || (opts.allowFunction === true && typeof value === 'function')) &&
      (opts.allowArray === true || !Array.isArray(value)));
  if (!ok) throw new ERR_INVALID_ARG_TYPE(name, 'Object', value);
}

export function validateAbortSignal(signal: unknown, name: string): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw new ERR_INVALID_ARG_TYPE(name, 'AbortSignal', signal);
  }
}

export function validateOneOf<T>(value: unknown, name: string, oneOf: readonly T[]): asserts value is T {
  if (!oneOf.includes(value as T)) {
    const allowed = oneOf.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
    throw new ERR_INVALID_ARG_VALUE(name, value, `must be one of: ${allowed}`);
  }
}

/** A port number (or numeric string) in 0..65535 (1..65535 without allowZero); returns it as a number. */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  if ((typeof port !== 'number' && typeof port !== 'string') ||
      (typeof port === 'string' && port.trim().length === 0) ||
      +port !== (+port >>> 0) ||
      +port > 0xffff ||
      (port === 0 && !allowZero)) {
    throw new ERR_SOCKET_BAD_PORT(name, port, allowZero);
  }
  return +port | 0;
}

export function isInt32(value: unknown): value is number {
  return value === ((value as number) | 0);
}

export function isUint32(value: unknown): value is number {
  return value === ((value as number) >>> 0);
}

/** A net.BlockList option (Node 22.13+: net.Socket, net.Server, dgram), else ERR_INVALID_ARG_TYPE. */
export function validateBlockList(value: unknown, name: string): BlockList {
  if (!(BlockList as unknown as { isBlockList(v: unknown): boolean }).isBlockList(value)) {
    throw new ERR_INVALID_ARG_TYPE(name, 'net.BlockList', value);
  }
  return value as BlockList;
}
