/**
 * Takeover-safe probing and split brain only when it is one (issue 10 items 1 and 4), through the
 * detector: what goes out for held and unheld addresses, and how a failover inside one probe
 * round is told from two holders at once.
 */
import { describe, expect, it } from 'vitest';
import { OP_REPLY, OP_REQUEST } from '../../src/core/arp.js';
import type { DetectorEvent } from '../../src/core/events.js';
import { requestSender } from '../../src/core/request-sender.js';
import { deriveWatchList } from '../../src/core/watchlist.js';
import { renderStatus } from '../../src/cli/status-table.js';
import type { StatusAddress } from '../../src/control/protocol.js';
import { FakeWorld, IF, OWN_IP, OWN_MAC, ip } from '../support/fake-world.js';
import { checkEvent } from '../support/detector-invariants.js';

const V = ip('198.51.100.10');
const [OLD, NEW] = ['02:00:00:00:0a:01', '02:00:00:00:0a:02'];
const unheld = [{ address: V, role: 'delegate' as const, held: false, allowedMacs: [] }];
const a = (s: string, prefixLength = 24) => ({ address: ip(s), prefixLength });

/** A gratuitous announcement (arping -U: request; arping -A: reply) from `mac` for V. */
const announce = (w: FakeWorld, mac: string, op: 1 | 2 = OP_REQUEST) => w.frame({ op, senderMac: mac, senderIp: V, targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: V });
const failovers = (w: FakeWorld) => w.events.filter((e): e is Extract<DetectorEvent, { type: 'failover' }> => e.type === 'failover');

describe('what is sent', () => {
  it('an address held elsewhere is probed with ordinary requests from an own address, never from 0.0.0.0', () => {
    const w = new FakeWorld();
    w.watch(unheld);
    w.advance(10_000);
    const probes = w.sentOf('probe');
    expect(probes.length).toBeGreaterThanOrEqual(9);
    for (const p of probes) expect(p.frame).toEqual({ op: OP_REQUEST, senderMac: OWN_MAC, senderIp: OWN_IP, targetMac: '00:00:00:00:00:00', targetIp: V });
  });

  it('held addresses (own and delegates held here) keep RFC 5227 probes', () => {
    const w = new FakeWorld();
    w.watch([{ address: ip('192.0.2.1') }, { address: V, role: 'delegate', held: true, allowedMacs: [] }]);
    w.advance(5000);
    const probes = w.sentOf('probe');
    expect(new Set(probes.map((p) => p.address))).toEqual(new Set([ip('192.0.2.1'), V]));
    for (const p of probes) expect(p.frame.senderIp).toBe(0);
  });

  it('the sender is an own address in the delegate subnet, not the delegate, not another delegate if avoidable', () => {
    const delegates = new Set([ip('198.51.100.20')]);
    expect(requestSender([a('192.0.2.1'), a('198.51.100.20'), a('198.51.100.7')], V, delegates)).toBe(ip('198.51.100.7'));
    expect(requestSender([a('192.0.2.1'), a('198.51.100.20')], V, delegates)).toBe(ip('192.0.2.1'));
    expect(requestSender([a('198.51.100.20')], V, delegates)).toBe(ip('198.51.100.20'));
    expect(requestSender([a('198.51.100.10')], V, new Set())).toBeNull(); // the delegate itself is never a sender
    expect(requestSender([], V, new Set())).toBeNull();
  });

  it('the watch list gives the detector each interface’s own addresses', () => {
    const host = [{ name: 'eth0', ifindex: 2, mac: OWN_MAC, up: true, loopback: false, noArp: false, addresses: [a('198.51.100.7')] }];
    const list = deriveWatchList({ interfaces: [], ownAddresses: true, excludeAddresses: [], delegates: [{ address: V, allowedMacs: [] }] }, host);
    expect(list.interfaces[0]!.hostAddresses).toEqual([a('198.51.100.7')]);
    const w = new FakeWorld();
    w.watch(unheld, { interfaces: list.interfaces.map((i) => ({ ...i, name: IF })) });
    w.advance(2000);
    expect(w.sentOf('probe').every((p) => p.frame.senderIp === ip('198.51.100.7'))).toBe(true);
  });

  it('with no IPv4 address on the interface a delegate held elsewhere is not probed; said once, listening goes on', () => {
    const w = new FakeWorld();
    w.watch(unheld, { interfaces: [{ name: IF, ifindex: 2, mac: OWN_MAC, up: true, hostAddresses: [] }] });
    w.advance(10_000);
    expect(w.sent).toEqual([]);
    expect(w.events.filter((e) => e.type === 'probe-withheld')).toHaveLength(1);
    expect(w.detector.snapshotAll()[0]!.passive).toBe(true);
    // An address appears: probing resumes with it as the sender.
    w.watch(unheld, { interfaces: [{ name: IF, ifindex: 2, mac: OWN_MAC, up: true, hostAddresses: [a('198.51.100.7')] }] });
    w.advance(2000);
    expect(w.sentOf('probe').length).toBeGreaterThan(0);
    expect(w.sentOf('probe').every((p) => p.frame.senderIp === ip('198.51.100.7'))).toBe(true);
    expect(w.detector.snapshotAll()[0]!.passive).toBeUndefined();
  });
});

describe('dupip status', () => {
  it('says a delegate is not probed when its interface has no address to ask from', () => {
    const row = (passive: boolean): StatusAddress => ({
      address: '198.51.100.10', interface: 'eth0', role: 'delegate', held: false, state: 'unknown', macs: [], intruders: [], macOverflow: 0,
      holders: [], lastProbe: null, episodeStart: null, episodes: 0, lastEpisode: null, recurrence: null, ...(passive ? { passive: true as const } : {}),
    });
    const render = (passive: boolean) =>
      renderStatus({ daemon: { version: '0', pid: 1, startedAt: '2026-01-01T00:00:00Z', healthy: true, now: '2026-01-01T00:00:00Z' }, addresses: [row(passive)], history: [], historyTotal: 0, journal: null }, 0, false);
    expect(render(true)).toContain('not probed: no IPv4 address on the interface to ask from');
    expect(render(false)).not.toContain('not probed');
  });
});

describe('split brain only when it is one', () => {
  /** A world where `holders()` answer every probe of ours, each with its kernel's unicast reply. */
  function world(holders: () => string[], options: ConstructorParameters<typeof FakeWorld>[0] = {}) {
    const w = new FakeWorld(options);
    w.onTransmit = (t) => {
      if (t.kind !== 'probe') return;
      for (const h of holders()) w.frame({ op: OP_REPLY, senderMac: h, senderIp: V, targetMac: OWN_MAC, targetIp: t.frame.senderIp });
    };
    return w;
  }

  it('old holder answers, then the new one announces within the same round: a failover, confirmed at once', () => {
    let holders = [OLD];
    const w = world(() => holders);
    w.watch(unheld);
    w.advance(3000);
    expect(w.states()).toEqual(['ok']);
    for (let i = 0; i < 20; i++) {
      const [from, to] = i % 2 === 0 ? [OLD, NEW] : [NEW, OLD];
      // Just after our next probe: the old holder has answered it, gives the address up, the new one announces.
      const next = w.detector.nextDeadline()!;
      w.advance(next - w.now + 1);
      const sentBefore = w.sentOf('probe').length;
      holders = [to];
      announce(w, to, i % 4 < 2 ? OP_REQUEST : OP_REPLY);
      expect(w.sentOf('probe').length).toBe(sentBefore + 1); // the confirmation probe, at once
      w.advance(1500);
      expect(failovers(w).at(-1)).toMatchObject({ from, to });
    }
    expect(w.states()).toEqual(['ok']);
    expect(failovers(w)).toHaveLength(20);
    for (const e of w.events) checkEvent(e);
  });

  it('a new MAC announcing between rounds is confirmed at once and reported as a failover', () => {
    let holders = [OLD];
    const w = world(() => holders);
    w.watch(unheld);
    w.advance(2500);
    holders = [NEW];
    const sentBefore = w.sentOf('probe').length;
    const t0 = w.now;
    announce(w, NEW);
    expect(w.sentOf('probe').length).toBe(sentBefore + 1);
    w.advance(1000);
    const f = failovers(w);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ from: OLD, to: NEW });
    expect(f[0]!.at - t0).toBeLessThanOrEqual(600); // the confirmation round's reply window, not the next interval
  });

  it('at default intervals the failover is reported one reply window after the announcement, not at the next tick', () => {
    let holders = [OLD];
    const w = world(() => holders, { probeIntervalMs: 10_000, announceIntervalMs: 60_000 });
    w.watch(unheld);
    w.advance(30_000);
    expect(w.states()).toEqual(['ok']);
    // Halfway between two ticks of the 2.5 s grid.
    w.advance(2500 - (w.now % 2500) + 1250);
    holders = [NEW];
    const t0 = w.now;
    announce(w, NEW);
    w.advance(2500);
    const f = failovers(w);
    expect(f).toHaveLength(1);
    expect(f[0]!.at - t0).toBe(1000); // the reply window (min(1 s, interval/2)), exactly
  });

  it('two holders at once: split brain one round trip after the first probe they both answered, naming both', () => {
    const w = world(() => [OLD, NEW]);
    w.watch(unheld);
    w.advance(1200);
    const sb = w.events.find((e): e is Extract<DetectorEvent, { type: 'state' }> => e.type === 'state' && e.to === 'split-brain');
    expect(sb?.entry.macs.map((m) => m.mac).sort()).toEqual([OLD, NEW]);
    const [first, confirmation] = w.sentOf('probe');
    expect(confirmation!.at).toBe(first!.at); // sent at once (the fake wire has no delay)
    expect(sb!.at).toBe(confirmation!.at);
    expect(failovers(w)).toEqual([]);
  });

  it('the old holder still answering after the new one announced is a split brain', () => {
    const w = world(() => [OLD]);
    w.watch(unheld);
    w.advance(2500);
    let holders = [OLD, NEW];
    w.onTransmit = (t) => t.kind === 'probe' && holders.forEach((h) => w.frame({ op: OP_REPLY, senderMac: h, senderIp: V, targetMac: OWN_MAC, targetIp: OWN_IP }));
    announce(w, NEW);
    w.advance(100);
    expect(w.states()).toEqual(['ok', 'split-brain']);
    holders = [NEW];
    w.advance(2000);
    expect(w.states()).toEqual(['ok', 'split-brain', 'ok']);
  });

  it('a flood of claims from ever new MACs between rounds costs at most one extra probe per interval', () => {
    const w = world(() => [OLD]);
    w.watch(unheld);
    w.advance(2500);
    const before = w.sentOf('probe').length;
    for (let i = 0; i < 2000; i++) {
      w.advance(5);
      announce(w, `02:00:00:01:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`);
    }
    const probes = w.sentOf('probe').length - before; // over 10 s at a 1 s interval
    expect(probes).toBeLessThanOrEqual(2 * 10 + 2);
    // (Claims from other MACs while a confirmation round is open do count: they claim the address at that moment.)
  });
});
