// The wire layer: codecs that never throw on received bytes, and checksums.
export * from './error.js';
export * from './checksum.js';
export * from './addr.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './icmpv4.js';
export * from './icmpv6.js';
export * from './udp.js';
export * from './tcp.js';
export * from './pcap.js';
export * from './gso.js';
