/**
 * The one order of monitored addresses, shared by the metrics and the status report: interface,
 * then address, then role (numeric-aware, so eth2 < eth10), then the address's value. Pure.
 */
import { compareAddress } from './address.js';
import type { EntrySnapshot } from './events.js';

const collator = new Intl.Collator('en', { numeric: true });

/** Compares two snapshots for Array.prototype.sort. */
export function compareSnapshots(a: EntrySnapshot, b: EntrySnapshot): number {
  return collator.compare(a.interface, b.interface) || collator.compare(a.address, b.address) || collator.compare(a.role, b.role) || compareAddress(a.ip, b.ip);
}
