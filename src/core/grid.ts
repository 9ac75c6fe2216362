/**
 * The detector's time grid. Deadlines are aligned to ticks (probe interval/4, at most 2.5 s, never
 * longer than the announcement interval) so that the probes, evaluations and announcements of many
 * addresses share one wake-up: on a VM a wake-up costs more than the work it does (an idle daemon
 * at 100 addresses spent ~40 % less CPU on a 2.5 s grid than on a 1 s one, bench/notes/
 * profiles-idle.md). Probes go to the nearest tick and announcements are rounded down (a gap
 * never exceeds 1.2 × interval), evaluations up: a probe's replies are judged at the first tick at
 * least the reply window after it (a confirmation's exactly then, outbox.ts). Frames the send cap
 * holds back wait for the window, not for the grid.
 */
import { type Random, jittered } from './timing.js';

export const MAX_TICK_MS = 2500;
/** Longest time answers to a probe are collected. */
export const MAX_REPLY_WINDOW_MS = 1000;

export class TickGrid {
  constructor(private readonly opts: { readonly probeIntervalMs: number; readonly announceIntervalMs: number; readonly random: Random }) {}

  get tickMs(): number {
    const { probeIntervalMs, announceIntervalMs } = this.opts;
    const tick = Math.min(MAX_TICK_MS, probeIntervalMs / 4);
    return announceIntervalMs > 0 ? Math.min(tick, announceIntervalMs) : tick;
  }

  get replyWindowMs(): number {
    return Math.min(MAX_REPLY_WINDOW_MS, this.opts.probeIntervalMs / 2);
  }

  /** Rounds a deadline down to the grid, never into the past. */
  align(t: number, now: number): number {
    return Math.max(now, Math.floor(t / this.tickMs) * this.tickMs);
  }

  /** Rounds a deadline up to the grid. */
  alignUp(t: number): number {
    return Math.ceil(t / this.tickMs) * this.tickMs;
  }

  /**
   * The next probe of an address, one jittered interval from now, at the nearest tick but never
   * more than 1.2 × interval away. Rounding down instead would make the gaps 7.5 or 10 s at the
   * default 10 s (2.5 s ticks), ~14 % more probes than the interval asks for; to the nearest tick
   * they average ~9.5 s, as on the finer grid before.
   */
  nextProbe(now: number): number {
    const interval = this.opts.probeIntervalMs;
    const tick = this.tickMs;
    const nearest = Math.round((now + jittered(interval, this.opts.random)) / tick) * tick;
    const latest = Math.floor((now + 1.2 * interval) / tick) * tick;
    return Math.max(now, Math.min(nearest, latest));
  }

  /**
   * One announcement interval, jittered ±20% but never shorter than a tick: two announcements due
   * in one tick would go out at the same instant.
   */
  announceStep(): number {
    const interval = this.opts.announceIntervalMs;
    return jittered(interval, this.opts.random, Math.max(0, Math.min(0.2, 1 - this.tickMs / interval)));
  }

  /**
   * When an announcement due at `ideal` goes out: rounded down to the grid, but always after
   * `now`. Callers reckon the next one from `ideal`, not from this, so rounding never adds up.
   */
  announceAt(ideal: number, now: number): number {
    const down = Math.floor(ideal / this.tickMs) * this.tickMs;
    return down > now ? down : this.alignUp(now + 1);
  }
}
