// A Linux TUN (layer 3: bare IP packets) or TAP (layer 2: Ethernet frames) device as a Port.
//
// The device is opened by the small native addon in native/tun (built by `npm install`, or
// `npm run build:native`). A reader thread in the addon waits on the device and hands batches
// of packets to this thread; each packet reaches `onFrame` as a view of its batch's buffer.
// `send()` queues frames and writes them all at once when the current macrotask ends
// (setImmediate): one crossing into the addon per batch, one write(2) per packet.
//
// Offloads (on unless `vnetHdr: false`): the device is opened with Linux's virtio-net header
// (IFF_VNET_HDR, TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6), as a virtual machine's NIC
// is. The kernel then hands usernet TCP super-packets of up to 64 KiB with a partial checksum,
// which go up the stack whole, as a super-frame from a virtual wire (`gso`, src/wire/gso.ts:
// Linux GRO's result, in effect); and usernet's TCP hands the kernel its own super-segments
// (TSO) with the header saying how to cut them (gso_type, gso_size, csum_start/csum_offset,
// Linux virtio_net_hdr_to_skb). Packets that are not super-packets arrive with their checksum
// completed by the addon. What the kernel refuses is left off (`offload` says what is on); a
// kernel that has no TSO for one family gets that family's super-segments cut here.
//
// Opening needs Linux, /dev/net/tun and CAP_NET_ADMIN. Configuring the kernel's side of the
// device (link up, the kernel's own addresses, routes) is left to `ip`: the addresses of a
// usernet host on the device live in usernet, not in the kernel.

import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { LinkLayer, Port } from '../links/port.js';
import { machine } from '../links/clock.js';
import { gsoSegmentCount, gsoWireBytes, segmentTcp, segmentUdp } from '../wire/gso.js';

/** The addon's surface (native/tun/tun.c). */
interface TunAddon {
  /** offload: TUN_F_* flags wanted, -1 for no vnet header; the answer says which were set. */
  open(name: string, tap: boolean, blocking?: boolean, offload?: number): Opened;
  setMtu(name: string, mtu: number): void;
  /** thread: a reader thread instead of the JS thread's own event loop (uv_poll). */
  start(handle: object, onBatch: (err: NativeError | null, buf: Buffer, lens: Uint32Array, count: number) => void, thread?: boolean): void;
  write(handle: object, packets: Uint8Array[], count: number, result: Int32Array, hdrs?: Uint8Array): number;
  close(handle: object): void;
  ref(handle: object): void;
  unref(handle: object): void;
}

interface NativeError extends Error { code?: string; errno?: number; syscall?: string }

interface Opened { fd: number; name: string; handle: object; vnetHdr?: boolean; offload?: number }

// include/uapi/linux/if_tun.h and virtio_net.h.
const TUN_F_CSUM = 0x01;
const TUN_F_TSO4 = 0x02;
const TUN_F_TSO6 = 0x04;
const TUN_F_USO4 = 0x20;
const TUN_F_USO6 = 0x40;
/** struct virtio_net_hdr (TUNSETVNETHDRSZ 10). */
const VNET_HDR_LEN = 10;
const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
const VIRTIO_NET_HDR_GSO_ECN = 0x80;
const TCP_CHECK_OFFSET = 16;

/** Which offloads a device has (`ethtool -k` from usernet's side of the device). */
export interface TunOffload {
  /** IFF_VNET_HDR: every packet carries a virtio-net header. */
  vnetHdr: boolean;
  /** TUN_F_CSUM: checksums may be partial both ways. */
  csum: boolean;
  /** TUN_F_TSO4 / TUN_F_TSO6: TCP super-packets of up to 64 KiB both ways. */
  tso4: boolean;
  tso6: boolean;
  /** TUN_F_USO4 / TUN_F_USO6 (Linux 6.2+): the kernel hands over UDP super-datagrams (a sender's
   * UDP_SEGMENT), cut here into the datagrams they stand for. */
  uso4: boolean;
  uso6: boolean;
}

export interface TunOptions {
  /** 3: TUN, bare IPv4/IPv6 packets; 2: TAP, Ethernet frames. */
  layer: LinkLayer;
  /** Sets the device's MTU in the kernel (SIOCSIFMTU); default: leave it (1500 for a new device). */
  mtu?: number;
  /**
   * The virtio-net header with checksum and TCP segmentation offload both ways (default true);
   * false: bare packets, every one a real frame with its checksums computed.
   */
  vnetHdr?: boolean;
  /**
   * Who reads the device: 'thread' (default), a reader thread of the addon that reads ahead while
   * JavaScript works and hands batches over (two wake-ups per batch: the thread's and the event
   * loop's); 'poll', this thread's event loop reads the device when it is readable (one wake-up
   * per batch, no second thread). bench/tun.bench.ts measures both: on this project's loaded
   * 2-core machine the reader thread moved 1.5-2x the bytes per second, with fewer, larger
   * batches and fewer ACKs for the same data.
   */
  reader?: 'poll' | 'thread';
}

/**
 * Counters, like `ip -s link` from the device's side (rx: read from the kernel). Packets and bytes
 * are those of real frames: a TCP super-packet counts as the segments it stands for, as the
 * interface's own counters do.
 */
export interface TunStats {
  rxPackets: number;
  rxBytes: number;
  /** Read but not delivered: nothing plugged in (`onFrame` null) or closed meanwhile. */
  rxDrops: number;
  /** Batches the reader thread handed over (rxPackets / rxBatches = packets per wake-up). */
  rxBatches: number;
  txPackets: number;
  txBytes: number;
  /** Not written: device closed, queue full, or the kernel pushed back (EAGAIN/ENOBUFS). */
  txDrops: number;
  /** Refused by the kernel (e.g. EINVAL for a packet that is not IP on a TUN, EIO while down). */
  txErrors: number;
  /** Super-packets read (TCP, kept whole; UDP, cut into datagrams here). */
  rxGso: number;
  /** TCP super-packets written (each counted once in txPackets). */
  txGso: number;
}

/** A TUN/TAP error with the reason spelled out; `code` is an errno name or ERR_USERNET_TUN_*. */
export class TunError extends Error {
  readonly code: string;
  readonly errno?: number;
  readonly syscall?: string;
  constructor(message: string, code: string, cause?: NativeError) {
    super(message, cause ? { cause } : undefined);
    this.name = 'TunError';
    this.code = code;
    if (cause?.errno !== undefined) this.errno = cause.errno;
    if (cause?.syscall !== undefined) this.syscall = cause.syscall;
  }
}

const ADDON_PATH = fileURLToPath(new URL('../../native/tun/build/Release/tun.node', import.meta.url));
let addon: TunAddon | null = null;
let addonError: TunError | null = null;

/** Loads the addon once; throws a TunError saying why it is not there. */
function loadAddon(): TunAddon {
  if (addon) return addon;
  if (addonError) throw addonError;
  if (process.platform !== 'linux') {
    addonError = new TunError(`TUN/TAP devices need Linux (this is ${process.platform})`, 'ERR_USERNET_TUN_UNSUPPORTED');
    throw addonError;
  }
  if (!existsSync(ADDON_PATH)) {
    addonError = new TunError(
      `the TUN/TAP addon is not built (${ADDON_PATH} is missing): run \`npm run build:native\` in the usernet folder ` +
      '(it needs a C compiler, make, python3 and Node\'s headers)', 'ERR_USERNET_TUN_ADDON');
    throw addonError;
  }
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as TunAddon;
  } catch (e) {
    addonError = new TunError(`the TUN/TAP addon at ${ADDON_PATH} does not load (${(e as Error).message}): ` +
      'rebuild it with `npm run build:native`', 'ERR_USERNET_TUN_ADDON', e as NativeError);
    throw addonError;
  }
  return addon;
}

/** Why opening a device failed, in words. */
function explain(e: NativeError, name: string, layer: LinkLayer): TunError {
  const kind = layer === 3 ? 'TUN' : 'TAP';
  const code = e.code ?? 'EUNKNOWN';
  let why: string;
  if (e.syscall === 'open') {
    switch (code) {
      case 'ENOENT': case 'ENODEV': case 'ENXIO':
        why = 'no /dev/net/tun on this machine: load the tun module (`modprobe tun`) or, in a container, pass the device in (`--device /dev/net/tun`)';
        break;
      case 'EACCES': case 'EPERM':
        why = 'permission denied opening /dev/net/tun: it needs root, or read/write access to /dev/net/tun (often mode 0666) and CAP_NET_ADMIN';
        break;
      default: why = `cannot open /dev/net/tun: ${e.message}`;
    }
  } else if (e.syscall === 'ioctl' && /TUNSETIFF/.test(e.message)) {
    switch (code) {
      case 'EPERM': case 'EACCES':
        why = `no CAP_NET_ADMIN: creating ${kind} device ${name} needs root or CAP_NET_ADMIN (e.g. inside \`unshare -rn\`)`;
        break;
      case 'EBUSY': why = `${name} is already open in another process (a ${kind} device has one reader)`; break;
      case 'EINVAL': why = `${name} exists and is not a ${kind} device, or the name is not valid`; break;
      default: why = `cannot create ${kind} device ${name}: ${e.message}`;
    }
  } else if (e.syscall === 'ioctl' && /SIOCSIFMTU/.test(e.message)) {
    why = `cannot set the MTU of ${name}: ${e.message}`;
  } else {
    why = e.message;
  }
  return new TunError(why, code, e);
}

const SEND_QUEUE_LIMIT = 4096;

/**
 * An open TUN or TAP device, usable as a Port. Events: 'error' (a read failed; the device is
 * closed afterwards), 'close'. While open and ref'd (the default) it keeps the process alive.
 */
export class TunDevice extends EventEmitter implements Port {
  readonly layer: LinkLayer;
  /** The MTU this port was opened with (the kernel's device MTU when set through openTun). */
  readonly mtu: number;
  /** The device's name as the kernel gave it ('tun0' for 'tun%d'). */
  readonly name: string;
  /** The device's file descriptor (owned by the addon: never close it yourself). */
  readonly fd: number;
  onFrame: ((frame: Uint8Array, gso?: number) => void) | null = null;
  readonly stats: TunStats = { rxPackets: 0, rxBytes: 0, rxDrops: 0, rxBatches: 0, txPackets: 0, txBytes: 0, txDrops: 0, txErrors: 0, rxGso: 0, txGso: 0 };
  /** What the kernel agreed to (TUNSETOFFLOAD). */
  readonly offload: TunOffload;
  /** Port: TCP super-frames go to the device whole (the kernel took TSO for IPv4 or IPv6). */
  readonly gso: boolean;
  private readonly native: TunAddon;
  private readonly handle: object;
  private readonly vnet: boolean;
  private queue: Uint8Array[] = [];
  private spare: Uint8Array[] = [];
  /** Segment size of each queued frame (0: an ordinary frame). */
  private queueGso: number[] = [];
  /** virtio_net_hdrs of a batch, one per queued frame. */
  private hdrs = new Uint8Array(64 * VNET_HDR_LEN);
  private flushPending = false;
  private readonly result = new Int32Array(4);
  private isClosed = false;

  /** @internal use openTun() */
  constructor(native: TunAddon, opened: Opened, layer: LinkLayer, mtu: number, reader: 'poll' | 'thread' = 'thread') {
    super();
    this.native = native;
    this.handle = opened.handle;
    this.fd = opened.fd;
    this.name = opened.name;
    this.layer = layer;
    this.mtu = mtu;
    const f = opened.offload ?? 0;
    this.vnet = opened.vnetHdr === true;
    this.offload = {
      vnetHdr: this.vnet, csum: (f & TUN_F_CSUM) !== 0, tso4: (f & TUN_F_TSO4) !== 0, tso6: (f & TUN_F_TSO6) !== 0,
      uso4: (f & TUN_F_USO4) !== 0, uso6: (f & TUN_F_USO6) !== 0,
    };
    this.gso = this.offload.tso4 || this.offload.tso6;
    native.start(this.handle, this.onBatch, reader === 'thread');
  }

  get closed(): boolean { return this.isClosed; }

  private onBatch = (err: NativeError | null, buf: Buffer, lens: Uint32Array, count: number): void => {
    let off = 0;
    const st = this.stats;
    st.rxBatches++;
    const vnet = this.vnet;
    for (let i = 0; i < count; i++) {
      const len = lens[i]!;
      const at = off;
      off += len;
      st.rxPackets++;
      const deliver = this.onFrame;
      if (!vnet) {
        st.rxBytes += len;
        if (deliver === null || this.isClosed) { st.rxDrops++; continue; }
        deliver(buf.subarray(at, at + len));
        continue;
      }
      if (len < VNET_HDR_LEN) { st.rxDrops++; continue; }
      const frame = buf.subarray(at + VNET_HDR_LEN, at + len);
      const type = buf[at + 1]! & ~VIRTIO_NET_HDR_GSO_ECN;
      if (type === 0) {
        st.rxBytes += len - VNET_HDR_LEN;
        if (deliver === null || this.isClosed) { st.rxDrops++; continue; }
        deliver(frame);
        continue;
      }
      // A TCP super-packet (Linux virtio_net_hdr_from_skb): handed up whole, like a GRO'd one;
      // its TCP checksum is partial and needs no check.
      const gso = buf[at + 4]! | (buf[at + 5]! << 8);
      if ((type === VIRTIO_NET_HDR_GSO_TCPV4 || type === VIRTIO_NET_HDR_GSO_TCPV6) && gso > 0) {
        const l3 = this.layer === 2 ? 14 : 0;
        st.rxPackets += gsoSegmentCount(frame, l3, gso) - 1;
        st.rxBytes += gsoWireBytes(frame, l3, gso);
        st.rxGso++;
        if (deliver === null || this.isClosed) { st.rxDrops++; continue; }
        deliver(frame, gso);
        continue;
      }
      if (type === VIRTIO_NET_HDR_GSO_UDP_L4 && gso > 0) {
        // A UDP super-datagram (USO): usernet's UDP has no GRO of its own, so it gets the datagrams.
        const segs = segmentUdp(frame, this.layer === 2 ? 14 : 0, gso);
        st.rxGso++;
        if (segs.length === 0) { st.rxBytes += len - VNET_HDR_LEN; st.rxDrops++; continue; }
        st.rxPackets += segs.length - 1;
        for (const seg of segs) st.rxBytes += seg.length;
        if (deliver === null || this.isClosed) { st.rxDrops += segs.length; continue; }
        for (const seg of segs) deliver(seg);
        continue;
      }
      st.rxBytes += len - VNET_HDR_LEN;
      st.rxDrops++; // UFO (gso_type UDP) or unknown: never asked for
    }
    if (err && !this.isClosed) {
      this.close();
      this.emit('error', new TunError(`reading ${this.name}: ${err.message}`, err.code ?? 'EIO', err));
    }
  };

  /** Queues a frame; every frame queued in this macrotask is written in one batch. */
  send(frame: Uint8Array, gso?: number): void {
    if (this.isClosed || this.queue.length >= SEND_QUEUE_LIMIT) { this.stats.txDrops++; return; }
    if (gso !== undefined && gso > 0 && !this.tsoFor(frame)) {
      // The kernel took TSO for the other family only: cut this one here.
      const segs = segmentTcp(frame, this.layer === 2 ? 14 : 0, gso);
      if (segs.length === 0) this.stats.txDrops++;
      for (const seg of segs) this.send(seg);
      return;
    }
    this.queue.push(frame);
    if (this.vnet) this.queueGso.push(gso !== undefined && gso > 0 ? gso : 0);
    if (!this.flushPending) {
      this.flushPending = true;
      machine.setImmediate(this.flush);
    }
  }

  /** Whether the kernel takes TCP super-packets of this frame's IP version. */
  private tsoFor(frame: Uint8Array): boolean {
    const l3 = this.layer === 2 ? 14 : 0;
    return frame.length > l3 && (frame[l3]! >>> 4 === 6 ? this.offload.tso6 : this.offload.tso4);
  }

  /**
   * The virtio_net_hdr of each queued frame (little-endian, Linux virtio_net_hdr_to_skb): zero
   * for an ordinary frame (its checksums are complete); for a TCP super-frame NEEDS_CSUM from the
   * TCP header on (its checksum holds the pseudo-header sum over the whole length, as Linux's
   * own CHECKSUM_PARTIAL TSO packets), gso_type TCPV4/TCPV6, gso_size, hdr_len the headers.
   */
  private fillHeaders(q: Uint8Array[], n: number): Uint8Array {
    if (this.hdrs.length < n * VNET_HDR_LEN) this.hdrs = new Uint8Array(Math.max(n, 2 * this.hdrs.length / VNET_HDR_LEN) * VNET_HDR_LEN);
    const h = this.hdrs;
    h.fill(0, 0, n * VNET_HDR_LEN);
    const gsos = this.queueGso;
    const l3 = this.layer === 2 ? 14 : 0;
    for (let i = 0; i < n; i++) {
      const gso = gsos[i]!;
      if (gso === 0) continue;
      const f = q[i]!;
      const v6 = f[l3]! >>> 4 === 6;
      const tcp = l3 + (v6 ? 40 : (f[l3]! & 0x0f) << 2);
      const hdrLen = tcp + ((f[tcp + 12]! >>> 4) << 2);
      const o = i * VNET_HDR_LEN;
      h[o] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
      h[o + 1] = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
      h[o + 2] = hdrLen & 0xff;
      h[o + 3] = hdrLen >>> 8;
      h[o + 4] = gso & 0xff;
      h[o + 5] = gso >>> 8;
      h[o + 6] = tcp & 0xff;
      h[o + 7] = tcp >>> 8;
      h[o + 8] = TCP_CHECK_OFFSET;
    }
    return h;
  }

  private flush = (): void => {
    this.flushPending = false;
    const q = this.queue;
    const n = q.length;
    if (n === 0) return;
    this.queue = this.spare;
    this.spare = q;
    const st = this.stats;
    if (this.isClosed) { st.txDrops += n; q.length = 0; this.queueGso.length = 0; return; }
    const res = this.result;
    let ok: number;
    if (this.vnet) {
      const h = this.fillHeaders(q, n);
      ok = this.native.write(this.handle, q, n, res, h);
      const gsos = this.queueGso;
      const tried = res[2]!;
      const l3 = this.layer === 2 ? 14 : 0;
      for (let i = 0; i < tried; i++) {
        const g = gsos[i]!;
        if (g === 0) continue;
        // Counted as the segments the kernel cuts it into (assuming it took them: a refused
        // super-packet is as rare as any refused write).
        st.txGso++;
        st.txPackets += gsoSegmentCount(q[i]!, l3, g) - 1;
        st.txBytes += gsoWireBytes(q[i]!, l3, g) - q[i]!.length;
      }
      gsos.length = 0;
    } else {
      ok = this.native.write(this.handle, q, n, res);
    }
    const tried = res[2]!;
    st.txPackets += ok;
    st.txErrors += tried - ok;
    st.txDrops += n - tried;
    st.txBytes += res[3]!;
    q.length = 0;
  };

  /** Unplugs the port: closes the device (a non-persistent device disappears from the kernel). */
  detach(): void { this.close(); }

  /** Closes the device now; frames queued and not yet written are dropped. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.onFrame = null;
    this.native.close(this.handle);
    this.stats.txDrops += this.queue.length;
    this.queue.length = 0;
    this.queueGso.length = 0;
    queueMicrotask(() => this.emit('close'));
  }

  /** Lets the process exit while the device is open (like `socket.unref()`). */
  unref(): this { if (!this.isClosed) this.native.unref(this.handle); return this; }
  ref(): this { if (!this.isClosed) this.native.ref(this.handle); return this; }
}

/**
 * Opens (creating if needed) the TUN (`layer: 3`) or TAP (`layer: 2`) device `name`
 * ('tun%d' lets the kernel choose the number). Throws a TunError that says why when it cannot:
 * not Linux, the addon not built, no /dev/net/tun, no CAP_NET_ADMIN, the device busy.
 */
export function openTun(name: string, opts: TunOptions): TunDevice {
  if (typeof name !== 'string' || name.length === 0 || name.length > 15) {
    throw new TypeError(`openTun: the device name must be 1 to 15 characters, got ${JSON.stringify(name)}`);
  }
  const layer = opts?.layer;
  if (layer !== 2 && layer !== 3) throw new TypeError(`openTun: layer must be 3 (TUN) or 2 (TAP), got ${String(layer)}`);
  const mtu = opts.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new RangeError(`openTun: mtu must be an integer in 68..65535, got ${mtu}`);
  const vnetHdr = opts.vnetHdr ?? true;
  const reader = opts.reader ?? 'thread';
  if (reader !== 'poll' && reader !== 'thread') throw new TypeError(`openTun: reader must be 'poll' or 'thread', got ${String(reader)}`);
  if (typeof vnetHdr !== 'boolean') throw new TypeError(`openTun: vnetHdr must be a boolean, got ${String(vnetHdr)}`);
  const native = loadAddon();
  let opened: Opened;
  try {
    opened = native.open(name, layer === 2, false, vnetHdr ? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6 : -1);
  } catch (e) {
    throw explain(e as NativeError, name, layer);
  }
  if (opts.mtu !== undefined) {
    try {
      native.setMtu(opened.name, mtu);
    } catch (e) {
      native.close(opened.handle);
      throw explain(e as NativeError, opened.name, layer);
    }
  }
  try {
    return new TunDevice(native, opened, layer, mtu, reader);
  } catch (e) {
    native.close(opened.handle);
    throw explain(e as NativeError, opened.name, layer);
  }
}

/**
 * Whether openTun can work here, without opening anything: `null` when it may (it can still fail
 * with EPERM or EBUSY), else the reason in words. For tests that skip with one line.
 */
export function tunUnavailable(): string | null {
  try {
    loadAddon();
  } catch (e) {
    return (e as Error).message;
  }
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun on this machine';
  return null;
}

/** @internal The addon, for bench/tun-raw.ts's comparison of read strategies. */
export function tunAddonForBench(): TunAddon { return loadAddon(); }
