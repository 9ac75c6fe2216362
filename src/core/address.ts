/**
 * An address of either family, as the family-neutral parts of the core (entries, watch specs,
 * observations, events, keys and labels) carry it. An Ipv4 is a number and an Ipv6 a branded
 * string of 32 hex digits, so the two never collide as Map keys and the family is one `typeof`.
 * Text for people comes only from formatAddress (dotted quad, or RFC 5952 for IPv6).
 */
import { type Ipv4, formatIpv4, parseIpv4 } from './ipv4.js';
import { type Ipv6, formatIpv6, parseIpv6 } from './ipv6.js';

export type IpAddress = Ipv4 | Ipv6;
export type Family = 'ipv4' | 'ipv6';

export function familyOf(a: IpAddress): Family {
  return typeof a === 'number' ? 'ipv4' : 'ipv6';
}

export const isIpv4 = (a: IpAddress): a is Ipv4 => typeof a === 'number';
export const isIpv6 = (a: IpAddress): a is Ipv6 => typeof a === 'string';

/** Dotted quad for IPv4, RFC 5952 canonical text for IPv6. */
export function formatAddress(a: IpAddress): string {
  return typeof a === 'number' ? formatIpv4(a) : formatIpv6(a);
}

/** Dotted quad or any RFC 4291 text form (no zone); null for anything else. */
export function parseAddress(text: string): IpAddress | null {
  return parseIpv4(text) ?? (text.includes(':') ? parseIpv6(text) : null);
}

/** Numeric order within a family, IPv4 before IPv6. */
export function compareAddress(a: IpAddress, b: IpAddress): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
