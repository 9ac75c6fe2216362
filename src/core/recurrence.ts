/**
 * Recurrence of conflict episodes on one address: the pattern the 2017 incident's team needed a day
 * of log reading to see ("0,15,30,45 * * * *"). Pure: times are passed in (wall-clock ms).
 *
 * In order of preference, for 3 or more episodes:
 *  1. minutes of the hour: every start lies within the tolerance of a grid of minutes of the hour
 *     (step 60, 30, 20, 15, 12 or 10 minutes; a cron job), or of at most 6 fixed minutes each hit
 *     at least twice, and the starts span about an hour or more: "recurs at minutes 0,15,30,45 of the hour";
 *  2. regular intervals (every interval within max(15% of the median, 20 s) of it): "every ~15m";
 *  3. otherwise: "5 episodes in 2h, irregular".
 */

export interface RecurrenceOptions {
  /** How far a start may be from its minute of the hour (default 60 s: detection lags, clocks drift). */
  toleranceMs?: number;
  /** Offset of the clock the minutes are told in, east of UTC (default 0: UTC). */
  tzOffsetMinutes?: number;
  /** Only the most recent starts are considered, so that an old pattern does not hide a new one (default 48). */
  maxEpisodes?: number;
}

export type Recurrence =
  | { kind: 'minutes'; minutes: number[]; episodes: number; text: string }
  | { kind: 'interval'; intervalMs: number; episodes: number; text: string }
  | { kind: 'irregular'; episodes: number; spanMs: number; text: string };

export const MIN_EPISODES = 3;
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Grid steps tried, largest first: the fewest minutes that explain every start. */
const GRID_STEPS_MIN = [60, 30, 20, 15, 12, 10];
const MAX_CLUSTERS = 6;
/** A start up to 10 s before a whole minute is told as that minute; otherwise minutes are floored (detection lags the cause). */
const EARLY_MIN = 1 / 6;

export function describeRecurrence(startsIn: readonly number[], opts: RecurrenceOptions = {}): Recurrence | null {
  const tol = opts.toleranceMs ?? MINUTE;
  const offset = (opts.tzOffsetMinutes ?? 0) * MINUTE;
  const starts = [...startsIn].sort((a, b) => a - b).slice(-(opts.maxEpisodes ?? 48));
  const n = starts.length;
  if (n < MIN_EPISODES) return null;
  const spanMs = starts[n - 1]! - starts[0]!;
  const inHour = starts.map((t) => mod(t + offset, HOUR));

  if (spanMs >= HOUR - tol) {
    const minutes = gridMinutes(inHour, tol) ?? clusterMinutes(inHour, tol);
    if (minutes) {
      const list = minutes.join(',');
      const text = minutes.length === 1 ? `recurs at minute ${list} of the hour` : `recurs at minutes ${list} of the hour`;
      return { kind: 'minutes', minutes, episodes: n, text };
    }
  }

  const intervals = starts.slice(1).map((t, i) => t - starts[i]!);
  const median = medianOf(intervals);
  const allowed = Math.max(0.15 * median, 20_000);
  if (median > 0 && intervals.every((d) => Math.abs(d - median) <= allowed)) {
    return { kind: 'interval', intervalMs: median, episodes: n, text: `every ~${approx(median)}` };
  }
  return { kind: 'irregular', episodes: n, spanMs, text: `${n} episodes in ${approx(spanMs)}, irregular` };
}

/** Minutes of an evenly spaced grid that explains every start (only the points hit), or null. */
function gridMinutes(inHour: number[], tol: number): number[] | null {
  for (const stepMin of GRID_STEPS_MIN) {
    const step = stepMin * MINUTE;
    const phase = circularMean(inHour.map((m) => mod(m, step)), step);
    if (!inHour.every((m) => circularDistance(mod(m, step), phase, step) <= tol)) continue;
    const base = Math.floor(phase / MINUTE + EARLY_MIN);
    const points = new Set(inHour.map((m) => mod(Math.round((m - phase) / step), 60 / stepMin)));
    return [...points].map((i) => mod(base + i * stepMin, 60)).sort((a, b) => a - b);
  }
  return null;
}

/** Up to MAX_CLUSTERS fixed minutes, each hit at least twice, that explain every start; or null. */
function clusterMinutes(inHour: number[], tol: number): number[] | null {
  const sorted = [...inHour].sort((a, b) => a - b);
  // Single linkage around the circle: start the walk after the widest gap, so no cluster wraps.
  let widest = 0;
  for (let i = 1; i < sorted.length; i++) if (gapAt(sorted, i) > gapAt(sorted, widest)) widest = i;
  if (gapAt(sorted, widest) <= tol) return null; // one smear around the whole hour
  const walk = [...sorted.slice(widest), ...sorted.slice(0, widest).map((m) => m + HOUR)];
  const clusters: number[][] = [[walk[0]!]];
  for (let i = 1; i < walk.length; i++) {
    if (walk[i]! - walk[i - 1]! > tol) clusters.push([]);
    clusters[clusters.length - 1]!.push(walk[i]!);
  }
  if (clusters.length > MAX_CLUSTERS) return null;
  if (clusters.some((c) => c.length < 2 || c[c.length - 1]! - c[0]! > 2 * tol)) return null;
  const minutes = clusters.map((c) => mod(Math.floor(c.reduce((s, m) => s + m, 0) / c.length / MINUTE + EARLY_MIN), 60));
  return [...new Set(minutes)].sort((a, b) => a - b);
}

function gapAt(sorted: number[], i: number): number {
  return i === 0 ? sorted[0]! + HOUR - sorted[sorted.length - 1]! : sorted[i]! - sorted[i - 1]!;
}

function circularMean(values: number[], period: number): number {
  let x = 0;
  let y = 0;
  for (const v of values) {
    const a = (2 * Math.PI * v) / period;
    x += Math.cos(a);
    y += Math.sin(a);
  }
  return mod((Math.atan2(y, x) * period) / (2 * Math.PI), period);
}

function circularDistance(a: number, b: number, period: number): number {
  const d = mod(a - b, period);
  return Math.min(d, period - d);
}

function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

/** A rounded duration for people: "45s", "15m", "1h30m", "2h", "3d". */
export function approx(ms: number): string {
  if (ms < 90_000) return `${Math.max(0, Math.round(ms / 1000))}s`;
  if (ms < 90 * MINUTE) return `${Math.round(ms / MINUTE)}m`;
  if (ms < 10 * HOUR) {
    const total = Math.round(ms / MINUTE);
    const h = Math.floor(total / 60);
    const m = total % 60;
    return m ? `${h}h${m}m` : `${h}h`;
  }
  if (ms < 48 * HOUR) return `${Math.round(ms / HOUR)}h`;
  return `${Math.round(ms / (24 * HOUR))}d`;
}
