// Networks and payloads for the TLS / HTTP tests.
import { createCipheriv, createHash } from 'node:crypto';
import { Network, type Host } from '../../src/index.js';

/**
 * a — lan — r — wan (impaired: latency, 1% loss) — b, default routes through r; `world.ca`
 * issues b's certificate.
 */
export function routedPair(seed = 5, impair = true): { world: Network; a: Host; b: Host; r: Host } {
  const world = new Network({ seed });
  const lan = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  const r = world.host('r', { forwarding: true });
  a.attach(lan, { ipv4: '10.0.1.1/24', ipv6: 'fd01::1/64' });
  r.attach(lan, { ipv4: '10.0.1.254/24', ipv6: 'fd01::fe/64' });
  const wan = world.link(r, b, { ipv4: ['192.0.2.1/30', '192.0.2.2/30'] });
  if (impair) wan.impair({ latency: '10ms', loss: 0.01 });
  a.route.add('default', { via: '10.0.1.254' });
  b.route.add('default', { via: '192.0.2.1' });
  return { world, a, b, r };
}

/**
 * `n` bytes that differ from position to position: AES-128-CTR's key stream under a key made
 * from `tag` (fast enough for tens of MiB; the same bytes in every run).
 */
export function payload(n: number, tag = 'x'): Buffer {
  const key = createHash('sha256').update(tag).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * Runs the network a second at a time until `p` settles, at most `limitMs` of virtual time;
 * resolves with what `p` gives (rejects with its error, or if it has not settled by then).
 */
export async function runUntil<T>(world: Network, p: Promise<T>, limitMs: number): Promise<T> {
  let settled = false;
  p.then(() => { settled = true; }, () => { settled = true; });
  const end = world.now() + limitMs;
  while (!settled && world.now() < end) await world.run({ for: 1000 });
  if (!settled) throw new Error(`not settled after ${limitMs} ms of virtual time`);
  return p;
}

/** Collects a stream's bytes. */
export function collect(s: NodeJS.ReadableStream | import("node:stream").Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
}
