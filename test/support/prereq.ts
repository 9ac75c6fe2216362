/**
 * Prerequisites of tests that need root, network namespaces or outside tools.
 *
 * Outside CI each check returns a one-line skip reason (or null when satisfied). Under CI=true a
 * missing prerequisite throws, so the test file fails instead of silently skipping:
 *   "CI requires arping (install with scripts/install-deps.sh)".
 *
 * One line per test file:
 *   const need = labPrereqs('arping', 'tcpdump');
 *   describe.skipIf(need.skip)(need.title('lab'), () => { ... });
 * or per test:  it('x', (ctx) => { ctx.skip(need.skip, need.reason); ... })
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { netnsName, newLabId } from '../lab/names.js';

const INSTALL = 'install with scripts/install-deps.sh';
const ROOT_DIR = fileURLToPath(new URL('../../', import.meta.url));

export class PrereqError extends Error {
  override name = 'PrereqError';
}

/** CI=true (or 1/yes) turns every missing prerequisite into an error. */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.CI ?? '').toLowerCase();
  return v !== '' && v !== '0' && v !== 'false' && v !== 'no';
}

function missing(what: string, how: string): string {
  if (inCi()) throw new PrereqError(`CI requires ${what} (${how})`);
  return `needs ${what}`;
}

export function requireRoot(): string | null {
  return process.getuid?.() === 0 ? null : missing('root', 'run the tests as root');
}

/** Absolute path of an executable found on PATH (or in the sbin directories root normally has). */
export function which(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

export function requireTool(name: string): string | null {
  return which(name) ? null : missing(name, INSTALL);
}

let netnsResult: string | null | undefined;

/** Root, iproute2, and a namespace can actually be created and deleted (checked once per process). */
export function requireNetns(): string | null {
  const pre = requireRoot() ?? requireTool('ip');
  if (pre) return pre;
  if (netnsResult === undefined) {
    const ns = netnsName(newLabId(), 'probe');
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8', timeout: 10_000 });
    spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
    netnsResult = add.status === 0 ? null : `network namespaces (ip netns add failed: ${(add.stderr ?? '').trim() || add.error?.message})`;
  }
  return netnsResult === null ? null : missing(netnsResult, 'run as root on a kernel/container that allows network namespaces');
}

/** The native addon and the compiled CLI (what bin/dupip runs) exist. */
export function requireBuild(): string | null {
  for (const f of ['build/Release/dupip_packet.node', 'dist/cli/main.js']) {
    try {
      accessSync(join(ROOT_DIR, f), constants.R_OK);
    } catch {
      return missing(`a built tree (${f} is missing)`, 'run npm ci or npm run build, or scripts/install-deps.sh');
    }
  }
  return null;
}

export interface Prereqs {
  /** true when something is missing (never true under CI: that throws instead) */
  skip: boolean;
  /** every missing prerequisite, "; "-joined, or undefined */
  reason: string | undefined;
  /** "title" or "title [skipped: needs root]", so the reason shows in the report */
  title(name: string): string;
}

/** Combines checks: prereqs(requireRoot(), requireTool('arping')). */
export function prereqs(...checks: Array<string | null>): Prereqs {
  const reasons = [...new Set(checks.filter((c): c is string => c !== null))];
  const reason = reasons.length > 0 ? reasons.join('; ') : undefined;
  return {
    skip: reason !== undefined,
    reason,
    title: (name) => (reason === undefined ? name : `${name} [skipped: ${reason}]`),
  };
}

/** What a namespace-lab test needs: root, namespaces, iproute2, plus the given tools. */
export function labPrereqs(...tools: string[]): Prereqs {
  return prereqs(requireRoot(), requireNetns(), ...tools.map(requireTool));
}
