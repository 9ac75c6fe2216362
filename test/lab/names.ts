/**
 * Naming of lab network namespaces, and removal of stale ones.
 *
 * Every namespace a lab creates is called `dupiplab-<pid>-<lab>-<role>`:
 *   pid   the process that owns it (a stale namespace is one whose owner is dead),
 *   lab   a per-process counter plus random hex, so two labs never collide,
 *   role  `br` (the bridge) or `h<index>` (a host).
 * Interfaces live only inside these namespaces (br0, p<i>, eth0), so no interface name ever
 * appears in the machine's own namespace and Linux's 15-character limit is never at risk.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';

export const LAB_PREFIX = 'dupiplab-';
const NETNS_DIR = '/run/netns';
const NAME = /^dupiplab-(\d+)-([0-9a-z]+)-([0-9a-z]+)$/;

let counter = 0;

/** A fresh lab id, unique in this process (counter) and across processes (pid). */
export function newLabId(pid = process.pid): string {
  counter += 1;
  return `${pid}-${counter.toString(36)}${randomBytes(2).toString('hex')}`;
}

export function netnsName(labId: string, role: string): string {
  return `${LAB_PREFIX}${labId}-${role}`;
}

export interface ParsedLabName {
  name: string;
  pid: number;
  labId: string;
  role: string;
}

export function parseLabName(name: string): ParsedLabName | null {
  const m = NAME.exec(name);
  if (!m) return null;
  return { name, pid: Number(m[1]), labId: `${m[1]}-${m[2]}`, role: m[3]! };
}

/** Names of all lab namespaces on this machine (any owner). */
export function listLabNamespaces(): string[] {
  let entries: string[];
  try {
    entries = readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
  return entries.filter((e) => e.startsWith(LAB_PREFIX)).sort();
}

/** True when the process exists and is not a zombie (an exited child nobody has reaped yet). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** PIDs of processes living in a named namespace (`ip netns pids`). */
export function netnsPidsSync(ns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 0 && p !== process.pid);
}

/**
 * Synchronously removes namespaces: SIGKILLs every process still inside (they were started by
 * tests in that lab namespace), then `ip netns del`. Used from 'exit'/signal handlers and by the
 * global setup. Returns the names that are still present afterwards.
 */
export function removeNamespacesSync(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  for (const ns of names) {
    for (const pid of netnsPidsSync(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  spawnSync('ip', ['-force', '-batch', '-'], {
    input: names.map((n) => `netns del ${n}\n`).join(''),
    encoding: 'utf8',
    timeout: 10_000,
  });
  const left = new Set(listLabNamespaces());
  return names.filter((n) => left.has(n));
}

export interface StaleReport {
  removed: string[];
  failed: string[];
  foreign: string[];
}

/**
 * Removes lab namespaces whose owning process is dead. Names under the prefix that do not parse
 * are left alone (someone made them by hand) and reported as `foreign`.
 */
export function removeStaleNamespacesSync(): StaleReport {
  const all = listLabNamespaces();
  const foreign = all.filter((name) => parseLabName(name) === null);
  const stale = all.filter((name) => {
    const parsed = parseLabName(name);
    return parsed !== null && !pidAlive(parsed.pid);
  });
  const failed = removeNamespacesSync(stale);
  return { removed: stale.filter((n) => !failed.includes(n)), failed, foreign };
}
