/**
 * The log's "time": ISO 8601 in UTC with microseconds ("2026-12-02T05:20:00.123456Z", RFC 3339
 * allows any number of fractional digits). Milliseconds are too coarse to line a conflict up with a
 * packet capture (tcpdump prints microseconds) or to order the lines of one burst.
 *
 * The wall clock has milliseconds only (Date.now() is the floor of the true time T); the fraction
 * comes from the monotonic clock m. Each reading bounds their offset: w − m ≤ T − m < w + 1 − m.
 * The offset kept is the largest lower bound seen, so it converges on the true one within a few
 * lines; a reading outside [w, w + 1) (the wall clock stepped or slewed) takes the new bound at
 * once. A timestamp is therefore always within the millisecond Date.now() says.
 */
const precise = () => performance.timeOrigin + performance.now();

export function microsecondClock(wall: () => number = Date.now, mono: () => number = precise): () => number {
  let offset = -Infinity;
  return () => {
    const m = mono();
    const lo = wall() - m;
    if (lo > offset || lo + 1 <= offset) offset = lo;
    return m + offset;
  };
}

/** `t` (milliseconds since the epoch, fractional) as ISO 8601 with microseconds. */
export function isoMicros(t: number): string {
  const ms = Math.floor(t);
  const micros = Math.min(999, Math.floor((t - ms) * 1000));
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/** pino's `timestamp` option: `,"time":"…µsZ"`. */
export function microsecondIsoTime(clock: () => number = microsecondClock()): () => string {
  return () => `,"time":"${isoMicros(clock())}"`;
}

/** Milliseconds since the epoch of a log line's time, fractional when it has microseconds (Date.parse keeps milliseconds only). */
export function parseLogTime(iso: string): number {
  const ms = Date.parse(iso);
  const m = /\.\d{3}(\d{1,3})Z$/.exec(iso);
  return m ? ms + Number(m[1]!.padEnd(3, '0')) / 1000 : ms;
}
