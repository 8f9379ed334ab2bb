// Congestion-control algorithms by name (TCP_CONGESTION).
import type { CongestionName, TcpConfig } from '../config.js';
import { Cubic } from './cubic.js';
import { Reno } from './newreno.js';
import type { CongestionControl } from './types.js';

export type { CongestionControl } from './types.js';

export const CONGESTION_NAMES: readonly CongestionName[] = ['reno', 'cubic'];

/** A new connection's algorithm; CUBIC reads its module parameters from the host's `config`. */
export function createCongestionControl(name: CongestionName, config: TcpConfig): CongestionControl {
  return name === 'reno' ? new Reno() : new Cubic(config);
}
