/*
 * netlink.c — the rtnetlink watch: link, IPv4 address and route notifications
 * handed to JavaScript as raw bytes (parsed in src/platform/netlink.ts).
 */
#include "dupip.h"

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

static void on_netlink_readable(uv_poll_t *poll, int status, int events);

/* The coalescing delay is over: read what came meanwhile in one go, then wait for readiness again. */
static void on_netlink_delay(uv_timer_t *timer) {
  dp_handle *h = (dp_handle *)timer->data;
  if (h->fd < 0) return;
  drain_netlink(h, false);
  if (h->polling && h->fd >= 0) uv_poll_start(&h->poll, UV_READABLE, on_netlink_readable);
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
  } else if (h->delay_initialised && h->coalesce_ms > 0) {
    /* The kernel queues the rest of the burst on the socket meanwhile (an overrun is ENOBUFS: lost). */
    uv_poll_stop(&h->poll);
    uv_timer_start(&h->delay, on_netlink_delay, h->coalesce_ms, 0);
    return;
  }
  drain_netlink(h, lost);
}

/* Room for a burst while the watcher waits out its coalescing delay (capped by net.core.rmem_max without CAP_NET_ADMIN). */
#define NETLINK_RECEIVE_BUFFER (4 << 20)

/*
 * watchLinks(callback, coalesceMs = 0) -> handle: RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
 * RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE notifications (IPv6 address messages include the flag
 * changes: tentative -> done, dadfailed); with coalesceMs > 0, readiness is followed by that
 * long a wait, and everything queued by then is handed over in one callback.
 */
napi_value js_watch_links(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  if (!check_function(env, argv[0])) return NULL;
  uint32_t coalesce_ms = 0;
  napi_valuetype type;
  NAPI_OK(env, napi_typeof(env, argv[1], &type));
  if (type != napi_undefined && (type != napi_number || napi_get_value_uint32(env, argv[1], &coalesce_ms) != napi_ok || coalesce_ms > 10000)) {
    throw_type(env, "coalesceMs must be a number of milliseconds (0-10000)");
    return NULL;
  }

  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    throw_errno(env, errno, "socket");
    return NULL;
  }
  struct sockaddr_nl address;
  memset(&address, 0, sizeof address);
  address.nl_family = AF_NETLINK;
  address.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "bind");
    return NULL;
  }
  int rcvbuf = NETLINK_RECEIVE_BUFFER;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf); /* best effort */
  napi_value object = wrap_handle(env, KIND_NETLINK, fd, 0, 0);
  if (object == NULL) return NULL;
  dp_handle *h;
  NAPI_OK(env, napi_unwrap(env, object, (void **)&h));
  if (coalesce_ms > 0) {
    uv_loop_t *loop;
    NAPI_OK(env, napi_get_uv_event_loop(env, &loop));
    if (uv_timer_init(loop, &h->delay) == 0) {
      h->delay.data = h;
      h->delay_initialised = true;
      h->coalesce_ms = coalesce_ms;
    } /* else: drain at once */
  }
  if (!start_polling(env, h, argv[0], "dupip:links", on_netlink_readable)) {
    close_handle(h);
    return NULL;
  }
  return object;
}

/*
 * flushWatch(handle): reads what is queued on the socket now, synchronously, and hands it to the
 * callback before returning (nothing queued: no callback). A probe tick calls it first, so an
 * address removed a moment ago is known before anything is sent for it, whatever the coalescing
 * delay; a delay already running still fires and reads what came after.
 */
napi_value js_flush_watch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  dp_handle *h = get_handle(env, argv[0], &NETLINK_TAG);
  if (h != NULL && h->fd >= 0 && h->polling) drain_netlink(h, false);
  return NULL;
}

/* stopWatch(handle): idempotent */
napi_value js_stop_watch(napi_env env, napi_callback_info info) {
  return close_tagged(env, info, &NETLINK_TAG);
}
