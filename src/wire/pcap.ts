// Classic libpcap file format (microsecond timestamps, magic 0xa1b2c3d4, version 2.4), written
// little-endian; readers detect byte order from the magic. Link types from the tcpdump.org list.

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

function putLE32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/** The 24-byte file header: magic, version 2.4, thiszone 0, sigfigs 0, snaplen, link type. */
export function pcapGlobalHeader(linktype: number, snaplen = 262144): Uint8Array {
  const b = new Uint8Array(PCAP_GLOBAL_HEADER_LEN);
  putLE32(b, 0, 0xa1b2c3d4);
  b[4] = 2; // version major (little-endian 16-bit)
  b[6] = 4; // version minor
  putLE32(b, 16, snaplen >>> 0);
  putLE32(b, 20, linktype >>> 0);
  return b;
}

/** The 16-byte record header: seconds, microseconds, captured length, original length. */
export function pcapRecordHeader(timeMs: number, capLen: number, origLen: number): Uint8Array {
  const b = new Uint8Array(PCAP_RECORD_HEADER_LEN);
  const us = Math.max(0, Math.round(timeMs * 1000));
  const sec = Math.floor(us / 1e6);
  putLE32(b, 0, sec >>> 0);
  putLE32(b, 4, us - sec * 1e6);
  putLE32(b, 8, capLen >>> 0);
  putLE32(b, 12, origLen >>> 0);
  return b;
}
