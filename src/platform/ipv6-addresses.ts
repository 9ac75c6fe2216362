/**
 * The host's IPv6 addresses with their kernel state (tentative, dadfailed, optimistic, temporary,
 * deprecated, scope), read at the edge: one rtnetlink RTM_GETADDR dump through the addon
 * (native/packet.c dumpAddresses), parsed in TypeScript (rtnetlink-address.ts).
 */
import { type Ipv6 } from '../core/ipv6.js';
import { loadNative, type NativeBinding } from './native.js';
import { AF_INET6, type Ipv6HostAddress, parseAddressDump } from './rtnetlink-address.js';

export type { Ipv6HostAddress };

export class AddressDumpError extends Error {
  override name = 'AddressDumpError';
}

/**
 * Every IPv6 address of every interface (whatever the interface's state). Throws an
 * AddressDumpError when the kernel refused the dump or the addon is too old to make one.
 */
export function readIpv6Addresses(binding?: NativeBinding): Ipv6HostAddress[] {
  const native = binding ?? loadNative();
  if (typeof native.dumpAddresses !== 'function') throw new AddressDumpError('the native addon cannot dump addresses: rebuild it (node-gyp rebuild)');
  let bytes: Buffer;
  try {
    bytes = native.dumpAddresses(AF_INET6);
  } catch (err) {
    throw new AddressDumpError(`rtnetlink RTM_GETADDR: ${(err as Error).message}`);
  }
  const dump = parseAddressDump(bytes);
  if (dump.error !== 0) throw new AddressDumpError(`rtnetlink RTM_GETADDR: the kernel answered errno ${dump.error}`);
  if (!dump.complete) throw new AddressDumpError('rtnetlink RTM_GETADDR: the dump ended early');
  return dump.addresses;
}

/** An address that is this host's now: configured, DAD done (optimistic counts: RFC 4429), not failed. */
export function isUsable(a: Ipv6HostAddress): boolean {
  return !a.dadFailed && (!a.tentative || a.optimistic);
}

/** The usable link-local address of an interface, for the source of an ordinary NS; null if none. */
export function linkLocalOf(addresses: readonly Ipv6HostAddress[], ifindex: number): Ipv6 | null {
  return addresses.find((a) => a.ifindex === ifindex && a.scope === 'link' && isUsable(a))?.address ?? null;
}
