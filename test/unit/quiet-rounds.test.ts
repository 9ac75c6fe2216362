/**
 * A probe round of a held address in `ok` sets no evaluation deadline (src/core/outbox.ts): its end
 * changes nothing. A frame about the address makes the round count (src/core/detector.ts
 * roundCounts), so conflicts clear on the same round as when every round had its deadline.
 */
import { describe, expect, it } from 'vitest';
import { MAX_TICK_MS } from '../../src/core/grid.js';
import { FakeWorld, ip } from '../support/fake-world.js';

const A = ip('192.0.2.10');
const INTRUDER = '02:00:00:00:00:99';

describe('quiet rounds', () => {
  it('a quiet round of an address in ok sets no deadline: one address wakes for its probes and announcements only', () => {
    const w = new FakeWorld({ probeIntervalMs: 10_000, announceIntervalMs: 60_000 });
    w.watch([{ address: A }]);
    w.advance(20_000); // first round (unknown -> ok, evaluated), first announcement
    const [probes, announcements, wakeups] = [w.sentOf('probe').length, w.sentOf('announcement').length, w.wakeups];
    w.advance(600_000);
    const sent = w.sentOf('probe').length - probes + w.sentOf('announcement').length - announcements;
    expect(w.sentOf('probe').length - probes).toBeGreaterThan(55);
    // One wake-up per frame sent (probe or announcement, sometimes on one tick) and the summary's
    // once a minute, none for evaluations (there were ~60 more before).
    expect(w.wakeups - wakeups).toBeLessThanOrEqual(sent + 600_000 / 60_000 + 1);
    expect(w.states()).toEqual(['ok']);
  });

  it('a claim during a round of an address in ok makes that round count: cleared one clean round later, as before', () => {
    const w = new FakeWorld({ clearAfter: 1, probeIntervalMs: 10_000, announceIntervalMs: 0 });
    w.watch([{ address: A }]);
    w.advance(20_000);
    expect(w.states()).toEqual(['ok']);
    // Right after a probe, inside its reply window: the round has no deadline of its own yet.
    const probes = w.sentOf('probe').length;
    while (w.sentOf('probe').length === probes) w.advance(10);
    const probedAt = w.sentOf('probe').at(-1)!.at;
    expect(w.claim(INTRUDER, A)).toBe('claim');
    // That round is judged at its end (not quiet: the claim), the next one clears: ok after the
    // second probe's round, not the third's.
    while (w.sentOf('probe').length < probes + 2) w.advance(50);
    const secondAt = w.sentOf('probe').at(-1)!.at;
    w.advance(MAX_TICK_MS + 100);
    const cleared = w.events.find((e) => e.type === 'state' && e.to === 'ok' && e.from === 'conflict');
    expect(cleared).toBeDefined();
    expect(cleared!.at).toBeGreaterThan(secondAt);
    expect(cleared!.at).toBeLessThanOrEqual(secondAt + MAX_TICK_MS);
    expect(probedAt).toBeLessThan(secondAt);
  });

  it('a claim after a quiet round of an address in ok has ended counts in the next round', () => {
    const w = new FakeWorld({ clearAfter: 1, probeIntervalMs: 10_000, announceIntervalMs: 0 });
    w.watch([{ address: A }]);
    w.advance(20_000);
    const probes = w.sentOf('probe').length;
    while (w.sentOf('probe').length === probes) w.advance(10);
    w.advance(MAX_TICK_MS + 100); // past the reply window, before the next probe
    expect(w.claim(INTRUDER, A)).toBe('claim');
    // The next round holds the claim, so it is not clean; the one after it clears.
    while (w.sentOf('probe').length < probes + 2) w.advance(50);
    const nextAt = w.sentOf('probe').at(-1)!.at;
    w.advance(MAX_TICK_MS + 100);
    expect(w.states()).toEqual(['ok', 'conflict']);
    while (w.sentOf('probe').length < probes + 3) w.advance(50);
    w.advance(MAX_TICK_MS + 100);
    const cleared = w.events.find((e) => e.type === 'state' && e.to === 'ok' && e.from === 'conflict');
    expect(cleared!.at).toBeGreaterThan(nextAt + MAX_TICK_MS);
  });
});
