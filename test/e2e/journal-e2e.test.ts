/**
 * The journal never stops the real daemon: a 300 MB journal is read in bounded memory (start within
 * 2 s, RSS within +20 MB of a daemon with an empty journal), a symbolic link at the journal path is
 * not followed, a directory there turns history off. Each case ends with a planted duplicate seen.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/control/protocol.js';
import { JOURNAL_FILE } from '../../src/journal/journal.js';
import { type EpisodeRecord, encodeRecord } from '../../src/journal/records.js';
import { Lab, type LabHost } from '../lab/lab.js';
import { DaemonProc } from '../support/daemon-proc.js';
import { labPrereqs, prereqs, requireBuild } from '../support/prereq.js';
import { metricsAddress, rssBytes, scrape, status, value } from '../support/scrape.js';

const lab = labPrereqs('curl');
const need = prereqs(lab.skip ? lab.reason! : null, requireBuild());
const A = '192.0.2.10';
const OTHER = '198.51.100.77';
const ARGS = ['--interface', 'eth0', '--probe-interval', '500ms', '--clear-after', '2', '--announce-interval', '0'];
const MB = 1024 * 1024;
const T0 = Date.UTC(2025, 0, 1);

async function report(socket: string): Promise<StatusReport> {
  const r = await status(['--control-socket', socket, '--json']);
  if (r.code === 2) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as StatusReport;
}

function endRecord(i: number, address = OTHER): string {
  const start = new Date(T0 + i * 60_000).toISOString();
  const r: EpisodeRecord = { v: 1, event: 'end', address, interface: 'eth0', role: 'own', kind: 'conflict', start, end: start, macs: ['02:00:00:00:00:99'], macOverflow: 0 };
  return encodeRecord(r);
}

/** ~`total` bytes of valid records: one 1 MiB buffer of distinct records written again and again, then one last record. */
function writeHugeJournal(path: string, total: number): void {
  const lines: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < MB; i++) {
    const l = endRecord(i);
    lines.push(l);
    bytes += l.length;
  }
  const chunk = Buffer.from(lines.join(''));
  const fd = openSync(path, 'w', 0o640);
  try {
    for (let written = 0; written < total; written += chunk.length) writeSync(fd, chunk);
    writeSync(fd, endRecord(10_000_000));
    fsyncSync(fd); // written back before the daemon starts: its start is timed
  } finally {
    closeSync(fd);
  }
}

/** Starts a daemon, waits until its address is ok, and returns it with its start time and VmRSS. */
async function startMeasured(h0: LabHost, stateDir: string) {
  const t0 = Date.now();
  const d = await DaemonProc.start(h0, ARGS, { stateDir });
  const startMs = Date.now() - t0;
  await d.waitFor(d.state(A, 'ok'), 5000);
  const pid = (await report(d.controlSocket)).daemon.pid;
  await new Promise((r) => setTimeout(r, 500));
  return { d, startMs, rss: await rssBytes(pid) };
}

/** Plants a real duplicate (a peer taking the daemon's own address) and waits for the conflict, then removes it. */
async function plantDuplicate(d: DaemonProc, h1: LabHost): Promise<StatusReport> {
  const mark = d.mark;
  await h1.addAddress(`${A}/24`);
  await d.waitFor(d.state(A, 'conflict'), 5000, mark);
  const r = await report(d.controlSocket);
  expect(r.addresses.find((a) => a.address === A)).toMatchObject({ state: 'conflict', macs: [h1.mac] });
  await h1.removeAddress(`${A}/24`);
  return r;
}

describe.skipIf(need.skip)(need.title('a journal that never stops the real daemon'), () => {
  it('a 300 MB journal: start within 2 s, RSS within +20 MB of an empty journal, history from its tail, detecting', async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    const emptyDir = mkdtempSync(join(tmpdir(), 'dupip-journal-e2e-'));
    const emptyDir2 = mkdtempSync(join(tmpdir(), 'dupip-journal-e2e-'));
    const bigDir = mkdtempSync(join(tmpdir(), 'dupip-journal-e2e-'));
    try {
      const base = await startMeasured(h0, emptyDir);
      await base.d.stop();

      writeHugeJournal(join(bigDir, JOURNAL_FILE), 300 * MB);
      const size = statSync(join(bigDir, JOURNAL_FILE)).size;
      expect(size).toBeGreaterThan(300 * MB);
      const again = await startMeasured(h0, emptyDir2); // the machine's load right before, for the start bound
      await again.d.stop();
      const big = await startMeasured(h0, bigDir);
      try {
        // 2 s; on a loaded machine, plus however much more than 1 s an empty-journal daemon needs right now.
        const slack = Math.max(0, Math.max(base.startMs, again.startMs) - 1000);
        const figures = JSON.stringify({ startMs: big.startMs, emptyStartMs: [base.startMs, again.startMs], rss: big.rss, emptyRss: base.rss });
        expect(big.startMs, figures).toBeLessThan(2000 + slack);
        expect(big.rss - base.rss, figures).toBeLessThan(20 * MB);
        expect(big.d.events('journal-oversize')).toMatchObject([{ path: join(bigDir, JOURNAL_FILE) }]);
        const loaded = big.d.events('journal-loaded');
        expect(loaded).toHaveLength(1);
        expect(loaded[0]!.bytesRead).toBeLessThanOrEqual(MB + 1); // the default rotation size, plus the byte before it
        expect(loaded[0]!.ms).toBeLessThan(1000); // the daemon's own figure for reading and decoding it
        const before = await report(big.d.controlSocket);
        expect(before.historyTotal).toBeGreaterThan(1000); // the tail: ~1 MiB of records
        expect(before.historyTotal).toBeLessThan(10_000);
        expect(before.history.at(-1)!.start).toBe(new Date(T0 + 10_000_000 * 60_000).toISOString());
        expect(before.journal).toMatchObject({ corruptLines: 0, writeErrors: 0, off: null });

        const during = await plantDuplicate(big.d, h1);
        expect(during.journal).toMatchObject({ writeErrors: 0, off: null });
        // The first record rotated the oversized file away: the current file is small again.
        expect(statSync(join(bigDir, JOURNAL_FILE)).size).toBeLessThan(MB);
        expect(statSync(join(bigDir, `${JOURNAL_FILE}.1`)).size).toBe(size);
        expect(readFileSync(join(bigDir, JOURNAL_FILE), 'utf8')).toContain(`"address":"${A}"`);
      } finally {
        await big.d.stop();
      }
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
      rmSync(emptyDir2, { recursive: true, force: true });
      rmSync(bigDir, { recursive: true, force: true });
    }
  });

  it('a symbolic link at the journal path: not followed (the target unchanged), logged, counted; detecting', async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    const stateDir = mkdtempSync(join(tmpdir(), 'dupip-journal-e2e-'));
    const outside = mkdtempSync(join(tmpdir(), 'dupip-journal-e2e-target-'));
    const target = join(outside, 'shadow');
    const precious = 'root:x:0:0:root:/root:/bin/bash\n';
    try {
      const fd = openSync(target, 'w', 0o600);
      writeSync(fd, precious);
      closeSync(fd);
      symlinkSync(target, join(stateDir, JOURNAL_FILE));
      const d = await DaemonProc.start(h0, ARGS, { stateDir });
      try {
        const addr = await metricsAddress(d);
        await d.waitFor(d.state(A, 'ok'), 5000);
        const logged = d.events('journal-error');
        expect(logged).toHaveLength(1);
        expect(logged[0]).toMatchObject({ action: 'open', historyOff: true });
        expect(logged[0]!.msg).toMatch(/symbolic link \(not followed\).*history is off/);
        const r = await plantDuplicate(d, h1);
        expect(r.journal).toMatchObject({ writeErrors: 2, off: expect.stringMatching(/symbolic link/) });
        expect(value(await scrape(h0, addr), 'dupip_journal_write_errors_total')).toBeGreaterThanOrEqual(2);
        expect((await status(['--control-socket', d.controlSocket])).stdout).toMatch(/history is off, new episodes are not recorded: .*symbolic link/);
      } finally {
        await d.stop();
      }
      expect(readFileSync(target, 'utf8')).toBe(precious);
      expect(statSync(target).mode & 0o777).toBe(0o600);
      expect(readlinkSync(join(stateDir, JOURNAL_FILE))).toBe(target);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a directory at the journal path: up, history off, detecting, the directory untouched', async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    const stateDir = mkdtempSync(join(tmpdir(), 'dupip-journal-e2e-'));
    try {
      mkdirSync(join(stateDir, JOURNAL_FILE));
      const d = await DaemonProc.start(h0, ARGS, { stateDir });
      try {
        const addr = await metricsAddress(d);
        await d.waitFor(d.state(A, 'ok'), 5000);
        expect(d.events('journal-error')).toMatchObject([{ action: 'open', historyOff: true }]);
        const r = await plantDuplicate(d, h1);
        expect(r.journal).toMatchObject({ off: expect.stringMatching(/is a directory/) });
        expect(r.history).toMatchObject([{ address: A, status: 'open' }]); // this run's episode, in memory
        expect(value(await scrape(h0, addr), 'dupip_journal_write_errors_total')).toBeGreaterThanOrEqual(2);
      } finally {
        await d.stop();
      }
      expect(lstatSync(join(stateDir, JOURNAL_FILE)).isDirectory()).toBe(true);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
