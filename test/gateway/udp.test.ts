// world.gateway, UDP: virtual hosts reach real node:dgram sockets of this process on loopback
// through the gateway's address, any port; replies come back from the gateway's address and
// port; refusals map to ICMP port unreachable; idle flows close. Real sockets only on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { Network } from '../../src/world/network.js';
import type { Socket as VSocket, RemoteInfo } from '../../src/node/dgram.js';

/** A real echo server on loopback; records who sent what. */
async function realEcho(type: 'udp4' | 'udp6'): Promise<{ sock: dgram.Socket; port: number; seen: dgram.RemoteInfo[] }> {
  const sock = dgram.createSocket(type);
  const seen: dgram.RemoteInfo[] = [];
  sock.on('message', (msg, rinfo) => {
    seen.push(rinfo);
    sock.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address);
  });
  sock.bind(0, type === 'udp4' ? '127.0.0.1' : '::1');
  await once(sock, 'listening');
  return { sock, port: sock.address().port, seen };
}

function setup(opts: { udpIdleTimeout?: number } = {}) {
  const world = new Network({ clock: 'real', seed: 3 });
  const lan = world.switch('lan');
  const a = world.host('a');
  a.attach(lan, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  const gw = world.gateway({ attach: lan, ipv4: '10.0.0.254/24', ipv6: 'fd00::fe/64', ...opts });
  return { world, a, gw };
}

function nextMessage(s: VSocket, ms = 3000): Promise<[Buffer, RemoteInfo]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no datagram in time')), ms);
    s.once('message', (m: Buffer, r: RemoteInfo) => { clearTimeout(t); resolve([m, r]); });
  });
}

test('UDP through the gateway reaches a real echo server on 127.0.0.1 and the reply comes from the gateway', { timeout: 10_000 }, async () => {
  const echo = await realEcho('udp4');
  const { a, gw } = setup();
  const s = a.dgram.createSocket('udp4');
  s.bind(0);
  await once(s, 'listening');
  try {
    s.send('hello', echo.port, '10.0.0.254');
    const [m, r] = await nextMessage(s);
    assert.equal(m.toString(), 'echo:hello');
    assert.equal(r.address, '10.0.0.254');
    assert.equal(r.port, echo.port);
    // Same flow for a second datagram: one real socket, one real source port.
    s.send('again', echo.port, '10.0.0.254');
    const [m2] = await nextMessage(s);
    assert.equal(m2.toString(), 'echo:again');
    assert.equal(echo.seen.length, 2);
    assert.equal(echo.seen[0]!.address, '127.0.0.1');
    assert.equal(echo.seen[0]!.port, echo.seen[1]!.port);
    const st = gw.stats().udp;
    assert.equal(st.flows, 1);
    assert.equal(st.opened, 1);
    assert.equal(st.datagramsToReal, 2);
    assert.equal(st.datagramsToVirtual, 2);
    assert.equal(st.bytesToReal, 10);
    assert.equal(st.bytesToVirtual, 20);
  } finally {
    s.close();
    await gw.close();
    echo.sock.close();
  }
  assert.equal(gw.stats().udp.flows, 0);
});

test('UDP over IPv6: the gateway\'s fd00::fe leads to ::1', { timeout: 10_000 }, async () => {
  const echo = await realEcho('udp6');
  const { a, gw } = setup();
  const s = a.dgram.createSocket('udp6');
  try {
    s.send('six', echo.port, 'fd00::fe');
    const [m, r] = await nextMessage(s);
    assert.equal(m.toString(), 'echo:six');
    assert.equal(r.address, 'fd00::fe');
    assert.equal(echo.seen[0]!.address, '::1');
  } finally {
    s.close();
    await gw.close();
    echo.sock.close();
  }
});

test('two virtual clients to the same gateway port get separate flows and their own replies', { timeout: 10_000 }, async () => {
  const echo = await realEcho('udp4');
  const { world, a, gw } = setup();
  const b = world.host('b');
  b.attach(world.switches.get('lan')!, { ipv4: '10.0.0.2/24' });
  const sa = a.dgram.createSocket('udp4');
  const sb = b.dgram.createSocket('udp4');
  try {
    sa.send('from-a', echo.port, '10.0.0.254');
    sb.send('from-b', echo.port, '10.0.0.254');
    const [[ma], [mb]] = await Promise.all([nextMessage(sa), nextMessage(sb)]);
    assert.equal(ma.toString(), 'echo:from-a');
    assert.equal(mb.toString(), 'echo:from-b');
    assert.equal(gw.stats().udp.flows, 2);
    assert.notEqual(echo.seen[0]!.port, echo.seen[1]!.port);
  } finally {
    sa.close();
    sb.close();
    await gw.close();
    echo.sock.close();
  }
});

test('a closed real port comes back as ICMP port unreachable: the connected virtual socket gets ECONNREFUSED', { timeout: 10_000 }, async () => {
  // A port that was just free on loopback (nothing listens there now).
  const probe = dgram.createSocket('udp4');
  probe.bind(0, '127.0.0.1');
  await once(probe, 'listening');
  const closedPort = probe.address().port;
  probe.close();
  const { a, gw } = setup();
  const s = a.dgram.createSocket('udp4');
  try {
    s.connect(closedPort, '10.0.0.254');
    await once(s, 'connect');
    const err = new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no error in time')), 3000);
      s.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(t); resolve(e); });
    });
    s.send('anyone?');
    const e = await err;
    assert.equal(e.code, 'ECONNREFUSED');
    assert.equal(gw.stats().udp.refused, 1);
  } finally {
    s.close();
    await gw.close();
  }
});

test('an idle flow closes after udpIdleTimeout, and a later datagram opens a new one', { timeout: 10_000 }, async () => {
  const echo = await realEcho('udp4');
  // 1 s idle: a loaded machine that freezes the process between the send and the real reply
  // must not expire the flow before the reply is read (timers run before the poll on waking).
  const { a, gw } = setup({ udpIdleTimeout: 1000 });
  const s = a.dgram.createSocket('udp4');
  try {
    const sent = performance.now();
    s.send('1', echo.port, '10.0.0.254');
    await nextMessage(s);
    assert.equal(gw.stats().udp.flows, 1);
    // The flow's idle timer is the network's (real-clock) scheduler's, not this test's timer:
    // wait for it (at most 5 s); it must not fire before 1 s after the flow's last datagram,
    // which went after `sent`.
    while (gw.stats().udp.flows > 0 && performance.now() - sent < 5000) await new Promise((r) => setTimeout(r, 20));
    const closed = performance.now() - sent;
    assert.equal(gw.stats().udp.flows, 0, 'the idle flow closed within 5 s');
    assert.ok(closed >= 999, `the flow closed ${Math.round(closed)} ms after the first datagram: before its udpIdleTimeout`);
    assert.equal(gw.stats().udp.expired, 1);
    s.send('2', echo.port, '10.0.0.254');
    const [m] = await nextMessage(s);
    assert.equal(m.toString(), 'echo:2');
    assert.equal(gw.stats().udp.opened, 2);
    // A new flow: a new real socket, so a new real source port.
    assert.notEqual(echo.seen[0]!.port, echo.seen[1]!.port);
  } finally {
    s.close();
    await gw.close();
    echo.sock.close();
  }
});

test('the gateway needs the real clock; map keys must be its own addresses', () => {
  const world = new Network();
  assert.throws(() => world.gateway({}), /clock: 'real'/);
  const w2 = new Network({ clock: 'real' });
  const lan = w2.switch('lan');
  assert.throws(() => w2.gateway({ attach: lan, ipv4: '10.0.0.254/24', map: { '10.0.0.9': '127.0.0.1' } }), /not an address of the gateway/);
  assert.throws(() => w2.gateway({ name: 'g2', attach: lan, ipv4: '10.0.0.253/24', map: { '10.0.0.253': 'example.com' } }), /not an IP address/);
});

test('a gateway with no attach, linked later by a point-to-point cable, translates its link address', { timeout: 10_000 }, async () => {
  const echo = await realEcho('udp4');
  const world = new Network({ clock: 'real', seed: 4 });
  const a = world.host('a');
  const gw = world.gateway({ name: 'gw' });
  world.link(a, gw.host, { ipv4: ['192.168.7.1/30', '192.168.7.2/30'] });
  const s = a.dgram.createSocket('udp4');
  try {
    s.send('p2p', echo.port, 'gw');
    const [m, r] = await nextMessage(s);
    assert.equal(m.toString(), 'echo:p2p');
    assert.equal(r.address, '192.168.7.2');
    assert.equal(echo.seen[0]!.address, '127.0.0.1');
  } finally {
    s.close();
    await gw.close();
    echo.sock.close();
  }
});
