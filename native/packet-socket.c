/*
 * packet-socket.c — the packet socket: open (the tap, filter attached before
 * bind), setFilter, send, sendBatch, close, statistics and the receive buffer size.
 */
#include "dupip.h"

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
 * open(ifindex, initialProgram?, protocol?) -> handle
 *
 * The socket is created with protocol 0, which receives nothing, so that the
 * optional initial program can be attached before bind() starts delivery:
 * no frame is ever queued unfiltered. bind() then starts delivery on the given
 * interface only: the tap (ETH_P_ALL) for ETH_P_ARP, the default, or ETH_P_IPV6;
 * the handle keeps the protocol for send() and for the "not this protocol" flag.
 */
napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  napi_valuetype type;
  double ifindex_number;
  int ifindex;
  uint16_t protocol = ETH_P_ARP;
  uint8_t *program = NULL;
  size_t program_length = 0;
  bool have_program = false;

  if (!get_args(env, info, 3, argv)) return NULL;
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
  NAPI_OK(env, napi_typeof(env, argv[2], &type));
  if (type != napi_undefined) {
    int32_t value = 0;
    if (type != napi_number || napi_get_value_int32(env, argv[2], &value) != napi_ok ||
        (value != ETH_P_ARP && value != ETH_P_IPV6)) {
      throw_type(env, "protocol must be ETH_P_ARP (0x0806) or ETH_P_IPV6 (0x86dd)");
      return NULL;
    }
    protocol = (uint16_t)value;
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
  /* ARP: a tap, to see VLAN tags (see above); IPv6: its own ethertype. */
  address.sll_protocol = htons(protocol == ETH_P_ARP ? ETH_P_ALL : protocol);
  address.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "bind");
    return NULL;
  }
  return wrap_handle(env, KIND_PACKET, fd, ifindex, protocol);
}

/* setFilter(handle, program) */
napi_value js_set_filter(napi_env env, napi_callback_info info) {
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

/* The destination of a frame on `h`'s interface (sendto/sendmmsg). */
static void link_destination(const dp_handle *h, const uint8_t *mac, struct sockaddr_ll *to) {
  memset(to, 0, sizeof *to);
  to->sll_family = AF_PACKET;
  to->sll_protocol = htons(h->protocol);
  to->sll_ifindex = h->ifindex;
  to->sll_halen = 6;
  memcpy(to->sll_addr, mac, 6);
}

/* send(handle, payload, dstMac) -> 0 on success, else a positive errno */
napi_value js_send(napi_env env, napi_callback_info info) {
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
    link_destination(h, mac, &to);
    ssize_t sent;
    do {
      sent = sendto(h->fd, payload, payload_length, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) err = errno;
  }
  NAPI_OK(env, napi_create_int32(env, err, &result));
  return result;
}

/*
 * sendBatch(handle, payloads[], dstMacs[], results) -> undefined
 * payloads: N Uint8Arrays, dstMacs: N 6-byte Uint8Arrays, results: an Int32Array of
 * at least N, which receives 0 or a positive errno per frame. One sendmmsg() per
 * SEND_BATCH_SIZE frames: after a partial send the next frame is tried again on
 * its own, so that every frame gets its own errno (sendmmsg reports only the
 * first failure, and only when nothing was sent). Never throws for send errors.
 */
napi_value js_send_batch(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  bool is_array = false;
  uint32_t count = 0, count_macs = 0;
  napi_typedarray_type type;
  size_t results_length = 0;
  void *results_data = NULL;
  if (!get_args(env, info, 4, argv)) return NULL;
  dp_handle *h = get_handle(env, argv[0], &PACKET_TAG);
  if (h == NULL) return NULL;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &count) != napi_ok ||
      napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[2], &count_macs) != napi_ok ||
      count != count_macs) {
    throw_type(env, "payloads and dstMacs must be arrays of the same length");
    return NULL;
  }
  bool is_typedarray = false;
  if (napi_is_typedarray(env, argv[3], &is_typedarray) != napi_ok || !is_typedarray ||
      napi_get_typedarray_info(env, argv[3], &type, &results_length, &results_data, NULL, NULL) != napi_ok ||
      type != napi_int32_array || results_length < count) {
    throw_type(env, "results must be an Int32Array with one element per frame");
    return NULL;
  }
  int32_t *results = results_data;
  struct mmsghdr msgs[SEND_BATCH_SIZE];
  struct iovec iov[SEND_BATCH_SIZE];
  struct sockaddr_ll to[SEND_BATCH_SIZE];
  uint32_t i = 0;
  while (i < count) {
    uint32_t n = count - i < SEND_BATCH_SIZE ? count - i : SEND_BATCH_SIZE;
    memset(msgs, 0, n * sizeof msgs[0]);
    for (uint32_t k = 0; k < n; k++) {
      napi_value payload, mac_value;
      uint8_t *data, *mac;
      size_t length, mac_length;
      NAPI_OK(env, napi_get_element(env, argv[1], i + k, &payload));
      NAPI_OK(env, napi_get_element(env, argv[2], i + k, &mac_value));
      if (!get_bytes(env, payload, "payload", &data, &length)) return NULL;
      if (!get_bytes(env, mac_value, "dstMac", &mac, &mac_length)) return NULL;
      if (mac_length != 6) {
        throw_type(env, "dstMac must be 6 bytes");
        return NULL;
      }
      link_destination(h, mac, &to[k]);
      iov[k].iov_base = data;
      iov[k].iov_len = length;
      msgs[k].msg_hdr.msg_name = &to[k];
      msgs[k].msg_hdr.msg_namelen = sizeof to[k];
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    if (h->fd < 0) {
      for (uint32_t k = 0; k < n; k++) results[i + k] = EBADF;
      i += n;
      continue;
    }
    int sent = sendmmsg(h->fd, msgs, n, MSG_DONTWAIT);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) {
      results[i++] = sent < 0 ? errno : EIO; /* this frame failed; the rest are tried again */
      continue;
    }
    for (int k = 0; k < sent; k++) results[i + k] = 0;
    i += (uint32_t)sent;
  }
  return NULL;
}

/* close(handle): idempotent */
napi_value js_close(napi_env env, napi_callback_info info) {
  return close_tagged(env, info, &PACKET_TAG);
}

/*
 * stats(handle) -> {packets, drops}
 * PACKET_STATISTICS: the kernel resets both counters on every read; `packets`
 * counts frames that passed the filter, the dropped ones included.
 */
napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, packets, drops;
  struct tpacket_stats st;
  socklen_t len = sizeof st;
  if (!get_args(env, info, 1, argv)) return NULL;
  dp_handle *h = get_open_handle(env, argv[0], &PACKET_TAG, "getsockopt");
  if (h == NULL) return NULL;
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
napi_value js_set_receive_buffer(napi_env env, napi_callback_info info) {
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
napi_value js_receive_buffer(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int value = 0;
  socklen_t len = sizeof value;
  if (!get_args(env, info, 1, argv)) return NULL;
  dp_handle *h = get_open_handle(env, argv[0], &PACKET_TAG, "getsockopt");
  if (h == NULL) return NULL;
  if (getsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &value, &len) < 0) {
    throw_errno(env, errno, "getsockopt");
    return NULL;
  }
  NAPI_OK(env, napi_create_int32(env, value, &result));
  return result;
}
