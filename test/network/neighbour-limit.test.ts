// The neighbour table's limits (issue 11) as Linux counts them: one table per address family and
// host (arp_tbl, nd_tbl), gc_thresh1/2/3 (128/512/1024) over the entries of every interface, not
// per interface. A router on two links hearing ARP requests from 700 hosts on each keeps at most
// gc_thresh3 entries; past it a new entry first forces a collection (neigh_forced_gc: entries
// that FAILED or have not changed for 5 s, oldest first, down to gc_thresh2) and is refused when
// that frees nothing (table_fulls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/index.js';
import type { Host } from '../../src/index.js';
import { emitArp } from '../../src/wire/arp.js';

/** A broadcast ARP request from 10.<net>.<i>.<j> (MAC 02:00:<net>:<i>:<j>:01) for `target`. */
function request(net: number, k: number, target: readonly number[]): Uint8Array {
  const f = new Uint8Array(60);
  const mac = new Uint8Array([2, 0, net, k >> 8, k & 255, 1]);
  f.fill(0xff, 0, 6);
  f.set(mac, 6);
  f[12] = 0x08; f[13] = 0x06;
  emitArp({ op: 1, senderMac: mac, senderIp: new Uint8Array([10, net, 1 + (k >> 8), k & 255]), targetMac: new Uint8Array(6), targetIp: new Uint8Array(target) }, f, 14);
  return f;
}

function arpEntries(h: Host): number {
  let n = 0;
  for (const i of h.kernel.interfaces) n += i.arp?.entries.size ?? 0;
  return n;
}

test('ARP entries are limited per host, over all interfaces (gc_thresh3 1024), not per interface: 1,400 requesters on two links leave 1,024 entries and 376 table_fulls; 6 s later new requesters push out the oldest down to gc_thresh2', async () => {
  const world = new Network({ seed: 3 });
  const r = world.host('r', { forwarding: true });
  const a = world.switch('a');
  const b = world.switch('b');
  r.attach(a, { ipv4: '10.1.0.254/16' });
  r.attach(b, { ipv4: '10.2.0.254/16' });
  assert.equal(r.sysctl('net.ipv4.neigh.default.gc_thresh3'), 1024);
  assert.equal(r.sysctl('net.ipv4.neigh.default.gc_thresh2'), 512);
  assert.equal(r.sysctl('net.ipv6.neigh.default.gc_thresh1'), 128);
  const pa = a.connect('hosts');
  const pb = b.connect('hosts');
  for (let k = 0; k < 700; k++) {
    pa.send(request(1, k, [10, 1, 0, 254]));
    pb.send(request(2, k, [10, 2, 0, 254]));
  }
  await world.run({ for: 100 });
  const st = r.kernel.stats.arp;
  assert.equal(arpEntries(r), 1024);
  assert.equal(r.kernel.neigh4.entries, 1024);
  assert.equal(st.TableFulls, 376);
  assert.equal(st.InRequests, 1400, 'every request answered all the same');
  // 6 s on: the entries are STALE and unchanged for over 5 s; a new requester forces a collection
  // of the oldest, down to gc_thresh2, and gets its entry.
  await world.run({ for: 6_000 });
  for (let k = 700; k < 800; k++) pa.send(request(1, k, [10, 1, 0, 254]));
  await world.run({ for: 100 });
  assert.equal(st.TableFulls, 376);
  assert.equal(arpEntries(r), 512 + 100);
  assert.ok(r.iface('eth0')!.arp!.entries.has('10.1.4.31'), 'the newest requester has an entry');
  assert.ok(!r.iface('eth0')!.arp!.entries.has('10.1.1.0'), 'the oldest went');
  // The limit is a setting: lowered, the table collects down to the new gc_thresh2 before anything new.
  r.sysctl('net.ipv4.neigh.default.gc_thresh3', 256);
  r.sysctl('net.ipv4.neigh.default.gc_thresh2', 128);
  await world.run({ for: 6_000 });
  pb.send(request(2, 900, [10, 2, 0, 254]));
  await world.run({ for: 100 });
  assert.equal(arpEntries(r), 128 + 1);
  await world.close();
});
