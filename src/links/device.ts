// An in-process TUN/TAP device: a Port whose other end is JavaScript code rather than a wire.
// What the host sends comes out as 'packet' events (bare IP packets on a layer-3 device,
// Ethernet frames on a layer-2 one); `write(bytes)` hands bytes to the host as if they had
// arrived on the wire. For tests that play the peer by hand and for custom drivers.
//
// Both directions go through the network's scheduler, each packet as its own event at the
// current time, as a cable with no latency delivers: the host's kernel never runs inside a
// 'packet' listener, and a listener that writes back does not re-enter the kernel.

import { EventEmitter } from 'node:events';
import type { Scheduler } from './clock.js';
import type { LinkLayer, Port } from './port.js';

export interface DeviceStats {
  /** Packets the host sent, emitted as 'packet'. */
  packetsOut: number;
  bytesOut: number;
  /** Packets written into the host. */
  packetsIn: number;
  bytesIn: number;
  /** Written after close, or to a device whose host side is unplugged; or sent after close. */
  drops: number;
}

export interface DeviceEvents {
  packet: [packet: Uint8Array];
  close: [];
}

export class Device extends EventEmitter<DeviceEvents> implements Port {
  readonly layer: LinkLayer;
  readonly mtu: number;
  readonly name: string;
  /** Set by the host's interface: where written packets go. */
  onFrame: ((frame: Uint8Array) => void) | null = null;
  readonly stats: DeviceStats = { packetsOut: 0, bytesOut: 0, packetsIn: 0, bytesIn: 0, drops: 0 };
  private readonly sched: Scheduler;
  private isClosed = false;

  constructor(name: string, opts: { layer: LinkLayer; mtu: number; sched: Scheduler }) {
    super();
    if (opts.layer !== 2 && opts.layer !== 3) throw new TypeError(`Device ${name}: layer must be 3 (TUN) or 2 (TAP), got ${String(opts.layer)}`);
    this.name = name;
    this.layer = opts.layer;
    this.mtu = opts.mtu;
    this.sched = opts.sched;
  }

  get closed(): boolean { return this.isClosed; }

  /** The host sends a packet: it is emitted as 'packet' from a scheduler event. */
  send(frame: Uint8Array): void {
    if (this.isClosed) { this.stats.drops++; return; }
    this.sched.at(this.sched.now(), () => {
      if (this.isClosed) { this.stats.drops++; return; }
      this.stats.packetsOut++;
      this.stats.bytesOut += frame.length;
      this.emit('packet', frame);
    });
  }

  /**
   * Injects a packet (layer 3: an IPv4/IPv6 packet; layer 2: an Ethernet frame) into the host.
   * The bytes are copied, so the caller may reuse its buffer. Returns false when the device is
   * closed (the packet is dropped).
   */
  write(bytes: Uint8Array): boolean {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`Device ${this.name}.write: expected a Uint8Array or Buffer`);
    if (this.isClosed) { this.stats.drops++; return false; }
    const copy = bytes.slice();
    this.sched.at(this.sched.now(), () => {
      const h = this.onFrame;
      if (this.isClosed || h === null) { this.stats.drops++; return; }
      this.stats.packetsIn++;
      this.stats.bytesIn += copy.length;
      h(copy);
    });
    return true;
  }

  /** Unplugs the device from the host: nothing is emitted or delivered afterwards. */
  detach(): void { this.close(); }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.onFrame = null;
    this.sched.at(this.sched.now(), () => { this.emit('close'); });
  }
}
