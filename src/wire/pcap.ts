// Classic libpcap file format: a 24-byte global header, then one 16-byte record header before
// each captured frame. Written little-endian with microsecond timestamps (magic 0xa1b2c3d4 read in
// the writer's byte order), version 2.4, which tcpdump, tshark and Wireshark all read.

/** Ethernet II frames (link-layer header type 1). */
export const LINKTYPE_ETHERNET = 1;
/** Bare IPv4 or IPv6 packets, told apart by the version nibble (link-layer header type 101). */
export const LINKTYPE_RAW = 101;

export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

/** The file header: magic, version 2.4, GMT offset 0, accuracy 0, snapshot length, link type. */
export function pcapGlobalHeader(linktype: number, snaplen = 262144): Uint8Array {
  const b = new Uint8Array(PCAP_GLOBAL_HEADER_LEN);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, snaplen >>> 0, true);
  v.setUint32(20, linktype >>> 0, true);
  return b;
}

/** A record header: time (ms since the Unix epoch), bytes captured, bytes the frame really had. */
export function pcapRecordHeader(timeMs: number, capLen: number, origLen: number): Uint8Array {
  const b = new Uint8Array(PCAP_RECORD_HEADER_LEN);
  const us = timeMs > 0 ? Math.round(timeMs * 1000) : 0;
  const sec = Math.floor(us / 1e6);
  const v = new DataView(b.buffer);
  v.setUint32(0, sec >>> 0, true);
  v.setUint32(4, us - sec * 1e6, true);
  v.setUint32(8, capLen >>> 0, true);
  v.setUint32(12, origLen >>> 0, true);
  return b;
}
