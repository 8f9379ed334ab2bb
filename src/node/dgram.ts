// host.dgram: node:dgram for one virtual host. The same API, events, argument errors (ERR_*
// codes and messages) and errno errors as Node v20's lib/dgram.js, over the datagram handle
// (src/handles/udp.ts) and the host's socket calls.
//
//   const dgram = createDgram({ loop, dns });   // host.dgram
//   const s = dgram.createSocket('udp4');        // or { type, reuseAddr, ipv6Only, recvBufferSize,
//                                                //      sendBufferSize, lookup, signal }
//
// bind({ fd }) accepts a descriptor of this host's sys (a datagram socket made with
// host.sys.socket); any other descriptor fails with ERR_INVALID_FD_TYPE, as Node does for a
// descriptor that is not a UDP socket. Cluster mode does not exist here: every bind is exclusive.
import { EventEmitter } from 'node:events';
import { Buffer } from 'node:buffer';
import { isIP, isIPv6, type BlockList } from 'node:net';
import { deprecate, promisify } from 'node:util';
import { SOCK_DGRAM } from '../uapi/socket.js';
import { EINVAL } from '../uapi/errno.js';
import { SendWrap, UdpHandle, UV_UDP_IPV6ONLY, UV_UDP_REUSEADDR, UV_UDP_REUSEPORT, type AddressOut, type BufferSizeContext, type RecvInfo, type UdpLoop } from '../handles/udp.js';
import { codes, ErrnoException, ExceptionWithHostPort, type SystemErrorContext } from './errors.js';
import {
  isInt32, validateAbortSignal, validateBlockList, validateFunction, validateNumber, validateObject, validatePort, validateString, validateUint32,
} from './validators.js';
import { line } from './line.js';

const {
  ERR_BUFFER_OUT_OF_BOUNDS, ERR_INVALID_ARG_TYPE, ERR_MISSING_ARGS, ERR_SOCKET_ALREADY_BOUND,
  ERR_SOCKET_BAD_BUFFER_SIZE, ERR_SOCKET_BUFFER_SIZE, ERR_SOCKET_DGRAM_IS_CONNECTED, ERR_SOCKET_DGRAM_NOT_CONNECTED,
  ERR_SOCKET_DGRAM_NOT_RUNNING, ERR_SOCKET_BAD_TYPE, ERR_INVALID_FD_TYPE, ERR_IP_BLOCKED, ERR_INVALID_ARG_VALUE,
} = codes;

const UNBOUND = 0, BINDING = 1, BOUND = 2;
const DISCONNECTED = 0, CONNECTING = 1, CONNECTED = 2;

export type SocketType = 'udp4' | 'udp6';
type LookupCallback = (err: Error | null, address?: string, family?: number) => void;
/** dns.lookup as dgram calls it: (hostname, family, callback). */
export type DgramLookup = (hostname: string, family: number, callback: LookupCallback) => void;

export interface SocketOptions {
  type: SocketType;
  reuseAddr?: boolean;
  /** Node 22.12+: SO_REUSEPORT, several sockets on one port sharing its datagrams. */
  reusePort?: boolean;
  ipv6Only?: boolean;
  recvBufferSize?: number;
  sendBufferSize?: number;
  lookup?: DgramLookup;
  signal?: AbortSignal;
  /** Node 22.13+: senders whose datagrams are dropped unseen. */
  receiveBlockList?: BlockList;
  /** Node 22.13+: destinations send() and connect() refuse (ERR_IP_BLOCKED). */
  sendBlockList?: BlockList;
}

export interface BindOptions {
  port?: number;
  address?: string;
  exclusive?: boolean;
  fd?: number;
}

export interface RemoteInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
  size: number;
}

export interface AddressInfo {
  address: string;
  family: string;
  port: number;
}

/** What a host gives its dgram module: the handle loop and its dns module (read at each createSocket, as Node reads dns.lookup). */
export interface DgramHost {
  readonly loop: UdpLoop;
  readonly dns: { lookup: (...args: never[]) => unknown };
  /**
   * Called with every socket this module makes, once built: the host keeps them to close when it
   * crashes (see closeForCrash). Throws to refuse a new socket (the host is down).
   */
  readonly track?: (socket: Socket) => void;
}

/** A datagram handle plus the lookup bound to its family (Node's newHandle). */
interface DgramHandle extends UdpHandle {
  lookup: (address: string, cb: LookupCallback) => void;
}

interface State {
  handle: DgramHandle | null;
  receiving: boolean;
  bindState: number;
  connectState: number;
  queue: Array<() => void> | undefined;
  reuseAddr: boolean | undefined;
  reusePort: boolean | undefined;
  ipv6Only: boolean | undefined;
  recvBufferSize: number | undefined;
  sendBufferSize: number | undefined;
  receiveBlockList: BlockList | undefined;
  sendBlockList: BlockList | undefined;
}

const kState = Symbol('state symbol');
/** The key of a socket's internal state (Node's kStateSymbol of internal/dgram). */
export const kStateSymbol: typeof kState = kState;
const kHost = Symbol('usernet.dgramHost');

export type MessageListener = (msg: Buffer, rinfo: RemoteInfo) => void;
export type SendCallback = (error: Error | null, bytes?: number) => void;
/** What send() takes: a Buffer, any TypedArray or DataView, or a string. */
export type Message = string | ArrayBufferView;

function newHandle(host: DgramHost, type: unknown, lookup: unknown): DgramHandle {
  let fn: DgramLookup;
  if (lookup === undefined) fn = host.dns.lookup as unknown as DgramLookup;
  else { validateFunction(lookup, 'lookup'); fn = lookup as DgramLookup; }
  if (type !== 'udp4' && type !== 'udp6') throw new ERR_SOCKET_BAD_TYPE();
  const family = type === 'udp4' ? 4 : 6;
  const handle = new UdpHandle(host.loop, family) as DgramHandle;
  const fallback = family === 4 ? '127.0.0.1' : '::1';
  handle.lookup = (address, cb) => fn(address || fallback, family, cb);
  return handle;
}

/** The dgram.Socket class of one host. */
export class Socket extends EventEmitter {
  declare static [kHost]: DgramHost;
  type: SocketType;
  /** @internal */ [kState]: State;

  constructor(type: SocketType | SocketOptions, listener?: MessageListener) {
    super();
    const host = (new.target as unknown as { [kHost]?: DgramHost })[kHost];
    if (host === undefined) throw new TypeError('dgram.Socket: use host.dgram.Socket or host.dgram.createSocket');
    let lookup: unknown;
    let recvBufferSize: number | undefined;
    let sendBufferSize: number | undefined;
    let options: SocketOptions | undefined;
    let receiveBlockList: BlockList | undefined;
    let sendBlockList: BlockList | undefined;
    let t: unknown = type;
    if (type !== null && typeof type === 'object') {
      options = type;
      t = options.type;
      lookup = options.lookup;
      if (options.recvBufferSize) validateUint32(options.recvBufferSize, 'options.recvBufferSize');
      if (options.sendBufferSize) validateUint32(options.sendBufferSize, 'options.sendBufferSize');
      recvBufferSize = options.recvBufferSize;
      sendBufferSize = options.sendBufferSize;
      if (line.blockList && options.receiveBlockList) receiveBlockList = validateBlockList(options.receiveBlockList, 'options.receiveBlockList');
      if (line.blockList && options.sendBlockList) sendBlockList = validateBlockList(options.sendBlockList, 'options.sendBlockList');
    }
    const handle = newHandle(host, t, lookup);
    handle.owner = this;
    this.type = t as SocketType;
    if (typeof listener === 'function') this.on('message', listener);
    this[kState] = {
      handle, receiving: false, bindState: UNBOUND, connectState: DISCONNECTED, queue: undefined,
      reuseAddr: options?.reuseAddr, reusePort: line.reusePort ? options?.reusePort : undefined, ipv6Only: options?.ipv6Only, recvBufferSize, sendBufferSize,
      receiveBlockList, sendBlockList,
    };
    if (options?.signal !== undefined) {
      const { signal } = options;
      validateAbortSignal(signal, 'options.signal');
      const onAborted = (): void => { if (this[kState].handle) this.close(); };
      if (signal.aborted) onAborted();
      else {
        signal.addEventListener('abort', onAborted, { once: true });
        this.once('close', () => signal.removeEventListener('abort', onAborted));
      }
    }
    host.track?.(this);
  }

  bind(port?: number | BindOptions | null | (() => void), address?: string | (() => void) | null, callback?: () => void): this;
  bind(...args: unknown[]): this {
    let port = args[0];
    const address_ = args[1];
    healthCheck(this);
    const state = this[kState];
    if (state.bindState !== UNBOUND) throw new ERR_SOCKET_ALREADY_BOUND();
    state.bindState = BINDING;

    const cb = args.length > 0 ? args[args.length - 1] : undefined;
    if (typeof cb === 'function') {
      const self = this;
      // nodejs/node#62602 (24.22, 26): cleaned up from errorMonitor, so the callback does not
      // count as an 'error' listener and a bind error nobody handles is thrown; before, swallowed.
      const errorEvent = line.dgramBindErrorMonitor ? EventEmitter.errorMonitor : 'error';
      const removeListeners = function (): void {
        self.removeListener(errorEvent, removeListeners);
        self.removeListener('listening', onListening);
      };
      const onListening = function (): void {
        removeListeners();
        (cb as () => void).call(self);
      };
      this.on(errorEvent, removeListeners);
      this.on('listening', onListening);
    }

    if (port instanceof UdpHandle) {
      replaceHandle(this, port as DgramHandle);
      startListening(this);
      return this;
    }

    // Open an existing descriptor (of this host's sys) instead of making a new socket.
    if (port !== null && typeof port === 'object' && isInt32((port as BindOptions).fd) && (port as BindOptions).fd! > 0) {
      const fd = (port as BindOptions).fd!;
      const sys = hostOf(this).loop.sys;
      const domain = sys.getsockopt(fd, 'SOL_SOCKET', 'SO_DOMAIN');
      const stype = sys.getsockopt(fd, 'SOL_SOCKET', 'SO_TYPE');
      const kind = typeof stype !== 'number' || stype < 0 ? 'UNKNOWN' : stype === SOCK_DGRAM ? 'UDP' : domain === 1 ? 'PIPE' : 'TCP';
      if (kind !== 'UDP') throw new ERR_INVALID_FD_TYPE(kind);
      const h = state.handle!;
      const err = h.open(fd);
      if (err) throw new ErrnoException(err, 'open');
      startListening(this);
      return this;
    }

    let address: string;
    if (port !== null && typeof port === 'object') {
      const o = port as BindOptions;
      address = o.address || '';
      port = o.port;
    } else {
      address = typeof address_ === 'function' ? '' : (address_ as string);
    }
    if (!address) address = this.type === 'udp4' ? '0.0.0.0' : '::';

    state.handle!.lookup(address, (err, ip) => {
      if (!state.handle) return; // closed in the meantime
      if (err) {
        state.bindState = UNBOUND;
        this.emit('error', err);
        return;
      }
      let flags = 0;
      if (state.reuseAddr) flags |= UV_UDP_REUSEADDR;
      if (state.ipv6Only) flags |= UV_UDP_IPV6ONLY;
      if (state.reusePort) flags |= UV_UDP_REUSEPORT;
      const e = state.handle.bind(ip!, toPort(port), flags);
      if (e) {
        const ex = new ExceptionWithHostPort(e, 'bind', ip!, port as number);
        state.bindState = UNBOUND;
        this.emit('error', ex);
        return;
      }
      startListening(this);
    });
    return this;
  }

  /**
   * Node 24.22: binds within the call to a numeric address (no lookup) and returns the address
   * bound; errors throw; 'listening' comes on the next tick.
   */
  bindSync(options: BindOptions = {}): AddressInfo {
    healthCheck(this);
    validateObject(options, 'options');
    const state = this[kState];
    if (state.bindState !== UNBOUND) throw new ERR_SOCKET_ALREADY_BOUND();
    const port = validatePort(options.port ?? 0, 'options.port');
    let { address } = options;
    if (!address) {
      address = this.type === 'udp4' ? '0.0.0.0' : '::';
    } else {
      validateString(address, 'options.address');
      if (isIP(address) === 0) {
        throw new ERR_INVALID_ARG_VALUE('options.address', address, 'must be a numeric IP address; bindSync does not perform DNS resolution');
      }
    }
    state.bindState = BINDING;
    let flags = 0;
    if (state.reuseAddr) flags |= UV_UDP_REUSEADDR;
    if (state.ipv6Only) flags |= UV_UDP_IPV6ONLY;
    if (state.reusePort) flags |= UV_UDP_REUSEPORT;
    const err = state.handle!.bind(address, port, flags);
    if (err) {
      state.bindState = UNBOUND;
      throw new ExceptionWithHostPort(err, 'bind', address, port);
    }
    startReceiving(this);
    process.nextTick(() => { if (this[kState].handle) this.emit('listening'); });
    return this.address();
  }

  /**
   * Node 24.22: connect(2) within the call to a numeric address (binding first if unbound);
   * errors of the call throw; 'connect' comes on the next tick.
   */
  connectSync(port: number, address?: string | null): void {
    healthCheck(this);
    const p = validatePort(port, 'Port', false);
    const state = this[kState];
    if (state.connectState !== DISCONNECTED) throw new ERR_SOCKET_DGRAM_IS_CONNECTED();
    if (address == null || address === '') {
      address = this.type === 'udp4' ? '127.0.0.1' : '::1';
    } else {
      validateString(address, 'address');
      if (isIP(address) === 0) {
        throw new ERR_INVALID_ARG_VALUE('address', address, 'must be a numeric IP address; connectSync does not perform DNS resolution');
      }
    }
    if (state.bindState === UNBOUND) this.bindSync();
    else if (state.bindState !== BOUND) throw new ERR_SOCKET_ALREADY_BOUND();
    state.connectState = CONNECTING;
    if (blocked(state.sendBlockList, address)) {
      state.connectState = DISCONNECTED;
      throw new ERR_IP_BLOCKED(address);
    }
    const err = state.handle!.connect(address, p);
    if (err) {
      state.connectState = DISCONNECTED;
      throw new ExceptionWithHostPort(err, 'connect', address, p);
    }
    state.connectState = CONNECTED;
    process.nextTick(() => { if (this[kState].handle) this.emit('connect'); });
  }

  connect(port: number, address?: string | (() => void), callback?: (err?: Error) => void): void;
  connect(port: unknown, address?: unknown, callback?: unknown): void {
    const p = validatePort(port, 'Port', false);
    if (typeof address === 'function') {
      callback = address;
      address = '';
    } else if (address === undefined) {
      address = '';
    }
    validateString(address, 'address');
    const state = this[kState];
    if (state.connectState !== DISCONNECTED) throw new ERR_SOCKET_DGRAM_IS_CONNECTED();
    state.connectState = CONNECTING;
    if (state.bindState === UNBOUND) this.bind({ port: 0, exclusive: true }, null);
    const go = (): void => doConnectLookup(this, p, address as string, callback as ((err?: Error) => void) | undefined);
    if (state.bindState !== BOUND) { enqueue(this, go); return; }
    go();
  }

  disconnect(): void {
    const state = this[kState];
    if (state.connectState !== CONNECTED) throw new ERR_SOCKET_DGRAM_NOT_CONNECTED();
    const err = state.handle!.disconnect();
    if (err) throw new ErrnoException(err, 'connect');
    state.connectState = DISCONNECTED;
  }

  /** Thin wrapper around send, kept for compatibility (Node's dgram_legacy). */
  sendto(buffer: Message, offset: number, length: number, port: number, address: string, callback?: SendCallback): void {
    validateNumber(offset, 'offset');
    validateNumber(length, 'length');
    validateNumber(port, 'port');
    validateString(address, 'address');
    (this.send as (...a: unknown[]) => void)(buffer, offset, length, port, address, callback);
  }

  // send(msg, [offset, length,] [port, address,] [callback]) in all of Node's combinations.
  send(msg: Message | readonly Message[], port?: number, address?: string, callback?: SendCallback): void;
  send(msg: Message | readonly Message[], port?: number, callback?: SendCallback): void;
  send(msg: Message | readonly Message[], callback?: SendCallback): void;
  send(msg: Message, offset: number, length: number, port?: number, address?: string, callback?: SendCallback): void;
  send(msg: Message, offset: number, length: number, port?: number, callback?: SendCallback): void;
  send(msg: Message, offset: number, length: number, callback?: SendCallback): void;
  send(...args: unknown[]): void {
    let [buffer, offset, length, port, address, callback] = args;
    let list: Uint8Array[] | null;
    const state = this[kState];
    const connected = state.connectState === CONNECTED;
    if (!connected) {
      if (address || (port && typeof port !== 'function')) {
        buffer = sliceBuffer(buffer, offset, length);
      } else {
        callback = port;
        port = offset;
        address = length;
      }
    } else {
      if (typeof length === 'number') {
        buffer = sliceBuffer(buffer, offset, length);
        if (typeof port === 'function') {
          callback = port;
          port = null;
        }
      } else {
        callback = offset;
      }
      if (port || address) throw new ERR_SOCKET_DGRAM_IS_CONNECTED();
    }

    if (!Array.isArray(buffer)) {
      if (typeof buffer === 'string') list = [Buffer.from(buffer)];
      else if (!ArrayBuffer.isView(buffer)) {
        throw new ERR_INVALID_ARG_TYPE('buffer', ['Buffer', 'TypedArray', 'DataView', 'string'], buffer);
      } else list = [buffer as unknown as Uint8Array];
    } else if (!(list = fixBufferList(buffer))) {
      throw new ERR_INVALID_ARG_TYPE('buffer list arguments', ['Buffer', 'TypedArray', 'DataView', 'string'], buffer);
    }

    if (!connected) port = validatePort(port, 'Port', false);
    if (typeof callback !== 'function') callback = undefined;
    if (typeof address === 'function') {
      callback = address;
      address = undefined;
    } else if (address != null) {
      validateString(address, 'address');
    }

    healthCheck(this);
    if (state.bindState === UNBOUND) this.bind({ port: 0, exclusive: true }, null);
    if (list.length === 0) list.push(Buffer.alloc(0));

    // Not bound yet: send once the bind is done.
    if (state.bindState !== BOUND) {
      const l = list, p = port, a = address, c = callback;
      enqueue(this, () => (this.send as (...x: unknown[]) => void)(l, p, a, c));
      return;
    }

    const cb = callback as SendCallback | undefined;
    const afterDns = (ex: Error | null, ip?: string): void => {
      doSend(ex, this, ip, list!, address as string | undefined, port as number, cb);
    };
    if (!connected) state.handle!.lookup(address as string, afterDns);
    else afterDns(null, undefined);
  }

  close(callback?: () => void): this {
    const state = this[kState];
    const queue = state.queue;
    if (typeof callback === 'function') this.on('close', callback);
    if (queue !== undefined) {
      queue.push(() => this.close());
      return this;
    }
    healthCheck(this);
    stopReceiving(this);
    state.handle!.close();
    state.handle = null;
    process.nextTick(() => this.emit('close'));
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this[kState].handle) return;
    await promisify((cb: () => void) => this.close(cb))();
  }

  address(): AddressInfo {
    healthCheck(this);
    const out: AddressOut = {};
    const err = this[kState].handle!.getsockname(out);
    if (err) throw new ErrnoException(err, 'getsockname');
    return out as AddressInfo;
  }

  remoteAddress(): AddressInfo {
    healthCheck(this);
    const state = this[kState];
    if (state.connectState !== CONNECTED) throw new ERR_SOCKET_DGRAM_NOT_CONNECTED();
    const out: AddressOut = {};
    const err = state.handle!.getpeername(out);
    if (err) throw new ErrnoException(err, 'getpeername');
    return out as AddressInfo;
  }

  setBroadcast(arg: boolean): void {
    const err = handleOf(this, 'setBroadcast').setBroadcast(arg ? 1 : 0);
    if (err) throw new ErrnoException(err, 'setBroadcast');
  }

  setTTL(ttl: number): number {
    validateNumber(ttl, 'ttl');
    const err = handleOf(this, 'setTTL').setTTL(ttl);
    if (err) throw new ErrnoException(err, 'setTTL');
    return ttl;
  }

  setMulticastTTL(ttl: number): number {
    validateNumber(ttl, 'ttl');
    const err = handleOf(this, 'setMulticastTTL').setMulticastTTL(ttl);
    if (err) throw new ErrnoException(err, 'setMulticastTTL');
    return ttl;
  }

  setMulticastLoopback(arg: boolean): boolean {
    const err = handleOf(this, 'setMulticastLoopback').setMulticastLoopback(arg ? 1 : 0);
    if (err) throw new ErrnoException(err, 'setMulticastLoopback');
    return arg;
  }

  setMulticastInterface(interfaceAddress: string): void {
    healthCheck(this);
    validateString(interfaceAddress, 'interfaceAddress');
    const err = this[kState].handle!.setMulticastInterface(interfaceAddress);
    if (err) throw new ErrnoException(err, 'setMulticastInterface');
  }

  addMembership(multicastAddress: string, interfaceAddress?: string): void {
    healthCheck(this);
    if (!multicastAddress) throw new ERR_MISSING_ARGS('multicastAddress');
    const err = this[kState].handle!.addMembership(String(multicastAddress), interfaceAddress == null ? undefined : String(interfaceAddress));
    if (err) throw new ErrnoException(err, 'addMembership');
  }

  dropMembership(multicastAddress: string, interfaceAddress?: string): void {
    healthCheck(this);
    if (!multicastAddress) throw new ERR_MISSING_ARGS('multicastAddress');
    const err = this[kState].handle!.dropMembership(String(multicastAddress), interfaceAddress == null ? undefined : String(interfaceAddress));
    if (err) throw new ErrnoException(err, 'dropMembership');
  }

  addSourceSpecificMembership(sourceAddress: string, groupAddress: string, interfaceAddress?: string): void {
    healthCheck(this);
    validateString(sourceAddress, 'sourceAddress');
    validateString(groupAddress, 'groupAddress');
    const err = this[kState].handle!.addSourceSpecificMembership(sourceAddress, groupAddress,
      interfaceAddress == null ? undefined : String(interfaceAddress));
    if (err) throw new ErrnoException(err, 'addSourceSpecificMembership');
  }

  dropSourceSpecificMembership(sourceAddress: string, groupAddress: string, interfaceAddress?: string): void {
    healthCheck(this);
    validateString(sourceAddress, 'sourceAddress');
    validateString(groupAddress, 'groupAddress');
    const err = this[kState].handle!.dropSourceSpecificMembership(sourceAddress, groupAddress,
      interfaceAddress == null ? undefined : String(interfaceAddress));
    if (err) throw new ErrnoException(err, 'dropSourceSpecificMembership');
  }

  ref(): this {
    this[kState].handle?.ref();
    return this;
  }

  unref(): this {
    this[kState].handle?.unref();
    return this;
  }

  setRecvBufferSize(size: number): void { bufferSize(this, size, true); }
  setSendBufferSize(size: number): void { bufferSize(this, size, false); }
  getRecvBufferSize(): number { return bufferSize(this, 0, true); }
  getSendBufferSize(): number { return bufferSize(this, 0, false); }
  getSendQueueSize(): number { return handleOf(this, 'getSendQueueSize').getSendQueueSize(); }
  getSendQueueCount(): number { return handleOf(this, 'getSendQueueCount').getSendQueueCount(); }
}

// Node's deprecated private accessors (DEP0112), on the lines that still have them (not 26).
const dep = (name: string): string => `Socket.prototype.${name} is deprecated`;
const privates = line.dgramPrivates
  ? [['_handle', 'handle'], ['_receiving', 'receiving'], ['_bindState', 'bindState'], ['_queue', 'queue'], ['_reuseAddr', 'reuseAddr']] as const
  : [];
for (const [prop, key] of privates) {
  Object.defineProperty(Socket.prototype, prop, {
    configurable: true,
    get: deprecate(function (this: Socket) { return this[kState][key]; }, dep(prop), 'DEP0112'),
    set: deprecate(function (this: Socket, v: never) { (this[kState] as unknown as Record<string, unknown>)[key] = v; }, dep(prop), 'DEP0112'),
  });
}
if (line.dgramPrivates) {
  Object.defineProperty(Socket.prototype, '_healthCheck', {
    configurable: true, writable: true,
    value: deprecate(function (this: Socket) { healthCheck(this); }, 'Socket.prototype._healthCheck() is deprecated', 'DEP0112'),
  });
  Object.defineProperty(Socket.prototype, '_stopReceiving', {
    configurable: true, writable: true,
    value: deprecate(function (this: Socket) { stopReceiving(this); }, 'Socket.prototype._stopReceiving() is deprecated', 'DEP0112'),
  });
}

// dgram's synchronous bind and connect, on the lines that have them (24.22, 26).
if (!line.dgramSync) {
  const proto = Socket.prototype as unknown as Record<string, unknown>;
  delete proto['bindSync'];
  delete proto['connectSync'];
}

function hostOf(s: Socket): DgramHost {
  return (s.constructor as unknown as { [kHost]: DgramHost })[kHost];
}

/** The handle for a method that, as in Node, does not check health first: a closed socket throws Node's TypeError. */
function handleOf(s: Socket, method: string): DgramHandle {
  const h = s[kState].handle;
  if (h === null) throw new TypeError(`Cannot read properties of null (reading '${method}')`);
  return h;
}

function toPort(port: unknown): number {
  // UDPWrap reads the port as a uint32 and libuv keeps its low 16 bits.
  const n = Number(port ?? 0);
  return Number.isFinite(n) ? (n >>> 0) & 0xffff : 0;
}

function healthCheck(s: Socket): void {
  if (!s[kState].handle) throw new ERR_SOCKET_DGRAM_NOT_RUNNING();
}

function stopReceiving(s: Socket): void {
  const state = s[kState];
  if (!state.receiving) return;
  state.handle!.recvStop();
  state.receiving = false;
}

function replaceHandle(self: Socket, h: DgramHandle): void {
  const state = self[kState];
  const old = state.handle!;
  if (!old.hasRef()) h.unref();
  h.lookup = old.lookup;
  h.owner = self;
  old.close();
  state.handle = h;
}

function startReceiving(s: Socket): void {
  const state = s[kState];
  const h = state.handle!;
  h.onmessage = onMessage;
  h.recvStart();
  state.receiving = true;
  state.bindState = BOUND;
  if (state.recvBufferSize) bufferSize(s, state.recvBufferSize, true);
  if (state.sendBufferSize) bufferSize(s, state.sendBufferSize, false);
}

function startListening(s: Socket): void {
  startReceiving(s);
  s.emit('listening');
}

function onMessage(nread: number, handle: UdpHandle, buf?: Buffer, rinfo?: RecvInfo): void {
  const self = handle.owner as Socket;
  if (nread < 0) {
    self.emit('error', new ErrnoException(nread, 'recvmsg'));
    return;
  }
  if (blocked(self[kState].receiveBlockList, rinfo!.address)) return;
  rinfo!.size = buf!.length;
  self.emit('message', buf, rinfo);
}

function bufferSize(s: Socket, size: number, recv: boolean): number {
  if (size >>> 0 !== size) throw new ERR_SOCKET_BAD_BUFFER_SIZE();
  const ctx: BufferSizeContext = {};
  const r = handleOf(s, 'bufferSize').bufferSize(size, recv, ctx);
  if (r === undefined) throw new ERR_SOCKET_BUFFER_SIZE(ctx as SystemErrorContext);
  return r;
}

function doConnectLookup(self: Socket, port: number, address: string, callback: ((err?: Error) => void) | undefined): void {
  const state = self[kState];
  if (callback) self.once('connect', callback);
  state.handle!.lookup(address, (ex, ip) => {
    if (!state.handle) return;
    let err: Error | null = ex;
    if (!err && blocked(state.sendBlockList, ip!)) err = new ERR_IP_BLOCKED(ip!);
    if (!err) {
      const e = state.handle.connect(ip!, port);
      if (e) err = new ExceptionWithHostPort(e, 'connect', address, port);
    }
    if (err) {
      state.connectState = DISCONNECTED;
      const failure = err;
      process.nextTick(() => {
        if (callback) {
          self.removeListener('connect', callback);
          callback(failure);
        } else {
          self.emit('error', failure);
        }
      });
      return;
    }
    state.connectState = CONNECTED;
    process.nextTick(() => self.emit('connect'));
  });
}

/** Whether a BlockList given to the socket holds `ip`. */
function blocked(list: BlockList | undefined, ip: string): boolean {
  return list !== undefined && list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
}

function sliceBuffer(buffer: unknown, offset: unknown, length: unknown): Buffer {
  let b: ArrayBufferView;
  if (typeof buffer === 'string') b = Buffer.from(buffer);
  else if (!ArrayBuffer.isView(buffer)) {
    throw new ERR_INVALID_ARG_TYPE('buffer', ['Buffer', 'TypedArray', 'DataView', 'string'], buffer);
  } else b = buffer;
  const off = (offset as number) >>> 0;
  const len = (length as number) >>> 0;
  if (off > b.byteLength) throw new ERR_BUFFER_OUT_OF_BOUNDS('offset');
  if (off + len > b.byteLength) throw new ERR_BUFFER_OUT_OF_BOUNDS('length');
  return Buffer.from(b.buffer, b.byteOffset + off, len);
}

function fixBufferList(list: unknown[]): Uint8Array[] | null {
  const out = new Array<Uint8Array>(list.length);
  for (let i = 0; i < list.length; i++) {
    const b = list[i];
    if (typeof b === 'string') out[i] = Buffer.from(b);
    else if (!ArrayBuffer.isView(b)) return null;
    else out[i] = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }
  return out;
}

function enqueue(self: Socket, fn: () => void): void {
  const state = self[kState];
  // The first queued call installs the handlers that flush the queue once the bind is done.
  if (state.queue === undefined) {
    state.queue = [];
    self.once(EventEmitter.errorMonitor, onListenError);
    self.once('listening', onListenSuccess);
  }
  state.queue.push(fn);
}

function onListenSuccess(this: Socket): void {
  this.removeListener(EventEmitter.errorMonitor, onListenError);
  const state = this[kState];
  const queue = state.queue!;
  state.queue = undefined;
  for (const fn of queue) fn();
}

function onListenError(this: Socket): void {
  this.removeListener('listening', onListenSuccess);
  this[kState].queue = undefined;
}

function doSend(ex: Error | null, self: Socket, ip: string | undefined, list: Uint8Array[], address: string | undefined,
  port: number, callback: SendCallback | undefined): void {
  const state = self[kState];
  if (ex) {
    if (typeof callback === 'function') { process.nextTick(callback, ex); return; }
    process.nextTick(() => self.emit('error', ex));
    return;
  } else if (!state.handle) {
    return;
  }
  if (ip && blocked(state.sendBlockList, ip)) {
    if (callback) process.nextTick(callback, new ERR_IP_BLOCKED(ip));
    return;
  }
  const req = new SendWrap();
  req.list = list;
  req.address = address;
  req.port = port;
  if (callback) {
    req.callback = callback;
    req.oncomplete = afterSend;
  }
  const err = port
    ? state.handle.send(req, list, list.length, port, ip!, !!callback)
    : state.handle.send(req, list, list.length, !!callback);
  if (err >= 1) {
    // Sent at once: the result is msg_length + 1, so that 0-byte sends are told apart.
    if (callback) process.nextTick(callback, null, err - 1);
    return;
  }
  if (err && callback) {
    // Not emitted as 'error' (Node's dgram_legacy compatibility).
    const e = new ExceptionWithHostPort(err, 'send', address!, port);
    process.nextTick(callback, e);
  }
}

function afterSend(this: SendWrap, status: number, sent: number): void {
  const err = status ? new ExceptionWithHostPort(status, 'send', this.address!, this.port) : null;
  this.callback!(err, sent);
}

/**
 * host.crash(): the program that owned the socket died with its host. The socket closes at once
 * ('close', no error); a bind or connect still waiting for its lookup is dropped rather than
 * finished first. Nothing for a socket already closed.
 */
export function closeForCrash(socket: Socket): void {
  const state = socket[kState];
  if (state.handle === null) return;
  state.queue = undefined;
  socket.close();
}

/** node:dgram's shape, bound to one host. */
export interface DgramModule {
  Socket: typeof Socket;
  createSocket(type: SocketType | SocketOptions, listener?: MessageListener): Socket;
  /** Deprecated (DEP0112); gone from Node 26's dgram, and from this one on that line. */
  _createSocketHandle?: (address: string, port: number, addressType: SocketType, fd?: number, flags?: number) => UdpHandle | number;
}

/**
 * A datagram handle, bound or opened on a descriptor of the host, or a negative errno (Node's
 * internal/dgram _createSocketHandle, what cluster and dgram._createSocketHandle use).
 */
export function createSocketHandle(host: DgramHost, address: string | null, port: number | null, addressType: SocketType,
  fd?: number, flags?: number): UdpHandle | number {
  const h = newHandle(host, addressType, undefined);
  let err = 0;
  if (isInt32(fd) && fd > 0) {
    // Node: a descriptor that is not a UDP socket is EINVAL (guessHandleType).
    err = host.loop.sys.getsockopt(fd, 'SOL_SOCKET', 'SO_TYPE') === SOCK_DGRAM ? h.open(fd) : -EINVAL;
  } else if (port || address) {
    err = h.bind(address ?? '', port || 0, flags ?? 0);
  }
  if (err) { h.close(); return err; }
  return h;
}

/** host.dgram: node:dgram over this host's sockets. */
export function createDgram(host: DgramHost): DgramModule {
  const HostSocket = class Socket extends SocketBase {};
  Object.defineProperty(HostSocket, 'name', { value: 'Socket' });
  Object.defineProperty(HostSocket, kHost, { value: host });
  // A plain function, as Node's (`new dgram.createSocket(type)` works too).
  const createSocket = function createSocket(type: SocketType | SocketOptions, listener?: MessageListener): Socket {
    return new HostSocket(type, listener);
  };
  if (!line.dgramPrivates) return { Socket: HostSocket, createSocket };
  const _createSocketHandle = deprecate((address: string, port: number, addressType: SocketType, fd?: number, flags?: number) =>
    createSocketHandle(host, address, port, addressType, fd, flags), 'dgram._createSocketHandle() is deprecated', 'DEP0112');
  return { Socket: HostSocket, createSocket, _createSocketHandle };
}

const SocketBase: typeof Socket = Socket;
