// The CLI imports only what a command runs: `dupip status`, `dupip probe --help` and `dupip --help`
// never load the daemon's modules or its heavy dependencies. The real bin/dupip (dist/) runs with a
// module hook (test/support/record-modules.mjs) that records every module URL the process loads.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, REPO } from '../support/dupip.js';
import { runCollect } from '../support/run.js';

const dir = mkdtempSync(join(tmpdir(), 'dupip-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEAVY = ['pino', 'yaml', 'bcryptjs'];

async function modulesOf(name: string, args: string[]): Promise<{ code: number | null; urls: string[] }> {
  const file = join(dir, `${name}.txt`);
  const r = await runCollect(process.execPath, ['--import', `${REPO}test/support/record-modules.mjs`, BIN, ...args], {
    env: { ...process.env, DUPIP_RECORD_MODULES: file },
  });
  const urls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return { code: r.code, urls };
}

const packages = (urls: string[]): string[] =>
  [...new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []))].sort();
const own = (urls: string[]): string[] => urls.flatMap((u) => /\/dist\/(.*)\.js$/.exec(u)?.[1] ?? []).sort();

describe('modules each command loads', () => {
  it('the recorder sees the daemon loading pino, and yaml only for a configuration file, read lazily (so the checks below can fail)', async () => {
    const flagsOnly = await modulesOf('check-config', ['daemon', '--check-config', '--interface', 'lo']);
    expect(flagsOnly.code).toBe(0);
    expect(packages(flagsOnly.urls)).toContain('pino');
    expect(packages(flagsOnly.urls)).not.toContain('yaml'); // no static import of it (src/config/yaml.ts requires it on first use)
    expect(own(flagsOnly.urls)).toContain('daemon/daemon');
    const config = join(dir, 'dupip.yml');
    writeFileSync(config, 'interfaces: [lo]\n');
    // The lazy require() is not an ESM load the recorder sees: the file read proves yaml was loaded.
    const withFile = await runCollect(process.execPath, [BIN, 'daemon', '--check-config', '--config', config]);
    expect(withFile.code).toBe(0);
    expect(withFile.stdout).toContain('interfaces: lo');
  });

  it('dupip status with no daemon: no daemon module, no heavy package', async () => {
    const { code, urls } = await modulesOf('status', ['status', '--control-socket', join(dir, 'none.sock')]);
    expect(code).toBe(2);
    expect(packages(urls)).toEqual([]);
    expect(own(urls).filter((m) => /^(daemon|web|metrics|journal)\/|^platform\/(?!errno$)/.test(m) || m === 'cli/daemon' || m === 'cli/probe')).toEqual([]);
    expect(own(urls)).toContain('cli/status');
  });

  it('dupip --help and dupip probe --help: no daemon module, no heavy package', async () => {
    for (const args of [['--help'], ['probe', '--help'], ['status', '--help']]) {
      const { code, urls } = await modulesOf(args.join('_'), args);
      expect(code, args.join(' ')).toBe(0);
      for (const p of HEAVY) expect(packages(urls), args.join(' ')).not.toContain(p);
      expect(own(urls).filter((m) => /^(daemon|web|metrics|journal)\//.test(m) || m === 'cli/daemon'), args.join(' ')).toEqual([]);
    }
  });
});
