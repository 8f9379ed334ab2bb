// host.dgram throws what node:dgram throws: each case runs against Node's own module and
// against a virtual host's, and the errors must agree in class, name, code, message, errno,
// syscall and stack header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import realDgram from 'node:dgram';
import { Network } from '../../src/index.js';

type Dgram = typeof realDgram;
type Sock = realDgram.Socket;

function shape(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) return { notAnError: e };
  const x = e as Error & { code?: unknown; errno?: unknown; syscall?: unknown; address?: unknown; port?: unknown; info?: unknown };
  return {
    ctor: x.constructor.name, name: x.name, code: x.code, message: x.message, errno: x.errno, syscall: x.syscall,
    address: x.address, port: x.port, info: x.info, header: (x.stack ?? '').split('\n')[0], str: String(x),
  };
}

function thrown(fn: () => unknown): unknown {
  try { fn(); } catch (e) { return e; }
  return undefined;
}

function host(): { dgram: Dgram; world: Network } {
  const world = new Network({ seed: 1 });
  const h = world.host('h');
  return { dgram: h.dgram as unknown as Dgram, world };
}

/** Runs `fn` with node:dgram and with the host's dgram; both must throw the same error. */
function same(what: string, fn: (d: Dgram, made: Sock[]) => unknown): void {
  const { dgram } = host();
  const results = [realDgram, dgram].map((d) => {
    const made: Sock[] = [];
    const e = thrown(() => fn(d, made));
    for (const s of made) { try { s.close(); } catch { /* already closed */ } }
    return e;
  });
  assert.ok(results[0] !== undefined, `${what}: node:dgram throws`);
  assert.deepEqual(shape(results[1]), shape(results[0]), what);
}

const mk = (d: Dgram, made: Sock[], type: 'udp4' | 'udp6' = 'udp4'): Sock => { const s = d.createSocket(type); made.push(s); return s; };

test('dgram errors: createSocket arguments', () => {
  same('bad type', (d) => d.createSocket('udp5' as 'udp4'));
  same('no type', (d) => d.createSocket({} as { type: 'udp4' }));
  for (const lookup of [null, 1, 'x', {}]) same(`lookup ${String(lookup)}`, (d) => d.createSocket({ type: 'udp4', lookup: lookup as never }));
  same('recvBufferSize', (d) => d.createSocket({ type: 'udp4', recvBufferSize: -1 }));
  same('sendBufferSize', (d) => d.createSocket({ type: 'udp4', sendBufferSize: 1.5 }));
  same('signal', (d) => d.createSocket({ type: 'udp4', signal: {} as AbortSignal }));
});

test('dgram errors: send arguments', () => {
  same('number message', (d, m) => mk(d, m).send(5 as never, 1000, '127.0.0.1'));
  same('object message', (d, m) => mk(d, m).send({} as never, 1000, '127.0.0.1'));
  same('bad list', (d, m) => mk(d, m).send([1, 2] as never, 1000, '127.0.0.1'));
  for (const port of [0, -1, 65536, 'abc', 1.5, NaN, null, true, ' ']) {
    same(`port ${String(port)}`, (d, m) => mk(d, m).send('x', port as number, '127.0.0.1'));
  }
  same('no port', (d, m) => mk(d, m).send('x'));
  same('address type', (d, m) => mk(d, m).send('x', 1000, 5 as never));
  same('offset out of bounds', (d, m) => mk(d, m).send(Buffer.alloc(4), 5, 1, 1000, '127.0.0.1'));
  same('length out of bounds', (d, m) => mk(d, m).send(Buffer.alloc(4), 1, 10, 1000, '127.0.0.1'));
  const sendto = (s: Sock, ...a: unknown[]): void => (s as unknown as { sendto: (...x: unknown[]) => void }).sendto(...a);
  same('sendto offset', (d, m) => sendto(mk(d, m), Buffer.alloc(4), 'a', 1, 1000, '127.0.0.1'));
  same('sendto address', (d, m) => sendto(mk(d, m), Buffer.alloc(4), 0, 1, 1000, 7));
});

test('dgram errors: connect, names, options and state', () => {
  for (const port of [0, -1, 65536, 'x', undefined]) same(`connect port ${String(port)}`, (d, m) => mk(d, m).connect(port as number));
  same('connect address', (d, m) => mk(d, m).connect(1000, 5 as never));
  same('disconnect unconnected', (d, m) => mk(d, m).disconnect());
  same('remoteAddress unconnected', (d, m) => mk(d, m).remoteAddress());
  same('address unbound', (d, m) => mk(d, m).address());
  same('setTTL type', (d, m) => mk(d, m).setTTL('1' as never));
  same('setTTL unbound', (d, m) => mk(d, m).setTTL(10));
  same('setMulticastTTL type', (d, m) => mk(d, m).setMulticastTTL(null as never));
  same('setMulticastInterface type', (d, m) => mk(d, m).setMulticastInterface(1 as never));
  same('addMembership missing', (d, m) => (mk(d, m).addMembership as (...a: unknown[]) => void)());
  same('dropMembership missing', (d, m) => (mk(d, m).dropMembership as (...a: unknown[]) => void)(''));
  same('addSourceSpecificMembership source', (d, m) => mk(d, m).addSourceSpecificMembership(1 as never, '232.1.1.1'));
  same('addSourceSpecificMembership group', (d, m) => mk(d, m).addSourceSpecificMembership('10.0.0.1', {} as never));
  same('bad buffer size', (d, m) => mk(d, m).setRecvBufferSize(-1));
  same('bad buffer size (string)', (d, m) => mk(d, m).setSendBufferSize('Doh!' as never));
  same('buffer size unbound', (d, m) => mk(d, m).getRecvBufferSize());
  same('send buffer size unbound', (d, m) => mk(d, m).setSendBufferSize(8192));
  same('closed: bind', (d) => { const s = d.createSocket('udp4'); s.close(); s.bind(); });
  same('closed: close', (d) => { const s = d.createSocket('udp4'); s.close(); s.close(); });
  same('closed: send', (d) => { const s = d.createSocket('udp4'); s.close(); s.send('x', 1000, '127.0.0.1'); });
  same('closed: setBroadcast', (d) => { const s = d.createSocket('udp4'); s.close(); s.setBroadcast(true); });
  same('closed: address', (d) => { const s = d.createSocket('udp6'); s.close(); s.address(); });
});

/** Waits for one event on a real socket or a virtual one (running the virtual network meanwhile). */
function once<T extends unknown[]>(s: Sock, ev: string, world?: Network): Promise<T> {
  const p = new Promise<T>((resolve) => s.once(ev, (...a: unknown[]) => resolve(a as T)));
  if (world) void world.run();
  return p;
}

test('dgram errors: asynchronous failures (bind EADDRINUSE, already bound, EMSGSIZE, setTTL EINVAL) match', async () => {
  const { dgram, world } = host();
  const out: Array<Record<string, unknown>[]> = [];
  for (const [d, w] of [[realDgram, undefined], [dgram, world]] as const) {
    const got: Record<string, unknown>[] = [];
    const a = d.createSocket('udp4');
    a.bind(0, '127.0.0.1');
    await once(a, 'listening', w);
    const port = a.address().port;
    got.push(shape(thrown(() => a.bind())));
    got.push(shape(thrown(() => a.setTTL(1000))));
    got.push(shape(thrown(() => a.setMulticastTTL(256))));
    const b = d.createSocket('udp4');
    b.bind(port, '127.0.0.1');
    const [err] = await once<[Error]>(b, 'error', w);
    // The port differs between the two runs: compare with it taken out.
    const e = shape(err);
    got.push({ ...e, port: typeof e.port, message: String(e.message).replace(String(port), 'P'), header: String(e.header).replace(String(port), 'P'), str: String(e.str).replace(String(port), 'P') });
    const sent = new Promise<Error | null>((resolve) => a.send(Buffer.alloc(70000), port, '127.0.0.1', (er) => resolve(er)));
    if (w) void w.run();
    const big = shape(await sent);
    got.push({ ...big, port: typeof big.port, message: String(big.message).replace(String(port), 'P'), header: String(big.header).replace(String(port), 'P'), str: String(big.str).replace(String(port), 'P') });
    b.close();
    a.close();
    await once(a, 'close', w);
    out.push(got);
  }
  assert.deepEqual(out[1], out[0]);
  assert.equal(out[0]![3]!.code, 'EADDRINUSE');
  assert.equal(out[0]![4]!.code, 'EMSGSIZE');
});
