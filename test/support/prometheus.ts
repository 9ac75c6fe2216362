/**
 * A real Prometheus server (Debian's `prometheus` package) inside a lab host: it scrapes the dupip
 * daemons across the lab segment and evaluates the shipped alert rules, so a test can ask it which
 * alerts fire.
 *
 *   const prom = await PrometheusServer.start(h4, {
 *     listen: '192.0.2.50:9090',
 *     targets: [{ address: '192.0.2.10:10227', instance: 'h0' }],
 *     ruleFile: 'alerts/dupip.alerts.yml',
 *   });
 *   try { const alerts = await prom.alerts(); } finally { await prom.stop(); }
 *
 * The rule file is copied into a temp dir with every `for:` set to `forDuration` (default 2s);
 * nothing else of a rule, its expression least of all, is changed. Scrapes and rule evaluations
 * run every second. The test process lives in the machine's own namespace and cannot reach lab
 * addresses, so the HTTP API is queried with curl run inside the Prometheus host's namespace.
 * stop() ends the server (SIGTERM, then SIGKILL) and removes the temp dir; the lab kills it at
 * the latest when it is destroyed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { delay, exited, terminate } from '../lab/exec.js';
import type { LabHost } from '../lab/lab.js';

export interface ScrapeTarget {
  /** host:port of a daemon's metrics endpoint, on the lab segment */
  address: string;
  /** the `instance` label Prometheus gives its series (a host name, not the address) */
  instance: string;
}

export interface PrometheusOptions {
  /** ip:port on the Prometheus host's lab address */
  listen: string;
  targets: readonly ScrapeTarget[];
  /** the rule file to load (a shortened copy of it) */
  ruleFile: string;
  /** what every `for:` of the copy becomes (default 2s) */
  forDuration?: string;
  /** default "dupip": the job the shipped rules expect */
  job?: string;
}

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export interface RuleStatus {
  name: string;
  type: 'alerting' | 'recording';
  query: string;
  /** the rule's `for`, in seconds (alerting rules) */
  duration?: number;
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string; for?: string }> }>;
}

/** The rule file's text with every `for:` replaced, and the rules' expressions left exactly as they were. */
export function shortenFor(text: string, forDuration: string): string {
  const doc = parse(text) as RuleFile;
  for (const g of doc.groups) for (const r of g.rules) if (r.for !== undefined) r.for = forDuration;
  const out = stringify(doc, { lineWidth: 0 });
  const before = (parse(text) as RuleFile).groups.flatMap((g) => g.rules.map((r) => r.expr));
  const after = (parse(out) as RuleFile).groups.flatMap((g) => g.rules.map((r) => r.expr));
  if (JSON.stringify(before) !== JSON.stringify(after)) throw new Error('shortenFor: the rewrite changed an expression');
  return out;
}

/** A prometheus.yml scraping `targets` every second under one job, evaluating `ruleFile` every second. */
export function prometheusConfig(targets: readonly ScrapeTarget[], ruleFile: string, job = 'dupip'): string {
  return stringify({
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [ruleFile],
    scrape_configs: [
      {
        job_name: job,
        static_configs: targets.map((t) => ({ targets: [t.address], labels: { instance: t.instance } })),
      },
    ],
  });
}

const LOG_LIMIT = 64 * 1024;

export class PrometheusServer {
  #log = '';
  #stopped: Promise<void> | null = null;
  readonly exited: Promise<void>;

  private constructor(
    readonly host: LabHost,
    readonly listen: string,
    readonly dir: string,
    readonly child: ChildProcess,
  ) {
    const keep = (d: string) => {
      this.#log = (this.#log + d).slice(-LOG_LIMIT);
    };
    child.stdout!.setEncoding('utf8').on('data', keep);
    child.stderr!.setEncoding('utf8').on('data', keep);
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  }

  /** Starts Prometheus in `host` and resolves once /-/ready answers 200 (within 20 s). */
  static async start(host: LabHost, opts: PrometheusOptions): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'dupip-prometheus-'));
    const rules = join(dir, 'dupip.alerts.yml');
    const config = join(dir, 'prometheus.yml');
    let p: PrometheusServer | undefined;
    try {
      writeFileSync(rules, shortenFor(readFileSync(opts.ruleFile, 'utf8'), opts.forDuration ?? '2s'));
      writeFileSync(config, prometheusConfig(opts.targets, rules, opts.job));
      const child = host.spawn('prometheus', [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=${opts.listen}`,
        '--log.level=warn',
      ]);
      p = new PrometheusServer(host, opts.listen, dir, child);
      await p.#waitReady(20_000);
      return p;
    } catch (err) {
      if (p) await p.stop();
      else rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** What the server logged (the last 64 KiB). */
  get log(): string {
    return this.#log;
  }

  get running(): boolean {
    return !exited(this.child);
  }

  async #waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`prometheus exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.#log}`);
      const r = await this.#curl('/-/ready').catch(() => null);
      if (r?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`prometheus not ready within ${timeoutMs} ms:\n${this.#log}`);
      await delay(200);
    }
  }

  async #curl(path: string): Promise<{ status: number; body: string }> {
    const r = await this.host.exec('curl', ['-sS', '--max-time', '5', '-w', '\n%{http_code}', `http://${this.listen}${path}`], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`curl ${path}: exit ${r.code}: ${r.stderr.trim()}`);
    const nl = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(nl + 1)), body: r.stdout.slice(0, nl) };
  }

  /** GET an API path; returns `data` of a successful answer, throws otherwise. */
  async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const qs = new URLSearchParams(params).toString();
    const r = await this.#curl(`/api/v1/${path}${qs ? `?${qs}` : ''}`);
    const body = JSON.parse(r.body) as { status: string; data?: T; error?: string };
    if (r.status !== 200 || body.status !== 'success') throw new Error(`prometheus ${path}: HTTP ${r.status}: ${body.error ?? r.body}`);
    return body.data as T;
  }

  /** Alerts pending or firing right now. */
  async alerts(): Promise<ActiveAlert[]> {
    return (await this.api<{ alerts: ActiveAlert[] }>('alerts')).alerts;
  }

  /** Every loaded rule with its health, last error and last evaluation time. */
  async rules(): Promise<RuleStatus[]> {
    const data = await this.api<{ groups: Array<{ rules: RuleStatus[] }> }>('rules');
    return data.groups.flatMap((g) => g.rules);
  }

  /** An instant query; only vector results. */
  async query(expr: string): Promise<Sample[]> {
    const data = await this.api<{ resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> }>('query', { query: expr });
    if (data.resultType !== 'vector') throw new Error(`query ${expr}: ${data.resultType}, not a vector`);
    return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** Scrape targets and their health ("up", "down", "unknown"). */
  async targets(): Promise<Array<{ labels: Record<string, string>; health: string; lastError: string }>> {
    return (await this.api<{ activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> }>('targets')).activeTargets;
  }

  /** SIGTERM, SIGKILL after 5 s; then removes the temp dir (config, rules, TSDB). Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await terminate(this.child, { graceMs: 5000 });
      rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.#stopped;
  }
}
