/**
 * The real `dupip daemon` (bin/dupip → dist/) in a lab host, as the benchmark runs it: JSON log lines
 * parsed as they come, each with the time the harness read it. Like test/support/daemon-proc.ts, with
 * the read time kept (an upper bound on when the event was visible to a log shipper).
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabHost } from '../../test/lab/lab.js';
import { delay, eachLine, now, scratchDir } from './util.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(REPO, 'bin', 'dupip');

export interface LogLine {
  level: number;
  time: string;
  event?: string;
  msg: string;
  address?: string;
  to?: string;
  [k: string]: unknown;
}

export interface TimedLine {
  line: LogLine;
  /** harness clock when the line was read from the daemon's stdout */
  readAt: number;
  /** the line's own timestamp (pino isoTime: milliseconds, truncated) */
  loggedAt: number;
}

export interface DaemonStartOptions {
  args?: string[];
  /** YAML written to a file passed with --config */
  configYaml?: string;
  /** metrics port inside the host's namespace (default 10227) */
  port?: number;
  /** how long to wait for the 'started' line */
  timeoutMs?: number;
}

type Listener = (l: TimedLine) => void;

export class BenchDaemon {
  readonly lines: TimedLine[] = [];
  readonly stderr: string[] = [];
  private listeners = new Set<Listener>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly host: LabHost,
    readonly child: ChildProcess,
    readonly dir: string,
    readonly port: number,
  ) {
    eachLine(child.stdout, (text, readAt) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        this.stderr.push(`(stdout) ${text}`);
        return;
      }
      const t: TimedLine = { line, readAt, loggedAt: Date.parse(line.time) };
      this.lines.push(t);
      for (const l of this.listeners) l(t);
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => this.stderr.push(c));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    // `ip netns exec` execs the command: the child's PID is node's.
    return this.child.pid!;
  }

  get controlSocket(): string {
    return join(this.dir, 'dupip.sock');
  }

  static async start(host: LabHost, opts: DaemonStartOptions = {}): Promise<BenchDaemon> {
    const dir = scratchDir('dupip-bench-');
    const port = opts.port ?? 10227;
    const args = ['daemon', '--state-dir', dir, '--control-socket', join(dir, 'dupip.sock'), '--web.listen-address', `127.0.0.1:${port}`];
    if (opts.configYaml !== undefined) {
      const file = join(dir, 'dupip.yml');
      writeFileSync(file, opts.configYaml);
      args.push('--config', file);
    }
    args.push(...(opts.args ?? []));
    // DUPIP_BENCH_NODE_ARGS: extra Node flags for the daemon when investigating a figure, e.g.
    // "--cpu-prof --cpu-prof-dir=/tmp/prof" or "--perf-basic-prof" (they change the figures).
    const nodeArgs = (process.env.DUPIP_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const child = host.spawn(process.execPath, [...nodeArgs, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const d = new BenchDaemon(host, child, dir, port);
    await d.waitFor((l) => l.event === 'started', opts.timeoutMs ?? 30_000, 'the started line');
    return d;
  }

  /** Calls `fn` for every line from now on; returns an unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  find(pred: (l: LogLine) => boolean, from = 0): TimedLine | undefined {
    for (let i = from; i < this.lines.length; i++) if (pred(this.lines[i]!.line)) return this.lines[i];
    return undefined;
  }

  events(event: string): TimedLine[] {
    return this.lines.filter((l) => l.line.event === event);
  }

  async waitFor(pred: (l: LogLine) => boolean, timeoutMs: number, what: string, from = 0): Promise<TimedLine> {
    const seen = this.find(pred, from);
    if (seen) return seen;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        const tail = this.lines.slice(-15).map((l) => `  ${l.line.time} ${l.line.msg}`).join('\n');
        reject(new Error(`bench: dupip in ${this.host.name}: no ${what} within ${timeoutMs} ms; last lines:\n${tail}\nstderr: ${this.stderr.join('').slice(-2000)}`));
      }, timeoutMs);
      const off = this.subscribe((l) => {
        if (pred(l.line)) {
          clearTimeout(timer);
          off();
          resolve(l);
        }
      });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        off();
        reject(new Error(`bench: dupip in ${this.host.name} exited (${code ?? signal}) while waiting for ${what}: ${this.stderr.join('').slice(-2000)}`));
      });
    });
  }

  /** Waits until every address in `addresses` has most recently logged a state change to `state`. */
  async waitStates(addresses: readonly string[], state: string, timeoutMs: number): Promise<void> {
    const deadline = now() + timeoutMs;
    for (;;) {
      const last = new Map<string, string>();
      for (const l of this.lines) if (l.line.event === 'state' && l.line.address) last.set(l.line.address, String(l.line.to));
      const missing = addresses.filter((a) => last.get(a) !== state);
      if (missing.length === 0) return;
      if (now() > deadline) {
        throw new Error(`bench: dupip: ${missing.length} address(es) not ${state} after ${timeoutMs} ms (e.g. ${missing.slice(0, 5).join(', ')})`);
      }
      await delay(100);
    }
  }

  /** Stops the daemon and removes its state directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
