// A point-to-point cable between two Ports: end 0 ('a') and end 1 ('b').
//
// A frame sent on one end reaches the other end's onFrame through a Scheduler event: at once on
// a plain cable, after bits / rate on a cable with a rate (back-to-back frames queue behind each
// other), plus whatever impairments are set on that direction. Each direction is its own lane, so
// the two directions never wait for each other (full duplex).
//
// The sending end refuses frames larger than the MTU allows (mtu + 14 on layer 2, 18 with an
// 802.1Q tag; mtu on layer 3), as a NIC would; they are counted as `oversize`. A detached end
// neither sends nor receives: its frames are counted as `unplugged`.
// Taps see each frame once, when the sending end puts it on the cable (before impairments, so a
// capture shows what was sent, lost frames included), stamped with the network time of that moment.
// A TCP super-frame (gso > 0, src/wire/gso.ts) crosses a plain cable whole; with a tap, a rate or
// an impairment it is cut into real frames first, so captures and faults only ever see those.

import type { Scheduler } from './clock.js';
import type { Random } from './random.js';
import type { FrameTap, LinkLayer, Port, Tappable } from './port.js';
import { parseRate } from './rate.js';
import { type ImpairOptions, type ImpairSettings, parseImpairOptions } from './impair.js';
import { Lane, type LaneStats, checkMtu, fitsMtu } from './lane.js';
import { TapList } from './taps.js';
import { gsoFitsMtu, gsoSegmentCount, segmentTcp } from '../wire/gso.js';

export interface CableOptions {
  /** Largest IP packet the cable carries (default 1500). */
  mtu?: number;
  /** The cable's speed: bit/s or a tc rate string ('100mbit'); default: frames take no time. */
  rate?: number | string;
  /** 2: Ethernet frames (default); 3: bare IP packets (a TUN-like point-to-point link). */
  layer?: LinkLayer;
}

export type CableDirection = 'both' | 'a->b' | 'b->a';

export interface CableStats {
  /** Frames sent from end a to end b. */
  'a->b': LaneStats;
  /** Frames sent from end b to end a. */
  'b->a': LaneStats;
}

/** One end of a cable: what an interface plugs into. */
export class CableEnd implements Port {
  readonly gso = true;
  onFrame: ((frame: Uint8Array, gso?: number) => void) | null = null;
  /** False after detach(): frames from or to this end are dropped. */
  attached = true;

  constructor(private readonly cable: Cable, readonly index: 0 | 1, readonly name: string,
              readonly layer: LinkLayer, readonly mtu: number) {}

  send(frame: Uint8Array, gso = 0): void { this.cable._send(this.index, frame, gso); }

  detach(): void { this.attached = false; }

  /** Plugs this end back in (a host restarting on the same cable). */
  attach(): void { this.attached = true; }
}

export class Cable implements Tappable {
  readonly ends: [CableEnd, CableEnd];
  readonly mtu: number;
  readonly layer: LinkLayer;
  /** The cable's speed in bit/s; 0 when frames take no time. */
  readonly rate: number;
  private readonly lanes: [Lane, Lane];
  private readonly taps = new TapList();

  constructor(readonly name: string, private readonly sched: Scheduler, random: Random, opts: CableOptions = {}) {
    this.mtu = opts.mtu === undefined ? 1500 : checkMtu(opts.mtu, `cable ${name}`);
    const layer = opts.layer ?? 2;
    if (layer !== 2 && layer !== 3) throw new RangeError(`cable ${name}: layer must be 2 or 3, got ${String(layer)}`);
    this.layer = layer;
    this.rate = opts.rate === undefined ? 0 : parseRate(opts.rate, `cable ${name}: rate`);
    this.ends = [new CableEnd(this, 0, `${name}:a`, layer, this.mtu), new CableEnd(this, 1, `${name}:b`, layer, this.mtu)];
    const [a, b] = this.ends;
    this.lanes = [
      new Lane(sched, random, this.rate, (f, gso) => deliver(b, f, gso), layer),
      new Lane(sched, random, this.rate, (f, gso) => deliver(a, f, gso), layer),
    ];
  }

  get captureName(): string { return this.name; }

  addTap(tap: FrameTap): () => void { return this.taps.add(tap); }

  /**
   * Sets the impairments of one direction or both ('a->b' is what end a sends). Replaces what was
   * set before; null or {} clears. Throws a RangeError on a bad option and then changes nothing.
   */
  impair(opts: ImpairOptions | null, direction: CableDirection = 'both'): void {
    const s = parseImpairOptions(opts);
    if (direction !== 'both' && direction !== 'a->b' && direction !== 'b->a') {
      throw new RangeError(`cable ${this.name}: direction must be 'both', 'a->b' or 'b->a', got ${String(direction)}`);
    }
    if (direction !== 'b->a') this.lanes[0].impairment.setParsed(s);
    if (direction !== 'a->b') this.lanes[1].impairment.setParsed(s);
  }

  /** The impairments set on a direction (null: none). */
  impairment(direction: 'a->b' | 'b->a'): ImpairSettings | null {
    return this.lanes[direction === 'a->b' ? 0 : 1].impairment.settings;
  }

  stats(): CableStats {
    return { 'a->b': this.lanes[0].stats(), 'b->a': this.lanes[1].stats() };
  }

  /** @internal CableEnd.send */
  _send(from: 0 | 1, frame: Uint8Array, gso = 0): void {
    const lane = this.lanes[from];
    const l3 = this.layer === 2 ? 14 : 0;
    if (!this.ends[from].attached) { lane.unplugged += gso > 0 ? gsoSegmentCount(frame, l3, gso) : 1; return; }
    if (gso > 0) {
      if (!gsoFitsMtu(frame, l3, gso, this.mtu)) { lane.oversize++; return; }
      if (this.taps.list.length === 0) { lane.send(frame, gso); return; }
      // A capture shows the frames a NIC would have put on the wire.
      const segs = segmentTcp(frame, l3, gso);
      if (segs.length === 0) { lane.oversize++; return; }
      for (let i = 0; i < segs.length; i++) this._send(from, segs[i]!, 0);
      return;
    }
    if (!fitsMtu(frame, this.layer, this.mtu)) { lane.oversize++; return; }
    const taps = this.taps.list;
    if (taps.length !== 0) {
      const now = this.sched.now();
      for (let i = 0; i < taps.length; i++) taps[i]!(frame, now, this.layer);
    }
    lane.send(frame);
  }
}

function deliver(end: CableEnd, frame: Uint8Array, gso: number): boolean {
  const h = end.onFrame;
  if (!end.attached || h === null) return false;
  h(frame, gso);
  return true;
}
