/**
 * The journal is never fatal: a huge file is read in bounded memory (its tail only), a symbolic
 * link, a directory or a FIFO at the path is neither followed nor opened, write errors (a real full
 * tmpfs) are counted, logged rate-limited and retried, and every record stays decodable.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_LOG_INTERVAL_MS, JOURNAL_FILE, Journal } from '../../src/journal/journal.js';
import { journalObserver } from '../../src/journal/observer.js';
import { type EpisodeRecord, decodeRecord, encodeRecord } from '../../src/journal/records.js';
import { DupipMetrics } from '../../src/metrics/metrics.js';
import { entry, sighting } from '../support/fake-view.js';
import { prereqs, requireRoot, requireTool } from '../support/prereq.js';

const A = '192.0.2.10';
const T = Date.UTC(2024, 0, 2, 3, 0, 0);
const INTRUDER = '02:00:00:00:00:99';
const start = (s: number, address = A) => ({ address, interface: 'eth0', role: 'own' as const, kind: 'conflict' as const, start: s, macs: [INTRUDER] });
const key = `eth0/${A}`;

type Line = { event: string; [k: string]: unknown };
function logger() {
  const lines: Line[] = [];
  return { lines, log: { warn: (o: Line) => lines.push(o), error: (o: Line) => lines.push(o), info: (o: Line) => lines.push(o) } as never };
}

function record(i: number): string {
  const s = new Date(T + i * 60_000).toISOString();
  const r: EpisodeRecord = { v: 1, event: 'end', address: A, interface: 'eth0', role: 'own', kind: 'conflict', start: s, end: s, macs: [INTRUDER], macOverflow: 0 };
  return encodeRecord(r);
}

let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'dupip-journal-faults-'));
  dir = join(root, 'state');
  mkdirSync(dir);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('reading at start', () => {
  it('reads only the tail of a file far larger than rotation allows, from a line boundary', () => {
    const maxBytes = 64 * 1024;
    const chunk = Array.from({ length: 4000 }, (_, i) => record(i)).join('');
    const fd = openSync(join(dir, JOURNAL_FILE), 'w');
    for (let k = 0; k < 40; k++) writeSync(fd, chunk); // ~40 MB
    writeSync(fd, record(999_999));
    closeSync(fd);
    const { lines, log } = logger();
    const j = Journal.open(dir, { maxBytes, logger: log });
    const eps = j.episodes();
    expect(eps.length).toBeGreaterThan(100);
    expect(eps.length).toBeLessThanOrEqual(maxBytes / 200);
    expect(eps.at(-1)!.start).toBe(new Date(T + 999_999 * 60_000).toISOString());
    expect(j.corruptLines).toBe(0); // the line cut by the window is not counted
    expect(lines.find((l) => l.event === 'journal-oversize')).toMatchObject({ path: join(dir, JOURNAL_FILE) });
    expect(lines.find((l) => l.event === 'journal-loaded')).toMatchObject({ episodes: eps.length, bytesRead: maxBytes + 1 });
    // The first record rotates the oversized file away; nothing is lost, nothing grows past the bound.
    j.begin(start(T + 2_000_000 * 60_000));
    j.close();
    expect(statSync(join(dir, JOURNAL_FILE)).size).toBeLessThanOrEqual(maxBytes);
    expect(readdirSync(dir).sort()).toEqual([JOURNAL_FILE, `${JOURNAL_FILE}.1`]);
    expect(Journal.open(dir, { maxBytes }).episodes().at(-1)!.status).toBe('interrupted');
  });

  it('a window inside one huge garbage line counts one corrupt line; the next record starts on a new line', () => {
    writeFileSync(join(dir, JOURNAL_FILE), Buffer.alloc(200_000, 0x41));
    const j = Journal.open(dir, { maxBytes: 4096 });
    expect(j.corruptLines).toBe(1);
    expect(j.off).toBeNull();
    j.begin(start(T));
    j.close();
    const again = Journal.open(dir, { maxBytes: 1_000_000 });
    expect(again.corruptLines).toBe(1);
    expect(again.episodes()).toHaveLength(1);
  });

  it('binary garbage and a torn last line are counted; history goes on in the same file', () => {
    const garbage = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256));
    writeFileSync(join(dir, JOURNAL_FILE), Buffer.concat([Buffer.from(record(1)), garbage, Buffer.from(record(2).slice(0, 30))]));
    const j = Journal.open(dir);
    expect(j.corruptLines).toBeGreaterThan(0);
    expect(j.episodes()).toHaveLength(1);
    j.begin(start(T + 10 * 60_000));
    j.end(key, T + 11 * 60_000, []);
    j.close();
    const text = readFileSync(join(dir, JOURNAL_FILE));
    expect(text.subarray(-2 * 250).toString()).toMatch(/\n\{"v":1,"event":"start".*\n\{"v":1,"event":"end".*\n$/);
    expect(Journal.open(dir).episodes().map((e) => e.status)).toEqual(['ended', 'ended']);
  });
});

describe('paths that are not regular files', () => {
  it('a symbolic link at the path is not followed: the target is unchanged, history is off, then resumes once it is gone', () => {
    const target = join(root, 'elsewhere');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, join(dir, JOURNAL_FILE));
    const { lines, log } = logger();
    const j = Journal.open(dir, { logger: log });
    expect(j.off).toMatch(/symbolic link \(not followed\)/);
    expect(j.writeErrors).toBe(1);
    expect(lines.filter((l) => l.event !== 'journal-loaded')).toMatchObject([{ event: 'journal-error', action: 'open', historyOff: true }]);
    j.begin(start(T));
    j.end(key, T + 1000, []);
    expect(j.writeErrors).toBe(3);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(readlinkSync(join(dir, JOURNAL_FILE))).toBe(target);
    unlinkSync(join(dir, JOURNAL_FILE));
    j.begin(start(T + 60_000));
    expect(j.off).toBeNull();
    expect(lines.at(-1)).toMatchObject({ event: 'journal-resumed' });
    j.close();
    expect(lstatSync(join(dir, JOURNAL_FILE)).isFile()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
  });

  it('a symbolic link as the rotated file is not read, and rotation replaces the link, not its target', () => {
    const target = join(root, 'elsewhere');
    writeFileSync(target, record(1));
    symlinkSync(target, join(dir, `${JOURNAL_FILE}.1`));
    const { lines, log } = logger();
    const j = Journal.open(dir, { maxBytes: 1024, logger: log });
    expect(j.readErrors).toBe(1);
    expect(j.episodes()).toHaveLength(0);
    expect(lines[0]).toMatchObject({ event: 'journal-unreadable' });
    for (let i = 0; i < 10; i++) j.begin(start(T + i * 60_000));
    j.close();
    expect(lstatSync(join(dir, `${JOURNAL_FILE}.1`)).isFile()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe(record(1));
    expect(j.writeErrors).toBe(0);
  });

  it('a directory at the path: history off, episodes still shown, the directory untouched', () => {
    mkdirSync(join(dir, JOURNAL_FILE));
    const j = Journal.open(dir);
    expect(j.off).toMatch(/is a directory/);
    j.begin(start(T));
    expect(j.episodes()).toMatchObject([{ status: 'open' }]);
    expect(j.writeErrors).toBe(2);
    j.close();
    expect(readdirSync(join(dir, JOURNAL_FILE))).toEqual([]);
  });

  const fifo = prereqs(requireTool('mkfifo'));
  it.skipIf(fifo.skip)(fifo.title('a FIFO at the path is never opened (nothing blocks)'), () => {
    expect(spawnSync('mkfifo', [join(dir, JOURNAL_FILE)]).status).toBe(0);
    expect(spawnSync('mkfifo', [join(dir, `${JOURNAL_FILE}.1`)]).status).toBe(0);
    const j = Journal.open(dir);
    expect(j.off).toMatch(/not a regular file/);
    expect(j.readErrors).toBe(1);
    j.close();
  });

  it('descriptors are opened close-on-exec, for appending, without following links', () => {
    const j = Journal.open(dir);
    const fd = (j as unknown as { fd: number }).fd;
    const flags = Number.parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    expect(flags & 0o2000000).toBe(0o2000000); // O_CLOEXEC
    expect(flags & 0o2000).toBe(0o2000); // O_APPEND
    expect(flags & 0o400000).toBe(0o400000); // O_NOFOLLOW
    j.close();
  });
});

const root_ = prereqs(requireRoot(), requireTool('mount'));
describe.skipIf(root_.skip)(root_.title('write errors on a real full file system (tmpfs)'), () => {
  let mnt: string;
  beforeEach(() => {
    mnt = join(root, 'mnt');
    mkdirSync(mnt);
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
  });
  afterEach(() => {
    spawnSync('umount', [mnt]);
  });

  it('ENOSPC: counted, logged once a minute, retried; history resumes when there is room, on a new line', () => {
    let now = T;
    const { lines, log } = logger();
    const j = Journal.open(mnt, { logger: log, now: () => now });
    j.begin(start(T));
    expect(j.writeErrors).toBe(0);
    // Fill the file system to the last byte.
    const filler = join(mnt, 'filler');
    const fd = openSync(filler, 'w');
    const block = Buffer.alloc(4096, 0x20);
    try {
      for (;;) writeSync(fd, block);
    } catch {
      try {
        for (;;) writeSync(fd, block.subarray(0, 1));
      } catch {
        /* full */
      }
    }
    closeSync(fd);
    for (let i = 1; i <= 100; i++) {
      j.end(key, T + i * 1000, []);
      j.begin(start(T + i * 1000 + 500));
    }
    // The file's last page took a few more records; every one after that is an error.
    const failed = j.writeErrors;
    expect(failed).toBeGreaterThan(150);
    expect(j.off).toMatch(/ENOSPC|short write/);
    const errors = () => lines.filter((l) => l.event === 'journal-error');
    expect(errors()).toHaveLength(1);
    now += ERROR_LOG_INTERVAL_MS;
    j.end(key, T + 200_000, []);
    expect(errors()).toHaveLength(2);
    expect(errors()[1]).toMatchObject({ suppressed: failed - 1, writeErrors: failed + 1 });
    unlinkSync(filler);
    j.begin(start(T + 300_000));
    expect(j.off).toBeNull();
    expect(j.writeErrors).toBe(failed + 1);
    j.close();
    // At most the one record cut short by the full disk is lost; the one after it starts on a new line.
    const again = Journal.open(mnt);
    expect(again.corruptLines).toBeLessThanOrEqual(1);
    const eps = again.episodes();
    expect(eps[0]).toMatchObject({ start: new Date(T).toISOString(), status: 'ended' });
    expect(eps.at(-1)).toMatchObject({ start: new Date(T + 300_000).toISOString(), status: 'interrupted' });
    const fileLines = readFileSync(join(mnt, JOURNAL_FILE), 'utf8').split('\n').filter((l) => l !== '');
    expect(fileLines.filter((l) => decodeRecord(l) !== null)).toHaveLength(202 - failed); // every write that did not fail
    again.close();
  });
});

describe('records stay decodable', () => {
  it('decodeRecord never throws and refuses garbage: random strings, mutated records, deep nesting, huge lines', () => {
    const valid = record(1).trimEnd();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array().map((b) => Buffer.from(b).toString('latin1'))), (s) => {
        const r = decodeRecord(s);
        if (r !== null) expect(decodeRecord(JSON.stringify(r))).toEqual(r);
      }),
      { seed: 9, numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const mutated = valid.slice(0, at) + String.fromCharCode(byte) + valid.slice(at + 1);
        expect(() => decodeRecord(mutated)).not.toThrow();
        expect(() => decodeRecord(valid.slice(0, at))).not.toThrow();
      }),
      { seed: 9, numRuns: 3000 },
    );
    expect(decodeRecord('['.repeat(100_000))).toBeNull();
    expect(decodeRecord(`{"v":1,"x":"${'a'.repeat(1_000_000)}"}`)).toBeNull();
    expect(decodeRecord(undefined as never)).toBeNull();
  });

  it('a record with null MACs (written during the MAC-overflow crash) is recovered without them', () => {
    const line = '{"v":1,"event":"end","address":"192.0.2.10","interface":"eth0","role":"own","kind":"conflict","start":"2024-01-01T00:00:00.000Z","end":"2024-01-01T00:01:00.000Z","macs":["02:00:00:00:00:99",null,null],"macOverflow":3}';
    expect(decodeRecord(line)).toMatchObject({ macs: ['02:00:00:00:00:99'], macOverflow: 3 });
    expect(decodeRecord(line.replace('"macs":["02:00:00:00:00:99",null,null]', '"macs":[null]'))).toMatchObject({ macs: [] });
    expect(decodeRecord(line.replace('null,null', '3,null'))).toBeNull(); // other non-strings stay refused
  });

  it('whatever the observer is handed, what is written decodes: undefined MACs, more MACs than a record lists, a NaN time', () => {
    const j = Journal.open(dir);
    const obs = journalObserver(j);
    const macs = Array.from({ length: 100 }, (_, i) => sighting(`02:00:00:00:01:${i.toString(16).padStart(2, '0')}`));
    const e = entry({ address: A, state: 'conflict', macs: [...macs, undefined as never] });
    obs.event!({ type: 'state', at: T, entry: e, from: 'ok', to: 'conflict', reason: 'x' });
    obs.event!({ type: 'conflict-mac', at: T, entry: e, mac: undefined as never });
    obs.event!({ type: 'state', at: Number.NaN, entry: e, from: 'conflict', to: 'ok', reason: 'x' });
    j.close();
    const text = readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n');
    expect(text).toHaveLength(2);
    const decoded = text.map((l) => decodeRecord(l));
    expect(decoded.every((r) => r !== null)).toBe(true);
    expect(decoded[1]).toMatchObject({ event: 'end', macOverflow: 36 });
    expect(decoded[1]!.macs).toHaveLength(64);
  });
});

describe('dupip_journal_write_errors_total', () => {
  it('shows the journal write errors', async () => {
    mkdirSync(join(dir, JOURNAL_FILE));
    const j = Journal.open(dir);
    j.begin(start(T));
    const m = new DupipMetrics({ version: '0.1.0', processMetrics: false });
    m.watchJournal(j);
    expect(await m.metrics()).toMatch(/^dupip_journal_write_errors_total 2$/m);
  });
});
