// node:http2's clocks on the network's: what a host's HTTP/2 server reads from the machine's
// clock on a virtual-clock network, and where it reads the network's instead.
//
// - The `date` header Node adds to a response (lib/internal/http2/core.js processHeaders /
//   prepareResponseHeaders*: internal/http's utcDate, the machine's Date): a host server's
//   responses (respond, respondWithFD, respondWithFile, and the compat API's, which go through
//   respond) carry the host's wall clock instead, in the same place, unless the headers have a
//   date or sendDate is false. The server stream's prototype is found on the first stream a host
//   server's session emits (before Node's own listener answers it).
// - The unknown-protocol timeout of a secure server (options.unknownProtocolTimeout: a TLS
//   client that negotiated no h2 is destroyed that long after Node's 403, if still open): Node's
//   timer (node:timers', the machine's) is given TIMEOUT_MAX and the network's clock destroys
//   the socket at the option's time.
// - With allowHTTP1, the HTTP/1 requests of a secure server: their headersTimeout /
//   requestTimeout checks and Date header as a host's http.Server's (http-clock.ts).
//
// Session and stream timeouts (setTimeout, the server's `timeout`) and the durations ping() and
// settings() report are on the network's clock through Node's Http2Session and Http2Stream
// prototypes (stream-base.ts). On the real clock Node's own hold.
import { onNetworkClock } from './http-clock.js';
import type { NetState } from './net-context.js';

/** Node's TIMEOUT_MAX: 2^31 - 1 ms. */
const TIMEOUT_MAX = 2 ** 31 - 1;

interface Http2Server {
  on(e: string, fn: (...a: never[]) => void): unknown;
  listenerCount(e: string): number;
  [k: symbol]: unknown;
}
interface Session { prependOnceListener(e: string, fn: (stream: object) => void): unknown }
interface TlsSocket { alpnProtocol?: string | false | null; destroyed: boolean; destroy(): void; once(e: string, fn: () => void): unknown }

/** The wall clock of each virtual-clock host server's sessions (their responses' date). */
const sessionClock = new WeakMap<object, () => number>();

/**
 * Puts `server` (a host's Http2Server or Http2SecureServer just built by Node's constructor) on
 * the network's clock when that clock is virtual.
 */
export function http2OnNetworkClock(server: Http2Server, state: NetState): void {
  const sched = state.loop.sched;
  if (sched.mode !== 'virtual') return;
  onNetworkClock(server as never, state);
  const clock = state.wallClock;
  if (clock !== undefined) {
    server.on('session', (session: Session) => {
      sessionClock.set(session, clock);
      if (!dating) session.prependOnceListener('stream', dateResponses);
    });
  }
  const kOptions = Object.getOwnPropertySymbols(server).find((s) => s.description === 'options');
  const options = kOptions === undefined ? undefined : server[kOptions] as { unknownProtocolTimeout?: unknown; allowHTTP1?: unknown } | undefined;
  const ms = options?.unknownProtocolTimeout;
  if (options === undefined || typeof ms !== 'number') return; // not a secure server
  options.unknownProtocolTimeout = TIMEOUT_MAX;
  // After Node's connectionListener (its constructor's): the case where it armed its timer.
  server.on('secureConnection', (socket: TlsSocket) => {
    if (!(socket.alpnProtocol === false || socket.alpnProtocol === 'http/1.1') || options.allowHTTP1 === true) return;
    if (server.listenerCount('unknownProtocol') > 0) return;
    // Ref'd: the open connection keeps a process alive on the kernel until Node's unref'd timer fires.
    const t = sched.after(Math.max(1, ms), sched.bind(() => { if (!socket.destroyed) socket.destroy(); }), true);
    socket.once('close', () => t.cancel());
  });
}

// ---- the date header ----------------------------------------------------------------------------

let dating = false;

type Respond = (this: { session?: object }, ...args: unknown[]) => unknown;

/** Wraps the respond methods of `stream`'s prototype (Node's ServerHttp2Stream's), once. */
function dateResponses(stream: object): void {
  if (dating) return;
  let proto = Object.getPrototypeOf(stream) as Record<string, unknown> | null;
  while (proto !== null && !Object.prototype.hasOwnProperty.call(proto, 'respond')) proto = Object.getPrototypeOf(proto) as Record<string, unknown> | null;
  if (proto === null) return;
  dating = true;
  const methods: Array<[string, number]> = [['respond', 0], ['respondWithFD', 1], ['respondWithFile', 1]];
  for (const [name, at] of methods) {
    const own = proto[name];
    if (typeof own !== 'function') continue;
    proto[name] = {
      [name](this: { session?: object }, ...args: unknown[]): unknown {
        const session = this.session;
        const clock = session === undefined ? undefined : sessionClock.get(session);
        if (clock !== undefined) withDate(args, at, clock);
        return (own as Respond).apply(this, args);
      },
    }[name];
  }
}

/**
 * Adds the host's date to the headers at `args[at]` (options at `args[at + 1]`) where Node would
 * add its own: last, unless sendDate is false or the headers have one. Headers or options Node
 * would refuse are left for Node to refuse.
 */
function withDate(args: unknown[], at: number, clock: () => number): void {
  const options = args[at + 1];
  if (options !== undefined && (options === null || typeof options !== 'object')) return;
  const sendDate = (options as { sendDate?: unknown } | undefined)?.sendDate;
  if (sendDate != null && !sendDate) return;
  const headers = args[at];
  if (headers === undefined || headers === null) {
    args[at] = { date: new Date(clock()).toUTCString() };
  } else if (Array.isArray(headers)) {
    // A flat [name, value, ...] list (Node >= 24): any name that is date, in any case.
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'date') return;
    args[at] = [...headers, 'date', new Date(clock()).toUTCString()];
  } else if (typeof headers === 'object') {
    // An object: Node looks at its own `date` key (lower case) only.
    const own = Object.prototype.hasOwnProperty.call(headers, 'date') ? (headers as { date?: unknown }).date : undefined;
    if (own != null) return;
    args[at] = { ...headers, date: new Date(clock()).toUTCString() };
  }
}
