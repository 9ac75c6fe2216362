/*
 * dupip_packet — the thin native edge of dupip.
 *
 * This addon only wraps system calls that Node.js cannot make by itself:
 *   - an AF_PACKET / SOCK_DGRAM socket on one interface: for ARP bound to ETH_P_ALL
 *     (a tap: only a tap sees the VLAN tag of a frame of another VLAN, see
 *     src/core/bpf.ts; the filter keeps ARP only), for IPv6 bound to ETH_P_IPV6
 *     (frames of a VLAN without a device arrive as PACKET_OTHERHOST, which the ND
 *     filter drops, see src/core/bpf-ndp.ts); with PACKET_AUXDATA,
 *     with a classic BPF filter (SO_ATTACH_FILTER), sendto(), batched sendmmsg() and batched
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
 *   open(ifindex, initialProgram?, protocol?) -> handle   protocol ETH_P_ARP (default)
 *                 or ETH_P_IPV6; throws Error{code, errno, syscall}
 *   setFilter(handle, program)                   throws Error{code, errno, syscall}
 *   send(handle, payload, dstMac) -> 0 | errno   never throws for send errors; the frame
 *                 carries the protocol the socket was opened for
 *   sendBatch(handle, payloads[], dstMacs[], results)   the frames of one tick with one
 *                 sendmmsg() per 64: results (Int32Array) gets 0 | errno per frame;
 *                 never throws for send errors
 *   start(handle, callback)                      callback(records, count) / callback(null, -errno);
 *                 records is one Buffer made by start() and reused for every batch: valid
 *                 during the callback only (JS copies what it keeps)
 *   close(handle)                                idempotent
 *   stats(handle) -> {packets, drops}            kernel counters, reset by each read
 *   setReceiveBuffer(handle, bytes, force) -> 0 | errno   SO_RCVBUF (SO_RCVBUFFORCE
 *                 when force: needs CAP_NET_ADMIN); never throws for the setsockopt
 *   receiveBuffer(handle) -> bytes               SO_RCVBUF as the kernel reports it
 *                 (twice what was set: it includes the kernel's bookkeeping)
 *   watchLinks(callback) -> handle               callback(0, bytes, lost) on change,
 *                                                callback(-errno, null, true) on error
 *   stopWatch(handle)
 *   flushWatch(handle)                           reads what is queued now; the callback
 *                 runs before it returns (nothing queued: no callback)
 *   dumpAddresses(family) -> Buffer              the raw rtnetlink RTM_GETADDR dump
 *                 (AF_INET6 or AF_INET): every RTM_NEWADDR message as the kernel sent it,
 *                 parsed in TypeScript (src/platform/rtnetlink-address.ts)
 *   ipv4Addresses() -> [{name, address, prefixLength}]   getifaddrs(), every
 *                 interface whatever its state (libuv's list skips interfaces
 *                 that are down, and dupip must keep watching through a flap)
 *   RECORD_SIZE, RECORD_PAYLOAD_OFFSET, RECORD_PAYLOAD_MAX
 *
 * Receive record layout (RECORD_SIZE = 144 bytes per frame, `count` records per
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
 *                 not the socket's protocol (ETH_P_ARP or ETH_P_IPV6); other bits 0
 *        4     4  ifindex the frame arrived on (sll_ifindex)
 *        8     6  link-layer source address (sll_addr; zero-filled if shorter)
 *       14     2  the VLAN TCI (tp_vlan_tci; 0 unless bit 0 of the flags is set)
 *       16   128  the first min(length, 128) payload bytes (the ARP or IPv6
 *                 header onwards: SOCK_DGRAM strips the Ethernet header); rest
 *                 zero. 128 holds an NS/NA with its options (72-104 bytes) and
 *                 a hop-by-hop header; the real length says when it was cut.
 */

/* module.c — registers the functions and constants listed above (init). */
#include "dupip.h"

/* ---- module ---------------------------------------------------------------- */

static napi_value init(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } functions[] = {
      {"open", js_open},       {"setFilter", js_set_filter}, {"send", js_send},
      {"sendBatch", js_send_batch},
      {"start", js_start},     {"close", js_close},
      {"stats", js_stats},     {"watchLinks", js_watch_links}, {"stopWatch", js_stop_watch},
      {"flushWatch", js_flush_watch},
      {"ipv4Addresses", js_ipv4_addresses}, {"dumpAddresses", js_dump_addresses},
      {"setReceiveBuffer", js_set_receive_buffer}, {"receiveBuffer", js_receive_buffer},
  };
  static const struct {
    const char *name;
    int32_t value;
  } constants[] = {
      {"RECORD_SIZE", RECORD_SIZE},
      {"RECORD_PAYLOAD_OFFSET", RECORD_PAYLOAD_OFFSET},
      {"RECORD_PAYLOAD_MAX", RECORD_PAYLOAD_MAX},
      {"ETH_P_ARP", ETH_P_ARP},
      {"ETH_P_IPV6", ETH_P_IPV6},
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
