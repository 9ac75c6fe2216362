/**
 * The packaged IEEE registry (data/oui.tsv), looked up on demand in the file itself: no table in
 * memory. The file is opened once (the daemon at startup, before any socket: src/cli/observers.ts;
 * the commands when they first describe a MAC) and checked in one streaming pass through a small
 * buffer: a header of comments, then one assignment per line ("PREFIX<TAB>Organisation", PREFIX 6
 * (MA-L), 7 (MA-M) or 9 (MA-S) upper-case hex digits) sorted by PREFIX byte by byte, as
 * scripts/update-oui.mjs writes it. A lookup then bisects the sorted lines with positional reads
 * (fs.readSync at an offset: a few page-cache reads, synchronous, only when a MAC is described),
 * longest assignment first; one search suffices when the line after the MAC's MA-L block does not
 * start with the same 6 digits (most MACs: no MA-M or MA-S block under it). The last answers are
 * kept in a small cache.
 *
 * Any other file (unsorted, lines that are not assignments, comments between them) is read into
 * the in-memory table of src/core/oui-table.ts instead, whose answers are the reference: both give
 * the same answer for every MAC (test/unit/oui-file.test.ts). If the file is missing or
 * unreadable, MACs are described without a vendor and the reason is kept.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeMac, macDetails as details, type MacDetails, type MacInfo, type OuiLookup } from '../core/mac-info.js';
import type { Mac } from '../core/mac.js';
import { parseOuiTable } from '../core/oui-table.js';

/** dist/platform/oui-file.js and src/platform/oui-file.ts both sit two levels below the package root. */
export const OUI_FILE = fileURLToPath(new URL('../../data/oui.tsv', import.meta.url));

/** Longest first: an MA-S block inside an MA-L one (IEEE Registration Authority) names its owner. */
const LENGTHS = [9, 7, 6] as const;
/** Below this many bytes between the bounds, the lines are read at once and scanned. */
const WINDOW = 8192;
/** Bytes read at a bisection step: the line start after the midpoint and its prefix, as a rule. */
const STEP_READ = 256;
const CACHE_SIZE = 256;
const NL = 10;
const TAB = 9;
const HASH = 35;

export interface OuiRegistry {
  lookup: OuiLookup;
  /** Assignments in the file. */
  size: number;
  /** Lines that were not an assignment (comments excepted). */
  invalid: number;
  /** 'file': bisected on disk; 'memory': read into a table (the file is not in the sorted form). */
  mode: 'file' | 'memory';
  close(): void;
}

const isHexUpper = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70);
const utf8 = new TextDecoder('utf-8');

/** Compares the prefix field of `buf[at..]` (up to its tab) with `key` (ASCII), byte by byte. */
function comparePrefix(buf: Uint8Array, at: number, end: number, key: string): number {
  let i = 0;
  for (; at + i < end && buf[at + i] !== TAB; i++) {
    if (i >= key.length) return 1;
    const d = buf[at + i]! - key.charCodeAt(i);
    if (d !== 0) return d;
  }
  return i < key.length ? -1 : 0;
}

interface Scan {
  size: number;
  invalid: number;
  /** Sorted, one assignment per line after the header: the file can be bisected. */
  sorted: boolean;
  /** Offsets of the first assignment line and of the end of the last one. */
  start: number;
  end: number;
}

/** Bytes read at once by the check; a longer line makes the file one for the in-memory table. */
const SCAN_CHUNK = 65536;

/**
 * One pass through the file in chunks of one buffer, allocating nothing per line (the daemon's
 * startup garbage is its resident memory later): counts, and whether it has the sorted form.
 */
function scanFile(fd: number): Scan {
  const buf = Buffer.allocUnsafe(SCAN_CHUNK);
  const previous = new Uint8Array(16);
  let previousLength = -1; // no assignment yet
  let base = 0; // file offset of buf[0]
  let have = 0;
  let size = 0;
  let invalid = 0;
  let sorted = true;
  let start = -1;
  let end = 0;
  let blankAfter = false; // an empty line after the first assignment (allowed only at the end)
  /** Whether the prefix buf[from, from + n) sorts after the previous one. */
  const after = (from: number, n: number): boolean => {
    const common = Math.min(n, previousLength);
    for (let k = 0; k < common; k++) {
      const d = buf[from + k]! - previous[k]!;
      if (d !== 0) return d > 0;
    }
    return n > previousLength;
  };
  const line = (from: number, to: number) => {
    if (to === from || buf[from] === HASH) {
      if (start >= 0) {
        if (to === from) blankAfter = true;
        else sorted = false; // a comment between assignments
      }
      return;
    }
    let i = from;
    while (i < to && isHexUpper(buf[i]!)) i++;
    const n = i - from;
    let e = to;
    while (e > i + 1 && buf[e - 1]! <= 32) e--;
    if ((n !== 6 && n !== 7 && n !== 9) || buf[i] !== TAB || e <= i + 1) {
      invalid++;
      sorted = false;
      return;
    }
    if (blankAfter) sorted = false;
    if (start < 0) start = base + from;
    // Byte order (ASCII), each prefix once.
    else if (!after(from, n)) sorted = false;
    for (let k = 0; k < n; k++) previous[k] = buf[from + k]!;
    previousLength = n;
    end = base + to + 1;
    size++;
  };
  for (;;) {
    const got = readSync(fd, buf, have, buf.length - have, base + have);
    if (got === 0) {
      if (have > 0) {
        line(0, have);
        if (end > base + have) end = base + have; // no final newline
      }
      break;
    }
    have += got;
    let from = 0;
    for (let nl = buf.indexOf(NL, from); nl >= 0 && nl < have; nl = buf.indexOf(NL, from)) {
      line(from, nl);
      from = nl + 1;
    }
    if (from === 0 && have === buf.length) return { size, invalid: invalid + 1, sorted: false, start: 0, end: 0 };
    buf.copy(buf, 0, from, have);
    base += from;
    have -= from;
  }
  return { size, invalid, sorted: sorted && start >= 0, start: Math.max(start, 0), end };
}

/** The lookup that bisects the file's sorted lines in [start, end). */
function fileLookup(fd: number, start: number, end: number): OuiLookup {
  const buf = Buffer.allocUnsafe(STEP_READ);
  const read = (at: number, n: number, into: Buffer = buf) => readSync(fd, into, 0, Math.min(n, into.length), at);
  /** The offset after the first newline at or after `pos` (or `limit`). */
  const nextLineStart = (pos: number, limit: number): number => {
    while (pos < limit) {
      const got = read(pos, limit - pos);
      if (got <= 0) return limit;
      const nl = buf.subarray(0, got).indexOf(NL);
      if (nl >= 0) return pos + nl + 1;
      pos += got;
    }
    return limit;
  };
  /** The organisation on the line that starts at `at`. */
  const nameAt = (at: number, limit: number): string => {
    const whole = Buffer.allocUnsafe(Math.min(limit - at, 1024));
    const got = read(at, whole.length, whole);
    let line: Buffer = whole.subarray(0, got);
    let nl = line.indexOf(NL);
    if (nl < 0 && got === whole.length && at + got < limit) {
      line = readAll(at, limit); // a name longer than 1 KiB
      nl = line.indexOf(NL);
    }
    const tab = line.indexOf(TAB);
    let e = nl < 0 ? line.length : nl;
    while (e > tab + 1 && line[e - 1]! <= 32) e--;
    return utf8.decode(line.subarray(tab + 1, e));
  };
  const readAll = (from: number, to: number): Buffer => {
    const b = Buffer.allocUnsafe(to - from);
    let off = 0;
    while (off < b.length) {
      const got = readSync(fd, b, off, b.length - off, from + off);
      if (got <= 0) break;
      off += got;
    }
    return b.subarray(0, off);
  };
  const window = Buffer.allocUnsafe(WINDOW + 2 * STEP_READ);
  // Where lineAfter left the prefix of the line it found: buf[prefixAt, prefixEnd).
  let prefixAt = 0;
  let prefixEnd = 0;
  /**
   * The start of the first line after `mid` (`limit` if none before it), its prefix left in buf.
   * As a rule the line start, its prefix and tab are all in the one read at the midpoint.
   */
  const lineAfter = (mid: number, limit: number): number => {
    const got = read(mid, limit - mid);
    const nl = buf.subarray(0, got).indexOf(NL);
    if (nl >= 0 && (got - nl - 1 > 10 || mid + got === limit)) {
      prefixAt = nl + 1;
      prefixEnd = got;
      return mid + nl + 1;
    }
    const s = nextLineStart(mid, limit);
    prefixAt = 0;
    prefixEnd = s < limit ? read(s, Math.min(16, limit - s)) : 0;
    return s;
  };
  const find = (key: string): string | undefined => {
    let lo = start; // a line start; the line wanted, if any, starts in [lo, hi)
    let hi = end;
    while (hi - lo > WINDOW) {
      const s = lineAfter((lo + hi) >>> 1, hi);
      if (s >= hi) break;
      const c = comparePrefix(buf, prefixAt, prefixEnd, key);
      if (c === 0) return nameAt(s, end);
      if (c < 0) lo = s;
      else hi = s;
    }
    const w = hi - lo <= window.length ? window.subarray(0, read(lo, hi - lo, window)) : readAll(lo, hi);
    for (let from = 0; from < w.length; ) {
      let nl = w.indexOf(NL, from);
      if (nl < 0) nl = w.length;
      if (comparePrefix(w, from, nl, key) === 0) return nameAt(lo + from, end);
      from = nl + 1;
    }
    return undefined;
  };
  /** Offset of the first line whose prefix is not below `key` (`end` if none). */
  const lowerBound = (key: string): number => {
    let lo = start; // every line before lo is below key; every line from hi on is not
    let hi = end;
    while (hi - lo > WINDOW) {
      const s = lineAfter((lo + hi) >>> 1, hi);
      if (s >= hi) break;
      if (comparePrefix(buf, prefixAt, prefixEnd, key) < 0) lo = s;
      else hi = s;
    }
    const w = hi - lo <= window.length ? window.subarray(0, read(lo, hi - lo, window)) : readAll(lo, hi);
    for (let from = 0; from < w.length; ) {
      let nl = w.indexOf(NL, from);
      if (nl < 0) nl = w.length;
      if (comparePrefix(w, from, nl, key) >= 0) return lo + from;
      from = nl + 1;
    }
    return hi;
  };
  /**
   * Most MACs are in an MA-L block with no MA-M or MA-S block under it: one search for its 6 digits
   * tells, from the line after, whether a longer assignment can exist (they sort right after it).
   * undefined: one may; null: none does and the MA-L block has no line either.
   */
  const onlyMaL = (k6: string): string | null | undefined => {
    const s = lowerBound(k6);
    if (s >= end) return null;
    const got = read(s, end - s);
    let at = 0;
    let name: string | null = null;
    if (comparePrefix(buf, 0, got, k6) === 0) {
      const nl = buf.subarray(0, got).indexOf(NL);
      if (nl < 0) return undefined; // a long line: let the full searches decide
      name = nameAt(s, end);
      at = nl + 1;
      if (s + at >= end) return name;
    }
    if (got - at < 10 && s + got < end) return undefined; // the next prefix is not all in the bytes read
    for (let i = 0; i < 6; i++) if (buf[at + i] !== k6.charCodeAt(i)) return name;
    return undefined; // the next line starts with the same 6 digits: an MA-M or MA-S block
  };
  return (mac: Mac) => {
    const hex = mac.replace(/:/g, '').toUpperCase();
    try {
      const quick = onlyMaL(hex.slice(0, 6));
      if (quick !== undefined) return quick ?? undefined;
      for (const length of LENGTHS) {
        const name = find(hex.slice(0, length));
        if (name !== undefined) return name;
      }
    } catch {
      // The file went away under the daemon (EIO, ...): no vendor, as for a missing file.
    }
    return undefined;
  };
}

/** The last answers by the MAC's first 9 hex digits (all a lookup reads), oldest dropped first. */
function cached(lookup: OuiLookup): OuiLookup {
  const answers = new Map<string, string | undefined>();
  return (mac: Mac) => {
    const key = mac.slice(0, 13).toLowerCase(); // "aa:bb:cc:dd:e": 9 hex digits
    if (answers.has(key)) {
      const a = answers.get(key);
      answers.delete(key);
      answers.set(key, a);
      return a;
    }
    const a = lookup(mac);
    if (answers.size >= CACHE_SIZE) answers.delete(answers.keys().next().value!);
    answers.set(key, a);
    return a;
  };
}

/** Opens `path` and checks it (synchronously); throws what the file system says. */
export function openOuiRegistry(path: string): OuiRegistry {
  const fd = openSync(path, 'r');
  try {
    const scan = scanFile(fd);
    if (scan.sorted) {
      return { lookup: cached(fileLookup(fd, scan.start, scan.end)), size: scan.size, invalid: 0, mode: 'file', close: () => closeSync(fd) };
    }
    const table = parseOuiTable(readFileSync(fd));
    closeSync(fd);
    return { lookup: table.lookup, size: table.size, invalid: table.invalid, mode: 'memory', close: () => {} };
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      /* closed already */
    }
    throw err;
  }
}

let registry: OuiRegistry | null = null;
let loadError: string | null = null;

/** The packaged registry, opened at the first call (null if it cannot be: see ouiLoadError). */
export function ouiRegistry(): OuiRegistry | null {
  if (registry === null && loadError === null) {
    try {
      registry = openOuiRegistry(OUI_FILE);
    } catch (err) {
      loadError = (err as Error).message;
    }
  }
  return registry;
}

/** Why the registry could not be opened (null when it was, or was not tried yet). */
export const ouiLoadError = () => loadError;

export function macInfo(mac: Mac): MacInfo {
  return describeMac(mac, ouiRegistry()?.lookup);
}

/** The MAC with its vendor, virtual-MAC name and bits, and a description ("VMware, Inc.; VMware virtual NIC"). */
export function macDetails(mac: Mac): MacDetails {
  return details(mac, ouiRegistry()?.lookup);
}
