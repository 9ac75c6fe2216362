/**
 * The churn summary's timer (src/daemon/churn-summary.ts): a host without churn is never woken for
 * it; while churn goes on a summary is taken every interval, and one more after the last change.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChurnSummaryTimer } from '../../src/daemon/churn-summary.js';
import { Guard } from '../../src/daemon/guard.js';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('churn summary timer', () => {
  it('runs only while something was counted since the previous summary', () => {
    let counted = 5;
    let summaries = 0;
    const t = new ChurnSummaryTimer(new Guard(pino({ level: 'silent' })), 60_000, () => counted, () => void summaries++);
    t.baseline(); // what the start counted is not churn
    t.check();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(600_000);
    expect(summaries).toBe(0);
    counted = 7; // a link came and went
    t.check();
    t.check();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(60_000);
    expect(summaries).toBe(1);
    counted = 8;
    vi.advanceTimersByTime(60_000);
    expect(summaries).toBe(2);
    vi.advanceTimersByTime(60_000); // nothing new: the last summary, then the timer stops
    expect(summaries).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(600_000);
    expect(summaries).toBe(3);
  });
});
