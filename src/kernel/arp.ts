// ARP (RFC 826) over the shared neighbour state machine: answers requests for the host's own
// addresses, learns from requests addressed to it and from replies, sends requests while
// resolving. Linux defaults: arp_ignore 0 (answer for any local address), arp_accept 0 (an
// unsolicited ARP creates no entry, it only refreshes an existing one).

import { ARP_LEN, ARP_REPLY, ARP_REQUEST, emitArp, parseArp } from '../wire/arp.js';
import { get32 } from '../wire/bytes.js';
import { WireError } from '../wire/error.js';
import { emitEthernetHeader, ETHERTYPE_ARP, ETH_HEADER_LEN } from '../wire/ethernet.js';
import { formatIPv4 } from '../wire/addr.js';
import type { Interface } from './interface.js';
import type { Kernel } from './kernel.js';
import type { Neighbour, NeighbourTable, Resolver } from './neighbour.js';

const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = new Uint8Array(6);

export class Arp implements Resolver {
  constructor(private readonly k: Kernel) {}

  /** An ARP frame (whole Ethernet frame and its payload) received on `iface`. */
  input(iface: Interface, frame: Uint8Array, payload: Uint8Array): void {
    const k = this.k;
    const st = k.stats.arp;
    const r = parseArp(payload);
    if (r instanceof WireError) {
      st.InErrors!++;
      return;
    }
    const table = iface.arp;
    if (table === null) return;
    const sip = r.senderIp;
    const s0 = sip[0]!;
    // Linux arp_process: no multicast/broadcast/loopback sender addresses, no group sender MACs.
    if ((s0 & 0xf0) >= 0xe0 || s0 === 127 || (r.senderMac[0]! & 1) !== 0) {
      st.InErrors!++;
      return;
    }
    if (r.op !== ARP_REQUEST && r.op !== ARP_REPLY) {
      st.InErrors!++;
      return;
    }
    const tip32 = get32(r.targetIp, 0);
    const sip32 = get32(sip, 0);
    const senderKey = formatIPv4(sip);
    // A sender using one of our own addresses (a conflict, or our own frame): ignore.
    if (k.local4.has(sip32)) {
      st.InIgnored!++;
      return;
    }
    const forUs = k.local4.has(tip32) && tip32 !== 0;
    if (r.op === ARP_REQUEST) {
      st.InRequests!++;
      if (s0 === 0 && sip32 === 0) {
        // RFC 5227 §2.1.1: an ARP probe (sender 0.0.0.0): answer if it is ours, learn nothing.
        if (forUs) this.reply(iface, r.senderMac, r.targetIp, r.senderMac, sip, true);
        return;
      }
      // RFC 826 "merge": update an existing entry; a request for us may create one (STALE).
      table.update(senderKey, sip, r.senderMac, false, forUs, true);
      if (forUs) this.reply(iface, r.senderMac, r.targetIp, r.senderMac, sip, false);
      return;
    }
    st.InReplies!++;
    // Linux arp_process: a reply unicast to us confirms reachability; a broadcast one
    // (gratuitous) only refreshes what we have.
    const unicastToUs = (frame[0]! & 1) === 0;
    table.update(senderKey, sip, r.senderMac, unicastToUs, false, true);
  }

  /**
   * Whether a broadcast ARP frame reaching `iface` would change nothing but counters: a
   * well-formed request for an address not ours from a sender that is neither ours nor in the
   * table (input() would count it and stop at the table lookup). Counts it as input() would.
   */
  absorbs(iface: Interface, frame: Uint8Array): boolean {
    const b = frame;
    const o = ETH_HEADER_LEN;
    const table = iface.arp;
    if (table === null || b.length < o + ARP_LEN) return false;
    // As parseArp: Ethernet and IPv4, lengths 6 and 4; a request (op 1).
    if (b[o] !== 0 || b[o + 1] !== 1 || b[o + 2] !== 0x08 || b[o + 3] !== 0 || b[o + 4] !== 6 || b[o + 5] !== 4 || b[o + 6] !== 0 || b[o + 7] !== ARP_REQUEST) return false;
    const s0 = b[o + 14]!;
    if ((s0 & 0xf0) >= 0xe0 || s0 === 127 || (b[o + 8]! & 1) !== 0) return false;
    const k = this.k;
    const sip32 = get32(b, o + 14);
    const tip32 = get32(b, o + 24);
    if (k.local4.has(sip32) || (tip32 !== 0 && k.local4.has(tip32))) return false;
    // A probe (sender 0.0.0.0) learns nothing; otherwise only an existing entry would be updated.
    if (sip32 !== 0 && table.entries.size !== 0 && table.entries.has(formatIPv4(b.subarray(o + 14, o + 18)))) return false;
    k.stats.arp.InRequests!++;
    return true;
  }

  private reply(iface: Interface, toMac: Uint8Array, ourIp: Uint8Array, targetMac: Uint8Array, targetIp: Uint8Array, probe: boolean): void {
    const f = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
    // RFC 5227 §2.1.1: replies to probes are broadcast, so that the prober hears the conflict.
    emitEthernetHeader(f, 0, probe ? BROADCAST : toMac, iface.mac, ETHERTYPE_ARP);
    emitArp({ op: ARP_REPLY, senderMac: iface.mac, senderIp: ourIp, targetMac, targetIp }, f, ETH_HEADER_LEN);
    this.k.stats.arp.OutReplies!++;
    iface.transmit(f);
  }

  /** Resolver: one ARP request (broadcast; unicast to the cached MAC while probing). */
  solicit(table: NeighbourTable, n: Neighbour, unicast: boolean): void {
    const iface = table.link as Interface;
    const f = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
    emitEthernetHeader(f, 0, unicast && n.mac !== null ? n.mac : BROADCAST, iface.mac, ETHERTYPE_ARP);
    emitArp({ op: ARP_REQUEST, senderMac: iface.mac, senderIp: this.sourceFor(iface, n), targetMac: ZERO_MAC, targetIp: n.ip }, f, ETH_HEADER_LEN);
    this.k.stats.arp.OutRequests!++;
    iface.transmit(f);
  }

  /**
   * Linux arp_solicit with arp_announce 0: the source of the queued packet when it is one of our
   * addresses, else an address of the interface on the target's subnet, else its first address.
   */
  private sourceFor(iface: Interface, n: Neighbour): Uint8Array {
    const q = n.queue[0];
    if (q !== undefined && q.length >= ETH_HEADER_LEN + 20 && q[12] === 0x08 && q[13] === 0x00) {
      const s32 = get32(q, ETH_HEADER_LEN + 12);
      const a = this.k.local4.get(s32);
      if (a !== undefined) return a.bytes;
    }
    const t32 = get32(n.ip, 0);
    for (const a of iface.v4) if (((t32 & a.mask32) >>> 0) === ((a.u32 & a.mask32) >>> 0)) return a.bytes;
    return iface.v4[0]?.bytes ?? new Uint8Array(4);
  }

  /** Resolver: resolution failed for a queued frame: host unreachable to its sender. */
  unreachable(_table: NeighbourTable, frame: Uint8Array): void {
    this.k.stats.ip.OutDiscards!++;
    this.k.icmp.hostUnreachable(frame.subarray(ETH_HEADER_LEN));
  }
}
