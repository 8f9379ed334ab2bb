// The loopback interface `lo` (ifindex 1, 127.0.0.1/8 and ::1, MTU 65536 as on Linux).
// A packet sent on it comes back into the same host through one Scheduler event, never
// synchronously inside the sender's call, in the order sent. Multicast and broadcast that the
// host loops back to itself (IP_MULTICAST_LOOP) travel the same way but arrive as if received
// on the interface they were sent out of, as Linux's dev_loopback_xmit does.

import type { Kernel } from './kernel.js';
import { Interface, NO_MAC } from './interface.js';

/** Linux: the loopback device's MTU (drivers/net/loopback.c, 64 KiB). */
export const LOOPBACK_MTU = 65536;

export class Loopback extends Interface {
  private packets: Uint8Array[] = [];
  private arrival: Interface[] = [];
  private head = 0;
  private readonly deliverOne: () => void;

  constructor(kernel: Kernel) {
    super(kernel, 'lo', 1, 3, LOOPBACK_MTU, NO_MAC, null);
    this.deliverOne = () => this.next();
  }

  /** An IP packet for this host: delivered on lo in a later Scheduler event. */
  override transmit(packet: Uint8Array): number {
    if (!this.up) {
      this.stats.txDropped++;
      return 0;
    }
    this.stats.txPackets++;
    this.stats.txBytes += packet.length;
    const taps = this.taps.list;
    if (taps.length !== 0) {
      const now = this.kernel.sched.now();
      for (let i = 0; i < taps.length; i++) taps[i]!(packet, now, 3);
    }
    this.enqueue(packet, this);
    return 0;
  }

  /** Loops a multicast/broadcast packet the host sent on `via` back to itself (received on `via`). */
  loop(packet: Uint8Array, via: Interface): void {
    this.enqueue(packet, via);
  }

  /** Forgets queued packets (host crash). */
  flush(): void {
    this.packets = [];
    this.arrival = [];
    this.head = 0;
  }

  private enqueue(packet: Uint8Array, via: Interface): void {
    this.packets.push(packet);
    this.arrival.push(via);
    this.kernel.sched.after(0, this.deliverOne);
  }

  private next(): void {
    const i = this.head;
    if (i >= this.packets.length) return; // flushed by a crash
    const packet = this.packets[i]!;
    const via = this.arrival[i]!;
    this.head = i + 1;
    if (this.head === this.packets.length) {
      this.packets = [];
      this.arrival = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.packets = this.packets.slice(this.head);
      this.arrival = this.arrival.slice(this.head);
      this.head = 0;
    }
    if (via === this) {
      this.stats.rxPackets++;
      this.stats.rxBytes += packet.length;
    }
    const k = this.kernel;
    const v = packet[0]! >>> 4;
    if (v === 4) k.ipv4.input(via, packet, via !== this);
    else k.ipv6.input(via, packet, via !== this);
  }
}
