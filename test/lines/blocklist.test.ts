// blockList (Node 22.13+) on net.connect(), net.Server and dgram, and maxConnections = 0
// (Node 21+), as the running line has them: on Node 20 the options are ignored as Node ignores them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { line } from '../../src/node/line.js';
import { lan, listening } from './lan.js';

const onLine = { skip: !line.blockList && 'this Node line has no blockList' };

test('net.connect({ blockList }): a blocked address fails with ERR_IP_BLOCKED and sends nothing', onLine, async () => {
  const { world, a, b } = lan();
  const list = new a.net.BlockList();
  list.addSubnet('10.0.0.0', 24);
  const accepted: string[] = [];
  let served!: () => void;
  const servedOnce = new Promise<void>((r) => { served = r; });
  const server = b.net.createServer((s) => { accepted.push(s.remoteAddress!); s.end(); served(); });
  await listening(server.listen(80));
  const err = await new Promise<Error & { code?: string }>((resolve) => {
    a.net.connect({ port: 80, host: '10.0.0.2', blockList: list }).on('error', resolve);
  });
  assert.equal(err.code, 'ERR_IP_BLOCKED');
  assert.equal(err.message, 'IP(10.0.0.2) is blocked by net.BlockList');
  // Several addresses (autoSelectFamily): the blocked one is skipped, the next one connects.
  const ok = await new Promise<string>((resolve, reject) => {
    const c = a.net.connect({
      port: 80, host: 'b', blockList: list, autoSelectFamily: true,
      lookup: (_h: string, _o: unknown, cb: (e: null, r: Array<{ address: string; family: number }>) => void) =>
        cb(null, [{ address: '10.0.0.2', family: 4 }, { address: 'fd00::2', family: 6 }]),
    });
    c.on('connect', () => { resolve(c.remoteAddress!); c.destroy(); });
    c.on('error', reject);
  });
  assert.equal(ok, 'fd00::2');
  await servedOnce;
  assert.deepEqual(accepted, ['fd00::1']);
  assert.throws(() => a.net.connect({ port: 80, blockList: ['10.0.0.2'] as never }),
    { code: 'ERR_INVALID_ARG_TYPE', message: 'The "options.blockList" property must be an net.BlockList. Received an instance of Array' });
  server.close();
});

test('net.Server({ blockList }): a blocked peer is closed as soon as it is accepted', onLine, async () => {
  const { world, a, b } = lan();
  const list = new b.net.BlockList();
  list.addAddress('10.0.0.1');
  const peers: string[] = [];
  const server = b.net.createServer({ blockList: list }, (s) => { peers.push(s.remoteAddress!); s.destroy(); });
  await listening(server.listen(80));
  const events: string[] = [];
  await new Promise<void>((resolve) => {
    const c = a.net.connect(80, '10.0.0.2');
    c.on('connect', () => events.push('connect'));
    c.on('end', () => events.push('end'));
    c.on('error', (e: Error & { code?: string }) => events.push(e.code!));
    c.on('close', () => resolve());
  });
  assert.deepEqual(events, ['connect', 'end']);
  assert.deepEqual(peers, []);
  // Not blocked: IPv6 from the same host.
  await new Promise<void>((resolve) => {
    server.once('connection', () => resolve());
    a.net.connect(80, 'fd00::2').on('error', () => {});
  });
  assert.deepEqual(peers, ['fd00::1']);
  server.close();
});

test('dgram sendBlockList / receiveBlockList', onLine, async () => {
  const { world, a, b } = lan();
  const to = new a.net.BlockList();
  to.addAddress('10.0.0.2');
  const tx = a.dgram.createSocket({ type: 'udp4', sendBlockList: to });
  const sendErr = await new Promise<Error & { code?: string }>((r) => tx.send('x', 53, '10.0.0.2', (e) => r(e!)));
  assert.equal(sendErr.code, 'ERR_IP_BLOCKED');
  const connErr = await new Promise<Error & { code?: string }>((r) => tx.connect(53, '10.0.0.2', (e?: Error) => r(e!)));
  assert.equal(connErr.code, 'ERR_IP_BLOCKED');
  tx.close();

  const from = new b.net.BlockList();
  from.addAddress('10.0.0.1');
  const rx = b.dgram.createSocket({ type: 'udp6', receiveBlockList: from });
  const got: string[] = [];
  rx.on('message', (m, rinfo) => got.push(`${m} from ${rinfo.address}`));
  await new Promise<void>((r) => rx.bind(53, () => r()));
  const c4 = a.dgram.createSocket('udp4');
  const c6 = a.dgram.createSocket('udp6');
  await new Promise<void>((r) => c4.send('v4', 53, '10.0.0.2', () => r()));
  await new Promise<void>((r) => c6.send('v6', 53, 'fd00::2', () => r()));
  await world.run({ for: '100ms' });
  // The IPv4 sender reaches the dual-stack socket as ::ffff:10.0.0.1, which the list (IPv4) holds too.
  assert.deepEqual(got, ['v6 from fd00::1']);
  assert.throws(() => b.dgram.createSocket({ type: 'udp4', receiveBlockList: {} as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  for (const s of [rx, c4, c6]) s.close();
});

test('maxConnections = 0 drops every connection (Node 21+); before, 0 meant no limit', async () => {
  const { world, a, b } = lan();
  const server = b.net.createServer((s) => s.end('hi'));
  server.maxConnections = 0;
  const drops: Array<Record<string, unknown>> = [];
  server.on('drop', (d) => drops.push(d));
  await listening(server.listen(80));
  const got = await new Promise<string>((resolve) => {
    let data = '';
    const c = a.net.connect(80, '10.0.0.2');
    c.on('data', (d: Buffer) => { data += d; });
    c.on('error', () => {});
    c.on('close', () => resolve(data));
  });
  if (line.maxConnectionsZero) {
    assert.equal(got, '');
    assert.equal(drops.length, 1);
    assert.equal(drops[0]!.remoteAddress, '::ffff:10.0.0.1');
    assert.equal(drops[0]!.localPort, 80);
  } else {
    assert.equal(got, 'hi');
    assert.equal(drops.length, 0);
  }
  server.close();
});
