// A root queueing discipline on an interface (`tc qdisc replace dev <if> root pfifo limit N`:
// iface.qdisc): with limit 0 every packet is dropped before the link (Linux pfifo_enqueue's
// qdisc_drop), and the sender hears NET_XMIT_DROP. TCP takes it as local congestion, as Linux:
// the data stays unsent, the window is reduced (CWR), a retransmission is not counted
// (TCPRetransFail), and the send is tried again every TCP_RESOURCE_PROBE_INTERVAL (500 ms), the
// probes counting against TCP_USER_TIMEOUT from the first one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connected, must, pair, tapSegments } from './helpers.js';

test('iface.qdisc: null by default; { kind: \'pfifo\', limit } or null, anything else throws', () => {
  const p = pair();
  const i = p.link.interfaces[0]!;
  assert.equal(i.qdisc, null);
  i.qdisc = { kind: 'pfifo', limit: 0 };
  assert.deepEqual(i.qdisc, { kind: 'pfifo', limit: 0 });
  i.qdisc = null;
  assert.equal(i.qdisc, null);
  assert.throws(() => { i.qdisc = { kind: 'pfifo', limit: -1 }; }, RangeError);
  assert.throws(() => { i.qdisc = { kind: 'fq', limit: 1 } as never; }, RangeError);
});

test('pfifo limit 0: TCP data stays unsent, the probe timer tries again every 500 ms from the first RTO, and TCP_USER_TIMEOUT ends it (Linux tcp_send_probe0 with local congestion)', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const i = p.link.interfaces[0]!;
  must(c.setsockopt('IPPROTO_TCP', 'TCP_USER_TIMEOUT', 3000));
  const segs = tapSegments(p.link, p.world);
  const dropped0 = i.stats.txDropped;
  i.qdisc = { kind: 'pfifo', limit: 0 };
  const t0 = p.world.now();
  const rto = c.info().rto;
  assert.equal(c.write(Buffer.alloc(100)), 100);
  assert.equal(c.info().state, 'ESTAB');
  assert.equal(c.info().caState, 'cwr', 'local congestion: tcp_enter_cwr');
  await p.world.run({ for: rto + 1 });
  assert.equal(c.info().probes, 1, 'the first probe at one RTO');
  await p.world.run({ for: 500 });
  assert.equal(c.info().probes, 2, 'then every 500 ms, no backoff');
  await p.world.run({ for: 2000 });
  assert.equal(c.info().probes, 6);
  assert.equal(c.sendQ.unsentBytes, 100, 'nothing left');
  await p.world.run({ for: 600 });
  // Three seconds after the first probe: ETIMEDOUT (Linux tcp_probe_timer's user timeout).
  assert.equal(c.write(Buffer.alloc(1)), -110);
  assert.ok(p.world.now() - t0 >= rto + 3000);
  assert.equal(segs.filter((x) => x.src === '10.0.0.1').length, 0, 'not a packet left');
  assert.ok(i.stats.txDropped - dropped0 >= 7, `the qdisc dropped every try (${i.stats.txDropped - dropped0})`);
  void s;
});

test('pfifo limit 0 then removed: the next probe sends the data and the connection goes on; a retransmission the qdisc drops is not counted (TCPRetransFail) and is tried again in 500 ms', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const i = p.link.interfaces[0]!;
  i.qdisc = { kind: 'pfifo', limit: 0 };
  assert.equal(c.write(Buffer.alloc(100)), 100);
  await p.world.run({ for: 1000 });
  assert.ok(c.info().probes >= 1);
  i.qdisc = { kind: 'pfifo', limit: 1 }; // any limit above 0: the link takes each packet at once
  await p.world.run({ for: 600 });
  assert.equal((s.read(1000) as Uint8Array).length, 100);
  assert.equal(c.info().probes, 0);
  // Data in flight, then the qdisc drops everything: the RTO's retransmission fails.
  p.link.impair({ loss: 1 }, 'a->b');
  assert.equal(c.write(Buffer.alloc(100)), 100);
  await p.world.run({ for: 1 });
  p.link.impair({ loss: 0 }, 'a->b');
  i.qdisc = { kind: 'pfifo', limit: 0 };
  const retrans0 = c.info().totalRetrans;
  await p.world.run({ for: c.info().rto + 1 });
  assert.ok(p.ta.stats.TCPRetransFail >= 1);
  assert.equal(c.info().totalRetrans, retrans0, 'a retransmission that never left is not one');
  const fails = p.ta.stats.TCPRetransFail;
  await p.world.run({ for: 500 });
  assert.equal(p.ta.stats.TCPRetransFail, fails + 1, 'tried again 500 ms later, not after a backed-off RTO');
  i.qdisc = null;
  await p.world.run({ for: 600 });
  assert.equal((s.read(1000) as Uint8Array).length, 100);
});

test('pfifo limit 0: a UDP send still returns its length (Linux: -ENOBUFS without IP_RECVERR is not reported) and counts SndbufErrors', async () => {
  const p = pair();
  const i = p.link.interfaces[0]!;
  const fd = p.a.sys.socket(2, 2);
  await p.a.ping('10.0.0.2'); // ARP resolved
  i.qdisc = { kind: 'pfifo', limit: 0 };
  const before = p.a.udp.stats4.SndbufErrors;
  assert.equal(p.a.sys.sendto(fd, Buffer.alloc(10), { family: 4, address: '10.0.0.2', port: 9 }), 10);
  assert.equal(p.a.udp.stats4.SndbufErrors, before + 1);
  await assert.rejects(p.a.ping('10.0.0.2'), /No buffer space|ENOBUFS/);
  p.a.sys.close(fd);
});
