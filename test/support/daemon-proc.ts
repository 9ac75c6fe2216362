/**
 * The real `dupip daemon` process (bin/dupip → dist/) running in a lab host, with its JSON log lines
 * parsed as they come, each with the harness time it was read. The one daemon driver: e2e tests,
 * scripts/demo.ts and the benchmark (bench/lib/daemon.ts, a view of this with the read times) all
 * start the daemon through it.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { delay, exited, now, terminate } from '../lab/exec.js';
import type { LabHost } from '../lab/lab.js';
import { BIN } from './dupip.js';
import { parseLogTime } from '../../src/cli/log-time.js';

export interface LogLine {
  level: number;
  time: string;
  event?: string;
  msg: string;
  [k: string]: unknown;
}

export interface TimedLine<L extends LogLine = LogLine> {
  line: L;
  /** harness clock (exec.ts now()) when the line was read from the daemon's stdout: an upper bound
   *  on when the event was visible to a log shipper */
  readAt: number;
  /** the line's own timestamp (milliseconds since the epoch; fractional: the log has microseconds) */
  loggedAt: number;
  /**
   * When the line was written at the latest: its timestamp, or its timestamp + 1 ms for a daemon
   * whose log has whole milliseconds only (a baseline build older than the microsecond log time).
   */
  loggedBy: number;
}

export interface DaemonStartOptions {
  /** state directory (default: a fresh one under the tmpdir, removed by close()) */
  stateDir?: string;
  /** metrics listen address, host:port (default 127.0.0.1:0 in the host's namespace) */
  listen?: string;
  /** YAML written to dupip.yml in the state directory and passed with --config */
  configYaml?: string;
  /** extra Node flags for the daemon (e.g. --cpu-prof) */
  nodeArgs?: string[];
  /** how long to wait for the 'started' line (default 10 s) */
  timeoutMs?: number;
}

export class DaemonProc {
  readonly lines: LogLine[] = [];
  /** the same lines with their read times, index for index */
  readonly timed: TimedLine[] = [];
  readonly stderr: string[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private listeners = new Set<(l: TimedLine) => void>();
  /** true once the child exited and its stdout is fully read */
  private closed = false;

  private constructor(
    readonly host: LabHost,
    readonly stateDir: string,
    readonly controlSocket: string,
    args: string[],
    nodeArgs: string[],
    private readonly ownsStateDir: boolean,
  ) {
    this.child = host.spawn(process.execPath, [...nodeArgs, BIN, 'daemon', '--state-dir', stateDir, '--control-socket', controlSocket, ...args]);
    createInterface({ input: this.child.stdout!, crlfDelay: Infinity }).on('line', (text) => {
      const readAt = now();
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        this.stderr.push(`(stdout) ${text}`);
        return;
      }
      const loggedAt = parseLogTime(line.time);
      const t: TimedLine = { line, readAt, loggedAt, loggedBy: /\.\d{6}Z$/.test(line.time) ? loggedAt : loggedAt + 1 };
      this.lines.push(line);
      this.timed.push(t);
      for (const l of this.listeners) l(t);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => this.stderr.push(c));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.child.on('close', () => {
      this.closed = true;
      for (const l of this.listeners) l(CLOSED);
    });
  }

  /**
   * Starts a daemon and waits for its 'started' line; extra args after the state dir, control
   * socket and listen address (each test gets its own). Metrics listen on 127.0.0.1:0 in the host's
   * namespace unless `listen` (host:port, for example the host's lab address, so a Prometheus
   * elsewhere on the segment can scrape it) is given. A daemon that does not start is killed.
   */
  static async start(host: LabHost, args: string[], opts: DaemonStartOptions = {}): Promise<DaemonProc> {
    const dir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'dupip-e2e-'));
    const pre = ['--web.listen-address', opts.listen ?? '127.0.0.1:0'];
    if (opts.configYaml !== undefined) {
      const file = join(dir, 'dupip.yml');
      writeFileSync(file, opts.configYaml);
      pre.push('--config', file);
    }
    const d = new DaemonProc(host, dir, join(dir, 'dupip.sock'), [...pre, ...args], opts.nodeArgs ?? [], opts.stateDir === undefined);
    try {
      await d.waitFor((l) => l.event === 'started', opts.timeoutMs ?? 10_000, 0, 'started line');
    } catch (err) {
      await d.close();
      throw err;
    }
    return d;
  }

  get pid(): number {
    // `ip netns exec` execs the command: the child's PID is node's.
    return this.child.pid!;
  }

  /** Calls `fn` for every line from now on; returns an unsubscribe function. */
  subscribe(fn: (l: TimedLine) => void): () => void {
    const wrapped = (l: TimedLine) => {
      if (l !== CLOSED) fn(l);
    };
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }

  /** Index of the first line from `from` on that matches, or -1. */
  indexOf(pred: (l: LogLine) => boolean, from = 0): number {
    for (let i = from; i < this.lines.length; i++) if (pred(this.lines[i]!)) return i;
    return -1;
  }

  /**
   * Resolves with the index of the first line from `from` on (already seen or coming) that matches;
   * rejects after `timeoutMs`, or once the daemon has exited, with the log's tail and stderr.
   */
  waitForIndex(pred: (l: LogLine) => boolean, timeoutMs = 10_000, from = 0, what = 'matching log line'): Promise<number> {
    const seen = this.indexOf(pred, from);
    if (seen >= 0) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const finish = (err: Error | null, i = -1) => {
        clearTimeout(timer);
        this.listeners.delete(onLine);
        if (err) reject(err);
        else resolve(i);
      };
      const onLine = (t: TimedLine) => {
        if (t === CLOSED) finish(this.failure(`exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for a ${what}`));
        else if (pred(t.line)) finish(null, this.timed.lastIndexOf(t));
      };
      const timer = setTimeout(() => finish(this.failure(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.listeners.add(onLine);
      if (this.closed) onLine(CLOSED);
    });
  }

  /** Resolves with the first log line (already seen or coming) that matches. */
  async waitFor(pred: (l: LogLine) => boolean, timeoutMs = 10_000, from = 0, what?: string): Promise<LogLine> {
    return this.lines[await this.waitForIndex(pred, timeoutMs, from, what)]!;
  }

  state(address: string, to: string) {
    return (l: LogLine) => l.event === 'state' && l.address === address && l.to === to;
  }

  /** Waits until every address in `addresses` has most recently logged a state change to `state`. */
  async waitStates(addresses: readonly string[], state: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = new Map<string, string>();
      for (const l of this.lines) if (l.event === 'state' && typeof l.address === 'string') last.set(l.address, String(l.to));
      const missing = addresses.filter((a) => last.get(a) !== state);
      if (missing.length === 0) return;
      if (Date.now() > deadline || this.closed) {
        throw this.failure(`${missing.length} address(es) not ${state} after ${timeoutMs} ms (e.g. ${missing.slice(0, 5).join(', ')})`);
      }
      await delay(100);
    }
  }

  /** Log lines with this event, from index `from`. */
  events(event: string, from = 0): LogLine[] {
    return this.lines.slice(from).filter((l) => l.event === event);
  }

  get mark(): number {
    return this.lines.length;
  }

  /** Sends `signal` and waits for the exit: its code and how long it took. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; ms: number }> {
    const t0 = Date.now();
    this.child.kill(signal);
    const r = await this.exited;
    return { code: r.code, ms: Date.now() - t0 };
  }

  /**
   * Stops the daemon if it still runs (SIGTERM, SIGKILL after `graceMs`) and removes the state
   * directory if start() made it. Also what `await using` calls.
   */
  async close(graceMs = 3000): Promise<void> {
    if (!exited(this.child)) await terminate(this.child, { graceMs });
    if (this.ownsStateDir) rmSync(this.stateDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private failure(why: string): Error {
    const TAIL = 100;
    const skipped = this.lines.length > TAIL ? `  (${this.lines.length - TAIL} earlier lines left out)\n` : '';
    const log = this.lines
      .slice(-TAIL)
      .map((l) => `  ${l.time} ${l.msg}`)
      .join('\n');
    return new Error(`dupip in ${this.host.name}: ${why}; log:\n${skipped}${log}\nstderr: ${this.stderr.join('').slice(-4000)}`);
  }
}

/** Sentinel passed to listeners when stdout has ended and the process has exited. */
const CLOSED: TimedLine = { line: { level: 0, time: '', msg: '' }, readAt: 0, loggedAt: 0, loggedBy: 0 };
