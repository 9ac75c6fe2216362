/**
 * The daemon driver itself (test/support/daemon-proc.ts), which tests, the demo and the benchmark
 * share: a daemon that cannot start fails start() at its exit, a wait ends when the daemon does,
 * lines carry their read times, and close() leaves nothing behind.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { DaemonProc } from '../support/daemon-proc.js';
import { prereqs, requireBuild, requireNetns, requireRoot } from '../support/prereq.js';

const need = prereqs(requireRoot(), requireNetns(), requireBuild());
const A = '192.0.2.10';
const V = '192.0.2.50'; // a delegate on the same subnet, held by nobody

describe.skipIf(need.skip)(need.title('daemon driver'), () => {
  it('a daemon that exits before starting fails start() with its exit code, long before the timeout', async () => {
    await using lab = await Lab.create({ hosts: 1 });
    const t0 = Date.now();
    await expect(DaemonProc.start(lab.host(0), ['--probe-interval', 'soon'], { timeoutMs: 30_000 })).rejects.toThrow(/exited \(78\) while waiting for a started line/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('configYaml, read times, waitStates; close() stops it and removes the state dir it made', async () => {
    await using lab = await Lab.create({ hosts: 1 });
    const h0 = lab.host(0);
    await h0.addAddress(`${A}/24`);
    const d = await DaemonProc.start(h0, ['--interface', h0.ifname], {
      configYaml: `probe_interval: 500ms\nannounce_interval: 0\ndelegates:\n  - address: ${V}\n`,
    });
    // the delegate comes only from the config file
    await d.waitFor((l) => l.address === V, 5000);
    await d.waitStates([A], 'ok', 5000);
    expect(d.timed).toHaveLength(d.lines.length);
    const i = d.indexOf(d.state(A, 'ok'));
    const t = d.timed[i]!;
    expect(t.line).toBe(d.lines[i]);
    // the line was read after it was logged (a little slack for the two clocks); its time has microseconds
    expect(t.readAt).toBeGreaterThanOrEqual(t.loggedAt - 50);
    expect(t.line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(t.loggedBy).toBe(t.loggedAt);
    expect(d.timed.every((x, k) => k === 0 || x.loggedAt >= d.timed[k - 1]!.loggedAt - 1)).toBe(true); // in order
    expect(d.events('started')).toHaveLength(1);
    await d.close();
    expect(d.child.exitCode).toBe(0);
    expect(existsSync(d.stateDir)).toBe(false);
    const t1 = Date.now();
    await expect(d.waitFor((l) => l.event === 'never-logged', 10_000)).rejects.toThrow(/exited \(0\)/);
    expect(Date.now() - t1).toBeLessThan(1000);
  });
});
