/**
 * The daemon's view as one scrape sees it: addresses() and interfaces() asked once per scrape, not
 * once per family (a dozen families walk the addresses; at 4,096 delegates each call copied and
 * sorted 4,096 snapshots). The families only read the lists (sortedAddresses sorts the one list
 * in place, which after the first family is already in order).
 */
import type { EntrySnapshot } from '../core/events.js';
import type { DaemonView } from '../daemon/observer.js';

export function scrapeView(v: DaemonView): DaemonView {
  let addresses: EntrySnapshot[] | null = null;
  let interfaces: ReturnType<DaemonView['interfaces']> | null = null;
  return {
    addresses: () => (addresses ??= v.addresses()),
    interfaces: () => (interfaces ??= v.interfaces()),
    hostInterfaces: () => v.hostInterfaces(),
    probeIntervalMs: () => v.probeIntervalMs(),
    lastProbeSentAt: () => v.lastProbeSentAt(),
    healthy: () => v.healthy(),
    startedAt: v.startedAt,
    toWallClock: (t) => v.toWallClock(t),
    ...(v.internalErrors ? { internalErrors: () => v.internalErrors!() } : {}),
    ...(v.proxies ? { proxies: () => v.proxies!() } : {}),
  };
}
