// A learning Ethernet switch (transparent bridging as in IEEE 802.1D/802.1Q; one VLAN, no spanning tree).
//
// Every port is a layer-2 Port. A frame entering a port teaches the switch that its source MAC
// lives behind that port; then a frame to a known unicast MAC goes out of that port only, and a
// broadcast, multicast or unknown unicast frame floods out of every other attached port. No frame
// ever goes back out of the port it came in on (a frame for a MAC learned on its own ingress port
// is filtered). Learned entries age out 300 s after the MAC was last seen as a source, checked
// lazily when an entry is used (no periodic timer).
//
// Timing: with no rate, a frame is switched the moment it is sent and delivered through one
// Scheduler event per egress port. With a rate, the switch stores and forwards: the frame first
// crosses the sender's port link (bits / rate, queued behind the sender's earlier frames), is
// switched when it has fully arrived, then crosses each egress port link, queued behind other
// frames to that port. Impairments apply on every egress port, independently for each copy.
//
// A flooded frame gives its original bytes to one egress port and a copy to each other one, so no
// two receivers share a buffer. Consecutive ports whose plain links (no rate, no impairment) end
// at host interfaces get it through one event for the run (FloodBatch), in port order, and a
// host whose arrival would change only counters (RxFilter.absorbs: a broadcast ARP request for
// another host) costs no copy. A multicast frame that a port's device filters out by address
// (Port.rxFilter: a NIC's multicast filter) is counted there at once, with no event and no copy,
// when nothing (rate, impairment, capture, partition) could tell the difference; which ports
// those are is remembered per group until a port's device, state or filter changes, so such a
// flood costs no visit to each port. Taps see each frame once, when it is sent into the switch.
// A TCP super-frame (gso > 0, src/wire/gso.ts) is switched whole; with a tap or a rate it is cut
// into real frames as it enters, and an impaired egress port cuts it before its faults apply.

import type { Scheduler } from './clock.js';
import type { Random } from './random.js';
import type { FrameTap, Port, RxFilter, Tappable } from './port.js';
import { parseRate } from './rate.js';
import { type ImpairOptions, type ImpairSettings, parseImpairOptions } from './impair.js';
import { Lane, type LaneStats, addLaneStats, checkMtu, emptyLaneStats, fitsMtu } from './lane.js';
import { TapList } from './taps.js';
import { gsoFitsMtu, gsoSegmentCount, gsoWireBytes, segmentTcp } from '../wire/gso.js';

export interface SwitchOptions {
  /** Largest IP packet on this segment (default 1500). */
  mtu?: number;
  /** Speed of every port link: bit/s or a tc rate string ('1gbit'); default: frames take no time. */
  rate?: number | string;
}

// IEEE 802.1Q §8.8.3 (Table 8-3): the recommended default ageing time of learned entries is 300 s.
export const MAC_AGEING_MS = 300_000;

/** Frames shorter than an Ethernet header. */
const ETH_HEADER = 14;

/** ff:ff:ff:ff:ff:ff as macKey() gives it. */
const BROADCAST = 0xffffffffffff;

/** What a port has sent into the switch. */
export interface SwitchIngressStats {
  frames: number;
  bytes: number;
  /** oversize + runt + unplugged + overLimit */
  dropped: number;
  /** Refused: larger than the MTU allows. */
  oversize: number;
  /** Refused: shorter than an Ethernet header. */
  runt: number;
  /** Sent while the port was detached. */
  unplugged: number;
  /** Dropped at the port link's queue (with a rate): `limit` frames were already waiting. */
  overLimit: number;
}

export interface SwitchPortStats {
  name: string;
  attached: boolean;
  /** Frames from the port's device into the switch. */
  in: SwitchIngressStats;
  /** Frames from the switch out to the port's device. */
  out: LaneStats;
}

export interface SwitchStats {
  /** Frames that entered the switch (accepted by a port). */
  frames: number;
  bytes: number;
  /** Frames sent out of their one known port. */
  forwarded: number;
  /** Broadcast, multicast and unknown-unicast frames sent out of every other port. */
  flooded: number;
  /** Frames for a MAC learned on their own ingress port: not sent anywhere (not counted as dropped). */
  filtered: number;
  /** Frames (and flood copies) handed to devices. */
  delivered: number;
  /** Everything dropped, in or out: the sum of the counters below. */
  dropped: number;
  oversize: number;
  runt: number;
  lost: number;
  overLimit: number;
  unplugged: number;
  duplicated: number;
  corrupted: number;
  reordered: number;
  /** Live MAC table entries. */
  macs: number;
  ports: SwitchPortStats[];
}

interface MacEntry {
  port: SwitchPort;
  /** When the MAC was last seen as a source. */
  time: number;
}

/** One port of a switch: what an interface plugs into. */
export class SwitchPort implements Port {
  readonly layer = 2 as const;
  readonly gso = true;
  private _onFrame: ((frame: Uint8Array, gso?: number) => void) | null = null;
  private _rxFilter: RxFilter | null = null;
  private _attached = true;
  /** @internal This port's place in its switch's port list. */
  slot = 0;
  /** @internal ingress counters */ inFrames = 0;
  /** @internal */ inBytes = 0;
  /** @internal */ inOversize = 0;
  /** @internal */ inRunt = 0;
  /** @internal */ inUnplugged = 0;
  /** @internal The port link into the switch, when ports have a rate. */
  readonly inLane: Lane | null;
  /** @internal The port link out of the switch. */
  readonly outLane: Lane;


  /** `name` is `<switch>:<label>`; `label` is what connect() was given. */
  constructor(private readonly sw: Switch, readonly label: string, readonly name: string, readonly mtu: number,
              sched: Scheduler, random: Random, rate: number) {
    this.inLane = rate > 0 ? new Lane(sched, random, rate, (f) => { sw._forward(this, f, 0); return true; }) : null;
    this.outLane = new Lane(sched, random, rate, (f, gso) => {
      const h = this.onFrame;
      if (!this.attached || h === null) return false;
      h(f, gso);
      return true;
    });
  }

  /** Set by the device plugged in: where the switch hands its frames. */
  get onFrame(): ((frame: Uint8Array, gso?: number) => void) | null { return this._onFrame; }
  set onFrame(h: ((frame: Uint8Array, gso?: number) => void) | null) {
    this._onFrame = h;
    this.sw._filterChanged();
  }

  /** Set by the device plugged in: its address filter (Port.rxFilter). */
  get rxFilter(): RxFilter | null { return this._rxFilter; }
  set rxFilter(f: RxFilter | null) {
    this._rxFilter = f;
    this.sw._filterChanged();
  }

  /** False after detach(): frames from or to this port are dropped. */
  get attached(): boolean { return this._attached; }

  /** Port.filterChanged: the device's RxFilter may answer differently now. */
  filterChanged(): void { this.sw._filterChanged(); }

  send(frame: Uint8Array, gso = 0): void { this.sw._ingress(this, frame, gso); }

  /** Unplugs the port; the switch forgets the MACs it learned here (link down flushes them). */
  detach(): void {
    if (!this._attached) return;
    this._attached = false;
    this.sw._flushPort(this);
    this.sw._filterChanged();
  }

  /** Plugs the port back in. */
  attach(): void {
    this._attached = true;
    this.sw._filterChanged();
  }
}

/**
 * What a switch remembers of one multicast group for its floods while no port's filter changes
 * (Switch.filterGen): the attached ports whose device drops the group's frames on arrival
 * (RxFilter.rejectsGroup, through a plain link), and the other attached ports, in port order.
 */
interface GroupFlood {
  gen: number;
  rejecting: SwitchPort[];
  others: SwitchPort[];
}

/** Groups a switch remembers at most (then it starts again). */
const GROUP_CACHE_MAX = 64;

export class Switch implements Tappable {
  readonly layer = 2 as const;
  readonly mtu: number;
  /** Speed of every port link in bit/s; 0 when frames take no time. */
  readonly rate: number;
  private readonly ports: SwitchPort[] = [];
  private readonly table = new Map<number, MacEntry>();
  private lastSweep = 0;
  private settings: ImpairSettings | null = null;
  private readonly taps = new TapList();
  private forwarded = 0;
  private flooded = 0;
  private filtered = 0;
  /** Bumped whenever a port's device, state or filter changes: GroupFlood entries of an older one are stale. */
  private filterGen = 0;
  private readonly groups = new Map<number, GroupFlood>();
  /**
   * Multicast frames each port's device rejected at flood time (by slot), not yet added to the
   * port's out-lane counters: stats() adds them (one array write per port and frame instead of
   * a visit to each lane).
   */
  private rejFrames = new Float64Array(0);
  private rejBytes = new Float64Array(0);

  constructor(readonly name: string, private readonly sched: Scheduler, private readonly random: Random, opts: SwitchOptions = {}) {
    this.mtu = opts.mtu === undefined ? 1500 : checkMtu(opts.mtu, `switch ${name}`);
    this.rate = opts.rate === undefined ? 0 : parseRate(opts.rate, `switch ${name}: rate`);
  }

  get captureName(): string { return this.name; }

  addTap(tap: FrameTap): () => void { return this.taps.add(tap); }

  /**
   * A new port named `<switch>:<name>`. A name may be reused only once its old port is detached
   * (the new port replaces it).
   */
  connect(name: string): SwitchPort {
    if (typeof name !== 'string' || name === '') throw new TypeError(`switch ${this.name}: port name must be a non-empty string`);
    const i = this.ports.findIndex((p) => p.label === name);
    if (i >= 0 && this.ports[i]!.attached) throw new Error(`switch ${this.name}: port '${name}' is already connected`);
    const port = new SwitchPort(this, name, `${this.name}:${name}`, this.mtu, this.sched, this.random, this.rate);
    port.outLane.impairment.setParsed(this.settings);
    if (i >= 0) {
      this.settleRejected(this.ports[i]!);
      this.ports[i] = port;
      port.slot = i;
    } else {
      port.slot = this.ports.length;
      this.ports.push(port);
      if (port.slot >= this.rejFrames.length) {
        const n = Math.max(16, this.rejFrames.length * 2);
        const f = new Float64Array(n); f.set(this.rejFrames); this.rejFrames = f;
        const b = new Float64Array(n); b.set(this.rejBytes); this.rejBytes = b;
      }
    }
    this._filterChanged();
    return port;
  }

  /** Impairs every frame the switch sends out of any port (now and on ports connected later). null or {} clears. */
  impair(opts: ImpairOptions | null): void {
    const s = parseImpairOptions(opts);
    this.settings = s;
    for (const p of this.ports) p.outLane.impairment.setParsed(s);
    this._filterChanged(); // an impaired link is not plain
  }

  /** The impairments set (null: none). */
  impairment(): ImpairSettings | null { return this.settings; }

  /** The live learned MACs, like `bridge fdb show`: MAC, port label, ms since last seen. */
  macTable(): Array<{ mac: string; port: string; ageMs: number }> {
    const now = this.sched.now();
    const out: Array<{ mac: string; port: string; ageMs: number }> = [];
    for (const [key, e] of this.table) {
      const age = now - e.time;
      if (age >= MAC_AGEING_MS) { this.table.delete(key); continue; }
      out.push({ mac: formatMacKey(key), port: e.port.label, ageMs: age });
    }
    return out;
  }

  stats(): SwitchStats {
    let frames = 0, bytes = 0, oversize = 0, runt = 0, unpluggedIn = 0, overLimitIn = 0;
    const outs = emptyLaneStats();
    const ports: SwitchPortStats[] = [];
    for (const p of this.ports) {
      this.settleRejected(p);
      const overLimit = p.inLane === null ? 0 : p.inLane.impairment.overLimit;
      const inStats: SwitchIngressStats = {
        frames: p.inFrames, bytes: p.inBytes,
        dropped: p.inOversize + p.inRunt + p.inUnplugged + overLimit,
        oversize: p.inOversize, runt: p.inRunt, unplugged: p.inUnplugged, overLimit,
      };
      const out = p.outLane.stats();
      ports.push({ name: p.label, attached: p.attached, in: inStats, out });
      frames += p.inFrames; bytes += p.inBytes; oversize += p.inOversize; runt += p.inRunt;
      unpluggedIn += p.inUnplugged; overLimitIn += overLimit;
      addLaneStats(outs, out);
    }
    let macs = 0;
    const now = this.sched.now();
    for (const e of this.table.values()) if (now - e.time < MAC_AGEING_MS) macs++;
    return {
      frames, bytes, forwarded: this.forwarded, flooded: this.flooded, filtered: this.filtered,
      delivered: outs.delivered,
      dropped: oversize + runt + unpluggedIn + overLimitIn + outs.dropped,
      oversize, runt, lost: outs.lost, overLimit: overLimitIn + outs.overLimit,
      unplugged: unpluggedIn + outs.unplugged,
      duplicated: outs.duplicated, corrupted: outs.corrupted, reordered: outs.reordered,
      macs, ports,
    };
  }

  /** @internal SwitchPort.send: a frame from a device enters its port. */
  _ingress(port: SwitchPort, frame: Uint8Array, gso = 0): void {
    if (gso > 0) {
      if (!port.attached) { port.inUnplugged += gsoSegmentCount(frame, ETH_HEADER, gso); return; }
      if (!gsoFitsMtu(frame, ETH_HEADER, gso, this.mtu)) { port.inOversize++; return; }
      if (this.taps.list.length === 0 && port.inLane === null) {
        port.inFrames += gsoSegmentCount(frame, ETH_HEADER, gso);
        port.inBytes += gsoWireBytes(frame, ETH_HEADER, gso);
        this._forward(port, frame, gso);
        return;
      }
      // A capture, or the port link's rate, sees the frames a NIC would have sent.
      const segs = segmentTcp(frame, ETH_HEADER, gso);
      if (segs.length === 0) { port.inOversize++; return; }
      for (let i = 0; i < segs.length; i++) this._ingress(port, segs[i]!, 0);
      return;
    }
    if (!port.attached) { port.inUnplugged++; return; }
    if (frame.length < ETH_HEADER) { port.inRunt++; return; }
    if (!fitsMtu(frame, 2, this.mtu)) { port.inOversize++; return; }
    port.inFrames++;
    port.inBytes += frame.length;
    const taps = this.taps.list;
    if (taps.length !== 0) {
      const now = this.sched.now();
      for (let i = 0; i < taps.length; i++) taps[i]!(frame, now, 2);
    }
    if (port.inLane === null) this._forward(port, frame, 0);
    else port.inLane.send(frame);
  }

  /** @internal A frame has fully arrived in the switch through `from`: learn, then forward or flood. */
  _forward(from: SwitchPort, frame: Uint8Array, gso: number): void {
    const now = this.sched.now();
    const table = this.table;
    // IEEE 802.1Q §8.7: learn the source address on the reception port (group addresses are never sources).
    if ((frame[6]! & 1) === 0 && from.attached) {
      const src = macKey(frame, 6);
      const e = table.get(src);
      if (e === undefined) this.learn(src, from, now);
      else { e.port = from; e.time = now; }
    }
    if ((frame[0]! & 1) === 0) {
      const dst = macKey(frame, 0);
      const e = table.get(dst);
      if (e !== undefined) {
        if (now - e.time < MAC_AGEING_MS) {
          // IEEE 802.1Q §8.6.1: a frame is never sent back out of the port it was received on.
          if (e.port === from) { this.filtered++; return; }
          this.forwarded += gso > 0 ? gsoSegmentCount(frame, ETH_HEADER, gso) : 1;
          e.port.outLane.send(frame, gso);
          return;
        }
        table.delete(dst); // aged out: unknown again
      }
    }
    // Broadcast, multicast or unknown unicast: flood to every other attached port.
    this.flooded += gso > 0 ? gsoSegmentCount(frame, ETH_HEADER, gso) : 1;
    let ports: readonly SwitchPort[] = this.ports;
    // Multicast (not broadcast) with no rate: a port whose device's address filter drops the
    // frame on arrival gets it counted there at once, with no event and no copy (Port.rxFilter).
    // Which ports those are is remembered per group while no port's filter changes, so that
    // such a flood visits only the ports that take it.
    if (gso === 0 && this.rate === 0 && (frame[0]! & 1) !== 0) {
      const key = macKey(frame, 0);
      if (key !== BROADCAST) {
        let g = this.groups.get(key);
        if (g === undefined || g.gen !== this.filterGen) g = this.groupFlood(key);
        const rejecting = g.rejecting;
        const len = frame.length;
        const rf = this.rejFrames, rb = this.rejBytes;
        for (let i = 0; i < rejecting.length; i++) {
          const p = rejecting[i]!;
          if (p === from) continue;
          p.rxFilter!.countRejected(len);
          rf[p.slot]!++;
          rb[p.slot]! += len;
        }
        ports = g.others;
      }
    }
    // With no rate, consecutive ports whose plain egress link ends at a host's interface get
    // the frame through one event for all of them (a FloodBatch), in port order, at the moment
    // each would have had its own event: the same order of arrival, with no event and no copy
    // for each host whose arrival changes only counters (RxFilter.absorbs). A port that
    // rejected the frame above does not end a batch.
    const batching = gso === 0 && this.rate === 0;
    let batch: FloodBatch | null = null;
    let first = true;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      if (p === from || !p.attached) continue;
      if (batching) {
        const f = p.rxFilter;
        if (f != null && p.onFrame === f.receive && !p.outLane.needsFrames) {
          if (batch === null) {
            // The batch hands out the original only if no port before it had it.
            batch = new FloodBatch(first ? frame : new Uint8Array(frame));
            first = false;
            this.sched.at(now, batch.run);
          }
          batch.ports.push(p);
          p.outLane.frames++;
          p.outLane.bytes += frame.length;
          continue;
        }
      }
      batch = null;
      p.outLane.send(first ? frame : new Uint8Array(frame), gso);
      first = false;
    }
  }

  /** @internal A port's device, state or filter changed: forget what was remembered of groups. */
  _filterChanged(): void {
    this.filterGen++;
  }

  /** Which attached ports reject the group `key` at flood time and which take it (GroupFlood). */
  private groupFlood(key: number): GroupFlood {
    const rejecting: SwitchPort[] = [];
    const others: SwitchPort[] = [];
    const ports = this.ports;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      if (!p.attached) continue;
      const f = p.rxFilter;
      if (f != null && p.onFrame === f.receive && !p.outLane.needsFrames && f.rejectsGroup(key)) rejecting.push(p);
      else others.push(p);
    }
    const g: GroupFlood = { gen: this.filterGen, rejecting, others };
    if (this.groups.size >= GROUP_CACHE_MAX && !this.groups.has(key)) this.groups.clear();
    this.groups.set(key, g);
    return g;
  }

  /** Adds what the port's device rejected at flood time to its out-lane's counters. */
  private settleRejected(p: SwitchPort): void {
    const n = this.rejFrames[p.slot]!;
    if (n === 0) return;
    const lane = p.outLane;
    lane.frames += n;
    lane.bytes += this.rejBytes[p.slot]!;
    lane.delivered += n;
    this.rejFrames[p.slot] = 0;
    this.rejBytes[p.slot] = 0;
  }

  /** @internal The port went down: forget what was learned on it. */
  _flushPort(port: SwitchPort): void {
    for (const [key, e] of this.table) if (e.port === port) this.table.delete(key);
  }

  private learn(key: number, port: SwitchPort, now: number): void {
    // Aged entries are removed when met; a sweep at most once per ageing time bounds the rest.
    if (now - this.lastSweep >= MAC_AGEING_MS) {
      this.lastSweep = now;
      for (const [k, e] of this.table) if (now - e.time >= MAC_AGEING_MS) this.table.delete(k);
    }
    this.table.set(key, { port, time: now });
  }
}

/**
 * A flooded frame on its way out of several consecutive ports with plain links (no rate, no
 * impairment) to host interfaces: one Scheduler event delivers it to each in port order, as their
 * links' own events would have. Each interface that absorbs it (RxFilter.absorbs) costs no copy;
 * the others get their own copy of the untouched frame, the last one the frame itself.
 */
class FloodBatch {
  readonly ports: SwitchPort[] = [];
  constructor(private readonly frame: Uint8Array) {}

  readonly run = (): void => {
    const ports = this.ports;
    const frame = this.frame;
    const last = ports.length - 1;
    for (let i = 0; i <= last; i++) {
      const p = ports[i]!;
      const lane = p.outLane;
      const h = p.onFrame;
      // As Lane's own delivery: a port unplugged meanwhile drops it.
      if (!p.attached || h === null) { lane.unplugged++; continue; }
      lane.delivered++;
      const f = p.rxFilter;
      if (f != null && h === f.receive && f.absorbs(frame)) continue;
      h(i === last ? frame : new Uint8Array(frame), 0);
    }
  };
}

/** A 48-bit MAC as an exact number (fits in a double), for Map keys without strings. */
function macKey(b: Uint8Array, o: number): number {
  return ((b[o]! << 8) | b[o + 1]!) * 0x1_0000_0000 + (((b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!) >>> 0);
}

function formatMacKey(key: number): string {
  let s = '';
  for (let i = 5; i >= 0; i--) {
    const byte = Math.floor(key / 2 ** (8 * i)) % 256;
    s += (i === 5 ? '' : ':') + byte.toString(16).padStart(2, '0');
  }
  return s;
}
