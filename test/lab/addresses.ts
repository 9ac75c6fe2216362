/**
 * The lab only ever uses the RFC 5737 documentation ranges. Everything that hands an address to
 * the lab goes through these checks, which throw on anything else.
 */
import { formatIpv4, inSubnet, parseIpv4, type Ipv4 } from '../../src/core/ipv4.js';

export const DOCUMENTATION_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'] as const;

const RANGES: ReadonlyArray<Ipv4> = DOCUMENTATION_RANGES.map((r) => parseIpv4(r.split('/')[0]!)!);

export class NonDocumentationAddressError extends Error {
  constructor(text: string, why: string) {
    super(`lab: refusing address "${text}": ${why}; only ${DOCUMENTATION_RANGES.join(', ')} may be used`);
    this.name = 'NonDocumentationAddressError';
  }
}

export function isDocumentationAddress(ip: Ipv4): boolean {
  return RANGES.some((r) => inSubnet(ip, r, 24));
}

/** Checks a bare address ("192.0.2.10"); returns it normalised. */
export function assertDocumentationAddress(text: string): string {
  const ip = parseIpv4(text);
  if (ip === null) throw new NonDocumentationAddressError(text, 'not a dotted-quad IPv4 address');
  if (!isDocumentationAddress(ip)) throw new NonDocumentationAddressError(text, 'outside the documentation ranges');
  return formatIpv4(ip);
}

export interface DocCidr {
  address: string;
  prefixLength: number;
  /** "192.0.2.10/24" */
  cidr: string;
}

/**
 * Checks "address/len" (a bare address means /24). The prefix length must be 24..32, so that the
 * whole subnet, and therefore the route the kernel installs for it, stays inside one range.
 */
export function assertDocumentationCidr(text: string): DocCidr {
  const [addr, len, ...rest] = text.split('/');
  if (addr === undefined || rest.length > 0) throw new NonDocumentationAddressError(text, 'not address/prefix');
  const address = assertDocumentationAddress(addr);
  const prefixLength = len === undefined ? 24 : Number(len);
  if (len !== undefined && !/^\d{1,2}$/.test(len)) throw new NonDocumentationAddressError(text, 'bad prefix length');
  if (prefixLength < 24 || prefixLength > 32) {
    throw new NonDocumentationAddressError(text, `prefix /${prefixLength} would reach outside the range (use /24../32)`);
  }
  return { address, prefixLength, cidr: `${address}/${prefixLength}` };
}
