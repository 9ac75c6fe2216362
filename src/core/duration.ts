/**
 * Durations as written in configuration and on the command line: "500ms", "10s", "5m", "1h", "1m30s", "0".
 *
 * Syntax: one or more <number><unit> groups, units ms, s, m, h, each unit at most once and from the
 * largest to the smallest ("1h30m", not "30m1h"). A number may have a decimal fraction ("1.5s") as long
 * as the total is a whole number of milliseconds. The bare number "0" is accepted; any other number
 * needs a unit. Negative durations do not exist.
 *
 * Pure: no I/O, no clock.
 */

export const DURATION_EXAMPLES = 'e.g. 500ms, 10s, 5m';

/** Thrown by parseDuration. The message starts with the quoted input and says what is wrong. */
export class DurationError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(reason ? `${JSON.stringify(input)} is not a duration: ${reason}` : `${JSON.stringify(input)} is not a duration (${DURATION_EXAMPLES})`);
    this.name = 'DurationError';
  }
}

const UNIT_MS: Readonly<Record<string, bigint>> = { h: 3_600_000n, m: 60_000n, s: 1_000n, ms: 1n };
/** Rank of each unit: groups must have strictly decreasing rank. */
const UNIT_RANK: Readonly<Record<string, number>> = { h: 3, m: 2, s: 1, ms: 0 };
const GROUP = /(\d+)(?:\.(\d+))?([a-zA-Zµ]*)/y;
const MAX_MS = BigInt(Number.MAX_SAFE_INTEGER);

/** Parses a duration; returns milliseconds (a non-negative safe integer). Throws DurationError. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  if (text.startsWith('-')) throw new DurationError(text, 'durations cannot be negative');
  if (text === '' || !/^\d/.test(text)) throw new DurationError(text, '');

  let total = 0n;
  let lastRank = Infinity;
  let pos = 0;
  while (pos < text.length) {
    GROUP.lastIndex = pos;
    const m = GROUP.exec(text);
    if (!m || m[0] === '') throw new DurationError(text, '');
    const whole = m[1]!;
    const frac = m[2] ?? '';
    const unit = m[3]!;
    if (unit === '') {
      if (pos === 0 && m[0].length === text.length) {
        throw new DurationError(text, `missing unit (e.g. ${JSON.stringify(`${text}s`)})`);
      }
      throw new DurationError(text, '');
    }
    const unitMs = UNIT_MS[unit];
    const rank = UNIT_RANK[unit];
    if (unitMs === undefined || rank === undefined) {
      throw new DurationError(text, `unknown unit ${JSON.stringify(unit)} (use ms, s, m or h)`);
    }
    if (rank >= lastRank) {
      throw new DurationError(text, 'each unit at most once, from largest to smallest (e.g. 1h30m, 1m30s)');
    }
    lastRank = rank;
    const scale = 10n ** BigInt(frac.length);
    const scaled = BigInt(whole + frac) * unitMs;
    if (scaled % scale !== 0n) throw new DurationError(text, 'not a whole number of milliseconds');
    total += scaled / scale;
    if (total > MAX_MS) throw new DurationError(text, 'too large');
    pos += m[0].length;
  }
  return Number(total);
}

/**
 * Formats milliseconds in the syntax parseDuration accepts: 0 → "0s", 500 → "500ms", 90000 → "1m30s",
 * 3723004 → "1h2m3s4ms". Fractions are rounded to the nearest millisecond; negative values get a "-".
 * For non-negative integers parseDuration(formatDuration(ms)) === ms.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`formatDuration: ${ms} is not a finite number`);
  let rest = Math.round(Math.abs(ms));
  const sign = ms < 0 && rest !== 0 ? '-' : '';
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return sign + out;
}
