import { describe, expect, it } from 'vitest';
import { MAX_MACS_PER_ADDRESS, Sightings, newTally } from '../../src/core/sightings.js';

const mac = (i: number) => `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`;

describe('Sightings', () => {
  it('lists a MAC once, counts its frames again, and counts MACs that do not fit in the tally', () => {
    const s = new Sightings(newTally());
    expect(s.sight(mac(1), mac(1), 10)).toMatchObject({ kind: 'new', sighting: { mac: mac(1), firstSeen: 10, lastSeen: 10, frames: 1 } });
    for (let t = 11; t <= 13; t++) expect(s.sight(mac(1), mac(1), t)).toMatchObject({ kind: 'seen', sighting: { lastSeen: t, frames: t - 9 } });
    for (let i = 2; i <= MAX_MACS_PER_ADDRESS; i++) expect(s.sight(mac(i), mac(99), 20).kind).toBe('new');
    expect(s.full).toBe(true);
    expect(s.sight(mac(50), mac(50), 30)).toEqual({ kind: 'overflow' });
    expect(s.sight(mac(51), mac(51), 31)).toEqual({ kind: 'overflow' });
    expect(s.tally.macOverflow).toBe(2);
    expect(s.sight(mac(2), mac(99), 40)).toMatchObject({ kind: 'seen', sighting: { mac: mac(2), ethernetSource: mac(99), frames: 2 } });
    expect(s.snapshot().map((m) => [m.mac, m.frames])).toEqual([[mac(1), 4], [mac(2), 2], ...Array.from({ length: MAX_MACS_PER_ADDRESS - 2 }, (_, i) => [mac(i + 3), 1])]);
  });

  it('snapshots and copies are independent of the list', () => {
    const s = new Sightings(newTally());
    s.sight(mac(1), mac(1), 1);
    const snap = s.snapshot();
    const copy = Sightings.copyOf(s);
    s.sight(mac(1), mac(1), 2);
    expect(snap[0]!.frames).toBe(1);
    expect(copy.snapshot()[0]!.frames).toBe(1);
    expect(copy.sight(mac(1), mac(1), 3)).toMatchObject({ kind: 'seen', sighting: { frames: 2, lastSeen: 3 } });
    expect(s.snapshot()[0]).toMatchObject({ frames: 2, lastSeen: 2 });
    expect(copy.tally).toBe(s.tally);
  });

  it('restartWith keeps what the list knew of the claimer only', () => {
    const s = new Sightings(newTally());
    s.sight(mac(1), mac(1), 1);
    s.sight(mac(2), mac(2), 2);
    const next = s.restartWith(mac(2), mac(2), 5);
    expect(next.macs()).toEqual([mac(2)]);
    expect(next.snapshot()[0]).toMatchObject({ firstSeen: 2, lastSeen: 5, frames: 2 });
  });
});
