// TCP_INQ (Linux tcp_recvmsg's TCP_CM_INQ): each recvmsg() says how many bytes are left to read,
// and 1 once the peer's FIN came, so that the reader goes on to the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connected, must, pair } from './helpers.js';

const EINVAL = 22;

test('TCP_INQ: a TCP_CM_INQ control message with the bytes left, 1 after the FIN', async () => {
  const p = pair();
  const [c, s] = await connected(p);
  assert.equal(c.getsockopt('IPPROTO_TCP', 'TCP_INQ'), 0);
  assert.equal(c.setsockopt('IPPROTO_TCP', 'TCP_INQ', 2), -EINVAL);
  let m = c.recvmsg(100, 0);
  assert.equal(m, -11, 'nothing to read: EAGAIN, no message');
  assert.equal(s.write(Buffer.alloc(10_000, 7)), 10_000);
  await p.world.run({ for: 500 });
  assert.equal(c.ioctl('SIOCINQ'), 10_000);
  m = c.recvmsg(1000, 0);
  assert.ok(typeof m !== 'number');
  assert.deepEqual(m.control, [], 'off: no control message');
  must(c.setsockopt('IPPROTO_TCP', 'TCP_INQ', 1));
  assert.equal(c.getsockopt('IPPROTO_TCP', 'TCP_INQ'), 1);
  // A read may stop at a received chunk's end: what it leaves is what the message says.
  let left = 9000;
  while (left > 0) {
    m = c.recvmsg(2000, 0);
    assert.ok(typeof m !== 'number');
    assert.ok(m.data.length > 0 && m.data.length <= 2000);
    left -= m.data.length;
    assert.deepEqual(m.control, [{ level: 'IPPROTO_TCP', type: 'TCP_CM_INQ', data: left }]);
  }
  // More data, then the FIN: the FIN counts one while the data waits, and after.
  assert.equal(s.write(Buffer.alloc(3000)), 3000);
  must(s.shutdown(1));
  await p.world.run({ for: 500 });
  left = 3000;
  while (left > 0) {
    m = c.recvmsg(1000, 0);
    assert.ok(typeof m !== 'number');
    assert.ok(m.data.length > 0);
    left -= m.data.length;
    assert.deepEqual(m.control, [{ level: 'IPPROTO_TCP', type: 'TCP_CM_INQ', data: left + 1 }]);
  }
  m = c.recvmsg(5000, 0);
  assert.ok(typeof m !== 'number');
  assert.equal(m.data.length, 0, 'EOF');
  assert.deepEqual(m.control, [{ level: 'IPPROTO_TCP', type: 'TCP_CM_INQ', data: 1 }]);
});

test('TCP_INQ through host.sys.recvmsg', async () => {
  const p = pair();
  const sys = p.a.sys;
  const fd = sys.socket(2, 1, 0);
  assert.ok(fd >= 0);
  const l = p.tb.socket(2);
  must(l.bind({ family: 4, address: '0.0.0.0', port: 80 }));
  must(l.listen(4));
  assert.equal(sys.connect(fd, { family: 4, address: '10.0.0.2', port: 80 }), -115);
  await p.world.run({ for: 50 });
  const acc = l.accept();
  assert.ok(typeof acc !== 'number');
  assert.equal(sys.setsockopt(fd, 'IPPROTO_TCP', 'TCP_INQ', 1), 0);
  assert.equal(acc.sock.write(Buffer.alloc(500)), 500);
  await p.world.run({ for: 50 });
  const m = sys.recvmsg(fd, 200, 0);
  assert.ok(typeof m !== 'number');
  assert.equal(m.data.length, 200);
  assert.deepEqual(m.control, [{ level: 'IPPROTO_TCP', type: 'TCP_CM_INQ', data: 300 }]);
});
