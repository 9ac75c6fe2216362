/** Which IPv6 addresses are watched (watchlist6.ts through deriveWatchList), and where IPv6 delegates go. */
import { describe, expect, it } from 'vitest';
import { deriveWatchList, type HostInterface, type WatchConfig } from '../../src/core/watchlist.js';
import { DEFAULT_IPV6_POLICY, type HostAddress6, ownIpv6Status } from '../../src/core/watchlist6.js';
import { ip, ip6 } from '../support/fake-world.js';

const a6 = (text: string, p: Partial<HostAddress6> = {}): HostAddress6 => ({
  address: ip6(text),
  prefixLength: 64,
  scope: text.startsWith('fe80') ? 'link' : 'global',
  tentative: false,
  dadFailed: false,
  optimistic: false,
  temporary: false,
  deprecated: false,
  ...p,
});

const host: HostInterface[] = [
  { name: 'lo', ifindex: 1, mac: '00:00:00:00:00:00', up: true, loopback: true, noArp: false, addresses: [], ipv6: [a6('::1', { prefixLength: 128, scope: 'host' })] },
  {
    name: 'eth0',
    ifindex: 2,
    mac: '02:00:00:00:00:01',
    up: true,
    loopback: false,
    noArp: false,
    addresses: [{ address: ip('192.0.2.10'), prefixLength: 24 }],
    ipv6: [
      a6('fe80::1'),
      a6('2001:db8::10'),
      a6('fd00::10'),
      a6('2001:db8::11', { tentative: true }),
      a6('2001:db8::12', { tentative: true, optimistic: true }),
      a6('2001:db8::13', { tentative: true, dadFailed: true }),
      a6('2001:db8::14', { temporary: true }),
      a6('2001:db8::15', { deprecated: true }),
    ],
  },
  // IPv6 only: watched for its IPv6 addresses
  { name: 'eth1', ifindex: 3, mac: '02:00:00:00:00:02', up: true, loopback: false, noArp: false, addresses: [], ipv6: [a6('fe80::2'), a6('2001:db8:1::7')] },
];
const base: WatchConfig = { interfaces: [], ownAddresses: true, excludeAddresses: [], delegates: [] };
const own6 = (w: ReturnType<typeof deriveWatchList>) => w.specs.filter((s) => typeof s.address === 'string').map((s) => [s.ifname, s.address, s.dadFailed === true]);

describe('IPv6 in the watch list', () => {
  it('by default: global and unique-local addresses once DAD is done (optimistic counts), dadfailed ones as such; no link-local, temporary, deprecated or tentative', () => {
    const w = deriveWatchList(base, host);
    expect(w.interfaces.map((i) => i.name)).toEqual(['eth0', 'eth1']);
    expect(own6(w)).toEqual([
      ['eth0', ip6('2001:db8::10'), false],
      ['eth0', ip6('fd00::10'), false],
      ['eth0', ip6('2001:db8::12'), false],
      ['eth0', ip6('2001:db8::13'), true],
      ['eth1', ip6('2001:db8:1::7'), false],
    ]);
    expect(w.interfaces.map((i) => i.linkLocal)).toEqual([ip6('fe80::1'), ip6('fe80::2')]);
    expect(w.problems).toEqual([expect.stringMatching(/^2001:db8::13 on eth0: the kernel's duplicate address detection failed \(dadfailed\)/)]);
  });

  it('link-local, temporary and deprecated addresses on request; none with ipv6 off', () => {
    const w = deriveWatchList({ ...base, ipv6: { enabled: true, linkLocal: true, temporary: true, deprecated: true } }, host);
    expect(own6(w).map((s) => s[1])).toEqual(['fe80::1', '2001:db8::10', 'fd00::10', '2001:db8::12', '2001:db8::13', '2001:db8::14', '2001:db8::15', 'fe80::2', '2001:db8:1::7'].map(ip6));
    const off = deriveWatchList({ ...base, ipv6: { ...DEFAULT_IPV6_POLICY, enabled: false } }, host);
    expect(own6(off)).toEqual([]);
    expect(off.interfaces.map((i) => i.name)).toEqual(['eth0']);
  });

  it('IPv6 delegates: placed by on-link prefix, held when an interface has it usable, never listed as own', () => {
    const w = deriveWatchList(
      { ...base, ipv6: { ...DEFAULT_IPV6_POLICY, enabled: false }, delegates: [{ address: ip6('2001:db8:1::99'), allowedMacs: [] }, { address: ip6('2001:db8::10'), allowedMacs: [] }, { address: ip6('2001:db8:ff::1'), allowedMacs: [] }] },
      host,
    );
    expect(w.specs.filter((s) => s.role === 'delegate').map((s) => [s.ifname, s.address, s.held])).toEqual([
      ['eth1', ip6('2001:db8:1::99'), false],
      ['eth0', ip6('2001:db8::10'), true],
    ]);
    expect(w.problems).toEqual(['delegate 2001:db8:ff::1: no monitored interface has a subnet that contains it; set its interface']);
    const withOwn = deriveWatchList({ ...base, delegates: [{ address: ip6('2001:db8::10'), allowedMacs: [] }] }, host);
    expect(withOwn.specs.filter((s) => s.address === ip6('2001:db8::10')).map((s) => s.role)).toEqual(['delegate']);
  });

  it('ownIpv6Status: multicast, unspecified and host-scope addresses are never own', () => {
    for (const t of ['ff02::1', '::']) expect(ownIpv6Status(a6(t), DEFAULT_IPV6_POLICY)).toBe('skip');
    expect(ownIpv6Status(a6('::1', { scope: 'host' }), DEFAULT_IPV6_POLICY)).toBe('skip');
  });
});
