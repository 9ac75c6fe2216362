/**
 * The IEEE registry in a compact in-memory form, pure: built from the text of data/oui.tsv
 * (scripts/update-oui.mjs writes it; src/platform/oui-file.ts reads it). One line per assignment,
 * "PREFIX<TAB>Organisation", PREFIX 6 (MA-L), 7 (MA-M) or 9 (MA-S) upper-case hex digits.
 *
 * The file's bytes are kept as they are (UTF-8, off the JS heap: 1.4 MB, where the decoded text
 * was a 2.8 MB two-byte string on it); each prefix length gets a sorted Float64Array of prefixes
 * and the offsets of the names in the bytes, trimmed to the lines it holds, searched by
 * bisection. No string per line is made while loading (a name is decoded when it is looked up),
 * so loading is one pass over the bytes.
 */
import type { Mac } from './mac.js';
import type { OuiLookup } from './mac-info.js';

/** Longest first: an MA-S block inside an MA-L one (IEEE Registration Authority) names its owner. */
const LENGTHS = [9, 7, 6] as const;

export interface OuiTable {
  lookup: OuiLookup;
  /** Assignments loaded. */
  size: number;
  /** Lines that were not an assignment (comments excepted). */
  invalid: number;
}

interface Block {
  keys: Float64Array;
  starts: Uint32Array;
  ends: Uint32Array;
  n: number;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const utf8 = new TextDecoder('utf-8');

/** `input`: the file's text, or its bytes (UTF-8; kept by the table, not copied). */
export function parseOuiTable(input: string | Uint8Array): OuiTable {
  const text = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  // Upper bound on the lines: one pass to size the arrays.
  let lines = 1;
  for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) lines++;
  const blocks = new Map<number, Block>(LENGTHS.map((l) => [l, { keys: new Float64Array(lines), starts: new Uint32Array(lines), ends: new Uint32Array(lines), n: 0 }]));
  let invalid = 0;
  let size = 0;
  let pos = 0;
  while (pos < text.length) {
    let eol = text.indexOf(10 /* \n */, pos);
    if (eol < 0) eol = text.length;
    const first = text[pos];
    if (eol > pos && first !== 35 /* # */) {
      let key = 0;
      let i = pos;
      for (; i < eol; i++) {
        const v = hexValue(text[i]!);
        if (v < 0) break;
        key = key * 16 + v;
      }
      const block = blocks.get(i - pos);
      let end = eol;
      while (end > i + 1 && text[end - 1]! <= 32) end--;
      if (!block || text[i] !== 9 /* tab */ || end <= i + 1) invalid++;
      else {
        block.keys[block.n] = key;
        block.starts[block.n] = i + 1;
        block.ends[block.n] = end;
        block.n++;
        size++;
      }
    }
    pos = eol + 1;
  }
  for (const b of blocks.values()) {
    sortBlock(b);
    // Sized for every line of the file: keep only what the block holds.
    b.keys = b.keys.slice(0, b.n);
    b.starts = b.starts.slice(0, b.n);
    b.ends = b.ends.slice(0, b.n);
  }
  const lookup: OuiLookup = (mac: Mac) => {
    const hex = mac.replace(/:/g, '');
    for (const length of LENGTHS) {
      const b = blocks.get(length)!;
      const key = parseInt(hex.slice(0, length), 16);
      let lo = 0;
      let hi = b.n - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const k = b.keys[mid]!;
        if (k === key) return utf8.decode(text.subarray(b.starts[mid]!, b.ends[mid]!));
        if (k < key) lo = mid + 1;
        else hi = mid - 1;
      }
    }
    return undefined;
  };
  return { lookup, size, invalid };
}

/** The generated file is sorted already; any other input is sorted here (stable). */
function sortBlock(b: Block): void {
  let sorted = true;
  for (let i = 1; i < b.n && sorted; i++) if (b.keys[i - 1]! > b.keys[i]!) sorted = false;
  if (sorted) return;
  const order = Array.from({ length: b.n }, (_, i) => i).sort((x, y) => b.keys[x]! - b.keys[y]! || x - y);
  const keys = order.map((i) => b.keys[i]!);
  const starts = order.map((i) => b.starts[i]!);
  const ends = order.map((i) => b.ends[i]!);
  b.keys.set(keys);
  b.starts.set(starts);
  b.ends.set(ends);
}
