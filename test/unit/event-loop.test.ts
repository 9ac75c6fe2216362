/**
 * nodejs_eventloop_lag_*: the resolution of the sampling histogram is not reported as lag (an idle
 * loop reads ~0, not the sampling period), and a real stall is seen.
 */
import { Registry } from '../../src/metrics/registry.js';
import { describe, expect, it } from 'vitest';
import { lagStatistics, lateTimeout, registerEventLoopLag } from '../../src/metrics/event-loop.js';
import { DupipMetrics } from '../../src/metrics/metrics.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gauges(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(nodejs_eventloop_lag_\w+) (\S+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

describe('event-loop lag', () => {
  it('converts a histogram of lateness (ns) to seconds; empty reads 0', () => {
    const ms = 1e6;
    const h = { min: 1, max: 250 * ms, mean: 10 * ms, stddev: 20 * ms, count: 10, percentile: (p: number) => (p === 50 ? 1 * ms : p === 90 ? 30 * ms : 250 * ms) };
    const s = lagStatistics(h);
    expect(s.min).toBeCloseTo(0, 6);
    expect(s.max).toBeCloseTo(0.25, 6);
    expect(s.mean).toBeCloseTo(0.01, 6);
    expect(s.stddev).toBeCloseTo(0.02, 6);
    expect(s.p50).toBeCloseTo(0.001, 6);
    expect(s.p99).toBeCloseTo(0.25, 6);
    expect(lagStatistics({ ...h, count: 0, min: 9e18, max: 0, mean: NaN, stddev: NaN })).toEqual({ min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0 });
  });

  it('an idle loop reads near 0; a 400 ms stall reads as ~0.4 s of lag', { timeout: 15_000 }, async () => {
    const r = new Registry();
    registerEventLoopLag(r, 100);
    await sleep(1000);
    const idle = gauges(await r.metrics());
    expect(Object.keys(idle).sort()).toEqual(['max', 'mean', 'min', 'p50', 'p90', 'p99', 'stddev', ''].map((k) => `nodejs_eventloop_lag_${k ? `${k}_` : ''}seconds`).sort());
    // Not the 0.1 s sampling period; a loaded CI machine may add some real lag.
    expect(idle.nodejs_eventloop_lag_p50_seconds).toBeLessThan(0.05);
    expect(idle.nodejs_eventloop_lag_min_seconds).toBeLessThan(0.05);
    const until = Date.now() + 400;
    while (Date.now() < until) {
      /* stall the loop */
    }
    await sleep(300); // the stall is right after a scrape: it must not be forgotten with the reset
    const stalled = gauges(await r.metrics());
    expect(stalled.nodejs_eventloop_lag_max_seconds).toBeGreaterThan(0.3);
    expect(stalled.nodejs_eventloop_lag_max_seconds).toBeLessThan(1.5);
  });

  it("the daemon's own timer wake-ups are the samples: a late one is seen, and the fallback sampler does not wake meanwhile", { timeout: 15_000 }, async () => {
    const r = new Registry();
    const recorder = registerEventLoopLag(r, 300);
    try {
      await r.metrics(); // reset
      for (let i = 0; i < 8; i++) await new Promise<void>((resolve) => lateTimeout(resolve, 100)); // 800 ms of 100 ms wake-ups
      expect(recorder.fallbackWakeups).toBe(0);
      expect(recorder.histogram.count).toBeGreaterThanOrEqual(8);
      const fired = new Promise<void>((resolve) => lateTimeout(resolve, 10));
      const until = Date.now() + 400;
      while (Date.now() < until) {
        /* stall the loop past the timer's deadline */
      }
      await fired;
      const g = gauges(await r.metrics());
      expect(g.nodejs_eventloop_lag_max_seconds).toBeGreaterThan(0.3);
      expect(g.nodejs_eventloop_lag_max_seconds).toBeLessThan(1.5);
      await sleep(700); // quiet: the fallback samples
      expect(recorder.fallbackWakeups).toBeGreaterThanOrEqual(1);
    } finally {
      recorder.stop();
    }
  });

  it('the daemon registry has them once, from this module (not the resolution-biased ones of prom-client, which dupip no longer loads)', async () => {
    const text = await new DupipMetrics({ version: '0.1.0' }).metrics();
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds']) {
      expect(text.split('\n').filter((l) => l === `# TYPE ${name} gauge`)).toHaveLength(1);
    }
  });
});
