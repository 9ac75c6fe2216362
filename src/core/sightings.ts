/**
 * The bounded list of foreign MACs seen for one address.
 *
 * At most MAX_MACS_PER_ADDRESS MACs are listed; a frame from a MAC that does not fit is counted in
 * the address's tally (macOverflow), so a spoofing flood stays bounded. `sight` hands back the
 * sighting it recorded, so no caller ever looks a MAC up after recording it: a MAC that was not
 * listed cannot be reported as listed.
 */
import type { MacSighting } from './events.js';
import type { Mac } from './mac.js';

/** Foreign MACs listed per address; more are counted as overflow. */
export const MAX_MACS_PER_ADDRESS = 8;

/** What one address keeps over its whole life, across episodes and role changes. */
export interface Tally {
  /** Frames from MACs that could not be listed, since the address has been watched. */
  macOverflow: number;
  overflowSinceSummary: number;
  /** Conflicting frames since the last summary. */
  framesSinceSummary: number;
  /** When the address was last defended (DEFEND_INTERVAL is per address, whatever its role did meanwhile). */
  lastDefendAt: number;
}

export const newTally = (): Tally => ({ macOverflow: 0, overflowSinceSummary: 0, framesSinceSummary: 0, lastDefendAt: -Infinity });

export type Sighted = { kind: 'new'; sighting: MacSighting } | { kind: 'seen'; sighting: MacSighting } | { kind: 'overflow' };

/** One answer for every frame that does not fit: a spoofing flood allocates nothing here. */
const OVERFLOW: Sighted = Object.freeze({ kind: 'overflow' });

type Seen = { kind: 'seen'; sighting: MacSighting };

/**
 * The list of every Sightings that has listed nothing yet (most addresses, most of the time: 4,096
 * delegates are 8,192 lists): read, never written; a list gets a Map of its own at its first MAC.
 */
const NONE: ReadonlyMap<Mac, Seen> = new Map<Mac, Seen>();

export class Sightings {
  /** Each listed MAC's answer for a frame from it again, made once: a repeated claim allocates nothing. */
  private list: ReadonlyMap<Mac, Seen> = NONE;

  constructor(readonly tally: Tally) {}

  /** The list to write to: its own Map, made now if it still shares NONE. */
  private own(): Map<Mac, Seen> {
    if (this.list === NONE) this.list = new Map<Mac, Seen>();
    return this.list as Map<Mac, Seen>;
  }

  /** An empty list counting into the same tally. */
  emptied(): Sightings {
    return new Sightings(this.tally);
  }

  get size(): number {
    return this.list.size;
  }

  get full(): boolean {
    return this.list.size >= MAX_MACS_PER_ADDRESS;
  }

  has(mac: Mac): boolean {
    return this.list.has(mac);
  }

  /** Records a frame from `mac`: listed now ('new'), already listed ('seen'), or counted ('overflow'). */
  sight(mac: Mac, ethernetSource: Mac, now: number): Sighted {
    const seen = this.list.get(mac);
    if (seen) {
      seen.sighting.lastSeen = now;
      seen.sighting.frames++;
      return seen;
    }
    if (this.full) {
      this.tally.macOverflow++;
      this.tally.overflowSinceSummary++;
      return OVERFLOW;
    }
    const s: MacSighting = { mac, firstSeen: now, lastSeen: now, frames: 1 };
    if (ethernetSource !== mac) s.ethernetSource = ethernetSource;
    this.own().set(mac, { kind: 'seen', sighting: s });
    return { kind: 'new', sighting: s };
  }

  /**
   * A new list holding only the MAC of this frame, carrying over what this list knew of it. Used
   * when a claim turns a contest into a conflict: the claimer is always listed, whatever the
   * contest's list held (a claim outranks a probe).
   */
  restartWith(mac: Mac, ethernetSource: Mac, now: number): Sightings {
    const next = this.emptied();
    const prior = this.list.get(mac);
    if (prior) next.own().set(mac, prior);
    next.sight(mac, ethernetSource, now);
    return next;
  }

  /** A copy of another list (its sightings copied, the tally shared). */
  static copyOf(other: Sightings): Sightings {
    const s = other.emptied();
    for (const [mac, v] of other.list) s.own().set(mac, { kind: 'seen', sighting: { ...v.sighting } });
    return s;
  }

  macs(): Mac[] {
    return [...this.list.keys()];
  }

  /** Copies of the sightings, oldest first. */
  snapshot(): MacSighting[] {
    return [...this.list.values()].map((m) => ({ ...m.sighting }));
  }
}
