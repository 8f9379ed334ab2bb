// The descriptors the handles of one host watch: libuv's loop->watchers. uv_tcp_open,
// uv_pipe_open and uv_udp_open refuse a descriptor another handle already watches
// (uv__fd_exists: -EEXIST), which is how `dgram.bind({ fd })` on a socket's own fd fails.
import type { SocketCalls } from '../sys/types.js';
import type { ReadyCallback } from '../uapi/socket.js';

/** Per host (keyed by its sys): how many active watches each descriptor has. */
const watched = new WeakMap<SocketCalls, Map<number, number>>();

/** sys.watch(), counted. */
export function watchFd(sys: SocketCalls, fd: number, events: number, cb: ReadyCallback): () => void {
  let counts = watched.get(sys);
  if (counts === undefined) { counts = new Map(); watched.set(sys, counts); }
  counts.set(fd, (counts.get(fd) ?? 0) + 1);
  const unwatch = sys.watch(fd, events, cb);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    unwatch();
    const n = counts.get(fd)! - 1;
    if (n === 0) counts.delete(fd); else counts.set(fd, n);
  };
}

/** Whether a handle of this host watches `fd` (uv__fd_exists). */
export function fdWatched(sys: SocketCalls, fd: number): boolean {
  return (watched.get(sys)?.get(fd) ?? 0) > 0;
}
