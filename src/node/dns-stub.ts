// The DNS half of dns.lookup(): what glibc's stub resolver (res_search / res_send, as
// getaddrinfo's `dns` source in nsswitch.conf) does with a name the host's table lacks, over the
// host's own sockets:
//
// - The names tried (resolv.conf `search`, `ndots`): a name with at least `ndots` dots is tried
//   as it is first, then with each search suffix; a shorter one with the suffixes first; a name
//   ending in '.' only as it is. NXDOMAIN or an empty answer goes on to the next name; a server
//   that cannot be reached ends the search.
// - Each name: A and AAAA queries together (just A, or just AAAA, for family 4 or 6) on one
//   connected UDP socket per server. `attempts` rounds (default 2) through the servers in order
//   (`rotate`: starting one further each lookup), server i waiting (timeout << i) / servers
//   seconds (timeout default 5, at least 1 s): glibc's send_dg(). ICMP port unreachable, a
//   reply too short for a header, SERVFAIL, NOTIMP or REFUSED move on to the next server at once;
//   a truncated reply is asked again over TCP (RFC 1035 §4.2.2).
// - Results, as getaddrinfo reports them to Node: addresses (A answers, then AAAA, CNAMEs
//   followed); EAI_NONAME (ENOTFOUND, errno -3008) for NXDOMAIN; EAI_NODATA (ENOTFOUND, -3007)
//   for a name with no address; EAI_AGAIN (-3001) when no server answered.
import type { Scheduler, Timer } from '../links/clock.js';
import {
  decodeDnsMessage, DnsTcpReader, dnsNameKey, DNS_RCODE_NOERROR, DNS_RCODE_NOTIMP, DNS_RCODE_NXDOMAIN, DNS_RCODE_REFUSED,
  DNS_RCODE_SERVFAIL, DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_PTR, encodeDnsQuery, frameDnsTcp, reverseName, type DnsMessage,
} from '../wire/dns.js';
import { WireError } from '../wire/error.js';
import type { NameServer, ResolvConf } from './dns-conf.js';
import type { DgramModule } from './dgram.js';
import type { NetModule } from './net.js';

/** libuv's getaddrinfo errors, as Node reports them. */
export const UV_EAI_AGAIN = -3001;
export const UV_EAI_NODATA = -3007;
export const UV_EAI_NONAME = -3008;

// resolv.conf(5): `timeout` defaults to 5 s, `attempts` to 2.
const RES_TIMEOUT = 5;
const RES_DFLRETRY = 2;

export interface StubHost {
  readonly sched: Scheduler;
  dgram(): DgramModule;
  net(): NetModule;
  random(): number;
}

export interface StubAddress { address: string; family: 4 | 6 }
export type StubCallback = (err: number | null, addresses?: StubAddress[]) => void;

/** What one name's queries came to: the answers (one per query type), or no server answered. */
type Outcome = { kind: 'answer'; messages: DnsMessage[] } | { kind: 'again' };

/** The names res_search() tries for `name`, in order. */
export function searchNames(name: string, conf: ResolvConf): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const dots = name.split('.').length - 1;
  const withSuffix = conf.search.map((d) => `${name}.${d.replace(/\.$/, '')}`);
  return dots >= conf.ndots ? [name, ...withSuffix] : [...withSuffix, name];
}

/** A lookup of `name` in DNS (family 0: both). */
export function stubLookup(host: StubHost, conf: ResolvConf, rotation: number, name: string, family: 0 | 4 | 6, cb: StubCallback): void {
  const names = searchNames(name, conf);
  const qtypes = family === 4 ? [DNS_TYPE_A] : family === 6 ? [DNS_TYPE_AAAA] : [DNS_TYPE_A, DNS_TYPE_AAAA];
  let nodata = false;
  const next = (i: number): void => {
    if (i >= names.length) { cb(nodata ? UV_EAI_NODATA : UV_EAI_NONAME); return; }
    querySend(host, conf, rotation, names[i]!, qtypes, (o) => {
      if (o.kind === 'again') { cb(UV_EAI_AGAIN); return; }
      const r = addressesOf(o.messages);
      if (r.addresses.length > 0) { cb(null, r.addresses); return; }
      if (!r.nxdomain) nodata = true;
      next(i + 1);
    });
  };
  next(0);
}

/** gethostbyaddr() in DNS: the PTR name of an address (the first), for getnameinfo(). */
export function stubReverse(host: StubHost, conf: ResolvConf, rotation: number, address: string, cb: (err: number | null, name?: string) => void): void {
  const name = reverseName(address);
  if (name === null) { host.sched.after(0, () => cb(UV_EAI_NONAME)); return; }
  querySend(host, conf, rotation, name, [DNS_TYPE_PTR], (o) => {
    if (o.kind === 'again') { cb(UV_EAI_AGAIN); return; }
    for (const rr of o.messages[0]?.answers ?? []) if (rr.rdata?.type === 'PTR') { cb(null, rr.rdata.value); return; }
    cb(UV_EAI_NONAME);
  });
}

/** glibc res_send() for one name: its queries together, through the servers, `attempts` rounds. */
function querySend(host: StubHost, conf: ResolvConf, rotation: number, name: string, qtypes: number[], done: (o: Outcome) => void): void {
  const servers = conf.nameservers;
  const attempts = Math.max(1, conf.attempts ?? RES_DFLRETRY);
  const retrans = Math.max(1, conf.timeout ?? RES_TIMEOUT);
  const start = conf.rotate ? rotation % servers.length : 0;
  let round = 0;
  let i = 0;
  const step = (): void => {
    if (i >= servers.length) { i = 0; round++; }
    if (round >= attempts) { done({ kind: 'again' }); return; }
    const ns = servers[(start + i) % servers.length]!;
    // glibc send_dg(): seconds = retrans << ns; divided by the number of servers after the first.
    let seconds = retrans * 2 ** i;
    if (i > 0) seconds = Math.floor(seconds / servers.length);
    if (seconds <= 0) seconds = 1;
    i++;
    exchangeUdp(host, ns, name, qtypes, seconds * 1000, (r) => {
      if (r === 'next') step();
      else if (r === 'tcp') exchangeTcp(host, ns, name, qtypes, seconds * 1000, (t) => (t === 'next' || t === 'tcp' ? step() : done(t)));
      else done(r);
    });
  };
  step();
}

type Exchange = 'next' | 'tcp' | Outcome;

function ids(host: StubHost, n: number): number[] {
  const out: number[] = [];
  while (out.length < n) { const id = host.random() & 0xffff; if (!out.includes(id)) out.push(id); }
  return out;
}

/** Whether an answer is for this query, and what it says (glibc send_dg()'s checks). */
function judge(m: DnsMessage, id: number, name: string, qtype: number): 'ignore' | 'next' | 'tcp' | DnsMessage {
  const q = m.questions[0];
  // res_queriesmatch(): same ID, same question; anything else is not ours.
  if (m.id !== id || m.questions.length !== 1 || q === undefined || q.type !== qtype || dnsNameKey(q.name) !== dnsNameKey(name)) return 'ignore';
  if (m.rcode === DNS_RCODE_SERVFAIL || m.rcode === DNS_RCODE_NOTIMP || m.rcode === DNS_RCODE_REFUSED) return 'next';
  if (m.tc) return 'tcp';
  return m;
}

/** The addresses in A and/or AAAA answers, and whether the name does not exist. */
function addressesOf(answers: DnsMessage[]): { nxdomain: boolean; addresses: StubAddress[] } {
  const addresses: StubAddress[] = [];
  let nxdomain = false;
  for (const m of answers) {
    if (m.rcode === DNS_RCODE_NXDOMAIN) { nxdomain = true; continue; }
    if (m.rcode !== DNS_RCODE_NOERROR) continue;
    for (const rr of m.answers) {
      if (rr.rdata?.type === 'A' && m.questions[0]?.type === DNS_TYPE_A) addresses.push({ address: rr.rdata.address, family: 4 });
      if (rr.rdata?.type === 'AAAA' && m.questions[0]?.type === DNS_TYPE_AAAA) addresses.push({ address: rr.rdata.address, family: 6 });
    }
  }
  // Answers come A first (qtypes order), so addresses do too.
  return { nxdomain: nxdomain && addresses.length === 0, addresses };
}

function exchangeUdp(host: StubHost, ns: NameServer, name: string, qtypes: number[], ms: number, done: (r: Exchange) => void): void {
  const qids = ids(host, qtypes.length);
  const got: Array<DnsMessage | undefined> = qtypes.map(() => undefined);
  let timer: Timer | undefined;
  let finished = false;
  let s: ReturnType<DgramModule['createSocket']>;
  const finish = (r: Exchange): void => {
    if (finished) return;
    finished = true;
    timer?.cancel();
    s.removeAllListeners('message');
    s.on('error', () => {});
    try { s.close(); } catch { /* closed */ }
    done(r);
  };
  try {
    s = host.dgram().createSocket(ns.family === 6 ? 'udp6' : 'udp4');
  } catch {
    host.sched.after(0, () => done('next'));
    return;
  }
  s.on('error', () => finish('next'));
  s.on('message', (msg: Buffer) => {
    // glibc: a reply shorter than a header is an error of this server.
    if (msg.length < 12) { finish('next'); return; }
    const m = decodeDnsMessage(msg);
    if (m instanceof WireError) return;
    for (let k = 0; k < qtypes.length; k++) {
      const j = judge(m, qids[k]!, name, qtypes[k]!);
      if (j === 'ignore') continue;
      if (j === 'next' || j === 'tcp') { finish(j); return; }
      got[k] = j;
    }
    if (got.every((g) => g !== undefined)) finish({ kind: 'answer', messages: got as DnsMessage[] });
  });
  s.connect(ns.port, ns.address, () => {
    if (finished) return;
    qtypes.forEach((t, k) => s.send(encodeDnsQuery(qids[k]!, name, t), (err) => { if (err) finish('next'); }));
  });
  timer = host.sched.after(ms, () => finish('next'));
}

function exchangeTcp(host: StubHost, ns: NameServer, name: string, qtypes: number[], ms: number, done: (r: Exchange) => void): void {
  const qids = ids(host, qtypes.length);
  const got: Array<DnsMessage | undefined> = qtypes.map(() => undefined);
  const reader = new DnsTcpReader();
  let finished = false;
  let sock: ReturnType<NetModule['connect']>;
  const finish = (r: Exchange): void => {
    if (finished) return;
    finished = true;
    timer.cancel();
    sock.removeAllListeners('data');
    sock.on('error', () => {});
    sock.destroy();
    done(r);
  };
  const timer = host.sched.after(ms, () => finish('next'));
  try {
    sock = host.net().connect({ port: ns.port, host: ns.address });
  } catch {
    timer.cancel();
    host.sched.after(0, () => done('next'));
    return;
  }
  sock.on('error', () => finish('next'));
  sock.on('close', () => finish('next'));
  sock.on('data', (chunk: Buffer) => {
    for (const msg of reader.push(chunk)) {
      const m = decodeDnsMessage(msg);
      if (m instanceof WireError) { finish('next'); return; }
      for (let k = 0; k < qtypes.length; k++) {
        const j = judge(m, qids[k]!, name, qtypes[k]!);
        if (j === 'ignore') continue;
        if (j === 'next' || j === 'tcp') { finish('next'); return; }
        got[k] = j;
      }
    }
    if (got.every((g) => g !== undefined)) finish({ kind: 'answer', messages: got as DnsMessage[] });
  });
  for (let k = 0; k < qtypes.length; k++) sock.write(frameDnsTcp(encodeDnsQuery(qids[k]!, name, qtypes[k]!)));
}
