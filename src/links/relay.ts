// Two connected stream sockets joined end to end, as a NAT or a port forwarder joins the
// connection it accepted and the one it opened: a real node:net socket and a virtual host.net one
// (both are Node Duplex streams with resetAndDestroy). What one side says reaches the other:
//
//   data      -> data, with backpressure (a side whose peer's write buffer is full is paused)
//   EOF (FIN) -> end() on the other side: half-close works both ways (both allowHalfOpen)
//   reset or any other error (ECONNRESET, ETIMEDOUT, EPIPE) -> resetAndDestroy(): a RST
//   closed abruptly without error (destroy()) -> the other side is closed too
import type { Duplex } from 'node:stream';

/** A connected stream socket: node:net's Socket or host.net's. */
export type StreamSocket = Duplex & { resetAndDestroy(): unknown };

export interface RelayHooks {
  /** Bytes read from `a` and written to `b`. */
  aToB?(n: number): void;
  /** Bytes read from `b` and written to `a`. */
  bToA?(n: number): void;
  /** Both sides closed; `reset`: either side ended with a reset or an error. */
  closed?(reset: boolean): void;
}

/** Joins `a` and `b` (both connected, both with allowHalfOpen). */
export function relay(a: StreamSocket, b: StreamSocket, hooks: RelayHooks = {}): void {
  let reset = false;
  let closed = 0;
  const pass = (from: StreamSocket, to: StreamSocket, count: ((n: number) => void) | undefined): void => {
    from.on('data', (chunk: Buffer) => {
      count?.(chunk.length);
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => from.resume());
    from.on('end', () => { if (!to.destroyed && !to.writableEnded) to.end(); });
    from.on('error', () => {
      reset = true;
      if (!to.destroyed) to.resetAndDestroy();
    });
    from.on('close', () => {
      // Destroyed with no error and no EOF seen: close the other side the same way.
      if (!to.destroyed && !to.writableEnded) to.destroy();
      if (++closed === 2) hooks.closed?.(reset);
    });
  };
  pass(a, b, hooks.aToB);
  pass(b, a, hooks.bToA);
  a.resume();
  b.resume();
}
