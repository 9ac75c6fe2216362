/*
 * dupip_packet — the thin native edge of dupip.
 *
 * This addon only wraps system calls that Node.js cannot make by itself:
 *   - an AF_PACKET / SOCK_DGRAM socket bound to ETH_P_ALL on one interface
 *     (a tap: only a tap sees the VLAN tag of a frame of another VLAN, see
 *     src/core/bpf.ts; the filter keeps ARP only), with PACKET_AUXDATA,
 *     with a classic BPF filter (SO_ATTACH_FILTER), sendto() and batched
 *     recvmmsg() driven by a libuv poll handle;
 *   - an AF_NETLINK / NETLINK_ROUTE socket whose notifications are handed
 *     to JS as raw bytes (parsed in src/platform/netlink.ts).
 *
 * Every decision (which filter, what an errno means, whether to retry, how to
 * parse a frame or a netlink message) is taken in TypeScript
 * (src/platform/packet-socket.ts, src/core/bpf.ts). Nothing here retries,
 * logs, or interprets: errors are returned or thrown with their errno.
 *
 * Exports (see src/platform/native.ts for the typed view):
 *   open(ifindex, initialProgram?) -> handle     throws Error{code, errno, syscall}
 *   setFilter(handle, program)                   throws Error{code, errno, syscall}
 *   send(handle, payload, dstMac) -> 0 | errno   never throws for send errors
 *   start(handle, callback)                      callback(records, count) / callback(null, -errno)
 *   close(handle)                                idempotent
 *   stats(handle) -> {packets, drops}            kernel counters, reset by each read
 *   setReceiveBuffer(handle, bytes, force) -> 0 | errno   SO_RCVBUF (SO_RCVBUFFORCE
 *                 when force: needs CAP_NET_ADMIN); never throws for the setsockopt
 *   receiveBuffer(handle) -> bytes               SO_RCVBUF as the kernel reports it
 *                 (twice what was set: it includes the kernel's bookkeeping)
 *   watchLinks(callback) -> handle               callback(0, bytes, lost) on change,
 *                                                callback(-errno, null, true) on error
 *   stopWatch(handle)
 *   ipv4Addresses() -> [{name, address, prefixLength}]   getifaddrs(), every
 *                 interface whatever its state (libuv's list skips interfaces
 *                 that are down, and dupip must keep watching through a flap)
 *   RECORD_SIZE, RECORD_PAYLOAD_OFFSET, RECORD_PAYLOAD_MAX
 *
 * Receive record layout (RECORD_SIZE = 64 bytes per frame, `count` records per
 * callback, all multi-byte fields little-endian, written byte by byte so the
 * layout does not depend on the host):
 *   offset  size  field
 *        0     2  payload length as received (real length, even when truncated;
 *                 saturates at 65535)
 *        2     1  packet type (sll_pkttype: 0 host, 1 broadcast, 2 multicast,
 *                 3 otherhost, 4 outgoing)
 *        3     1  flags: bit 0 a VLAN tag is present in the skb's metadata
 *                 (PACKET_AUXDATA tp_status & TP_STATUS_VLAN_VALID), bit 1 the
 *                 auxdata was received, bit 2 the ethertype (sll_protocol) is
 *                 not ETH_P_ARP; other bits 0
 *        4     4  ifindex the frame arrived on (sll_ifindex)
 *        8     6  link-layer source address (sll_addr; zero-filled if shorter)
 *       14     2  the VLAN TCI (tp_vlan_tci; 0 unless bit 0 of the flags is set)
 *       16    48  the first min(length, 48) payload bytes (the ARP header
 *                 onwards: SOCK_DGRAM strips the Ethernet header); rest zero
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <node_api.h>
#include <uv.h>

/* ---- constants shared with TypeScript (exported on the module) ---------- */

#define RECORD_SIZE 64
#define RECORD_PAYLOAD_OFFSET 16
#define RECORD_PAYLOAD_MAX (RECORD_SIZE - RECORD_PAYLOAD_OFFSET) /* 48 */
#define BATCH_SIZE 64               /* messages per recvmmsg() call / per callback */
#define MAX_BATCHES_PER_WAKEUP 16   /* bound the work per loop iteration */
#define NETLINK_MAX_READS_PER_WAKEUP 256
#define NETLINK_BUFFER_SIZE 8192
#define RECORD_FLAG_VLAN_TAG 0x01   /* TP_STATUS_VLAN_VALID */
#define RECORD_FLAG_AUXDATA 0x02    /* a PACKET_AUXDATA message came with the frame */
#define RECORD_FLAG_NOT_ARP 0x04    /* sll_protocol != ETH_P_ARP */
#define AUXDATA_SPACE CMSG_SPACE(sizeof(struct tpacket_auxdata))
#define NETLINK_MAX_BYTES_PER_WAKEUP (1 << 20) /* beyond: reported as lost, JS re-reads all */

/* ---- handle ---------------------------------------------------------------- */

enum handle_kind { KIND_PACKET = 1, KIND_NETLINK = 2 };

/*
 * One native handle, owned jointly by its JS wrapper object (napi_wrap) and,
 * after uv_close(), by libuv until the close callback ran. It is freed when
 * both are done with it (finalised && !close_pending).
 */
typedef struct dp_handle {
  enum handle_kind kind;
  int fd;                       /* -1 once closed */
  int ifindex;                  /* packet sockets: the interface bound to */
  napi_env env;
  uv_poll_t poll;
  bool poll_initialised;        /* uv_poll_init_socket() done, uv_close() owed */
  bool polling;                 /* the caller wants readiness callbacks */
  bool close_pending;           /* uv_close() called, close callback not yet run */
  bool finalised;               /* the JS wrapper was garbage-collected */
  /*
   * Async cleanup hook registered for the handle's whole life: at environment
   * teardown (process exit, worker termination) Node waits for it to be removed,
   * so the uv_close() callback runs while this addon is still loaded. It is
   * removed once the handle is completely closed.
   */
  napi_async_cleanup_hook_handle cleanup_hook;
  napi_ref callback;            /* strong reference while polling */
  napi_async_context async_context;
} dp_handle;

/* Type tags let us reject foreign objects passed as handles. */
static const napi_type_tag PACKET_TAG = {0x6475706970706b74ULL, 0x736f636b65743031ULL};
static const napi_type_tag NETLINK_TAG = {0x647570697060e6cULL, 0x77617463683031ULL};

/* ---- error helpers --------------------------------------------------------- */

/* Throws a JS Error with .code = errno name, .errno = positive errno, .syscall. */
static void throw_errno(napi_env env, int err, const char *syscall) {
  char name[64];
  char message[256];
  napi_value code_v, message_v, error_v, errno_v, syscall_v;

  uv_err_name_r(-err, name, sizeof name);
  snprintf(message, sizeof message, "%s %s: %s", syscall, name, strerror(err));
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code_v) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_v) != napi_ok ||
      napi_create_error(env, code_v, message_v, &error_v) != napi_ok ||
      napi_create_int32(env, err, &errno_v) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_v) != napi_ok ||
      napi_set_named_property(env, error_v, "errno", errno_v) != napi_ok ||
      napi_set_named_property(env, error_v, "syscall", syscall_v) != napi_ok) {
    napi_throw_error(env, NULL, message); /* best effort */
    return;
  }
  napi_throw(env, error_v);
}

/* Throws a TypeError for a programming error in the caller (bad arguments). */
static void throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
}

/* Rethrows whatever N-API call failed, unless an exception is already pending. */
#define NAPI_OK(env, call)                                                   \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      bool pending_ = false;                                                 \
      napi_is_exception_pending((env), &pending_);                           \
      if (!pending_) napi_throw_error((env), NULL, "N-API call failed: " #call); \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

/* ---- argument helpers ------------------------------------------------------ */

/* Reads exactly `want` arguments (missing ones are `undefined`). */
static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < want) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    for (size_t i = argc; i < want; i++) argv[i] = undefined;
  }
  return true;
}

/* Returns the native handle behind a JS handle object with the given tag, or NULL (and throws). */
static dp_handle *get_handle(napi_env env, napi_value value, const napi_type_tag *tag) {
  napi_valuetype type;
  bool tagged = false;
  void *data = NULL;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_object ||
      napi_check_object_type_tag(env, value, tag, &tagged) != napi_ok || !tagged ||
      napi_unwrap(env, value, &data) != napi_ok || data == NULL) {
    throw_type(env, tag == &PACKET_TAG ? "expected a packet socket handle" : "expected a link watch handle");
    return NULL;
  }
  return (dp_handle *)data;
}

/* Returns the bytes of a Uint8Array/Buffer argument, or false (and throws). */
static bool get_bytes(napi_env env, napi_value value, const char *what, uint8_t **data, size_t *length) {
  bool is_typedarray = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok || !is_typedarray ||
      napi_get_typedarray_info(env, value, &type, length, &ptr, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a Uint8Array or Buffer", what);
    throw_type(env, message);
    return false;
  }
  *data = (uint8_t *)ptr; /* already adjusted by byteOffset */
  return true;
}

/* ---- handle lifecycle ------------------------------------------------------ */

static void release_callback(dp_handle *h) {
  if (h->callback != NULL) {
    napi_delete_reference(h->env, h->callback);
    h->callback = NULL;
  }
  if (h->async_context != NULL) {
    napi_async_destroy(h->env, h->async_context);
    h->async_context = NULL;
  }
}

static void stop_polling(dp_handle *h) {
  if (h->polling) {
    uv_poll_stop(&h->poll);
    h->polling = false;
  }
  release_callback(h);
}

/* The handle is completely closed: the environment need not wait for it any more. */
static void closed(dp_handle *h) {
  if (h->cleanup_hook != NULL) {
    napi_remove_async_cleanup_hook(h->cleanup_hook);
    h->cleanup_hook = NULL;
  }
}

static void on_poll_closed(uv_handle_t *handle) {
  dp_handle *h = (dp_handle *)handle->data;
  h->close_pending = false;
  closed(h);
  if (h->finalised) free(h);
}

/* Stops polling, closes the libuv handle and the fd. Safe to call repeatedly. */
static void close_handle(dp_handle *h) {
  stop_polling(h);
  if (h->poll_initialised) {
    /* uv_close() removes the fd from epoll synchronously, so close(fd) below is safe. */
    h->poll_initialised = false;
    h->close_pending = true;
    uv_close((uv_handle_t *)&h->poll, on_poll_closed);
  }
  if (h->fd >= 0) {
    close(h->fd);
    h->fd = -1;
  }
  if (!h->close_pending) closed(h);
}

/*
 * Environment teardown (process exit, worker termination): close the handle
 * while its event loop still runs. The hook is removed by closed(), at once or
 * from the uv_close() callback. Finalizers run later; the handle is closed by then.
 */
static void on_environment_teardown(napi_async_cleanup_hook_handle hook, void *arg) {
  (void)hook;
  close_handle((dp_handle *)arg);
}

/* Finalizer of the JS wrapper: a collected handle must not leak its fd. */
static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  dp_handle *h = (dp_handle *)data;
  close_handle(h);
  h->finalised = true;
  if (!h->close_pending) free(h);
}

/* Wraps a freshly opened fd in a tagged JS object. Closes the fd on failure. */
static napi_value wrap_handle(napi_env env, enum handle_kind kind, int fd, int ifindex) {
  napi_value object;
  dp_handle *h = calloc(1, sizeof *h);
  if (h == NULL) {
    close(fd);
    throw_errno(env, ENOMEM, "calloc");
    return NULL;
  }
  h->kind = kind;
  h->fd = fd;
  h->ifindex = ifindex;
  h->env = env;
  h->poll.data = h;
  if (napi_create_object(env, &object) != napi_ok ||
      napi_wrap(env, object, h, finalize_handle, NULL, NULL) != napi_ok) {
    close(fd);
    free(h);
    napi_throw_error(env, NULL, "cannot create handle object");
    return NULL;
  }
  /* From here on the finalizer owns h. */
  if (napi_add_async_cleanup_hook(env, on_environment_teardown, h, &h->cleanup_hook) != napi_ok) h->cleanup_hook = NULL;
  NAPI_OK(env, napi_type_tag_object(env, object, kind == KIND_PACKET ? &PACKET_TAG : &NETLINK_TAG));
  return object;
}

/* ---- calling back into JavaScript ------------------------------------------ */

/*
 * Calls the handle's callback with argv inside the caller's handle scope,
 * with the async context created by start(). An exception thrown by the
 * callback is reported as an uncaught exception (it does not stop the drain).
 */
static void call_js(dp_handle *h, size_t argc, napi_value *argv) {
  napi_env env = h->env;
  napi_value callback, receiver, result;
  if (h->callback == NULL) return;
  if (napi_get_reference_value(env, h->callback, &callback) != napi_ok || callback == NULL) return;
  /* napi_make_callback converts the receiver to an object: undefined would throw. */
  if (napi_get_global(env, &receiver) != napi_ok) return;
  if (napi_make_callback(env, h->async_context, receiver, callback, argc, argv, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value exception;
      napi_get_and_clear_last_exception(env, &exception);
      napi_fatal_exception(env, exception);
    }
  }
}

/* callback(records Buffer | null, count | -errno) */
static void deliver(dp_handle *h, const uint8_t *records, int count_or_errno) {
  napi_env env = h->env;
  napi_handle_scope scope;
  napi_value argv[2];
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (records != NULL) {
    void *copy;
    if (napi_create_buffer_copy(env, (size_t)count_or_errno * RECORD_SIZE, records, &copy, &argv[0]) != napi_ok)
      goto out;
  } else {
    napi_get_null(env, &argv[0]);
  }
  napi_create_int32(env, count_or_errno, &argv[1]);
  call_js(h, 2, argv);
out:
  napi_close_handle_scope(env, scope);
}

/*
 * callback(0 | -errno, messages Buffer | null, lost) for the link watcher:
 * `messages` is the raw bytes of every datagram read in this wakeup, one
 * after the other (each a sequence of nlmsghdr-framed rtnetlink messages,
 * NLMSG_ALIGNed, so the concatenation parses the same way); `lost` is true
 * when the kernel dropped notifications (ENOBUFS) and JS must re-read all.
 */
static void deliver_change(dp_handle *h, int status, const uint8_t *bytes, size_t length, bool lost) {
  napi_env env = h->env;
  napi_handle_scope scope;
  napi_value argv[3];
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_create_int32(env, status, &argv[0]);
  if (bytes != NULL && length > 0) {
    void *copy;
    if (napi_create_buffer_copy(env, length, bytes, &copy, &argv[1]) != napi_ok) {
      napi_get_null(env, &argv[1]);
      lost = true; /* no memory for the details: JS re-reads everything */
    }
  } else {
    napi_get_null(env, &argv[1]);
  }
  napi_get_boolean(env, lost, &argv[2]);
  call_js(h, 3, argv);
  napi_close_handle_scope(env, scope);
}

/*
 * libuv stops a poll handle and reports UV_EBADF when epoll says POLLERR,
 * which is how the kernel signals a pending socket error (sk_err), e.g.
 * ENETDOWN on a packet socket whose interface went down, or ENOBUFS on a
 * netlink socket that overran. Fetch (and thereby clear) that error and
 * re-arm the poll if the caller still wants readiness events.
 * Returns the pending errno (0 if none).
 */
static int take_socket_error(dp_handle *h, uv_poll_cb cb) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (h->polling) uv_poll_start(&h->poll, UV_READABLE, cb);
  return err;
}

/* ---- packet socket: receive path ------------------------------------------ */

static void put_u16le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v & 0xff);
  p[1] = (uint8_t)((v >> 8) & 0xff);
}

static void put_u32le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v & 0xff);
  p[1] = (uint8_t)((v >> 8) & 0xff);
  p[2] = (uint8_t)((v >> 16) & 0xff);
  p[3] = (uint8_t)((v >> 24) & 0xff);
}

/*
 * Reads up to MAX_BATCHES_PER_WAKEUP batches of BATCH_SIZE frames and hands
 * each batch to JS. Stops at EAGAIN, at a short batch (the queue is empty),
 * when JS stops/closes the socket, or at the cap (the poll is level-triggered,
 * so the loop comes back for the rest after serving other work).
 */
static void drain_packets(dp_handle *h) {
  uint8_t records[BATCH_SIZE * RECORD_SIZE];
  struct mmsghdr messages[BATCH_SIZE];
  struct iovec iovecs[BATCH_SIZE];
  struct sockaddr_ll addresses[BATCH_SIZE];
  /* One control buffer per message for its PACKET_AUXDATA (aligned for struct cmsghdr). */
  union { struct cmsghdr align; uint8_t bytes[AUXDATA_SPACE]; } controls[BATCH_SIZE];

  for (int batch = 0; batch < MAX_BATCHES_PER_WAKEUP && h->polling && h->fd >= 0; batch++) {
    memset(records, 0, sizeof records);
    memset(messages, 0, sizeof messages);
    memset(addresses, 0, sizeof addresses);
    for (int i = 0; i < BATCH_SIZE; i++) {
      /* The payload lands directly in its record. */
      iovecs[i].iov_base = records + i * RECORD_SIZE + RECORD_PAYLOAD_OFFSET;
      iovecs[i].iov_len = RECORD_PAYLOAD_MAX;
      messages[i].msg_hdr.msg_name = &addresses[i];
      messages[i].msg_hdr.msg_namelen = sizeof addresses[i];
      messages[i].msg_hdr.msg_iov = &iovecs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_control = controls[i].bytes;
      messages[i].msg_hdr.msg_controllen = sizeof controls[i].bytes;
    }

    /* MSG_TRUNC: msg_len is the real frame length even when it did not fit. */
    int n = recvmmsg(h->fd, messages, BATCH_SIZE, MSG_DONTWAIT | MSG_TRUNC, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      deliver(h, NULL, -errno);
      return;
    }
    if (n == 0) return;

    for (int i = 0; i < n; i++) {
      uint8_t *record = records + i * RECORD_SIZE;
      const struct sockaddr_ll *from = &addresses[i];
      unsigned int length = messages[i].msg_len;
      size_t halen = from->sll_halen < 6 ? from->sll_halen : 6;
      put_u16le(record + 0, length > 0xffff ? 0xffff : length);
      record[2] = from->sll_pkttype;
      uint8_t flags = from->sll_protocol == htons(ETH_P_ARP) ? 0 : RECORD_FLAG_NOT_ARP;
      uint16_t tci = 0;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&messages[i].msg_hdr); c != NULL; c = CMSG_NXTHDR(&messages[i].msg_hdr, c)) {
        if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
            c->cmsg_len < CMSG_LEN(sizeof(struct tpacket_auxdata))) continue;
        struct tpacket_auxdata aux;
        memcpy(&aux, CMSG_DATA(c), sizeof aux);
        flags |= RECORD_FLAG_AUXDATA;
        if (aux.tp_status & TP_STATUS_VLAN_VALID) {
          flags |= RECORD_FLAG_VLAN_TAG;
          tci = aux.tp_vlan_tci;
        }
      }
      record[3] = flags;
      put_u32le(record + 4, (uint32_t)from->sll_ifindex);
      memcpy(record + 8, from->sll_addr, halen);
      put_u16le(record + 14, tci);
    }
    deliver(h, records, n);
    if (n < BATCH_SIZE) return;
  }
}

static void on_packet_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  dp_handle *h = (dp_handle *)poll->data;
  if (status < 0) {
    int err = take_socket_error(h, on_packet_readable);
    /* POLLERR without a pending error should not happen; report it rather than spin silently. */
    deliver(h, NULL, -(err != 0 ? err : EIO));
  }
  drain_packets(h);
}

/* ---- packet socket: exported functions ------------------------------------- */

/* Decodes N*8 bytes (u16 code, u8 jt, u8 jf, u32 k; little-endian) and attaches them. */
static int attach_filter(int fd, const uint8_t *bytes, size_t length) {
  size_t count = length / 8;
  struct sock_filter *insns = calloc(count, sizeof *insns);
  struct sock_fprog program;
  int rc = 0;
  if (insns == NULL) return ENOMEM;
  for (size_t i = 0; i < count; i++) {
    const uint8_t *p = bytes + i * 8;
    insns[i].code = (uint16_t)(p[0] | (p[1] << 8));
    insns[i].jt = p[2];
    insns[i].jf = p[3];
    insns[i].k = (uint32_t)p[4] | ((uint32_t)p[5] << 8) | ((uint32_t)p[6] << 16) | ((uint32_t)p[7] << 24);
  }
  program.len = (unsigned short)count;
  program.filter = insns;
  /* SO_ATTACH_FILTER replaces any previous filter atomically. */
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0) rc = errno;
  free(insns);
  return rc;
}

/* Returns false (and throws) unless `length` is a whole, non-empty, not oversized program. */
static bool check_program_length(napi_env env, size_t length) {
  if (length == 0 || length % 8 != 0 || length / 8 > BPF_MAXINSNS) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE",
                           "BPF program must be 1..4096 instructions of 8 bytes each");
    return false;
  }
  return true;
}

/*
 * open(ifindex, initialProgram?) -> handle
 *
 * The socket is created with protocol 0, which receives nothing, so that the
 * optional initial program can be attached before bind() starts delivery:
 * no frame is ever queued unfiltered. bind() then starts the tap (ETH_P_ALL) on the
 * given interface only.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  napi_valuetype type;
  double ifindex_number;
  int ifindex;
  uint8_t *program = NULL;
  size_t program_length = 0;
  bool have_program = false;

  if (!get_args(env, info, 2, argv)) return NULL;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_number ||
      napi_get_value_double(env, argv[0], &ifindex_number) != napi_ok || !(ifindex_number >= 1) ||
      ifindex_number > 2147483647.0 || ifindex_number != (double)(int)ifindex_number) {
    /* ifindex 0 would bind to every interface: never what the caller means. */
    throw_type(env, "ifindex must be a positive integer");
    return NULL;
  }
  ifindex = (int)ifindex_number;
  NAPI_OK(env, napi_typeof(env, argv[1], &type));
  if (type != napi_undefined && type != napi_null) {
    if (!get_bytes(env, argv[1], "initialProgram", &program, &program_length)) return NULL;
    if (!check_program_length(env, program_length)) return NULL;
    have_program = true;
  }

  int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket");
    return NULL;
  }
  if (have_program) {
    int err = attach_filter(fd, program, program_length);
    if (err != 0) {
      close(fd);
      throw_errno(env, err, "setsockopt");
      return NULL;
    }
  }
  /* Per-frame VLAN metadata (struct tpacket_auxdata) with every frame. */
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "setsockopt");
    return NULL;
  }
  /* A tap would otherwise get (a clone of) every frame the host sends; best effort (Linux >= 4.20). */
  (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  struct sockaddr_ll address;
  memset(&address, 0, sizeof address);
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "bind");
    return NULL;
  }
  return wrap_handle(env, KIND_PACKET, fd, ifindex);
}

/* setFilter(handle, program) */
static napi_value js_set_filter(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint8_t *program;
  size_t length;
  if (!get_args(env, info, 2, argv)) return NULL;
  dp_handle *h = get_handle(env, argv[0], &PACKET_TAG);
  if (h == NULL) return NULL;
  if (!get_bytes(env, argv[1], "program", &program, &length)) return NULL;
  if (!check_program_length(env, length)) return NULL;
  if (h->fd < 0) {
    throw_errno(env, EBADF, "setsockopt");
    return NULL;
  }
  int err = attach_filter(h->fd, program, length);
  if (err != 0) {
    throw_errno(env, err, "setsockopt");
    return NULL;
  }
  return NULL;
}

/* send(handle, payload, dstMac) -> 0 on success, else a positive errno */
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  uint8_t *payload, *mac;
  size_t payload_length, mac_length;
  int err = 0;
  if (!get_args(env, info, 3, argv)) return NULL;
  dp_handle *h = get_handle(env, argv[0], &PACKET_TAG);
  if (h == NULL) return NULL;
  if (!get_bytes(env, argv[1], "payload", &payload, &payload_length)) return NULL;
  if (!get_bytes(env, argv[2], "dstMac", &mac, &mac_length)) return NULL;
  if (mac_length != 6) {
    throw_type(env, "dstMac must be 6 bytes");
    return NULL;
  }
  if (h->fd < 0) {
    err = EBADF;
  } else {
    struct sockaddr_ll to;
    memset(&to, 0, sizeof to);
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_ARP);
    to.sll_ifindex = h->ifindex;
    to.sll_halen = 6;
    memcpy(to.sll_addr, mac, 6);
    ssize_t sent;
    do {
      sent = sendto(h->fd, payload, payload_length, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) err = errno;
  }
  NAPI_OK(env, napi_create_int32(env, err, &result));
  return result;
}

/* Common part of start() and watchLinks(): keep the callback, create the async context, poll. */
static bool start_polling(napi_env env, dp_handle *h, napi_value callback, const char *resource_name, uv_poll_cb cb) {
  napi_value resource, name;
  uv_loop_t *loop;
  int rc;
  if (napi_create_reference(env, callback, 1, &h->callback) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, resource_name, NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &h->async_context) != napi_ok ||
      napi_get_uv_event_loop(env, &loop) != napi_ok) {
    release_callback(h);
    napi_throw_error(env, NULL, "cannot set up the receive callback");
    return false;
  }
  if (!h->poll_initialised) {
    rc = uv_poll_init_socket(loop, &h->poll, h->fd);
    if (rc < 0) {
      release_callback(h);
      throw_errno(env, -rc, "uv_poll_init_socket");
      return false;
    }
    h->poll.data = h;
    h->poll_initialised = true;
  }
  rc = uv_poll_start(&h->poll, UV_READABLE, cb);
  if (rc < 0) {
    release_callback(h);
    throw_errno(env, -rc, "uv_poll_start");
    return false;
  }
  h->polling = true;
  return true;
}

static bool check_function(napi_env env, napi_value value) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_function) {
    throw_type(env, "callback must be a function");
    return false;
  }
  return true;
}

/* start(handle, callback): callback(records, count) per batch, callback(null, -errno) on error */
static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  dp_handle *h = get_handle(env, argv[0], &PACKET_TAG);
  if (h == NULL || !check_function(env, argv[1])) return NULL;
  if (h->fd < 0) {
    throw_errno(env, EBADF, "start");
    return NULL;
  }
  if (h->polling) {
    napi_throw_error(env, "ERR_ALREADY_STARTED", "the socket is already started");
    return NULL;
  }
  start_polling(env, h, argv[1], "dupip:packet", on_packet_readable);
  return NULL;
}

/* close(handle): idempotent */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  dp_handle *h = get_handle(env, argv[0], &PACKET_TAG);
  if (h != NULL) close_handle(h);
  return NULL;
}

/*
 * stats(handle) -> {packets, drops}
 * PACKET_STATISTICS: the kernel resets both counters on every read; `packets`
 * counts frames that passed the filter, the dropped ones included.
 */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, packets, drops;
  struct tpacket_stats st;
  socklen_t len = sizeof st;
  if (!get_args(env, info, 1, argv)) return NULL;
  dp_handle *h = get_handle(env, argv[0], &PACKET_TAG);
  if (h == NULL) return NULL;
  if (h->fd < 0) {
    throw_errno(env, EBADF, "getsockopt");
    return NULL;
  }
  memset(&st, 0, sizeof st);
  if (getsockopt(h->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0) {
    throw_errno(env, errno, "getsockopt");
    return NULL;
  }
  NAPI_OK(env, napi_create_object(env, &result));
  NAPI_OK(env, napi_create_uint32(env, st.tp_packets, &packets));
  NAPI_OK(env, napi_create_uint32(env, st.tp_drops, &drops));
  NAPI_OK(env, napi_set_named_property(env, result, "packets", packets));
  NAPI_OK(env, napi_set_named_property(env, result, "drops", drops));
  return result;
}

/* setReceiveBuffer(handle, bytes, force) -> 0 on success, else a positive errno */
static napi_value js_set_receive_buffer(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  double bytes;
  bool force = false;
  int err = 0;
  if (!get_args(env, info, 3, argv)) return NULL;
  dp_handle *h = get_handle(env, argv[0], &PACKET_TAG);
  if (h == NULL) return NULL;
  if (napi_get_value_double(env, argv[1], &bytes) != napi_ok || !(bytes >= 1) || bytes > 1073741824.0 ||
      bytes != (double)(int)bytes) {
    throw_type(env, "bytes must be an integer from 1 to 1 GiB");
    return NULL;
  }
  napi_get_value_bool(env, argv[2], &force); /* anything but true: false */
  int value = (int)bytes;
  if (h->fd < 0)
    err = EBADF;
  else if (setsockopt(h->fd, SOL_SOCKET, force ? SO_RCVBUFFORCE : SO_RCVBUF, &value, sizeof value) < 0)
    err = errno;
  NAPI_OK(env, napi_create_int32(env, err, &result));
  return result;
}

/* receiveBuffer(handle) -> bytes */
static napi_value js_receive_buffer(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int value = 0;
  socklen_t len = sizeof value;
  if (!get_args(env, info, 1, argv)) return NULL;
  dp_handle *h = get_handle(env, argv[0], &PACKET_TAG);
  if (h == NULL) return NULL;
  if (h->fd < 0) {
    throw_errno(env, EBADF, "getsockopt");
    return NULL;
  }
  if (getsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &value, &len) < 0) {
    throw_errno(env, errno, "getsockopt");
    return NULL;
  }
  NAPI_OK(env, napi_create_int32(env, value, &result));
  return result;
}

/* ---- link watcher ---------------------------------------------------------- */

/*
 * Drains the netlink socket and hands JS the raw bytes, unparsed (parsing is
 * TypeScript's job: src/platform/netlink.ts). ENOBUFS (the kernel dropped
 * notifications because we were slow) is reported as `lost`: JS re-reads
 * everything. Bytes beyond NETLINK_MAX_BYTES_PER_WAKEUP are not kept either
 * way; they are reported as `lost` too.
 */
static void drain_netlink(dp_handle *h, bool lost) {
  uint8_t buffer[NETLINK_BUFFER_SIZE];
  uint8_t *kept = NULL;
  size_t length = 0, capacity = 0;
  bool changed = lost;
  int error = 0;
  for (int i = 0; i < NETLINK_MAX_READS_PER_WAKEUP && h->fd >= 0; i++) {
    ssize_t r = recv(h->fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (r >= 0) {
      changed = true;
      if (r == 0 || lost) continue;
      if (length + (size_t)r > capacity) {
        size_t want = capacity ? capacity * 2 : 2 * NETLINK_BUFFER_SIZE;
        while (want < length + (size_t)r) want *= 2;
        uint8_t *grown = want <= NETLINK_MAX_BYTES_PER_WAKEUP ? realloc(kept, want) : NULL;
        if (grown == NULL) {
          lost = true;
          continue;
        }
        kept = grown;
        capacity = want;
      }
      memcpy(kept + length, buffer, (size_t)r);
      length += (size_t)r;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == ENOBUFS) {
      changed = lost = true;
      continue;
    }
    error = errno;
    break;
  }
  if (error != 0)
    deliver_change(h, -error, NULL, 0, true);
  else if (changed)
    deliver_change(h, 0, lost ? NULL : kept, lost ? 0 : length, lost);
  free(kept);
}

static void on_netlink_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  dp_handle *h = (dp_handle *)poll->data;
  bool lost = false;
  if (status < 0) {
    int err = take_socket_error(h, on_netlink_readable);
    if (err == ENOBUFS) {
      lost = true;
    } else {
      deliver_change(h, -(err != 0 ? err : EIO), NULL, 0, true);
      if (!h->polling) return;
    }
  }
  drain_netlink(h, lost);
}

/* watchLinks(callback) -> handle: RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE notifications */
static napi_value js_watch_links(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!check_function(env, argv[0])) return NULL;

  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    throw_errno(env, errno, "socket");
    return NULL;
  }
  struct sockaddr_nl address;
  memset(&address, 0, sizeof address);
  address.nl_family = AF_NETLINK;
  address.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "bind");
    return NULL;
  }
  napi_value object = wrap_handle(env, KIND_NETLINK, fd, 0);
  if (object == NULL) return NULL;
  dp_handle *h;
  NAPI_OK(env, napi_unwrap(env, object, (void **)&h));
  if (!start_polling(env, h, argv[0], "dupip:links", on_netlink_readable)) {
    close_handle(h);
    return NULL;
  }
  return object;
}

/* stopWatch(handle): idempotent */
static napi_value js_stop_watch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  dp_handle *h = get_handle(env, argv[0], &NETLINK_TAG);
  if (h != NULL) close_handle(h);
  return NULL;
}

/* ---- ipv4Addresses(): getifaddrs() without libuv's up-and-running filter -- */

static napi_value js_ipv4_addresses(napi_env env, napi_callback_info info) {
  (void)info;
  struct ifaddrs *list;
  if (getifaddrs(&list) != 0) {
    throw_errno(env, errno, "getifaddrs");
    return NULL;
  }
  napi_value result;
  uint32_t n = 0;
  napi_create_array(env, &result);
  for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
    if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN];
    const struct in_addr *addr = &((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
    if (!inet_ntop(AF_INET, addr, text, sizeof text)) continue;
    /* prefix length = number of one bits in the netmask */
    uint32_t mask = ifa->ifa_netmask ? ntohl(((const struct sockaddr_in *)ifa->ifa_netmask)->sin_addr.s_addr) : 0xffffffffu;
    int32_t prefix = __builtin_popcount(mask);
    napi_value entry, name, address, length;
    napi_create_object(env, &entry);
    napi_create_string_utf8(env, ifa->ifa_name, NAPI_AUTO_LENGTH, &name);
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address);
    napi_create_int32(env, prefix, &length);
    napi_set_named_property(env, entry, "name", name);
    napi_set_named_property(env, entry, "address", address);
    napi_set_named_property(env, entry, "prefixLength", length);
    napi_set_element(env, result, n++, entry);
  }
  freeifaddrs(list);
  return result;
}

/* ---- module ---------------------------------------------------------------- */

static napi_value init(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } functions[] = {
      {"open", js_open},       {"setFilter", js_set_filter}, {"send", js_send},
      {"start", js_start},     {"close", js_close},
      {"stats", js_stats},     {"watchLinks", js_watch_links}, {"stopWatch", js_stop_watch},
      {"ipv4Addresses", js_ipv4_addresses},
      {"setReceiveBuffer", js_set_receive_buffer}, {"receiveBuffer", js_receive_buffer},
  };
  static const struct {
    const char *name;
    int32_t value;
  } constants[] = {
      {"RECORD_SIZE", RECORD_SIZE},
      {"RECORD_PAYLOAD_OFFSET", RECORD_PAYLOAD_OFFSET},
      {"RECORD_PAYLOAD_MAX", RECORD_PAYLOAD_MAX},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    NAPI_OK(env, napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn));
    NAPI_OK(env, napi_set_named_property(env, exports, functions[i].name, fn));
  }
  for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
    napi_value value;
    NAPI_OK(env, napi_create_int32(env, constants[i].value, &value));
    NAPI_OK(env, napi_set_named_property(env, exports, constants[i].name, value));
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
