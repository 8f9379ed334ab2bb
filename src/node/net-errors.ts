// The few error shapes net needs beyond src/node/errors.ts (which holds the shared ones).
import { getSystemErrorMap } from 'node:util';

/** `listen EADDRINUSE: address already in use :::80` (Node's UVExceptionWithHostPort). */
export class UVExceptionWithHostPort extends Error {
  errno: number;
  code: string;
  syscall: string;
  address: string;
  declare port?: number;
  constructor(errno: number, syscall: string, address: string, port?: number) {
    const [code, uvmsg] = getSystemErrorMap().get(errno) ?? ['UNKNOWN', 'unknown error'];
    let details = '';
    if (port && port > 0) details = ` ${address}:${port}`;
    else if (address) details = ` ${address}`;
    super(`${syscall} ${code}: ${uvmsg}${details}`);
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    this.address = address;
    if (port) this.port = port;
  }
  override get ['constructor'](): typeof Error { return Error; }
}

/** Node's NodeAggregateError: an AggregateError whose code is the first error's. */
export class NodeAggregateError extends AggregateError {
  code: string | undefined;
  constructor(errors: Error[], message?: string) {
    super(errors, message);
    this.code = (errors[0] as { code?: string } | undefined)?.code;
  }
  override get ['constructor'](): AggregateErrorConstructor { return AggregateError; }
}

/** A plain Error with extra properties (Node's genericNodeError). */
export function genericNodeError(message: string, props: Record<string, unknown>): Error {
  return Object.assign(new Error(message), props);
}
