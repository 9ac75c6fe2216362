/**
 * Counter values kept outside prom-client, so that label sets can be pruned and initialised at 0
 * (prom-client cannot list them) and rendered in a stable order at scrape time.
 */
import { Counter, type Registry } from 'prom-client';

export type Labels<L extends string> = Record<L, string>;

export class Counts<L extends string> {
  private readonly values = new Map<string, { labels: Labels<L>; value: number }>();

  constructor(private readonly labelNames: readonly L[]) {}

  /** Called per received batch and per sent frame: no intermediate array. */
  private key(labels: Labels<L>): string {
    const names = this.labelNames;
    let k = labels[names[0]!] ?? '';
    for (let i = 1; i < names.length; i++) k += `\u0000${labels[names[i]!] ?? ''}`;
    return k;
  }

  inc(labels: Labels<L>, by = 1): void {
    const k = this.key(labels);
    const v = this.values.get(k);
    if (v) v.value += by;
    else this.values.set(k, { labels: { ...labels }, value: by });
  }

  /** Makes the series exist (at 0 when new). */
  touch(labels: Labels<L>): void {
    this.inc(labels, 0);
  }

  get(labels: Labels<L>): number {
    return this.values.get(this.key(labels))?.value ?? 0;
  }

  /** Removes every series for which `drop` is true. */
  prune(drop: (labels: Labels<L>) => boolean): void {
    for (const [k, v] of this.values) if (drop(v.labels)) this.values.delete(k);
  }

  get size(): number {
    return this.values.size;
  }

  /** Series sorted by label values (numerically where they are numbers or addresses), for a stable exposition. */
  sorted(): Array<{ labels: Labels<L>; value: number }> {
    return [...this.values.values()].sort((a, b) => compareLabels(this.labelNames, a.labels, b.labels));
  }
}

const collator = new Intl.Collator('en', { numeric: true });

export function compareLabels<L extends string>(names: readonly L[], a: Labels<L>, b: Labels<L>): number {
  for (const n of names) {
    const c = collator.compare(a[n], b[n]);
    if (c !== 0) return c;
  }
  return 0;
}

/** A prom-client counter that shows `counts` at each scrape; `before` runs first (pruning, initialising). */
export function countsCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  counts: Counts<L>,
  labelNames: readonly L[],
  before?: () => void,
): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      before?.();
      this.reset();
      for (const { labels, value } of counts.sorted()) this.inc(labels as never, value);
    },
  });
}
