import { describe, expect, it } from 'vitest';
import { approx, describeRecurrence } from '../../src/core/recurrence.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** 2017-06-23 19:00:00 UTC, the afternoon of the incident. */
const T0 = Date.UTC(2017, 5, 23, 19, 0, 0);
const at = (h: number, m: number, s = 0) => T0 + h * HOUR + m * MIN + s * 1000;

describe('describeRecurrence', () => {
  it('needs 3 episodes', () => {
    expect(describeRecurrence([])).toBeNull();
    expect(describeRecurrence([at(0, 0), at(0, 15)])).toBeNull();
  });

  it('finds the incident: minutes 0,15,30,45 of every hour, drifting a few seconds', () => {
    const drift = [3, 7, -2, 11, 5, 0, 9, -4, 2, 6, 12, 1];
    const starts = drift.map((s, i) => at(Math.floor(i / 4), (i % 4) * 15, s));
    const r = describeRecurrence(starts);
    expect(r).toMatchObject({ kind: 'minutes', minutes: [0, 15, 30, 45], episodes: 12 });
    expect(r!.text).toBe('recurs at minutes 0,15,30,45 of the hour');
  });

  it('finds the incident in the bosh_agent log times (up to a minute late), in any order', () => {
    const log = [at(0, 15, 37), at(0, 30, 50), at(0, 46, 1), at(1, 0, 21), at(1, 15, 29), at(1, 30, 38)];
    expect(describeRecurrence([...log].reverse())?.text).toBe('recurs at minutes 0,15,30,45 of the hour');
  });

  it('lists only the minutes that were hit', () => {
    const starts = [at(0, 0, 4), at(0, 30, 2), at(1, 0, 8), at(1, 30, 1), at(2, 0, 3)];
    expect(describeRecurrence(starts)?.text).toBe('recurs at minutes 0,30 of the hour');
    const hourly = [at(0, 7, 10), at(1, 7, 40), at(2, 7, 5)];
    expect(describeRecurrence(hourly)?.text).toBe('recurs at minute 7 of the hour');
  });

  it('finds fixed minutes that are not evenly spaced when each is hit twice', () => {
    const starts = [at(0, 5), at(0, 23), at(1, 5, 20), at(1, 23, 30), at(2, 5, 10)];
    expect(describeRecurrence(starts)).toMatchObject({ kind: 'minutes', minutes: [5, 23] });
  });

  it('tells minutes in the given time zone', () => {
    // India (UTC+5:30): a cron job at local minute 0 runs at UTC minute 30.
    const starts = [at(0, 30, 2), at(1, 30, 5), at(2, 30, 1)];
    expect(describeRecurrence(starts)?.text).toBe('recurs at minute 30 of the hour');
    expect(describeRecurrence(starts, { tzOffsetMinutes: 330 })?.text).toBe('recurs at minute 0 of the hour');
  });

  it('under an hour of episodes is an interval, not minutes of the hour', () => {
    const starts = [at(0, 0, 3), at(0, 15, 1), at(0, 30, 6)];
    expect(describeRecurrence(starts)).toMatchObject({ kind: 'interval', text: 'every ~15m' });
  });

  it('a regular interval that does not divide the hour is "every ~Nm"', () => {
    const starts = [0, 1, 2, 3, 4, 5, 6].map((i) => T0 + i * 25 * MIN + (i % 3) * 20_000);
    const r = describeRecurrence(starts);
    expect(r).toMatchObject({ kind: 'interval' });
    expect(r!.text).toBe('every ~25m');
  });

  it('irregular episodes are counted over their span', () => {
    const starts = [at(0, 3), at(0, 41), at(1, 2), at(2, 3)];
    expect(describeRecurrence(starts)).toMatchObject({ kind: 'irregular', text: '4 episodes in 2h, irregular' });
  });

  it('a start far from the grid breaks the minutes pattern', () => {
    const starts = [at(0, 0), at(0, 15), at(0, 30), at(0, 45), at(1, 0), at(1, 7), at(1, 15)];
    expect(describeRecurrence(starts)?.kind).toBe('irregular');
  });

  it('only looks at the most recent episodes', () => {
    const old = [at(-30, 3), at(-29, 41), at(-27, 2)];
    const recent = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => at(0, 0) + i * 15 * MIN);
    expect(describeRecurrence([...old, ...recent], { maxEpisodes: 8 })?.text).toBe('recurs at minutes 0,15,30,45 of the hour');
    expect(describeRecurrence([...old, ...recent])?.kind).toBe('irregular');
  });
});

describe('approx', () => {
  it('rounds durations for people', () => {
    expect(approx(45_000)).toBe('45s');
    expect(approx(15 * MIN + 20_000)).toBe('15m');
    expect(approx(90 * MIN)).toBe('1h30m');
    expect(approx(2 * HOUR + 20_000)).toBe('2h');
    expect(approx(30 * HOUR)).toBe('30h');
    expect(approx(72 * HOUR)).toBe('3d');
  });
});
