// The log's time has microseconds, stays inside the millisecond the wall clock says, follows a
// step of the wall clock at once, and parses back (Date.parse keeps milliseconds only).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoMicros, microsecondClock, microsecondIsoTime, parseLogTime } from '../../src/cli/log-time.js';

describe('log time with microseconds', () => {
  it('formats ISO 8601 UTC with six fractional digits and parses back to the microsecond', () => {
    expect(isoMicros(Date.UTC(2026, 11, 2, 5, 20, 0, 123) + 0.4567)).toBe('2026-12-02T05:20:00.123456Z');
    expect(isoMicros(Date.UTC(2026, 11, 2, 5, 20, 0, 0))).toBe('2026-12-02T05:20:00.000000Z');
    expect(parseLogTime('2026-12-02T05:20:00.123456Z')).toBeCloseTo(Date.UTC(2026, 11, 2, 5, 20, 0, 123) + 0.456, 6);
    expect(parseLogTime('2026-12-02T05:20:00.123Z')).toBe(Date.UTC(2026, 11, 2, 5, 20, 0, 123)); // a line of an older dupip
    expect(Date.parse('2026-12-02T05:20:00.123456Z')).toBe(Date.UTC(2026, 11, 2, 5, 20, 0, 123));
    expect(microsecondIsoTime(() => Date.UTC(2026, 0, 1) + 0.25)()).toBe(',"time":"2026-01-01T00:00:00.000250Z"');
  });

  it('is always within the wall clock\'s millisecond and converges on the true sub-millisecond time', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.array(fc.tuple(fc.double({ min: 0, max: 50, noNaN: true }), fc.integer({ min: -3, max: 3 }), fc.boolean()), { minLength: 1, maxLength: 60 }), (start, steps) => {
        let mono = 1000;
        let trueOffset = 1.7e12 + start; // wall − mono, changed by steps of the wall clock
        const clock = microsecondClock(() => Math.floor(mono + trueOffset), () => mono);
        for (const [advance, step, doStep] of steps) {
          mono += advance;
          if (doStep) trueOffset += step * 1000 + step * 0.37; // a step of whole seconds and a bit
          const w = Math.floor(mono + trueOffset);
          const t = clock();
          if (!(t >= w && t < w + 1)) return false;
        }
        return true;
      }),
      { numRuns: 500 },
    );
    let mono = 0;
    const offset = 1.7e12 + 0.6180339;
    const clock = microsecondClock(() => Math.floor(mono + offset), () => mono);
    for (let i = 0; i < 200; i++) {
      mono += 0.0137 * (i + 1);
      clock();
    }
    expect(Math.abs(clock() - (mono + offset))).toBeLessThan(0.01); // within 10 µs of the truth
  });

  it('the real clocks: successive lines are in order and agree with Date.now()', () => {
    const clock = microsecondClock();
    let last = 0;
    for (let i = 0; i < 1000; i++) {
      const before = Date.now();
      const t = clock();
      const after = Date.now();
      expect(t).toBeGreaterThanOrEqual(before);
      expect(t).toBeLessThan(after + 1);
      expect(t).toBeGreaterThanOrEqual(last - 1); // order, within the re-read margin
      last = t;
    }
  });
});
