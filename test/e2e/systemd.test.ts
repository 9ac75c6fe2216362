/**
 * systemd/dupip.service: `systemd-analyze verify` is clean, `systemd-analyze security --offline=yes`
 * rates it 2.0 or less, it grants CAP_NET_RAW only and carries the hardening Node.js tolerates
 * (and not the settings that break it); systemd/dupip.yml is a valid configuration that agrees
 * with the unit's directories.
 *
 * `verify` checks that ExecStart's program exists. The shipped unit names the path of a global npm
 * install (/usr/lib/node_modules/dupip/bin/dupip), absent on a development machine, so verify and
 * security run on a copy in which only ExecStart's program is this tree's bin/dupip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prereqs, requireBuild, requireTool } from '../support/prereq.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const UNIT = join(REPO, 'systemd', 'dupip.service');
const EXAMPLE = join(REPO, 'systemd', 'dupip.yml');
const SHIPPED_BIN = '/usr/lib/node_modules/dupip/bin/dupip';
const need = prereqs(requireTool('systemd-analyze'));
const needBuild = prereqs(requireBuild());

const dir = mkdtempSync(join(tmpdir(), 'dupip-systemd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The [Service] etc. settings: key → every value, in order (comments and blank lines dropped). */
function settings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

/** A copy of the unit, named dupip.service, whose ExecStart runs this tree's bin/dupip. */
function testCopy(text = readFileSync(UNIT, 'utf8')): string {
  const sub = join(mkdtempSync(join(dir, 'u-')), 'dupip.service');
  writeFileSync(sub, text.replace(`ExecStart=${SHIPPED_BIN} `, `ExecStart=${join(REPO, 'bin', 'dupip')} `));
  return sub;
}

describe('systemd/dupip.service settings', () => {
  const s = settings(readFileSync(UNIT, 'utf8'));
  const one = (k: string) => {
    expect(s.get(k), k).toHaveLength(1);
    return s.get(k)![0]!;
  };

  it('CAP_NET_RAW only, as a dynamic user, with systemd-managed state and runtime directories', () => {
    expect(one('CapabilityBoundingSet')).toBe('CAP_NET_RAW');
    expect(one('AmbientCapabilities')).toBe('CAP_NET_RAW');
    expect(one('DynamicUser')).toBe('yes');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('StateDirectory')).toBe('dupip');
    expect(one('RuntimeDirectory')).toBe('dupip');
    expect(s.has('User')).toBe(false);
  });

  it('the hardening Node.js tolerates, and none of the settings that break it or the raw sockets', () => {
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('RestrictAddressFamilies').split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_PACKET', 'AF_UNIX']);
    expect(s.get('SystemCallFilter')).toContain('@system-service');
    expect(one('SystemCallErrorNumber')).toBe('EPERM');
    expect(one('SystemCallArchitectures')).toBe('native');
    for (const k of ['ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectKernelLogs', 'ProtectControlGroups', 'ProtectClock', 'ProtectHostname', 'RestrictNamespaces', 'RestrictRealtime', 'RestrictSUIDSGID', 'LockPersonality']) {
      expect(one(k), k).toBe('yes');
    }
    // MemoryDenyWriteExecute kills V8's JIT; PrivateNetwork and PrivateUsers hide the host's
    // interfaces or the capability from the raw sockets.
    for (const k of ['MemoryDenyWriteExecute', 'PrivateNetwork', 'PrivateUsers']) expect(s.has(k), k).toBe(false);
  });

  it('bounded: open files, memory (with V8 heap at 60% of it) and tasks, as the BOSH job defaults', () => {
    expect(one('LimitNOFILE')).toBe('4096');
    expect(one('MemoryMax')).toBe('256M');
    expect(one('TasksMax')).toBe('64');
    expect(one('Environment')).toBe(`NODE_OPTIONS=--max-old-space-size=${Math.floor(256 * 0.6)} MALLOC_ARENA_MAX=2`);
    // The BOSH job's defaults are the same numbers.
    const spec = parse(readFileSync(join(REPO, 'bosh-release', 'jobs', 'dupip', 'spec'), 'utf8')) as { properties: Record<string, { default: unknown }> };
    expect(spec.properties['dupip.limits.open_files']!.default).toBe(Number(one('LimitNOFILE')));
    expect(spec.properties['dupip.limits.memory']!.default).toBe(one('MemoryMax'));
    expect(spec.properties['dupip.limits.processes']!.default).toBe(Number(one('TasksMax')));
  });

  it('runs the daemon with /etc/dupip/dupip.yml, reloads with SIGHUP, restarts on failure but not on a bad configuration', () => {
    expect(one('ExecStart')).toBe(`${SHIPPED_BIN} daemon --config /etc/dupip/dupip.yml`);
    expect(one('ExecReload')).toMatch(/^(\/bin\/|\/usr\/bin\/)?kill -(HUP|s HUP) \$MAINPID$/);
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartPreventExitStatus')).toBe('78');
    expect(one('ConfigurationDirectory')).toBe('dupip');
  });
});

describe.skipIf(need.skip)(need.title('systemd-analyze'), () => {
  it('the test copy differs from the shipped unit only in the program ExecStart runs', () => {
    const shipped = readFileSync(UNIT, 'utf8').split('\n');
    const copy = readFileSync(testCopy(), 'utf8').split('\n');
    const diff = shipped.flatMap((l, i) => (l === copy[i] ? [] : [[l, copy[i]]]));
    expect(diff).toEqual([[`ExecStart=${SHIPPED_BIN} daemon --config /etc/dupip/dupip.yml`, `ExecStart=${join(REPO, 'bin', 'dupip')} daemon --config /etc/dupip/dupip.yml`]]);
  });

  it('systemd-analyze verify is clean', () => {
    const r = spawnSync('systemd-analyze', ['verify', testCopy()], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('systemd-analyze verify does complain about a broken unit (the check can fail)', () => {
    const broken = testCopy(readFileSync(UNIT, 'utf8').replace('ProtectSystem=strict', 'ProtectSystm=strict'));
    const r = spawnSync('systemd-analyze', ['verify', broken], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout + r.stderr).toContain('ProtectSystm');
  });

  it('systemd-analyze security --offline=yes: overall exposure 2.0 or less', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', testCopy()], { encoding: 'utf8', timeout: 60_000 });
    const m = /Overall exposure level for dupip\.service: (\d+(?:\.\d+)?)/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    const exposure = Number(m![1]);
    expect(exposure).toBeLessThanOrEqual(2.0);
    // the only capability it reports is the raw socket one
    expect(r.stdout).toMatch(/✗ CapabilityBoundingSet=~CAP_NET_\(BIND_SERVICE\|BROADCAST\|RAW\)/);
    expect(r.stdout).not.toMatch(/✗ CapabilityBoundingSet=~CAP_(SYS_ADMIN|NET_ADMIN|DAC_)/);
  });
});

describe.skipIf(needBuild.skip)(needBuild.title('systemd/dupip.yml'), () => {
  it('is a valid configuration (dupip daemon --check-config) whose directories are the unit\'s', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'bin', 'dupip'), 'daemon', '--check-config', '--config', EXAMPLE], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const cfg = parse(readFileSync(EXAMPLE, 'utf8')) as { state_dir: string; control_socket: string };
    expect(cfg.state_dir).toBe('/var/lib/dupip'); // StateDirectory=dupip
    expect(cfg.control_socket.startsWith('/run/dupip/')).toBe(true); // RuntimeDirectory=dupip
  });
});
