/**
 * The lab uses the RFC 5737 documentation ranges and, for benchmarks that need thousands of
 * addresses, RFC 2544's benchmarking range 198.18.0.0/15. Everything that hands an address to the
 * lab goes through these checks, which throw on anything else; every address they pass is only
 * ever configured inside the lab's own namespaces (test/lab/namespace.ts, bench/lib/lab-extra.ts).
 */
import { formatIpv4, inSubnet, parseIpv4, type Ipv4 } from '../../src/core/ipv4.js';

export const DOCUMENTATION_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'] as const;
/** RFC 2544 (benchmarking): 131,072 addresses, for scale benchmarks inside lab namespaces only. */
export const BENCHMARK_RANGE = '198.18.0.0/15';

interface LabRange {
  base: Ipv4;
  prefixLength: number;
}
const RANGES: ReadonlyArray<LabRange> = [...DOCUMENTATION_RANGES, BENCHMARK_RANGE].map((r) => {
  const [a, l] = r.split('/');
  return { base: parseIpv4(a!)!, prefixLength: Number(l) };
});

export class NonDocumentationAddressError extends Error {
  constructor(text: string, why: string) {
    super(`lab: refusing address "${text}": ${why}; only ${DOCUMENTATION_RANGES.join(', ')} and ${BENCHMARK_RANGE} may be used`);
    this.name = 'NonDocumentationAddressError';
  }
}

function rangeOf(ip: Ipv4): LabRange | undefined {
  return RANGES.find((r) => inSubnet(ip, r.base, r.prefixLength));
}

/** An address of the documentation ranges or of the benchmarking range. */
export function isDocumentationAddress(ip: Ipv4): boolean {
  return rangeOf(ip) !== undefined;
}

/** Checks a bare address ("192.0.2.10"); returns it normalised. */
export function assertDocumentationAddress(text: string): string {
  const ip = parseIpv4(text);
  if (ip === null) throw new NonDocumentationAddressError(text, 'not a dotted-quad IPv4 address');
  if (!isDocumentationAddress(ip)) throw new NonDocumentationAddressError(text, 'outside the documentation and benchmarking ranges');
  return formatIpv4(ip);
}

export interface DocCidr {
  address: string;
  prefixLength: number;
  /** "192.0.2.10/24" */
  cidr: string;
}

/**
 * Checks "address/len" (a bare address means /24). The prefix length must be no shorter than the
 * range's own (24 for the documentation ranges, 15 for the benchmarking range) and at most 32, so
 * that the whole subnet, and therefore the route the kernel installs for it, stays inside one range.
 */
export function assertDocumentationCidr(text: string): DocCidr {
  const [addr, len, ...rest] = text.split('/');
  if (addr === undefined || rest.length > 0) throw new NonDocumentationAddressError(text, 'not address/prefix');
  const address = assertDocumentationAddress(addr);
  const range = rangeOf(parseIpv4(address)!)!;
  const prefixLength = len === undefined ? 24 : Number(len);
  if (len !== undefined && !/^\d{1,2}$/.test(len)) throw new NonDocumentationAddressError(text, 'bad prefix length');
  if (prefixLength < range.prefixLength || prefixLength > 32) {
    throw new NonDocumentationAddressError(text, `prefix /${prefixLength} would reach outside the range (use /${range.prefixLength}../32)`);
  }
  return { address, prefixLength, cidr: `${address}/${prefixLength}` };
}
