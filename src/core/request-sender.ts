/**
 * Which of the host's own addresses an ordinary ARP request for a delegate held elsewhere goes out
 * from (its sender IP). Never 0.0.0.0 and never the delegate itself: either would be an RFC 5227
 * probe or a claim, which a host taking the delegate over treats as a conflict (RFC 5227 §2.1.1).
 */
import type { IpAddress } from './address.js';
import { type ArpFrame, probeFrame, requestFrame } from './arp.js';
import { type Ipv4, inSubnet } from './ipv4.js';
import type { Mac } from './mac.js';
import type { HostAddress } from './watchlist.js';

/**
 * Prefers an address in the delegate's subnet (the holder's kernel answers it on the segment, and
 * the neighbour entry it learns is one it uses anyway), then any other; addresses that are
 * themselves delegates (they may move away) only when nothing else is left. Null when the
 * interface has no IPv4 address of its own: then nothing may be sent.
 */
export function requestSender(addresses: readonly HostAddress[], target: Ipv4, delegates: ReadonlySet<IpAddress>): Ipv4 | null {
  let best: Ipv4 | null = null;
  let bestRank = Infinity;
  for (const a of addresses) {
    if (a.address === target || a.address === 0) continue;
    const rank = (delegates.has(a.address) ? 2 : 0) + (inSubnet(target, a.address, a.prefixLength) ? 0 : 1);
    if (rank < bestRank) [best, bestRank] = [a.address, rank];
  }
  return best;
}

/**
 * The frame a probe round opens with: an RFC 5227 probe for an address this host holds; for one
 * held elsewhere an ordinary request, or null when there is no address to send it from.
 */
export function roundFrame(held: boolean, mac: Mac, address: Ipv4, addresses: readonly HostAddress[], delegates: ReadonlySet<IpAddress>): ArpFrame | null {
  if (held) return probeFrame(mac, address);
  const sender = requestSender(addresses, address, delegates);
  return sender === null ? null : requestFrame(mac, sender, address);
}
