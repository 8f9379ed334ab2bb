// Inside a fresh network namespace (see netns.ts): a usernet host on a real clock gets a TUN
// (`tun`) or TAP (`tap`) device through host.attachTun, with 10.77.0.2/24 and fd77::2/64 in
// usernet and 10.77.0.1/24 and fd77::1/64 on the kernel's side. Then the Linux kernel and usernet
// talk: ICMP echo both ways (IPv4 and IPv6), UDP from a kernel socket to a usernet dgram echo and
// from a usernet dgram socket to a kernel echo (both families), TCP from a kernel socket to a
// usernet net echo server and from usernet to a kernel server. Prints `RESULT {...}` or `SKIP <reason>`.

import { spawnSync } from 'node:child_process';
import { Network } from '../../src/world/network.js';
import { ip, py, run, settledStats, startPy, until } from './netns-tools.js';

const mode = process.argv[2] === 'tap' ? 'tap' : 'tun';
if (spawnSync('sh', ['-c', 'command -v python3'], { stdio: 'ignore' }).status !== 0) {
  console.log('SKIP no python3 in this namespace to play the kernel\'s sockets');
  process.exit(0);
}

const world = new Network({ clock: 'real', seed: 1 });
const h = world.host('u');
let dev;
try {
  dev = h.attachTun(mode === 'tun' ? 'uhost0' : 'uhtap0', { ipv4: '10.77.0.2/24', ipv6: 'fd77::2/64', layer: mode === 'tun' ? 3 : 2, mtu: 1400 });
} catch (e) {
  const code = (e as { code?: string }).code;
  if (code === 'EPERM' || code === 'EACCES' || code === 'ENOENT') { console.log(`SKIP ${(e as Error).message}`); process.exit(0); }
  throw e;
}
ip(`link set ${dev.name} up`);
ip(`addr add 10.77.0.1/24 dev ${dev.name}`);
ip(`addr add fd77::1/64 dev ${dev.name} nodad`);

const r: Record<string, unknown> = { mode, name: dev.name };

// usernet -> kernel: ICMP echo.
try {
  const p = await h.ping('10.77.0.1', { timeout: '10s' });
  r.usernetPing = { ok: true, from: p.from, ttl: p.ttl };
} catch (e) {
  r.usernetPing = { ok: false, error: (e as Error).message };
}

// kernel -> usernet: ICMP echo (iputils ping if installed, else a raw socket).
const hasPing = spawnSync('sh', ['-c', 'command -v ping'], { stdio: 'ignore' }).status === 0;
r.kernelPing = hasPing
  ? await run('ping', ['-n', '-c', '3', '-i', '0.2', '-W', '5', '10.77.0.2'])
  : await run('python3', [new URL('./kernel-ping.py', import.meta.url).pathname, '10.77.0.2', '3']);

// IPv6 echo both ways.
try {
  const p = await h.ping('fd77::1', { timeout: '10s' });
  r.usernetPing6 = { ok: true, from: p.from };
} catch (e) {
  r.usernetPing6 = { ok: false, error: (e as Error).message };
}
r.kernelPing6 = hasPing
  ? await run('ping', ['-6', '-n', '-c', '3', '-i', '0.2', '-W', '5', 'fd77::2'])
  : { exit: 0, out: 'skipped: no ping for IPv6' };

// kernel UDP -> usernet dgram echo, both families.
for (const [fam, addr] of [['4', '10.77.0.2'], ['6', 'fd77::2']] as const) {
  const udp = h.dgram.createSocket(fam === '4' ? 'udp4' : 'udp6');
  udp.on('message', (msg, rinfo) => { udp.send(msg, rinfo.port, rinfo.address); });
  await new Promise<void>((res) => udp.bind(9000, () => res()));
  r[fam === '4' ? 'udp' : 'udp6'] = await py(`
  import socket, sys
  s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
  s.settimeout(10)
  got = []
  for i in range(5):
      s.sendto(b'udp-%d' % i, (sys.argv[1], 9000))
      got.append(s.recvfrom(100)[0].decode())
  print(' '.join(got))
  `, [addr]);
  udp.close();
}

// usernet dgram -> kernel UDP echo, both families: the reply comes from the kernel's address.
for (const [fam, addr] of [['4', '10.77.0.1'], ['6', 'fd77::1']] as const) {
  const echo = startPy(`
  import socket, sys
  s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
  s.bind((sys.argv[1], 9001))
  s.settimeout(5)
  print('ready', flush=True)
  for i in range(5):
      data, peer = s.recvfrom(100)
      s.sendto(data.upper(), peer)
  print('from', peer[0], flush=True)
  `, [addr]);
  await until(() => echo.output().includes('ready'));
  const sock = h.dgram.createSocket(fam === '4' ? 'udp4' : 'udp6');
  const got: string[] = [];
  let from = '';
  await new Promise<void>((res) => {
    const timer = setTimeout(res, 10_000);
    sock.on('message', (m, rinfo) => { got.push(m.toString()); from = rinfo.address; if (got.length === 5) { clearTimeout(timer); res(); } });
    for (let i = 0; i < 5; i++) sock.send(`out-${i}`, 9001, addr);
  });
  sock.close();
  await echo.exited;
  r[fam === '4' ? 'udpOut' : 'udpOut6'] = { got: got.join(' '), from, kernel: echo.output().trim().split('\n').pop() };
}

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
  const kernelServer = startPy(`
  import socket
  l = socket.socket()
  l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
  l.bind(('10.77.0.1', 8000))
  l.listen(1)
  print('listening', flush=True)
  l.settimeout(5)
  c, a = l.accept()
  c.sendall(b'k' * 100000)
  c.close()
  print('served', a[0])
  `);
  await until(() => kernelServer.output().includes('listening'));
  r.tcpOut = await new Promise((resolve) => {
    let n = 0;
    const c = h.net.connect(8000, '10.77.0.1');
    c.on('data', (b: Buffer) => { n += b.length; });
    c.on('end', () => resolve({ ok: true, bytes: n }));
    c.on('error', (e: Error) => resolve({ ok: false, error: e.message, bytes: n }));
  });
  const exit = await kernelServer.exited;
  r.kernelServer = { exit, out: kernelServer.output().trim().split('\n').pop() };
}

// Both counters together, once the device has written what the interface sent.
Object.assign(r, await settledStats(dev, dev.iface));
dev.close();
console.log(`RESULT ${JSON.stringify(r)}`);
process.exit(0);
