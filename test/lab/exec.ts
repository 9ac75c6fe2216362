/**
 * Commands and child processes, for the lab, the tests and the benchmarks (the one command runner):
 * run a command to completion and collect its output, stop a child with a grace period, and the
 * harness clock. Imports nothing from the repository: test/lab, test/support, bench/ and scripts/
 * build on it, never the other way round.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

export interface ExecOptions extends Omit<SpawnOptions, 'stdio' | 'timeout'> {
  /** Killed with SIGKILL after this long (default 30 s; 0: never); the result then has timedOut = true. */
  timeoutMs?: number;
  /** written to stdin, which is then closed (default: closed at once) */
  input?: string | Buffer;
}

export interface ExecResult {
  /** exit code, null when killed by a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class LabError extends Error {
  override name = 'LabError';
}

/** Runs a command to completion and collects its output. Never throws on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const { timeoutMs = 30_000, input, ...spawnOpts } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...spawnOpts, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, timeoutMs)
        : undefined;
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** Like run(), but throws a LabError naming the command, its exit and its output unless it exits 0. */
export async function runOk(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<string> {
  const r = await run(cmd, args, { timeoutMs: 10_000, ...opts });
  if (r.code !== 0) {
    const why = r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`;
    const input = opts.input ? `\n  input:\n${String(opts.input).replace(/^/gm, '    ')}` : '';
    throw new LabError(`lab: "${[cmd, ...args].join(' ')}" failed (${why}): ${r.stderr.trim() || r.stdout.trim()}${input}`);
  }
  return r.stdout;
}

/** Milliseconds since the epoch with sub-millisecond precision (the same clock as Date.now()). */
export const now = (): number => performance.timeOrigin + performance.now();

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true once the child has exited, false if it still runs after `ms`. */
export async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return true;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const r = await Promise.race([once(child, 'exit').then(() => true as const), late]);
  clearTimeout(timer);
  return r;
}

/**
 * Stops a child: `signal` (default SIGTERM), then SIGKILL if it still runs after `graceMs` (default
 * 3 s). Resolves true when it exited within the grace period.
 */
export async function terminate(child: ChildProcess, opts: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<boolean> {
  if (exited(child)) return true;
  child.kill(opts.signal ?? 'SIGTERM');
  if (await waitExit(child, opts.graceMs ?? 3000)) return true;
  child.kill('SIGKILL');
  await waitExit(child, 2000);
  return false;
}
