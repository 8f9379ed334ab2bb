// TCP Fast Open (RFC 7413) between two usernet hosts: Linux's cookies, the client's cookie
// request and cache, data in the SYN read before the handshake completes, TCP_FASTOPEN_CONNECT,
// fallback when the server does not take the data, and the settings (host.sysctl).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AF_INET, AF_INET6, addr, drain, must, pair, show, tapSegments, type Pair } from './helpers.js';
import { keysFromBytes, makeCookie, parseFastopenKeys } from '../../src/kernel/tcp/fastopen.js';
import { MSG_FASTOPEN } from '../../src/uapi/socket.js';
import type { TcpSocket } from '../../src/kernel/tcp/socket.js';
import { TSHARK_MISSING, tsharkAvailable, tsharkRead } from '../tshark.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const v4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));

test('cookies are SipHash-2-4 of the SYN\'s addresses under tcp_fastopen_key, as Linux makes them', () => {
  // The cookies Linux's own packetdrill scripts expect (gtests/net/tcp/fastopen).
  const k = parseFastopenKeys('a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4')![0]!;
  assert.equal(hex(makeCookie(k, v4('192.0.2.1'), v4('192.168.0.1'))), '3021b9d889017eeb');
  const k2 = parseFastopenKeys('a0bf63f7-ed803d81-cd641d30-cebc4a90')![0]!;
  assert.equal(hex(makeCookie(k2, v4('10.248.0.2'), v4('192.168.0.2'))), '00abaaabe8e954c2');
  assert.equal(hex(makeCookie(k2, v4('10.248.0.3'), v4('192.168.0.2'))), '1313a2da994a0951');
  // TCP_FASTOPEN_KEY takes the same key as raw bytes (each word little-endian).
  const raw = Buffer.from('f763bfa0813d80ed301d64cd904abcce', 'hex');
  assert.equal(hex(makeCookie(keysFromBytes(raw)[0]!, v4('10.248.0.2'), v4('192.168.0.2'))), '00abaaabe8e954c2');
  const six = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
  assert.equal(hex(makeCookie(k, six('fd3dfa7bd17d00000000000000000001'), six('fd3d0a0b17d600000000000000000001'))), 'c1d1e9742a47a9bc');
  assert.equal(parseFastopenKeys('a1-b2-c3'), null);
  assert.equal(parseFastopenKeys('a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4,00000000-00000000-00000000-00000001')!.length, 2);
});

/** A Fast Open listener on b:80 (TCP_FASTOPEN, queue 8). */
function listener(p: Pair, family: 4 | 6 = 4): TcpSocket {
  const l = p.tb.socket(family === 4 ? AF_INET : AF_INET6);
  must(l.setsockopt('IPPROTO_TCP', 'TCP_FASTOPEN', 8));
  must(l.bind(addr(family === 4 ? '0.0.0.0' : '::', 80)));
  must(l.listen(8));
  return l;
}

function acceptOne(l: TcpSocket): TcpSocket {
  const a = l.accept();
  if (typeof a === 'number') throw new Error(`accept: ${a}`);
  return a.sock as TcpSocket;
}

for (const family of [4, 6] as const) {
  const server = family === 4 ? '10.0.0.2' : 'fd00::2';
  test(`IPv${family}: a cookie request, then a SYN carrying data the server reads before the handshake completes`, async () => {
    const p = pair();
    for (const h of [p.a, p.b]) h.sysctl('net.ipv4.tcp_fastopen', 3);
    const l = listener(p, family);
    const segs = tapSegments(p.link, p.world);
    const dom = family === 4 ? AF_INET : AF_INET6;

    // First contact: no cookie yet. The SYN asks for one (an empty option 34) and carries no data.
    const c1 = p.ta.socket(dom);
    assert.equal(c1.sendto(Buffer.from('hello'), addr(server, 80), MSG_FASTOPEN), -115); // EINPROGRESS
    await p.world.run({ for: 10 });
    const syn1 = segs.find((s) => s.flags === 'SYN')!;
    assert.equal(syn1.len, 0);
    assert.deepEqual(syn1.tcp.options.fastopen && hex(syn1.tcp.options.fastopen.cookie), '');
    const synack1 = segs.find((s) => s.flags === 'SYN,ACK')!;
    const cookie = synack1.tcp.options.fastopen!.cookie;
    assert.equal(cookie.length, 8);
    assert.equal(c1.write(Buffer.from('hello')), 5);
    await p.world.run({ for: 10 });
    assert.equal(drain(acceptOne(l)).data.toString(), 'hello');
    c1.close();
    await p.world.run({ for: 100 });

    // Second connection: the cached cookie goes with the data in the SYN (RFC 7413 §4.2.1).
    segs.length = 0;
    p.link.impair({ latency: 5 });
    const c2 = p.ta.socket(dom);
    assert.equal(c2.sendto(Buffer.from('GET / fast'), addr(server, 80), MSG_FASTOPEN), 10);
    assert.equal(c2.info().state, 'SYN-SENT');
    await p.world.run({ for: 6 }); // the SYN is there, the client's ACK not yet
    const syn2 = segs[0]!;
    assert.equal(syn2.flags, 'SYN', show(segs));
    assert.equal(hex(syn2.tcp.options.fastopen!.cookie), hex(cookie));
    assert.equal(Buffer.from(syn2.tcp.payload).toString(), 'GET / fast');
    // The SYN-ACK acknowledges the data, and the child is in the accept queue, its data readable.
    const synack2 = segs[1]!;
    assert.equal(synack2.flags, 'SYN,ACK');
    assert.equal(synack2.ack, (syn2.seq + 1 + 10) >>> 0);
    const s2 = acceptOne(l);
    assert.equal(s2.info().state, 'SYN-RECV');
    assert.equal(drain(s2).data.toString(), 'GET / fast');
    assert.equal(s2.info().options.synData, true);
    // It may answer before the client's ACK arrives (§4.2.2).
    assert.equal(s2.write(Buffer.from('200 OK')), 6);
    await p.world.run({ for: 20 });
    assert.equal(drain(c2).data.toString(), '200 OK');
    assert.equal(c2.info().options.synData, true);
    assert.equal(s2.info().state, 'ESTAB');
    assert.equal(p.ta.stats.TCPFastOpenActive, 1);
    assert.equal(p.tb.stats.TCPFastOpenPassive, 1);
  });
}

test('TCP_FASTOPEN_CONNECT: connect() returns 0 at once with a cookie cached; the first write sends the SYN with it', async () => {
  const p = pair();
  for (const h of [p.a, p.b]) h.sysctl('net.ipv4.tcp_fastopen', 3);
  const l = listener(p);
  // Warm the cache with a connect() that asks for a cookie.
  const c0 = p.ta.socket(AF_INET);
  must(c0.setsockopt('IPPROTO_TCP', 'TCP_FASTOPEN_CONNECT', 1));
  assert.equal(c0.connect(addr('10.0.0.2', 80)), -115);
  await p.world.run({ for: 10 });
  acceptOne(l).close();
  c0.close();
  await p.world.run({ for: 100 });

  const segs = tapSegments(p.link, p.world);
  const c = p.ta.socket(AF_INET);
  must(c.setsockopt('IPPROTO_TCP', 'TCP_FASTOPEN_CONNECT', 1));
  assert.equal(c.connect(addr('10.0.0.2', 80)), 0, 'deferred');
  assert.equal(c.connect(addr('10.0.0.2', 80)), -106, 'EISCONN while deferred, as Linux');
  await p.world.run({ for: 10 });
  assert.equal(segs.length, 0, 'nothing sent before the first write');
  assert.ok((c.readiness() & 0x004) !== 0, 'writable, so that the application writes the SYN\'s data');
  assert.equal(c.write(Buffer.from('early data')), 10);
  await p.world.run({ for: 10 });
  assert.equal(segs[0]!.flags, 'SYN');
  assert.equal(Buffer.from(segs[0]!.tcp.payload).toString(), 'early data');
  assert.equal(drain(acceptOne(l)).data.toString(), 'early data');
});

test('a server without Fast Open acknowledges only the SYN: the data is sent again at once, and no cookie is cached', async () => {
  const p = pair();
  p.a.sysctl('net.ipv4.tcp_fastopen', 5); // client, data without a cookie (TFO_CLIENT_NO_COOKIE)
  const l = p.tb.socket(AF_INET);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(8));
  const segs = tapSegments(p.link, p.world);
  const c = p.ta.socket(AF_INET);
  assert.equal(c.sendto(Buffer.from('data in the SYN'), addr('10.0.0.2', 80), MSG_FASTOPEN), 15);
  await p.world.run({ for: 10 });
  assert.equal(segs[0]!.flags, 'SYN');
  assert.equal(segs[0]!.len, 15);
  assert.equal(segs[0]!.tcp.options.fastopen, undefined, 'no cookie option in no-cookie mode');
  assert.equal(segs[1]!.flags, 'SYN,ACK');
  assert.equal(segs[1]!.ack, (segs[0]!.seq + 1) >>> 0, 'only the SYN acknowledged');
  // No bare ACK: the retransmitted data carries it (Linux tcp_rcv_fastopen_synack).
  assert.equal(segs[2]!.flags, 'PSH,ACK', show(segs));
  assert.equal(segs[2]!.len, 15);
  assert.equal(drain(acceptOne(l)).data.toString(), 'data in the SYN');
  assert.equal(c.info().options.synData, false);
  assert.equal(p.ta.stats.TCPFastOpenActiveFail, 1);
});

test('a listener with its own key (TCP_FASTOPEN_KEY), cookies checked against it; settings through host.sysctl', async () => {
  const p = pair();
  assert.equal(p.a.sysctl('net.ipv4.tcp_fastopen'), 1, 'Linux default: client only');
  p.b.sysctl('net.ipv4.tcp_fastopen', 0x2);
  p.a.sysctl('net.ipv4.tcp_fastopen', 0x1);
  p.b.sysctl('net.ipv4.tcp_fastopen_key', '00000000-00000000-00000000-00000000');
  assert.equal(p.b.sysctl('net.ipv4.tcp_fastopen_key'), '00000000-00000000-00000000-00000000');
  assert.throws(() => p.b.sysctl('net.ipv4.tcp_fastopen_key', 'nonsense'), { code: 'ERR_INVALID_ARG_VALUE' });
  const key = Buffer.from('f763bfa0813d80ed301d64cd904abcce', 'hex');
  const l = p.tb.socket(AF_INET);
  assert.equal(l.setsockopt('IPPROTO_TCP', 'TCP_FASTOPEN_KEY', new Uint8Array(3)), -22);
  must(l.setsockopt('IPPROTO_TCP', 'TCP_FASTOPEN_KEY', key));
  assert.equal(hex(l.getsockopt('IPPROTO_TCP', 'TCP_FASTOPEN_KEY') as Uint8Array), hex(key));
  must(l.setsockopt('IPPROTO_TCP', 'TCP_FASTOPEN', 4));
  assert.equal(l.getsockopt('IPPROTO_TCP', 'TCP_FASTOPEN'), 4);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(8));
  const segs = tapSegments(p.link, p.world);
  const c = p.ta.socket(AF_INET);
  assert.equal(c.sendto(new Uint8Array(0), addr('10.0.0.2', 80), MSG_FASTOPEN), -115);
  await p.world.run({ for: 10 });
  const synack = segs.find((s) => s.flags === 'SYN,ACK')!;
  assert.equal(hex(synack.tcp.options.fastopen!.cookie), hex(makeCookie(keysFromBytes(key)[0]!, v4('10.0.0.1'), v4('10.0.0.2'))));
  // Fast Open off on the client: MSG_FASTOPEN fails as on Linux.
  p.a.sysctl('net.ipv4.tcp_fastopen', 0);
  const c2 = p.ta.socket(AF_INET);
  assert.equal(c2.sendto(Buffer.from('x'), addr('10.0.0.2', 80), MSG_FASTOPEN), -95); // EOPNOTSUPP
  assert.equal(c2.setsockopt('IPPROTO_TCP', 'TCP_FASTOPEN_CONNECT', 1), -95);
});

test('a SYN with data in a capture that tshark decodes: option 34 with the cookie, the payload', async (t) => {
  if (!tsharkAvailable) { t.skip(TSHARK_MISSING); return; }
  const p = pair();
  for (const h of [p.a, p.b]) h.sysctl('net.ipv4.tcp_fastopen', 3);
  const l = listener(p);
  const dir = mkdtempSync(join(tmpdir(), 'usernet-tfo-'));
  try {
    const path = join(dir, 'tfo.pcap');
    const cap = p.world.capture(p.link, path);
    const c0 = p.ta.socket(AF_INET);
    c0.sendto(new Uint8Array(0), addr('10.0.0.2', 80), MSG_FASTOPEN);
    await p.world.run({ for: 10 });
    const c = p.ta.socket(AF_INET);
    assert.equal(c.sendto(Buffer.from('tfo payload'), addr('10.0.0.2', 80), MSG_FASTOPEN), 11);
    await p.world.run({ for: 10 });
    assert.equal(drain(acceptOne(l)).data.length, 0);
    assert.equal(drain(acceptOne(l)).data.toString(), 'tfo payload');
    await cap.close();
    const r = tsharkRead(path);
    assert.deepEqual(r.flagged, []);
    const { spawnSync } = await import('node:child_process');
    const out = spawnSync('tshark', ['-n', '-r', path, '-Y', 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.len > 0', '-T', 'fields',
      '-e', 'tcp.len', '-e', 'tcp.option_kind', '-e', 'tcp.options.tfo.cookie', '-e', 'tcp.payload'], { encoding: 'utf8' });
    const fields = out.stdout.trim().split('\t');
    assert.equal(fields[0], '11', out.stdout);
    assert.ok(fields[1]!.split(',').includes('34'), out.stdout);
    assert.equal(fields[2]!.length, 16, out.stdout);
    assert.equal(Buffer.from(fields[3]!.replace(/:/g, ''), 'hex').toString(), 'tfo payload');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
