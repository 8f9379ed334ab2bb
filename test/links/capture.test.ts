import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Scheduler } from '../../src/links/clock.js';
import { Random } from '../../src/links/random.js';
import { Cable } from '../../src/links/cable.js';
import { Switch } from '../../src/links/switch.js';
import { Capture } from '../../src/links/capture.js';
import { BROADCAST, eth } from './frames.js';

const A = '02:00:00:00:00:0a', B = '02:00:00:00:00:0b';

interface Pcap { magic: number; littleEndian: boolean; major: number; minor: number; snaplen: number; linktype: number;
  records: Array<{ sec: number; usec: number; capLen: number; origLen: number; data: Uint8Array }> }

/** Reads a classic pcap file, in either byte order, checking that records exactly fill the file. */
function readPcap(path: string): Pcap {
  const buf = readFileSync(path);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const le = v.getUint32(0, true) === 0xa1b2c3d4;
  assert.ok(le || v.getUint32(0, false) === 0xa1b2c3d4, 'pcap magic a1b2c3d4 (microsecond timestamps)');
  const out: Pcap = { magic: 0xa1b2c3d4, littleEndian: le, major: v.getUint16(4, le), minor: v.getUint16(6, le),
    snaplen: v.getUint32(16, le), linktype: v.getUint32(20, le), records: [] };
  let off = 24;
  while (off < buf.length) {
    assert.ok(off + 16 <= buf.length, 'truncated record header');
    const capLen = v.getUint32(off + 8, le);
    const rec = { sec: v.getUint32(off, le), usec: v.getUint32(off + 4, le), capLen, origLen: v.getUint32(off + 12, le),
      data: new Uint8Array(buf.subarray(off + 16, off + 16 + capLen)) };
    assert.ok(off + 16 + capLen <= buf.length, 'truncated record data');
    assert.ok(rec.usec < 1e6);
    out.records.push(rec);
    off += 16 + capLen;
  }
  return out;
}

const hasTshark = spawnSync('sh', ['-c', 'command -v tshark']).status === 0;

function tsharkReads(t: { skip: (msg: string) => void }, path: string, packets: number): void {
  if (!hasTshark) { t.skip('tshark not installed'); return; }
  const r = spawnSync('tshark', ['-n', '-r', path], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, packets, r.stdout);
  assert.ok(!/malformed/i.test(r.stdout), r.stdout);
}

function tmp(): string { return mkdtempSync(join(tmpdir(), 'usernet-cap-')); }

/** A minimal IPv4/UDP packet with a correct header checksum (UDP checksum 0 = none). */
function ipv4Udp(payload: number): Uint8Array {
  const p = new Uint8Array(28 + payload);
  p.set([0x45, 0, (28 + payload) >> 8, (28 + payload) & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const ck = ~sum & 0xffff;
  p[10] = ck >> 8; p[11] = ck & 0xff;
  p.set([0x30, 0x39, 0x00, 0x07, (8 + payload) >> 8, (8 + payload) & 0xff, 0, 0], 20);
  return p;
}

test('a cable capture is classic Ethernet pcap: records at the virtual send times, bytes copied when captured', async (t) => {
  const dir = tmp();
  try {
    const sched = new Scheduler();
    const c = new Cable('wan', sched, new Random(1));
    c.impair({ latency: 30 });
    c.ends[1].onFrame = () => {};
    const path = join(dir, 'wan.pcap');
    const cap = new Capture(c, path, sched);
    assert.equal(cap.path, path);
    const sent: Uint8Array[] = [];
    const times = [0, 0.001, 1.5, 999.9995, 2500.25];
    times.forEach((time, i) => sched.at(time, () => {
      const f = eth(B, A, 46 + i * 100, i);
      sent.push(f.slice());
      c.ends[i % 2].send(f);
      f.fill(0xee); // the sender breaks the rule and reuses its buffer: the capture kept a copy
    }));
    await sched.run();
    assert.equal(cap.packets, 5);
    await cap.close();
    await cap.close(); // idempotent
    const p = readPcap(path);
    assert.deepEqual([p.major, p.minor, p.linktype, p.snaplen], [2, 4, 1, 262144]);
    assert.equal(p.records.length, 5);
    p.records.forEach((r, i) => {
      assert.equal(r.sec * 1000 + r.usec / 1000, Math.round(times[i]! * 1000) / 1000, `record ${i} time`);
      assert.equal(r.capLen, sent[i]!.length);
      assert.equal(r.origLen, sent[i]!.length);
      assert.deepEqual(r.data, sent[i]);
    });
    // After close nothing more is captured.
    c.ends[0].send(eth(B, A, 46, 9));
    await sched.run();
    assert.equal(cap.packets, 5);
    tsharkReads(t, path, 5);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a layer-3 cable captures as LINKTYPE_RAW; snaplen truncates but keeps the real length', async (t) => {
  const dir = tmp();
  try {
    const sched = new Scheduler();
    const c = new Cable('tun', sched, new Random(1), { layer: 3 });
    const path = join(dir, 'tun.pcap');
    const cap = new Capture(c, path, sched);
    const short = join(dir, 'short.pcap');
    const capShort = new Capture(c, short, sched, { snaplen: 40 });
    c.ends[0].send(ipv4Udp(10));
    c.ends[1].send(ipv4Udp(1000));
    await sched.run();
    await Promise.all([cap.close(), capShort.close()]);
    const p = readPcap(path);
    assert.equal(p.linktype, 101);
    assert.deepEqual(p.records.map((r) => [r.capLen, r.origLen]), [[38, 38], [1028, 1028]]);
    const q = readPcap(short);
    assert.equal(q.snaplen, 40);
    assert.deepEqual(q.records.map((r) => [r.capLen, r.origLen]), [[38, 38], [40, 1028]]);
    assert.throws(() => new Capture(c, join(dir, 'x.pcap'), sched, { snaplen: 0 }), RangeError);
    tsharkReads(t, path, 2);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a switch capture holds every frame once, across several write chunks, in order', async (t) => {
  const dir = tmp();
  try {
    const sched = new Scheduler();
    const sw = new Switch('lan', sched, new Random(1));
    const a = sw.connect('a'), b = sw.connect('b'), c = sw.connect('c');
    for (const p of [a, b, c]) p.onFrame = () => {};
    const path = join(dir, 'lan.pcap');
    const cap = new Capture(sw, path, sched);
    const n = 600; // 600 full frames: about 900 KB, several chunks
    for (let i = 0; i < n; i++) {
      sched.at(i, () => (i % 2 ? b : a).send(eth(i % 10 === 0 ? BROADCAST : i % 2 ? A : B, i % 2 ? B : A, 1500, i)));
    }
    await sched.run();
    await cap.close();
    const p = readPcap(path);
    assert.equal(p.records.length, n);
    assert.equal(cap.packets, n);
    p.records.forEach((r, i) => {
      assert.equal(r.sec * 1000 + r.usec / 1000, i);
      assert.equal((r.data[14]! << 24 | r.data[15]! << 16 | r.data[16]! << 8 | r.data[17]!) >>> 0, i);
    });
    tsharkReads(t, path, n);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a bad path throws at once; a real-clock capture is stamped with wall-clock time', async () => {
  const sched = new Scheduler();
  const c = new Cable('wan', sched, new Random(1));
  assert.throws(() => new Capture(c, '/nonexistent-dir/x/y.pcap', sched), /ENOENT/);
  const dir = tmp();
  try {
    const real = new Scheduler('real');
    const rc = new Cable('wan', real, new Random(1));
    const path = join(dir, 'real.pcap');
    const cap = new Capture(rc, path, real);
    rc.ends[0].send(eth(B, A, 46, 1));
    await real.run();
    await cap.close();
    const [r] = readPcap(path).records;
    assert.ok(Math.abs(r!.sec * 1000 + r!.usec / 1000 - Date.now()) < 10_000);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
