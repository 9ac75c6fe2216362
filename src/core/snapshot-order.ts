/**
 * The one order of monitored addresses, shared by the metrics and the status report: interface,
 * then address, then role (numeric-aware, so eth2 < eth10), then the address's value. Pure.
 */
import { compareAddress } from './address.js';
import type { EntrySnapshot } from './events.js';
import { compareNatural } from './natural-order.js';

/** Compares two snapshots for Array.prototype.sort. */
export function compareSnapshots(a: EntrySnapshot, b: EntrySnapshot): number {
  return compareNatural(a.interface, b.interface) || compareNatural(a.address, b.address) || compareNatural(a.role, b.role) || compareAddress(a.ip, b.ip);
}
