/**
 * The detector's invariants, checked on its events and snapshots (property and regression tests):
 * bounded, defined, well-formed MAC lists; state changes only along the machines' documented
 * edges; every episode names the MACs that caused it and survives the journal's encoding.
 */
import { DELEGATE_EDGES } from '../../src/core/delegate-machine.js';
import type { DetectorEvent, EntrySnapshot, Episode } from '../../src/core/events.js';
import { HELD_EDGES } from '../../src/core/held-machine.js';
import { MAX_MACS_PER_ADDRESS } from '../../src/core/sightings.js';
import { RECORD_VERSION, decodeRecord, encodeRecord, type EpisodeRecord } from '../../src/journal/records.js';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const HELD_PAIRS = new Set(HELD_EDGES.map(([f, , t]) => `${f}>${t}`));
const DELEGATE_PAIRS = new Set(DELEGATE_EDGES.map(([f, , t]) => `${f}>${t}`));

export class InvariantError extends Error {}

function fail(what: string, detail: unknown): never {
  throw new InvariantError(`${what}: ${JSON.stringify(detail)}`);
}

export function checkMac(mac: unknown, where: string): void {
  if (typeof mac !== 'string' || !MAC.test(mac)) fail(`${where}: not a MAC`, mac);
}

export function checkSnapshot(s: EntrySnapshot, where = 'snapshot'): void {
  if (s.macs.length > MAX_MACS_PER_ADDRESS) fail(`${where}: more than ${MAX_MACS_PER_ADDRESS} MACs`, s);
  if (new Set(s.macs.map((m) => m.mac)).size !== s.macs.length) fail(`${where}: a MAC listed twice`, s);
  for (const m of s.macs) {
    checkMac(m.mac, `${where} macs`);
    if (m.ethernetSource !== undefined) checkMac(m.ethernetSource, `${where} ethernetSource`);
    if (!(m.frames >= 1 && m.firstSeen <= m.lastSeen)) fail(`${where}: a sighting out of order`, m);
  }
  for (const h of s.holders) checkMac(h, `${where} holders`);
  if (!(Number.isInteger(s.macOverflow) && s.macOverflow >= 0)) fail(`${where}: macOverflow`, s);
  const inEpisode = s.state === 'conflict' || s.state === 'split-brain';
  if (inEpisode !== (s.episodeStart !== null)) fail(`${where}: episodeStart does not match the state`, s);
  if ((s.state === 'conflict' || s.state === 'contested' || s.state === 'split-brain') && s.macs.length === 0) fail(`${where}: ${s.state} names no MAC`, s);
  if (s.state === 'split-brain' && s.macs.length < 2) fail(`${where}: split brain of fewer than 2 MACs`, s);
  const heldStates = ['unknown', 'ok', 'conflict', 'contested'];
  const delegateStates = ['unknown', 'ok', 'split-brain', 'unanswered'];
  if (!(s.held ? heldStates : delegateStates).includes(s.state)) fail(`${where}: state of the other role's machine`, s);
}

const iso = (t: number) => new Date(t).toISOString();
/** JSON with sorted keys: equal records compare equal whatever their key order. */
const canonical = (o: object) => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))));

/** The records the journal writes for an episode, each through encodeRecord → decodeRecord. */
export function checkJournalRoundTrip(e: Extract<DetectorEvent, { type: 'state' }>): void {
  const ep = e.episode;
  if (!ep) return;
  const base = { v: RECORD_VERSION, address: ep.address, interface: ep.interface, role: ep.role, kind: ep.kind, start: iso(ep.start) } as const;
  const records: EpisodeRecord[] = [{ ...base, event: 'start', macs: ep.macs }];
  if (ep.end !== undefined) records.push({ ...base, event: 'end', end: iso(ep.end), macs: ep.macs, macOverflow: e.entry.macOverflow });
  // What the journal observer takes from the event itself for a start.
  if (ep.end === undefined) records.push({ ...base, event: 'start', macs: e.entry.macs.map((m) => m.mac) });
  for (const r of records) {
    const back = decodeRecord(encodeRecord(r));
    if (back === null) fail('journal record does not decode', r);
    if (canonical(back) !== canonical(r)) fail('journal record changes through encode/decode', { r, back });
  }
}

function checkEpisode(ep: Episode, e: DetectorEvent): void {
  if (ep.macs.length === 0) fail('episode names no MAC', e);
  if (ep.macs.length > MAX_MACS_PER_ADDRESS) fail('episode lists too many MACs', e);
  for (const m of ep.macs) checkMac(m, 'episode macs');
  if (ep.kind === 'split-brain' && ep.macs.length < 2) fail('split-brain episode of fewer than 2 MACs', e);
}

export function checkEvent(e: DetectorEvent): void {
  if ('entry' in e) checkSnapshot(e.entry, `${e.type} event`);
  switch (e.type) {
    case 'state': {
      const pairs = e.entry.held ? HELD_PAIRS : DELEGATE_PAIRS;
      if (!pairs.has(`${e.from}>${e.to}`)) fail('state change along no documented edge', e);
      const starts = e.to === 'conflict' || e.to === 'split-brain';
      const ends = e.from === 'conflict' || e.from === 'split-brain';
      if ((starts || ends) !== (e.episode !== undefined)) fail('episode missing or extra', e);
      if (e.episode) {
        checkEpisode(e.episode, e);
        if (e.episode.kind !== (starts ? e.to : e.from)) fail('episode of the wrong kind', e);
        if (ends && !starts && e.episode.end === undefined) fail('ended episode without end', e);
        checkJournalRoundTrip(e);
      }
      break;
    }
    case 'conflict-mac':
      checkMac(e.mac?.mac, 'conflict-mac');
      if (!e.entry.macs.some((m) => m.mac === e.mac.mac)) fail('conflict-mac not listed in its entry', e);
      break;
    case 'failover':
      if (e.from !== null) checkMac(e.from, 'failover from');
      checkMac(e.to, 'failover to');
      break;
    case 'unexpected-holder':
      checkMac(e.mac, 'unexpected-holder');
      break;
    case 'summary':
      if (!(e.frames > 0 && e.overflow >= 0)) fail('summary counts', e);
      break;
    default:
      break;
  }
}
