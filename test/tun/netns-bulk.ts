// Inside a fresh network namespace (see netns.ts): large TCP transfers both ways between the
// Linux kernel and a usernet host over a TUN device, through usernet's own netem-like
// impairments (loss, reordering, delay) on the TUN side.
//
//   node netns-bulk.ts <MiB> <4|6> [impairment JSON]
//
// The usernet host's interface is plugged into one end of a layer-3 Cable whose other end is
// spliced to the TUN device (netns-tools.ts, through: 'cable'); `cable.impair()` then acts on
// both directions exactly as it does between two usernet hosts. The kernel's sockets use CUBIC
// (pinned per socket, as on most Linux hosts) and plays its side with python3 sockets:
//   kernel -> usernet: a kernel client sends <MiB> MiB of random bytes to a host.net server,
//     which answers "<bytes> <sha256>"; the client reads its own `ss -tin` and TCP_INFO while the
//     connection is still established.
//   usernet -> kernel: a host.net client sends <MiB> MiB to a kernel server, which answers the
//     same way; usernet's side of the connection is read from host.ss().
// The namespace's /proc/net/snmp and /proc/net/netstat counters are read around each phase.
// Prints `RESULT {...}` or `SKIP <reason>`.

import { createHash, randomBytes } from 'node:crypto';
import { Network } from '../../src/world/network.js';
import type { ImpairOptions } from '../../src/links/impair.js';
import { counterDelta, hashSink, hashSource, kernelTcpCounters, needCommands, tunSide } from './netns-tools.js';

needCommands('python3', 'ss');
const mib = Number(process.argv[2] ?? 4);
const family = process.argv[3] === '6' ? 6 : 4;
const impair = JSON.parse(process.argv[4] ?? '{"latency":"5ms","loss":0.005,"reorder":0.01}') as ImpairOptions;
const N = Math.round(mib * 1024 * 1024);
const me = family === 4 ? '10.77.0.2' : 'fd77::2';
const kernelAddr = family === 4 ? '10.77.0.1' : 'fd77::1';

const world = new Network({ clock: 'real', seed: 11 });
const h = world.host('u');
const { dev, iface, cable } = tunSide(world, h, {
  name: 'ubulk0', ipv4: '10.77.0.2/24', ipv6: 'fd77::2/64', kernelIpv4: '10.77.0.1/24', kernelIpv6: 'fd77::1/64',
  through: 'cable',
});
cable!.impair(impair);
const r: Record<string, unknown> = { mib, family, impair };

/** Python: prints the connection's `ss -tin` line and selected TCP_INFO fields as JSON. */
const SS_INFO = `
def cubic(s):
    # The kernel's side as a stock Linux host: CUBIC, whatever this machine's default is (a
    # namespace cannot change the default to an algorithm outside tcp_allowed_congestion_control).
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b'cubic')

def conn_info(s, peer):
    import subprocess, struct
    out = subprocess.run(['ss', '-tinH', 'state', 'established', 'dst', peer if ':' not in peer else '[' + peer + ']'],
                         capture_output=True, text=True).stdout
    raw = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    # struct tcp_info (linux/tcp.h): 8 u8 (backoff at 4), 24 u32 from offset 8 (total_retrans
    # last, at 100), 4 u64, then segs_out/segs_in at 136 and data_segs_in/out at 152.
    total_retrans = struct.unpack_from('I', raw, 100)[0]
    segs_out, segs_in = struct.unpack_from('II', raw, 136)
    data_segs_in, data_segs_out = struct.unpack_from('II', raw, 152)
    return {'ss': ' '.join(out.split()), 'totalRetrans': total_retrans, 'segsOut': segs_out, 'segsIn': segs_in,
            'dataSegsOut': data_segs_out, 'dataSegsIn': data_segs_in, 'backoff': raw[4]}
`;

/** The bytes of one transfer and their hash. */
function payload(): { data: Buffer; sha: string } {
  const data = randomBytes(N);
  return { data, sha: createHash('sha256').update(data).digest('hex') };
}

// --- kernel -> usernet ---------------------------------------------------------------------
{
  let got = 0;
  const hash = createHash('sha256');
  let t0 = 0;
  let ms = 0;
  const server = h.net.createServer((s) => {
    t0 = performance.now();
    s.on('data', (b: Buffer) => {
      hash.update(b);
      got += b.length;
      if (got === N) { ms = performance.now() - t0; s.write(`${got} ${hash.digest('hex')}\n`); }
    });
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  await new Promise<void>((res) => server.listen(5001, () => res()));
  const before = await kernelTcpCounters();
  const cableBefore = cable!.stats();
  const k = await hashSource({ peer: me, port: 5001, bytes: N, timeoutMs: 600_000, setup: SS_INFO, prepare: 'cubic', info: 'conn_info(s, peer)' });
  server.close();
  const cableAfter = cable!.stats();
  r.toUsernet = {
    exit: k.exit, kernel: k.report, usernetBytes: got, usernetMs: ms,
    counters: counterDelta(before, await kernelTcpCounters()),
    // a->b: what usernet sent (ACKs here); b->a: what the kernel sent (data here).
    cable: { data: laneDelta(cableBefore['b->a'], cableAfter['b->a']), acks: laneDelta(cableBefore['a->b'], cableAfter['a->b']) },
  };
}

// --- usernet -> kernel ---------------------------------------------------------------------
{
  const { data, sha } = payload();
  const before = await kernelTcpCounters();
  const usernetBefore = { ...h.tcp.stats };
  const cableBefore = cable!.stats();
  const sink = hashSink({ addr: kernelAddr, port: 5002, bytes: N, setup: SS_INFO, prepare: 'cubic', info: 'conn_info(s, peer)' });
  await sink.listening;
  const t0 = performance.now();
  // usernet's counters are read with its TCP_INFO, when the answer comes: a FIN retransmitted
  // after that (the cable loses 0.5 %) would count in RetransSegs and not in the TCP_INFO read.
  let usernetAfter = { ...h.tcp.stats };
  const out = await new Promise<Record<string, unknown>>((resolve) => {
    const c = h.net.connect(5002, kernelAddr);
    let reply = '';
    let off = 0;
    const CHUNK = 256 * 1024;
    const pump = (): void => {
      while (off < N) {
        const end = Math.min(N, off + CHUNK);
        const ok = c.write(data.subarray(off, end));
        off = end;
        if (!ok) { c.once('drain', pump); return; }
      }
    };
    c.on('connect', pump);
    c.on('data', (b: Buffer) => {
      reply += b.toString();
      if (!reply.endsWith('\n')) return;
      const ms = performance.now() - t0;
      const row = h.tcp.sockets().find((e) => e.state === 'ESTAB' && e.remote.includes(`${kernelAddr}`));
      const i = row?.info;
      usernetAfter = { ...h.tcp.stats };
      c.end();
      resolve({ reply: reply.trim(), ms, usernet: i && {
        totalRetrans: i.totalRetrans, segsOut: i.segsOut, dataSegsOut: i.dataSegsOut, bytesRetrans: i.bytesRetrans,
        rtt: i.rtt, rto: i.rto, cwnd: i.sndCwnd, ssthresh: i.sndSsthresh, reordering: i.reordering, congestion: i.congestion,
        mss: i.sndMss, pmtu: i.pmtu } });
    });
    c.on('error', (e: Error) => resolve({ error: e.message, sent: off }));
  });
  const exit = await sink.finish();
  const cableAfter = cable!.stats();
  r.toKernel = {
    ...out, sha, exit, kernel: sink.report(),
    usernetCounters: counterDelta(usernetBefore, usernetAfter),
    counters: counterDelta(before, await kernelTcpCounters()),
    cable: { data: laneDelta(cableBefore['a->b'], cableAfter['a->b']), acks: laneDelta(cableBefore['b->a'], cableAfter['b->a']) },
  };
}

function laneDelta(a: { frames: number; lost: number; reordered: number; overLimit: number }, b: typeof a): Record<string, number> {
  return { frames: b.frames - a.frames, lost: b.lost - a.lost, reordered: b.reordered - a.reordered, overLimit: b.overLimit - a.overLimit };
}

r.stats = { ...dev.stats };
r.iface = { ...iface.stats };
dev.close();
console.log(`RESULT ${JSON.stringify(r)}`);
process.exit(0);
