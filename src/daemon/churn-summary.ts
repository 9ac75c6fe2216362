/**
 * When the churn summary (churn-log.ts) is due: every intervalMs while interfaces churn. The
 * timer starts when a change is counted and stops after an interval that counted none (its
 * summary still logs what churn made the detector say meanwhile), so a host without churn is
 * never woken for it.
 */
import type { Guard } from './guard.js';

export class ChurnSummaryTimer {
  private timer: NodeJS.Timeout | null = null;
  /** The churn counted when the last summary was taken (or at the baseline). */
  private seen = 0;

  constructor(
    private readonly guard: Guard,
    private readonly intervalMs: number,
    /** A sum of the churn counters; the summary may reset some of them. */
    private readonly counted: () => number,
    private readonly summary: () => void,
  ) {}

  /** What is counted now is not churn (the start). */
  baseline(): void {
    this.seen = this.counted();
  }

  /** After anything that may have counted churn: starts the timer if something was. */
  check(): void {
    if (this.timer || this.counted() === this.seen) return;
    this.timer = setInterval(this.guard.wrap('timer', () => {
      const churned = this.counted() !== this.seen;
      this.summary();
      this.seen = this.counted();
      if (!churned) this.stop();
    }), this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
