// util.promisify(host.http2.connect) behaves as Node's: the session once connected, or a rejection
// with the session's first error (Node's connect[util.promisify.custom]).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import type { ClientHttp2Session } from 'node:http2';
import { routedPair } from './helpers.js';

test('http2: util.promisify(connect) resolves with the connected session, rejects with its error', async () => {
  const { world, a, b } = routedPair(15, false);
  const server = b.http2.createServer((_req, res) => res.end('ok')).listen(80);
  const connect = promisify(a.http2.connect) as unknown as (authority: string, options?: object) => Promise<ClientHttp2Session>;
  assert.equal(typeof (a.http2.connect as unknown as Record<symbol, unknown>)[promisify.custom], 'function');

  const [session] = await Promise.all([connect('http://b'), world.run({ for: '5s' })]);
  assert.equal(session.connecting, false);
  const req = session.request({ ':path': '/' });
  let body = '';
  req.setEncoding('utf8').on('data', (d: string) => { body += d; });
  await Promise.all([new Promise((resolve) => req.on('end', resolve)), world.run({ for: '5s' })]);
  assert.equal(body, 'ok');
  session.close();

  const failure = new Error('Unable to resolve hostname');
  const lookup = (_name: string, _options: object, callback: (err: Error) => void): void => callback(failure);
  const [outcome] = await Promise.all([connect('http://nowhere', { lookup }).then(() => 'resolved', (err: unknown) => err), world.run({ for: '5s' })]);
  assert.equal(outcome, failure);
  server.close();
  await world.run();
});
