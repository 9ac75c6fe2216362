/**
 * The conflict history survives SIGKILL: episodes journaled by one daemon are shown by the next,
 * the one that was open when it died as interrupted; the stale control socket is replaced.
 */
import { lstatSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/control/protocol.js';
import { Lab } from '../lab/lab.js';
import { DaemonProc } from '../support/daemon-proc.js';
import { labPrereqs, prereqs, requireBuild } from '../support/prereq.js';
import { status, until } from '../support/scrape.js';

const lab = labPrereqs();
const need = prereqs(lab.skip ? lab.reason! : null, requireBuild());
const A = '192.0.2.10';
const ARGS = ['--interface', 'eth0', '--probe-interval', '500ms', '--clear-after', '2', '--announce-interval', '0'];

async function report(socket: string): Promise<StatusReport> {
  const r = await status(['--control-socket', socket, '--json']);
  if (r.code === 2) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as StatusReport;
}

describe.skipIf(need.skip)(need.title('conflict history across SIGKILL'), () => {
  it('shows both episodes after a SIGKILL and a restart: the ended one and the interrupted one', async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    const d1 = await DaemonProc.start(h0, ARGS);
    const { stateDir, controlSocket } = d1;
    try {
      await d1.waitFor(d1.state(A, 'ok'), 5000);
      // Episode 1: starts and ends.
      await h1.addAddress(`${A}/24`);
      await d1.waitFor(d1.state(A, 'conflict'), 5000);
      const mark = d1.mark;
      await h1.removeAddress(`${A}/24`);
      await d1.waitFor(d1.state(A, 'ok'), 10_000, mark);
      // Episode 2: still open when the daemon is killed.
      await h1.addAddress(`${A}/24`);
      await d1.waitFor(d1.state(A, 'conflict'), 5000, mark);
      const before = await until('two episodes in the history', async () => {
        const r = await report(controlSocket);
        return r.history.length === 2 && r;
      });
      expect(before.history.map((e) => e.status)).toEqual(['ended', 'open']);
      expect(before.addresses[0]).toMatchObject({ address: A, episodes: 2, state: 'conflict' });

      expect((await d1.stop('SIGKILL')).code).toBeNull();
      expect(lstatSync(controlSocket).isSocket()).toBe(true); // left behind by the killed daemon
      const lines = readFileSync(join(stateDir, 'history.jsonl'), 'utf8').trim().split('\n');
      expect(lines.map((x) => (JSON.parse(x) as { event: string }).event)).toEqual(['start', 'end', 'start']);

      await h1.removeAddress(`${A}/24`);
      const d2 = await DaemonProc.start(h0, ARGS, { stateDir });
      try {
        await d2.waitFor(d2.state(A, 'ok'), 5000);
        const after = await report(controlSocket);
        expect(after.history.map((e) => [e.start, e.status, e.macs])).toEqual([
          [before.history[0]!.start, 'ended', [h1.mac]],
          [before.history[1]!.start, 'interrupted', [h1.mac]],
        ]);
        expect(after.history[0]!.end).toBe(before.history[0]!.end);
        expect(after.addresses[0]).toMatchObject({ address: A, state: 'ok', episodes: 2, lastEpisode: { status: 'interrupted' } });
        expect(after.journal).toMatchObject({ path: join(stateDir, 'history.jsonl'), corruptLines: 0 });
        const table = await status(['--control-socket', controlSocket]);
        expect(table.code).toBe(0);
        expect(table.stdout).toMatch(/conflict .* ago \(interrupted by a restart\)/);
      } finally {
        await d2.stop();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('a second daemon on the same control socket refuses to start', async () => {
    await using l = await Lab.create({ hosts: 1 });
    const h0 = l.host(0);
    await h0.addAddress(`${A}/24`);
    const d1 = await DaemonProc.start(h0, ARGS);
    try {
      const second = h0.spawn(process.execPath, [
        (await import('../support/dupip.js')).BIN,
        'daemon',
        ...ARGS,
        '--state-dir',
        d1.stateDir,
        '--control-socket',
        d1.controlSocket,
        '--web.listen-address',
        '127.0.0.1:0',
      ]);
      let err = '';
      second.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
      const code = await new Promise<number | null>((resolve) => second.on('exit', (c) => resolve(c)));
      expect(code).toBe(1);
      expect(err).toContain(`control socket ${d1.controlSocket} is in use: is another dupip daemon running?`);
      expect((await report(d1.controlSocket)).addresses[0]?.address).toBe(A); // the first one still answers
    } finally {
      await d1.stop();
      rmSync(d1.stateDir, { recursive: true, force: true });
    }
  });
});
