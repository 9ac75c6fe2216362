import { describe, expect, it } from 'vitest';
import { formatIpv4 } from '../../src/core/ipv4.js';
import type { HostInterface } from '../../src/core/watchlist.js';
import { planScan } from '../../src/cli/scan.js';
import { ip } from '../support/fake-world.js';

const ifc = (name: string, addresses: Array<[string, number]>, p: Partial<HostInterface> = {}): HostInterface => ({
  name,
  ifindex: 2,
  mac: '02:00:00:00:00:01',
  up: true,
  loopback: false,
  noArp: false,
  addresses: addresses.map(([a, prefixLength]) => ({ address: ip(a), prefixLength })),
  ...p,
});
const prefix = (text: string) => {
  const [a, l] = text.split('/');
  return { prefix: ip(a!), length: Number(l), text };
};
const HOST = [
  ifc('lo', [['127.0.0.1', 8]], { loopback: true }),
  ifc('eth0', [['192.0.2.1', 24]]),
  ifc('eth1', [['198.51.100.7', 28], ['203.0.113.9', 32]]),
  ifc('wg0', [['203.0.113.65', 26]], { noArp: true }),
];

describe('planScan', () => {
  it('defaults to the subnets of the ARP interfaces, asking from the address in each', () => {
    const plans = planScan(HOST, [], undefined);
    expect(plans.map((p) => [p.ifc.name, formatIpv4(p.sender), p.prefixes, p.targets.length])).toEqual([
      ['eth0', '192.0.2.1', ['192.0.2.0/24'], 254],
      ['eth1', '198.51.100.7', ['198.51.100.0/28'], 14],
    ]);
  });

  it('puts a prefix on the interface whose address is in it, with that address as the sender', () => {
    const [p] = planScan(HOST, [prefix('198.51.100.0/29')], undefined);
    expect(p!.ifc.name).toBe('eth1');
    expect(formatIpv4(p!.sender)).toBe('198.51.100.7');
    expect(p!.targets.map(formatIpv4)).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5', '198.51.100.6']);
  });

  it('refuses what it cannot ask politely: an unknown or non-ARP interface, a prefix with no address of the host', () => {
    expect(() => planScan(HOST, [], 'eth9')).toThrow('interface eth9 does not exist');
    expect(() => planScan(HOST, [], 'wg0')).toThrow('interface wg0 does not use ARP');
    expect(() => planScan(HOST, [prefix('192.0.2.0/24')], 'eth1')).toThrow(/eth1 has no IPv4 address in it .*never use sender 0\.0\.0\.0/);
    expect(() => planScan(HOST, [prefix('203.0.113.64/26')], undefined)).toThrow(/any interface has no IPv4 address/);
    expect(() => planScan([ifc('eth0', [])], [], undefined)).toThrow(/no interface has an IPv4 subnet/);
  });
});
