// The notify observer with real child processes (/bin/sh scripts in a temporary directory).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DetectorEvent, EntrySnapshot } from '../../src/core/events.js';
import { MAX_QUEUED, MAX_RUNNING, notifyObserver, type NotifyFailure } from '../../src/daemon/notify.js';
import { entry, sighting } from '../support/fake-view.js';

const dir = mkdtempSync(join(tmpdir(), 'dupip-notify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

function harness(command: string[], timeoutMs = 2000, graceMs = 200) {
  const logs: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const log = (obj: Record<string, unknown>, msg: string) => logs.push({ obj, msg });
  const counts: Array<[boolean, NotifyFailure | undefined]> = [];
  const n = notifyObserver({ command, timeoutMs, graceMs, logger: { info: log, warn: log, error: log } as never, counted: (ok, f) => counts.push([ok, f]) });
  return { n, logs, counts };
}

const conflict: EntrySnapshot = entry({ address: '192.0.2.10', state: 'conflict', macs: [sighting('00:50:56:aa:bb:cc', 1_700_000_000_000)], episodeStart: 1_700_000_000_000 });
const start: DetectorEvent = { type: 'state', at: 1_700_000_000_000, entry: conflict, from: 'ok', to: 'conflict', reason: 'reply from another MAC' };
const end: DetectorEvent = { type: 'state', at: 1_700_000_005_000, entry: { ...conflict, state: 'ok' }, from: 'conflict', to: 'ok', reason: 'clean rounds' };

const until = async (cond: () => boolean, ms = 5000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('notify observer', () => {
  it('runs the command on episode start and end with the episode as JSON on stdin', async () => {
    const out = join(dir, 'received');
    const cmd = script('ok.sh', `cat >> ${out}; echo "$DUPIP_EVENT $DUPIP_ADDRESS $DUPIP_KIND" >> ${out}.env`);
    const { n, counts } = harness([cmd]);
    n.event!(start);
    await until(() => counts.length === 1);
    n.event!(end);
    await until(() => counts.length === 2);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(['start', 'end']);
    expect(lines[0]).toMatchObject({ address: '192.0.2.10', interface: 'eth0', kind: 'conflict', end: null, start: new Date(1_700_000_000_000).toISOString() });
    expect(lines[0].macs[0]).toMatchObject({ mac: '00:50:56:aa:bb:cc', vendor: 'VMware, Inc.', virtual: 'VMware virtual NIC', frames: 1 });
    expect(lines[1].end).toBe(new Date(1_700_000_005_000).toISOString());
    expect(readFileSync(`${out}.env`, 'utf8')).toBe('start 192.0.2.10 conflict\nend 192.0.2.10 conflict\n');
    expect(counts).toEqual([[true, undefined], [true, undefined]]);
  });

  it('logs and counts a failing command with its stderr', async () => {
    const { n, logs, counts } = harness([script('fail.sh', 'echo "no webhook configured" >&2; exit 3')]);
    n.event!(start);
    await until(() => counts.length === 1);
    expect(counts).toEqual([[false, 'exit']]);
    expect(logs[0]!.obj).toMatchObject({ event: 'notify-failed', failure: 'exit', address: '192.0.2.10' });
    expect(logs[0]!.msg).toContain('exit status 3; stderr: no webhook configured');
  });

  it('kills a hanging command and what it started at its timeout, SIGKILL when it ignores SIGTERM', async () => {
    const pidFile = join(dir, 'child.pid');
    const cmd = script('hang.sh', `trap '' TERM; sleep 30 & echo $! > ${pidFile}; while :; do sleep 1; done`);
    const { n, logs, counts } = harness([cmd], 300, 200);
    const t0 = Date.now();
    n.event!(start);
    expect(n.running()).toBe(1);
    await until(() => counts.length === 1);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(3000);
    expect(counts).toEqual([[false, 'timeout']]);
    expect(logs[0]!.msg).toMatch(/still running after 300 ms: killed \(SIGKILL\)/);
    const child = Number(readFileSync(pidFile, 'utf8'));
    await until(() => !existsSync(`/proc/${child}`) || readFileSync(`/proc/${child}/stat`, 'utf8').split(' ')[2] === 'Z');
  });

  it('counts a program that cannot be started', async () => {
    const { n, counts, logs } = harness([join(dir, 'missing')]);
    n.event!(start);
    await until(() => counts.length === 1);
    expect(counts).toEqual([[false, 'spawn']]);
    expect(logs[0]!.msg).toContain('ENOENT');
  });

  it(`runs at most ${MAX_RUNNING} at once, queues ${MAX_QUEUED}, drops beyond, and never waits`, async () => {
    const { n, counts } = harness([script('slow.sh', 'sleep 0.3')], 5000);
    for (let i = 0; i < MAX_RUNNING + MAX_QUEUED + 3; i++) n.event!(start);
    // Not waiting: every call returned synchronously, before any child (0.3 s each) could end.
    expect(counts.filter(([ok]) => ok)).toHaveLength(0);
    expect(n.running()).toBe(MAX_RUNNING);
    expect(n.queued()).toBe(MAX_QUEUED);
    expect(counts.filter(([, f]) => f === 'dropped')).toHaveLength(3);
    n.close!();
    await until(() => n.running() === 0);
  });
});
