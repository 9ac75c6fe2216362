/**
 * Periodic announcements go out at the configured rate (±1 a minute) for every pair of announce
 * and probe intervals, never two of one address at the same instant (issue "Exact and harmless on
 * real segments": with announce_interval below 1.25 ticks of the probe grid they went out twice
 * at once, 126 a minute instead of 60).
 */
import { describe, expect, it } from 'vitest';
import { FakeWorld, ip } from '../support/fake-world.js';

const A = ip('192.0.2.10');
const MINUTES = 10;
const ANNOUNCE_MS = [1000, 1100, 1200, 1250, 1500, 2000, 2500, 3000, 5000, 10_000, 30_000, 60_000];
const PROBE_MS = [100, 250, 500, 1000, 2000, 5000, 10_000, 12_500, 20_000, 60_000, 300_000];

describe('announcement rate', () => {
  it.each(ANNOUNCE_MS)('announce every %i ms: the configured rate for every probe interval, never twice at once', (announceIntervalMs) => {
    for (const probeIntervalMs of PROBE_MS) {
      const w = new FakeWorld({ announceIntervalMs, probeIntervalMs, maxSendRate: 1000 });
      w.timerLateness = (n) => (n * 7) % 6; // real timers fire 0–5 ms late
      w.watch([{ address: A }]);
      w.advance(probeIntervalMs + 5000); // the first clean round, and the first announcement
      const from = w.now;
      w.advance(MINUTES * 60_000);
      const at = w.sentOf('announcement').map((s) => s.at).filter((t) => t > from);
      const perMinute = at.length / MINUTES;
      const expected = 60_000 / announceIntervalMs;
      expect(Math.abs(perMinute - expected), `announce ${announceIntervalMs} ms, probe ${probeIntervalMs} ms: ${perMinute}/min`).toBeLessThanOrEqual(1);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      expect(Math.min(...gaps), `announce ${announceIntervalMs} ms, probe ${probeIntervalMs} ms`).toBeGreaterThan(0);
    }
  });
});
