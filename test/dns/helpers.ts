// Networks for the DNS tests: a client LAN and a server LAN joined by a router, the network's
// DNS server on a host of its own on the server LAN.
import { Network } from '../../src/index.js';
import type { Host } from '../../src/world/host.js';

export function routed(seed = 1, opts: { server?: boolean } = {}) {
  const world = new Network({ seed });
  const lan1 = world.switch('lan1');
  const lan2 = world.switch('lan2');
  const r = world.host('r', { forwarding: true });
  r.attach(lan1, { ipv4: '10.0.1.254/24', ipv6: 'fd01::fe/64' });
  r.attach(lan2, { ipv4: '10.0.2.254/24', ipv6: 'fd02::fe/64' });
  const on = (h: Host, n: 1 | 2): Host => {
    h.route.add('default', { via: `10.0.${n}.254` });
    h.route.add('default', { via: `fd0${n}::fe` });
    return h;
  };
  const a = world.host('a');
  a.attach(lan1, { ipv4: '10.0.1.1/24', ipv6: 'fd01::1/64' });
  on(a, 1);
  const b = world.host('b');
  b.attach(lan2, { ipv4: '10.0.2.2/24', ipv6: 'fd02::2/64' });
  on(b, 2);
  const ns = opts.server === false ? undefined : world.dns.serve({ attach: lan2, ipv4: '10.0.2.53/24', ipv6: 'fd02::53/64' });
  if (ns) on(ns.host, 2);
  return { world, lan1, lan2, r, a, b, ns: ns! };
}

/** Runs the virtual network until `p` settles. */
export async function settle<T>(world: Network, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  while (!done) {
    await world.run({ for: 1000 });
    await new Promise((r) => setImmediate(r));
  }
  return p;
}

/** The error a promise rejects with (fails if it resolves), and the network time it did. */
export async function failure(world: Network, p: Promise<unknown>): Promise<NodeJS.ErrnoException & { hostname?: string; at: number }> {
  let at = -1;
  const stamped = p.catch((e: unknown) => { at = world.now(); throw e; });
  try {
    await settle(world, stamped);
  } catch (e) {
    // Not enumerable: the error's own keys stay Node's.
    return Object.defineProperty(e as NodeJS.ErrnoException, 'at', { value: at, enumerable: false }) as NodeJS.ErrnoException & { at: number };
  }
  throw new Error('expected a rejection');
}

/** The value a promise resolves to, and the network time it did. */
export async function timed<T>(world: Network, p: Promise<T>): Promise<{ value: T; at: number }> {
  let at = -1;
  const value = await settle(world, p.then((v) => { at = world.now(); return v; }));
  return { value, at };
}

/** A callback-style call as a promise. */
export function cb<T>(f: (k: (err: Error | null, v?: T) => void) => unknown): Promise<T> {
  return new Promise((res, rej) => { f((err, v) => (err ? rej(err) : res(v as T))); });
}
