// usernet's TUN/TAP addon: opens a Linux TUN (layer 3) or TAP (layer 2) device and moves packets
// between it and JavaScript without blocking Node's event loop.
//
// JS surface (loaded by src/links/tun.ts):
//   open(name, tap, blocking?, offload?) -> { fd, name, handle, vnetHdr, offload }
//                                                          the device stays while the handle is open;
//                                                          offload: TUN_F_* wanted (-1: no vnet header)
//   setMtu(name, mtu)                                      SIOCSIFMTU on the (namespace's) device
//   start(handle, onBatch(err, buf, lens, count))          starts the reader thread
//   write(handle, packets, count, result: Int32Array(4), hdrs?)
//                                                          one call writes a batch of packets; with a
//                                                          vnet header, hdrs holds count x 10 bytes
//
// The virtio-net header (IFF_VNET_HDR, Linux drivers/net/tun.c and include/linux/virtio_net.h):
// every packet read or written is preceded by a struct virtio_net_hdr (10 bytes, little-endian
// on this machine: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset). With
// TUNSETOFFLOAD's TUN_F_CSUM the kernel hands over packets whose transport checksum is partial
// (VIRTIO_NET_HDR_F_NEEDS_CSUM: the field holds the pseudo-header sum, the sum from csum_start
// to the end is still to be added, as a NIC would); with TUN_F_TSO4/6 it hands over TCP
// super-packets of up to 64 KiB (gso_type TCPV4/TCPV6, gso_size the segment size), and takes
// them back the same way. The reader completes the partial checksum of packets that are not
// super-packets (Linux skb_checksum_help), so that JS sees every ordinary packet whole; a
// super-packet's TCP checksum stays partial (JS hands it up as a GRO'd packet that needs no
// check), as does the header that says so.
//   close(handle), ref(handle), unref(handle)
//
// Receiving: one reader thread per device waits in poll(2) on the device and on an eventfd (the
// stop signal), reads every packet that is ready (up to READ_MAX_PKTS) into one malloc'd block,
// and hands that block to the JS thread through a thread-safe function; JS sees it as one
// external Buffer (no copy) plus a Uint32Array of packet lengths. The thread-safe function's
// queue is bounded: when JS falls behind, the reader waits, the kernel's device queue fills and
// the kernel drops (as it would for a slow process reading a TUN device). Or (start's third
// argument false) no thread: the JS thread's libuv loop polls the device (uv_poll) and reads the
// same batches itself, handing each to JS at once.
// Sending: write() takes an array of Uint8Arrays and writes each one with write(2) (writev with
// its virtio-net header); the device fd is non-blocking, a TUN write never waits.
//
// Why a thread rather than fs.read through libuv's threadpool: a read that waits for a packet
// has to block in read(2), so every outstanding fs.read holds one of the pool's (4) threads for
// as long as the device is quiet, cannot be cancelled by close(), and costs a pool hand-off per
// packet. bench/tun-raw.ts measures both: the reader thread used about a fifth of the CPU per
// packet that 4 outstanding fs.reads did, and read 3x as many packets per second.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

/* Newer than some userspace headers (Linux 6.2+). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif
#define VNET_HDR_LEN 10                  /* struct virtio_net_hdr */
#define VNET_F_NEEDS_CSUM 1              /* VIRTIO_NET_HDR_F_NEEDS_CSUM */
#define VNET_F_DATA_VALID 2              /* VIRTIO_NET_HDR_F_DATA_VALID */
#define VNET_GSO_NONE 0

#define READ_SLOT 65600                  /* largest packet a read can return (64 KiB + header room) */
/* One batch's buffer before it is shrunk to fit: under glibc's default mmap threshold (128 KiB),
 * so that batches come from the heap and realloc shrinks them in place (an mmap'd block would
 * cost mmap + mremap + munmap and fresh zeroed pages per batch). At least one READ_SLOT stays
 * free for every read, so a packet is never truncated. */
#define READ_ARENA (120 * 1024)
/* With the vnet header and TSO most packets are super-packets of up to 64 KiB: a bigger block,
 * so that a wake-up still reads several (glibc serves it from the heap too once its dynamic mmap
 * threshold has grown past it, after the first one is freed). */
#define READ_ARENA_VNET (1024 * 1024)
#define READ_MAX_PKTS 128
#define QUEUE_BATCHES 16                 /* batches waiting for JS before the reader waits */

typedef struct {
  int err;                               /* errno of a failed read; the batch ends there */
  uint32_t count;
  uint32_t len[READ_MAX_PKTS];
  uint8_t data[];
} batch_t;

typedef struct {
  int fd;
  int wake;                              /* eventfd: written once to stop the reader */
  int refs;                              /* JS handle + thread-safe function or poll handle (JS thread only) */
  int started, closed, joined, blocking;
  int polling;                           /* reader 'poll': the poll handle is initialised */
  uv_poll_t poll;                        /* reader 'poll': the JS thread's libuv loop watches fd */
  napi_env env;
  napi_ref cb;                           /* reader 'poll': onBatch */
  napi_async_context actx;
  int vnet;                              /* IFF_VNET_HDR: each packet has a virtio_net_hdr in front */
  size_t arena;                          /* bytes of one batch before it is shrunk */
  atomic_int stop;
  pthread_t thread;
  napi_threadsafe_function tsfn;
} tun_t;

/* ---- errors ------------------------------------------------------------------------------- */

static const char *errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case ENOSPC: return "ENOSPC";
    case ENOBUFS: return "ENOBUFS";
    case EBADFD: return "EBADFD";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOSYS: return "ENOSYS";
    default: return "EUNKNOWN";
  }
}

/* An Error with .code (errno name), .errno (negative, like Node's) and .syscall. */
static napi_value make_error(napi_env env, int err, const char *syscall, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s %s: %s (%s)", syscall, what, strerror(err), errno_name(err));
  napi_value code, text, error, v;
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_create_int32(env, -err, &v);
  napi_set_named_property(env, error, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "syscall", v);
  return error;
}

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *what) {
  napi_throw(env, make_error(env, err, syscall, what));
  return NULL;
}

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "tun addon: " #call " failed"); return NULL; } } while (0)

/* ---- handle lifetime ---------------------------------------------------------------------- */

static void unref_tun(tun_t *t) {
  if (--t->refs == 0) free(t);
}

/* Stops the reader (if any) and closes the device. JS thread only. The reader never waits for
 * the JS thread except inside napi_call_threadsafe_function, which the abort wakes up. */
static void poll_closed(uv_handle_t *h) {
  unref_tun(h->data);
}

static void shutdown_tun(tun_t *t, int abort_tsfn) {
  if (t->closed) return;
  t->closed = 1;
  if (t->polling) {
    uv_poll_stop(&t->poll);
    uv_close((uv_handle_t *)&t->poll, poll_closed);
    t->polling = 0;
    if (t->cb != NULL) { napi_delete_reference(t->env, t->cb); t->cb = NULL; }
    if (t->actx != NULL) { napi_async_destroy(t->env, t->actx); t->actx = NULL; }
  } else if (t->started && !t->joined) {
    atomic_store(&t->stop, 1);
    uint64_t one = 1;
    ssize_t w = write(t->wake, &one, sizeof one);
    (void)w;
    if (abort_tsfn) napi_release_threadsafe_function(t->tsfn, napi_tsfn_abort);
    pthread_join(t->thread, NULL);
    t->joined = 1;
  }
  close(t->fd);
  close(t->wake);
  t->fd = -1;
  t->wake = -1;
}

static void handle_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  tun_t *t = data;
  /* Collected while open: only possible when the reader never started (a running reader's
   * callback keeps the handle alive). */
  if (!t->started) shutdown_tun(t, 0);
  unref_tun(t);
}

static tun_t *get_tun(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, "tun addon: expected a device handle");
    return NULL;
  }
  return p;
}

/* ---- open / setMtu ------------------------------------------------------------------------ */

/* TUNSETOFFLOAD with what the kernel accepts: it refuses (EINVAL) flags it does not know, such as
 * the UDP segmentation flags before Linux 6.2, so drop them one group at a time. Returns the flags
 * set (0: none, plain packets with a vnet header). */
static int set_offload(int fd, unsigned int want) {
  const unsigned int tries[] = {
    want,
    want & ~(unsigned int)(TUN_F_USO4 | TUN_F_USO6),
    want & (unsigned int)(TUN_F_CSUM | TUN_F_TSO4),
    want & (unsigned int)TUN_F_CSUM,
  };
  for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
    unsigned int f = tries[i];
    if (i > 0 && f == tries[i - 1]) continue;
    /* TSO without checksum offload is refused by the kernel (the checksums are partial). */
    if ((f & (TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6)) != 0 && (f & TUN_F_CSUM) == 0) continue;
    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)f) == 0) return (int)f;
  }
  ioctl(fd, TUNSETOFFLOAD, 0UL);
  return 0;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 8] = {0};
  size_t nlen = 0;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &nlen) != napi_ok) {
    napi_throw_type_error(env, NULL, "open(name, tap): name must be a string");
    return NULL;
  }
  if (nlen >= IFNAMSIZ) {
    napi_throw_range_error(env, NULL, "open(name, tap): an interface name has at most 15 characters");
    return NULL;
  }
  bool tap = false, blocking = false;
  CHECK(napi_get_value_bool(env, argv[1], &tap));
  if (argc > 2) napi_get_value_bool(env, argv[2], &blocking);
  int32_t want = -1;
  if (argc > 3) napi_get_value_int32(env, argv[3], &want);
  int vnet = want >= 0;

  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (blocking ? 0 : O_NONBLOCK));
  if (fd < 0) return throw_errno(env, errno, "open", "/dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = (short)((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0));
  memcpy(ifr.ifr_name, name, nlen);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    char what[64];
    snprintf(what, sizeof what, "TUNSETIFF %s", name);
    return throw_errno(env, e, "ioctl", what);
  }
  int offload = 0;
  if (vnet) {
    int sz = VNET_HDR_LEN;
    if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) {
      int e = errno;
      close(fd);
      return throw_errno(env, e, "ioctl", "TUNSETVNETHDRSZ");
    }
    offload = set_offload(fd, (unsigned int)want);
  }
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "eventfd", "stop signal");
  }
  tun_t *t = calloc(1, sizeof *t);
  if (t == NULL) { close(fd); close(wake); return throw_errno(env, ENOMEM, "calloc", "device state"); }
  t->fd = fd;
  t->wake = wake;
  t->refs = 1;
  t->blocking = blocking;
  t->vnet = vnet;
  t->arena = vnet ? READ_ARENA_VNET : READ_ARENA;
  atomic_init(&t->stop, 0);

  napi_value result, v;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_int32(env, fd, &v));
  CHECK(napi_set_named_property(env, result, "fd", v));
  ifr.ifr_name[IFNAMSIZ - 1] = 0;
  CHECK(napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, result, "name", v));
  CHECK(napi_get_boolean(env, vnet, &v));
  CHECK(napi_set_named_property(env, result, "vnetHdr", v));
  CHECK(napi_create_int32(env, offload, &v));
  CHECK(napi_set_named_property(env, result, "offload", v));
  if (napi_create_external(env, t, handle_finalize, NULL, &v) != napi_ok) {
    shutdown_tun(t, 0);
    free(t);
    napi_throw_error(env, NULL, "tun addon: napi_create_external failed");
    return NULL;
  }
  CHECK(napi_set_named_property(env, result, "handle", v));
  return result;
}

static napi_value js_set_mtu(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 8] = {0};
  size_t nlen = 0;
  int32_t mtu = 0;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &nlen) != napi_ok ||
      nlen >= IFNAMSIZ || napi_get_value_int32(env, argv[1], &mtu) != napi_ok) {
    napi_throw_type_error(env, NULL, "setMtu(name, mtu): a name of at most 15 characters and a number");
    return NULL;
  }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return throw_errno(env, errno, "socket", "AF_INET for SIOCSIFMTU");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, nlen);
  ifr.ifr_mtu = mtu;
  int r = ioctl(s, SIOCSIFMTU, &ifr);
  int e = errno;
  close(s);
  if (r < 0) {
    char what[64];
    snprintf(what, sizeof what, "SIOCSIFMTU %s %d", name, mtu);
    return throw_errno(env, e, "ioctl", what);
  }
  return NULL;
}

/* ---- reader thread ------------------------------------------------------------------------ */

/* RFC 1071 one's complement sum of p[0, n), as big-endian 16-bit words, not yet folded. */
static uint64_t ones_sum(const uint8_t *p, size_t n, uint64_t sum) {
  while (n >= 8) {
    uint32_t a, b;
    memcpy(&a, p, 4);
    memcpy(&b, p + 4, 4);
    sum += a;                              /* native-order words; byte-swapped once at the end */
    sum += b;
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    uint16_t w;
    memcpy(&w, p, 2);
    sum += w;
    p += 2;
    n -= 2;
  }
  if (n) {
    uint16_t w = 0;
    memcpy(&w, p, 1);
    sum += w;
  }
  return sum;
}

static uint16_t fold16(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/* A packet the kernel left with a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) and that is not a
 * super-packet: add the sum from csum_start to the end to the pseudo-header sum the field holds
 * and store its complement (Linux skb_checksum_help; a zero result is sent as 0xffff,
 * CSUM_MANGLED_0). The header then says DATA_VALID. Byte order: the sum of native-order words is
 * the byte-swapped sum of big-endian words (RFC 1071 §2(B)), and a 16-bit field stored in native
 * order reads back right. */
static void complete_csum(uint8_t *pkt, size_t len) {
  uint8_t *h = pkt;
  if (!(h[0] & VNET_F_NEEDS_CSUM) || h[1] != VNET_GSO_NONE) return;
  size_t start = (size_t)h[6] | ((size_t)h[7] << 8);
  size_t off = (size_t)h[8] | ((size_t)h[9] << 8);
  uint8_t *p = pkt + VNET_HDR_LEN;
  size_t n = len - VNET_HDR_LEN;
  if (start + off + 2 > n) return;       /* nonsense: leave it, JS's checksum check drops it */
  uint16_t c = (uint16_t)~fold16(ones_sum(p + start, n - start, 0));
  if (c == 0) c = 0xffff;
  memcpy(p + start + off, &c, 2);
  h[0] = (uint8_t)((h[0] & ~VNET_F_NEEDS_CSUM) | VNET_F_DATA_VALID);
}

/* Reads every packet that is ready (up to READ_MAX_PKTS, or the arena) into a new batch; NULL when
 * there was none (or no memory: *nomem set). */
static batch_t *read_batch(tun_t *t, int *nomem) {
    const size_t arena = t->arena;
    batch_t *b = malloc(sizeof(batch_t) + arena);
    if (b == NULL) { *nomem = 1; return NULL; }
    b->err = 0;
    b->count = 0;
    size_t off = 0;
    while (b->count < READ_MAX_PKTS && arena - off >= READ_SLOT) {
      ssize_t n = read(t->fd, b->data + off, arena - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) b->err = errno;
        break;
      }
      if (t->vnet && n >= VNET_HDR_LEN) complete_csum(b->data + off, (size_t)n);
      b->len[b->count++] = (uint32_t)n;
      off += (size_t)n;
    }
    if (b->count == 0 && b->err == 0) { free(b); return NULL; }
    batch_t *shrunk = realloc(b, sizeof(batch_t) + (off > 0 ? off : 1));
    return shrunk != NULL ? shrunk : b;
}

static void *reader_main(void *arg) {
  tun_t *t = arg;
  struct pollfd p[2] = { { .fd = t->fd, .events = POLLIN }, { .fd = t->wake, .events = POLLIN } };
  for (;;) {
    if (atomic_load(&t->stop)) break;
    int r = poll(p, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents != 0 || atomic_load(&t->stop)) break;
    if (p[0].revents == 0) continue;
    int nomem = 0;
    batch_t *b = read_batch(t, &nomem);
    if (b == NULL) { if (nomem) usleep(1000); continue; }
    int failed = b->err != 0;
    if (napi_call_threadsafe_function(t->tsfn, b, napi_tsfn_blocking) != napi_ok) {
      free(b);
      return NULL; /* closing: the function may be gone, touch it no more */
    }
    if (failed) break;
  }
  napi_release_threadsafe_function(t->tsfn, napi_tsfn_release);
  return NULL;
}

static void free_batch(napi_env env, void *data, void *hint) {
  (void)env; (void)data;
  free(hint);
}

/* onBatch's arguments (err, buf, lens, count) for a batch, which they then own. 0: failed (b freed). */
static int batch_args(napi_env env, batch_t *b, napi_value argv[4]) {
  size_t total = 0;
  for (uint32_t i = 0; i < b->count; i++) total += b->len[i];
  napi_value ab;
  void *lens_data = NULL;
  if (napi_create_arraybuffer(env, b->count * sizeof(uint32_t) + 4, &lens_data, &ab) != napi_ok) { free(b); return 0; }
  memcpy(lens_data, b->len, b->count * sizeof(uint32_t));
  napi_create_typedarray(env, napi_uint32_array, b->count, ab, 0, &argv[2]);
  napi_create_uint32(env, b->count, &argv[3]);
  if (b->err != 0) argv[0] = make_error(env, b->err, "read", "TUN/TAP device");
  else napi_get_null(env, &argv[0]);
  if (total == 0) {
    napi_create_buffer(env, 0, NULL, &argv[1]);
    free(b);
  } else {
    napi_status s = napi_create_external_buffer(env, total, b->data, free_batch, b, &argv[1]);
    if (s != napi_ok) {
      /* Runtimes that forbid external buffers: one copy instead. */
      napi_create_buffer_copy(env, total, b->data, NULL, &argv[1]);
      free(b);
    }
  }
  return 1;
}

/* Runs on the JS thread for each batch of the reader thread: onBatch(err, buf, lens, count). */
static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  tun_t *t = context;
  batch_t *b = data;
  if (env == NULL || cb == NULL || t->closed) { free(b); return; }
  napi_value argv[4], undef;
  napi_get_undefined(env, &undef);
  if (!batch_args(env, b, argv)) return;
  napi_call_function(env, undef, cb, 4, argv, NULL);
}

/* Reader 'poll': the device is readable (libuv's poll phase on the JS thread). Reads one batch
 * and hands it to onBatch at once, as a callback from the event loop (process.nextTick and
 * promises run after it). Level-triggered: what is left is read on the next turn of the loop,
 * after timers and other I/O had theirs. */
static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  tun_t *t = h->data;
  if (t->closed || t->cb == NULL) return;
  batch_t *b;
  if (status < 0) {
    b = calloc(1, sizeof(batch_t));
    if (b == NULL) return;
    b->err = -status;
  } else {
    int nomem = 0;
    b = read_batch(t, &nomem);
    if (b == NULL) return;
  }
  int failed = b->err != 0;
  napi_env env = t->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) { free(b); return; }
  napi_value argv[4], cb, recv;
  if (batch_args(env, b, argv) && napi_get_reference_value(env, t->cb, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv);          /* napi_make_callback wants an object as `this` */
    if (napi_make_callback(env, t->actx, recv, cb, 4, argv, NULL) != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value e;
        napi_get_and_clear_last_exception(env, &e);
        napi_fatal_exception(env, e);   /* as an uncaught exception from any event-loop callback */
      }
    }
  }
  napi_close_handle_scope(env, scope);
  if (failed && !t->closed && t->polling) uv_poll_stop(&t->poll);
}

static void tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  tun_t *t = data;
  /* Environment teardown with the device still open: stop the reader here. */
  if (!t->closed) shutdown_tun(t, 0);
  if (!t->joined) { pthread_join(t->thread, NULL); t->joined = 1; }
  unref_tun(t);
}

/* start(handle, onBatch, thread?): onBatch(err, buf, lens, count) for each batch read. thread: a
 * reader thread waits in poll(2) and reads ahead while JS works (two wake-ups per batch: the
 * thread's and the event loop's). Otherwise the JS thread's own event loop watches the device
 * (uv_poll) and reads it when it is readable: one wake-up per batch, no second thread, but the
 * reading is done on the JS thread and batches are smaller (src/doors/tun.ts says which won). */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) { napi_throw_type_error(env, NULL, "start(handle, onBatch, thread?)"); return NULL; }
  bool threaded = false;
  if (argc > 2) napi_get_value_bool(env, argv[2], &threaded);
  tun_t *t = get_tun(env, argv[0]);
  if (t == NULL) return NULL;
  if (t->closed) return throw_errno(env, EBADF, "start", "closed device");
  if (t->started) { napi_throw_error(env, NULL, "start: the reader is already running"); return NULL; }
  if (t->blocking) { napi_throw_error(env, NULL, "start: the device was opened blocking (for fs.read); the reader needs it non-blocking"); return NULL; }
  napi_value name;
  CHECK(napi_create_string_utf8(env, "usernet:tun", NAPI_AUTO_LENGTH, &name));
  if (!threaded) {
    uv_loop_t *loop = NULL;
    CHECK(napi_get_uv_event_loop(env, &loop));
    CHECK(napi_create_reference(env, argv[1], 1, &t->cb));
    CHECK(napi_async_init(env, NULL, name, &t->actx));
    int e = uv_poll_init(loop, &t->poll, t->fd);
    if (e != 0) {
      napi_delete_reference(env, t->cb);
      t->cb = NULL;
      napi_async_destroy(env, t->actx);
      t->actx = NULL;
      return throw_errno(env, -e, "uv_poll_init", "TUN/TAP device");
    }
    t->env = env;
    t->poll.data = t;
    t->polling = 1;
    t->refs++;                           /* the poll handle's, dropped when libuv has closed it */
    t->started = 1;
    t->joined = 1;                       /* no thread to join */
    uv_poll_start(&t->poll, UV_READABLE, on_readable);
    return NULL;
  }
  /* Two references: the reader thread's and the JS side's (released with abort on close). */
  CHECK(napi_create_threadsafe_function(env, argv[1], NULL, name, QUEUE_BATCHES, 2, t, tsfn_finalize, t,
                                        call_js, &t->tsfn));
  t->refs++;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* the reader takes no signals */
  int e = pthread_create(&t->thread, NULL, reader_main, t);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (e != 0) {
    t->joined = 1;
    napi_release_threadsafe_function(t->tsfn, napi_tsfn_abort);
    return throw_errno(env, e, "pthread_create", "reader");
  }
  t->started = 1;
  return NULL;
}

/* ---- write -------------------------------------------------------------------------------- */

/* write(handle, packets, count, result, hdrs?) -> packets accepted. result[0] = accepted,
 * result[1] = errno of the last failure (0: none), result[2] = index where writing stopped
 * (count unless the device pushed back with EAGAIN/ENOBUFS), result[3] = bytes accepted (not
 * counting vnet headers). A device with the vnet header needs hdrs: count virtio_net_hdrs of 10
 * bytes, each written in front of its packet (writev: the packet is not copied). */
static napi_value js_write(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) { napi_throw_type_error(env, NULL, "write(handle, packets, count, result)"); return NULL; }
  tun_t *t = get_tun(env, argv[0]);
  if (t == NULL) return NULL;
  uint32_t count = 0;
  CHECK(napi_get_value_uint32(env, argv[2], &count));
  napi_typedarray_type rtype;
  size_t rlen = 0;
  void *rdata = NULL;
  if (napi_get_typedarray_info(env, argv[3], &rtype, &rlen, &rdata, NULL, NULL) != napi_ok ||
      rtype != napi_int32_array || rlen < 4) {
    napi_throw_type_error(env, NULL, "write: result must be an Int32Array of 4");
    return NULL;
  }
  int32_t *res = rdata;
  uint8_t *hdrs = NULL;
  if (t->vnet) {
    napi_typedarray_type htype;
    size_t hlen = 0;
    void *hdata = NULL;
    if (argc < 5 || napi_get_typedarray_info(env, argv[4], &htype, &hlen, &hdata, NULL, NULL) != napi_ok ||
        htype != napi_uint8_array || hlen < (size_t)count * VNET_HDR_LEN) {
      napi_throw_type_error(env, NULL, "write: a device with the vnet header needs hdrs, a Uint8Array of count x 10 bytes");
      return NULL;
    }
    hdrs = hdata;
  }
  if (t->closed) return throw_errno(env, EBADF, "write", "closed device");
  int32_t ok = 0, last = 0, bytes = 0;
  uint32_t i = 0;
  for (; i < count; i++) {
    napi_value el;
    CHECK(napi_get_element(env, argv[1], i, &el));
    napi_typedarray_type type;
    size_t len = 0;
    void *ptr = NULL;
    if (napi_get_typedarray_info(env, el, &type, &len, &ptr, NULL, NULL) != napi_ok || type != napi_uint8_array) {
      napi_throw_type_error(env, NULL, "write: packets must be Uint8Arrays");
      return NULL;
    }
    ssize_t n;
    if (hdrs != NULL) {
      struct iovec iov[2] = { { hdrs + (size_t)i * VNET_HDR_LEN, VNET_HDR_LEN }, { ptr, len } };
      do n = writev(t->fd, iov, 2); while (n < 0 && errno == EINTR);
      if (n >= VNET_HDR_LEN) n -= VNET_HDR_LEN;
    } else {
      do n = write(t->fd, ptr, len); while (n < 0 && errno == EINTR);
    }
    if (n >= 0) { ok++; bytes += (int32_t)n; continue; }
    last = errno;
    if (last == EAGAIN || last == ENOBUFS) break;
  }
  res[0] = ok;
  res[1] = last;
  res[2] = (int32_t)i;
  res[3] = bytes;
  napi_value v;
  CHECK(napi_create_int32(env, ok, &v));
  return v;
}

/* ---- close / ref / unref ------------------------------------------------------------------ */

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_t *t = argc > 0 ? get_tun(env, argv[0]) : NULL;
  if (t == NULL) return NULL;
  shutdown_tun(t, 1);
  return NULL;
}

static napi_value js_ref(napi_env env, napi_callback_info info, int on) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_t *t = argc > 0 ? get_tun(env, argv[0]) : NULL;
  if (t == NULL) return NULL;
  if (t->started && !t->closed) {
    if (t->polling) {
      if (on) uv_ref((uv_handle_t *)&t->poll);
      else uv_unref((uv_handle_t *)&t->poll);
    } else if (on) napi_ref_threadsafe_function(env, t->tsfn);
    else napi_unref_threadsafe_function(env, t->tsfn);
  }
  return NULL;
}
static napi_value js_ref_on(napi_env env, napi_callback_info info) { return js_ref(env, info, 1); }
static napi_value js_ref_off(napi_env env, napi_callback_info info) { return js_ref(env, info, 0); }

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    { "open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setMtu", NULL, js_set_mtu, NULL, NULL, NULL, napi_enumerable, NULL },
    { "start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL },
    { "write", NULL, js_write, NULL, NULL, NULL, napi_enumerable, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "ref", NULL, js_ref_on, NULL, NULL, NULL, napi_enumerable, NULL },
    { "unref", NULL, js_ref_off, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
