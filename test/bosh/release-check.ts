/**
 * The structural checks `bosh create-release` makes on a release directory, plus the conventions of
 * this release (field notes §5), as a list of problems (empty: the release is well formed):
 *
 * - config/final.yml names the release;
 * - every jobs/<dir> has a spec whose name is <dir>, a monit file, every template the spec names
 *   under templates/ (and no template file the spec does not name), distinct destinations; every
 *   package the job names exists; every property is named <job>.*, described and defaulted;
 * - every packages/<dir> has a spec whose name is <dir> and a packaging script, no pre_packaging;
 *   every dependency exists; no dependency cycle; every `files` pattern matches at least one file
 *   in src/ or blobs/ (where bosh create-release looks);
 * - config/blobs.yml lists exactly the files under blobs/, with their size and sha256; every blob is
 *   used by some package.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';

export interface JobSpec {
  name?: unknown;
  templates?: Record<string, string>;
  packages?: unknown;
  properties?: Record<string, { description?: unknown; default?: unknown } | null>;
}

export interface PackageSpec {
  name?: unknown;
  dependencies?: unknown;
  files?: unknown;
  excluded_files?: unknown;
}

/** Files under dir (relative paths, "/"-separated), recursively; [] when dir does not exist. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() || e.isSymbolicLink()) out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** A BOSH `files` pattern (doublestar: *, **, ?, [..], {a,b}) as an anchored RegExp. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`unterminated [ in ${pattern}`);
      re += `[${pattern.slice(i + 1, end).replace(/^!/, '^')}]`;
      i = end;
    } else if (c === '{') {
      const end = pattern.indexOf('}', i + 1);
      if (end < 0) throw new Error(`unterminated { in ${pattern}`);
      re += `(?:${pattern
        .slice(i + 1, end)
        .split(',')
        .map((alt) => globToRegExp(alt).source.slice(1, -1))
        .join('|')})`;
      i = end;
    } else {
      re += c.replace(/[.+^$()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

export function readYaml<T>(file: string): T {
  return parse(readFileSync(file, 'utf8')) as T;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

export function jobNames(release: string): string[] {
  const dir = join(release, 'jobs');
  return existsSync(dir) ? readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort() : [];
}

export function packageNames(release: string): string[] {
  const dir = join(release, 'packages');
  return existsSync(dir) ? readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort() : [];
}

/** Files a package's `files` patterns select, as bosh create-release does (src/ wins over blobs/). */
export function packageFiles(release: string, spec: PackageSpec): { matched: Map<string, string>; unmatched: string[] } {
  const src = listFiles(join(release, 'src'));
  const blobs = listFiles(join(release, 'blobs')).filter((f) => !f.split('/').some((part) => part.startsWith('.')));
  const excluded = isStringArray(spec.excluded_files) ? spec.excluded_files.map(globToRegExp) : [];
  const matched = new Map<string, string>();
  const unmatched: string[] = [];
  for (const pattern of isStringArray(spec.files) ? spec.files : []) {
    const re = globToRegExp(pattern);
    let any = false;
    for (const [base, files] of [
      ['src', src],
      ['blobs', blobs],
    ] as const) {
      for (const f of files) {
        if (!re.test(f) || excluded.some((x) => x.test(f))) continue;
        any = true;
        if (!matched.has(f)) matched.set(f, join(release, base, f));
      }
    }
    if (!any) unmatched.push(pattern);
  }
  return { matched, unmatched };
}

/** Package names in dependency order (dependencies first); throws on a cycle. */
export function packageOrder(release: string): string[] {
  const deps = new Map(packageNames(release).map((p) => [p, readYaml<PackageSpec>(join(release, 'packages', p, 'spec')).dependencies]));
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: string, path: string[]) => {
    if (state.get(p) === 'done') return;
    if (state.get(p) === 'visiting') throw new Error(`dependency cycle: ${[...path, p].join(' -> ')}`);
    state.set(p, 'visiting');
    const d = deps.get(p);
    for (const q of isStringArray(d) ? d : []) if (deps.has(q)) visit(q, [...path, p]);
    state.set(p, 'done');
    order.push(p);
  };
  for (const p of deps.keys()) visit(p, []);
  return order;
}

export function checkRelease(release: string): string[] {
  const problems: string[] = [];
  const problem = (msg: string) => problems.push(msg);

  const finalYml = join(release, 'config', 'final.yml');
  if (!existsSync(finalYml)) problem('config/final.yml is missing');
  else if (typeof readYaml<{ name?: unknown }>(finalYml)?.name !== 'string') problem('config/final.yml: no release name');

  const packages = packageNames(release);

  for (const job of jobNames(release)) {
    const dir = join(release, 'jobs', job);
    const where = `jobs/${job}`;
    if (!existsSync(join(dir, 'spec'))) {
      problem(`${where}: no spec`);
      continue;
    }
    if (!existsSync(join(dir, 'monit'))) problem(`${where}: no monit file`);
    const spec = readYaml<JobSpec>(join(dir, 'spec')) ?? {};
    if (spec.name !== job) problem(`${where}: spec name ${JSON.stringify(spec.name)} does not match the directory name`);
    const templates = spec.templates ?? {};
    const destinations = new Set<string>();
    for (const [source, destination] of Object.entries(templates)) {
      if (!existsSync(join(dir, 'templates', source))) problem(`${where}: template ${source} does not exist`);
      if (destinations.has(destination)) problem(`${where}: two templates render to ${destination}`);
      destinations.add(destination);
    }
    for (const file of listFiles(join(dir, 'templates'))) {
      if (!(file in templates)) problem(`${where}: templates/${file} is not named in the spec`);
    }
    if (!isStringArray(spec.packages)) problem(`${where}: packages is not a list (use [] for none)`);
    else for (const p of spec.packages) if (!packages.includes(p)) problem(`${where}: package ${p} does not exist`);
    for (const [name, def] of Object.entries(spec.properties ?? {})) {
      if (!name.startsWith(`${job}.`)) problem(`${where}: property ${name} is not named ${job}.*`);
      if (!def || typeof def.description !== 'string' || def.description.trim() === '') problem(`${where}: property ${name} has no description`);
      if (!def || !('default' in def)) problem(`${where}: property ${name} has no default`);
    }
  }

  for (const pkg of packages) {
    const dir = join(release, 'packages', pkg);
    const where = `packages/${pkg}`;
    if (!existsSync(join(dir, 'spec'))) {
      problem(`${where}: no spec`);
      continue;
    }
    if (!existsSync(join(dir, 'packaging'))) problem(`${where}: no packaging script`);
    if (existsSync(join(dir, 'pre_packaging'))) problem(`${where}: has a pre_packaging script (not supported by this release's conventions)`);
    const spec = readYaml<PackageSpec>(join(dir, 'spec')) ?? {};
    if (spec.name !== pkg) problem(`${where}: spec name ${JSON.stringify(spec.name)} does not match the directory name`);
    if (spec.dependencies !== undefined && spec.dependencies !== null && !isStringArray(spec.dependencies)) problem(`${where}: dependencies is not a list`);
    for (const d of isStringArray(spec.dependencies) ? spec.dependencies : []) if (!packages.includes(d)) problem(`${where}: dependency ${d} does not exist`);
    if (!isStringArray(spec.files) || spec.files.length === 0) problem(`${where}: no files`);
    for (const pattern of packageFiles(release, spec).unmatched) problem(`${where}: files pattern ${pattern} matches nothing in src/ or blobs/`);
  }
  try {
    packageOrder(release);
  } catch (err) {
    problem((err as Error).message);
  }

  // blobs.yml against blobs/
  const blobsYml = join(release, 'config', 'blobs.yml');
  const listed = existsSync(blobsYml) ? (readYaml<Record<string, { size?: unknown; sha?: unknown }> | null>(blobsYml) ?? {}) : {};
  const present = listFiles(join(release, 'blobs')).filter((f) => !f.split('/').some((part) => part.startsWith('.')));
  for (const [path, entry] of Object.entries(listed)) {
    const file = join(release, 'blobs', path);
    if (!existsSync(file)) {
      problem(`config/blobs.yml: ${path} is not in blobs/`);
      continue;
    }
    const data = readFileSync(file);
    if (entry.size !== data.length) problem(`config/blobs.yml: ${path}: size ${String(entry.size)}, file has ${data.length}`);
    const sha = String(entry.sha);
    const actual = sha.startsWith('sha256:') ? `sha256:${createHash('sha256').update(data).digest('hex')}` : createHash('sha1').update(data).digest('hex');
    if (sha !== actual) problem(`config/blobs.yml: ${path}: sha ${sha}, file has ${actual}`);
  }
  for (const f of present) if (!(f in listed)) problem(`blobs/${f} is not in config/blobs.yml`);
  const used = new Set<string>();
  for (const pkg of packages) {
    const specFile = join(release, 'packages', pkg, 'spec');
    if (existsSync(specFile)) for (const f of packageFiles(release, readYaml<PackageSpec>(specFile)).matched.keys()) used.add(f);
  }
  for (const f of present) if (!used.has(f)) problem(`blobs/${f} is used by no package`);
  return problems;
}

/** `check process NAME` lines of a monit file. */
export function monitProcesses(text: string): string[] {
  return [...text.matchAll(/^\s*check\s+process\s+(\S+)/gm)].map((m) => m[1]!);
}
