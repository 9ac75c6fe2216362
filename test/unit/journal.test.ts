import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOURNAL_FILE, Journal } from '../../src/journal/journal.js';
import { journalObserver } from '../../src/journal/observer.js';
import { decodeRecord, replay, type EpisodeRecord } from '../../src/journal/records.js';
import { FakeWorld, ip } from '../support/fake-world.js';

const A = '192.0.2.10';
const T = Date.UTC(2024, 0, 2, 3, 0, 0);
const INTRUDER = '02:00:00:00:00:99';

let dir: string;
beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'dupip-journal-')), 'state', 'sub');
});
afterEach(() => rmSync(join(dir, '..', '..'), { recursive: true, force: true }));

const start = (s: number, address = A) => ({ address, interface: 'eth0', role: 'own' as const, kind: 'conflict' as const, start: s, macs: [INTRUDER] });

describe('records', () => {
  it('rejects what is not a record', () => {
    expect(decodeRecord('{"v":1,"event":"start"')).toBeNull();
    expect(decodeRecord('[]')).toBeNull();
    expect(decodeRecord('{"v":2,"event":"start","address":"a","interface":"e","role":"own","kind":"conflict","start":"2024-01-01T00:00:00Z","macs":[]}')).toBeNull();
    expect(decodeRecord('{"v":1,"event":"end","address":"a","interface":"e","role":"own","kind":"conflict","start":"2024-01-01T00:00:00Z","macs":[]}')).toBeNull();
    expect(decodeRecord('{"v":1,"event":"start","address":"a","interface":"e","role":"own","kind":"conflict","start":"2024-01-01T00:00:00Z","macs":[]}')).not.toBeNull();
  });

  it('an end record alone is a whole episode; a start alone is interrupted', () => {
    const base = { v: 1 as const, address: A, interface: 'eth0', role: 'own' as const, kind: 'conflict' as const, macs: [INTRUDER] };
    const records: EpisodeRecord[] = [
      { ...base, event: 'end', start: '2024-01-01T00:00:00.000Z', end: '2024-01-01T00:01:00.000Z' },
      { ...base, event: 'start', start: '2024-01-01T01:00:00.000Z' },
    ];
    expect(replay(records).map((e) => [e.start, e.end, e.status])).toEqual([
      ['2024-01-01T00:00:00.000Z', '2024-01-01T00:01:00.000Z', 'ended'],
      ['2024-01-01T01:00:00.000Z', null, 'interrupted'],
    ]);
  });
});

describe('Journal', () => {
  it('creates the state directory 0750 and the file 0640, and writes one line per start and end', () => {
    const j = Journal.open(dir);
    j.begin(start(T));
    j.addMac(`eth0/${A}`, '02:00:00:00:00:98');
    j.end(`eth0/${A}`, T + 60_000, [INTRUDER], 2);
    j.close();
    expect(statSync(dir).mode & 0o777).toBe(0o750);
    expect(statSync(join(dir, JOURNAL_FILE)).mode & 0o777).toBe(0o640);
    const lines = readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toMatchObject([
      { event: 'start', address: A, start: new Date(T).toISOString(), macs: [INTRUDER] },
      { event: 'end', end: new Date(T + 60_000).toISOString(), macs: [INTRUDER, '02:00:00:00:00:98'], macOverflow: 2 },
    ]);
  });

  it('reloads the history; an episode cut off by a crash is interrupted', () => {
    const j1 = Journal.open(dir);
    j1.begin(start(T));
    j1.end(`eth0/${A}`, T + 5_000, []);
    j1.begin(start(T + 900_000));
    expect(j1.episodes().map((e) => e.status)).toEqual(['ended', 'open']);
    // no close(): a SIGKILL
    const j2 = Journal.open(dir);
    expect(j2.episodes().map((e) => [e.start, e.status])).toEqual([
      [new Date(T).toISOString(), 'ended'],
      [new Date(T + 900_000).toISOString(), 'interrupted'],
    ]);
    expect(j2.corruptLines).toBe(0);
  });

  it('skips and counts corrupt lines, and a line cut short does not swallow the next record', () => {
    const j1 = Journal.open(dir);
    j1.begin(start(T));
    j1.close();
    const file = join(dir, JOURNAL_FILE);
    appendFileSync(file, 'garbage\n\n{"v":1,"event":"end","addr');
    const warnings: unknown[] = [];
    const j2 = Journal.open(dir, { logger: { warn: (o: unknown) => warnings.push(o), error: () => {} } });
    expect(j2.corruptLines).toBe(2);
    expect(warnings).toHaveLength(1);
    j2.end(`eth0/${A}`, T, []); // not open in this run: nothing
    j2.begin(start(T + 1000));
    j2.close();
    const j3 = Journal.open(dir);
    expect(j3.corruptLines).toBe(2);
    expect(j3.episodes()).toHaveLength(2);
  });

  it('rotates at the size limit and keeps one rotated file, so the disk use is bounded', () => {
    const maxBytes = 4096;
    const j = Journal.open(dir, { maxBytes, keep: 1 });
    for (let i = 0; i < 200; i++) {
      j.begin(start(T + i * 60_000));
      j.end(`eth0/${A}`, T + i * 60_000 + 1000, []);
    }
    j.close();
    expect(readdirSync(dir).sort()).toEqual([JOURNAL_FILE, `${JOURNAL_FILE}.1`]);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(maxBytes);
    const reloaded = Journal.open(dir, { maxBytes, keep: 1 }).episodes();
    expect(reloaded.length).toBeGreaterThan(5);
    expect(reloaded.length).toBeLessThan(200);
    expect(reloaded.at(-1)!.start).toBe(new Date(T + 199 * 60_000).toISOString());
    expect(reloaded.every((e) => e.status === 'ended')).toBe(true);
  });

  it('a state directory that cannot be made does not stop the daemon: history is off and the next record tries again', () => {
    Journal.open(dir).close();
    rmSync(join(dir, JOURNAL_FILE));
    writeFileSync(join(dir, 'x'), '');
    const errors: Array<{ event: string; historyOff: boolean }> = [];
    const j = Journal.open(join(dir, 'x'), { logger: { warn: () => {}, error: ((o: never) => errors.push(o)) as never } });
    expect(j.off).toMatch(/ENOTDIR|EEXIST/);
    expect(j.writeErrors).toBe(1);
    expect(errors).toMatchObject([{ event: 'journal-error', historyOff: true }]);
    j.begin(start(T));
    expect(j.writeErrors).toBe(2);
    expect(j.episodes().map((e) => e.status)).toEqual(['open']); // still shown by `dupip status`
    j.close();
  });
});

describe('journalObserver with the detector', () => {
  it('journals a real conflict episode from start to end', () => {
    const j = Journal.open(dir);
    const obs = journalObserver(j);
    const w = new FakeWorld({ clearAfter: 2 });
    w.watch([{ address: ip(A) }]);
    w.advance(1500);
    w.claim(INTRUDER, ip(A));
    w.advance(5000);
    for (const e of w.events) obs.event!(e);
    expect(w.states()).toEqual(['ok', 'conflict', 'ok']);
    const eps = j.episodes();
    expect(eps).toHaveLength(1);
    expect(eps[0]).toMatchObject({ address: A, interface: 'eth0', role: 'own', kind: 'conflict', status: 'ended', macs: [INTRUDER] });
    expect(Date.parse(eps[0]!.end!)).toBeGreaterThan(Date.parse(eps[0]!.start));
  });
});
