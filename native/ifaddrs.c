/*
 * ifaddrs.c — ipv4Addresses(): getifaddrs(), every IPv4 address whatever its
 * interface's state.
 */
#include "dupip.h"

/* ---- dumpAddresses(family): the raw RTM_GETADDR dump --------------------- */

#define DUMP_MAX_BYTES (16 * 1024 * 1024) /* bound the memory a huge address list can take */

/*
 * Sends one RTM_GETADDR dump request and returns every message of the answer,
 * concatenated, up to and including NLMSG_DONE (or the NLMSG_ERROR). Nothing
 * is interpreted here but the end of the dump: TypeScript parses the bytes.
 * Synchronous: a dump of a host's addresses takes well under a millisecond.
 */
napi_value js_dump_addresses(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t family = 0;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != AF_INET && family != AF_INET6)) {
    throw_type(env, "family must be AF_INET (2) or AF_INET6 (10)");
    return NULL;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    throw_errno(env, errno, "socket");
    return NULL;
  }
  struct {
    struct nlmsghdr header;
    struct ifaddrmsg message;
  } request;
  memset(&request, 0, sizeof request);
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_GETADDR;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = 1;
  request.message.ifa_family = (unsigned char)family;
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd, &request, sizeof request, 0, (struct sockaddr *)&kernel, sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "sendto");
    return NULL;
  }
  size_t capacity = 65536, used = 0;
  uint8_t *bytes = malloc(capacity);
  bool done = false;
  int err = 0;
  while (bytes != NULL && !done) {
    if (capacity - used < 32768) {
      if (capacity >= DUMP_MAX_BYTES) {
        err = EMSGSIZE;
        break;
      }
      uint8_t *bigger = realloc(bytes, capacity * 2);
      if (bigger == NULL) {
        err = ENOMEM;
        break;
      }
      bytes = bigger;
      capacity *= 2;
    }
    ssize_t r = recv(fd, bytes + used, capacity - used, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (r == 0) break;
    /* Walk this datagram's messages only to find the end of the dump. */
    size_t at = used;
    used += (size_t)r;
    while (at + sizeof(struct nlmsghdr) <= used) {
      const struct nlmsghdr *m = (const struct nlmsghdr *)(bytes + at);
      if (m->nlmsg_len < sizeof(struct nlmsghdr) || at + m->nlmsg_len > used) break;
      if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR) done = true;
      at += NLMSG_ALIGN(m->nlmsg_len);
    }
  }
  close(fd);
  if (bytes == NULL) err = ENOMEM;
  if (err != 0) {
    free(bytes);
    throw_errno(env, err, "recv");
    return NULL;
  }
  void *copy;
  napi_status status = napi_create_buffer_copy(env, used, bytes, &copy, &result);
  free(bytes);
  NAPI_OK(env, status);
  return result;
}

/* ---- ipv4Addresses(): getifaddrs() without libuv's up-and-running filter -- */

napi_value js_ipv4_addresses(napi_env env, napi_callback_info info) {
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
