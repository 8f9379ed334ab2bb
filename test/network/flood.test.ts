// Flooded frames on a switch of hosts: one event for a run of hosts, no copy for a host whose
// arrival changes only counters, the same state everywhere as one delivery event per port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/index.js';
import type { Host } from '../../src/index.js';
import { ARP_REPLY, ARP_REQUEST, emitArp, parseArp } from '../../src/wire/arp.js';
import { emitEthernetHeader, ETHERTYPE_ARP } from '../../src/wire/ethernet.js';
import { BROADCAST_MAC, parseIPv4 } from '../../src/wire/addr.js';
import { WireError } from '../../src/wire/error.js';

const RAW_MAC = Uint8Array.from([0x02, 0, 0, 0, 0xee, 0x01]);

function arpRequest(senderIp: string, targetIp: string): Uint8Array {
  const f = new Uint8Array(60); // padded to Ethernet's minimum, as a NIC sends it
  emitEthernetHeader(f, 0, BROADCAST_MAC, RAW_MAC, ETHERTYPE_ARP);
  emitArp({ op: ARP_REQUEST, senderMac: RAW_MAC, senderIp: parseIPv4(senderIp)!, targetMac: new Uint8Array(6), targetIp: parseIPv4(targetIp)! }, f, 14);
  return f;
}

test('a broadcast ARP request reaches 40 hosts through one event; the hosts it does not concern count it, a host with an entry for the sender updates it, the target answers', async () => {
  const world = new Network({ seed: 3 });
  const sw = world.switch('lan');
  const hosts: Host[] = [];
  for (let i = 0; i < 40; i++) {
    const h = world.host(`h${i}`);
    h.attach(sw, { ipv4: `10.0.0.${i + 1}/24` });
    hosts.push(h);
  }
  const raw = sw.connect('raw');
  const got: Uint8Array[] = [];
  raw.onFrame = (f) => { got.push(f); };
  await world.run({ for: 5_000 }); // addresses settle, MLD reports go out
  // h7 keeps a stale entry for the sender's address, with another MAC.
  const stale = hosts[7]!.kernel.iface('eth0')!.arp!;
  stale.update('10.0.0.200', parseIPv4('10.0.0.200')!, Uint8Array.from([2, 0, 0, 0, 0, 9]), false, true, true);
  const before = hosts.map((h) => ({ rx: h.kernel.iface('eth0')!.stats.rxPackets, req: h.kernel.stats.arp.InRequests! }));
  const events = world.sched.eventsRun;
  const delivered = sw.stats().delivered;
  got.length = 0;

  raw.send(arpRequest('10.0.0.200', '10.0.0.3'));
  await world.run({ for: 10 });

  // One event for the 40 hosts, one for h2's reply to the raw port.
  assert.equal(world.sched.eventsRun - events, 2);
  assert.equal(sw.stats().delivered - delivered, 41);
  hosts.forEach((h, i) => {
    assert.equal(h.kernel.iface('eth0')!.stats.rxPackets - before[i]!.rx, 1, `${h.name} counted the frame`);
    assert.equal(h.kernel.stats.arp.InRequests! - before[i]!.req, 1, `${h.name} counted the request`);
  });
  // RFC 826 merge: h7's entry now has the sender's MAC; the target made one (STALE); no other host did.
  const entry = (h: Host) => h.kernel.iface('eth0')!.arp!.entries.get('10.0.0.200');
  assert.deepEqual([...entry(hosts[7]!)!.mac!], [...RAW_MAC]);
  assert.deepEqual([...entry(hosts[2]!)!.mac!], [...RAW_MAC]);
  assert.deepEqual(hosts.filter((h) => entry(h) !== undefined).map((h) => h.name), ['h2', 'h7']);
  assert.equal(got.length, 1);
  const reply = parseArp(got[0]!.subarray(14));
  assert.ok(!(reply instanceof WireError));
  assert.equal(reply.op, ARP_REPLY);
  assert.deepEqual([...reply.senderIp], [10, 0, 0, 3]);
  await world.close();
});

test('a flooded frame reaches hosts and other devices on the switch in port order', async () => {
  const world = new Network({ seed: 4 });
  const sw = world.switch('lan');
  const order: string[] = [];
  const hosts: Host[] = [];
  for (let i = 0; i < 6; i++) {
    if (i === 3) sw.connect('dev').onFrame = () => { order.push('dev'); };
    const h = world.host(`h${i}`);
    h.attach(sw, { ipv4: `10.0.0.${i + 1}/24` });
    hosts.push(h);
    const s = h.dgram.createSocket('udp4');
    s.bind(9);
    s.on('message', () => { order.push(h.name); });
  }
  const raw = sw.connect('raw');
  await world.run({ for: 5_000 });
  order.length = 0;
  // A UDP datagram to the subnet's broadcast address from a device on the switch: the device
  // takes it in its own delivery event, the hosts' sockets read it in the order of their ports.
  raw.send(udpBroadcast());
  await world.run({ for: 10 });
  assert.deepEqual(order, ['dev', 'h0', 'h1', 'h2', 'h3', 'h4', 'h5']);
  await world.close();
});

/** A UDP datagram from 10.0.0.200:5000 to 10.0.0.255:9, broadcast on Ethernet. */
function udpBroadcast(): Uint8Array {
  const payload = 4;
  const f = new Uint8Array(14 + 20 + 8 + payload);
  emitEthernetHeader(f, 0, BROADCAST_MAC, RAW_MAC, 0x0800);
  const ip = 14;
  f[ip] = 0x45; f[ip + 2] = 0; f[ip + 3] = 20 + 8 + payload; f[ip + 8] = 64; f[ip + 9] = 17;
  f.set([10, 0, 0, 200], ip + 12); f.set([10, 0, 0, 255], ip + 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (f[ip + i]! << 8) | f[ip + i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  f[ip + 10] = c >>> 8; f[ip + 11] = c & 0xff;
  const u = ip + 20;
  f[u] = 0x13; f[u + 1] = 0x88; f[u + 2] = 0; f[u + 3] = 9; f[u + 4] = 0; f[u + 5] = 8 + payload; // checksum 0: none (RFC 768)
  f.set([1, 2, 3, 4], u + 8);
  return f;
}
