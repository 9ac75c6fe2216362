/**
 * The conflict history journal's records and their replay into episodes. Pure: no I/O.
 *
 * One JSON object per line. An episode writes a `start` record when it begins and an `end` record
 * (self-contained: it repeats the start) when it is over, so either record alone says what happened
 * even after the other was rotated away. A `start` with no `end` is an episode the daemon did not
 * see end: it was stopped or killed meanwhile ("interrupted").
 */
import type { Role } from '../core/watchlist.js';

export const RECORD_VERSION = 1;

export type EpisodeKind = 'conflict' | 'split-brain';

export interface EpisodeRecord {
  v: typeof RECORD_VERSION;
  event: 'start' | 'end';
  address: string;
  interface: string;
  role: Role;
  kind: EpisodeKind;
  /** ISO 8601 wall-clock times. */
  start: string;
  end?: string;
  /** Foreign MACs seen (at most 8: the detector's cap; at most MAX_RECORD_MACS are accepted). */
  macs: string[];
  /** MACs beyond the cap during the episode (end records). */
  macOverflow?: number;
  /** What each MAC is (vendor, virtual MAC, locally administered), by MAC. */
  macInfo?: Record<string, string>;
}

export type EpisodeStatus = 'ended' | 'open' | 'interrupted';

/** One episode as `dupip status` shows it. */
export interface HistoryEpisode {
  address: string;
  interface: string;
  role: Role;
  kind: EpisodeKind;
  start: string;
  end: string | null;
  status: EpisodeStatus;
  macs: string[];
  macOverflow: number;
  /** What each MAC is, by MAC (absent in records written before it existed). */
  macInfo?: Record<string, string>;
}

export function encodeRecord(r: EpisodeRecord): string {
  return `${JSON.stringify(r)}\n`;
}

const isIso = (v: unknown): v is string => typeof v === 'string' && v.length <= 40 && !Number.isNaN(Date.parse(v));
const isShortString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;

/** MACs a record may list (the detector lists at most 8; older records and foreign tools may hold more). */
export const MAX_RECORD_MACS = 64;
/** Longer lines are not records (the longest valid one is ~5 KB): refused before they are parsed. */
export const MAX_RECORD_CHARS = 64 * 1024;

/**
 * The record on one line, or null when the line is not a valid record (corrupt, truncated, foreign).
 * Never throws, whatever the line. A null among the MACs (written by versions whose detector could
 * list an unrecorded MAC) is dropped and the rest of the record kept.
 */
export function decodeRecord(line: string): EpisodeRecord | null {
  try {
    return decode(line);
  } catch {
    return null;
  }
}

function decode(line: string): EpisodeRecord | null {
  if (typeof line !== 'string' || line.length > MAX_RECORD_CHARS) return null;
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const r = o as Record<string, unknown>;
  if (r.v !== RECORD_VERSION) return null;
  if (r.event !== 'start' && r.event !== 'end') return null;
  if (!isShortString(r.address) || !isShortString(r.interface)) return null;
  if (r.role !== 'own' && r.role !== 'delegate') return null;
  if (r.kind !== 'conflict' && r.kind !== 'split-brain') return null;
  if (!isIso(r.start)) return null;
  if (r.event === 'end' && !isIso(r.end)) return null;
  if (!Array.isArray(r.macs) || r.macs.length > MAX_RECORD_MACS) return null;
  const macs = (r.macs as unknown[]).filter((m) => m !== null);
  if (!macs.every(isShortString)) return null;
  if (r.macOverflow !== undefined && !(Number.isSafeInteger(r.macOverflow) && (r.macOverflow as number) >= 0)) return null;
  if (r.macInfo !== undefined && !isMacInfo(r.macInfo)) return null;
  return {
    v: RECORD_VERSION,
    event: r.event,
    address: r.address,
    interface: r.interface,
    role: r.role,
    kind: r.kind,
    start: r.start,
    ...(r.event === 'end' ? { end: r.end as string } : {}),
    macs: [...new Set(macs as string[])],
    ...(r.macOverflow !== undefined ? { macOverflow: r.macOverflow as number } : {}),
    ...(r.macInfo !== undefined ? { macInfo: { ...(r.macInfo as Record<string, string>) } } : {}),
  };
}

function isMacInfo(v: unknown): v is Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const entries = Object.entries(v);
  return entries.length <= 64 && entries.every(([k, d]) => isShortString(k) && typeof d === 'string' && d.length <= 256);
}

export const episodeKey = (r: { interface: string; address: string; start: string }) => `${r.interface}/${r.address}/${r.start}`;

/** Replays records (oldest first) into episodes ordered by start; unmatched starts are interrupted. */
export function replay(records: Iterable<EpisodeRecord>): HistoryEpisode[] {
  const byKey = new Map<string, HistoryEpisode>();
  for (const r of records) {
    const key = episodeKey(r);
    const seen = byKey.get(key);
    const ended = r.event === 'end';
    const episode: HistoryEpisode = {
      address: r.address,
      interface: r.interface,
      role: r.role,
      kind: r.kind,
      start: r.start,
      end: ended ? r.end! : null,
      status: ended ? 'ended' : 'interrupted',
      macs: mergeMacs(seen?.macs ?? [], r.macs),
      macOverflow: r.macOverflow ?? seen?.macOverflow ?? 0,
    };
    if (seen?.macInfo || r.macInfo) episode.macInfo = { ...seen?.macInfo, ...r.macInfo };
    if (seen?.status === 'ended' && !ended) continue; // a duplicated start after its end
    byKey.set(key, episode);
  }
  // Each start parsed once, not once per comparison: a full journal holds thousands of episodes.
  return [...byKey.values()]
    .map((e) => ({ t: Date.parse(e.start), e }))
    .sort((a, b) => a.t - b.t)
    .map((x) => x.e);
}

export function mergeMacs(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
