/*
 * dupip.h — what the native sources of the dupip_packet addon share: the
 * system headers, the constants of the record layout (mirrored in
 * src/platform/frame-records.ts), the handle, the N-API error macro and the
 * functions one source calls in another. The module itself is described in
 * module.c.
 */
#ifndef DUPIP_H
#define DUPIP_H

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

#define RECORD_SIZE 144
#define RECORD_PAYLOAD_OFFSET 16
#define RECORD_PAYLOAD_MAX (RECORD_SIZE - RECORD_PAYLOAD_OFFSET) /* 128 */
#define BATCH_SIZE 128              /* messages per recvmmsg() call / per callback (a 32 ms burst pause at 10,000 frames/s: three) */
#define MAX_BATCHES_PER_WAKEUP 8    /* bound the work per loop iteration (1,024 frames) */
#define SEND_BATCH_SIZE 64          /* frames per sendmmsg() call (sendBatch) */
#define NETLINK_MAX_READS_PER_WAKEUP 256
#define NETLINK_BUFFER_SIZE 8192
#define RECORD_FLAG_VLAN_TAG 0x01   /* TP_STATUS_VLAN_VALID */
#define RECORD_FLAG_AUXDATA 0x02    /* a PACKET_AUXDATA message came with the frame */
#define RECORD_FLAG_NOT_ARP 0x04    /* sll_protocol != the socket's protocol */
#define AUXDATA_SPACE CMSG_SPACE(sizeof(struct tpacket_auxdata))
#define NETLINK_MAX_BYTES_PER_WAKEUP (1 << 20) /* beyond: reported as lost, JS re-reads all */

/* ---- handle ---------------------------------------------------------------- */

enum handle_kind { KIND_PACKET = 1, KIND_NETLINK = 2 };

/*
 * One native handle, owned jointly by its JS wrapper object (napi_wrap) and,
 * after uv_close(), by libuv until the close callbacks ran (the poll's, and
 * the link watcher's coalescing timer's). It is freed when both are done with
 * it (finalised && closes_pending == 0).
 */
typedef struct dp_handle {
  enum handle_kind kind;
  int fd;                       /* -1 once closed */
  int ifindex;                  /* packet sockets: the interface bound to */
  uint16_t protocol;            /* packet sockets: ETH_P_ARP or ETH_P_IPV6 (host order) */
  napi_env env;
  uv_poll_t poll;
  bool poll_initialised;        /* uv_poll_init_socket() done, uv_close() owed */
  bool polling;                 /* the caller wants readiness callbacks */
  int closes_pending;           /* uv_close() calls whose callback has not run yet (poll, timers) */
  uv_timer_t resume;            /* packet sockets: resumes polling after a burst pause (receive.c) */
  bool resume_initialised;      /* uv_timer_init() done, uv_close() owed */
  unsigned burst_pause_ms;      /* the current burst pause (receive.c); 0 while polling */
  uint64_t last_read_ns;        /* packet sockets: uv_hrtime() of the previous read (receive.c) */
  /*
   * Packet sockets: the batch's records, a Buffer made once by start() and reused for every
   * batch (valid in JS only during the callback), held by records_ref while polling.
   */
  uint8_t *records;
  napi_ref records_ref;
  /*
   * Link watcher: readiness starts `delay` instead of draining at once, so the
   * dozen messages of one veth replacement are read in one wakeup, not one by
   * one (uv_poll stopped meanwhile; `polling` still says what the caller wants).
   */
  uv_timer_t delay;
  bool delay_initialised;
  unsigned coalesce_ms;         /* 0: drain at once */
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

/* Type tags (handle.c) let us reject foreign objects passed as handles. */
extern const napi_type_tag PACKET_TAG;
extern const napi_type_tag NETLINK_TAG;

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

/* ---- functions shared between the sources ---------------------------------- */

bool check_function(napi_env env, napi_value value);
void close_handle(dp_handle *h);
napi_value close_tagged(napi_env env, napi_callback_info info, const napi_type_tag *tag);
void deliver(dp_handle *h, const uint8_t *records, int count_or_errno);
void deliver_change(dp_handle *h, int status, const uint8_t *bytes, size_t length, bool lost);
bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
bool get_bytes(napi_env env, napi_value value, const char *what, uint8_t **data, size_t *length);
dp_handle *get_handle(napi_env env, napi_value value, const napi_type_tag *tag);
dp_handle *get_open_handle(napi_env env, napi_value value, const napi_type_tag *tag, const char *syscall);
bool start_polling(napi_env env, dp_handle *h, napi_value callback, const char *resource_name, uv_poll_cb cb);
int take_socket_error(dp_handle *h, uv_poll_cb cb);
void throw_errno(napi_env env, int err, const char *syscall);
void throw_type(napi_env env, const char *message);
napi_value wrap_handle(napi_env env, enum handle_kind kind, int fd, int ifindex, uint16_t protocol);
napi_value js_dump_addresses(napi_env env, napi_callback_info info);
napi_value js_ipv4_addresses(napi_env env, napi_callback_info info);
napi_value js_stop_watch(napi_env env, napi_callback_info info);
napi_value js_flush_watch(napi_env env, napi_callback_info info);
napi_value js_watch_links(napi_env env, napi_callback_info info);
napi_value js_close(napi_env env, napi_callback_info info);
napi_value js_open(napi_env env, napi_callback_info info);
napi_value js_receive_buffer(napi_env env, napi_callback_info info);
napi_value js_send(napi_env env, napi_callback_info info);
napi_value js_send_batch(napi_env env, napi_callback_info info);
napi_value js_set_filter(napi_env env, napi_callback_info info);
napi_value js_set_receive_buffer(napi_env env, napi_callback_info info);
napi_value js_stats(napi_env env, napi_callback_info info);
napi_value js_start(napi_env env, napi_callback_info info);

#endif /* DUPIP_H */
