// epoll (Linux fs/eventpoll.c) for host.sys: an epoll instance is a descriptor of its own that
// watches others. epoll_ctl registers a descriptor with the events it wants; epoll_wait returns
// the ready ones, never blocking (wait for the epoll descriptor itself with watch() or poll(),
// where it is readable while something is ready, as in Linux).
//
// Level-triggered by default: a descriptor is reported at every epoll_wait while it is ready.
// EPOLLET (edge-triggered): reported once after each wakeup the socket gives (data arrived,
// send-buffer space opened, the state changed: what Linux's sk_data_ready / sk_write_space /
// sk_state_change are to ep_poll_callback), with the readiness it has then. EPOLLONESHOT: once,
// then disabled until EPOLL_CTL_MOD re-arms it. EPOLLEXCLUSIVE only matters to several waiters
// on one socket and is accepted.
import { EBADF, EEXIST, EINVAL, ENOENT, ENOTSOCK, EPERM } from '../uapi/errno.js';
import {
  EPOLLET, EPOLLEXCLUSIVE, EPOLLONESHOT, EPOLLWAKEUP, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, POLLERR, POLLHUP, POLLIN,
  type Accepted, type Datagram, type EpollEvent, type EpollReady, type SockAddr, type SockoptLevel,
} from '../uapi/socket.js';
import type { KernelSocket } from '../kernel/socket.js';

/** The event bits that are flags, not readiness. */
const EP_FLAGS = EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP;

/** What the descriptor table offers the epoll instance: a descriptor's socket and its wakeups. */
export interface EpollTarget {
  readonly sock: KernelSocket;
  /** Subscribes to the socket's wakeups; returns the unsubscribe function. `closed` runs when the descriptor is closed. */
  subscribe(cb: (revents: number) => void, closed: () => void): () => void;
}

interface Item {
  fd: number;
  target: EpollTarget;
  /** Wanted events with the flag bits; 0 readiness bits once a one-shot fired. */
  events: number;
  data: unknown;
  /** On the ready list (Linux rdllist). */
  ready: boolean;
  unsubscribe: () => void;
}

/** An epoll instance: a descriptor that is readable while one of its descriptors is ready. */
export class EpollFile implements KernelSocket {
  readonly domain = 0 as never;
  readonly type = 0 as never;
  onReady: ((revents: number) => void) | null = null;
  private readonly items = new Map<number, Item>();
  /** The ready list, in wakeup order. */
  private readyList: Item[] = [];
  private closed = false;

  /** epoll_ctl(epfd, op, fd, event). */
  ctl(op: number, fd: number, target: EpollTarget | undefined, event: EpollEvent | undefined): number {
    if (target === undefined) return -EBADF;
    if (target.sock === this) return -EINVAL;
    // Linux: an epoll instance inside another is allowed, but usernet's are not watchable that way.
    if (target.sock instanceof EpollFile) return -EPERM;
    const item = this.items.get(fd);
    switch (op) {
      case EPOLL_CTL_ADD: {
        if (item !== undefined) return -EEXIST;
        if (event === undefined || !Number.isInteger(event.events)) return -EINVAL;
        const it: Item = { fd, target, events: event.events | 0, data: event.data ?? fd, ready: false, unsubscribe: () => {} };
        it.unsubscribe = target.subscribe((rev) => this.wakeup(it, rev), () => this.forget(it));
        this.items.set(fd, it);
        this.check(it); // Linux ep_insert: already ready goes on the ready list at once
        return 0;
      }
      case EPOLL_CTL_MOD: {
        if (item === undefined) return -ENOENT;
        if (event === undefined || !Number.isInteger(event.events)) return -EINVAL;
        // Linux ep_modify: EPOLLEXCLUSIVE cannot be set or cleared by MOD.
        if (((event.events ^ item.events) & EPOLLEXCLUSIVE) !== 0 || (event.events & EPOLLEXCLUSIVE) !== 0) return -EINVAL;
        item.events = event.events | 0;
        item.data = event.data ?? fd;
        this.check(item);
        return 0;
      }
      case EPOLL_CTL_DEL:
        if (item === undefined) return -ENOENT;
        this.forget(item);
        return 0;
    }
    return -EINVAL;
  }

  /** epoll_wait(epfd, events, maxevents, 0): the ready descriptors, at most `max`. */
  wait(max: number): EpollReady[] | number {
    if (!Number.isInteger(max) || max <= 0) return -EINVAL;
    const out: EpollReady[] = [];
    const list = this.readyList;
    this.readyList = [];
    const keep: Item[] = [];
    for (let i = 0; i < list.length; i++) {
      const it = list[i]!;
      if (out.length >= max) { keep.push(it); continue; }
      it.ready = false;
      const rev = this.revents(it);
      if (rev === 0) continue; // woken, but not ready for what it wants (Linux ep_send_events drops it)
      out.push({ events: rev, data: it.data });
      if ((it.events & EPOLLONESHOT) !== 0) it.events &= EP_FLAGS; // disabled until EPOLL_CTL_MOD
      else if ((it.events & EPOLLET) === 0) { it.ready = true; keep.push(it); } // level-triggered: stays
    }
    for (const it of this.readyList) keep.push(it); // woken while reporting
    this.readyList = keep;
    return out;
  }

  /** The events of the item's descriptor that are ready now and wanted (errors and hang-ups always). */
  private revents(it: Item): number {
    const want = it.events & ~EP_FLAGS;
    if (want === 0 && (it.events & EPOLLONESHOT) !== 0) return 0;
    return it.target.sock.readiness() & (want | POLLERR | POLLHUP);
  }

  private check(it: Item): void {
    if (this.revents(it) !== 0) this.queue(it);
  }

  /** Linux ep_poll_callback: the socket woke up with `rev`. */
  private wakeup(it: Item, rev: number): void {
    if (!this.items.has(it.fd) || this.items.get(it.fd) !== it) return;
    if ((rev & ((it.events & ~EP_FLAGS) | POLLERR | POLLHUP)) === 0) return;
    if ((it.events & ~EP_FLAGS) === 0 && (it.events & EPOLLONESHOT) !== 0) return;
    this.queue(it);
  }

  private queue(it: Item): void {
    if (it.ready) return;
    it.ready = true;
    this.readyList.push(it);
    if (this.onReady !== null) this.onReady(this.readiness());
  }

  private forget(it: Item): void {
    it.unsubscribe();
    this.items.delete(it.fd);
    if (it.ready) {
      it.ready = false;
      const i = this.readyList.indexOf(it);
      if (i >= 0) this.readyList.splice(i, 1);
    }
  }

  /** Readable while a descriptor on the ready list is ready for what it wants (Linux ep_eventpoll_poll). */
  readiness(): number {
    if (this.closed) return 0;
    for (const it of this.readyList) if (this.revents(it) !== 0) return POLLIN;
    return 0;
  }

  close(): void {
    this.closed = true;
    for (const it of [...this.items.values()]) this.forget(it);
  }

  // An epoll descriptor is not a socket: the socket calls fail as Linux's do on it.
  bind(_a: SockAddr): number { return -ENOTSOCK; }
  connect(_a: SockAddr): number { return -ENOTSOCK; }
  listen(_b: number): number { return -ENOTSOCK; }
  accept(): { sock: KernelSocket; peer: Accepted['peer'] } | number { return -ENOTSOCK; }
  read(_m: number): Uint8Array | number { return -EINVAL; }
  write(_d: Uint8Array): number { return -EINVAL; }
  sendto(_d: Uint8Array | readonly Uint8Array[], _a?: SockAddr): number { return -ENOTSOCK; }
  recvfrom(_m: number): Datagram | number { return -ENOTSOCK; }
  shutdown(_h: number): number { return -ENOTSOCK; }
  setsockopt(_l: SockoptLevel, _n: string, _v: unknown): number { return -ENOTSOCK; }
  getsockopt(_l: SockoptLevel, _n: string): unknown { return -ENOTSOCK; }
  getsockname(): SockAddr | number { return -ENOTSOCK; }
  getpeername(): SockAddr | number { return -ENOTSOCK; }
  ioctl(): number { return -ENOTSOCK; }
}
