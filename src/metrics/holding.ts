/**
 * Fleet-wide holding of delegates (issue 10): what each host says about itself, so that rules can
 * sum across the fleet what the wire cannot show.
 *
 *   dupip_delegate_held{address,interface}       1 while this host has the delegate configured (on
 *                                                any interface), else 0. Summed across instances it
 *                                                reveals two holders behind one shared virtual MAC
 *                                                (keepalived use_vmac, CARP), where the wire shows one.
 *   dupip_delegate_holder_info{address,mac}      each MAC that answers for the delegate: this host's
 *                                                MAC on the monitored interface when it holds it, plus
 *                                                the foreign MACs of a current conflict; for a delegate
 *                                                held elsewhere, the MACs of the last completed round
 *                                                (the split brain's MACs until a round completes). Joined with dupip_interface_info,
 *                                                rules count holders by the dupip host owning each MAC
 *                                                (ARP flux: one host answering with two MACs is one
 *                                                holder).
 *
 * Bounded: one held series per monitored delegate; at most 1 + MAX_MACS_PER_ADDRESS holder series
 * per delegate, gone from the next scrape once a MAC stops answering (the gauges are rebuilt from
 * the view at each scrape).
 */
import type { EntrySnapshot } from '../core/events.js';
import { MAX_MACS_PER_ADDRESS } from '../core/sightings.js';
import type { DaemonView } from '../daemon/observer.js';
import { sortedAddresses } from './gauges.js';
import type { Registry } from './registry.js';

/** The MACs that answer for a delegate as this host sees it now, null while unknown (no completed round). */
export function delegateHolderMacs(e: EntrySnapshot, ownMac: string | undefined): string[] | null {
  if (e.role !== 'delegate' || e.state === 'unknown') return null;
  const foreign = new Set<string>();
  const add = (m: string) => {
    if (foreign.size < MAX_MACS_PER_ADDRESS && m !== ownMac) foreign.add(m);
  };
  if (e.held) {
    if (e.state === 'conflict') for (const m of e.macs) add(m.mac);
    return ownMac ? [ownMac, ...foreign] : [...foreign];
  }
  // The last completed round only: the episode's list keeps every MAC seen since the split brain
  // began, so a holder that let go would be counted as long as the others go on answering (ARP flux).
  for (const m of e.holders) add(m);
  if (foreign.size === 0 && e.state === 'split-brain') for (const m of e.macs) add(m.mac);
  return [...foreign];
}

export function registerHoldingGauges(registry: Registry, source: () => DaemonView | null): void {
  registry.gauge(
    'dupip_delegate_held',
    'Whether this host holds a delegate address (has it configured on any interface): 1 or 0. More than one host at 1 is a split brain, whatever the wire shows.',
    ['address', 'interface'],
    (s) => {
      const view = source();
      if (!view) return;
      for (const e of sortedAddresses(view)) if (e.role === 'delegate') s.append([e.address, e.interface], e.held ? 1 : 0); // one entry per address and interface
    },
  );

  registry.gauge(
    'dupip_delegate_holder_info',
    'A MAC answering for a delegate address: in the last probe round, or in a conflict when this host holds it (its own MAC included; at most 9 per address); always 1.',
    ['address', 'mac'],
    (s) => {
      const view = source();
      if (!view) return;
      const macOf = new Map(view.interfaces().map((i) => [i.name, i.mac]));
      const seen = new Map<string, Set<string>>();
      for (const e of sortedAddresses(view)) {
        const macs = delegateHolderMacs(e, macOf.get(e.interface));
        if (!macs) continue;
        const m = seen.get(e.address) ?? new Set<string>();
        seen.set(e.address, m);
        for (const mac of macs) {
          if (m.has(mac)) continue;
          m.add(mac);
          s.append([e.address, mac], 1);
        }
      }
    },
  );
}
