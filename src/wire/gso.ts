// TCP segmentation offload, done in software (Linux's GSO, skb_segment / tcp_gso_segment).
//
// A TCP "super-segment" is one IPv4 or IPv6 packet carrying more payload than the link's MTU
// allows, with a segment size `gso` (the sender's MSS for that packet): what Linux's TCP hands a
// device that has TSO/GSO. Virtual wires carry it as one unit between two usernet interfaces, as
// Linux veth and bridges do. Wherever the real frames matter (a capture, an impairment, a rate,
// a device that is not a virtual wire, a router that forwards it), it is cut here into the
// segments a NIC would have sent: the same headers, payload cut every `gso` bytes, sequence
// numbers advanced, IPv4 identification incremented per segment, FIN and PSH only on the last
// segment and CWR only on the first (RFC 3168 §6.1.2, as Linux's tcp_gso_segment), lengths and
// both checksums computed for each segment.
//
// The input is a frame this host's own stack built, but like every codec it never throws on
// bytes: a frame it cannot read as IPv4/IPv6 + TCP gives an empty list (the caller counts it
// as dropped).

import { foldChecksum, onesSum, pseudoHeaderSum } from './checksum.js';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** Where the TCP header starts in a frame holding IPv4/IPv6 + TCP (no extension headers), or -1. */
function tcpStart(frame: Uint8Array, l3: number): number {
  const n = frame.length;
  if (n < l3 + 20) return -1;
  const v = frame[l3]! >>> 4;
  let tcp: number;
  if (v === 4) {
    const ihl = (frame[l3]! & 0x0f) << 2;
    if (ihl < 20 || frame[l3 + 9] !== IPPROTO_TCP) return -1;
    tcp = l3 + ihl;
  } else if (v === 6) {
    if (frame[l3 + 6] !== IPPROTO_TCP) return -1; // super-segments carry no extension headers
    tcp = l3 + 40;
  } else {
    return -1;
  }
  return n < tcp + 20 ? -1 : tcp;
}

/** Where the payload starts (after the TCP header), or 0 when the frame is not a TCP super-frame. */
function payloadStart(frame: Uint8Array, l3: number): number {
  const tcp = tcpStart(frame, l3);
  if (tcp < 0) return 0;
  const thl = (frame[tcp + 12]! >>> 4) << 2;
  return thl < 20 || frame.length < tcp + thl ? 0 : tcp + thl;
}

/** Headers (link, IP, TCP) in front of the payload of a super-frame; 0 when it is not one. */
export function gsoHeaderLength(frame: Uint8Array, l3: number): number {
  return payloadStart(frame, l3);
}

/** How many wire frames a super-frame becomes (1 when it is not one). */
export function gsoSegmentCount(frame: Uint8Array, l3: number, gso: number): number {
  const h = gsoHeaderLength(frame, l3);
  if (h === 0 || gso <= 0) return 1;
  const payload = frame.length - h;
  return payload <= gso ? 1 : Math.ceil(payload / gso);
}

/** Bytes of those wire frames together: each repeats the headers. */
export function gsoWireBytes(frame: Uint8Array, l3: number, gso: number): number {
  const h = gsoHeaderLength(frame, l3);
  if (h === 0 || gso <= 0) return frame.length;
  const payload = frame.length - h;
  const segs = payload <= gso ? 1 : Math.ceil(payload / gso);
  return frame.length + (segs - 1) * h;
}

/**
 * Whether each segment of a super-frame fits a link MTU (the largest IP packet): the IP and TCP
 * headers plus `gso` payload bytes.
 */
export function gsoFitsMtu(frame: Uint8Array, l3: number, gso: number, mtu: number): boolean {
  const h = gsoHeaderLength(frame, l3);
  return h !== 0 && h - l3 + gso <= mtu;
}

/**
 * One piece of a super-frame: its headers (`hdr` bytes, the transport header at `l4`) and `n`
 * payload bytes from `off`, with the IP length set for them and, for IPv4, the identification
 * `id` and the header checksum. A new buffer.
 */
function cutPiece(frame: Uint8Array, l3: number, v4: boolean, l4: number, hdr: number, off: number, n: number, id: number): Uint8Array {
  const f = new Uint8Array(hdr + n);
  f.set(frame.subarray(0, hdr), 0);
  f.set(frame.subarray(hdr + off, hdr + off + n), hdr);
  if (v4) {
    const len = hdr - l3 + n;
    f[l3 + 2] = len >>> 8;
    f[l3 + 3] = len & 0xff;
    f[l3 + 4] = id >>> 8;
    f[l3 + 5] = id & 0xff;
    f[l3 + 10] = 0;
    f[l3 + 11] = 0;
    const c = foldChecksum(onesSum(f, l3, l4)); // RFC 791 §3.1 header checksum
    f[l3 + 10] = c >>> 8;
    f[l3 + 11] = c & 0xff;
  } else {
    const len = hdr - l4 + n; // RFC 8200 §3: payload length, no extension headers here
    f[l3 + 4] = len >>> 8;
    f[l3 + 5] = len & 0xff;
  }
  return f;
}

/**
 * Cuts a TCP super-frame (link header of `l3` bytes, then IPv4/IPv6 and TCP) into wire frames
 * of at most `gso` payload bytes each. Each is a new buffer. Empty when the frame is not a TCP
 * packet this codec can read.
 */
export function segmentTcp(frame: Uint8Array, l3: number, gso: number): Uint8Array[] {
  const hdr = payloadStart(frame, l3);
  if (hdr === 0 || gso <= 0) return [];
  const family = frame[l3]! >>> 4 === 4 ? 4 : 6;
  const tcp = tcpStart(frame, l3);
  const total = frame.length - hdr;
  const out: Uint8Array[] = [];
  const seq0 = ((frame[tcp + 4]! << 24) | (frame[tcp + 5]! << 16) | (frame[tcp + 6]! << 8) | frame[tcp + 7]!) >>> 0;
  const flags = frame[tcp + 13]!;
  const id0 = family === 4 ? (frame[l3 + 4]! << 8) | frame[l3 + 5]! : 0;
  const src = family === 4 ? frame.subarray(l3 + 12, l3 + 16) : frame.subarray(l3 + 8, l3 + 24);
  const dst = family === 4 ? frame.subarray(l3 + 16, l3 + 20) : frame.subarray(l3 + 24, l3 + 40);
  const thl = hdr - tcp;
  let i = 0;
  for (let off = 0; off < total || (off === 0 && total === 0); off += gso, i++) {
    const n = Math.min(gso, total - off);
    const last = off + n >= total;
    const f = cutPiece(frame, l3, family === 4, tcp, hdr, off, n, (id0 + i) & 0xffff);
    const seq = (seq0 + off) >>> 0;
    f[tcp + 4] = seq >>> 24;
    f[tcp + 5] = (seq >>> 16) & 0xff;
    f[tcp + 6] = (seq >>> 8) & 0xff;
    f[tcp + 7] = seq & 0xff;
    let fl = flags;
    if (!last) fl &= ~0x09; // FIN (0x01) and PSH (0x08) only on the last segment
    if (i > 0) fl &= ~0x80; // RFC 3168 §6.1.2: CWR only on the first
    f[tcp + 13] = fl;
    // RFC 9293 §3.1: checksum over the pseudo-header, the header and this segment's data.
    f[tcp + 16] = 0;
    f[tcp + 17] = 0;
    const c = foldChecksum(onesSum(f, tcp, hdr + n, pseudoHeaderSum(src, dst, IPPROTO_TCP, thl + n)));
    f[tcp + 16] = c >>> 8;
    f[tcp + 17] = c & 0xff;
    out.push(f);
    if (total === 0) break;
  }
  return out;
}

/**
 * Cuts a UDP super-datagram (Linux UDP GSO, `UDP_SEGMENT`; a virtio-net header's gso_type
 * UDP_L4) into the datagrams it stands for, as Linux's __udp_gso_segment does: the IP header
 * repeated with its length (and, for IPv4, its identification advanced per datagram and its
 * checksum), a UDP header per datagram with its length and a checksum over that datagram (a
 * zero sum sent as 0xffff, RFC 768). `gso` bytes of payload each, the last one the rest. Each is
 * a new buffer; empty when the frame is not IPv4/IPv6 + UDP without extension headers.
 */
export function segmentUdp(frame: Uint8Array, l3: number, gso: number): Uint8Array[] {
  const n0 = frame.length;
  if (gso <= 0 || n0 < l3 + 20) return [];
  const v = frame[l3]! >>> 4;
  let udp: number;
  if (v === 4) {
    const ihl = (frame[l3]! & 0x0f) << 2;
    if (ihl < 20 || frame[l3 + 9] !== IPPROTO_UDP) return [];
    udp = l3 + ihl;
  } else if (v === 6) {
    if (frame[l3 + 6] !== IPPROTO_UDP) return [];
    udp = l3 + 40;
  } else {
    return [];
  }
  const hdr = udp + 8;
  if (n0 < hdr) return [];
  const total = n0 - hdr;
  const src = v === 4 ? frame.subarray(l3 + 12, l3 + 16) : frame.subarray(l3 + 8, l3 + 24);
  const dst = v === 4 ? frame.subarray(l3 + 16, l3 + 20) : frame.subarray(l3 + 24, l3 + 40);
  const id0 = v === 4 ? (frame[l3 + 4]! << 8) | frame[l3 + 5]! : 0;
  const out: Uint8Array[] = [];
  for (let off = 0, i = 0; off < total || (off === 0 && total === 0); off += gso, i++) {
    const n = Math.min(gso, total - off);
    const f = cutPiece(frame, l3, v === 4, udp, hdr, off, n, (id0 + i) & 0xffff);
    const ulen = 8 + n;
    f[udp + 4] = ulen >>> 8;
    f[udp + 5] = ulen & 0xff;
    f[udp + 6] = 0;
    f[udp + 7] = 0;
    // RFC 768: checksum over the pseudo-header, the header and the data; 0 is sent as all ones.
    const c = foldChecksum(onesSum(f, udp, hdr + n, pseudoHeaderSum(src, dst, IPPROTO_UDP, ulen))) || 0xffff;
    f[udp + 6] = c >>> 8;
    f[udp + 7] = c & 0xff;
    out.push(f);
    if (total === 0) break;
  }
  return out;
}
