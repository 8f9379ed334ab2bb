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
  /** The interface hands a frame to the wire. The wire may keep `frame`; the sender must not reuse it. */
  send(frame: Uint8Array): void;
  /** Set by the interface: the wire hands it a frame. */
  onFrame: ((frame: Uint8Array) => void) | null;
  /** Unplugs this end (host crash, detach). Frames to it are dropped afterwards. */
  detach(): void;
}

/** A frame observer (capture, trace). `time` is the network clock in ms. */
export type FrameTap = (frame: Uint8Array, time: number, layer: LinkLayer) => void;

/** Something that can be captured: a switch, a cable, an interface. */
export interface Tappable {
  readonly captureName: string;
  readonly layer: LinkLayer;
  addTap(tap: FrameTap): () => void;
}
