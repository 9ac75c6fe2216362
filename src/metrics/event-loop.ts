/**
 * nodejs_eventloop_lag_* (the names and meaning of prom-client's), measured truthfully at a low
 * idle cost.
 *
 * Node's monitorEventLoopDelay() wakes a libuv timer every `resolution` ms (in C++, without
 * entering JavaScript) and records the time since the previous wake-up: resolution + lag. A fine
 * resolution (prom-client's default, 10 ms) costs ~23 CPU-seconds an hour on an idle daemon; a
 * coarse one read as lag (prom-client with 5 s) reports ~5 s of "lag" on an idle daemon. Here the
 * histogram runs at SAMPLE_MS and the resolution is subtracted from every statistic (a constant
 * shift moves min, max, mean and percentiles by the same amount and leaves the deviation alone),
 * clamped at 0 for the sub-millisecond early wake-ups of libuv's millisecond clock. A stall is
 * seen by the sample it overlaps: a stall longer than SAMPLE_MS always is.
 * nodejs_eventloop_lag_seconds is, as in prom-client, the delay of a setImmediate at scrape time.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/** One sample a second: ~3,600 C++ timer wake-ups an hour, no JavaScript. */
export const SAMPLE_MS = 1000;

export const EVENT_LOOP_LAG_METRICS = [
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
] as const;

/** The lag statistics (seconds) of a histogram of wake-up intervals taken every `resolutionMs`. */
export function lagStatistics(h: Pick<IntervalHistogram, 'min' | 'max' | 'mean' | 'stddev' | 'percentile' | 'count'>, resolutionMs: number) {
  const lag = (ns: number) => (h.count > 0 && Number.isFinite(ns) ? Math.max(0, ns / 1e6 - resolutionMs) / 1000 : 0);
  return {
    min: lag(h.min),
    max: lag(h.max),
    mean: lag(h.mean),
    stddev: h.count > 0 && Number.isFinite(h.stddev) ? h.stddev / 1e9 : 0,
    p50: lag(h.percentile(50)),
    p90: lag(h.percentile(90)),
    p99: lag(h.percentile(99)),
  };
}

/** Registers the eight gauges; statistics cover the time since the previous scrape. */
export function registerEventLoopLag(registry: Registry, resolutionMs = SAMPLE_MS): void {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const registers = [registry];
  const gauges: Record<string, Gauge> = {};
  // Registered first: prom-client collects in registration order, and this collect sets the other
  // seven (synchronously, before its first await) as prom-client's own does.
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds.',
    registers,
    async collect() {
      const s = lagStatistics(histogram, resolutionMs);
      histogram.reset();
      for (const [k, v] of Object.entries(s)) gauges[k]!.set(v);
      const start = process.hrtime.bigint();
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.set(Number(process.hrtime.bigint() - start) / 1e9);
    },
  });
  const gauge = (key: string, name: string, help: string) => (gauges[key] = new Gauge({ name, help, registers }));
  gauge('min', 'nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.');
  gauge('max', 'nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.');
  gauge('mean', 'nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.');
  gauge('stddev', 'nodejs_eventloop_lag_stddev_seconds', 'The standard deviation of the recorded event loop delays.');
  gauge('p50', 'nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.');
  gauge('p90', 'nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.');
  gauge('p99', 'nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.');
}
