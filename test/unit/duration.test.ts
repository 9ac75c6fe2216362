import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../../src/core/duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['0ms', 0],
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['1.5s', 1_500],
    ['0.25m', 15_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text as string)).toBe(ms);
  });

  it('rejects garbage with the generic message and examples', () => {
    expect(() => parseDuration('fast')).toThrow('"fast" is not a duration (e.g. 500ms, 10s, 5m)');
    expect(() => parseDuration('')).toThrow('"" is not a duration (e.g. 500ms, 10s, 5m)');
    expect(() => parseDuration('10 s')).toThrow('"10 s" is not a duration');
    expect(() => parseDuration(' 10s')).toThrow('is not a duration');
    expect(() => parseDuration('1h30')).toThrow('"1h30" is not a duration');
  });

  it('asks for a unit when a bare number other than 0 is given', () => {
    expect(() => parseDuration('10')).toThrow('"10" is not a duration: missing unit (e.g. "10s")');
  });

  it('names unknown units', () => {
    expect(() => parseDuration('5x')).toThrow('unknown unit "x" (use ms, s, m or h)');
    expect(() => parseDuration('10us')).toThrow('unknown unit "us"');
    expect(() => parseDuration('1d')).toThrow('unknown unit "d"');
    expect(() => parseDuration('10S')).toThrow('unknown unit "S"');
  });

  it('rejects negative durations', () => {
    expect(() => parseDuration('-5s')).toThrow('"-5s" is not a duration: durations cannot be negative');
  });

  it('rejects repeated or out-of-order units', () => {
    expect(() => parseDuration('30s1m')).toThrow('from largest to smallest');
    expect(() => parseDuration('1s1s')).toThrow('from largest to smallest');
  });

  it('rejects fractions of a millisecond and overflow', () => {
    expect(() => parseDuration('1.5ms')).toThrow('not a whole number of milliseconds');
    expect(() => parseDuration('0.0001s')).toThrow('not a whole number of milliseconds');
    expect(() => parseDuration('99999999999999h')).toThrow('too large');
  });

  it('throws DurationError carrying the input', () => {
    try {
      parseDuration('fast');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DurationError);
      expect((e as DurationError).input).toBe('fast');
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [10_000, '10s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [3_723_004, '1h2m3s4ms'],
    [48 * 3_600_000, '48h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('rounds fractions and signs negatives', () => {
    expect(formatDuration(1234.6)).toBe('1s235ms');
    expect(formatDuration(-1500)).toBe('-1s500ms');
    expect(formatDuration(-0.2)).toBe('0s');
  });

  it('rejects non-finite numbers', () => {
    expect(() => formatDuration(Infinity)).toThrow(RangeError);
    expect(() => formatDuration(NaN)).toThrow(RangeError);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 1000, 1001, 59_999, 60_000, 61_001, 3_599_999, 3_600_001, 86_400_000, 123_456_789]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
