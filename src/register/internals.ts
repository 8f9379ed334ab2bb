// usernet/register with --expose-internals (Node's own tests run that way): where those tests
// reach net's and dgram's internals, they find the virtual host's.
//
// - internalBinding('tcp_wrap').TCP, ('pipe_wrap').Pipe, ('udp_wrap').UDP make handles of the
//   host (descriptors of host.sys), so `new TCP(TCPConstants.SOCKET).bind(...)`, `handle.fd`
//   passed to listen({ fd }) / connect({ fd }) / bind({ fd }), and `instanceof` checks work on
//   them; patching `TCP.prototype.setNoDelay` patches the host's handles.
// - internal/net's normalizedArgsSymbol marks net._normalizeArgs() results; internal/dgram's
//   kStateSymbol finds a dgram socket's state and its _createSocketHandle makes the host's.
// - A handle object of the test's own that reports a read through internalBinding('stream_wrap')
//   (streamBaseState[kReadBytesOrError]) and calls onread() without arguments, as Node's
//   handles do, is understood by net.Socket.
//
// Node's own modules that keep these bindings (child_process, cluster, tls, ...) are loaded
// before the bindings are re-pointed, so they keep Node's real handles.
import { createRequire } from 'node:module';
import { TcpHandle } from '../handles/tcp.js';
import { PipeHandle } from '../handles/pipe.js';
import { UdpHandle, type UdpLoop } from '../handles/udp.js';
import type { HandleLoop } from '../handles/stream.js';
import { createSocketHandle, kStateSymbol, type DgramHost } from '../node/dgram.js';
import { useNormalizedArgsSymbol, useNodeStreamState } from '../node/net-context.js';

const require = createRequire(import.meta.url);

type Binding = Record<string, unknown>;

/** A constructor that makes one of the host's handles; `instanceof` holds for every handle of the class. */
function facade<H extends object>(name: string, proto: H, make: (...args: never[]) => H): unknown {
  const F = { [name]: function (this: unknown, ...args: never[]) { return make(...args); } }[name]!;
  F.prototype = proto;
  return F;
}

export function exposeToInternals(host: DgramHost, dgramSocket: { prototype: object }): void {
  const loop: HandleLoop & UdpLoop = host.loop;
  let internalBinding: (name: string) => Binding;
  try {
    // Node's own modules that hold these bindings, loaded while the bindings are still Node's.
    for (const m of ['child_process', 'cluster', 'tls', 'http', 'https', 'http2', 'tty']) require(m);
    // Required while preloading, it also sets globalThis.internalBinding and .primordials, which
    // a program (and the leak check of Node's tests) would not otherwise see: taken away again.
    const g = globalThis as Record<string, unknown>;
    const had = ['internalBinding', 'primordials'].filter((k) => k in g);
    // Its load warns ("These APIs are for internal testing only"): the program did not ask for
    // it, and some of Node's tests fail on any warning.
    const emitWarning = process.emitWarning;
    process.emitWarning = () => {};
    try {
      internalBinding = (require('internal/test/binding') as { internalBinding: (name: string) => Binding }).internalBinding;
    } finally {
      process.emitWarning = emitWarning;
    }
    for (const k of ['internalBinding', 'primordials']) if (!had.includes(k)) delete g[k];
  } catch {
    return; // internals not reachable
  }
  const tcp = internalBinding('tcp_wrap');
  tcp.TCP = facade('TCP', TcpHandle.prototype, (kind: number) => new TcpHandle(loop, kind));
  const pipe = internalBinding('pipe_wrap');
  pipe.Pipe = facade('Pipe', PipeHandle.prototype, (kind: number) => new PipeHandle(loop, kind));
  const udp = internalBinding('udp_wrap');
  // Node's UDP handle takes its family from the first bind / bind6.
  udp.UDP = facade('UDP', UdpHandle.prototype, () => new UdpHandle(loop, 4));

  const net = require('internal/net') as { normalizedArgsSymbol?: symbol };
  if (typeof net.normalizedArgsSymbol === 'symbol') useNormalizedArgsSymbol(net.normalizedArgsSymbol);

  const stream = internalBinding('stream_wrap') as { streamBaseState?: Int32Array; kReadBytesOrError?: number };
  const { streamBaseState, kReadBytesOrError } = stream;
  if (streamBaseState !== undefined && typeof kReadBytesOrError === 'number') {
    useNodeStreamState(() => streamBaseState[kReadBytesOrError]!);
  }

  const internalDgram = require('internal/dgram') as { kStateSymbol?: symbol; _createSocketHandle?: unknown };
  // What cluster and the tests make datagram handles with: the host's.
  if (typeof internalDgram._createSocketHandle === 'function') {
    internalDgram._createSocketHandle = (address: string | null, port: number | null, addressType: 'udp4' | 'udp6', fd?: number, flags?: number) =>
      createSocketHandle(host, address, port, addressType, fd, flags);
  }
  if (typeof internalDgram.kStateSymbol === 'symbol') {
    Object.defineProperty(dgramSocket.prototype, internalDgram.kStateSymbol, {
      configurable: true,
      get(this: Record<symbol, unknown>) { return this[kStateSymbol]; },
    });
  }
}
