import { describe, expect, it } from 'vitest';
import { deriveWatchList, type HostInterface, type WatchConfig } from '../../src/core/watchlist.js';
import { ip } from '../support/fake-world.js';

const host: HostInterface[] = [
  { name: 'lo', ifindex: 1, mac: '00:00:00:00:00:00', up: true, loopback: true, noArp: false, addresses: [{ address: ip('127.0.0.1'), prefixLength: 8 }] },
  { name: 'eth0', ifindex: 2, mac: '02:00:00:00:00:01', up: true, loopback: false, noArp: false, addresses: [{ address: ip('192.0.2.10'), prefixLength: 24 }, { address: ip('192.0.2.50'), prefixLength: 32 }] },
  { name: 'eth1', ifindex: 3, mac: '02:00:00:00:00:02', up: false, loopback: false, noArp: false, addresses: [{ address: ip('198.51.100.7'), prefixLength: 24 }] },
  { name: 'wg0', ifindex: 4, mac: '00:00:00:00:00:00', up: true, loopback: false, noArp: true, addresses: [{ address: ip('203.0.113.1'), prefixLength: 24 }] },
  { name: 'bond1', ifindex: 5, mac: '02:00:00:00:00:03', up: true, loopback: false, noArp: false, addresses: [] },
];
const base: WatchConfig = { interfaces: [], ownAddresses: true, excludeAddresses: [], delegates: [] };

describe('deriveWatchList', () => {
  it('defaults to every ARP-capable, non-loopback interface with IPv4, and all their addresses', () => {
    const w = deriveWatchList(base, host);
    expect(w.interfaces.map((i) => [i.name, i.up])).toEqual([['eth0', true], ['eth1', false]]);
    expect(w.specs.map((s) => [s.ifname, s.address, s.role])).toEqual([
      ['eth0', ip('192.0.2.10'), 'own'],
      ['eth0', ip('192.0.2.50'), 'own'],
      ['eth1', ip('198.51.100.7'), 'own'],
    ]);
    expect(w.ownMacs.sort()).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03']);
  });

  it('honours configured interfaces and reports the missing and the ARP-less', () => {
    const w = deriveWatchList({ ...base, interfaces: ['eth0', 'eth9', 'wg0'] }, host);
    expect(w.interfaces.map((i) => i.name)).toEqual(['eth0']);
    expect(w.problems).toEqual(['interface eth9 does not exist', 'interface wg0 does not use ARP']);
  });

  it('excludes addresses and CIDRs', () => {
    const w = deriveWatchList({ ...base, excludeAddresses: [{ prefix: ip('192.0.2.48'), length: 29 }] }, host);
    expect(w.specs.map((s) => s.address)).toEqual([ip('192.0.2.10'), ip('198.51.100.7')]);
  });

  it('places delegates by subnet, knows when this host holds one, and never lists it as own', () => {
    const w = deriveWatchList(
      {
        ...base,
        delegates: [
          { address: ip('192.0.2.100'), allowedMacs: [] },
          { address: ip('192.0.2.50'), allowedMacs: ['02:00:00:00:00:aa'] },
          { address: ip('203.0.113.99'), allowedMacs: [] },
        ],
      },
      host,
    );
    const d = w.specs.filter((s) => s.role === 'delegate');
    expect(d.map((s) => [s.address, s.ifname, s.held])).toEqual([
      [ip('192.0.2.100'), 'eth0', false],
      [ip('192.0.2.50'), 'eth0', true],
    ]);
    expect(w.specs.filter((s) => s.role === 'own').map((s) => s.address)).not.toContain(ip('192.0.2.50'));
    expect(w.problems[0]).toMatch(/203\.0\.113\.99.*no monitored interface/);
  });

  it('can watch delegates only', () => {
    const w = deriveWatchList({ ...base, ownAddresses: false, delegates: [{ address: ip('198.51.100.9'), interface: 'eth1', allowedMacs: [] }] }, host);
    expect(w.specs.map((s) => [s.address, s.ifname, s.role])).toEqual([[ip('198.51.100.9'), 'eth1', 'delegate']]);
  });
});
