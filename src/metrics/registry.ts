/**
 * A small Prometheus registry: counter and gauge families with label sets, rendered in the text
 * exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Every family is computed at scrape time by its collect function, which fills a `Samples` (set or
 * add a value for a label set; the first write of a label set fixes its place, a later one replaces
 * or adds to its value, as prom-client's set and inc did). Nothing is kept between scrapes here: the values that must survive live in
 * plain counters (counts.ts, servers.ts) or in the daemon's view. Families are rendered in the order
 * they were registered, each as `# HELP`, `# TYPE` and its samples, one blank line between families.
 * An unlabelled family that collected nothing reads 0.
 *
 * Escaping as the format says: in HELP, `\` and newline; in label values, `\`, `"` and newline.
 */

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The samples of one family at one scrape: one Map entry per label set, keyed by its rendered
 * label block (`{a="x",b="y"}`, escaped, or '' unlabelled), which is also what is written out:
 * no other object per series, so a scrape of thousands of addresses makes little garbage.
 */
export class Samples {
  readonly series = new Map<string, number>();

  constructor(readonly labelNames: readonly string[]) {}

  private key(values: readonly string[]): string {
    const names = this.labelNames;
    if (names.length === 0) return '';
    let k = '{';
    for (let i = 0; i < names.length; i++) k += `${i ? ',' : ''}${names[i]}="${escapeLabelValue(values[i] ?? '')}"`;
    return `${k}}`;
  }

  set(values: readonly string[], value: number): void {
    this.series.set(this.key(values), value);
  }

  inc(values: readonly string[], by: number): void {
    const k = this.key(values);
    this.series.set(k, (this.series.get(k) ?? 0) + by);
  }
}

export type Collect = (samples: Samples) => void | Promise<void>;

interface Family {
  name: string;
  help: string;
  type: MetricType;
  labelNames: readonly string[];
  collect: Collect;
}

export class Registry {
  private readonly families = new Map<string, Family>();
  readonly contentType = CONTENT_TYPE;

  /** Adds a family; a name or label name the format does not allow, or a name registered twice, throws. */
  register(name: string, help: string, type: MetricType, labelNames: readonly string[], collect: Collect): void {
    if (!METRIC_NAME.test(name)) throw new Error(`metrics: invalid metric name ${JSON.stringify(name)}`);
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new Error(`metrics: invalid label name ${JSON.stringify(l)} in ${name}`);
    }
    if (new Set(labelNames).size !== labelNames.length) throw new Error(`metrics: repeated label name in ${name}`);
    if (this.families.has(name)) throw new Error(`metrics: ${name} is already registered`);
    this.families.set(name, { name, help, type, labelNames, collect });
  }

  counter(name: string, help: string, labelNames: readonly string[], collect: Collect): void {
    this.register(name, help, 'counter', labelNames, collect);
  }

  gauge(name: string, help: string, labelNames: readonly string[], collect: Collect): void {
    this.register(name, help, 'gauge', labelNames, collect);
  }

  /** The exposition: every family collected in registration order, one after the other. */
  async metrics(): Promise<string> {
    const out: string[] = [];
    for (const f of this.families.values()) {
      const samples = new Samples(f.labelNames);
      await f.collect(samples);
      out.push(render(f, samples));
    }
    return `${out.join('\n\n')}\n`;
  }
}

function render(f: Family, samples: Samples): string {
  let text = `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}`;
  if (samples.series.size === 0 && f.labelNames.length === 0) return `${text}\n${f.name} 0`;
  for (const [labels, value] of samples.series) text += `\n${f.name}${labels} ${formatValue(value)}`;
  return text;
}

/** HELP escapes only backslash and newline; a label value also the double quote. */
const NEEDS_ESCAPE = /[\\"\n]/;

export function escapeHelp(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function escapeLabelValue(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
