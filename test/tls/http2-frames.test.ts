// HTTP/2 frames over a host socket leave in the order nghttp2 makes them, as over a socket of
// Node's: a stream the server destroys right after writing to it still delivers its HEADERS and
// DATA before its RST_STREAM (the session's C++ writes complete at once, on every Node line:
// Node 24's write requests from C++ carry a `handle` of null).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routedPair } from './helpers.js';

test('http2: a stream destroyed right after respond() and write() still delivers its headers and data first', async () => {
  const { world, a, b } = routedPair(16, false);
  const server = b.http2.createServer();
  server.on('stream', (stream) => {
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200 });
      stream.write('foo');
      stream.destroy();
    });
  });
  server.listen(80);
  const session = a.http2.connect('http://b');
  const req = session.request({ ':method': 'POST' });
  const r: { status: unknown; body: string; error: string | null; closed: boolean } = { status: undefined, body: '', error: null, closed: false };
  req.on('response', (headers) => { r.status = headers[':status']; });
  req.setEncoding('utf8').on('data', (d: string) => { r.body += d; });
  req.on('error', (err: Error) => { r.error = err.message; });
  req.on('close', () => { r.closed = true; });
  req.end();
  await world.run({ for: '5s' });
  assert.deepEqual(r, { status: 200, body: 'foo', error: null, closed: true });
  session.close();
  server.close();
  await world.run({ for: '5s' });
});
