// `usernet demo`: the main job on the built-in topology.
//
//   a (10.0.0.1, fd00::1) ──┐                      ┌── c (10.0.1.3, fd00:1::3)
//                           ├─ lan ── r (router) ── lan2
//   b (10.0.0.2, fd00::2) ──┘   10.0.0.254 / 10.0.1.254
//
// a and b exchange datagrams in both families over the switch; a pings c through the router;
// every layer says what it did: socket calls (strace-like), neighbour tables (ip neigh),
// routes (ip route get), counters, and the whole thing lands in a pcap file.

import { Network } from '../world/network.js';
import type { Host } from '../world/host.js';
import type { Switch } from '../links/switch.js';
import { describeFrame } from '../wire/describe.js';
import * as http from 'node:http';
import type { Socket } from 'node:net';

export interface DemoOptions {
  /** Where the capture of the lan is written. */
  pcap: string;
  seed: number;
  /** Print function (stdout by default). */
  out?: (line: string) => void;
}

export interface DemoResult {
  pcap: string;
  pcap2: string;
  packets: number;
  datagrams: number;
  pings: number;
  httpStatus: number;
}

function section(out: (l: string) => void, title: string): void {
  out('');
  out(`── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}`);
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const out = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const world = new Network({ seed: opts.seed });
  const lan = world.switch('lan', { mtu: 1500, rate: '1gbit' });
  const lan2 = world.switch('lan2', { mtu: 1500, rate: '100mbit' });
  lan2.impair({ latency: '2ms' }); // the far side is a little far away
  const a = world.host('a');
  const b = world.host('b');
  const c = world.host('c');
  const r = world.host('r', { forwarding: true });
  a.attach(lan, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  b.attach(lan, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  r.attach(lan, { ipv4: '10.0.0.254/24', ipv6: 'fd00::fe/64' });
  r.attach(lan2, { ipv4: '10.0.1.254/24', ipv6: 'fd00:1::fe/64' });
  c.attach(lan2, { ipv4: '10.0.1.3/24', ipv6: 'fd00:1::3/64' });
  for (const h of [a, b]) { h.route.add('default', { via: '10.0.0.254' }); h.route.add('::/0', { via: 'fd00::fe' }); }
  c.route.add('default', { via: '10.0.1.254' });
  c.route.add('::/0', { via: 'fd00:1::fe' });
  const pcap2 = opts.pcap.replace(/(\.pcap)?$/, '-lan2.pcap');
  const cap = world.capture(lan, opts.pcap);
  const cap2 = world.capture(lan2, pcap2);
  const wire: string[] = [];
  lan.addTap((frame, time) => { wire.push(`${time.toFixed(6).padStart(12)}ms  ${describeFrame(frame)}`); });

  out('usernet demo: four hosts, two switches, one router; virtual clock, seed ' + opts.seed);
  section(out, 'ip addr (host a)');
  for (const i of a.addr()) {
    out(`${i.ifindex}: ${i.ifname}: mtu ${i.mtu} ${i.up ? 'UP' : 'DOWN'} link/ether ${i.mac}`);
    for (const ad of i.addrs) out(`    ${ad.family === 4 ? 'inet ' : 'inet6'} ${ad.address}/${ad.prefix}`);
  }

  // Socket calls, as strace would print them.
  const trace: string[] = [];
  const stopA = a.trace((line) => trace.push(`[a ${world.now().toFixed(3)}ms] ${line}`));
  const stopB = b.trace((line) => trace.push(`[b ${world.now().toFixed(3)}ms] ${line}`));

  section(out, 'UDP over the switch, IPv4 and IPv6 (node:dgram API on hosts a and b)');
  let datagrams = 0;
  for (const [type, server, dst] of [['udp4', '10.0.0.2', 'b'], ['udp6', 'fd00::2', 'fd00::2']] as const) {
    const srv = b.dgram.createSocket(type);
    await new Promise<void>((resolve) => srv.bind(7, server, () => resolve()));
    srv.on('message', (msg, rinfo) => {
      out(`  b got ${JSON.stringify(msg.toString())} from ${rinfo.address}:${rinfo.port} (${rinfo.family}), echoing`);
      srv.send(msg.toString().toUpperCase(), rinfo.port, rinfo.address);
    });
    const cli = a.dgram.createSocket(type);
    const got = new Promise<string>((resolve) => cli.once('message', (m, ri) => resolve(`${m.toString()} from ${ri.address}:${ri.port}`)));
    cli.send(`hello over ${type}`, 7, dst);
    out(`  a got ${await got}`);
    datagrams += 2;
    cli.close();
    srv.close();
  }
  stopA();
  stopB();
  section(out, 'socket calls (strace -e trace=network)');
  for (const l of trace) out('  ' + l);

  section(out, 'the wire (lan), like tcpdump -n');
  for (const l of wire) out('  ' + l);
  wire.length = 0;

  section(out, 'ping through the router (ICMP and ICMPv6 echo)');
  let pings = 0;
  for (const target of ['10.0.1.3', 'fd00:1::3', 'c']) {
    const p = await a.ping(target);
    pings++;
    out(`  a → ${target}: ${p.bytes} bytes from ${p.from}: ttl=${p.ttl} time=${p.time.toFixed(3)} ms`);
  }
  try {
    await a.ping('10.0.1.3', { ttl: 1 });
  } catch (err) {
    out(`  a → 10.0.1.3 with ttl 1: ${(err as Error).message}`);
  }

  section(out, 'the wire (lan) during the pings');
  for (const l of wire) out('  ' + l);

  section(out, 'HTTP from a to c through the router (node:http over host.net)');
  const timeline = await httpExchange(a, c, lan, (l) => out(l));
  out(`  response: ${timeline.status} ${JSON.stringify(timeline.body)}`);
  out('  events (listening → connection → data → end → close on both sides) beside the segments on lan:');
  for (const l of timeline.lines) out('  ' + l);

  section(out, 'ss -tan (host a, host c)');
  for (const h of [a, c]) {
    for (const so of h.tcp.sockets()) out(`  ${h.name}: ${so.state.padEnd(10)} ${so.local.padEnd(18)} ${so.remote.padEnd(18)} rtt ${Number(so.info.rtt).toFixed(3)}ms cwnd ${so.info.sndCwnd}`);
  }

  section(out, 'ip route get');
  for (const [h, dst] of [[a, '10.0.0.2'], [a, '10.0.1.3'], [a, 'fd00:1::3'], [r, '10.0.1.3']] as Array<[Host, string]>) {
    const g = h.route.get(dst);
    out(`  ${h.name}: ${dst}${g.via ? ' via ' + g.via : ''} dev ${g.dev} src ${g.src} mtu ${g.mtu}`);
  }

  section(out, 'ip neigh (ARP and neighbour discovery)');
  for (const h of [a, r]) {
    for (const n of h.neigh()) out(`  ${h.name}: ${n.dst} dev ${n.dev}${n.lladdr ? ' lladdr ' + n.lladdr : ''} ${n.state}${n.router ? ' router' : ''}`);
  }

  section(out, 'counters');
  const s = r.kernel.stats;
  out(`  r: ip.ForwDatagrams=${s.ip?.ForwDatagrams ?? 0} ip6.OutForwDatagrams=${s.ip6?.OutForwDatagrams ?? 0} icmp.OutTimeExcds=${s.icmp?.OutTimeExcds ?? 0}`);
  const sw = lan.stats();
  out(`  lan switch: ${sw.frames} frames, ${sw.flooded} flooded, ${sw.forwarded} forwarded; learned ${lan.macTable().length} MACs`);

  await world.run({ for: '1s' });
  await cap.close();
  await cap2.close();
  section(out, 'capture');
  out(`  ${cap.packets} frames on lan → ${opts.pcap}`);
  out(`  ${cap2.packets} frames on lan2 → ${pcap2}`);
  out(`  read them with: tshark -r ${opts.pcap}`);
  out(`  virtual time elapsed: ${world.now().toFixed(3)} ms`);
  return { pcap: opts.pcap, pcap2, packets: cap.packets + cap2.packets, datagrams, pings, httpStatus: timeline.status };
}

/**
 * One HTTP request from `client` to `server` (node:http on top of host.net), returning the
 * net.Socket events of both sides in the order they happened, interleaved with the TCP
 * segments seen on the wire `tap` by virtual time.
 */
async function httpExchange(client: Host, server: Host, tap: Switch, _out: (l: string) => void): Promise<{ status: number; body: string; lines: string[] }> {
  const world = client.network;
  const lines: Array<{ t: number; seq: number; text: string }> = [];
  let seq = 0;
  const at = (text: string): void => { lines.push({ t: world.now(), seq: seq++, text }); };
  const untap = tap.addTap((frame, time) => {
    const d = describeFrame(frame);
    if (d.includes(': Flags [')) lines.push({ t: time, seq: seq++, text: `        wire  ${d.replace(/, options \[[^\]]*\]/, '')}` });
  });
  const watch = (who: string, s: Socket): void => {
    for (const ev of ['connect', 'ready', 'data', 'end', 'finish', 'close'] as const) {
      s.on(ev, (arg?: unknown) => {
        const extra = ev === 'data' ? ` (${(arg as Buffer).length} bytes)` : ev === 'close' ? ` (hadError ${String(arg)})` : '';
        at(`${who.padEnd(6)}  '${ev}'${extra}`);
      });
    }
  };
  const httpServer = http.createServer({ keepAlive: false }, (req, res) => {
    res.setHeader('connection', 'close');
    // node:http's own Date header reads the machine's clock (a cache Node's http keeps): the
    // host's clock keeps the capture the same on every run.
    res.setHeader('date', new Date(server.clock.now()).toUTCString());
    res.end(`hello ${req.socket.remoteAddress} from ${server.name}\n`);
  });
  const srv = server.net.createServer((sock) => {
    at(`c srv   'connection' from ${sock.remoteAddress}:${sock.remotePort}`);
    watch('c srv', sock as unknown as Socket);
    httpServer.emit('connection', sock);
  });
  await new Promise<void>((resolve) => srv.listen(80, () => { at("c srv   'listening' on port 80"); resolve(); }));
  const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({
      host: server.name, port: 80, path: '/',
      createConnection: () => {
        const sock = client.net.connect(80, '10.0.1.3');
        sock.on('lookup', () => at("a cli   'lookup'"));
        watch('a cli', sock as unknown as Socket);
        return sock as unknown as Socket;
      },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
  await world.run({ for: '500ms' });
  srv.close();
  untap();
  lines.sort((x, y) => x.t - y.t || x.seq - y.seq);
  return { ...result, lines: lines.map((l) => `${l.t.toFixed(3).padStart(9)}ms  ${l.text}`) };
}
