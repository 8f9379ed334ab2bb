// TCP_NOTSENT_LOWAT and net.ipv4.tcp_notsent_lowat (Linux tcp_stream_memory_free): a socket
// stops taking data once that many bytes wait unsent, and is writable again only when fewer
// than half of them do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/world/network.js';
import { connected, drain, must, pair } from './helpers.js';
import { POLLOUT } from '../../src/uapi/socket.js';

test('the option and the sysctl: unsigned values, 0 falls back to the sysctl', () => {
  const h = new Network({ seed: 1 }).host('h');
  assert.equal(h.sysctl('net.ipv4.tcp_notsent_lowat'), 4294967295);
  assert.equal(h.sysctl('net.ipv4.tcp_notsent_lowat', 4000), 4000);
  assert.equal(h.tcp.config.notsentLowat, 4000);
  assert.throws(() => h.sysctl('net.ipv4.tcp_notsent_lowat', -1), { code: 'ERR_OUT_OF_RANGE', message: /It must be >= 0 and <= 4294967295\. Received -1/ });
  assert.throws(() => h.sysctl('net.ipv4.tcp_notsent_lowat', 4294967296), { code: 'ERR_OUT_OF_RANGE' });
  const s = h.tcp.socket(2);
  assert.equal(s.getsockopt('IPPROTO_TCP', 'TCP_NOTSENT_LOWAT'), 0);
  assert.equal(s.notsentLimit(), 4000, 'no option: the sysctl');
  must(s.setsockopt('IPPROTO_TCP', 'TCP_NOTSENT_LOWAT', 32000));
  assert.equal(s.getsockopt('IPPROTO_TCP', 'TCP_NOTSENT_LOWAT'), 32000);
  assert.equal(s.notsentLimit(), 32000);
  must(s.setsockopt('IPPROTO_TCP', 'TCP_NOTSENT_LOWAT', 0xffffffff));
  assert.equal(s.getsockopt('IPPROTO_TCP', 'TCP_NOTSENT_LOWAT'), 0xffffffff);
});

/** A connection whose receiver reads nothing: the window fills, then data waits unsent. */
async function stalled(lowat: number | null, sysctl?: number): Promise<{ p: ReturnType<typeof pair>; c: Awaited<ReturnType<typeof connected>>[0]; s: Awaited<ReturnType<typeof connected>>[1] }> {
  const p = pair();
  if (sysctl !== undefined) p.a.sysctl('net.ipv4.tcp_notsent_lowat', sysctl);
  p.a.sysctl('net.ipv4.tcp_wmem', '4096 1000000 4194304'); // the send buffer is not what limits
  p.b.sysctl('net.ipv4.tcp_rmem', '4096 65536 65536');
  p.b.sysctl('net.ipv4.tcp_moderate_rcvbuf', 0);
  const [c, s] = await connected(p);
  if (lowat !== null) must(c.setsockopt('IPPROTO_TCP', 'TCP_NOTSENT_LOWAT', lowat));
  await p.world.run({ for: 50 });
  return { p, c, s };
}

/** Writes until the socket refuses; the bytes it took. */
function fill(c: { write(d: Uint8Array): number }): number {
  let n = 0;
  for (;;) {
    const r = c.write(Buffer.alloc(100_000));
    if (r <= 0) { assert.equal(r, -11); return n; }
    n += r;
  }
}

test('TCP_NOTSENT_LOWAT: writes stop at the limit of unsent bytes; POLLOUT only below half of it', async () => {
  const { p, c, s } = await stalled(20_000);
  let wakes = 0;
  c.onReady = (m) => { if (m & POLLOUT) wakes++; };
  const took = fill(c);
  const unsent = c.ioctl('SIOCOUTQNSD');
  // A new chunk starts only below the limit and is filled whole (at most one size goal past it).
  assert.ok(unsent >= 20_000 && unsent < 20_000 + 65_536, `unsent ${unsent}`);
  assert.ok(took < 200_000, `took ${took}: far less than the send buffer would`);
  assert.equal(c.readiness() & POLLOUT, 0);
  await p.world.run({ for: 50 });
  assert.equal(c.readiness() & POLLOUT, 0, 'the window is closed: nothing more leaves');
  assert.equal(wakes, 0);
  // The reader drains; acknowledged data opens the window, unsent bytes fall below 10 000: POLLOUT.
  let got = 0;
  for (let i = 0; i < 100 && c.ioctl('SIOCOUTQNSD') * 2 >= 20_000; i++) {
    got += drain(s).data.length;
    await p.world.run({ for: 20 });
  }
  assert.ok(c.ioctl('SIOCOUTQNSD') * 2 < 20_000);
  assert.notEqual(c.readiness() & POLLOUT, 0);
  assert.ok(wakes >= 1, 'the writer was woken');
  assert.ok(fill(c) > 0);
  void got;
  c.close(); // an unread, window-limited connection would keep the clock running (zero-window probes)
  s.close();
});

test('without the option the send buffer is the only limit; the sysctl sets it for every socket', async () => {
  const plain = await stalled(null);
  const tookPlain = fill(plain.c);
  const viaSysctl = await stalled(null, 20_000);
  const tookSysctl = fill(viaSysctl.c);
  const viaOption = await stalled(20_000);
  const tookOption = fill(viaOption.c);
  assert.equal(tookSysctl, tookOption, 'the sysctl and the option limit alike');
  assert.ok(tookPlain > tookSysctl + 20_000, `plain ${tookPlain} vs limited ${tookSysctl}`);
  // Lowering the limit on a full socket keeps it unwritable; raising it above twice the unsent bytes wakes the writer.
  await viaOption.p.world.run({ for: 100 }); // the receiver's window closes
  let woke = false;
  viaOption.c.onReady = (m) => { if (m & POLLOUT) woke = true; };
  const unsent = viaOption.c.ioctl('SIOCOUTQNSD');
  must(viaOption.c.setsockopt('IPPROTO_TCP', 'TCP_NOTSENT_LOWAT', unsent));
  await viaOption.p.world.run({ for: 1 });
  assert.ok(!woke, `still at least half the limit unsent: ${viaOption.c.ioctl('SIOCOUTQNSD')} ${viaOption.c.writable()} ${viaOption.c.notsentLimit()}`);
  must(viaOption.c.setsockopt('IPPROTO_TCP', 'TCP_NOTSENT_LOWAT', 2 * unsent + 1));
  await viaOption.p.world.run({ for: 1 }); // told after the call returns, as for any call's own change
  assert.ok(woke, `no wake: unsent ${unsent}, queued ${viaOption.c.sendQ.wmem}, sndbuf ${viaOption.c.sndbuf}`);
  for (const x of [plain, viaSysctl, viaOption]) { x.c.close(); x.s.close(); }
});
