// A DNS server on one host: a zone (src/node/dns-zone.ts) answered over UDP and TCP on the
// host's own sockets, as a program on that host would serve it (a crash of the host ends it).
//
// - UDP (RFC 1035 §4.2.1): one dual-stack socket. An answer longer than 512 octets, or than the
//   client's EDNS(0) payload size (RFC 6891 §6.2.5; ours is 1232), goes back with the TC bit and
//   the question only, and the client asks again over TCP.
// - TCP (RFC 1035 §4.2.2, RFC 7766): messages framed with a two-octet length, several per
//   connection, answered in order; a connection idle for 10 s is closed (RFC 7766 §6.2.3).
// - EDNS(0) (RFC 6891): a query with an OPT record gets one back; a version other than 0 is
//   answered BADVERS (§6.1.3).
// - A message that does not decode, or is itself a response, is counted and dropped.
// - `delay` holds every answer that long: a slow server.
import type { Scheduler, Timer } from '../links/clock.js';
import {
  decodeDnsMessage, DnsTcpReader, DNS_UDP_MAX, encodeDnsMessage, frameDnsTcp, type DnsMessage, type DnsMessageInput,
} from '../wire/dns.js';
import { WireError } from '../wire/error.js';
import type { Zone } from './dns-zone.js';
import type { DgramModule, Socket as DgramSocket } from './dgram.js';
import type { NetModule, NetServer, NetSocket } from './net.js';

// RFC 6891 §6.2.5 and the DNS Flag Day 2020 advice: 1232 octets fit any path without fragments.
const EDNS_UDP_SIZE = 1232;
// RFC 6891 §6.1.3: extended RCODE 16, BADVERS, is 1 in the OPT record's upper bits and 0 in the header.
const BADVERS_HIGH = 1;
// RFC 7766 §6.2.3: idle connections are closed after some seconds.
const TCP_IDLE_MS = 10_000;

export interface DnsServerHost {
  readonly sched: Scheduler;
  dgram(): DgramModule;
  net(): NetModule;
}

export interface DnsServerOptions {
  /** Port on the host (default 53). */
  port?: number;
  /** Address to listen on (default: all of the host's, IPv4 and IPv6). */
  address?: string;
  /** Hold each answer this long (ms): a slow server. */
  delay?: number;
}

export interface DnsServerStats {
  /** Queries answered, by transport. */
  udp: number;
  tcp: number;
  /** UDP answers that did not fit and went back truncated. */
  truncated: number;
  /** Messages that did not decode, or were not queries: dropped. */
  malformed: number;
  /** Answers by RCODE name. */
  noerror: number;
  nxdomain: number;
  refused: number;
  other: number;
  /** TCP connections accepted. */
  connections: number;
}

export class DnsServer {
  readonly port: number;
  readonly address: string | undefined;
  /** Hold each answer this long (ms); change it at any time. */
  delay: number;
  private udp: DgramSocket | null = null;
  private tcp: NetServer | null = null;
  private readonly sockets = new Set<NetSocket>();
  private readonly counts: DnsServerStats = { udp: 0, tcp: 0, truncated: 0, malformed: 0, noerror: 0, nxdomain: 0, refused: 0, other: 0, connections: 0 };

  constructor(private readonly host: DnsServerHost, private readonly zone: Zone, opts: DnsServerOptions = {}) {
    this.port = opts.port ?? 53;
    this.address = opts.address;
    this.delay = opts.delay ?? 0;
  }

  /** Opens the sockets (again, after the host restarted). */
  start(): void {
    const v4only = this.address !== undefined && !this.address.includes(':');
    const udp = this.host.dgram().createSocket(v4only ? 'udp4' : 'udp6');
    udp.on('message', (msg: Buffer, rinfo) => this.fromUdp(udp, msg, rinfo.address, rinfo.port));
    udp.on('error', () => { /* ICMP errors from clients that left: nothing to do */ });
    udp.bind({ port: this.port, address: this.address ?? '::' });
    // Infrastructure, not a program of the test's: it does not keep the process alive.
    udp.unref();
    this.udp = udp;
    const tcp = this.host.net().createServer((s) => this.fromTcp(s));
    tcp.on('error', () => { /* a listen failure leaves the UDP side serving */ });
    tcp.listen({ port: this.port, host: this.address ?? '::' });
    tcp.unref();
    this.tcp = tcp;
  }

  /** Closes the sockets. */
  close(): void {
    try { this.udp?.close(); } catch { /* already closed */ }
    this.udp = null;
    this.tcp?.close();
    this.tcp = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  get listening(): boolean {
    return this.udp !== null;
  }

  /** Counters since the server was made. */
  stats(): DnsServerStats {
    return { ...this.counts };
  }

  /** Decodes a query and builds the answer, or null (counted as malformed) for what is not a query. */
  private respond(bytes: Uint8Array, udp: boolean): Uint8Array | null {
    const q = decodeDnsMessage(bytes);
    if (q instanceof WireError || q.qr) { this.counts.malformed++; return null; }
    const reply: DnsMessageInput = { id: q.id, qr: true, opcode: q.opcode, rd: q.rd, ra: false, questions: q.questions };
    let maxSize = DNS_UDP_MAX;
    if (q.edns !== undefined) {
      reply.edns = { udpSize: EDNS_UDP_SIZE };
      maxSize = Math.max(DNS_UDP_MAX, Math.min(q.edns.udpSize, EDNS_UDP_SIZE));
      if (q.edns.version !== 0) {
        reply.edns = { udpSize: EDNS_UDP_SIZE, extendedRcode: BADVERS_HIGH };
        this.counts.other++;
        return encodeDnsMessage(reply);
      }
    }
    const a = this.zone.answer(q);
    Object.assign(reply, a);
    this.count(a.rcode);
    const out = encodeDnsMessage(reply, udp ? { maxSize } : {});
    if (udp && (out[2]! & 0x02) !== 0 && !(q as DnsMessage).tc) this.counts.truncated++;
    return out;
  }

  private count(rcode: number): void {
    if (rcode === 0) this.counts.noerror++;
    else if (rcode === 3) this.counts.nxdomain++;
    else if (rcode === 5) this.counts.refused++;
    else this.counts.other++;
  }

  private later(fn: () => void): void {
    if (this.delay > 0) this.host.sched.after(this.delay, fn);
    else fn();
  }

  private fromUdp(sock: DgramSocket, msg: Uint8Array, address: string, port: number): void {
    const out = this.respond(msg, true);
    if (out === null) return;
    this.counts.udp++;
    this.later(() => { if (this.udp === sock) sock.send(out, port, address); });
  }

  private fromTcp(s: NetSocket): void {
    this.counts.connections++;
    this.sockets.add(s);
    s.unref();
    const reader = new DnsTcpReader();
    let idle: Timer | null = null;
    const arm = (): void => {
      idle?.cancel();
      idle = this.host.sched.after(TCP_IDLE_MS, () => s.end(), false);
    };
    s.on('data', (chunk: Buffer) => {
      arm();
      for (const m of reader.push(chunk)) {
        const out = this.respond(m, false);
        if (out === null) { s.destroy(); return; }
        this.counts.tcp++;
        this.later(() => { if (!s.destroyed) s.write(frameDnsTcp(out)); });
      }
    });
    s.on('end', () => s.end());
    s.on('error', () => { /* the client went away */ });
    s.on('close', () => { idle?.cancel(); this.sockets.delete(s); });
    arm();
  }
}
