import { describe, expect, it } from 'vitest';
import { MAX_TICK_MS } from '../../src/core/grid.js';
import { MAX_MACS_PER_ADDRESS } from '../../src/core/sightings.js';
import { SendWindow } from '../../src/core/timing.js';
import { DEFEND_INTERVAL_MS } from '../../src/core/rfc5227.js';
import { formatIpv4 } from '../../src/core/ipv4.js';
import { OP_REQUEST } from '../../src/core/arp.js';
import { FakeWorld, IF, OWN_ADDRESSES, OWN_MAC, ip } from '../support/fake-world.js';

const A = ip('192.0.2.10');
const INTRUDER = '02:00:00:00:00:99';
const PEER1 = '02:00:00:00:00:a1';
const PEER2 = '02:00:00:00:00:a2';

describe('own addresses', () => {
  it('is ok after a clean probe round, and probes go out with sender IP 0', () => {
    const w = new FakeWorld();
    w.watch([{ address: A }]);
    w.advance(2000);
    expect(w.states()).toEqual(['ok']);
    const probes = w.sentOf('probe');
    expect(probes.length).toBeGreaterThanOrEqual(1);
    expect(probes[0]!.frame).toMatchObject({ op: OP_REQUEST, senderIp: 0, targetIp: A, senderMac: OWN_MAC });
  });

  it('a silent intruder answering the probe is a conflict naming its MAC', () => {
    const w = new FakeWorld();
    w.onTransmit = (t) => t.kind === 'probe' && w.reply(INTRUDER, t.address);
    w.watch([{ address: A }]);
    w.advance(1300);
    const conflict = w.events.find((e) => e.type === 'state' && e.to === 'conflict');
    expect(conflict).toBeDefined();
    expect(conflict!.type === 'state' && conflict!.entry.macs.map((m) => m.mac)).toEqual([INTRUDER]);
    expect(conflict!.type === 'state' && conflict!.episode?.kind).toBe('conflict');
  });

  it('clears after clear_after clean rounds, not before', () => {
    const w = new FakeWorld({ clearAfter: 3 });
    let intruderPresent = true;
    w.onTransmit = (t) => intruderPresent && t.kind === 'probe' && w.reply(INTRUDER, t.address);
    w.watch([{ address: A }]);
    w.advance(5000);
    expect(w.states()).toEqual(['conflict']);
    intruderPresent = false;
    const probesBefore = w.sentOf('probe').length;
    // Two clean rounds are not enough.
    while (w.sentOf('probe').length < probesBefore + 2) w.advance(50);
    w.advance(600);
    expect(w.states()).toEqual(['conflict']);
    w.advance(1300);
    expect(w.states()).toEqual(['conflict', 'ok']);
    const cleared = w.events.find((e) => e.type === 'state' && e.to === 'ok' && e.from === 'conflict');
    expect(cleared?.type === 'state' && cleared.episode?.end).toBeGreaterThan(cleared?.type === 'state' ? cleared.episode!.start : 0);
  });

  it('a chatty intruder is a conflict on its first frame', () => {
    const w = new FakeWorld();
    w.watch([{ address: A }]);
    w.advance(2000);
    expect(w.claim(INTRUDER, A)).toBe('claim');
    expect(w.states()).toEqual(['ok', 'conflict']);
  });

  it('frames from any of the host own MACs are never foreign', () => {
    const w = new FakeWorld();
    w.watch([{ address: A }], { ownMacs: [OWN_MAC, '02:00:00:00:00:02'] });
    w.advance(2000);
    expect(w.claim('02:00:00:00:00:02', A)).toBe('own');
    expect(w.claim(OWN_MAC, A)).toBe('own');
    expect(w.states()).toEqual(['ok']);
  });

  it('ignore_macs are never counted', () => {
    const w = new FakeWorld({ ignoreMacs: [INTRUDER] });
    w.watch([{ address: A }]);
    w.advance(2000);
    expect(w.claim(INTRUDER, A)).toBe('ignored');
    expect(w.states()).toEqual(['ok']);
  });

  it('a foreign probe is contested, not a conflict, and clears after clear_after rounds', () => {
    const w = new FakeWorld();
    w.watch([{ address: A }]);
    w.advance(2000);
    expect(w.frame({ op: OP_REQUEST, senderMac: INTRUDER, senderIp: 0, targetMac: '00:00:00:00:00:00', targetIp: A })).toBe('probe');
    expect(w.states()).toEqual(['ok', 'contested']);
    w.advance(5000);
    expect(w.states()).toEqual(['ok', 'contested', 'ok']);
  });

  it('defends at most once per DEFEND_INTERVAL with defend=once', () => {
    const w = new FakeWorld({ defend: 'once' });
    w.watch([{ address: A }]);
    w.advance(2000);
    for (let t = 0; t < 25_000; t += 100) {
      w.claim(INTRUDER, A);
      w.advance(100);
    }
    const defences = w.sentOf('defence');
    expect(defences.length).toBe(3);
    expect(defences[1]!.at - defences[0]!.at).toBeGreaterThanOrEqual(DEFEND_INTERVAL_MS);
    expect(defences[0]!.frame).toMatchObject({ senderIp: A, targetIp: A, senderMac: OWN_MAC, targetMac: 'ff:ff:ff:ff:ff:ff' });
    // the first defence goes out on the first conflicting frame, not later
    expect(defences[0]!.at).toBe(1_000_000 + 2000);
  });

  it('never defends with defend=never', () => {
    const w = new FakeWorld({ defend: 'never' });
    w.watch([{ address: A }]);
    w.advance(2000);
    for (let i = 0; i < 50; i++) {
      w.claim(INTRUDER, A);
      w.advance(500);
    }
    expect(w.sentOf('defence')).toEqual([]);
  });

  it('keeps at most MAX_MACS_PER_ADDRESS MACs under a spoofing flood and counts the rest', () => {
    const w = new FakeWorld();
    w.watch([{ address: A }]);
    w.advance(2000);
    for (let i = 0; i < 1000; i++) w.claim(`02:01:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, A);
    const snap = w.detector.snapshotAll()[0]!;
    expect(snap.macs.length).toBe(MAX_MACS_PER_ADDRESS);
    expect(snap.macOverflow).toBe(1000 - MAX_MACS_PER_ADDRESS);
    // one state line and at most 7 MAC additions, never one event per frame
    expect(w.events.filter((e) => e.type === 'conflict-mac').length).toBe(MAX_MACS_PER_ADDRESS - 1);
  });

  it('summarises a flood periodically instead of per frame', () => {
    const w = new FakeWorld({ summaryIntervalMs: 10_000 });
    w.watch([{ address: A }]);
    for (let i = 0; i < 300; i++) {
      w.claim(INTRUDER, A);
      w.advance(100);
    }
    const summaries = w.events.filter((e) => e.type === 'summary');
    expect(summaries.length).toBe(3);
    expect(summaries.reduce((n, s) => n + (s.type === 'summary' ? s.frames : 0), 0)).toBeLessThanOrEqual(300);
  });

  it('announces held addresses at announce_interval, only after a clean round, never in conflict', () => {
    const w = new FakeWorld({ announceIntervalMs: 5000 });
    w.watch([{ address: A }]);
    w.advance(60_000);
    const ann = w.sentOf('announcement');
    expect(ann.length).toBeGreaterThanOrEqual(10);
    expect(ann.length).toBeLessThanOrEqual(16);
    const okAt = w.events.find((e) => e.type === 'state' && e.to === 'ok')!.at;
    expect(ann[0]!.at).toBeGreaterThanOrEqual(okAt);
    const w2 = new FakeWorld({ announceIntervalMs: 5000, defend: 'never' });
    w2.onTransmit = (t) => t.kind === 'probe' && w2.reply(INTRUDER, t.address);
    w2.watch([{ address: A }]);
    w2.advance(60_000);
    expect(w2.sentOf('announcement')).toEqual([]);
  });

  it('stops everything for an address once it is removed', () => {
    const w = new FakeWorld({ announceIntervalMs: 2000 });
    w.watch([{ address: A }]);
    w.advance(10_000);
    const n = w.sent.length;
    expect(n).toBeGreaterThan(5);
    w.watch([]);
    w.advance(30_000);
    expect(w.sent.length).toBe(n);
    expect(w.events.some((e) => e.type === 'watch' && e.change === 'removed')).toBe(true);
    expect(w.detector.watchedAddresses(IF)).toEqual([]);
  });
});

describe('delegates not held here', () => {
  const V = ip('198.51.100.10');
  const delegate = (allowedMacs: string[] = []) => [{ address: V, role: 'delegate' as const, held: false, allowedMacs }];

  it('one holder is ok, with the holder recorded', () => {
    const w = new FakeWorld();
    w.onTransmit = (t) => t.kind === 'probe' && w.reply(PEER1, t.address);
    w.watch(delegate());
    w.advance(3000);
    expect(w.states()).toEqual(['ok']);
    expect(w.detector.snapshotAll()[0]!.holders).toEqual([PEER1]);
  });

  it('two holders are a split brain naming both, declared on the second answer', () => {
    const w = new FakeWorld();
    w.onTransmit = (t) => {
      if (t.kind !== 'probe') return;
      w.reply(PEER1, t.address);
      w.reply(PEER2, t.address);
    };
    w.watch(delegate());
    w.advance(1200);
    const sb = w.events.find((e) => e.type === 'state' && e.to === 'split-brain');
    expect(sb?.type === 'state' && sb.entry.macs.map((m) => m.mac).sort()).toEqual([PEER1, PEER2]);
    expect(sb?.type === 'state' && sb.at).toBe(w.sentOf('probe')[0]!.at);
  });

  it('a holder change is a failover, not a conflict', () => {
    const w = new FakeWorld();
    let holder = PEER1;
    w.onTransmit = (t) => t.kind === 'probe' && w.reply(holder, t.address);
    w.watch(delegate());
    w.advance(3000);
    holder = PEER2;
    w.advance(3000);
    const f = w.events.filter((e) => e.type === 'failover');
    expect(f.length).toBe(1);
    expect(f[0]).toMatchObject({ from: PEER1, to: PEER2 });
    expect(w.states()).toEqual(['ok']);
  });

  it('no answer for two rounds is unanswered', () => {
    const w = new FakeWorld();
    w.watch(delegate());
    w.advance(1500);
    expect(w.states()).toEqual([]);
    w.advance(3000);
    expect(w.states()).toEqual(['unanswered']);
  });

  it('flags a holder that is not an allowed MAC', () => {
    const w = new FakeWorld();
    w.onTransmit = (t) => t.kind === 'probe' && w.reply(INTRUDER, t.address);
    w.watch(delegate([PEER1, PEER2]));
    w.advance(3000);
    expect(w.events.filter((e) => e.type === 'unexpected-holder').length).toBe(1);
    expect(w.detector.snapshotAll()[0]!.unexpectedHolder).toBe(true);
  });

  it('ignores VRRP virtual MACs by default', () => {
    const w = new FakeWorld();
    w.onTransmit = (t) => {
      if (t.kind !== 'probe') return;
      w.reply(PEER1, t.address);
      w.reply('00:00:5e:00:01:07', t.address);
    };
    w.watch(delegate());
    w.advance(3000);
    expect(w.states()).toEqual(['ok']);
  });

  it('never announces or defends a delegate it does not hold', () => {
    const w = new FakeWorld({ announceIntervalMs: 1000, defend: 'once' });
    w.onTransmit = (t) => {
      if (t.kind !== 'probe') return;
      w.reply(PEER1, t.address);
      w.reply(PEER2, t.address);
    };
    w.watch(delegate());
    for (let i = 0; i < 50; i++) {
      w.claim(PEER2, V);
      w.advance(200);
    }
    expect(w.sent.every((s) => s.kind === 'probe')).toBe(true);
  });

  it('held by this host and a peer is a conflict; moving onto this host is a failover', () => {
    const w = new FakeWorld();
    w.onTransmit = (t) => t.kind === 'probe' && w.reply(PEER1, t.address);
    w.watch(delegate());
    w.advance(3000);
    w.watch([{ address: V, role: 'delegate', held: true, allowedMacs: [PEER1] }]);
    w.advance(1500);
    expect(w.events.filter((e) => e.type === 'failover')).toMatchObject([{ from: PEER1, to: OWN_MAC }]);
    expect(w.states().at(-1)).toBe('conflict');
  });

  it('peers probing a delegate this host holds are not contests when allowed', () => {
    const w = new FakeWorld();
    w.watch([{ address: V, role: 'delegate', held: true, allowedMacs: [PEER1] }]);
    w.advance(2000);
    expect(w.frame({ op: OP_REQUEST, senderMac: PEER1, senderIp: 0, targetMac: '00:00:00:00:00:00', targetIp: V })).toBe('ignored');
    expect(w.states()).toEqual(['ok']);
  });
});

describe('timing', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ address: ip('203.0.113.0') + i }));

  it('keeps probe intervals of one address within ±20% jitter', () => {
    const w = new FakeWorld({ probeIntervalMs: 10_000 });
    w.watch([{ address: A }]);
    w.advance(600_000);
    const at = w.sentOf('probe').map((s) => s.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps.length).toBeGreaterThan(45);
    // ±20%, rounded down to the 500 ms tick grid: never longer than 1.2 × interval
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(8000 - MAX_TICK_MS);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(12000);
    // and it really is jittered, not fixed
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeGreaterThan(1500);
  });

  it('spreads first probes of many addresses over the interval', () => {
    const w = new FakeWorld({ probeIntervalMs: 10_000, maxSendRate: 1000 });
    w.watch(many(200));
    w.advance(10_000);
    const first = new Map<number, number>();
    for (const s of w.sentOf('probe')) if (!first.has(s.address)) first.set(s.address, s.at - 1_000_000);
    expect(first.size).toBe(200);
    // Over every tick of the interval (the grid's, src/core/grid.ts), not bunched into a few.
    const ticks = 10_000 / MAX_TICK_MS;
    const buckets = new Array(ticks).fill(0);
    for (const t of first.values()) buckets[Math.min(ticks - 1, Math.floor(t / MAX_TICK_MS))]++;
    for (const b of buckets) expect(b).toBeGreaterThan(200 / ticks / 2);
  });

  it('caps frames per second per interface and says so when the cap stretches the round', () => {
    const w = new FakeWorld({ probeIntervalMs: 1000, maxSendRate: 50 });
    w.watch(many(200));
    w.advance(20_000);
    const at = w.sent.map((s) => s.at);
    for (let i = 0; i + 50 < at.length; i++) expect(at[i + 50]! - at[i]!).toBeGreaterThanOrEqual(1000 - 1);
    expect(at.length).toBeGreaterThan(900);
    const capped = w.events.find((e) => e.type === 'send-capped');
    expect(capped).toMatchObject({ interface: IF, addresses: 200, cap: 50, neededPerSecond: 200, roundMs: 4000 });
    const status = w.detector.interfaceStatus()[0]!;
    expect(status.roundMs).toBeGreaterThan(3000);
  });

  it('serves many addresses with few wake-ups: deadlines share the tick grid', () => {
    const w = new FakeWorld({ probeIntervalMs: 10_000, announceIntervalMs: 60_000 });
    w.watch(many(100));
    w.advance(600_000);
    // 100 addresses: ~6,000 probes and ~1,000 announcements in 10 minutes...
    expect(w.sentOf('probe').length).toBeGreaterThan(5500);
    expect(w.sentOf('announcement').length).toBeGreaterThan(900);
    // ...and their evaluations, in at most one wake-up per tick.
    expect(w.wakeups).toBeLessThanOrEqual(600_000 / MAX_TICK_MS + 10);
  });

  it('the send window allows a burst of `rate` frames, then none until the oldest is a second old', () => {
    const win = new SendWindow(3);
    expect([win.tryTake(0), win.tryTake(0), win.tryTake(10), win.tryTake(20)]).toEqual([true, true, true, false]);
    expect(win.nextAvailable(20)).toBe(1000);
    expect(win.tryTake(999)).toBe(false);
    expect([win.tryTake(1000), win.tryTake(1000), win.tryTake(1005)]).toEqual([true, true, false]);
    win.setRate(5);
    expect([win.tryTake(1005), win.tryTake(1005), win.tryTake(1006)]).toEqual([true, true, false]);
  });

  it('uses the whole cap when it binds, though real timers fire late', () => {
    const w = new FakeWorld({ probeIntervalMs: 10_000, maxSendRate: 3 });
    w.timerLateness = (n) => (n % 2 ? 4 : 1);
    w.watch(many(60));
    w.advance(60_000);
    const inWindow = w.sent.filter((s) => s.at >= 1_000_000 + 20_000 && s.at < 1_000_000 + 50_000).length;
    expect(inWindow).toBeGreaterThanOrEqual(3 * 30 - 3);
    expect(inWindow).toBeLessThanOrEqual(3 * 30 + 3);
  });

  it('does not warn when the cap fits', () => {
    const w = new FakeWorld({ probeIntervalMs: 10_000, maxSendRate: 500 });
    w.watch(many(4096));
    w.advance(30_000);
    expect(w.events.some((e) => e.type === 'send-capped')).toBe(false);
    const probed = new Set(w.sentOf('probe').filter((s) => s.at > 1_000_000 + 12_000 && s.at <= 1_000_000 + 24_000).map((s) => s.address));
    expect(probed.size).toBe(4096);
  });

  it('addresses added at runtime are probed within 100 ms', () => {
    const w = new FakeWorld({ probeIntervalMs: 10_000 });
    w.watch([{ address: A }]);
    w.advance(20_000);
    const B = ip('192.0.2.11');
    const t0 = w.now;
    w.watch([{ address: A }, { address: B }]);
    w.advance(200);
    const p = w.sentOf('probe').find((s) => s.address === B);
    expect(p!.at - t0).toBeLessThanOrEqual(100);
    expect(formatIpv4(p!.frame.targetIp)).toBe('192.0.2.11');
  });

  it('pauses on a down interface and resumes when it comes back', () => {
    const w = new FakeWorld();
    w.watch([{ address: A }]);
    w.advance(3000);
    const n = w.sent.length;
    w.watch([{ address: A }], { interfaces: [{ name: IF, ifindex: 2, mac: OWN_MAC, up: false, hostAddresses: OWN_ADDRESSES }] });
    w.advance(5000);
    expect(w.sent.length).toBe(n);
    w.watch([{ address: A }]);
    w.advance(200);
    expect(w.sent.length).toBe(n + 1);
    expect(w.events.filter((e) => e.type === 'interface').map((e) => e.type === 'interface' && e.up)).toEqual([false, true]);
  });
});
