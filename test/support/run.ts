/**
 * Runs a command to completion on this machine and collects its output (never throws on a non-zero
 * exit). The runner is test/lab/exec.ts's run(); here without its default time limit.
 */
import { run, type ExecOptions, type ExecResult } from '../lab/exec.js';

export type { ExecOptions, ExecResult };

export function runCollect(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return run(cmd, args, { timeoutMs: 0, ...opts });
}
