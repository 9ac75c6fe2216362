/**
 * The packaged IEEE registry (data/oui.tsv), read once, lazily: the commands (probe, scan) read it
 * when they first describe a MAC, after their frames are in; the daemon reads it at startup before
 * it opens a socket (src/cli/observers.ts), so that it is never read on the frame path. If the
 * file is missing or unreadable, MACs are described without a vendor and the reason is kept.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeMac, macDetails as details, type MacDetails, type MacInfo } from '../core/mac-info.js';
import type { Mac } from '../core/mac.js';
import { parseOuiTable, type OuiTable } from '../core/oui-table.js';

/** dist/platform/oui-file.js and src/platform/oui-file.ts both sit two levels below the package root. */
export const OUI_FILE = fileURLToPath(new URL('../../data/oui.tsv', import.meta.url));

let table: OuiTable | null = null;
let loadError: string | null = null;

export function ouiTable(): OuiTable | null {
  if (table === null && loadError === null) {
    try {
      table = parseOuiTable(readFileSync(OUI_FILE)); // the bytes: kept off the JS heap
    } catch (err) {
      loadError = (err as Error).message;
    }
  }
  return table;
}

/** Why the registry could not be loaded (null when it was, or was not tried yet). */
export const ouiLoadError = () => loadError;

export function macInfo(mac: Mac): MacInfo {
  return describeMac(mac, ouiTable()?.lookup);
}

/** The MAC with its vendor, virtual-MAC name and bits, and a description ("VMware, Inc.; VMware virtual NIC"). */
export function macDetails(mac: Mac): MacDetails {
  return details(mac, ouiTable()?.lookup);
}
