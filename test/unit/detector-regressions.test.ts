/**
 * Regressions of the MAC-overflow crashes (issue "Nothing on the segment takes dupip down", 1):
 * a claim after MAX_MACS_PER_ADDRESS contesting probers, and a delegate answered by more than
 * MAX_MACS_PER_ADDRESS MACs. Each runs through the real journal and reloads it.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OP_REQUEST } from '../../src/core/arp.js';
import type { DetectorEvent } from '../../src/core/events.js';
import { MAX_MACS_PER_ADDRESS } from '../../src/core/sightings.js';
import { Journal } from '../../src/journal/journal.js';
import { journalObserver } from '../../src/journal/observer.js';
import { decodeRecord } from '../../src/journal/records.js';
import { checkEvent, checkSnapshot } from '../support/detector-invariants.js';
import { FakeWorld, ip } from '../support/fake-world.js';

const A = ip('192.0.2.10');
const V = ip('198.51.100.10');
const mac = (i: number) => `02:00:00:00:07:${i.toString(16).padStart(2, '0')}`;
const probe = (w: FakeWorld, who: string, address: number) => w.frame({ op: OP_REQUEST, senderMac: who, senderIp: 0, targetMac: '00:00:00:00:00:00', targetIp: address });
type StateEvent = Extract<DetectorEvent, { type: 'state' }>;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dupip-regression-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Feeds every event to a real journal, checks the invariants, and returns what a reload finds. */
function journalled(w: FakeWorld) {
  for (const e of w.events) checkEvent(e);
  for (const s of w.detector.snapshotAll()) checkSnapshot(s);
  const j = Journal.open(dir);
  const obs = journalObserver(j);
  for (const e of w.events) obs.event!(e);
  obs.close!();
  const lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(decodeRecord(l), l).not.toBeNull();
  return Journal.open(dir).episodes();
}

describe('MAC overflow regressions', () => {
  it(`a claim from a new MAC after ${MAX_MACS_PER_ADDRESS} contesting probers is a conflict naming the claimer`, () => {
    const w = new FakeWorld({ clearAfter: 2 });
    w.watch([{ address: A }]);
    w.advance(1500);
    for (let i = 0; i < MAX_MACS_PER_ADDRESS + 4; i++) expect(probe(w, mac(i), A)).toBe('probe');
    expect(w.detector.snapshotAll()[0]!.macs).toHaveLength(MAX_MACS_PER_ADDRESS);
    const claimer = mac(0x99);
    expect(w.claim(claimer, A)).toBe('claim');
    const conflict = w.events.find((e): e is StateEvent => e.type === 'state' && e.to === 'conflict')!;
    expect(conflict.from).toBe('contested');
    expect(conflict.entry.macs.map((m) => m.mac)).toEqual([claimer]);
    expect(conflict.episode?.macs).toEqual([claimer]);
    w.advance(10_000);
    expect(w.states()).toEqual(['ok', 'contested', 'conflict', 'ok']);
    const episodes = journalled(w);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ kind: 'conflict', status: 'ended', macs: [claimer] });
  });

  it('a claim from one of the contesting probers names that prober', () => {
    const w = new FakeWorld();
    w.watch([{ address: A }]);
    w.advance(1500);
    for (let i = 0; i < MAX_MACS_PER_ADDRESS; i++) probe(w, mac(i), A);
    w.claim(mac(3), A);
    const snap = w.detector.snapshotAll()[0]!;
    expect(snap.state).toBe('conflict');
    expect(snap.macs.map((m) => m.mac)).toEqual([mac(3)]);
    expect(snap.macs[0]!.frames).toBe(2);
    // still open when the journal is closed: a reload finds it interrupted, naming the prober
    expect(journalled(w)[0]).toMatchObject({ status: 'interrupted', macs: [mac(3)] });
  });

  it(`a delegate answered by more than ${MAX_MACS_PER_ADDRESS} MACs, round after round, is one split brain of ${MAX_MACS_PER_ADDRESS} MACs`, () => {
    const w = new FakeWorld();
    let round = 0;
    let holders = 12;
    w.onTransmit = (t) => {
      if (t.kind !== 'probe') return;
      round++;
      // every round a fresh set of MACs, so later rounds bring MACs the full list has no room for
      for (let i = 0; i < holders; i++) w.reply(mac(round * 16 + i), t.address);
    };
    w.watch([{ address: V, role: 'delegate', held: false }]);
    w.advance(6000);
    expect(round).toBeGreaterThanOrEqual(4);
    const sb = w.events.filter((e): e is StateEvent => e.type === 'state' && e.to === 'split-brain');
    expect(sb).toHaveLength(1);
    const snap = w.detector.snapshotAll()[0]!;
    expect(snap.state).toBe('split-brain');
    expect(snap.macs).toHaveLength(MAX_MACS_PER_ADDRESS);
    expect(snap.macOverflow).toBeGreaterThan(0);
    expect(w.events.filter((e) => e.type === 'conflict-mac')).toHaveLength(MAX_MACS_PER_ADDRESS - 2);
    holders = 1;
    w.advance(3000);
    expect(w.states()).toEqual(['split-brain', 'ok']);
    const episodes = journalled(w);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]!.kind).toBe('split-brain');
    expect(episodes[0]!.status).toBe('ended');
    expect(episodes[0]!.macs).toHaveLength(MAX_MACS_PER_ADDRESS);
    expect(episodes[0]!.macOverflow).toBeGreaterThan(0);
  });
});
