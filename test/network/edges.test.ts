// Small protocol edges found by hostile input (issue 11): each case as Linux has it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/index.js';
import { emitEthernetHeader } from '../../src/wire/ethernet.js';
import { parseIPv6 } from '../../src/wire/addr.js';
import { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM, type Domain, type SockType } from '../../src/uapi/socket.js';
import { EINVAL, ESOCKTNOSUPPORT } from '../../src/uapi/errno.js';

test('socket(): a known type no family here makes is -ESOCKTNOSUPPORT, an unknown one -EINVAL (Linux __sock_create, inet_create)', () => {
  const world = new Network({ seed: 1 });
  const h = world.host('h');
  const SOCK_RAW = 3, SOCK_RDM = 4, SOCK_SEQPACKET = 5, SOCK_PACKET = 10;
  for (const d of [AF_INET, AF_INET6] as Domain[]) {
    for (const t of [SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_PACKET, 0]) assert.equal(h.sys.socket(d, t as SockType), -ESOCKTNOSUPPORT, `domain ${d} type ${t}`);
    for (const t of [11, 15, 0x100 | SOCK_STREAM]) assert.equal(h.sys.socket(d, t as SockType), -EINVAL, `domain ${d} type ${t}`);
    assert.ok(h.sys.socket(d, SOCK_STREAM) >= 0);
    assert.ok(h.sys.socket(d, SOCK_DGRAM) >= 0);
  }
  assert.equal(h.sys.socket(AF_UNIX, 12 as SockType), -EINVAL);
});

test('an IPv6 packet with Next Header 59 (no next header) is counted as delivered and discarded (RFC 8200 §4.7, Linux nodata_protocol)', async () => {
  const world = new Network({ seed: 1 });
  const sw = world.switch('lan');
  const a = world.host('a');
  const ia = a.attach(sw, { ipv6: 'fd00::1/64' });
  await world.run({ for: '2s' }); // DAD
  const raw = sw.connect('raw');
  raw.onFrame = () => {};
  const src = parseIPv6('fd00::99')!;
  const dst = parseIPv6('fd00::1')!;
  const send = (ext: boolean): void => {
    const body = ext ? 8 : 0;
    const f = new Uint8Array(14 + 40 + body + 16);
    emitEthernetHeader(f, 0, ia.mac, new Uint8Array([2, 0, 0, 0, 0, 0x99]), 0x86dd);
    // Payload length covers 16 bytes after the last header: ignored (RFC 8200 §4.7).
    f.set([0x60, 0, 0, 0, 0, body + 16, ext ? 60 : 59, 64], 14);
    f.set(src, 22);
    f.set(dst, 38);
    if (ext) f.set([59, 0, 1, 4, 0, 0, 0, 0], 54); // a destination-options header, PadN, then 59
    raw.send(f);
  };
  const st = a.kernel.stats.ip6;
  const before = { delivered: st.InDelivers!, received: st.InReceives!, hdr: st.InHdrErrors!, unknown: st.InUnknownProtos! };
  send(false);
  send(true);
  await world.run({ for: '10ms' });
  assert.equal(st.InReceives! - before.received, 2);
  assert.equal(st.InDelivers! - before.delivered, 2);
  assert.equal(st.InHdrErrors! - before.hdr, 0);
  assert.equal(st.InUnknownProtos! - before.unknown, 0);
});
