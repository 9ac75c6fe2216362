/** Feeds episode boundaries from detector events into the journal. */
import type { AddressState, DetectorEvent } from '../core/events.js';
import type { DaemonView, Observer } from '../daemon/observer.js';
import { macDetails } from '../platform/oui-file.js';
import type { Journal } from './journal.js';

const describe = (macs: string[]) => (macs.length ? Object.fromEntries(macs.map((m) => [m, macDetails(m).description])) : undefined);

const isEpisodeState = (s: AddressState): s is 'conflict' | 'split-brain' => s === 'conflict' || s === 'split-brain';

export function journalObserver(journal: Journal): Observer {
  // Detector times are monotonic; until attach, they are on the epoch scale already (the daemon's clock).
  let wall = (t: number) => t;
  return {
    attach(view: DaemonView) {
      wall = (t) => view.toWallClock(t);
    },
    event(e: DetectorEvent) {
      if (e.type === 'conflict-mac') {
        if (typeof e.mac?.mac === 'string') journal.addMac(`${e.entry.interface}/${e.entry.address}`, e.mac.mac, macDetails(e.mac.mac).description);
        return;
      }
      if (e.type !== 'state') return;
      const key = `${e.entry.interface}/${e.entry.address}`;
      // Only defined MACs: a record must stay decodable whatever the detector hands over.
      const macs = e.entry.macs.flatMap((m) => (typeof m?.mac === 'string' ? [m.mac] : []));
      if (isEpisodeState(e.from)) journal.end(key, wall(e.at), macs, e.entry.macOverflow, describe(macs));
      if (isEpisodeState(e.to)) {
        journal.begin(
          { address: e.entry.address, interface: e.entry.interface, role: e.entry.role, kind: e.to, start: wall(e.at), macs, ...(macs.length ? { macInfo: describe(macs) } : {}) },
          e.entry.macOverflow,
        );
      }
    },
    close() {
      journal.close();
    },
  };
}
