import { describe, expect, it } from 'vitest';
import { deriveWatchList, linkScopes, type HostInterface, type WatchConfig } from '../../src/core/watchlist.js';
import { ip } from '../support/fake-world.js';

let next = 1;
function link(name: string, over: Partial<HostInterface> & { addr?: string } = {}): HostInterface {
  const { addr, ...rest } = over;
  const n = next++;
  return {
    name,
    ifindex: n,
    mac: `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`,
    up: true,
    loopback: false,
    noArp: false,
    addresses: addr ? [{ address: ip(addr.split('/')[0]!), prefixLength: Number(addr.split('/')[1] ?? 24) }] : [],
    kind: 'veth',
    device: false,
    master: null,
    lowers: [],
    defaultRoute: false,
    ...rest,
  };
}
const base: WatchConfig = { interfaces: [], ownAddresses: true, excludeAddresses: [], delegates: [] };
const names = (host: HostInterface[], c: Partial<WatchConfig> = {}) => deriveWatchList({ ...base, ...c }, host).interfaces.map((i) => i.name);

/** A Diego cell / Docker host: a NIC, docker0 with veth ports, routed /32 veths with one gateway address. */
function containerHost(): HostInterface[] {
  return [
    link('lo', { kind: 'loopback', loopback: true, addr: '127.0.0.1/8' }),
    link('eth0', { kind: 'physical', device: true, addr: '192.0.2.10/24', defaultRoute: true }),
    link('docker0', { kind: 'bridge', addr: '172.17.0.1/16' }),
    link('vethd1', { master: 'docker0' }),
    link('vethd2', { master: 'docker0' }),
    link('s-010255000001', { addr: '203.0.113.1/32' }),
    link('s-010255000002', { addr: '203.0.113.1/32' }),
    link('tap0', { kind: 'tun', addr: '198.51.100.1/24' }),
  ];
}

describe('which links face the network', () => {
  it('a container host: the NIC is watched; docker0, veths and taps are host-internal', () => {
    const host = containerHost();
    const s = linkScopes(host);
    expect(s.get('eth0')).toBe('network');
    for (const n of ['docker0', 'vethd1', 's-010255000001', 'tap0']) expect(s.get(n)).toBe('host');
    const w = deriveWatchList(base, host);
    expect(w.interfaces.map((i) => [i.name, i.scope])).toEqual([['eth0', 'network']]);
    expect(w.specs.map((x) => x.address)).toEqual([ip('192.0.2.10')]);
    expect(w.uplinkFound).toBe(true);
    // The host-internal MACs are not followed: a veth coming and going leaves the list unchanged.
    expect(w.ownMacs).toEqual([host[1]!.mac]);
  });

  it('names play no part: a NIC called veth0 faces the network, a veth called eth1 does not', () => {
    const host = [link('veth0', { kind: 'physical', device: true, addr: '192.0.2.10/24' }), link('eth1', { addr: '198.51.100.1/24' })];
    expect(names(host)).toEqual(['veth0']);
  });

  it('a bridge that enslaves the NIC faces the network (the host address on br0), its veth ports do not', () => {
    const host = [
      link('eth0', { kind: 'physical', device: true, master: 'br0' }),
      link('br0', { kind: 'bridge', addr: '192.0.2.10/24', lowers: ['eth0', 'vnet0'] }),
      link('vnet0', { kind: 'tun', master: 'br0' }),
      link('virbr0', { kind: 'bridge', addr: '192.168.122.1/24' }),
    ];
    expect(linkScopes(host).get('br0')).toBe('network');
    expect(names(host)).toEqual(['br0']);
  });

  it('VLANs, macvlans and bonds on the NIC face the network, also through two layers', () => {
    const host = [
      link('ens3', { kind: 'physical', device: true, master: 'bond0' }),
      link('bond0', { kind: 'bond', addr: '192.0.2.10/24' }),
      link('bond0.100', { kind: 'vlan', lowers: ['bond0'], addr: '198.51.100.10/24' }),
      link('mv0', { kind: 'stacked', lowers: ['bond0.100'], addr: '198.51.100.11/24' }),
      link('mvveth', { kind: 'stacked', lowers: ['veth9'], addr: '203.0.113.9/24' }),
      link('veth9'),
    ];
    expect(names(host)).toEqual(['bond0', 'bond0.100', 'mv0']);
  });

  it('a veth with the default route faces the network (a lab host, or dupip in a container)', () => {
    const host = [link('eth0', { addr: '192.0.2.10/24', defaultRoute: true }), link('veth1', { addr: '203.0.113.1/32' })];
    expect(names(host)).toEqual(['eth0']);
  });

  it('where nothing faces the network, every link counts (as before the rule)', () => {
    const host = [link('lo', { kind: 'loopback', loopback: true, addr: '127.0.0.1/8' }), link('eth0', { addr: '192.0.2.10/24' }), link('veth1', { addr: '203.0.113.1/32' })];
    const w = deriveWatchList(base, host);
    expect(w.uplinkFound).toBe(false);
    expect(w.interfaces.map((i) => [i.name, i.scope])).toEqual([['eth0', 'network'], ['veth1', 'network']]);
  });

  it('interfaces: watches host-internal links on purpose; exclude_interfaces overrides both', () => {
    const host = containerHost();
    const w = deriveWatchList({ ...base, interfaces: ['eth0', 'docker0', 's-010255000001'] }, host);
    expect(w.interfaces.map((i) => [i.name, i.scope])).toEqual([['eth0', 'network'], ['docker0', 'host'], ['s-010255000001', 'host']]);
    expect(names(host, { interfaces: ['eth0', 's-010255000001', 's-010255000002'], excludeInterfaces: ['s-*'] })).toEqual(['eth0']);
    expect(names(host, { excludeInterfaces: ['eth0'] })).toEqual([]);
  });
});
