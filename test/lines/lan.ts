// Two hosts on a switch, IPv4 and IPv6, for the tests of what each Node line adds.
import { Network } from '../../src/index.js';
import type { NetServer } from '../../src/node/net.js';

export function lan(seed = 5) {
  const world = new Network({ seed });
  const sw = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(sw, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  b.attach(sw, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  return { world, sw, a, b };
}

/** Resolves on 'listening', rejects on 'error'. */
export const listening = (s: NetServer): Promise<unknown> => new Promise((r, j) => { s.once('listening', r); s.once('error', j); });
