/*
 * ifaddrs.c — ipv4Addresses(): getifaddrs(), every IPv4 address whatever its
 * interface's state.
 */
#include "dupip.h"

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
