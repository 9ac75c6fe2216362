/** Small helpers shared by the benchmark scenarios: scratch directories, statistics, random numbers, lines. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { now } from '../../test/lab/exec.js';

const scratch = new Set<string>();
let cleanupInstalled = false;

/** A fresh directory under the system tmpdir, removed at the latest when the process exits. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.add(dir);
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.on('exit', () => {
      for (const d of scratch) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

// The harness clock and delay are test/lab/exec.ts's, so that daemon log read times
// (test/support/daemon-proc.ts) and the scenarios' own timestamps are on one clock.
export { delay, now } from '../../test/lab/exec.js';

/** Uniform in [lo, hi). */
export const uniform = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);

export interface Distribution {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Percentile by linear interpolation between closest ranks (the "R-7" definition). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function distribution(values: readonly number[]): Distribution | null {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    n: xs.length,
    min: round(xs[0]!),
    p50: round(percentile(xs, 0.5)),
    p90: round(percentile(xs, 0.9)),
    p99: round(percentile(xs, 0.99)),
    max: round(xs[xs.length - 1]!),
    mean: round(xs.reduce((a, b) => a + b, 0) / xs.length),
  };
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

/** Calls `onLine(line, receivedAt)` for every line of a stream. */
export function eachLine(stream: Readable | null | undefined, onLine: (line: string, at: number) => void): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => onLine(line, now()));
}

/** "dupip bench: ..." progress line on stderr (stdout stays free for the final summary). */
export function progress(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export const round = (v: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
