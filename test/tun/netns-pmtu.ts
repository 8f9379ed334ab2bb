// Inside a fresh network namespace (see netns.ts): path MTU discovery between the Linux kernel and
// a usernet host across a smaller-MTU hop inside usernet.
//
//   node netns-pmtu.ts <4|6> <MiB>
//
//   kernel ==TUN 1500== r1 ==link mtu 1400== r2 ==link 1500== a
//   10.77.0.1  10.77.0.2 | 10.78.1.1  10.78.1.2 | 10.78.2.1  10.78.2.2     (fd77::, fd78:1::, fd78:2::)
//
// Both ends sit on 1500-byte links, so each advertises an MSS that does not fit the middle hop:
// the transfer only completes if the routers' ICMP "fragmentation needed" (IPv4, DF set) or
// ICMPv6 "packet too big" lowers the sender's path MTU. Kernel -> a: r1 must tell the kernel;
// a -> kernel: r2 must tell a. Afterwards the kernel's route cache (`ip route get`) and its
// socket (`ss -ti` pmtu) must show 1400, as must a's route lookup and socket.
// Prints `RESULT {...}` or `SKIP <reason>`.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Network } from '../../src/world/network.js';
import { hashSink, hashSource, needCommands, run, tunSide } from './netns-tools.js';

needCommands('python3', 'ss');
const family = process.argv[2] === '6' ? 6 : 4;
const N = Math.round(Number(process.argv[3] ?? 4) * 1024 * 1024);
const MTU = 1400;
const A = family === 4 ? '10.78.2.2' : 'fd78:2::2';
// a's second address, its source toward the kernel: the kernel's route cache for it stays empty,
// so the kernel advertises a full-size MSS and a has to find the path MTU itself.
const A2 = family === 4 ? '10.78.2.3' : 'fd78:2::3';
const K = family === 4 ? '10.77.0.1' : 'fd77::1';

const world = new Network({ clock: 'real', seed: 5 });
const r1 = world.host('r1', { forwarding: true });
const r2 = world.host('r2', { forwarding: true });
const a = world.host('a');
const { dev, iface } = tunSide(world, r1, {
  name: 'upmtu0', ipv4: '10.77.0.2/24', ipv6: 'fd77::2/64', kernelIpv4: '10.77.0.1/24', kernelIpv6: 'fd77::1/64',
});
world.link(r1, r2, { mtu: MTU, ipv4: ['10.78.1.1/24', '10.78.1.2/24'], ipv6: ['fd78:1::1/64', 'fd78:1::2/64'] });
const aLink = world.link(r2, a, { ipv4: ['10.78.2.1/24', '10.78.2.2/24'], ipv6: ['fd78:2::1/64', 'fd78:2::2/64'] });
aLink.interfaces[1].addAddress(family === 4 ? '10.78.2.3/24' : 'fd78:2::3/64');
r1.route.add('10.78.2.0/24', { via: '10.78.1.2' });
r1.route.add('fd78:2::/64', { via: 'fd78:1::2' });
r2.route.add('default', { via: '10.78.1.1' });
r2.route.add('default', { via: 'fd78:1::1' });
a.route.add('default', { via: '10.78.2.1' });
a.route.add('default', { via: 'fd78:2::1' });
const ipc = (args: string[]): Promise<string> => run('ip', args).then((x) => x.out);
await ipc(['route', 'add', '10.78.0.0/16', 'via', '10.77.0.2']);
await ipc(['-6', 'route', 'add', 'fd78::/16', 'via', 'fd77::2']);

/** The namespace's ICMP counters: destination unreachable (v4) and packet too big (v6) received. */
function kernelIcmp(): { inDestUnreachs: number; inPktTooBigs: number } {
  const snmp = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Icmp:'));
  const names = snmp[0]!.split(/\s+/);
  const values = snmp[1]!.split(/\s+/);
  const v6 = /Icmp6InPktTooBigs\s+(\d+)/.exec(readFileSync('/proc/net/snmp6', 'utf8'));
  return { inDestUnreachs: Number(values[names.indexOf('InDestUnreachs')]), inPktTooBigs: Number(v6?.[1] ?? 0) };
}
const icmpSent = (h: typeof r1): { destUnreachs: number; pktTooBigs: number } =>
  ({ destUnreachs: h.kernel.stats.icmp.OutDestUnreachs ?? 0, pktTooBigs: h.kernel.stats.icmp6.OutPktTooBigs ?? 0 });

const res: Record<string, unknown> = { family, mtu: MTU, bytes: N, kernelIcmpBefore: kernelIcmp(), routeBefore: await ipc(['route', 'get', A]) };

// --- kernel -> a: a host.net server hashes what arrives and answers "<bytes> <sha256>". --------
{
  const server = a.net.createServer((s) => {
    const hash = createHash('sha256');
    let got = 0;
    s.on('data', (b: Buffer) => { hash.update(b); got += b.length; if (got === N) s.write(`${got} ${hash.digest('hex')}\n`); });
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  await new Promise<void>((ok) => server.listen(5001, () => ok()));
  const t0 = performance.now();
  // IP_MTU_DISCOVER is IP_PMTUDISC_WANT by default on Linux: TCP sends with DF set.
  // (IPV6_MTU_DISCOVER 23, IP_MTU_DISCOVER 10; 1 = IP_PMTUDISC_WANT)
  const k = await hashSource({
    peer: A, port: 5001, bytes: N, timeoutMs: 60_000,
    setup: `
      import subprocess
      def ss(peer):
          out = subprocess.run(['ss', '-tinH', 'state', 'established', 'dst', peer if ':' not in peer else '[' + peer + ']'],
                               capture_output=True, text=True).stdout
          return ' '.join(out.split())`,
    info: "{'ss': ss(peer), 'pmtudisc': s.getsockopt(socket.IPPROTO_IPV6, 23) if ':' in peer else s.getsockopt(socket.IPPROTO_IP, 10)}",
  });
  server.close();
  const kernel = k.report;
  res.toA = { exit: k.exit, kernel, ms: performance.now() - t0, routeAfter: await ipc([family === 4 ? '-4' : '-6', 'route', 'get', A]),
    kernelIcmp: kernelIcmp(), r1Sent: icmpSent(r1), r2Sent: icmpSent(r2) };
}

// --- a -> kernel: a kernel server hashes and answers; a's socket is read before it closes. ------
{
  const data = randomBytes(N);
  const sha = createHash('sha256').update(data).digest('hex');
  const sink = hashSink({ addr: K, port: 5002, bytes: N });
  await sink.listening;
  const r2Before = icmpSent(r2);
  const t0 = performance.now();
  res.fromA = await new Promise<Record<string, unknown>>((resolve) => {
    const c = a.net.connect({ port: 5002, host: K, localAddress: A2 });
    let reply = '';
    c.on('connect', () => { c.write(data); });
    c.on('data', (b: Buffer) => {
      reply += b.toString();
      if (!reply.endsWith('\n')) return;
      const i = a.tcp.sockets().find((e) => e.state === 'ESTAB' && e.remote.includes(K))?.info;
      c.end();
      resolve({ reply: reply.trim(), sha, ms: performance.now() - t0, socket: i && { pmtu: i.pmtu, mss: i.sndMss, advmss: i.advmss, totalRetrans: i.totalRetrans } });
    });
    c.on('error', (e: Error) => resolve({ error: e.message }));
    c.setTimeout(60_000, () => c.destroy(new Error('timed out')));
  });
  await sink.finish(5000);
  res.fromA = { ...(res.fromA as object), kernelRoute: await ipc([family === 4 ? '-4' : '-6', 'route', 'get', A2]), kernelSaw: sink.report(), route: a.route.get(K),
    r2Sent: { destUnreachs: icmpSent(r2).destUnreachs - r2Before.destUnreachs, pktTooBigs: icmpSent(r2).pktTooBigs - r2Before.pktTooBigs } };
}

res.iface = { ...iface.stats };
res.stats = { ...dev.stats };
dev.close();
console.log(`RESULT ${JSON.stringify(res)}`);
process.exit(0);
