// MSG_ZEROCOPY / SO_ZEROCOPY (Linux Documentation/networking/msg_zerocopy.rst): completion
// notifications on the error queue, read with recvmsg(MSG_ERRQUEUE), merged while unread; POLLERR;
// a zerocopy send's buffers as fragments, at most 17 per packet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, addr, connected, must, pair, show, tapSegments } from './helpers.js';
import {
  MSG_ERRQUEUE, MSG_ZEROCOPY, POLLERR, SO_EE_CODE_ZEROCOPY_COPIED, SO_EE_ORIGIN_ZEROCOPY, type Msghdr,
} from '../../src/uapi/socket.js';

test('MSG_ZEROCOPY: each send gets the next id; once acknowledged a notification waits on the error queue, merged while unread', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  const fd = p.a.sys.socket(AF_INET, 1);
  assert.equal(p.a.sys.getsockopt(fd, 'SOL_SOCKET', 'SO_ZEROCOPY'), 0);
  p.a.sys.close(fd);
  assert.equal(c.setsockopt('SOL_SOCKET', 'SO_ZEROCOPY', 2), -22);
  must(c.setsockopt('SOL_SOCKET', 'SO_ZEROCOPY', 1));
  assert.equal(c.recvmsg(0, MSG_ERRQUEUE), -11, 'EAGAIN: nothing yet');
  assert.equal(c.sendto(Buffer.alloc(4000), undefined, MSG_ZEROCOPY), 4000);
  assert.equal(c.readiness() & POLLERR, 0, 'not before the data is acknowledged');
  await p.world.run({ for: 50 });
  assert.equal(c.readiness() & POLLERR, POLLERR);
  assert.equal(c.sendto(Buffer.alloc(4000), undefined, MSG_ZEROCOPY), 4000);
  assert.equal(c.sendto(Buffer.alloc(0), undefined, MSG_ZEROCOPY), 0, 'an empty send takes no id');
  await p.world.run({ for: 50 });
  const m = c.recvmsg(0, MSG_ERRQUEUE) as Msghdr;
  assert.equal(m.data.length, 0);
  assert.equal(m.flags, MSG_ERRQUEUE);
  assert.deepEqual(m.control, [{ level: 'IPPROTO_IP', type: 'IP_RECVERR', data: {
    errno: 0, origin: SO_EE_ORIGIN_ZEROCOPY, type: 0, code: SO_EE_CODE_ZEROCOPY_COPIED, info: 0, data: 1,
  } }]);
  assert.equal(c.readiness() & POLLERR, 0);
  assert.equal(c.recvmsg(0, MSG_ERRQUEUE), -11);
  // Read in between: the next notification is one of its own.
  assert.equal(c.sendto(Buffer.alloc(10), undefined, MSG_ZEROCOPY), 10);
  await p.world.run({ for: 50 });
  assert.equal(p.a.sys.recvmsg(999, 0, MSG_ERRQUEUE), -9, 'EBADF through host.sys for a descriptor not open');
  const n = c.recvmsg(0, MSG_ERRQUEUE) as Msghdr;
  assert.deepEqual([(n.control[0]!.data as { info: number }).info, (n.control[0]!.data as { data: number }).data], [2, 2]);
  // Without SO_ZEROCOPY the flag is ignored, as on Linux.
  must(s.setsockopt('SOL_SOCKET', 'SO_ZEROCOPY', 0));
  assert.equal(s.sendto(Buffer.alloc(100), undefined, MSG_ZEROCOPY), 100);
  await p.world.run({ for: 50 });
  assert.equal(s.recvmsg(0, MSG_ERRQUEUE), -11);
});

test('a zerocopy send references each buffer as a fragment: 17 to a packet, each full packet pushed', async () => {
  const p = pair({ offload: false });
  const l = p.tb.socket(AF_INET);
  must(l.bind(addr('0.0.0.0', 80)));
  must(l.listen(4));
  const c = p.ta.socket(AF_INET);
  must(c.setsockopt('SOL_SOCKET', 'SO_ZEROCOPY', 1));
  c.connect(addr('10.0.0.2', 80));
  await p.world.run({ for: 10 });
  const segs = tapSegments(p.link, p.world);
  const pieces = Array.from({ length: 18 }, () => Buffer.alloc(1));
  assert.equal(c.sendto(pieces, undefined, 0), 18);
  await p.world.run({ for: 50 });
  assert.equal(c.sendto(pieces, undefined, MSG_ZEROCOPY), 18);
  await p.world.run({ for: 50 });
  const data = segs.filter((x) => x.len > 0 && x.src === '10.0.0.1');
  // A copied iovec is one linear chunk; a zerocopy one is cut after 17 fragments (Linux MAX_SKB_FRAGS).
  assert.deepEqual(data.map((x) => `${x.flags}:${x.len}`), ['PSH,ACK:18', 'PSH,ACK:17', 'PSH,ACK:1'], show(segs));
  const m = c.recvmsg(0, MSG_ERRQUEUE) as Msghdr;
  assert.equal((m.control[0]!.data as { info: number }).info, 0);
});
