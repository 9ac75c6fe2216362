/**
 * nodejs_eventloop_lag_* (the names, help and meaning of prom-client's, which dupip used to run),
 * measured truthfully at a low idle cost.
 *
 * prom-client takes them from Node's monitorEventLoopDelay(), whose histogram records the time
 * between two wake-ups of a timer: resolution + lag. A fine resolution (prom-client's default,
 * 10 ms) costs ~23 CPU-seconds an hour on an idle daemon; a coarse one read as lag (5 s, as this
 * daemon had) reports ~5 s of "lag" on an idle daemon. Its reset at each scrape also forgets the
 * interval under way, so a stall just after a scrape went unseen.
 *
 * Here the histogram records the lateness of timer wake-ups the process has anyway: the daemon's
 * deadline timer is armed through lateTimeout(), which records how late each of its callbacks
 * runs (now − the time it was due). A fallback timer records its own lateness when no such
 * wake-up came for SAMPLE_MS (it is pushed back by each one), so an idle daemon does not wake
 * for the sampler between its own wake-ups, and a quiet one (a detector with nothing due) is
 * still sampled every SAMPLE_MS. The histogram is read and reset at each scrape.
 * nodejs_eventloop_lag_seconds is, as in prom-client, the delay of a setImmediate at scrape time.
 */
import { type RecordableHistogram, createHistogram } from 'node:perf_hooks';
import type { Registry } from './registry.js';

/**
 * At most SAMPLE_MS without a sample: a stall longer than this is always seen (some timer is
 * due during it), a shorter one when it overlaps a wake-up. The fallback's idle cost was measured
 * at +10 ms CPU a minute at 5 s (2-core lab VM, 60 s idle), +49 ms at 1 s, against 66 ms for
 * Node alone; the daemon's own wake-ups now take most of its samples.
 */
export const SAMPLE_MS = 5000;

/** Statistics in seconds of a histogram of lateness in nanoseconds (all 0 when it is empty). */
export function lagStatistics(h: Pick<RecordableHistogram, 'min' | 'max' | 'mean' | 'stddev' | 'percentile' | 'count'>) {
  const s = (ns: number) => (h.count > 0 && Number.isFinite(ns) ? ns / 1e9 : 0);
  return { min: s(h.min), max: s(h.max), mean: s(h.mean), stddev: s(h.stddev), p50: s(h.percentile(50)), p90: s(h.percentile(90)), p99: s(h.percentile(99)) };
}

/** One histogram fed by lateTimeout()'s wake-ups and by its own fallback timer. */
export class LagRecorder {
  /** Wake-ups of the fallback timer (no other sample came for the period). */
  fallbackWakeups = 0;
  private due: number;
  private readonly fallback: NodeJS.Timeout;

  constructor(
    readonly histogram: RecordableHistogram,
    private readonly periodMs: number,
  ) {
    this.due = performance.now() + periodMs;
    this.fallback = setTimeout(() => {
      this.fallbackWakeups++;
      this.record(performance.now() - this.due);
    }, periodMs);
    this.fallback.unref();
  }

  /** A wake-up `lateMs` after it was due; the fallback waits a whole period from now. */
  record(lateMs: number): void {
    this.histogram.record(Math.max(1, Math.round(lateMs * 1e6))); // record() takes integers ≥ 1 (ns)
    this.due = performance.now() + this.periodMs;
    this.fallback.refresh();
  }

  stop(): void {
    clearTimeout(this.fallback);
    recorders.delete(this);
  }
}

const recorders = new Set<LagRecorder>();

/**
 * setTimeout whose callback's lateness is recorded by every registered LagRecorder (none: a plain
 * setTimeout). Lateness is measured from when the timer was armed plus its delay, on the
 * monotonic clock (libuv fires a timer at the first loop turn at or after it; ~1 ms is the norm).
 */
export function lateTimeout(callback: () => void, delayMs: number): NodeJS.Timeout {
  if (recorders.size === 0) return setTimeout(callback, delayMs);
  const due = performance.now() + delayMs;
  return setTimeout(() => {
    const late = performance.now() - due;
    for (const r of recorders) r.record(late);
    callback();
  }, delayMs);
}

/** Registers the eight gauges; statistics cover the time since the previous scrape. */
export function registerEventLoopLag(registry: Registry, periodMs = SAMPLE_MS): LagRecorder {
  const recorder = new LagRecorder(createHistogram(), periodMs);
  recorders.add(recorder);
  const { histogram } = recorder;
  let stats = lagStatistics(histogram);
  // Registered first: families are collected in registration order, so this one reads and resets
  // the histogram for the seven after it.
  registry.gauge('nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', [], async (s) => {
    stats = lagStatistics(histogram);
    histogram.reset();
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve) => setImmediate(resolve));
    s.set([], Number(process.hrtime.bigint() - start) / 1e9);
  });
  const gauge = (key: keyof typeof stats, help: string) => registry.gauge(`nodejs_eventloop_lag_${key}_seconds`, help, [], (s) => s.set([], stats[key]));
  gauge('min', 'The minimum recorded event loop delay.');
  gauge('max', 'The maximum recorded event loop delay.');
  gauge('mean', 'The mean of the recorded event loop delays.');
  gauge('stddev', 'The standard deviation of the recorded event loop delays.');
  gauge('p50', 'The 50th percentile of the recorded event loop delays.');
  gauge('p90', 'The 90th percentile of the recorded event loop delays.');
  gauge('p99', 'The 99th percentile of the recorded event loop delays.');
  return recorder;
}
