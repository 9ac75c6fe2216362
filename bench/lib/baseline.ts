/**
 * A baseline build for before/after columns: `git archive COMMIT` into a scratch directory, `npm ci`
 * there (offline when the npm cache has everything: it runs node-gyp and the TypeScript build), and
 * that tree's own bench, one scenario at a time (`--only idle`, …) beside this run's scenario of the
 * same name (chatty and flood one after the other), so both daemons are measured in the same run on
 * the same machine. Only the results JSON is read back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './daemon.js';
import { progress } from './util.js';

export interface BaselineRun {
  commit: string;
  note: string;
  scenarios: Record<string, unknown> | null;
  error?: string;
}

function run(cmd: string, args: string[], cwd: string, input?: Buffer): void {
  const r = spawnSync(cmd, args, { cwd, input, stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20, timeout: 15 * 60_000 });
  if (r.status !== 0) throw new Error(`bench: baseline: ${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${String(r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
}

/** Builds COMMIT once into a scratch directory (kept for later runs); returns the directory. */
export function prepareBaseline(commit: string): string {
  const full = spawnSync('git', ['-C', REPO, 'rev-parse', '--verify', `${commit}^{commit}`], { encoding: 'utf8' });
  if (full.status !== 0) throw new Error(`bench: baseline: no commit ${commit} in ${REPO}`);
  const sha = full.stdout.trim();
  const dir = join(tmpdir(), `dupip-baseline-${sha.slice(0, 12)}`);
  if (existsSync(join(dir, '.built'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  progress(`baseline: git archive ${sha.slice(0, 12)} → ${dir}; npm ci (offline cache first)`);
  const archive = spawnSync('git', ['-C', REPO, 'archive', '--format=tar', sha], { maxBuffer: 512 << 20 });
  if (archive.status !== 0) throw new Error(`bench: baseline: git archive failed: ${String(archive.stderr)}`);
  run('tar', ['-x', '-f', '-'], dir, archive.stdout);
  try {
    run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], dir);
  } catch {
    run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], dir);
  }
  run('node', [join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], dir);
  run('touch', ['.built'], dir);
  return dir;
}

/** Runs the baseline tree's own bench with `only`; resolves with its scenarios (or the error). */
export function runBaseline(dir: string, commit: string, only: string[], quick: boolean): Promise<BaselineRun> {
  const out = join(dir, 'bench-results', only.join('-'));
  rmSync(out, { recursive: true, force: true });
  const args = [join(dir, 'bench/run.mjs'), '--no-build', '--only', only.join(','), '--out', out, '--doc', join(out, 'benchmarks.md'), ...(quick ? ['--quick'] : [])];
  const note = `"before" is commit ${commit} built from \`git archive\` in ${dir} and measured by that tree's own bench (\`bench/run.mjs --only SCENARIO\`), started at the same time as this run's scenario of the same name (idle and scale: side by side under the same load; chatty and flood: right after this run's, since latency percentiles suffer from sharing two cores and two flooders would measure the machine rather than the daemons).`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr = (stderr + c).slice(-20_000);
      for (const line of c.split('\n')) if (line.trim()) progress(`baseline| ${line.replace(/^bench: /, '')}`);
    });
    child.on('exit', (code) => {
      try {
        const res = JSON.parse(readFileSync(join(out, `latest-${quick ? 'quick' : 'full'}.json`), 'utf8')) as { scenarios: Record<string, unknown>; errors: Record<string, string> };
        const errs = Object.keys(res.errors ?? {});
        resolve({ commit, note, scenarios: res.scenarios, ...(errs.length ? { error: `baseline scenarios failed: ${errs.join(', ')}` } : {}) });
      } catch (err) {
        resolve({ commit, note, scenarios: null, error: `exit ${code}: ${(err as Error).message}; ${stderr.trim().split('\n').slice(-2).join(' | ')}` });
      }
    });
  });
}
