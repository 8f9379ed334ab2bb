// node:http's clocks on the network's: the headersTimeout / requestTimeout checks and the Date
// header of a host's servers on a virtual-clock network.
//
// Node's http.Server checks its connections every `connectionsCheckingInterval` ms (30 s by
// default; lib/_http_server.js setupConnectionsTracking / checkConnections) with a timer of its
// own module (taken from node:timers when it loaded), and its C++ parser dates each message from
// uv_hrtime (node_http_parser.cc on_message_begin, ConnectionsList::Expired): both the machine's
// clock. On a virtual-clock network a host's server would then never time out a request whose
// headers stall, however much of the network's time passes. There, a host's http and https
// servers check on the network's clock instead: Node's timer is cleared once it is armed (on
// 'listening'), each message is dated by the parser's message-begin callback, and the same rule as
// ConnectionsList::Expired picks the connections whose request timed out, which get Node's
// socketOnError with ERR_HTTP_REQUEST_TIMEOUT (a 408 response if nothing was written yet).
//
// Node's Date header comes from a cache of its own (lib/internal/http.js utcDate: the machine's
// Date, reset by an internal timer). A host server's responses on a virtual-clock network carry
// the host's wall clock instead (what Date.now() reads for its code, so runs of one seed send the
// same bytes): ServerResponse's _storeHeader gets a Date header after the response's own headers,
// where Node writes its own, unless the response has one or sendDate is false.
import { createRequire } from 'node:module';
import { ServerResponse } from 'node:http';
import { machine, type Timer } from '../links/clock.js';
import { defineError } from './errors.js';
import type { NetState } from './net-context.js';

const require_ = createRequire(import.meta.url);
const { HTTPParser } = require_('node:_http_common') as { HTTPParser: Record<string, unknown> };
const kOnMessageBegin = (HTTPParser.kOnMessageBegin as number) | 0;

const ERR_HTTP_REQUEST_TIMEOUT = defineError<[]>('ERR_HTTP_REQUEST_TIMEOUT', Error, 'Request timeout');

interface Parser { socket?: ServerSocket | null; incoming?: unknown; [k: number]: unknown }
interface ServerSocket { parser?: Parser | null; listeners(e: string): Array<(...a: unknown[]) => unknown>; destroy(err?: Error): void }
interface HttpServer {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
  on(e: string, fn: (...a: never[]) => void): unknown;
  [k: symbol]: unknown;
}
interface ConnectionsList { active(): Parser[] }

/** When each message a host server's parser is reading began (the scheduler's ms), and its request so far. */
const began = new WeakMap<Parser, { at: number; incoming: unknown }>();

function symbolOf(obj: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(obj).find((s) => s.description === description);
}

/**
 * Puts `server` (a host's http.Server or https.Server just built by Node's constructor) on the
 * network's clock when that clock is virtual: its connections' header and request timeouts, and
 * its responses' Date header. On the real clock Node's own hold.
 */
export function onNetworkClock(server: HttpServer, state: NetState): void {
  const sched = state.loop.sched;
  if (sched.mode !== 'virtual') return;
  if (state.wallClock !== undefined) { datedBy.set(server, state.wallClock); dateResponses(); }
  let timer: Timer | null = null;
  let every = 1;
  let listening = false;
  let phase = 0; // when the server started listening: Node's interval ticks at phase + k * every
  const stop = (): void => { if (timer !== null) { timer.cancel(); timer = null; } };
  // The check is armed only while a request is in progress (a message begun and not complete):
  // with none, Node's interval finds nothing either, and an unref'd timer that never ends would
  // keep world.run() (which runs until nothing is scheduled) from ever returning.
  const arm = (): void => {
    if (timer !== null || !listening) return;
    const now = sched.now();
    const next = phase + (Math.floor((now - phase) / every) + 1) * every;
    timer = sched.at(next, check, false);
  };
  const connections = (): ConnectionsList | undefined => {
    const kConnections = symbolOf(server, 'http.server.connections');
    return kConnections === undefined ? undefined : server[kConnections] as ConnectionsList | undefined;
  };

  const check = (): void => {
    timer = null;
    const list = connections();
    if (list === undefined) return;
    try { checkList(list); } finally { if (list.active().length > 0) arm(); }
  };
  const checkList = (list: ConnectionsList): void => {
    if (server.headersTimeout === 0 && server.requestTimeout === 0) return;
    const now = sched.now();
    // ConnectionsList::Expired: headers not complete within headersTimeout, or the request not
    // complete within requestTimeout, counted from the message's first byte.
    const headersDeadline = server.headersTimeout > 0 ? now - server.headersTimeout : -Infinity;
    const requestDeadline = server.requestTimeout > 0 ? now - server.requestTimeout : -Infinity;
    for (const parser of list.active()) {
      const b = began.get(parser);
      const socket = parser.socket;
      if (b === undefined || socket == null) continue;
      const headersDone = parser.incoming !== b.incoming; // parserOnHeadersComplete made a new request
      if ((!headersDone && b.at < headersDeadline) || b.at < requestDeadline) {
        began.delete(parser);
        const err = new ERR_HTTP_REQUEST_TIMEOUT();
        // lib/_http_server.js onRequestTimeout: the socket's own socketOnError.
        const onError = socket.listeners('error').find((f) => f.name === 'socketOnError');
        if (onError !== undefined) onError.call(socket, err);
        else socket.destroy(err);
      }
    }
  };

  server.on('listening', () => {
    // Node's setupConnectionsTracking ran first (its constructor's listener): its timer goes.
    const kInterval = symbolOf(server, 'http.server.connectionsCheckingInterval');
    if (kInterval !== undefined) machine.clearInterval(server[kInterval] as ReturnType<typeof setInterval>);
    stop();
    // setInterval's rule: less than 1 ms (or more than TIMEOUT_MAX) is 1 ms.
    const ms = Number(server.connectionsCheckingInterval);
    every = ms >= 1 && ms <= 2 ** 31 - 1 ? ms : 1;
    phase = sched.now();
    listening = true;
    if ((connections()?.active().length ?? 0) > 0) arm();
  });
  server.on('close', () => { listening = false; stop(); });
  // The parser Node's connectionListener gave the socket ('secureConnection' for https).
  const dateMessages = (socket: ServerSocket): void => {
    const parser = socket.parser;
    if (parser == null) return;
    parser[kOnMessageBegin] = function onMessageBegin(this: Parser) {
      began.set(this, { at: sched.now(), incoming: this.incoming });
      arm();
    };
  };
  server.on('connection', dateMessages);
  server.on('secureConnection', dateMessages);
}

// ---- the Date header ----------------------------------------------------------------------------

/** The wall clock of each virtual-clock host server (its responses' Date). */
const datedBy = new WeakMap<object, () => number>();

type RawHeaders = Record<string, unknown> | unknown[] | null | undefined;
interface Response {
  sendDate: boolean;
  req?: { socket?: { server?: object } | null } | null;
  [k: symbol]: unknown;
}

/** Whether `headers` (_storeHeader's: the response's own map, an array or an object) names a Date. */
function hasDate(headers: RawHeaders): boolean {
  if (headers == null) return false;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) return headers.some((h) => String((h as unknown[])[0]).toLowerCase() === 'date');
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'date') return true;
    return false;
  }
  for (const k in headers) if (Object.prototype.hasOwnProperty.call(headers, k) && k.toLowerCase() === 'date') return true;
  return false;
}

let dating = false;
function dateResponses(): void {
  if (dating) return;
  dating = true;
  const proto = ServerResponse.prototype as unknown as { _storeHeader(this: Response, firstLine: string, headers: RawHeaders): unknown };
  const storeHeader = proto._storeHeader;
  let kOutHeaders: symbol | undefined;
  proto._storeHeader = function _storeHeader(this: Response, firstLine: string, headers: RawHeaders): unknown {
    const server = this.req?.socket?.server;
    const clock = this.sendDate && server !== undefined ? datedBy.get(server) : undefined;
    if (clock === undefined || hasDate(headers)) return storeHeader.call(this, firstLine, headers);
    const date = new Date(clock()).toUTCString();
    if (headers == null) return storeHeader.call(this, firstLine, { Date: date });
    if (Array.isArray(headers)) {
      return storeHeader.call(this, firstLine, headers.length > 0 && Array.isArray(headers[0]) ? [...headers, ['Date', date]] : [...headers, 'Date', date]);
    }
    kOutHeaders ??= Object.getOwnPropertySymbols(this).find((s) => s.description === 'kOutHeaders');
    if (kOutHeaders !== undefined && headers === this[kOutHeaders]) {
      // The response's own header map (lower-cased name -> [name, value]), read by identity.
      headers.date = ['Date', date];
      try { return storeHeader.call(this, firstLine, headers); } finally { delete headers.date; }
    }
    return storeHeader.call(this, firstLine, { ...headers, Date: date });
  };
}
