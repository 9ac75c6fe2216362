/**
 * Packet types the kernel reports for a frame on an AF_PACKET socket (sll_pkttype, the same value a
 * classic BPF filter reads at SKF_AD_OFF + SKF_AD_PKTTYPE): linux/if_packet.h. The one place these
 * numbers are written; the socket layer, the kernel filter and the probe session import them.
 */

/** To this host (unicast to our MAC). */
export const PACKET_HOST = 0;
/** To every host (Ethernet broadcast). */
export const PACKET_BROADCAST = 1;
/** To a multicast group. */
export const PACKET_MULTICAST = 2;
/** To another host (seen only in promiscuous mode or on a bridge port). */
export const PACKET_OTHERHOST = 3;
/** Sent by this host (looped back to packet sockets). */
export const PACKET_OUTGOING = 4;
