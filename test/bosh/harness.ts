/** Test helpers around the BOSH release: the Ruby render harness and a release tree with blobs. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const RELEASE = join(REPO, 'bosh-release');
export const RENDER_RB = join(REPO, 'test', 'bosh', 'render.rb');

export interface Rendered {
  code: number | null;
  stderr: string;
  dir: string;
  /** destination (e.g. "config/bpm.yml") → rendered text */
  files: Record<string, string>;
}

let renderRoot: string | undefined;

/** Removes the output of every render() so far (call it in afterAll). */
export function removeRenderOutput(): void {
  if (renderRoot !== undefined) rmSync(renderRoot, { recursive: true, force: true });
  renderRoot = undefined;
}

/** Renders every template of a job with the Ruby harness; properties as in a manifest. The output
 *  stays until removeRenderOutput() (tests use it after rendering). */
export function render(jobDir: string, properties?: unknown, spec?: unknown): Rendered {
  renderRoot ??= mkdtempSync(join(tmpdir(), 'dupip-bosh-render-'));
  const dir = mkdtempSync(join(renderRoot, 'r-'));
  const args = [RENDER_RB, '--job', jobDir, '--out', join(dir, 'out')];
  if (properties !== undefined) {
    writeFileSync(join(dir, 'properties.json'), JSON.stringify(properties));
    args.push('--properties', join(dir, 'properties.json'));
  }
  if (spec !== undefined) {
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    args.push('--spec', join(dir, 'spec.json'));
  }
  const r = spawnSync('ruby', args, { encoding: 'utf8', timeout: 30_000 });
  const files: Record<string, string> = {};
  if (r.status === 0) {
    const summary = JSON.parse(r.stdout) as { files: Record<string, string> };
    for (const [dest, path] of Object.entries(summary.files)) files[dest] = readFileSync(path, 'utf8');
  }
  return { code: r.status, stderr: r.stderr, dir: join(dir, 'out'), files };
}

/** A scratch directory under the system temp dir, removed by the returned function. */
export function scratch(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A copy of bosh-release/ with its blobs made by scripts/bosh-blobs.sh, as `bosh create-release`
 * would see it, in .tmp/bosh/release. The copy is refreshed on every call, its blobs/ kept, so the
 * Node.js tarball (the slow part) is built once per machine and Node.js version.
 */
export function builtRelease(): { dir: string; log: string } {
  const dir = join(REPO, '.tmp', 'bosh', 'release');
  mkdirSync(dir, { recursive: true });
  for (const e of readdirSync(dir)) if (e !== 'blobs') rmSync(join(dir, e), { recursive: true, force: true });
  cpSync(RELEASE, dir, {
    recursive: true,
    filter: (src) => !/\/bosh-release\/(blobs|dev_releases|\.dev_builds|\.blobs)(\/|$)/.test(src),
  });
  if (existsSync(join(dir, 'config', 'blobs.yml'))) rmSync(join(dir, 'config', 'blobs.yml'));
  const r = spawnSync(join(REPO, 'scripts', 'bosh-blobs.sh'), ['--release-dir', dir, '--no-build'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 240_000,
  });
  const log = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`scripts/bosh-blobs.sh failed (exit ${r.status ?? r.signal}):\n${log}`);
  return { dir, log };
}
