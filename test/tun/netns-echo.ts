// Inside a fresh network namespace (see netns.ts): opens a TUN (`tun`) or TAP (`tap`) device,
// gives the kernel's side 10.77.0.1/24, lets the kernel ping 10.77.0.2 three times and answers
// from JavaScript with echo replies (and, on TAP, ARP replies) built by hand, byte by byte.
// Prints `RESULT {...}` with what was seen, or `SKIP <reason>`.

import { execFile, spawnSync } from 'node:child_process';
import { openTun, type TunDevice } from '../../src/doors/tun.js';

const mode = process.argv[2] === 'tap' ? 'tap' : 'tun';
const MY_MAC = Uint8Array.of(0x02, 0x00, 0x5e, 0x77, 0x00, 0x02);
const MY_IP = Uint8Array.of(10, 77, 0, 2);

/** RFC 1071 Internet checksum over bytes[start, end). */
function inetSum(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) & 1) s += b[end - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
function put16(b: Uint8Array, at: number, v: number): void { b[at] = v >> 8; b[at + 1] = v & 0xff; }

const seen = { frames: 0, ipv4: 0, echoRequests: 0, badChecksums: 0, arpRequests: 0, replies: 0, other: 0 };

/** An echo reply for an IPv4 ICMP echo request at ip[0..], or null. */
function echoReply(ip: Uint8Array): Uint8Array | null {
  if (ip.length < 20 || ip[0]! >> 4 !== 4) return null;
  seen.ipv4++;
  const ihl = (ip[0]! & 0x0f) * 4;
  const total = (ip[2]! << 8) | ip[3]!;
  if (ip[9] !== 1 || total > ip.length || total < ihl + 8) return null;
  if (ip[ihl] !== 8 || ip[ihl + 1] !== 0) return null;
  seen.echoRequests++;
  if (inetSum(ip, 0, ihl) !== 0 || inetSum(ip, ihl, total) !== 0) { seen.badChecksums++; return null; }
  const out = new Uint8Array(total);
  out.set(ip.subarray(0, total));
  out.set(ip.subarray(16, 20), 12);          // source <- the request's destination
  out.set(ip.subarray(12, 16), 16);          // destination <- the request's source
  out[8] = 64;                               // TTL
  put16(out, 10, 0);
  put16(out, 10, inetSum(out, 0, ihl));      // header checksum
  out[ihl] = 0;                              // type 0: echo reply; code, id, sequence, data stay
  put16(out, ihl + 2, 0);
  put16(out, ihl + 2, inetSum(out, ihl, total));
  return out;
}

/** An ARP reply for an ARP request asking for MY_IP, or null (frame = Ethernet II). */
function arpReply(f: Uint8Array): Uint8Array | null {
  if (f.length < 42 || f[12] !== 0x08 || f[13] !== 0x06) return null;
  const a = 14;
  // htype 1, ptype 0x0800, hlen 6, plen 4, op 1 (request)
  if (f[a + 1] !== 1 || f[a + 2] !== 8 || f[a + 3] !== 0 || f[a + 4] !== 6 || f[a + 5] !== 4 || f[a + 7] !== 1) return null;
  if (!MY_IP.every((v, i) => f[a + 24 + i] === v)) return null;
  seen.arpRequests++;
  const out = new Uint8Array(42);
  out.set(f.subarray(6, 12), 0);             // to the asker
  out.set(MY_MAC, 6);
  out[12] = 0x08; out[13] = 0x06;
  out.set(f.subarray(a, a + 6), a);          // htype, ptype, hlen, plen
  out[a + 6] = 0; out[a + 7] = 2;            // op 2: reply
  out.set(MY_MAC, a + 8);                    // sender: me
  out.set(MY_IP, a + 14);
  out.set(f.subarray(a + 8, a + 18), a + 18); // target: the asker's MAC and IP
  return out;
}

function handle(dev: TunDevice, frame: Uint8Array): void {
  seen.frames++;
  let reply: Uint8Array | null;
  if (mode === 'tun') {
    reply = echoReply(frame);
  } else if (frame.length >= 14 && frame[12] === 0x08 && frame[13] === 0x00) {
    const ip = echoReply(frame.subarray(14));
    reply = null;
    if (ip) {
      reply = new Uint8Array(14 + ip.length);
      reply.set(frame.subarray(6, 12), 0);
      reply.set(MY_MAC, 6);
      reply[12] = 0x08; reply[13] = 0x00;
      reply.set(ip, 14);
    }
  } else {
    reply = arpReply(frame);
  }
  if (reply) { seen.replies++; dev.send(reply); } else seen.other++;
}

/** The kernel's pingers that are installed: iputils' ping, and a raw-socket one in python3. */
function pingers(): Array<{ cmd: string; args: string[] }> {
  const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  const list: Array<{ cmd: string; args: string[] }> = [];
  if (has('ping')) list.push({ cmd: 'ping', args: ['-n', '-c', '3', '-i', '0.2', '-W', '5', '10.77.0.2'] });
  if (has('python3')) list.push({ cmd: 'python3', args: [new URL('./kernel-ping.py', import.meta.url).pathname, '10.77.0.2', '3'] });
  return list;
}

const hows = pingers();
if (hows.length === 0) { console.log('SKIP neither `ping` nor `python3` in this namespace to send the kernel\'s echo requests'); process.exit(0); }

let dev: TunDevice;
try {
  dev = openTun(mode === 'tun' ? 'utun0' : 'utap0', { layer: mode === 'tun' ? 3 : 2, mtu: 1400 });
} catch (e) {
  const code = (e as { code?: string }).code;
  if (code === 'EPERM' || code === 'EACCES' || code === 'ENOENT') { console.log(`SKIP ${(e as Error).message}`); process.exit(0); }
  throw e;
}
dev.onFrame = (f) => handle(dev, f);
const ip = (args: string): void => {
  const r = spawnSync('ip', args.split(' '), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args}: ${r.stderr}`);
};
// No IPv6 on the device: only the traffic the test makes.
spawnSync('sh', ['-c', `echo 1 > /proc/sys/net/ipv6/conf/${dev.name}/disable_ipv6`], { stdio: 'ignore' });
ip(`link set ${dev.name} up`);
ip(`addr add 10.77.0.1/24 dev ${dev.name}`);
const kernelMtu = /mtu (\d+)/.exec(spawnSync('ip', ['link', 'show', dev.name], { encoding: 'utf8' }).stdout)?.[1];

type PingRun = { pinger: string; exit: number; output: string };
function runPing(how: { cmd: string; args: string[] }): Promise<PingRun> {
  return new Promise((resolve) => {
    execFile(how.cmd, how.args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ pinger: how.cmd, exit: err ? (typeof err.code === 'number' ? err.code : -1) : 0, output: `${stdout}${stderr}`.trim() });
    });
  });
}

const runs: PingRun[] = [];
for (const how of hows) runs.push(await runPing(how));
const result = { mode, name: dev.name, kernelMtu: Number(kernelMtu), runs, seen, stats: { ...dev.stats } };
dev.close();
console.log(`RESULT ${JSON.stringify(result)}`);
