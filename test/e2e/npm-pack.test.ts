/**
 * `npm pack` yields a package that installs into an empty directory, builds its native addon during
 * the install (node-gyp, from the files the package ships), and runs `dupip --help`.
 *
 * The install is offline and trusts no npm cache: the test packs every production dependency that
 * `npm ci` installed (the lock's non-dev packages) into tarballs of its own, and installs them beside
 * dupip's tarball with an empty, private cache, so a fresh machine (whose cache holds no package
 * metadata) passes as a warmed-up one does. node-gyp uses the headers of the running Node.js
 * (npm_config_nodedir). As root it also runs in a network namespace with only a loopback interface,
 * so nothing can be fetched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prereqs, requireBuild, requireTool, which } from '../support/prereq.js';
import { type ExecResult, runCollect } from '../support/run.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const need = prereqs(requireBuild(), requireTool('npm'), requireTool('python3'), requireTool('make'), requireTool('cc'));

/** Paths (node_modules/…) of the production packages the lock installed: dupip's offline source. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const paths = Object.entries(lock.packages)
    .filter(([path, meta]) => path !== '' && !meta.dev && existsSync(join(REPO, path, 'package.json')))
    .map(([path]) => path);
  if (paths.length === 0) throw new Error('package-lock.json lists no installed production package: run npm ci');
  return paths;
}

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}

describe.skipIf(need.skip)(need.title('npm pack, then npm install into an empty directory'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'dupip-npm-pack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let pack: PackResult;
  let tarball = '';
  let install: ExecResult;
  const app = join(dir, 'empty');

  // Asynchronous throughout: a worker blocked for minutes in spawnSync cannot answer vitest's RPC.
  beforeAll(async () => {
    const cache = join(dir, 'cache'); // empty and private: nothing may come from the machine's cache
    const npmPack = async (what: string, into: string): Promise<PackResult> => {
      const p = await runCollect('npm', ['pack', '--ignore-scripts', '--json', '--cache', cache, '--pack-destination', into, what], { cwd: REPO, timeoutMs: 120_000 });
      if (p.code !== 0) throw new Error(`npm pack ${what} failed: ${p.stderr}`);
      return (JSON.parse(p.stdout) as PackResult[])[0]!;
    };
    pack = await npmPack('.', dir);
    tarball = join(dir, pack.filename);
    const deps = join(dir, 'deps');
    mkdirSync(deps);
    const dependencyTarballs: string[] = [];
    for (const path of productionPackages()) dependencyTarballs.push(join(deps, (await npmPack(`./${path}`, deps)).filename));

    mkdirSync(app);
    const prefix = dirname(dirname(process.execPath));
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
    const args = ['install', '--offline', '--cache', cache, '--foreground-scripts', ...dependencyTarballs, tarball];
    const isolate = process.getuid?.() === 0 && which('unshare') !== null;
    install = isolate
      ? await runCollect('unshare', ['--net', '--', 'npm', ...args], { cwd: app, env, timeoutMs: 240_000 })
      : await runCollect('npm', args, { cwd: app, env, timeoutMs: 240_000 });
  }, 300_000);

  it('the tarball holds what node-gyp needs (binding.gyp, every source it names, every native/ file) and the built CLI', () => {
    const files = pack.files.map((f) => f.path);
    const gyp = JSON.parse(readFileSync(join(REPO, 'binding.gyp'), 'utf8')) as { targets: Array<{ sources: string[] }> };
    for (const f of ['package.json', 'binding.gyp', 'bin/dupip', 'dist/cli/main.js', 'data/oui.tsv', ...gyp.targets.flatMap((t) => t.sources)]) expect(files, f).toContain(f);
    for (const f of readdirSync(join(REPO, 'native'))) expect(files, `native/${f}`).toContain(`native/${f}`);
    for (const f of files) expect(f, 'no build output, dependencies or tests').not.toMatch(/^(build|node_modules|test|src)\//);
  });

  it('installs offline into an empty directory, building the native addon', () => {
    expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
    expect(existsSync(join(app, 'node_modules', 'dupip', 'build', 'Release', 'dupip_packet.node'))).toBe(true);
    for (const dep of Object.keys((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies)) {
      expect(existsSync(join(app, 'node_modules', dep, 'package.json')), dep).toBe(true);
    }
  });

  it('the installed dupip runs --help and --version', () => {
    const bin = join(app, 'node_modules', '.bin', 'dupip');
    const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('dupip probe ADDRESS');
    const version = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(`dupip ${version.version}`);
  });

  it('the installed dupip names MAC vendors offline from the packaged IEEE registry', () => {
    const module = join(app, 'node_modules', 'dupip', 'dist', 'platform', 'oui-file.js');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { macDetails } from ${JSON.stringify(module)}; console.log(macDetails('00:50:56:aa:bb:cc').description)`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('VMware, Inc.; VMware virtual NIC');
  });
});
