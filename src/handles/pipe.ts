// Unix-domain stream handles: Node's PipeWrap over libuv's uv_pipe_t, on host.sys.
// Like PipeWrap it has no getsockname/getpeername: net.Server.address() answers with the path.
import { EACCES, EINPROGRESS, ENOENT, EALREADY } from '../uapi/errno.js';
import { AF_UNIX, SOCK_STREAM } from '../uapi/socket.js';
import { ConnectWrap, StreamHandle, UV_EINVAL, type HandleLoop } from './stream.js';

export const PipeConstants = {
  SOCKET: 0,
  SERVER: 1,
  IPC: 2,
  UV_READABLE: 1,
  UV_WRITABLE: 2,
  /** libuv uv_pipe_bind2 / uv_pipe_connect2: a name longer than sun_path is EINVAL, not cut (Node 24+). */
  UV_PIPE_NO_TRUNCATE: 1,
} as const;

/** sizeof(sun_path): a filesystem name has room for 107 bytes and the NUL, an abstract one for 108. */
const SUN_PATH = 108;

/**
 * The name libuv puts in the sockaddr_un: too long, it is cut to what fits (libuv's old
 * uv_pipe_bind), or refused with UV_PIPE_NO_TRUNCATE.
 */
function sunPath(name: string, flags: number): string | number {
  const bytes = Buffer.from(name);
  const room = name.startsWith('\0') ? SUN_PATH : SUN_PATH - 1;
  if (bytes.length <= room) return name;
  if ((flags & PipeConstants.UV_PIPE_NO_TRUNCATE) !== 0) return UV_EINVAL;
  return bytes.subarray(0, room).toString();
}

export class PipeHandle extends StreamHandle {
  /** The path bound (servers) or connected to. */
  pipeName = '';

  constructor(loop: HandleLoop, readonly kind: number = PipeConstants.SOCKET) {
    super(loop, 'PIPEWRAP');
  }

  protected adopt(fd: number): StreamHandle {
    return new PipeHandle(this.loop, PipeConstants.SOCKET).initConnected(fd);
  }

  bind(path: string, flags = 0): number {
    if (this.isClosed || this.fd >= 0) return UV_EINVAL;
    const name = sunPath(path, flags);
    if (typeof name === 'number') return name;
    const { sys } = this.loop;
    const fd = sys.socket(AF_UNIX, SOCK_STREAM);
    if (fd < 0) return fd;
    const r = sys.bind(fd, { family: 'unix', path: name });
    if (r < 0) {
      sys.close(fd);
      return r === -ENOENT ? -EACCES : r; // libuv: ENOENT reads as EACCES, as on Windows
    }
    this.fd = fd;
    this.pipeName = name;
    return 0;
  }

  listen(backlog: number): number {
    if (this.isClosed || this.fd < 0) return UV_EINVAL;
    const r = this.loop.sys.listen(this.fd, backlog);
    if (r < 0) return r;
    this.startListening();
    return 0;
  }

  /**
   * 0, or EINVAL for a name too long with UV_PIPE_NO_TRUNCATE: like uv_pipe_connect2, other
   * failures (ENOENT, ECONNREFUSED, EAGAIN) come through req.oncomplete.
   */
  connect(req: ConnectWrap, path: string, flags = 0): number {
    if (this.isClosed) return UV_EINVAL;
    const name = sunPath(path, flags);
    if (typeof name === 'number') return name;
    if (this.connectReq !== null) return -EALREADY;
    const { sys } = this.loop;
    let status = 0;
    if (this.fd < 0) {
      const fd = sys.socket(AF_UNIX, SOCK_STREAM);
      if (fd < 0) status = fd;
      else this.fd = fd;
    }
    if (status === 0) {
      const r = sys.connect(this.fd, { family: 'unix', path: name });
      if (r === -EINPROGRESS) { this.pipeName = name; this.awaitConnect(req); return 0; }
      status = r < 0 ? r : 0;
    }
    if (status === 0) this.pipeName = name;
    this.completeConnectSoon(req, status);
    return 0;
  }

  /** File modes do not apply to the virtual namespace: accepted and ignored. */
  fchmod(_mode: number): number {
    return this.fd < 0 ? UV_EINVAL : 0;
  }

  setPendingInstances(_n: number): void {}
}
