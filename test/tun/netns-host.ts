// Inside a fresh network namespace (see netns.ts): a usernet host on a real clock gets a TUN
// (`tun`) or TAP (`tap`) device through host.attachTun, with 10.77.0.2/24 in usernet and
// 10.77.0.1/24 on the kernel's side. Then the Linux kernel and usernet talk: ICMP echo both
// ways, UDP from a kernel socket to a usernet dgram echo, TCP from a kernel socket to a usernet
// net echo server and from usernet to a kernel server. Prints `RESULT {...}` or `SKIP <reason>`.

import { execFile, spawnSync } from 'node:child_process';
import { Network } from '../../src/network.js';

const mode = process.argv[2] === 'tap' ? 'tap' : 'tun';
if (spawnSync('sh', ['-c', 'command -v python3'], { stdio: 'ignore' }).status !== 0) {
  console.log('SKIP no python3 in this namespace to play the kernel\'s sockets');
  process.exit(0);
}

const world = new Network({ clock: 'real', seed: 1 });
const h = world.host('u');
let dev;
try {
  dev = h.attachTun(mode === 'tun' ? 'uhost0' : 'uhtap0', { ipv4: '10.77.0.2/24', layer: mode === 'tun' ? 3 : 2, mtu: 1400 });
} catch (e) {
  const code = (e as { code?: string }).code;
  if (code === 'EPERM' || code === 'EACCES' || code === 'ENOENT') { console.log(`SKIP ${(e as Error).message}`); process.exit(0); }
  throw e;
}
const ip = (args: string): void => {
  const r = spawnSync('ip', args.split(' '), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args}: ${r.stderr}`);
};
spawnSync('sh', ['-c', `echo 1 > /proc/sys/net/ipv6/conf/${dev.name}/disable_ipv6`], { stdio: 'ignore' });
ip(`link set ${dev.name} up`);
ip(`addr add 10.77.0.1/24 dev ${dev.name}`);

function run(cmd: string, args: string[], timeout = 8000): Promise<{ exit: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout }, (err, stdout, stderr) => {
      resolve({ exit: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: `${stdout}${stderr}`.trim() });
    });
  });
}
/** Runs python3 code (indented as it sits in this file: the common indentation is removed). */
function py(code: string): Promise<{ exit: number; out: string }> {
  const lines = code.split('\n').filter((l) => l.trim() !== '');
  const indent = Math.min(...lines.map((l) => /^ */.exec(l)![0].length));
  return run('python3', ['-c', lines.map((l) => l.slice(indent)).join('\n')]);
}

const r: Record<string, unknown> = { mode, name: dev.name };

// usernet -> kernel: ICMP echo.
try {
  const p = await h.ping('10.77.0.1', { timeout: '2s' });
  r.usernetPing = { ok: true, from: p.from, ttl: p.ttl };
} catch (e) {
  r.usernetPing = { ok: false, error: (e as Error).message };
}

// kernel -> usernet: ICMP echo (iputils ping if installed, else a raw socket).
const hasPing = spawnSync('sh', ['-c', 'command -v ping'], { stdio: 'ignore' }).status === 0;
r.kernelPing = hasPing
  ? await run('ping', ['-n', '-c', '3', '-i', '0.2', '-W', '1', '10.77.0.2'])
  : await run('python3', [new URL('./kernel-ping.py', import.meta.url).pathname, '10.77.0.2', '3']);

// kernel UDP -> usernet dgram echo.
const udp = h.dgram.createSocket('udp4');
udp.on('message', (msg, rinfo) => { udp.send(msg, rinfo.port, rinfo.address); });
await new Promise<void>((res) => udp.bind(9000, () => res()));
r.udp = await py(`
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
got = []
for i in range(5):
    s.sendto(b'udp-%d' % i, ('10.77.0.2', 9000))
    got.append(s.recvfrom(100)[0].decode())
print(' '.join(got))
`);
udp.close();

// TCP, both ways, when usernet's TCP is registered on the host.
const server = h.net.createServer((s) => s.pipe(s));
const listenError = await new Promise<Error | null>((res) => {
  server.once('error', (e: Error) => res(e));
  server.listen(7, () => res(null));
});
if (listenError) {
  r.tcpUnavailable = listenError.message;
} else {
  // kernel TCP client -> usernet net echo server: 200 kB each way.
  r.tcpIn = await py(`
  import socket
  s = socket.create_connection(('10.77.0.2', 7), timeout=5)
  data = bytes(range(256)) * 800
  s.sendall(data)
  s.shutdown(socket.SHUT_WR)
  got = b''
  while True:
      b = s.recv(65536)
      if not b:
          break
      got += b
  print(len(got), got == data)
  `);
  server.close();

  // usernet TCP client -> kernel server: the kernel sends 100 kB and closes.
  const kernelServer = py(`
  import socket
  l = socket.socket()
  l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
  l.bind(('10.77.0.1', 8000))
  l.listen(1)
  l.settimeout(5)
  c, a = l.accept()
  c.sendall(b'k' * 100000)
  c.close()
  print('served', a[0])
  `);
  await new Promise((res) => setTimeout(res, 300)); // the server is listening
  r.tcpOut = await new Promise((resolve) => {
    let n = 0;
    const c = h.net.connect(8000, '10.77.0.1');
    c.on('data', (b: Buffer) => { n += b.length; });
    c.on('end', () => resolve({ ok: true, bytes: n }));
    c.on('error', (e: Error) => resolve({ ok: false, error: e.message, bytes: n }));
  });
  r.kernelServer = await kernelServer;
}

r.stats = { ...dev.stats };
r.iface = { ...dev.iface.stats };
dev.close();
console.log(`RESULT ${JSON.stringify(r)}`);
process.exit(0);
