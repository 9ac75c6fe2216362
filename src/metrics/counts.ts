/**
 * Counter values kept between scrapes, so that label sets can be pruned and initialised at 0 and
 * rendered in a stable order at scrape time.
 *
 * Compact for thousands of addresses: one Map entry per series, its key the label values joined
 * by NUL (no label value here holds one) and its value the count; no object per series. Label
 * objects are built only while pruning or rendering.
 */
import { compareNatural } from '../core/natural-order.js';
import type { Registry, Samples } from './registry.js';

export type Labels<L extends string> = Record<L, string>;

const SEP = '\u0000';

export class Counts<L extends string> {
  private readonly values = new Map<string, number>();

  constructor(readonly labelNames: readonly L[]) {}

  /** Called per received batch and per sent frame: no intermediate array. */
  private key(labels: Labels<L>): string {
    const names = this.labelNames;
    let k = labels[names[0]!] ?? '';
    for (let i = 1; i < names.length; i++) k += `${SEP}${labels[names[i]!] ?? ''}`;
    return k;
  }

  private labelsOf(key: string): Labels<L> {
    const values = key.split(SEP);
    const labels = {} as Labels<L>;
    this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
    return labels;
  }

  inc(labels: Labels<L>, by = 1): void {
    const k = this.key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }

  /** Makes the series exist (at 0 when new). */
  touch(labels: Labels<L>): void {
    const k = this.key(labels);
    if (!this.values.has(k)) this.values.set(k, 0);
  }

  get(labels: Labels<L>): number {
    return this.values.get(this.key(labels)) ?? 0;
  }

  /** Removes every series for which `drop` is true. */
  prune(drop: (labels: Labels<L>) => boolean): void {
    for (const k of this.values.keys()) if (drop(this.labelsOf(k))) this.values.delete(k);
  }

  get size(): number {
    return this.values.size;
  }

  /** Series as label values in the order of labelNames, sorted by them (numerically where they are numbers or addresses), for a stable exposition. */
  sorted(): Array<[values: string[], value: number]> {
    return [...this.values].map(([k, value]): [string[], number] => [k.split(SEP), value]).sort(([a], [b]) => {
      for (let i = 0; i < a.length; i++) {
        const c = compareNatural(a[i]!, b[i]!);
        if (c !== 0) return c;
      }
      return 0;
    });
  }
}

export function compareLabels<L extends string>(names: readonly L[], a: Labels<L>, b: Labels<L>): number {
  for (const n of names) {
    const c = compareNatural(a[n], b[n]);
    if (c !== 0) return c;
  }
  return 0;
}

/** A counter family that shows `counts` at each scrape; `before` runs first (pruning, initialising). */
export function countsCounter<L extends string>(registry: Registry, name: string, help: string, counts: Counts<L>, before?: () => void): void {
  registry.counter(name, help, counts.labelNames, (s: Samples) => {
    before?.();
    for (const [values, value] of counts.sorted()) s.append(values, value); // one entry per label set
  });
}
