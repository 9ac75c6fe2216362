/**
 * The incremental watch list (src/core/watchlist-incremental.ts) against the full derivation:
 * after any sequence of link and address changes on a host with an uplink, a bridge, a VLAN and
 * container veths, update() of the touched interfaces (or reset() where it declines) gives what
 * deriveWatchList() gives for the whole host, and says which interfaces' parts changed.
 *
 * Seeded and reproducible: DUPIP_PROPERTY_SEED=n reruns with another seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IncrementalWatchList } from '../../src/core/watchlist-incremental.js';
import { type HostInterface, type WatchConfig, type WatchList, deriveWatchList } from '../../src/core/watchlist.js';
import { ip } from '../support/fake-world.js';

const SEED = Number(process.env.DUPIP_PROPERTY_SEED ?? 20261202);
const VETHS = 8;
const veth = (i: number) => `v${i}`;
const mac = (i: number) => `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`;
const ADDRESSES = ['192.0.2.10', '192.0.2.11', '203.0.113.1', '198.51.100.7', '198.51.100.8'];

type Cmd =
  | { t: 'veth'; i: number; present: boolean; up: boolean; addresses: boolean[]; bridged: boolean; newIndex: boolean }
  | { t: 'addresses'; name: 'eth0' | 'eth1' | 'br0'; addresses: boolean[] }
  | { t: 'route'; on: 'eth0' | 'eth1' | 'none' }
  | { t: 'nic'; present: boolean; bridged: boolean }
  | { t: 'rename'; i: number; to: number };

const addressMask = fc.array(fc.boolean(), { minLength: ADDRESSES.length, maxLength: ADDRESSES.length });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('veth' as const), i: fc.integer({ min: 0, max: VETHS - 1 }), present: fc.boolean(), up: fc.boolean(), addresses: addressMask, bridged: fc.boolean(), newIndex: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('addresses' as const), name: fc.constantFrom('eth0' as const, 'eth1' as const, 'br0' as const), addresses: addressMask }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('route' as const), on: fc.constantFrom('eth0' as const, 'eth1' as const, 'none' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('nic' as const), present: fc.boolean(), bridged: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rename' as const), i: fc.integer({ min: 0, max: VETHS - 1 }), to: fc.integer({ min: 0, max: VETHS - 1 }) }) },
);

const configs: Array<[string, WatchConfig]> = [
  ['default settings', { interfaces: [], ownAddresses: true, excludeAddresses: [], delegates: [] }],
  ['interfaces naming eth0 and the veths (one missing)', { interfaces: ['eth0', 'v0', 'v1', 'v2', 'v3', 'v4', 'v9', 'lo'], ownAddresses: true, excludeAddresses: [], delegates: [] }],
  ['named, some excluded, an address range excluded', { interfaces: ['eth0', 'br0', 'v0', 'v1', 'v5'], excludeInterfaces: ['v1*'], ownAddresses: true, excludeAddresses: [{ prefix: ip('198.51.100.0'), length: 24 }], delegates: [] }],
  ['default settings, veths excluded, no own addresses', { interfaces: [], excludeInterfaces: ['v*'], ownAddresses: false, excludeAddresses: [], delegates: [] }],
  ['with a delegate (every change resets)', { interfaces: [], ownAddresses: true, excludeAddresses: [], delegates: [{ address: ip('192.0.2.50'), allowedMacs: [] }] }],
];

/** The host as a map by name; interfaces carry ifindexes that a replaced veth changes. */
function startHost(): Map<string, HostInterface> {
  const h = new Map<string, HostInterface>();
  const add = (i: HostInterface) => h.set(i.name, i);
  add({ name: 'lo', ifindex: 1, mac: '00:00:00:00:00:00', up: true, loopback: true, noArp: false, addresses: [{ address: ip('127.0.0.1'), prefixLength: 8 }], kind: 'loopback', device: false, master: null, lowers: [] });
  add({ name: 'eth0', ifindex: 2, mac: mac(0xe0), up: true, loopback: false, noArp: false, addresses: [{ address: ip('192.0.2.10'), prefixLength: 24 }], kind: 'physical', device: false, master: null, lowers: [], defaultRoute: true });
  add({ name: 'br0', ifindex: 3, mac: mac(0xb0), up: true, loopback: false, noArp: false, addresses: [{ address: ip('203.0.113.1'), prefixLength: 24 }], kind: 'bridge', device: false, master: null, lowers: [] });
  add({ name: 'eth0.10', ifindex: 4, mac: mac(0xe0), up: true, loopback: false, noArp: false, addresses: [{ address: ip('198.51.100.7'), prefixLength: 24 }], kind: 'vlan', device: false, master: null, lowers: ['eth0'] });
  add({ name: 'wg0', ifindex: 5, mac: '00:00:00:00:00:00', up: true, loopback: false, noArp: true, addresses: [{ address: ip('198.51.100.8'), prefixLength: 32 }], kind: 'virtual', device: false, master: null, lowers: [] });
  for (let i = 0; i < VETHS; i++) add({ name: veth(i), ifindex: 100 + i, mac: mac(i), up: true, loopback: false, noArp: false, addresses: [{ address: ip('203.0.113.1'), prefixLength: 32 }], kind: 'veth', device: false, master: null, lowers: [] });
  return h;
}

const pick = (mask: boolean[], prefixLength: number) => ADDRESSES.filter((_, k) => mask[k]).map((a) => ({ address: ip(a), prefixLength }));

/** Applies one change; returns the names whose facts changed (before and after), as the host view's apply() reports them. */
function apply(h: Map<string, HostInterface>, c: Cmd, next: () => number): string[] {
  const before = new Map([...h].map(([k, v]) => [k, JSON.stringify(v)]));
  switch (c.t) {
    case 'veth': {
      const old = h.get(veth(c.i));
      if (!c.present) h.delete(veth(c.i));
      else h.set(veth(c.i), { name: veth(c.i), ifindex: old && !c.newIndex ? old.ifindex : next(), mac: mac(c.i + (c.newIndex ? 0x40 : 0)), up: c.up, loopback: false, noArp: false, addresses: pick(c.addresses, 32), kind: 'veth', device: false, master: c.bridged ? 'br0' : null, lowers: [] });
      break;
    }
    case 'addresses': {
      const i = h.get(c.name);
      if (i) h.set(c.name, { ...i, addresses: pick(c.addresses, 24) });
      break;
    }
    case 'route':
      for (const [k, i] of h) h.set(k, { ...i, defaultRoute: k === c.on });
      break;
    case 'nic':
      if (!c.present) h.delete('eth1');
      else h.set('eth1', { name: 'eth1', ifindex: 6, mac: mac(0xe1), up: true, loopback: false, noArp: false, addresses: [{ address: ip('198.51.100.7'), prefixLength: 24 }], kind: 'physical', device: true, master: c.bridged ? 'br0' : null, lowers: [] });
      break;
    case 'rename': {
      const i = h.get(veth(c.i));
      if (!i || h.has(veth(c.to))) break;
      h.delete(veth(c.i));
      h.set(veth(c.to), { ...i, name: veth(c.to) });
      break;
    }
  }
  const after = new Map([...h].map(([k, v]) => [k, JSON.stringify(v)]));
  return [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
}

/** The list with its orders normalised (the consumers key everything by interface and address). */
function normal(l: WatchList) {
  return {
    interfaces: [...l.interfaces].sort((a, b) => a.name.localeCompare(b.name)),
    specs: [...l.specs].sort((a, b) => `${a.ifname}|${a.address}|${a.role}`.localeCompare(`${b.ifname}|${b.address}|${b.role}`)),
    ownMacs: [...l.ownMacs].sort(),
    problems: [...l.problems].sort(),
    scopes: [...(l.scopes ?? new Map())].sort(([a], [b]) => a.localeCompare(b)),
    uplinkFound: l.uplinkFound,
  };
}

describe('the incremental watch list', () => {
  for (const [what, config] of configs) {
    it(`equals the full derivation after any sequence of changes: ${what}`, () => {
      let incremental = 0;
      let resets = 0;
      fc.assert(
        fc.property(fc.array(cmd, { minLength: 1, maxLength: 40 }), (cmds) => {
          const h = startHost();
          let ifindex = 1000;
          const host = () => [...h.values()].sort((a, b) => a.ifindex - b.ifindex);
          const w = new IncrementalWatchList(config);
          w.reset(host());
          expect(normal(w.list)).toEqual(normal(deriveWatchList(config, host())));
          for (const c of cmds) {
            const before = new Map([...h.keys()].map((n) => [n, JSON.stringify(w.part(n))]));
            const beforeScopes = new Map([...h.keys()].map((n) => [n, w.scopeOf(n)]));
            const touched = apply(h, c, () => ifindex++);
            const uppers = new Set([...h.values()].flatMap((i) => [...(i.master ? [i.master] : []), ...(i.lowers ?? [])]));
            const changed = w.update(touched, (n) => h.get(n), (n) => uppers.has(n));
            if (changed === null) {
              resets++;
              w.reset(host());
            } else {
              incremental++;
              // What it says changed is what changed, and nothing else did.
              for (const n of new Set([...before.keys(), ...h.keys()])) expect(changed.has(n)).toBe((before.get(n) ?? JSON.stringify(w.part('\0'))) !== JSON.stringify(w.part(n)));
            }
            const full = deriveWatchList(config, host());
            expect(normal(w.list)).toEqual(normal(full));
            expect([...w.ownMacs].sort()).toEqual(full.ownMacs);
            for (const n of touched) if (!h.has(n) && beforeScopes.has(n)) expect(w.scopeOf(n)).toBe(beforeScopes.get(n)); // a removed link keeps its scope for the change's events
            for (const i of h.values()) {
              expect(w.list.watching!(i.name)).toBe(full.interfaces.some((x) => x.name === i.name));
              expect(w.list.watching!('', i.ifindex)).toBe(full.interfaces.some((x) => x.ifindex === i.ifindex));
            }
            expect([...w.held].sort()).toEqual([...new Set([...h.values()].flatMap((i) => i.addresses.map((a) => a.address)))].sort());
          }
        }),
        { seed: SEED, numRuns: 200 },
      );
      // Not vacuous: without delegates most changes are a veth's, taken incrementally.
      if (config.delegates.length) expect(incremental).toBe(0);
      else expect(incremental).toBeGreaterThan(resets);
    });
  }
});
