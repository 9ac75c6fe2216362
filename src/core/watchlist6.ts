/**
 * Which IPv6 addresses of an interface are watched as own addresses, and where an IPv6 delegate is
 * held (the IPv6 half of watchlist.ts). By default every global and unique-local address once its
 * DAD has completed; privacy (temporary) and deprecated addresses are skipped, and link-local ones
 * too (each host makes its own from its MAC, and the kernel's DAD already checked it), unless the
 * configuration says otherwise. An address whose DAD failed is watched as a conflict: another host
 * has it (the kernel's verdict). Pure.
 */
import { type Ipv6, inPrefix, isLinkLocal, isMulticast, isUnspecified } from './ipv6.js';

/** An IPv6 address of the host as the platform reads it (platform/rtnetlink-address.ts). */
export interface HostAddress6 {
  address: Ipv6;
  prefixLength: number;
  scope: string;
  tentative: boolean;
  dadFailed: boolean;
  optimistic: boolean;
  temporary: boolean;
  deprecated: boolean;
}

export interface Ipv6WatchPolicy {
  /** Watch IPv6 at all (own addresses and the ND socket); IPv6 delegates are watched whatever this says. */
  enabled: boolean;
  linkLocal: boolean;
  temporary: boolean;
  deprecated: boolean;
}

export const DEFAULT_IPV6_POLICY: Ipv6WatchPolicy = { enabled: true, linkLocal: false, temporary: false, deprecated: false };

/** The host has the address now: DAD done (optimistic counts, RFC 4429), not failed. */
export function usable6(a: HostAddress6): boolean {
  return !a.dadFailed && (!a.tentative || a.optimistic);
}

/** What an own IPv6 address is to the watch list: watched (held), watched as dadfailed, or not watched. */
export function ownIpv6Status(a: HostAddress6, policy: Ipv6WatchPolicy): 'held' | 'dadfailed' | 'skip' {
  if (!policy.enabled || isUnspecified(a.address) || isMulticast(a.address) || a.scope === 'host') return 'skip';
  if (isLinkLocal(a.address) && !policy.linkLocal) return 'skip';
  if (a.temporary && !policy.temporary) return 'skip';
  if (a.deprecated && !policy.deprecated) return 'skip';
  if (a.dadFailed) return 'dadfailed';
  return usable6(a) ? 'held' : 'skip'; // tentative: once DAD completes
}

/** The usable link-local address of an interface: the source of ordinary NSs. */
export function linkLocal6(addresses: readonly HostAddress6[]): Ipv6 | null {
  return addresses.find((a) => isLinkLocal(a.address) && usable6(a))?.address ?? null;
}

/** An interface with an IPv6 prefix (other than link-local) that contains `address`. */
export function onLink6(addresses: readonly HostAddress6[], address: Ipv6): boolean {
  return addresses.some((a) => a.address !== address && !isLinkLocal(a.address) && inPrefix(address, a.address, a.prefixLength));
}
