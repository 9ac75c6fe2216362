/**
 * The BOSH release as `bosh create-release` and a compilation VM see it:
 * - scripts/bosh-blobs.sh makes the blobs and config/blobs.yml (in a copy under .tmp/bosh/release);
 * - the structural checks of bosh create-release pass (and the checker catches broken releases);
 * - the packaging scripts run for real, in dependency order, with BOSH_COMPILE_TARGET holding the
 *   files the package specs select and BOSH_INSTALL_TARGET empty, inside a network namespace that
 *   has only a loopback interface, with the isolated environment of the BOSH agent;
 * - the compiled package runs `dupip --help` and `dupip probe` in the namespace lab.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtRelease, RELEASE, scratch } from '../bosh/harness.js';
import { addonApplies, applyOps, type AddonFilter, type InstanceGroup, type Op } from '../bosh/manifests.js';
import { checkRelease, globToRegExp, jobNames, listFiles, monitProcesses, packageFiles, packageNames, packageOrder, readYaml, type JobSpec, type PackageSpec } from '../bosh/release-check.js';
import { Lab } from '../lab/lab.js';
import { labPrereqs, prereqs, requireBuild, requireRoot, requireTool } from '../support/prereq.js';

const needBlobs = prereqs(requireBuild(), requireTool('flock'), requireTool('sha256sum'));
const needCompile = prereqs(requireBuild(), requireTool('flock'), requireRoot(), requireTool('unshare'), requireTool('python3'), requireTool('make'), requireTool('cc'));
const needLab = labPrereqs();

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('release checker (no blobs needed)', () => {
  it('catches what bosh create-release refuses: name mismatch, missing template/package, cycles, unmatched files, stale blobs.yml', () => {
    const s = scratch('dupip-bosh-broken-');
    cleanups.push(s.remove);
    const r = s.dir;
    const w = (p: string, text: string) => {
      mkdirSync(dirname(join(r, p)), { recursive: true });
      writeFileSync(join(r, p), text);
    };
    w('config/final.yml', 'name: broken\n');
    w('jobs/a/spec', 'name: b\ntemplates:\n  missing.erb: x\n  extra.erb: x\npackages: [nope]\nproperties:\n  other.x:\n    description: x\n  a.y:\n    default: 1\n');
    w('jobs/a/templates/extra.erb', '');
    w('jobs/a/templates/stray.erb', '');
    w('packages/p/spec', 'name: p\ndependencies: [q]\nfiles: [p/*.tgz]\n');
    w('packages/p/packaging', '');
    w('packages/p/pre_packaging', '');
    w('packages/q/spec', 'name: q\ndependencies: [p]\nfiles: [q/**/*.c]\n');
    w('packages/q/packaging', '');
    w('src/q/deep/x.c', '');
    w('blobs/p/p-1.tgz', 'abc');
    w('blobs/p/unused.bin', 'x');
    w('config/blobs.yml', 'p/p-1.tgz:\n  size: 4\n  sha: sha256:00\ngone.tgz:\n  size: 1\n  sha: 00\n');
    const problems = checkRelease(r).join('\n');
    for (const expected of [
      'jobs/a: no monit file',
      'jobs/a: spec name "b" does not match',
      'jobs/a: template missing.erb does not exist',
      'jobs/a: two templates render to x',
      'jobs/a: templates/stray.erb is not named in the spec',
      'jobs/a: package nope does not exist',
      'property other.x is not named a.*',
      'property other.x has no default',
      'property a.y has no description',
      'packages/p: has a pre_packaging script',
      'dependency cycle: p -> q -> p',
      'config/blobs.yml: p/p-1.tgz: size 4, file has 3',
      'config/blobs.yml: p/p-1.tgz: sha sha256:00',
      'config/blobs.yml: gone.tgz is not in blobs/',
      'blobs/p/unused.bin is not in config/blobs.yml',
      'blobs/p/unused.bin is used by no package',
    ]) {
      expect(problems).toContain(expected);
    }
    expect(problems, 'q/**/*.c matches src/q/deep/x.c').not.toContain('q/**/*.c');
  });

  it('the committed release: jobs, packages and their specs as bosh create-release expects', () => {
    expect(jobNames(RELEASE)).toEqual(['dupip', 'dupip_alerts', 'dupip_dashboards']);
    expect(packageNames(RELEASE)).toEqual(['dupip', 'nodejs']);
    expect(packageOrder(RELEASE)).toEqual(['nodejs', 'dupip']);
    expect(monitProcesses(readFileSync(join(RELEASE, 'jobs', 'dupip', 'monit'), 'utf8'))).toEqual(['dupip']);
    // Every problem left is about blobs, which a fresh checkout does not have.
    const nonBlob = checkRelease(RELEASE).filter((p) => !/blobs|matches nothing in src\/ or blobs\//.test(p));
    expect(nonBlob).toEqual([]);
    const gitignore = readFileSync(join(RELEASE, '.gitignore'), 'utf8').split('\n');
    for (const entry of ['blobs/', 'dev_releases/', '.dev_builds/', 'config/private.yml', '.final_builds/jobs/**/*.tgz', '.final_builds/packages/**/*.tgz']) {
      expect(gitignore).toContain(entry);
    }
  });
});

describe('manifests: runtime config addon and the prometheus-boshrelease ops file', () => {
  interface RuntimeConfig {
    releases: Array<{ name: string; version: string }>;
    addons: Array<{ name: string; jobs: Array<{ name: string; release: string; properties?: unknown }>; include?: AddonFilter; exclude?: AddonFilter }>;
  }
  const rc = readYaml<RuntimeConfig>(join(RELEASE, 'manifests', 'runtime-config.yml'));
  /** The jobs the runtime config adds to an instance group. */
  const added = (ig: InstanceGroup) => rc.addons.filter((a) => addonApplies(a, ig)).flatMap((a) => a.jobs.map((j) => `${j.release}/${j.name}`));
  const ig = (over: Partial<InstanceGroup>): InstanceGroup => ({ deployment: 'd', jobs: [{ name: 'redis', release: 'redis' }], os: 'ubuntu-jammy', lifecycle: 'service', ...over });

  it('the runtime config names its releases by variable versions (runtime configs cannot use "latest")', () => {
    expect(rc.releases).toEqual([
      { name: 'dupip', version: '((dupip_version))' },
      { name: 'bpm', version: '((bpm_version))' },
    ]);
  });

  it('puts dupip on every service VM, and bpm only where the instance group does not already have it', () => {
    expect(added(ig({}))).toEqual(['dupip/dupip', 'bpm/bpm']);
    expect(added(ig({ os: 'ubuntu-noble' }))).toEqual(['dupip/dupip', 'bpm/bpm']);
    expect(added(ig({ jobs: [{ name: 'bpm', release: 'bpm' }, { name: 'gorouter', release: 'routing' }] }))).toEqual(['dupip/dupip']);
    // bpm from another release does not count as bpm
    expect(added(ig({ jobs: [{ name: 'bpm', release: 'other' }] }))).toEqual(['dupip/dupip', 'bpm/bpm']);
    expect(added(ig({ lifecycle: 'errand' }))).toEqual([]);
    expect(added(ig({ os: 'windows2019' }))).toEqual([]);
  });

  it('every job the addons add exists in its release, and dupip properties are dupip.*', () => {
    for (const a of rc.addons) for (const j of a.jobs) if (j.release === 'dupip') expect(jobNames(RELEASE)).toContain(j.name);
    const props = rc.addons.find((a) => a.name === 'dupip')!.jobs[0]!.properties as Record<string, unknown>;
    expect(Object.keys(props)).toEqual(['dupip']);
  });

  it('the ops file applies to a prometheus-boshrelease manifest: dupip scrape config, rule files, dashboards', () => {
    const prometheus = {
      name: 'prometheus',
      releases: [{ name: 'prometheus', version: '30.0.0' }],
      instance_groups: [
        {
          name: 'prometheus2',
          jobs: [
            { name: 'prometheus2', release: 'prometheus', properties: { prometheus: { rule_files: ['/var/vcap/jobs/prometheus_alerts/*.alerts.yml'], scrape_configs: [{ job_name: 'prometheus' }] } } },
            { name: 'bosh_exporter', release: 'prometheus' },
          ],
        },
        {
          name: 'grafana',
          jobs: [{ name: 'grafana', release: 'prometheus', properties: { grafana: { prometheus: { dashboard_folders: [{ name: 'Prometheus', files: ['/var/vcap/jobs/prometheus_dashboards/*.json'] }] } } } }],
        },
      ],
    };
    const ops = readYaml<Op[]>(join(RELEASE, 'manifests', 'monitor-dupip.yml'));
    interface Manifest {
      releases: Array<{ name: string; version: string }>;
      instance_groups: Array<{ name: string; jobs: Array<{ name: string; release: string; properties: any }> }>;
    }
    const out = applyOps(prometheus, ops) as Manifest;
    // the `?` paths add the release and the jobs where the manifest lacks them
    expect(out.releases).toEqual([{ name: 'prometheus', version: '30.0.0' }, { name: 'dupip', version: '((dupip_version))' }]);
    const group = (n: string) => out.instance_groups.find((g) => g.name === n)!;
    const job = (g: string, n: string) => group(g).jobs.find((j) => j.name === n)!;
    expect(job('prometheus2', 'dupip_alerts').release).toBe('dupip');
    expect(job('grafana', 'dupip_dashboards').release).toBe('dupip');

    const scrape = (job('prometheus2', 'prometheus2').properties.prometheus.scrape_configs as Array<Record<string, any>>).find((c) => c.job_name === 'dupip')!;
    expect(scrape.file_sd_configs).toEqual([{ files: ['/var/vcap/store/bosh_exporter/bosh_target_groups.json'] }]);
    const keep = scrape.relabel_configs.find((r: Record<string, unknown>) => r.action === 'keep');
    expect(keep.source_labels).toEqual(['__meta_bosh_job_process_name']);
    // the regex keeps exactly the monit process of the dupip job
    const monit = monitProcesses(readFileSync(join(RELEASE, 'jobs', 'dupip', 'monit'), 'utf8'));
    expect(monit.filter((p) => new RegExp(`^(?:${keep.regex})$`).test(p))).toEqual(['dupip']);
    const port = readYaml<JobSpec>(join(RELEASE, 'jobs', 'dupip', 'spec')).properties!['dupip.web.port']!.default;
    expect(scrape.relabel_configs.find((r: Record<string, unknown>) => r.target_label === '__address__').replacement).toBe(`\${1}:${String(port)}`);

    // the rule file and dashboard globs select every file the alerts and dashboards jobs render
    const globMatches = (glob: string, job: string) => {
      const prefix = `/var/vcap/jobs/${job}/`;
      expect(glob.startsWith(prefix)).toBe(true);
      const dests = Object.values(readYaml<JobSpec>(join(RELEASE, 'jobs', job, 'spec')).templates ?? {});
      expect(dests.length).toBeGreaterThan(0);
      for (const d of dests) expect(globToRegExp(glob.slice(prefix.length)).test(d), `${glob} selects ${d}`).toBe(true);
    };
    const ruleFiles = job('prometheus2', 'prometheus2').properties.prometheus.rule_files as string[];
    expect(ruleFiles).toHaveLength(2);
    globMatches(ruleFiles[1]!, 'dupip_alerts');
    const folders = job('grafana', 'grafana').properties.grafana.prometheus.dashboard_folders as Array<{ name: string; files: string[] }>;
    const folder = folders.find((f) => f.name === 'dupip')!;
    expect(folder.files).toHaveLength(1);
    globMatches(folder.files[0]!, 'dupip_dashboards');
  });

  it('the ops-file interpreter refuses paths that do not resolve (the check can fail)', () => {
    expect(() => applyOps({ instance_groups: [] }, [{ type: 'replace', path: '/instance_groups/name=prometheus2/jobs/-', value: 1 }])).toThrow(/no element/);
    expect(() => applyOps({ a: {} }, [{ type: 'replace', path: '/a/b/c', value: 1 }])).toThrow(/no key b/);
  });
});

describe.skipIf(needBlobs.skip)(needBlobs.title('the release with its blobs (scripts/bosh-blobs.sh)'), () => {
  let release = '';
  beforeAll(() => {
    release = builtRelease().dir;
  }, 240_000);

  it('passes the structural checks of bosh create-release, every files pattern matching a blob', () => {
    expect(checkRelease(release)).toEqual([]);
    const blobs = listFiles(join(release, 'blobs')).filter((f) => !f.split('/').some((p) => p.startsWith('.')));
    expect(blobs).toEqual([
      expect.stringMatching(/^dupip\/dupip-\d+\.\d+\.\d+.*-npm-cache\.tar\.gz$/),
      expect.stringMatching(/^dupip\/dupip-\d+\.\d+\.\d+.*\.tgz$/),
      expect.stringMatching(/^nodejs\/node-v\d+\.\d+\.\d+-linux-(x64|arm64)\.tar\.gz$/),
    ]);
  });

  it('the committed config/blobs.yml names the same blobs as a fresh run of the script', () => {
    const committed = Object.keys(readYaml<Record<string, unknown>>(join(RELEASE, 'config', 'blobs.yml'))).sort();
    const fresh = Object.keys(readYaml<Record<string, unknown>>(join(release, 'config', 'blobs.yml'))).sort();
    expect(committed).toEqual(fresh);
  });

  it('the Node.js blob has the official layout; the npm cache blob holds exactly the production dependencies', () => {
    const nodeTgz = listFiles(join(release, 'blobs', 'nodejs')).find((f) => f.endsWith('.tar.gz'))!;
    const top = nodeTgz.replace(/\.tar\.gz$/, '');
    const list = spawnSync('tar', ['-tzf', join(release, 'blobs', 'nodejs', nodeTgz)], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.split('\n');
    for (const f of ['bin/node', 'bin/npm', 'include/node/node_api.h', 'include/node/common.gypi', 'lib/node_modules/npm/bin/npm-cli.js', 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js']) {
      expect(list, f).toContain(`${top}/${f}`);
    }
    const cacheTgz = listFiles(join(release, 'blobs', 'dupip')).find((f) => f.endsWith('-npm-cache.tar.gz'))!;
    const lock = JSON.parse(
      spawnSync('tar', ['-xzOf', join(release, 'blobs', 'dupip', cacheTgz), 'package-lock.json'], { encoding: 'utf8' }).stdout,
    ) as { packages: Record<string, { dev?: boolean; resolved?: string }> };
    const pkg = JSON.parse(readFileSync(join(RELEASE, '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const names = Object.keys(lock.packages).filter((k) => k !== '');
    for (const d of Object.keys(pkg.dependencies)) expect(names).toContain(`node_modules/${d}`);
    for (const d of Object.keys(pkg.devDependencies)) expect(names).not.toContain(`node_modules/${d}`);
    for (const k of names) {
      expect(lock.packages[k]!.dev, k).toBeUndefined();
      expect(lock.packages[k]!.resolved, k).toMatch(/^https?:\/\/.*\.tgz$/);
    }
  });

  describe.skipIf(needCompile.skip)(needCompile.title('packaging scripts, offline, as a compilation VM runs them'), () => {
    let root = '';
    let packagesDir = '';
    const logs: Record<string, string> = {};

    beforeAll(() => {
      const s = scratch('dupip-bosh-compile-');
      cleanups.push(s.remove);
      root = s.dir;
      packagesDir = join(root, 'packages');
      for (const pkg of packageOrder(release)) {
        const spec = readYaml<PackageSpec>(join(release, 'packages', pkg, 'spec'));
        // BOSH_COMPILE_TARGET: the files the spec selects, at their paths relative to src/ or blobs/,
        // and the packaging script.
        const compile = join(root, 'compile', pkg);
        for (const [rel, from] of packageFiles(release, spec).matched) {
          mkdirSync(dirname(join(compile, rel)), { recursive: true });
          copyFileSync(from, join(compile, rel));
        }
        copyFileSync(join(release, 'packages', pkg, 'packaging'), join(compile, 'packaging'));
        const install = join(packagesDir, pkg);
        mkdirSync(install, { recursive: true });
        // The agent's isolated environment (bosh-agent concrete_compiler: bash -x packaging, PATH
        // /usr/local/bin:/usr/bin:/bin, no HOME), inside a new network namespace: loopback only.
        const r = spawnSync(
          'unshare',
          [
            '--net',
            '--',
            'env',
            '-i',
            'PATH=/usr/local/bin:/usr/bin:/bin',
            `BOSH_COMPILE_TARGET=${compile}`,
            `BOSH_INSTALL_TARGET=${install}`,
            `BOSH_PACKAGE_NAME=${pkg}`,
            'BOSH_PACKAGE_VERSION=0+dev.1',
            `BOSH_PACKAGES_DIR=${packagesDir}`,
            'bash',
            '-x',
            'packaging',
          ],
          { cwd: compile, encoding: 'utf8', timeout: 180_000, maxBuffer: 64 << 20 },
        );
        logs[pkg] = `${r.stdout}${r.stderr}`;
        if (r.status !== 0) throw new Error(`packages/${pkg}/packaging failed (exit ${r.status ?? r.signal}):\n${logs[pkg].slice(-4000)}`);
      }
    }, 240_000);

    it('the namespace the packaging scripts ran in had no network: only a loopback interface', () => {
      const r = spawnSync('unshare', ['--net', '--', 'ip', '-o', 'link', 'show'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split('\n').map((l) => l.split(':')[1]!.trim())).toEqual(['lo']);
    });

    it('both packages compiled: nodejs from the tarball, dupip with production dependencies and the addon', () => {
      expect(Object.keys(logs)).toEqual(['nodejs', 'dupip']);
      expect(logs.nodejs).toContain(`+ ${join(packagesDir, 'nodejs', 'bin', 'node')} --version`);
      const app = join(packagesDir, 'dupip', 'lib', 'dupip');
      expect(logs.dupip).toContain(`--nodedir=${join(packagesDir, 'nodejs')}`);
      expect(listFiles(join(app, 'build'))).toEqual(['Release/dupip_packet.node']);
      const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
      const installed = readdirSync(join(app, 'node_modules'))
        .flatMap((d) => (d.startsWith('@') ? readdirSync(join(app, 'node_modules', d)).map((x) => `${d}/${x}`) : [d]))
        .filter((d) => !d.startsWith('.'))
        .sort();
      const locked = Object.keys(lock.packages)
        .filter((k) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(k))
        .map((k) => k.slice('node_modules/'.length))
        .sort();
      expect(installed).toEqual(locked);
      for (const dev of ['typescript', 'vitest', '@types']) expect(installed).not.toContain(dev);
    });

    it('the installed dupip runs --help and --version with the packaged Node.js, no node on PATH', () => {
      const wrapper = join(packagesDir, 'dupip', 'bin', 'dupip');
      expect(readFileSync(wrapper, 'utf8')).toContain(join(packagesDir, 'nodejs', 'bin', 'node'));
      const env = { PATH: '/nonexistent' };
      const help = spawnSync(wrapper, ['--help'], { encoding: 'utf8', env });
      expect(help.stderr).toBe('');
      expect(help.status).toBe(0);
      expect(help.stdout).toContain('dupip probe ADDRESS');
      const version = spawnSync(wrapper, ['--version'], { encoding: 'utf8', env });
      const pkg = JSON.parse(readFileSync(join(packagesDir, 'dupip', 'lib', 'dupip', 'package.json'), 'utf8')) as { version: string };
      expect(version.stdout.trim()).toBe(`dupip ${pkg.version}`);
    });

    describe.skipIf(needLab.skip)(needLab.title('the compiled package in the namespace lab'), () => {
      it('dupip probe: exit 1 naming the MAC of the host that holds the address, exit 0 for a free one', async () => {
        const wrapper = join(packagesDir, 'dupip', 'bin', 'dupip');
        await using lab = await Lab.create({ hosts: 2 });
        await lab.host(0).addAddress('192.0.2.10/24');
        await lab.host(1).addAddress('192.0.2.11/24');
        const taken = await lab.host(0).exec(wrapper, ['probe', '192.0.2.11', '--interface', lab.host(0).ifname, '--count', '2', '--timeout', '1s', '--json'], {
          timeoutMs: 30_000,
        });
        expect(taken.stderr).toBe('');
        expect(taken.code).toBe(1);
        const verdict = JSON.parse(taken.stdout.trim().split('\n').pop()!) as { duplicate: boolean; macs: Array<{ mac: string }> };
        expect(verdict.duplicate).toBe(true);
        expect(verdict.macs.map((m) => m.mac)).toEqual([lab.host(1).mac]);
        const free = await lab.host(0).exec(wrapper, ['probe', '192.0.2.12', '--count', '1', '--timeout', '500ms'], { timeoutMs: 30_000 });
        expect(free.code).toBe(0);
      });
    });
  });
});
