/** The real `dupip daemon` process running in a lab host, with its JSON log lines parsed as they come. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabHost } from '../lab/lab.js';
import { BIN } from './dupip.js';

export interface LogLine {
  level: number;
  time: string;
  event?: string;
  msg: string;
  [k: string]: unknown;
}

export class DaemonProc {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly host: LabHost,
    readonly stateDir: string,
    readonly controlSocket: string,
    args: string[],
  ) {
    this.child = host.spawn(process.execPath, [BIN, 'daemon', '--state-dir', stateDir, '--control-socket', controlSocket, ...args]);
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.stderr.push(`(stdout) ${line}`);
        }
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => this.stderr.push(c));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /**
   * Starts a daemon; extra args after the state dir and control socket (each test gets its own).
   * Metrics listen on 127.0.0.1:0 in the host's namespace unless `listen` (host:port, for example
   * the host's lab address, so a Prometheus elsewhere on the segment can scrape it) is given.
   */
  static async start(host: LabHost, args: string[], opts: { stateDir?: string; listen?: string } = {}): Promise<DaemonProc> {
    const dir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'dupip-e2e-'));
    const d = new DaemonProc(host, dir, join(dir, 'dupip.sock'), ['--web.listen-address', opts.listen ?? '127.0.0.1:0', ...args]);
    await d.waitFor((l) => l.event === 'started', 10_000);
    return d;
  }

  /** Resolves with the first log line (already seen or coming) that matches. */
  async waitFor(pred: (l: LogLine) => boolean, timeoutMs = 10_000, from = 0): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) {
        throw new Error(`no matching log line within ${timeoutMs} ms; log:\n${this.lines.map((l) => `${l.time} ${l.msg}`).join('\n')}\nstderr: ${this.stderr.join('')}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  state(address: string, to: string) {
    return (l: LogLine) => l.event === 'state' && l.address === address && l.to === to;
  }

  /** Log lines with this event, from index `from`. */
  events(event: string, from = 0): LogLine[] {
    return this.lines.slice(from).filter((l) => l.event === event);
  }

  get mark(): number {
    return this.lines.length;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; ms: number }> {
    const t0 = Date.now();
    this.child.kill(signal);
    const r = await this.exited;
    return { code: r.code, ms: Date.now() - t0 };
  }
}
