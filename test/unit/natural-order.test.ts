/**
 * compareNatural (src/core/natural-order.ts) orders as Intl.Collator('en', { numeric: true }) does,
 * without creating the collator for printable ASCII.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareNatural } from '../../src/core/natural-order.js';

const collator = new Intl.Collator('en', { numeric: true });
const sign = (n: number) => Math.sign(n);

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((n) => String.fromCharCode(n));
/** Printable ASCII, with digits, zeros, case pairs and the separators of addresses weighted up. */
const char = fc.oneof(printable, fc.constantFrom('0', '0', '1', '9', '.', ':', '-', '_', 'a', 'A', 'e', 'E'));
const text = fc.array(char, { maxLength: 14 }).map((a) => a.join(''));
const label = fc.oneof(
  fc.tuple(fc.constantFrom('eth', 'ens', 'veth', 'bond', 'br-', 'Eth'), fc.nat(120)).map(([p, n]) => `${p}${n}`),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.')),
  fc.array(fc.nat(0xffff), { minLength: 1, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':')),
);

describe('compareNatural', () => {
  it('agrees with the collator on printable ASCII strings', () => {
    fc.assert(fc.property(text, text, (a, b) => sign(compareNatural(a, b)) === sign(collator.compare(a, b))), { numRuns: 20_000 });
  });

  it('agrees with the collator on interface names and addresses', () => {
    fc.assert(fc.property(label, label, (a, b) => sign(compareNatural(a, b)) === sign(collator.compare(a, b))), { numRuns: 5_000 });
  });

  it('agrees with the collator outside ASCII (it asks the collator)', () => {
    const pairs = [['été', 'ete'], ['eth0', 'éth0'], ['a\tb', 'ab'], ['ünïcode', 'unicode']];
    for (const [a, b] of pairs) expect(sign(compareNatural(a!, b!))).toBe(sign(collator.compare(a!, b!)));
  });

  it('sorts as the metrics and the status report expect', () => {
    expect(['eth10', 'eth2', 'Eth2', 'eth1'].sort(compareNatural)).toEqual(['eth1', 'eth2', 'Eth2', 'eth10']);
    expect(['192.0.2.10', '192.0.2.9', '198.51.100.1', '2001:db8::10'].sort(compareNatural)).toEqual(['192.0.2.9', '192.0.2.10', '198.51.100.1', '2001:db8::10']);
    expect(compareNatural('01', '1')).toBe(0);
    expect(compareNatural('a-b', 'ab')).toBe(-1);
  });
});
