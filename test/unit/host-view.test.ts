import { describe, expect, it } from 'vitest';
import type { HostInterface } from '../../src/core/watchlist.js';
import { HostView, type LinkFacts } from '../../src/daemon/host-view.js';
import { emptyChanges, type LinkMessage } from '../../src/platform/netlink.js';
import { ip } from '../support/fake-world.js';

function facts(name: string, ifindex: number): LinkFacts {
  return { name, ifindex, mac: '02:00:00:00:00:01', up: true, loopback: false, noArp: false, kind: 'veth', device: false, master: null, lowers: [] };
}

function world(n: number) {
  const links = new Map<string, LinkFacts>();
  for (let i = 0; i < n; i++) links.set(`veth${i}`, facts(`veth${i}`, 10 + i));
  links.set('eth0', { ...facts('eth0', 2), kind: 'physical', device: true });
  const reads: string[] = [];
  let fullReads = 0;
  let routeReads = 0;
  const view = new HostView({
    readHost: () => {
      fullReads++;
      return [...links.values()].map((l): HostInterface => ({ ...l, addresses: l.name === 'eth0' ? [{ address: ip('192.0.2.10'), prefixLength: 24 }] : [], defaultRoute: l.name === 'eth0' }));
    },
    readInterface: (name) => {
      reads.push(name);
      return links.get(name) ?? null;
    },
    readDefaultRoutes: () => {
      routeReads++;
      return new Set(['eth0']);
    },
  });
  return { view, links, reads, full: () => fullReads, routes: () => routeReads };
}

describe('the host view', () => {
  it('a link and address change re-reads that link only', () => {
    const w = world(250);
    w.view.readAll();
    const c = emptyChanges();
    w.links.set('veth250', facts('veth250', 500));
    c.links.set(500, { name: 'veth250', deleted: false });
    c.links.set(10, { name: 'veth0', deleted: true });
    c.addresses.push({ ifindex: 500, address: ip('203.0.113.1'), prefixLength: 32, deleted: false });
    w.links.delete('veth0');
    expect(w.view.apply(c).changed).toBe(true);
    expect(w.reads).toEqual(['veth250']);
    expect(w.full()).toBe(1);
    expect(w.routes()).toBe(0);
    const ifcs = w.view.interfaces();
    expect(ifcs.find((i) => i.name === 'veth0')).toBeUndefined();
    expect(ifcs.find((i) => i.name === 'veth250')?.addresses).toEqual([{ address: ip('203.0.113.1'), prefixLength: 32 }]);
    expect(ifcs).toHaveLength(251);
    expect(w.view.churn).toMatchObject({ linksAdded: 1, linksRemoved: 1, addressChanges: 1 });
  });

  it('a change to the default-route link re-reads the routes; a lost batch re-reads everything', () => {
    const w = world(3);
    w.view.readAll();
    const c = emptyChanges();
    c.links.set(2, { name: 'eth0', deleted: false });
    w.view.apply(c);
    expect(w.routes()).toBe(1);
    w.view.apply(emptyChanges(true));
    expect(w.full()).toBe(2);
  });

  it('an address deletion removes just that address', () => {
    const w = world(1);
    w.view.readAll();
    const c = emptyChanges();
    c.addresses.push({ ifindex: 2, address: ip('192.0.2.10'), prefixLength: 24, deleted: true });
    w.view.apply(c);
    expect(w.view.interfaces().find((i) => i.name === 'eth0')?.addresses).toEqual([]);
  });

  it('a veth or tap is taken from its NEWLINK message; a NIC, a bridge or an unknown master is read from sysfs', () => {
    const w = world(2);
    w.view.readAll();
    const msg = (over: Partial<LinkMessage> = {}): LinkMessage => ({ flags: 0x1003, mac: '02:00:00:00:01:f4', kind: 'veth', master: 0, link: 0, operstate: 6, ...over });
    const c = emptyChanges();
    c.links.set(500, { name: 's-500', deleted: false, message: msg() });
    c.links.set(501, { name: 'tap0', deleted: false, message: msg({ kind: 'tun', operstate: 2, mac: null }) });
    w.view.apply(c);
    expect(w.reads).toEqual([]);
    expect(w.view.churn.linkReads).toBe(0);
    const by = (n: string) => w.view.interfaces().find((i) => i.name === n);
    expect(by('s-500')).toEqual({ name: 's-500', ifindex: 500, mac: '02:00:00:00:01:f4', up: true, loopback: false, noArp: false, kind: 'veth', device: false, master: null, lowers: [], addresses: [], defaultRoute: false });
    expect(by('tap0')).toMatchObject({ kind: 'tun', up: false, mac: '00:00:00:00:00:00' }); // operstate down
    // A port of a bridge the view knows: its master named from the view; of one it does not: read.
    const d = emptyChanges();
    d.links.set(502, { name: 's-502', deleted: false, message: msg({ master: 2 }) });
    d.links.set(503, { name: 'veth1', deleted: false, message: msg({ master: 999 }) });
    d.links.set(2, { name: 'eth0', deleted: false, message: msg({ kind: null }) });
    w.links.set('veth1', facts('veth1', 503));
    w.view.apply(d);
    expect(by('s-502')?.master).toBe('eth0');
    expect(w.reads).toEqual(['veth1', 'eth0']);
    expect(w.view.churn.linkReads).toBe(2);
  });

  it('a name taken over by a new link drops the old one (a veth replaced within one batch)', () => {
    const w = world(1);
    w.view.readAll();
    const c = emptyChanges();
    c.links.set(600, { name: 'veth0', deleted: false, message: { flags: 1, mac: null, kind: 'veth', master: 0, link: 0, operstate: 0 } });
    w.view.apply(c);
    expect(w.view.interfaces().filter((i) => i.name === 'veth0').map((i) => i.ifindex)).toEqual([600]);
    const d = emptyChanges();
    d.links.set(10, { name: 'veth0', deleted: true });
    w.view.apply(d);
    expect(w.view.interfaces().filter((i) => i.name === 'veth0').map((i) => i.ifindex)).toEqual([600]);
  });

  it('knows which links something is stacked on or enslaved to, through changes', () => {
    const w = world(2);
    w.view.readAll();
    expect(w.view.hasUpper('veth0')).toBe(false);
    w.links.set('br0', { ...facts('br0', 50), kind: 'bridge', lowers: ['veth0'] });
    w.links.set('veth1', { ...facts('veth1', 11), master: 'br0' });
    const c = emptyChanges();
    c.links.set(50, { name: 'br0', deleted: false });
    c.links.set(11, { name: 'veth1', deleted: false });
    w.view.apply(c);
    expect([w.view.hasUpper('veth0'), w.view.hasUpper('br0'), w.view.hasUpper('veth1')]).toEqual([true, true, false]);
    w.links.set('veth1', facts('veth1', 11)); // released from the bridge
    const d = emptyChanges();
    d.links.set(11, { name: 'veth1', deleted: false });
    d.links.set(50, { name: 'br0', deleted: true });
    w.view.apply(d);
    expect([w.view.hasUpper('veth0'), w.view.hasUpper('br0')]).toEqual([false, false]);
  });
});
