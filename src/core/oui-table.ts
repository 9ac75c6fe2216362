/**
 * The IEEE registry in a compact in-memory form, pure: built from the text of data/oui.tsv
 * (scripts/update-oui.mjs writes it; src/platform/oui-file.ts reads it). One line per assignment,
 * "PREFIX<TAB>Organisation", PREFIX 6 (MA-L), 7 (MA-M) or 9 (MA-S) upper-case hex digits.
 * Each prefix length is a sorted Float64Array searched by bisection, names deduplicated.
 */
import type { Mac } from './mac.js';
import type { OuiLookup } from './mac-info.js';

const LENGTHS = [9, 7, 6] as const;

interface Block {
  keys: Float64Array;
  names: Uint32Array;
}

export interface OuiTable {
  lookup: OuiLookup;
  /** Assignments loaded. */
  size: number;
  /** Lines that were not an assignment (comments excepted). */
  invalid: number;
}

const HEX = /^[0-9A-F]+$/;

export function parseOuiTable(text: string): OuiTable {
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const rows = new Map<number, Array<[number, number]>>(LENGTHS.map((l) => [l, []]));
  let invalid = 0;
  let size = 0;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const tab = line.indexOf('\t');
    const prefix = tab > 0 ? line.slice(0, tab) : '';
    const name = tab > 0 ? line.slice(tab + 1).trim() : '';
    const list = rows.get(prefix.length);
    if (!list || !HEX.test(prefix) || name === '') {
      invalid++;
      continue;
    }
    let n = nameIndex.get(name);
    if (n === undefined) {
      n = names.length;
      names.push(name);
      nameIndex.set(name, n);
    }
    list.push([parseInt(prefix, 16), n]);
    size++;
  }
  const blocks = new Map<number, Block>();
  for (const [length, list] of rows) {
    list.sort((a, b) => a[0] - b[0]);
    blocks.set(length, { keys: Float64Array.from(list, (r) => r[0]), names: Uint32Array.from(list, (r) => r[1]) });
  }
  const lookup: OuiLookup = (mac: Mac) => {
    const hex = mac.replace(/:/g, '').toUpperCase();
    for (const length of LENGTHS) {
      const b = blocks.get(length)!;
      const key = parseInt(hex.slice(0, length), 16);
      let lo = 0;
      let hi = b.keys.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const k = b.keys[mid]!;
        if (k === key) return names[b.names[mid]!];
        if (k < key) lo = mid + 1;
        else hi = mid - 1;
      }
    }
    return undefined;
  };
  return { lookup, size, invalid };
}
