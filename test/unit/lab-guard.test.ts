/**
 * The lab guard: the documentation ranges and RFC 2544's 198.18.0.0/15 pass, nothing else does,
 * and the frame-sending tools refuse to run outside a lab namespace whatever the address.
 */
import { describe, expect, it } from 'vitest';
import { assertDocumentationAddress, assertDocumentationCidr, NonDocumentationAddressError } from '../lab/addresses.js';
// @ts-expect-error plain JavaScript module without types
import { assertLabNamespace, documentationIpv4 } from '../tools/lab-guard.mjs';

class Refused extends Error {}
const fail = (why: string): never => {
  throw new Refused(why);
};

describe('lab addresses (test/lab/addresses.ts)', () => {
  it('accepts the benchmarking range 198.18.0.0/15 with prefixes /15../32', () => {
    expect(assertDocumentationAddress('198.18.0.1')).toBe('198.18.0.1');
    expect(assertDocumentationAddress('198.19.255.254')).toBe('198.19.255.254');
    expect(assertDocumentationCidr('198.18.0.1/15').cidr).toBe('198.18.0.1/15');
    expect(assertDocumentationCidr('198.19.3.4/32').cidr).toBe('198.19.3.4/32');
    expect(assertDocumentationCidr('198.18.7.7').cidr).toBe('198.18.7.7/24');
  });

  it('still refuses everything else, and prefixes that reach outside a range', () => {
    const bad = [
      '198.17.255.255', '198.20.0.0', '198.51.101.1', '10.0.0.1', '172.16.0.1', '192.168.1.1', '8.8.8.8', '127.0.0.1',
      '198.18.0.1/14', '198.18.0.1/8', '192.0.2.10/16', '192.0.2.10/23', '198.19.0.1/33', '198.018.0.1', 'eth0', '',
    ];
    for (const text of bad) expect(() => assertDocumentationCidr(text), text).toThrow(NonDocumentationAddressError);
    expect(() => assertDocumentationAddress('198.20.0.1')).toThrow(/198\.18\.0\.0\/15/);
  });
});

describe('frame-sending tools guard (test/tools/lab-guard.mjs)', () => {
  it('accepts 198.18.x.x and 198.19.x.x beside the documentation ranges', () => {
    expect(documentationIpv4('198.18.0.1', 'address', fail)).toEqual([198, 18, 0, 1]);
    expect(documentationIpv4('198.19.255.1', 'address', fail)).toEqual([198, 19, 255, 1]);
    expect(documentationIpv4('203.0.113.9', 'address', fail)).toEqual([203, 0, 113, 9]);
  });

  it('refuses any other address', () => {
    for (const text of ['198.17.0.1', '198.20.0.1', '198.1.0.1', '198.180.0.1', '10.0.0.1', '192.168.0.1', '1.2.3.4', '198.18.0.256', '198.18.0']) {
      expect(() => documentationIpv4(text, 'address', fail), text).toThrow(Refused);
    }
  });

  it('refuses to send from the machine’s own network namespace, whatever the address', () => {
    // The test runner runs in the root namespace, never in a dupiplab-* one.
    expect(() => assertLabNamespace(fail)).toThrow(/not inside a lab network namespace|cannot tell/);
  });
});
