// host.sysctl(): Linux's sysctl(8) over a host's settings table (src/kernel/sysctl.ts), with
// Node's argument errors for a name that is not there or a value the setting refuses.
import { codes } from '../node/errors.js';
import { SysctlTable, type SysctlFailure, type SysctlValue } from '../kernel/sysctl.js';

export type { SysctlValue };

function fail(name: string, f: SysctlFailure): Error {
  if (f.code === 'ENOENT') return new codes.ERR_INVALID_ARG_VALUE('name', name, 'is not a sysctl usernet has (host.sysctl() lists them)');
  if (f.code === 'EPERM') return new codes.ERR_INVALID_ARG_VALUE('name', name, 'is read-only');
  if (f.range !== undefined) return new codes.ERR_OUT_OF_RANGE(SysctlTable.canonical(name), f.range, f.received);
  return new codes.ERR_INVALID_ARG_VALUE(SysctlTable.canonical(name), f.received, f.reason);
}

/** Reads one setting; throws for an unknown name. */
export function readSysctl(t: SysctlTable, name: unknown): SysctlValue {
  if (typeof name !== 'string') throw new codes.ERR_INVALID_ARG_TYPE('name', 'string', name);
  const v = t.read(name);
  if (typeof v === 'object' && !Array.isArray(v)) throw fail(name, v);
  return v;
}

/** Writes one setting and returns the value read back; throws for an unknown name or a refused value. */
export function writeSysctl(t: SysctlTable, name: unknown, value: unknown): SysctlValue {
  if (typeof name !== 'string') throw new codes.ERR_INVALID_ARG_TYPE('name', 'string', name);
  const f = t.write(name, value);
  if (f !== undefined) throw fail(name, f);
  return readSysctl(t, name);
}

/** Every setting with its value (sysctl -a). */
export function allSysctls(t: SysctlTable): Record<string, SysctlValue> {
  const out: Record<string, SysctlValue> = {};
  for (const n of t.names()) out[n] = readSysctl(t, n);
  return out;
}
