/**
 * The real IPv6 side of the daemon (src/daemon/nd-sockets.ts NdPlatform): AF_PACKET sockets for
 * ETH_P_IPV6 with the ND kernel filter, the RTM_GETADDR dump of the host's IPv6 addresses, and
 * multicast membership through one udp6 socket.
 */
import type { Logger } from 'pino';
import { buildNdFilter } from '../core/bpf-ndp.js';
import type { NdPlatform } from '../daemon/nd-sockets.js';
import { readIpv6Addresses } from '../platform/ipv6-addresses.js';
import { MulticastGroups } from '../platform/multicast-groups.js';
import { openPacketSocket } from '../platform/packet-socket.js';

export function ndPlatform(logger: Logger): NdPlatform {
  let groups: MulticastGroups | null = null;
  return {
    openSocket: (ifindex) => openPacketSocket(ifindex, { protocol: 'ipv6' }),
    buildFilter: (watched, ifindex) => buildNdFilter({ watched, ifindex }),
    readAddresses: () => readIpv6Addresses(),
    joinGroup: (group, ifname) => {
      groups ??= new MulticastGroups((err) => logger.warn({ event: 'multicast-error', err: err.message }, `IPv6 multicast membership: ${err.message}`));
      return groups.join(group, ifname);
    },
  };
}
