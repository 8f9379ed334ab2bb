// One-line summaries of frames and packets, like `tcpdump -n`: for traces, the demo and tests.
// Never throws: what does not parse is said so.
import { WireError } from './error.js';
import { formatIPv4, formatIPv6, formatMAC } from './addr.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, parseEthernet } from './ethernet.js';
import { ARP_REPLY, ARP_REQUEST, parseArp } from './arp.js';
import { parseIpv4 } from './ipv4.js';
import { parseIpv6 } from './ipv6.js';
import { parseUdp } from './udp.js';
import { parseTcp, formatTcpFlags, TCP_ACK } from './tcp.js';
import { parseIcmpv4 } from './icmpv4.js';
import { parseIcmpv6 } from './icmpv6.js';
import { parseIgmp } from './igmp.js';

const ICMP4_NAMES: Record<number, string> = { 0: 'echo reply', 3: 'unreachable', 8: 'echo request', 11: 'time exceeded', 12: 'parameter problem' };
const ICMP6_NAMES: Record<number, string> = {
  1: 'destination unreachable', 2: 'packet too big', 3: 'time exceeded', 4: 'parameter problem',
  128: 'echo request', 129: 'echo reply', 130: 'multicast listener query', 131: 'multicast listener report',
  132: 'multicast listener done', 133: 'router solicitation', 134: 'router advertisement',
  135: 'neighbor solicitation', 136: 'neighbor advertisement', 137: 'redirect', 143: 'multicast listener report v2',
};

function transport(proto: number, payload: Uint8Array, src: string, dst: string, srcB: Uint8Array, dstB: Uint8Array, fragment: boolean): string {
  if (fragment) return `${src} > ${dst}: fragment, proto ${proto}, length ${payload.length}`;
  if (proto === 17) {
    const u = parseUdp(payload);
    if (u instanceof WireError) return `${src} > ${dst}: UDP, bad: ${u.reason}`;
    return `${src}.${u.srcPort} > ${dst}.${u.dstPort}: UDP, length ${u.payload.length}`;
  }
  if (proto === 6) {
    const t = parseTcp(payload);
    if (t instanceof WireError) return `${src} > ${dst}: TCP, bad: ${t.reason}`;
    const o = t.options;
    const opts: string[] = [];
    if (o.mss !== undefined) opts.push(`mss ${o.mss}`);
    if (o.sackPermitted) opts.push('sackOK');
    if (o.timestamp) opts.push(`TS val ${o.timestamp.tsval} ecr ${o.timestamp.tsecr}`);
    if (o.wscale !== undefined) opts.push(`wscale ${o.wscale}`);
    if (o.sack?.length) opts.push(`sack ${o.sack.map(([l, r]) => `{${l >>> 0}:${r >>> 0}}`).join('')}`);
    const ack = t.flags & TCP_ACK ? `, ack ${t.ack >>> 0}` : '';
    const seq = t.payload.length > 0 ? `${t.seq >>> 0}:${(t.seq + t.payload.length) >>> 0}` : `${t.seq >>> 0}`;
    return `${src}.${t.srcPort} > ${dst}.${t.dstPort}: Flags [${formatTcpFlags(t.flags)}], seq ${seq}${ack}, win ${t.window}${opts.length ? `, options [${opts.join(',')}]` : ''}, length ${t.payload.length}`;
  }
  if (proto === 1) {
    const m = parseIcmpv4(payload);
    if (m instanceof WireError) return `${src} > ${dst}: ICMP, bad: ${m.reason}`;
    const name = ICMP4_NAMES[m.type] ?? `type ${m.type}`;
    const echo = m.type === 0 || m.type === 8 ? `, id ${m.id}, seq ${m.seq}` : m.type === 3 ? `, code ${m.code}` : '';
    return `${src} > ${dst}: ICMP ${name}${echo}, length ${payload.length}`;
  }
  if (proto === 58) {
    const m = parseIcmpv6(payload, srcB, dstB);
    if (m instanceof WireError) return `${src} > ${dst}: ICMP6, bad: ${m.reason}`;
    const name = ICMP6_NAMES[m.type] ?? `type ${m.type}`;
    const tgt = m.nd?.target ? `, who has ${formatIPv6(m.nd.target)}` : '';
    const echo = m.type === 128 || m.type === 129 ? `, id ${m.id}, seq ${m.seq}` : '';
    return `${src} > ${dst}: ICMP6, ${name}${m.type === 136 && m.nd?.target ? `, tgt is ${formatIPv6(m.nd.target)}` : m.type === 135 ? tgt : ''}${echo}, length ${payload.length}`;
  }
  if (proto === 2) {
    const g = parseIgmp(payload);
    return `${src} > ${dst}: IGMP${g instanceof WireError ? ', bad: ' + g.reason : ` type 0x${g.type.toString(16)}`}, length ${payload.length}`;
  }
  return `${src} > ${dst}: ip-proto-${proto} ${payload.length}`;
}

/** Summarises a bare IPv4 or IPv6 packet. */
export function describePacket(pkt: Uint8Array): string {
  const v = pkt.length > 0 ? pkt[0]! >> 4 : 0;
  if (v === 4) {
    const ip = parseIpv4(pkt);
    if (ip instanceof WireError) return `IP, bad: ${ip.reason}`;
    const frag = ip.mf || ip.fragOffset > 0;
    return 'IP ' + transport(ip.protocol, ip.payload, formatIPv4(ip.src), formatIPv4(ip.dst), ip.src, ip.dst, frag && ip.fragOffset > 0)
      + (frag ? ` (frag ${ip.id}:${ip.payload.length}@${ip.fragOffset}${ip.mf ? '+' : ''})` : '') + `, ttl ${ip.ttl}`;
  }
  if (v === 6) {
    const ip = parseIpv6(pkt);
    if (ip instanceof WireError) return `IP6, bad: ${ip.reason}`;
    const f = ip.fragment;
    return 'IP6 ' + transport(ip.nextHeader, ip.payload, formatIPv6(ip.src), formatIPv6(ip.dst), ip.src, ip.dst, f !== undefined && f.offset > 0)
      + (f ? ` (frag ${f.id}:${ip.payload.length}@${f.offset}${f.more ? '+' : ''})` : '') + `, hlim ${ip.hopLimit}`;
  }
  return `unknown packet, version ${v}, length ${pkt.length}`;
}

/** Summarises an Ethernet frame. */
export function describeFrame(frame: Uint8Array): string {
  const eth = parseEthernet(frame);
  if (eth instanceof WireError) return `bad frame: ${eth.reason}`;
  if (eth.etherType === ETHERTYPE_ARP) {
    const a = parseArp(eth.payload);
    if (a instanceof WireError) return `ARP, bad: ${a.reason}`;
    if (a.op === ARP_REQUEST) return `ARP, Request who-has ${formatIPv4(a.targetIp)} tell ${formatIPv4(a.senderIp)}, length ${eth.payload.length}`;
    if (a.op === ARP_REPLY) return `ARP, Reply ${formatIPv4(a.senderIp)} is-at ${formatMAC(a.senderMac)}, length ${eth.payload.length}`;
    return `ARP, op ${a.op}`;
  }
  if (eth.etherType === ETHERTYPE_IPV4 || eth.etherType === ETHERTYPE_IPV6) return describePacket(eth.payload);
  return `${formatMAC(eth.src)} > ${formatMAC(eth.dst)}, ethertype 0x${eth.etherType.toString(16).padStart(4, '0')}, length ${frame.length}`;
}
