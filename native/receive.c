/*
 * receive.c — the packet socket's batched receive path: recvmmsg() with
 * PACKET_AUXDATA into fixed-size records (layout in module.c), handed to the
 * start() callback one batch at a time. The records are read into one Buffer made by start()
 * and reused for every batch: JS may use it only during the callback (a new batch overwrites it)
 * and copies whatever it keeps (src/platform/frame-records.ts).
 */
#include "dupip.h"

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
static int drain_packets(dp_handle *h) {
  int total = 0;
  uint8_t *records = h->records; /* the reused Buffer js_start made: recvmmsg writes into it */
  struct mmsghdr messages[BATCH_SIZE];
  struct iovec iovecs[BATCH_SIZE];
  struct sockaddr_ll addresses[BATCH_SIZE];
  /* One control buffer per message for its PACKET_AUXDATA (aligned for struct cmsghdr). */
  union { struct cmsghdr align; uint8_t bytes[AUXDATA_SPACE]; } controls[BATCH_SIZE];

  for (int batch = 0; batch < MAX_BATCHES_PER_WAKEUP && h->polling && h->fd >= 0 && h->records != NULL; batch++) {
    memset(records, 0, (size_t)BATCH_SIZE * RECORD_SIZE);
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
      if (errno == EAGAIN || errno == EWOULDBLOCK) return total;
      deliver(h, NULL, -errno);
      return total;
    }
    if (n == 0) return total;
    total += n;

    for (int i = 0; i < n; i++) {
      uint8_t *record = records + i * RECORD_SIZE;
      const struct sockaddr_ll *from = &addresses[i];
      unsigned int length = messages[i].msg_len;
      size_t halen = from->sll_halen < 6 ? from->sll_halen : 6;
      put_u16le(record + 0, length > 0xffff ? 0xffff : length);
      record[2] = from->sll_pkttype;
      uint8_t flags = from->sll_protocol == htons(h->protocol) ? 0 : RECORD_FLAG_NOT_ARP;
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
    if (n < BATCH_SIZE) return total;
  }
  return total;
}

/*
 * Burst pause. A wake-up costs more than the frames it reads (epoll, a context switch, the call
 * into JS), and under a flood the loop woke for every few frames. The loop stops polling for
 * BURST_PAUSE_MIN_MS, then reads what queued meanwhile in one go, when a wake-up looks like part
 * of a stream of more than ~PAUSE_RATE frames a second:
 *   - it read at least BURST_FRAMES frames (10,000 frames/s and more), or
 *   - it came less than WAKE_GAP_MS after the previous read (1,000 frames/s: one frame each time,
 *     so the frame count alone never started a pause and every frame was its own wake-up).
 * While each pause reads at least as many frames as PAUSE_RATE fills it with (1 in 2 ms, 2 in 4,
 * ...), the loop stays off the poll, and the next pause is sized by what this one read, like a
 * TPACKET_V3 block that is handed over when full or when its timeout runs out:
 *   - fewer than PAUSE_FULL_FRAMES: twice as long, up to BURST_PAUSE_MAX_MS;
 *   - PAUSE_FULL_FRAMES or more: as long again; 2 x PAUSE_FULL_FRAMES or more: half as long.
 * So a wake-up reads ~256-512 frames or waits 32 ms: at 1,000 and 10,000 frames/s 33-39 wake-ups
 * a second (~125 with the 8 ms ceiling before; 10,000 frames/s: 4.65 -> 2.74 % of a core,
 * bench/notes/profiles.md), at 50,000 pauses of ~8 ms (400 frames each). A pause that reads fewer than
 * PAUSE_RATE fills it with goes back to polling. A lone frame (a claim on a quiet segment, the
 * previous one tens of ms before) is read at once as before; during a flood a frame waits at most
 * BURST_PAUSE_MAX_MS longer. At a steady rate a pause queues fewer than 2 x PAUSE_FULL_FRAMES; a
 * rate that jumps during a 32 ms pause queues 32 ms of it (1,600 frames at 50,000/s), within the
 * kernel's room for ~5,000 ARP frames (RECEIVE_BUFFER_BYTES; test/e2e/drops-e2e.test.ts read 5,042
 * after a stall), and overflows are counted as before (PACKET_STATISTICS).
 */
#define BURST_FRAMES 4
#define BURST_PAUSE_MIN_MS 2
#define BURST_PAUSE_MAX_MS 32
#define PAUSE_FULL_FRAMES 256
#define WAKE_GAP_MS 2
#define PAUSE_RATE 500 /* frames a second: above, the loop pauses; below, it reads each frame at once */
#define DRAIN_CAP (MAX_BATCHES_PER_WAKEUP * BATCH_SIZE)

static void on_packet_readable(uv_poll_t *poll, int status, int events);
static void on_resume_after_pause(uv_timer_t *timer);

/* The pause after one of `pause_ms` that read `n` frames (0: the first of a stream). */
static unsigned next_pause(unsigned pause_ms, int n) {
  unsigned next;
  if (pause_ms == 0) next = BURST_PAUSE_MIN_MS;
  else if (n < PAUSE_FULL_FRAMES) next = pause_ms * 2;
  else if (n < 2 * PAUSE_FULL_FRAMES) next = pause_ms;
  else next = pause_ms / 2;
  return next < BURST_PAUSE_MIN_MS ? BURST_PAUSE_MIN_MS : next > BURST_PAUSE_MAX_MS ? BURST_PAUSE_MAX_MS : next;
}

static bool start_resume_timer(dp_handle *h, int n) {
  if (!h->resume_initialised) {
    if (uv_timer_init(uv_handle_get_loop((uv_handle_t *)&h->poll), &h->resume) != 0) return false;
    h->resume.data = h;
    h->resume_initialised = true;
  }
  h->burst_pause_ms = next_pause(h->burst_pause_ms, n);
  return uv_timer_start(&h->resume, on_resume_after_pause, h->burst_pause_ms, 0) == 0;
}

/* The socket is open and JS still wants its frames. */
static bool receiving(const dp_handle *h) { return h->polling && h->fd >= 0 && h->poll_initialised; }

static void resume_polling(dp_handle *h) {
  h->burst_pause_ms = 0;
  if (!receiving(h)) return;
  (void)uv_poll_start(&h->poll, UV_READABLE, on_packet_readable);
}

/* A pause of `pause_ms` that read `n` frames: the stream is still above PAUSE_RATE. */
static bool still_streaming(int n, unsigned pause_ms) {
  unsigned want = pause_ms * PAUSE_RATE / 1000;
  return n > 0 && (unsigned)n >= (want > 0 ? want : 1);
}

static void on_resume_after_pause(uv_timer_t *timer) {
  dp_handle *h = (dp_handle *)timer->data;
  /*
   * What queued during the pause, now; still a stream: stay off the poll, pause again (longer). A
   * read that stopped at MAX_BATCHES_PER_WAKEUP left frames queued: back to polling at once (the
   * level-triggered poll comes back for them after other work), so pauses never cap the rate.
   */
  int n = receiving(h) ? drain_packets(h) : 0;
  h->last_read_ns = uv_hrtime();
  if (n < DRAIN_CAP && still_streaming(n, h->burst_pause_ms) && receiving(h) && start_resume_timer(h, n)) return;
  resume_polling(h);
}

static void pause_polling(dp_handle *h) {
  if (!receiving(h)) return;
  h->burst_pause_ms = 0;
  if (!start_resume_timer(h, 0)) return;
  uv_poll_stop(&h->poll);
}

static void on_packet_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  dp_handle *h = (dp_handle *)poll->data;
  if (status < 0) {
    int err = take_socket_error(h, on_packet_readable);
    /* POLLERR without a pending error should not happen; report it rather than spin silently. */
    deliver(h, NULL, -(err != 0 ? err : EIO));
  }
  uint64_t now = uv_hrtime();
  bool close_behind = h->last_read_ns != 0 && now - h->last_read_ns < (uint64_t)WAKE_GAP_MS * 1000000u;
  h->last_read_ns = now;
  int n = drain_packets(h);
  if (n > 0 && n < DRAIN_CAP && (n >= BURST_FRAMES || close_behind)) pause_polling(h);
}

/* start(handle, callback): callback(records, count) per batch, callback(null, -errno) on error */
napi_value js_start(napi_env env, napi_callback_info info) {
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
  napi_value records;
  void *data = NULL;
  NAPI_OK(env, napi_create_buffer(env, (size_t)BATCH_SIZE * RECORD_SIZE, &data, &records));
  NAPI_OK(env, napi_create_reference(env, records, 1, &h->records_ref));
  h->records = data;
  start_polling(env, h, argv[1], "dupip:packet", on_packet_readable);
  return NULL;
}
