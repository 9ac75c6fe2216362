/**
 * The real `dupip daemon` in a lab host, as the benchmark reads it: test/support/daemon-proc.ts (the
 * one daemon driver) with a fixed metrics port for bench/tools/poll.mjs, lines carrying the time the
 * harness read them, and the state directory removed on stop. Nothing here starts or parses
 * anything itself.
 */
import { rmSync } from 'node:fs';
import type { LabHost } from '../../test/lab/lab.js';
import { DaemonProc, type LogLine as DaemonLogLine, type TimedLine as DaemonTimedLine } from '../../test/support/daemon-proc.js';
import { scratchDir } from './util.js';

export { REPO } from '../../test/support/dupip.js';

/** A daemon log line with the fields the scenarios read typed. */
export interface LogLine extends DaemonLogLine {
  address?: string;
  to?: string;
}

export type TimedLine = DaemonTimedLine<LogLine>;

export interface DaemonStartOptions {
  args?: string[];
  /** YAML written to a file passed with --config */
  configYaml?: string;
  /** metrics port inside the host's namespace (default 10227) */
  port?: number;
  /** how long to wait for the 'started' line */
  timeoutMs?: number;
}

export class BenchDaemon {
  private constructor(
    readonly proc: DaemonProc,
    readonly port: number,
  ) {}

  static async start(host: LabHost, opts: DaemonStartOptions = {}): Promise<BenchDaemon> {
    const port = opts.port ?? 10227;
    // DUPIP_BENCH_NODE_ARGS: extra Node flags for the daemon when investigating a figure, e.g.
    // "--cpu-prof --cpu-prof-dir=/tmp/prof" or "--perf-basic-prof" (they change the figures).
    const nodeArgs = (process.env.DUPIP_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const proc = await DaemonProc.start(host, opts.args ?? [], {
      stateDir: scratchDir('dupip-bench-'),
      listen: `127.0.0.1:${port}`,
      configYaml: opts.configYaml,
      nodeArgs,
      timeoutMs: opts.timeoutMs ?? 30_000,
    });
    return new BenchDaemon(proc, port);
  }

  get host(): LabHost {
    return this.proc.host;
  }

  get dir(): string {
    return this.proc.stateDir;
  }

  get controlSocket(): string {
    return this.proc.controlSocket;
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** Every line so far with its read time (grows while the daemon runs). */
  get lines(): readonly TimedLine[] {
    return this.proc.timed as TimedLine[];
  }

  get stderr(): readonly string[] {
    return this.proc.stderr;
  }

  /** Calls `fn` for every line from now on; returns an unsubscribe function. */
  subscribe(fn: (l: TimedLine) => void): () => void {
    return this.proc.subscribe(fn as (l: DaemonTimedLine) => void);
  }

  find(pred: (l: LogLine) => boolean, from = 0): TimedLine | undefined {
    return this.lines[this.proc.indexOf(pred, from)];
  }

  events(event: string): TimedLine[] {
    return this.lines.filter((l) => l.line.event === event);
  }

  async waitFor(pred: (l: LogLine) => boolean, timeoutMs: number, what: string, from = 0): Promise<TimedLine> {
    return this.lines[await this.proc.waitForIndex(pred, timeoutMs, from, what)]!;
  }

  /** Waits until every address in `addresses` has most recently logged a state change to `state`. */
  waitStates(addresses: readonly string[], state: string, timeoutMs: number): Promise<void> {
    return this.proc.waitStates(addresses, state, timeoutMs);
  }

  /** Stops the daemon and removes its state directory. */
  async stop(): Promise<void> {
    await this.proc.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
