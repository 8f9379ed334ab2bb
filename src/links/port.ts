// What a network interface plugs into: one end of a cable, one port of a switch, a TUN device.
// A Port moves whole frames (layer 2: Ethernet II) or whole IP packets (layer 3: TUN, loopback).

export type LinkLayer = 2 | 3;

export interface Port {
  /** 2: Ethernet frames; 3: bare IPv4/IPv6 packets. */
  readonly layer: LinkLayer;
  /** Largest payload of one frame (the IP packet size limit), like `ip link`'s mtu. */
  readonly mtu: number;
  /** A name for traces and captures ('lan:3', 'wan:a'). */
  readonly name: string;
  /**
   * Whether the wire carries TCP super-frames (`gso` > 0, see src/wire/gso.ts) as they are, to
   * be cut into real frames only where real frames matter (captures, impairments, rates), as
   * Linux veth and bridges carry GSO packets. Ports without it (TUN, devices) get real frames.
   */
  readonly gso?: boolean;
  /**
   * The interface hands a frame to the wire. The wire may keep `frame`; the sender must not
   * reuse it. `gso` > 0 (only on ports with `gso`): a TCP super-frame of segments of that size.
   */
  send(frame: Uint8Array, gso?: number): void;
  /**
   * Set by the interface: the wire hands it a frame. `gso` > 0: a TCP super-frame that crossed
   * only virtual wires (no capture, impairment or rate on its way cut it): its checksums were
   * never computed and need no check (Linux CHECKSUM_PARTIAL across veth).
   */
  onFrame: ((frame: Uint8Array, gso?: number) => void) | null;
  /** Unplugs this end (host crash, detach). Frames to it are dropped afterwards. */
  detach(): void;
  /**
   * Set by the interface on a layer-2 port: its link-layer address filter, which a switch may
   * consult before it delivers a flooded multicast frame (see RxFilter).
   */
  rxFilter?: RxFilter | null;
  /**
   * Called by the device when its RxFilter's answers may have changed (its address filter, its
   * state, a capture added or removed): a switch that remembers them forgets.
   */
  filterChanged?(): void;
}

/**
 * A NIC's destination-address filter, as a switch may apply it at flood time: a multicast frame
 * the device would drop on arrival costs no delivery event and no copy. Only while nothing
 * stands between the wire and the filter (the port hands frames straight to `receive`).
 */
export interface RxFilter {
  /** The handler the port calls when the filter is the first thing a frame meets. */
  readonly receive: (frame: Uint8Array, gso?: number) => void;
  /**
   * Whether the device drops, on arrival, every multicast (not broadcast) frame to the group
   * address `key` (a MAC as a 48-bit number). Only an answer: nothing is counted. A device whose
   * answer may change calls its port's filterChanged().
   */
  rejectsGroup(key: number): boolean;
  /** A frame of `bytes` that rejectsGroup() said the device drops: counted as its arrival would count it. */
  countRejected(bytes: number): void;
  /**
   * Asked when a flooded frame reaches the device (at its delivery time, not at flood time):
   * whether its arrival would change nothing but counters (a broadcast ARP request for another
   * host from a sender the host keeps no entry for), in which case the device counts it as
   * arrival would and returns true; false: deliver it as usual.
   */
  absorbs(frame: Uint8Array): boolean;
}

/** A frame observer (capture, trace). `time` is the network clock in ms. */
export type FrameTap = (frame: Uint8Array, time: number, layer: LinkLayer) => void;

/** Something that can be captured: a switch, a cable, an interface. */
export interface Tappable {
  readonly captureName: string;
  readonly layer: LinkLayer;
  addTap(tap: FrameTap): () => void;
}
