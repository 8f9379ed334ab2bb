// SO_TIMESTAMPING's transmit timestamps (Linux Documentation/networking/timestamping.rst): the
// last byte of each write stamped when it is queued for the device (SCM_TSTAMP_SCHED), handed to
// it (SCM_TSTAMP_SND) and acknowledged (SCM_TSTAMP_ACK), on the error queue with the host's
// CLOCK_REALTIME in SCM_TIMESTAMPING and the byte's OPT_ID key in ee_data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, connected, must, pair } from './helpers.js';
import {
  MSG_ERRQUEUE, MSG_TRUNC, POLLERR, SCM_TSTAMP_ACK, SCM_TSTAMP_SCHED, SCM_TSTAMP_SND, SOF_TIMESTAMPING_OPT_ID,
  SOF_TIMESTAMPING_OPT_TSONLY, SOF_TIMESTAMPING_RX_SOFTWARE, SOF_TIMESTAMPING_SOFTWARE, SOF_TIMESTAMPING_TX_ACK,
  SOF_TIMESTAMPING_TX_SCHED, SOF_TIMESTAMPING_TX_SOFTWARE, SO_EE_ORIGIN_TIMESTAMPING, type Msghdr, type SockExtendedErr,
} from '../../src/uapi/socket.js';
import { ENOMSG } from '../../src/uapi/errno.js';

const TX = SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_TX_ACK;

interface Stamp { info: number; key: number; ms: number | null; len: number; flags: number }

function take(m: Msghdr | number, epoch: number): Stamp {
  assert.equal(typeof m, 'object', `recvmsg returned ${String(m)}`);
  const msg = m as Msghdr;
  const err = msg.control.find((c) => c.type === 'IP_RECVERR')!.data as SockExtendedErr;
  assert.equal(err.errno, ENOMSG);
  assert.equal(err.origin, SO_EE_ORIGIN_TIMESTAMPING);
  const ts = msg.control.find((c) => c.type === 'SCM_TIMESTAMPING');
  if (ts !== undefined) assert.equal(ts.level, 'SOL_SOCKET');
  const t = ts === undefined ? null : (ts.data as Array<{ sec: number; nsec: number }>);
  if (t !== null) assert.deepEqual([t[1], t[2]], [{ sec: 0, nsec: 0 }, { sec: 0, nsec: 0 }], 'no hardware stamps');
  return { info: err.info, key: err.data, ms: t === null ? null : t[0]!.sec * 1000 + t[0]!.nsec / 1e6 - epoch, len: msg.data.length, flags: msg.flags };
}

test('SO_TIMESTAMPING: each write\'s last byte stamped SCHED and SND as it leaves, ACK when acknowledged; OPT_ID keys from SND.UNA; MSG_TRUNC past the buffer', async () => {
  const p = pair();
  p.link.impair({ latency: 5 });
  const [c] = await connected(p);
  const fd = p.a.sys.socket(AF_INET, 1);
  assert.equal(p.a.sys.setsockopt(fd, 'SOL_SOCKET', 'SO_TIMESTAMPING', TX | SOF_TIMESTAMPING_OPT_ID), -22, 'OPT_ID on a closed socket: EINVAL');
  assert.equal(p.a.sys.setsockopt(fd, 'SOL_SOCKET', 'SO_TIMESTAMPING', TX), 0);
  assert.equal(p.a.sys.getsockopt(fd, 'SOL_SOCKET', 'SO_TIMESTAMPING'), TX);
  assert.equal(p.a.sys.setsockopt(fd, 'SOL_SOCKET', 'SO_TIMESTAMPING', SOF_TIMESTAMPING_RX_SOFTWARE), -22, 'receive timestamps are not built');
  p.a.sys.close(fd);
  // Bytes sent before the option was set do not count in the keys.
  assert.equal(c.write(Buffer.alloc(500)), 500);
  await p.world.run({ for: 50 });
  must(c.setsockopt('SOL_SOCKET', 'SO_TIMESTAMPING', TX | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID));
  const t0 = p.world.now();
  assert.equal(c.write(Buffer.alloc(1000)), 1000);
  assert.equal(c.write(Buffer.alloc(2000)), 2000);
  assert.equal(c.readiness() & POLLERR, POLLERR, 'the SCHED/SND stamps of what left at once');
  await p.world.run({ for: 50 });
  const epoch = p.world.epoch;
  const got: Stamp[] = [];
  for (;;) {
    const m = c.recvmsg(got.length === 0 ? 100_000 : 0, MSG_ERRQUEUE);
    if (m === -11) break;
    got.push(take(m, epoch));
  }
  assert.equal(c.readiness() & POLLERR, 0);
  // The second write's last byte is in a short segment Nagle holds until the first is
  // acknowledged: it is stamped when it leaves, a round trip later, not when written.
  assert.deepEqual(got.map((g) => [g.info, g.key]), [
    [SCM_TSTAMP_SCHED, 999], [SCM_TSTAMP_SND, 999], [SCM_TSTAMP_ACK, 999],
    [SCM_TSTAMP_SCHED, 2999], [SCM_TSTAMP_SND, 2999], [SCM_TSTAMP_ACK, 2999],
  ]);
  const ms = got.map((g) => g.ms! - t0);
  assert.deepEqual(ms.slice(0, 2), [0, 0], 'stamped as it left');
  assert.ok(ms[2]! >= 10 && ms[2]! < 15, `acknowledged a round trip later (${ms[2]} ms)`);
  assert.deepEqual(ms.slice(3, 5), [ms[2], ms[2]], 'the held segment leaves with that ACK');
  assert.ok(ms[5]! >= ms[2]! + 10, `and is acknowledged a round trip after (${ms[5]} ms)`);
  // The data: the segment that carried the byte, cut to the buffer (MSG_TRUNC).
  assert.deepEqual([got[0]!.len, got[0]!.flags], [1000, MSG_ERRQUEUE]);
  assert.deepEqual([got[1]!.len, got[1]!.flags], [0, MSG_ERRQUEUE | MSG_TRUNC]);
});

test('SO_TIMESTAMPING: OPT_TSONLY carries no data; without SOFTWARE no SCM_TIMESTAMPING; without TX_ACK no ACK stamp; accepted sockets inherit the flags', async () => {
  const p = pair();
  const [c, s, l] = await connected(p);
  must(c.setsockopt('SOL_SOCKET', 'SO_TIMESTAMPING', SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY));
  assert.equal(c.write(Buffer.alloc(300)), 300);
  await p.world.run({ for: 50 });
  const m = c.recvmsg(1000, MSG_ERRQUEUE) as Msghdr;
  assert.deepEqual([m.data.length, m.flags, m.control.map((x) => x.type)], [0, MSG_ERRQUEUE, ['IP_RECVERR']]);
  assert.equal((m.control[0]!.data as SockExtendedErr).info, SCM_TSTAMP_SND);
  assert.equal((m.control[0]!.data as SockExtendedErr).data, 0, 'no OPT_ID: ee_data 0');
  assert.equal(c.recvmsg(1000, MSG_ERRQUEUE), -11, 'no ACK stamp without TX_ACK');
  // Off again: nothing more.
  must(c.setsockopt('SOL_SOCKET', 'SO_TIMESTAMPING', 0));
  assert.equal(c.write(Buffer.alloc(300)), 300);
  await p.world.run({ for: 50 });
  assert.equal(c.recvmsg(1000, MSG_ERRQUEUE), -11);
  assert.equal(s.recvmsg(1000, MSG_ERRQUEUE), -11);
  // A listener's flags pass to what it accepts (Linux sk_clone_lock copies sk_tsflags).
  must(l.setsockopt('SOL_SOCKET', 'SO_TIMESTAMPING', TX));
  const c2 = p.ta.socket(AF_INET);
  c2.connect({ family: 4, address: '10.0.0.2', port: 80 });
  await p.world.run({ for: 50 });
  const a = l.accept();
  assert.ok(typeof a === 'object');
  assert.equal(a.sock.getsockopt('SOL_SOCKET', 'SO_TIMESTAMPING'), TX);
});
