/**
 * One batch per tick (src/core/outbox.ts): the frames that fall due in one wake-up reach the
 * transmitter together, once per interface, with the same times, order and per-frame outcomes as
 * frame-by-frame sending; a frame a received frame calls for still goes out at once.
 */
import { describe, expect, it } from 'vitest';
import type { AnyTransmission } from '../../src/core/detector.js';
import type { SendOutcome } from '../../src/core/events.js';
import { MAX_TICK_MS } from '../../src/core/grid.js';
import { formatIpv4 } from '../../src/core/ipv4.js';
import { FakeWorld, ip } from '../support/fake-world.js';

const ADDRESSES = Array.from({ length: 100 }, (_, i) => ip(`192.0.2.${i + 10}`));
const DEFAULTS = { probeIntervalMs: 10_000, announceIntervalMs: 60_000, maxSendRate: 50 };

/** A world whose detector has a transmitBatch that records each batch and sends each frame through the world's transmit. */
function batchingWorld(options: Partial<typeof DEFAULTS> = {}, outcomeOf: (t: AnyTransmission) => SendOutcome | null = () => null) {
  const batches: { wakeup: number; size: number }[] = [];
  const w: FakeWorld = new FakeWorld({
    ...DEFAULTS,
    ...options,
    transmitBatch: (ts) => {
      batches.push({ wakeup: w.wakeups, size: ts.length });
      return ts.map((t) => {
        const outcome = w.transmit(t);
        return outcomeOf(t) ?? outcome;
      });
    },
  });
  const countSingles = () => w.sent.length - batches.reduce((s, b) => s + b.size, 0);
  return { w, batches, countSingles };
}

describe('outbox: one batch per tick', () => {
  it('100 addresses at default intervals: one transmitBatch call per wake-up, carrying all of its frames', () => {
    const { w, batches, countSingles } = batchingWorld();
    w.timerLateness = (n) => (n * 7) % 6;
    w.watch(ADDRESSES.map((address) => ({ address })));
    w.advance(120_000);
    expect(w.sentOf('probe').length).toBeGreaterThan(100 * 9);
    expect(w.sentOf('announcement').length).toBeGreaterThan(100);
    const perWakeup = new Map<number, number>();
    for (const b of batches) perWakeup.set(b.wakeup, (perWakeup.get(b.wakeup) ?? 0) + 1);
    expect(Math.max(...perWakeup.values())).toBe(1);
    // Frames sent one at a time are only those of wake-ups with a single frame due.
    const sentAt = new Map<number, number>();
    for (const s of w.sent) sentAt.set(s.at, (sentAt.get(s.at) ?? 0) + 1);
    const singleTicks = [...sentAt.values()].filter((n) => n === 1).length;
    expect(countSingles()).toBe(singleTicks);
    // Nearly every tick of the 120 s carries a batch.
    expect(batches.length).toBeGreaterThan(120_000 / MAX_TICK_MS - 5);
  });

  it('the same frames at the same times, in the same order, with a batch transmitter as without', () => {
    const plain = new FakeWorld(DEFAULTS);
    const { w: batched } = batchingWorld();
    for (const w of [plain, batched]) {
      w.watch(ADDRESSES.map((address) => ({ address })));
      w.advance(90_000);
    }
    const trace = (w: FakeWorld) => w.sent.map((s) => `${s.at} ${s.kind} ${formatIpv4(s.address)}`);
    expect(trace(batched)).toEqual(trace(plain));
    expect(batched.events.map((e) => e.type)).toEqual(plain.events.map((e) => e.type));
  });

  it('per-frame outcomes: a probe the batch could not send opens no round, the others do', () => {
    const lost = ADDRESSES[3]!;
    const { w } = batchingWorld({}, (t) => (t.address === lost ? 'dropped' : null));
    w.watch(ADDRESSES.slice(0, 20).map((address) => ({ address })));
    w.advance(30_000);
    const okAddresses = new Set(w.events.flatMap((e) => (e.type === 'state' && e.to === 'ok' ? [e.entry.address] : [])));
    expect(okAddresses.has(formatIpv4(lost))).toBe(false);
    expect(okAddresses.size).toBe(19);
    const failed = w.events.filter((e) => e.type === 'sent' && e.outcome === 'dropped');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e) => e.type === 'sent' && e.address === formatIpv4(lost))).toBe(true);
  });

  it('a defence a received claim calls for goes out at once, not at the next tick', () => {
    const { w } = batchingWorld({ probeIntervalMs: 1000 });
    const a = ADDRESSES[0]!;
    w.watch([{ address: a }]);
    w.advance(5000);
    const before = w.sentOf('defence').length;
    w.claim('02:00:00:00:00:99', a);
    const defences = w.sentOf('defence');
    expect(defences.length).toBe(before + 1);
    expect(defences.at(-1)!.at).toBe(w.now);
  });

  it('a transmitBatch that returns the wrong number of outcomes is an error, not a silent guess', () => {
    const w = new FakeWorld({ ...DEFAULTS, transmitBatch: () => [] });
    w.watch(ADDRESSES.map((address) => ({ address })));
    expect(() => w.advance(20_000)).toThrow(/outcomes for/);
  });
});
