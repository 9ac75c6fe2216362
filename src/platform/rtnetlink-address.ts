/**
 * Parser of an rtnetlink RTM_GETADDR dump (linux/netlink.h, linux/rtnetlink.h,
 * linux/if_addr.h), as the addon's dumpAddresses() returns it: the kernel's messages one after
 * another, each an nlmsghdr, an ifaddrmsg and its attributes, up to NLMSG_DONE.
 *
 * Pure: bytes in, addresses out; no socket. It never throws: a message it cannot read is
 * counted in `malformed` and skipped (its length field still says where the next one starts; a
 * length that cannot be trusted ends the walk). Multi-byte fields are in the host's byte order
 * (netlink is not a wire format); `littleEndian` defaults to this machine's.
 *
 * Why netlink and not getifaddrs(): only IFA_FLAGS says whether an IPv6 address is tentative
 * (DAD still running), dadfailed, optimistic, temporary or deprecated (field notes §6).
 */
import { endianness } from 'node:os';
import { type Ipv6, readIpv6 } from '../core/ipv6.js';

export const NLMSG_HEADER_LENGTH = 16;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const RTM_NEWADDR = 20;
export const IFADDRMSG_LENGTH = 8;
export const AF_INET6 = 10;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_CACHEINFO = 6;
export const IFA_FLAGS = 8;

/** linux/if_addr.h address flags (IFA_F_*); ifa_flags holds the low 8, IFA_FLAGS all 32. */
export const IFA_F = {
  TEMPORARY: 0x01,
  NODAD: 0x02,
  OPTIMISTIC: 0x04,
  DADFAILED: 0x08,
  HOMEADDRESS: 0x10,
  DEPRECATED: 0x20,
  TENTATIVE: 0x40,
  PERMANENT: 0x80,
  MANAGETEMPADDR: 0x100,
  NOPREFIXROUTE: 0x200,
  MCAUTOJOIN: 0x400,
  STABLE_PRIVACY: 0x800,
} as const;

/** linux/rtnetlink.h rt_scope_t, as `ip addr` names them. */
export type AddressScope = 'global' | 'site' | 'link' | 'host' | 'nowhere' | `scope-${number}`;
const SCOPES: Readonly<Record<number, AddressScope>> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };

/** An IPv6 address as the kernel reports it, with what it says about its state. */
export interface Ipv6HostAddress {
  ifindex: number;
  address: Ipv6;
  prefixLength: number;
  scope: AddressScope;
  /** The 32-bit IFA_FLAGS (or the 8-bit ifa_flags when the attribute is absent). */
  flags: number;
  /** DAD is running: not usable yet (an optimistic one is usable, RFC 4429). */
  tentative: boolean;
  /** DAD found another holder; the kernel keeps it tentative for ever. */
  dadFailed: boolean;
  optimistic: boolean;
  /** A privacy address (RFC 8981). */
  temporary: boolean;
  /** Preferred lifetime over: kept for existing connections only. */
  deprecated: boolean;
  /** Configured by hand or a tool (no lifetimes), not by SLAAC. */
  permanent: boolean;
  /** Preferred and valid lifetime in seconds, null for "forever" (or when not reported). */
  preferredSeconds: number | null;
  validSeconds: number | null;
}

export interface AddressDump {
  addresses: Ipv6HostAddress[];
  /** Messages that were not a readable RTM_NEWADDR (and were skipped). */
  malformed: number;
  /** The dump ended with NLMSG_DONE. */
  complete: boolean;
  /** The positive errno of an NLMSG_ERROR that ended the dump, else 0. */
  error: number;
}

const INFINITY_LIFETIME = 0xffffffff;

/** Parses the IPv6 addresses of one dump; messages of another family are skipped, not counted. */
export function parseAddressDump(bytes: Uint8Array, littleEndian: boolean = endianness() === 'LE'): AddressDump {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: AddressDump = { addresses: [], malformed: 0, complete: false, error: 0 };
  let at = 0;
  while (at + NLMSG_HEADER_LENGTH <= bytes.length) {
    const length = view.getUint32(at, littleEndian);
    const type = view.getUint16(at + 4, littleEndian);
    if (length < NLMSG_HEADER_LENGTH || at + length > bytes.length) {
      out.malformed++;
      break; // the rest cannot be framed
    }
    if (type === NLMSG_DONE) {
      out.complete = true;
      break;
    }
    if (type === NLMSG_ERROR) {
      // struct nlmsgerr: int error (negative errno), then the request's header.
      out.error = length >= NLMSG_HEADER_LENGTH + 4 ? -view.getInt32(at + NLMSG_HEADER_LENGTH, littleEndian) : 0;
      if (out.error === 0) out.malformed++;
      break;
    }
    if (type === RTM_NEWADDR) {
      const parsed = parseNewAddr(bytes, view, at + NLMSG_HEADER_LENGTH, at + length, littleEndian);
      if (parsed === 'other-family') {
        /* an IPv4 address in a mixed dump: not ours to count */
      } else if (parsed === null) out.malformed++;
      else out.addresses.push(parsed);
    } else {
      out.malformed++;
    }
    at += align4(length);
  }
  return out;
}

function parseNewAddr(bytes: Uint8Array, view: DataView, start: number, end: number, le: boolean): Ipv6HostAddress | null | 'other-family' {
  if (start + IFADDRMSG_LENGTH > end) return null;
  const family = view.getUint8(start);
  if (family !== AF_INET6) return 'other-family';
  const prefixLength = view.getUint8(start + 1);
  let flags = view.getUint8(start + 2);
  const scopeNumber = view.getUint8(start + 3);
  const ifindex = view.getUint32(start + 4, le);
  if (prefixLength > 128 || ifindex === 0) return null;
  let address: Ipv6 | null = null;
  let local: Ipv6 | null = null;
  let preferredSeconds: number | null = null;
  let validSeconds: number | null = null;
  let at = start + IFADDRMSG_LENGTH;
  while (at + 4 <= end) {
    const len = view.getUint16(at, le);
    const type = view.getUint16(at + 2, le) & 0x3fff; // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (len < 4 || at + len > end) return null;
    const data = at + 4;
    const size = len - 4;
    if (type === IFA_ADDRESS || type === IFA_LOCAL) {
      if (size !== 16) return null;
      if (type === IFA_ADDRESS) address = readIpv6(bytes, data);
      else local = readIpv6(bytes, data);
    } else if (type === IFA_FLAGS) {
      if (size !== 4) return null;
      flags = view.getUint32(data, le);
    } else if (type === IFA_CACHEINFO) {
      if (size < 8) return null;
      const preferred = view.getUint32(data, le);
      const valid = view.getUint32(data + 4, le);
      preferredSeconds = preferred === INFINITY_LIFETIME ? null : preferred;
      validSeconds = valid === INFINITY_LIFETIME ? null : valid;
    }
    at += align4(len);
  }
  // With a peer (point-to-point), IFA_LOCAL is ours and IFA_ADDRESS the peer's.
  const own = local ?? address;
  if (own === null) return null;
  return {
    ifindex,
    address: own,
    prefixLength,
    scope: SCOPES[scopeNumber] ?? `scope-${scopeNumber}`,
    flags,
    tentative: (flags & IFA_F.TENTATIVE) !== 0,
    dadFailed: (flags & IFA_F.DADFAILED) !== 0,
    optimistic: (flags & IFA_F.OPTIMISTIC) !== 0,
    temporary: (flags & IFA_F.TEMPORARY) !== 0,
    deprecated: (flags & IFA_F.DEPRECATED) !== 0,
    permanent: (flags & IFA_F.PERMANENT) !== 0,
    preferredSeconds,
    validSeconds,
  };
}

const align4 = (n: number): number => (n + 3) & ~3;
