// Congestion-control algorithms by name (TCP_CONGESTION).
import type { CongestionName } from '../config.js';
import { Cubic } from './cubic.js';
import { Reno } from './newreno.js';
import type { CongestionControl } from './types.js';

export type { CongestionControl } from './types.js';

export const CONGESTION_NAMES: readonly CongestionName[] = ['reno', 'cubic'];

export function createCongestionControl(name: CongestionName): CongestionControl {
  return name === 'reno' ? new Reno() : new Cubic();
}
