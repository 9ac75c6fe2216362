/**
 * A small Prometheus registry: counter and gauge families with label sets, rendered in the text
 * exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Every family is computed at scrape time by its collect function, which fills a `Samples` (set or
 * add a value for a label set; the first write of a label set fixes its place, a later one replaces
 * or adds to its value, as prom-client's set and inc did; or append one written once per scrape,
 * which goes out at once, ahead of the others). Nothing is kept between scrapes here: the values that must survive live in
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
 * The samples of one family at one scrape. set() and inc() keep one Map entry per label set,
 * keyed by its rendered label block (`{a="x",b="y"}`, escaped, or '' unlabelled), which is also
 * what is written out after the collect function returns. append() is for a label set the collect
 * function writes once and only once (one per monitored address, one per entry of a Counts): it
 * goes into the exposition's text at once, ahead of the Map's series, with no Map entry or label
 * object: at 4,096 delegates 53,000 of the 61,000 series are appended, and a scrape makes
 * ~10-13 MB of garbage instead of ~45 MB (bench/notes/profiles-memory.md).
 */
export class Samples {
  readonly series = new Map<string, number>();
  /** Series written by append(). */
  appended = 0;

  constructor(
    private readonly family: Family,
    private readonly out: Chunks,
  ) {}

  /** The label block of `values`: `{a="x",b="y"}`, escaped ('' unlabelled). */
  private key(values: readonly string[]): string {
    const openers = this.family.openers;
    if (openers.length === 0) return '';
    let k = '';
    for (let i = 0; i < openers.length; i++) k += openers[i]! + escapeLabelValue(values[i] ?? '');
    return `${k}"}`;
  }

  set(values: readonly string[], value: number): void {
    this.series.set(this.key(values), value);
  }

  inc(values: readonly string[], by: number): void {
    const k = this.key(values);
    this.series.set(k, (this.series.get(k) ?? 0) + by);
  }

  /** A label set written once per scrape (the caller sees to it: two would be a duplicate series). */
  append(values: readonly string[], value: number): void {
    this.out.add(line(this.family.name, this.key(values), value));
    this.appended++;
  }
}

export type Collect = (samples: Samples) => void | Promise<void>;

interface Family {
  name: string;
  help: string;
  type: MetricType;
  labelNames: readonly string[];
  collect: Collect;
  /** What a label block has before each label value: `{a="`, `",b="`, … (made once). */
  openers: readonly string[];
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
    const openers = labelNames.map((l, i) => `${i ? '",' : '{'}${l}="`);
    this.families.set(name, { name, help, type, labelNames, collect, openers });
  }

  counter(name: string, help: string, labelNames: readonly string[], collect: Collect): void {
    this.register(name, help, 'counter', labelNames, collect);
  }

  gauge(name: string, help: string, labelNames: readonly string[], collect: Collect): void {
    this.register(name, help, 'gauge', labelNames, collect);
  }

  /** The exposition as text (tests, tools): the bytes of exposition(), decoded. */
  async metrics(): Promise<string> {
    return (await this.exposition()).toString('utf8');
  }

  /**
   * The exposition: every family collected in registration order, one after the other, written
   * out in UTF-8 chunks of ~32 KiB as it is rendered. Only the family being collected and one
   * chunk of text live on the JS heap at a time: at 4,096 delegates (61,000 series, 5 MB of text)
   * the whole text held as strings until the end lived through the scavenges of a scrape, was
   * promoted and grew the old generation by ~16 MB that stayed committed (bench/notes/
   * profiles-memory.md).
   */
  async exposition(): Promise<Buffer> {
    const out = new Chunks();
    let first = true;
    for (const f of this.families.values()) {
      if (!first) out.add('\n\n');
      first = false;
      out.add(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}`);
      const samples = new Samples(f, out);
      await f.collect(samples);
      render(f, samples, out);
    }
    out.add('\n');
    return out.done();
  }
}

const CHUNK_CHARS = 32 * 1024;

/** Text gathered into a string until it is ~32 KiB long, then encoded and kept off the JS heap. */
class Chunks {
  private readonly parts: Buffer[] = [];
  private bytes = 0;
  private text = '';

  add(s: string): void {
    this.text += s;
    if (this.text.length >= CHUNK_CHARS) this.cut();
  }

  private cut(): void {
    const b = Buffer.from(this.text, 'utf8');
    this.parts.push(b);
    this.bytes += b.length;
    this.text = '';
  }

  done(): Buffer {
    if (this.text) this.cut();
    return Buffer.concat(this.parts, this.bytes);
  }
}

/** The series of set() and inc(), after those append() wrote; an unlabelled family that collected nothing reads 0. */
function render(f: Family, samples: Samples, out: Chunks): void {
  if (samples.series.size === 0 && samples.appended === 0 && f.labelNames.length === 0) return out.add(`\n${f.name} 0`);
  for (const [labels, value] of samples.series) out.add(line(f.name, labels, value));
}

/** One series' line, with the newline that ends the line before it. */
function line(name: string, labels: string, value: number): string {
  return `\n${name}${labels} ${formatValue(value)}`;
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
