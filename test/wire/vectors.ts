// Known-good packets, written out by hand in the shape real captures have. Every checksum in them
// was computed independently of this code base (Python struct + RFC 1071 fold) and is checked here.
import { hex } from './hex.js';

// An Ethernet frame carrying a DNS query for example.com (A) from 192.168.1.10:53421 to 8.8.8.8:53.
// Checksums: IP 4ec7, UDP 7b5d.
export const DNS_FRAME = hex(`
  525400123502 080027aabbcc 0800
  4500 0039 1a2b 4000 4011 4ec7 c0a8010a 08080808
  d0ad 0035 0025 7b5d
  1234 0100 0001 0000 0000 0000 07 6578616d706c65 03 636f6d 00 0001 0001`);

// "Who has 192.168.1.1? Tell 192.168.1.10", broadcast, padded to the 60-byte Ethernet minimum.
export const ARP_REQUEST_FRAME = hex(`
  ffffffffffff 080027aabbcc 0806
  0001 0800 06 04 0001 080027aabbcc c0a8010a 000000000000 c0a80101
  000000000000000000000000000000000000`);

// A SYN as Linux sends it: 10.0.0.1:45678 → 10.0.0.2:80, window 64240, options
// MSS 1460, SACK-permitted, timestamps (tsval 1000000000, tsecr 0), NOP, window scale 7.
// Checksums computed independently (Python, RFC 1071): IP 67ca, TCP 1807.
export const SYN_PACKET = hex(`
  4500 003c beef 4000 4006 67ca 0a000001 0a000002
  b26e 0050 12345678 00000000 a002 faf0 1807 0000
  020405b4 0402 080a 3b9aca00 00000000 01 030307`);

// A Linux ping: echo request id 0x1c2d seq 1, 56 data bytes (a 16-byte struct timeval, little-endian
// on x86-64, then 0x10..0x37). Checksum f368 computed independently (Python, RFC 1071).
export const PING = hex(`0800 f368 1c2d 0001 0000f06500000000 3930000000000000
  101112131415161718191a1b1c1d1e1f 202122232425262728292a2b2c2d2e2f 3031323334353637`);

// A neighbour solicitation for fe80::1 from fe80::a00:27ff:feaa:bbcc to ff02::1:ff00:1, hop limit
// 255, with a source link-layer address option 08:00:27:aa:bb:cc. ICMPv6 checksum a4ad computed
// independently (Python, RFC 1071 over the RFC 8200 §8.1 pseudo-header).
export const NS_PACKET = hex(`
  6000 0000 0020 3a ff fe800000000000000a0027fffeaabbcc ff0200000000000000000001ff000001
  87 00 a4ad 00000000 fe800000000000000000000000000001 01 01 080027aabbcc`);

// An MLDv2 report (CHANGE_TO_EXCLUDE ff02::1:ff00:1) to ff02::16 with a hop-by-hop router alert,
// as Linux sends when an address is added. ICMPv6 checksum 8491 computed independently.
export const MLD2_PACKET = hex(`
  6000 0000 0024 00 01 fe800000000000000a0027fffeaabbcc ff020000000000000000000000000016
  3a00 0502 0000 0100
  8f 00 8491 0000 0001 04 00 0000 ff0200000000000000000001ff000001`);
