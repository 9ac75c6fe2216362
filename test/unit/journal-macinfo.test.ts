// What each MAC is, in the journal's records (the optional macInfo field).
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, replay, type EpisodeRecord } from '../../src/journal/records.js';

const start: EpisodeRecord = {
  v: 1,
  event: 'start',
  address: '192.0.2.10',
  interface: 'eth0',
  role: 'own',
  kind: 'conflict',
  start: '2026-12-01T10:00:00.000Z',
  macs: ['00:50:56:aa:bb:cc'],
  macInfo: { '00:50:56:aa:bb:cc': 'VMware, Inc.; VMware virtual NIC' },
};

describe('journal records: macInfo', () => {
  it('round-trips, and replay merges the start and end records', () => {
    expect(decodeRecord(encodeRecord(start))).toEqual(start);
    const end: EpisodeRecord = { ...start, event: 'end', end: '2026-12-01T10:01:00.000Z', macs: [...start.macs, '06:00:00:00:00:01'], macInfo: { '06:00:00:00:00:01': 'locally administered' } };
    const [e] = replay([start, end]);
    expect(e!.macInfo).toEqual({ '00:50:56:aa:bb:cc': 'VMware, Inc.; VMware virtual NIC', '06:00:00:00:00:01': 'locally administered' });
  });

  it('is optional: records without it stay valid and have none', () => {
    const { macInfo: _, ...old } = start;
    expect(decodeRecord(encodeRecord(old as EpisodeRecord))).toEqual(old);
    expect(replay([old as EpisodeRecord])[0]!.macInfo).toBeUndefined();
  });

  it('a malformed macInfo makes the record invalid', () => {
    for (const macInfo of [[], 'x', { a: 1 }, { a: 'x'.repeat(300) }, Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, 'x']))]) {
      expect(decodeRecord(JSON.stringify({ ...start, macInfo })), JSON.stringify(macInfo).slice(0, 40)).toBeNull();
    }
  });
});
