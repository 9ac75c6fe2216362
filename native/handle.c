/*
 * handle.c — the plumbing every native handle shares: errors thrown with their
 * errno, argument checks, the handle lifecycle (wrap, close, finalise,
 * environment teardown), calling back into JavaScript, and readiness polling.
 */
#include "dupip.h"

/* Type tags let us reject foreign objects passed as handles. */
const napi_type_tag PACKET_TAG = {0x6475706970706b74ULL, 0x736f636b65743031ULL};
const napi_type_tag NETLINK_TAG = {0x647570697060e6cULL, 0x77617463683031ULL};

/* ---- error helpers --------------------------------------------------------- */

/* Throws a JS Error with .code = errno name, .errno = positive errno, .syscall. */
void throw_errno(napi_env env, int err, const char *syscall) {
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
void throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
}



/* ---- argument helpers ------------------------------------------------------ */

/* Reads exactly `want` arguments (missing ones are `undefined`). */
bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
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
dp_handle *get_handle(napi_env env, napi_value value, const napi_type_tag *tag) {
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
bool get_bytes(napi_env env, napi_value value, const char *what, uint8_t **data, size_t *length) {
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

/* The handle of `value` if it is still open; a closed one throws EBADF from `syscall`. NULL: thrown. */
dp_handle *get_open_handle(napi_env env, napi_value value, const napi_type_tag *tag, const char *syscall) {
  dp_handle *h = get_handle(env, value, tag);
  if (h != NULL && h->fd < 0) {
    throw_errno(env, EBADF, syscall);
    return NULL;
  }
  return h;
}

/* ---- handle lifecycle ------------------------------------------------------ */

static void release_callback(dp_handle *h) {
  if (h->callback != NULL) {
    napi_delete_reference(h->env, h->callback);
    h->callback = NULL;
  }
  if (h->records_ref != NULL) {
    napi_delete_reference(h->env, h->records_ref);
    h->records_ref = NULL;
    h->records = NULL;
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

/*
 * The close callback of the poll handle, the link watcher's coalescing timer and the packet
 * socket's resume timer (all have data = h): the last one finishes the close.
 */
static void on_uv_closed(uv_handle_t *handle) {
  dp_handle *h = (dp_handle *)handle->data;
  if (--h->closes_pending > 0) return;
  closed(h);
  if (h->finalised) free(h);
}

/* Stops polling, closes the libuv handles and the fd. Safe to call repeatedly. */
void close_handle(dp_handle *h) {
  stop_polling(h);
  if (h->delay_initialised) {
    h->delay_initialised = false;
    h->closes_pending++;
    uv_close((uv_handle_t *)&h->delay, on_uv_closed); /* stops it if armed */
  }
  if (h->poll_initialised) {
    /* uv_close() removes the fd from epoll synchronously, so close(fd) below is safe. */
    h->poll_initialised = false;
    h->closes_pending++;
    uv_close((uv_handle_t *)&h->poll, on_uv_closed);
  }
  if (h->resume_initialised) {
    /* uv_close() stops a running timer: no resume after this. */
    h->resume_initialised = false;
    h->closes_pending++;
    uv_close((uv_handle_t *)&h->resume, on_uv_closed);
  }
  if (h->fd >= 0) {
    close(h->fd);
    h->fd = -1;
  }
  if (h->closes_pending == 0) closed(h);
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
  if (h->closes_pending == 0) free(h);
}

/* Wraps a freshly opened fd in a tagged JS object. Closes the fd on failure. */
napi_value wrap_handle(napi_env env, enum handle_kind kind, int fd, int ifindex, uint16_t protocol) {
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
  h->protocol = protocol;
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

/* callback(records Buffer | null, count | -errno); the socket's reused records Buffer is passed as is */
void deliver(dp_handle *h, const uint8_t *records, int count_or_errno) {
  napi_env env = h->env;
  napi_handle_scope scope;
  napi_value argv[2];
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (records != NULL && records == h->records) {
    /* The socket's own records Buffer (receive.c), reused: no copy, no new Buffer per batch. */
    if (napi_get_reference_value(env, h->records_ref, &argv[0]) != napi_ok || argv[0] == NULL) goto out;
  } else if (records != NULL) {
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
void deliver_change(dp_handle *h, int status, const uint8_t *bytes, size_t length, bool lost) {
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
int take_socket_error(dp_handle *h, uv_poll_cb cb) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (h->polling) uv_poll_start(&h->poll, UV_READABLE, cb);
  return err;
}

/* ---- polling: readiness callbacks into JavaScript --------------------------- */

/* Common part of start() and watchLinks(): keep the callback, create the async context, poll. */
bool start_polling(napi_env env, dp_handle *h, napi_value callback, const char *resource_name, uv_poll_cb cb) {
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

bool check_function(napi_env env, napi_value value) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_function) {
    throw_type(env, "callback must be a function");
    return false;
  }
  return true;
}

/* close(handle), stopWatch(handle): closes the handle of the first argument; idempotent. */
napi_value close_tagged(napi_env env, napi_callback_info info, const napi_type_tag *tag) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  dp_handle *h = get_handle(env, argv[0], tag);
  if (h != NULL) close_handle(h);
  return NULL;
}
