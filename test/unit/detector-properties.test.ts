/**
 * Property-based tests of the detector: random sequences of claims, probes and answers from up to
 * 1,000 MACs, for own addresses and delegates of both families (ARP frames for IPv4, Neighbor
 * Discovery for IPv6: NAs, NSs and DAD probes), held and not, interleaved with timeouts (a fake
 * clock whose timers fire late), address changes, link changes and reloads. The invariants
 * (test/support/detector-invariants.ts) are checked after every step.
 *
 * Seeded and reproducible: DUPIP_PROPERTY_SEED=n reruns with another seed; a failure prints the
 * seed and the shrunk sequence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OP_REQUEST } from '../../src/core/arp.js';
import type { IpAddress } from '../../src/core/address.js';
import { UNSPECIFIED } from '../../src/core/ipv6.js';
import { TYPE_NEIGHBOR_SOLICITATION } from '../../src/core/ndp.js';
import type { WatchSpec } from '../../src/core/watchlist.js';
import { checkEvent, checkSnapshot } from '../support/detector-invariants.js';
import { FakeWorld, IF, OWN_ADDRESSES, OWN_LINK_LOCAL, OWN_MAC, ip, ip6, seeded } from '../support/fake-world.js';

export const SEED = Number(process.env.DUPIP_PROPERTY_SEED ?? 20261201);
/** Sequences per property: 10,000 in all, fewer where a sequence costs more (every address at once). */
const RUNS = { own: 2750, delegates: 3000, held: 1500, topology: 2750 } as const;
const TOTAL = Object.values(RUNS).reduce((a, b) => a + b, 0);
const MACS = 1000;
const hex = (n: number) => n.toString(16).padStart(2, '0');
const mac = (i: number) => `02:aa:00:00:${hex((i >> 8) & 255)}:${hex(i & 255)}`;
/** Two IPv4 and one IPv6 address of each kind: the machines must decide both families alike. */
const OWN: IpAddress[] = [ip('192.0.2.10'), ip('192.0.2.11'), ip6('2001:db8::10')];
const DELEGATES: IpAddress[] = [ip('198.51.100.10'), ip('198.51.100.11'), ip6('2001:db8:1::10')];
const ADDRESSES = [...OWN, ...DELEGATES];
const N = ADDRESSES.length;
const D0 = OWN.length;

type Cmd =
  | { t: 'claim'; addr: number; mac: number; reply: boolean; proxy: boolean }
  | { t: 'probe'; addr: number; mac: number }
  | { t: 'burst'; addr: number; probe: boolean; mac: number; count: number }
  | { t: 'responders'; addr: number; macs: number[] }
  | { t: 'advance'; ms: number }
  | { t: 'watch'; present: boolean[]; held: boolean[]; up: boolean }
  | { t: 'reload'; probeIntervalMs: number; announceIntervalMs: number; clearAfter: number; defend: 'once' | 'never'; maxSendRate: number };

const macIndex = fc.integer({ min: 0, max: MACS - 1 });
const frames = (addr: fc.Arbitrary<number>): fc.Arbitrary<Cmd>[] => [
  fc.record({ t: fc.constant('claim' as const), addr, mac: macIndex, reply: fc.boolean(), proxy: fc.boolean() }),
  fc.record({ t: fc.constant('probe' as const), addr, mac: macIndex }),
  fc.record({ t: fc.constant('burst' as const), addr, probe: fc.boolean(), mac: macIndex, count: fc.integer({ min: 1, max: 24 }) }),
  fc.record({ t: fc.constant('responders' as const), addr, macs: fc.array(macIndex, { maxLength: 12 }) }),
];
const advance = fc.record({ t: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 300, max: 2500 })) });
const topology: fc.Arbitrary<Cmd> = fc.record({
  t: fc.constant('watch' as const),
  present: fc.array(fc.boolean(), { minLength: N, maxLength: N }),
  held: fc.array(fc.boolean(), { minLength: DELEGATES.length, maxLength: DELEGATES.length }),
  up: fc.boolean(),
});
const reload: fc.Arbitrary<Cmd> = fc.record({
  t: fc.constant('reload' as const),
  probeIntervalMs: fc.constantFrom(100, 250, 1000, 2000),
  announceIntervalMs: fc.constantFrom(0, 1000, 1500, 5000),
  clearAfter: fc.integer({ min: 1, max: 3 }),
  defend: fc.constantFrom('once' as const, 'never' as const),
  maxSendRate: fc.constantFrom(3, 50),
});

interface Setup {
  /** Which of ADDRESSES are watched at first, and whether the delegates are held here. */
  present: boolean[];
  held: boolean[];
}

function specs(present: boolean[], held: boolean[]): Array<Partial<WatchSpec> & { address: IpAddress }> {
  const out: Array<Partial<WatchSpec> & { address: IpAddress }> = [];
  OWN.forEach((address, i) => present[i] && out.push({ address, role: 'own', held: true }));
  DELEGATES.forEach((address, i) => present[D0 + i] && out.push({ address, role: 'delegate', held: held[i]!, allowedMacs: i === 1 ? [mac(7)] : [] }));
  return out;
}

/** A foreign host says it has `a`: an ARP request or reply; for IPv6 an NA (solicited or not) or an NS from the address. */
function claimFrame(w: FakeWorld, a: IpAddress, m: string, reply: boolean, ethernetSource?: string): void {
  if (typeof a === 'number') {
    w.frame({ op: reply ? 2 : OP_REQUEST, senderMac: m, senderIp: a, targetMac: OWN_MAC, targetIp: 0 }, ethernetSource);
    return;
  }
  if (ethernetSource) w.nd({ type: TYPE_NEIGHBOR_SOLICITATION, source: a, destination: UNSPECIFIED, target: ip6('2001:db8::1'), sourceLinkLayer: m, nonce: null }, ethernetSource);
  else w.advertise(m, a, reply);
}

/** A foreign host probes for `a`: RFC 5227 probe, or a DAD NS with a nonce of its own. */
function probeFrame(w: FakeWorld, a: IpAddress, m: string): void {
  if (typeof a === 'number') w.frame({ op: OP_REQUEST, senderMac: m, senderIp: 0, targetMac: '00:00:00:00:00:00', targetIp: a });
  else w.dad6(m, a, `ee${m.replace(/:/g, '').slice(2)}`);
}

/** What the sequences reached, so a generator that never reaches the hard cases fails the test. */
const reached = new Set<string>();

function note(e: FakeWorld['events'][number]): void {
  if (e.type === 'state') {
    reached.add(`${e.from}>${e.to}`);
    if (e.entry.address.includes(':')) reached.add(`IPv6 ${e.from}>${e.to}`);
    if (e.to === 'conflict' && e.from === 'contested' && (e.entry.macOverflow > 0)) reached.add('claim after a full contest');
  }
  if ('entry' in e && e.entry.macs.length === 8) reached.add(`${e.entry.state} with a full list`);
  if ('entry' in e && e.entry.macOverflow > 0) reached.add('overflow');
  if (e.type === 'failover') reached.add('failover');
}

/** Runs one sequence, checking the invariants after every step; throws on the first violation. */
function run(setup: Setup, cmds: Cmd[], lateness: number): void {
  const w = new FakeWorld({ probeIntervalMs: 250, announceIntervalMs: 1000, clearAfter: 2, random: seeded(lateness + 1) });
  w.timerLateness = (n) => (n * 7 + lateness) % 6;
  const responders = new Map<IpAddress, number[]>();
  let held = new Set<IpAddress>();
  w.onTransmit = (t) => {
    // never announce or defend an address the host does not hold
    if (t.kind !== 'probe') expect(held.has(t.address), `${t.kind} for an address not held`).toBe(true);
    // never a frame that could abort a takeover: sender IP 0.0.0.0 or the address itself, for an address not held
    const heldNow = w.detector.snapshotAll().some((x) => x.ip === t.address && x.held);
    if (!heldNow) expect([0, t.address], `probe for an address not held from ${t.frame.senderIp}`).not.toContain(t.frame.senderIp);
    if (t.kind === 'probe') for (const m of responders.get(t.address) ?? []) w.reply(mac(m), t.address);
  };
  w.onTransmit6 = (t) => {
    if (t.kind !== 'probe') expect(held.has(t.address), `${t.kind} for an address not held`).toBe(true);
    // never a DAD probe (NS from ::) for an address not held: a host taking it over would mark it dadfailed
    const heldNow = w.detector.snapshotAll().some((x) => x.ip === t.address && x.held);
    if (!heldNow) expect(t.frame.frame.source, 'NS from :: for an address not held').toBe(OWN_LINK_LOCAL);
    else if (t.kind === 'probe') expect(t.frame.frame.source).toBe(UNSPECIFIED);
    if (t.kind === 'probe') for (const m of responders.get(t.address) ?? []) w.advertise(mac(m), t.address, !heldNow);
  };
  let seen = 0;
  const overflow = new Map<string, number>();
  const check = () => {
    for (; seen < w.events.length; seen++) {
      const e = w.events[seen]!;
      checkEvent(e);
      note(e);
      if (e.type === 'watch' && e.change === 'removed') overflow.delete(`${e.entry.interface}/${e.entry.address}`);
    }
    const snaps = w.detector.snapshotAll();
    held = new Set(snaps.filter((s) => s.held).map((s) => s.ip));
    for (const s of snaps) {
      checkSnapshot(s);
      const key = `${s.interface}/${s.address}`;
      expect(s.macOverflow).toBeGreaterThanOrEqual(overflow.get(key) ?? 0);
      overflow.set(key, s.macOverflow);
    }
  };
  let present = setup.present;
  let heldHere = setup.held;
  w.watch(specs(present, heldHere));
  check();
  for (const c of cmds) {
    switch (c.t) {
      case 'claim':
        claimFrame(w, ADDRESSES[c.addr]!, mac(c.mac), c.reply, c.proxy ? mac((c.mac + 1) % MACS) : undefined);
        break;
      case 'probe':
        probeFrame(w, ADDRESSES[c.addr]!, mac(c.mac));
        break;
      case 'burst':
        for (let i = 0; i < c.count; i++) {
          const m = mac((c.mac + i) % MACS);
          const a = ADDRESSES[c.addr]!;
          if (c.probe) probeFrame(w, a, m);
          else claimFrame(w, a, m, false);
          check();
        }
        break;
      case 'responders':
        responders.set(ADDRESSES[c.addr]!, c.macs);
        break;
      case 'advance':
        w.advance(c.ms);
        break;
      case 'watch':
        present = c.present;
        heldHere = c.held;
        w.watch(specs(present, heldHere), { interfaces: [{ name: IF, ifindex: 2, mac: OWN_MAC, up: c.up, hostAddresses: OWN_ADDRESSES }] });
        break;
      case 'reload':
        w.detector.setOptions({ probeIntervalMs: c.probeIntervalMs, announceIntervalMs: c.announceIntervalMs, clearAfter: c.clearAfter, defend: c.defend, maxSendRate: c.maxSendRate }, w.now);
        break;
    }
    check();
  }
}

function assertProperty(name: string, prop: fc.IPropertyWithHooks<[Setup, Cmd[], number]> | fc.IProperty<[Setup, Cmd[], number]>, numRuns: number): void {
  const details = fc.check(prop, { seed: SEED, numRuns });
  if (details.failed) {
    throw new Error(`${name}: invariant violated (seed ${SEED}; rerun with DUPIP_PROPERTY_SEED=${SEED}):\n${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}`);
  }
  expect(details.numRuns).toBe(numRuns);
}

const lateness = fc.integer({ min: 0, max: 5 });
const setupOf = (present: fc.Arbitrary<boolean[]>, held: fc.Arbitrary<boolean[]>) => fc.record({ present, held });
const allN = fc.constant(ADDRESSES.map(() => true));
const heldArb = fc.array(fc.boolean(), { minLength: DELEGATES.length, maxLength: DELEGATES.length });
const only = (from: number, to: number) => fc.constant(ADDRESSES.map((_, i) => i >= from && i < to));
const noneHeld = fc.constant(DELEGATES.map(() => false));

describe(`detector invariants hold for random input sequences (seed ${SEED}, ${TOTAL} sequences)`, () => {
  it('runs at least 10,000 sequences in all', () => expect(TOTAL).toBeGreaterThanOrEqual(10_000));

  it('own addresses: claims, probes and answers from up to 1,000 MACs', { timeout: 30_000 }, () => {
    const addr = fc.integer({ min: 0, max: D0 - 1 });
    const cmds = fc.array(fc.oneof(...frames(addr), advance), { maxLength: 16 });
    reached.clear();
    assertProperty('own', fc.property(setupOf(only(0, D0), noneHeld), cmds, lateness, run), RUNS.own);
    for (const r of ['ok>conflict', 'ok>contested', 'contested>conflict', 'conflict>ok', 'contested>ok', 'conflict with a full list', 'contested with a full list', 'claim after a full contest', 'overflow', 'IPv6 ok>conflict', 'IPv6 ok>contested', 'IPv6 conflict>ok']) expect(reached).toContain(r);
  });

  it('delegates held elsewhere: answers from up to 1,000 MACs, split brains of any size', { timeout: 30_000 }, () => {
    const addr = fc.integer({ min: D0, max: N - 1 });
    const cmds = fc.array(fc.oneof(...frames(addr), advance, advance), { maxLength: 16 });
    reached.clear();
    assertProperty('delegates', fc.property(setupOf(only(D0, N), noneHeld), cmds, lateness, run), RUNS.delegates);
    for (const r of ['unknown>split-brain', 'ok>split-brain', 'split-brain>ok', 'ok>unanswered', 'unanswered>ok', 'split-brain with a full list', 'overflow', 'failover', 'IPv6 ok>split-brain', 'IPv6 ok>unanswered']) expect(reached).toContain(r);
  });

  it('delegates held here, and every address at once', { timeout: 30_000 }, () => {
    const addr = fc.integer({ min: 0, max: N - 1 });
    const cmds = fc.array(fc.oneof(...frames(addr), advance), { maxLength: 16 });
    assertProperty('held', fc.property(setupOf(allN, heldArb), cmds, lateness, run), RUNS.held);
  });

  it('with address changes, delegates moving between held and not, link down and up, and reloads', { timeout: 30_000 }, () => {
    const addr = fc.integer({ min: 0, max: N - 1 });
    const cmds = fc.array(fc.oneof({ arbitrary: fc.oneof(...frames(addr)), weight: 4 }, { arbitrary: advance, weight: 3 }, { arbitrary: topology, weight: 2 }, { arbitrary: reload, weight: 1 }), { maxLength: 16 });
    const setup = setupOf(fc.array(fc.boolean(), { minLength: N, maxLength: N }), heldArb);
    reached.clear();
    assertProperty('topology', fc.property(setup, cmds, lateness, run), RUNS.topology);
    for (const r of ['conflict>unknown', 'split-brain>unknown', 'ok>unknown']) expect(reached).toContain(r);
  });
});
