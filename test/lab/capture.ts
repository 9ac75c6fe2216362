/**
 * tcpdump inside a lab namespace as an independent witness of what went on the wire: the frames it
 * prints (parsed by ./tcpdump.ts) and a wait for the moment it listens, shared with the benchmark's
 * wire witness (bench/lib/wire.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { delay, LabError, terminate } from './exec.js';
import { TcpdumpParser, type CapturedFrame } from './tcpdump.js';

/**
 * Resolves once tcpdump says "listening on" on stderr; on a timeout (default 10 s) or an early exit
 * it kills tcpdump and rejects with what it said. `where` names it in the error.
 */
export function tcpdumpListening(child: ChildProcess, where: string, timeoutMs = 10_000): Promise<void> {
  let stderr = '';
  return new Promise<void>((resolve, reject) => {
    const settle = (err?: Error) => {
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.off('error', settle);
      child.off('exit', onExit);
      if (!err) return resolve();
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (d: string) => {
      stderr += d;
      if (/listening on /.test(stderr)) settle();
    };
    const onExit = () => settle(new LabError(`lab: tcpdump on ${where} exited: ${stderr.trim()}`));
    const timer = setTimeout(() => settle(new LabError(`lab: tcpdump on ${where} did not start within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
    child.on('error', settle);
    child.on('exit', onExit);
    child.stderr!.setEncoding('utf8').on('data', onData);
  });
}

export interface CaptureOptions {
  /** pcap filter expression (default "arp") */
  filter?: string;
  /** interface inside the namespace (default: the host's ifname, or br0 for the bridge) */
  ifname?: string;
  /** put the interface in promiscuous mode (default: only on the bridge, where it is needed to see
   *  unicast between hosts; on a host it would show up as a link change to the code under test) */
  promiscuous?: boolean;
}

export interface Capture {
  /** Frames seen so far (grows while running). */
  readonly frames: readonly CapturedFrame[];
  /** Resolves with the first frame (already seen or future) matching `pred`; rejects after timeoutMs
   *  (default 10 s) listing what was seen. */
  waitFor(pred: (f: CapturedFrame) => boolean, timeoutMs?: number): Promise<CapturedFrame>;
  /** Waits settleMs (default 50) for frames still in flight, stops tcpdump, returns every frame. */
  stop(opts?: { settleMs?: number }): Promise<CapturedFrame[]>;
}

interface Waiter {
  pred: (f: CapturedFrame) => boolean;
  resolve: (f: CapturedFrame) => void;
}

export class TcpdumpCapture implements Capture {
  readonly frames: CapturedFrame[] = [];
  #waiters = new Set<Waiter>();
  #stopped: Promise<CapturedFrame[]> | null = null;
  #closed: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    readonly where: string,
  ) {
    const parser = new TcpdumpParser();
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => parser.push(line).forEach((f) => this.#add(f)));
    this.#closed = once(rl, 'close').then(() => parser.end().forEach((f) => this.#add(f)));
  }

  #add(f: CapturedFrame): void {
    this.frames.push(f);
    for (const w of this.#waiters) {
      if (w.pred(f)) {
        this.#waiters.delete(w);
        w.resolve(f);
      }
    }
  }

  waitFor(pred: (f: CapturedFrame) => boolean, timeoutMs = 10_000): Promise<CapturedFrame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(w);
        const lines = this.frames.map((f) => `  ${f.line}`).join('\n') || '  (none)';
        reject(new LabError(`lab: no matching frame on ${this.where} within ${timeoutMs} ms; saw:\n${lines}`));
      }, timeoutMs);
      const w: Waiter = {
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      this.#waiters.add(w);
    });
  }

  stop(opts: { settleMs?: number } = {}): Promise<CapturedFrame[]> {
    this.#stopped ??= (async () => {
      await delay(opts.settleMs ?? 50);
      await terminate(this.child, { signal: 'SIGINT', graceMs: 2000 });
      await this.#closed;
      return [...this.frames];
    })();
    return this.#stopped;
  }
}
