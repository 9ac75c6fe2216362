/**
 * Reading the journal at start in bounded memory: of each file only its last `window` bytes (what
 * rotation lets a file hold), read once with pread, decoded line by line without splitting the
 * buffer. Whatever the file's size (a 300 MB journal left by an older version, a file filled by
 * hand), the memory used is one window and the records in it.
 *
 * Files are opened with O_NOFOLLOW and only when lstat says they are regular files, so a symbolic
 * link, a directory, a FIFO or a device at a journal path is reported, never read through.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { type EpisodeRecord, MAX_RECORD_CHARS, decodeRecord } from './records.js';

const NEWLINE = 0x0a;
/**
 * Node does not export O_CLOEXEC: libuv adds it to every open() on Linux (test/unit/journal.test.ts
 * checks /proc/self/fdinfo); it is or'ed in where a platform's constants do define it.
 */
export const O_CLOEXEC = (constants as { O_CLOEXEC?: number }).O_CLOEXEC ?? 0;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | O_CLOEXEC | constants.O_NONBLOCK;

export interface Tail {
  records: EpisodeRecord[];
  /** Lines that are not records (a torn last line included). */
  corrupt: number;
  /** The file does not end with a newline: a write was cut short (a crash, a full disk). */
  torn: boolean;
  /** Bytes before the window that were not read (0 when the whole file was). */
  skipped: number;
  /** Bytes read. */
  bytes: number;
}

/** A journal path holds something other than a regular file (or a missing one). */
export class NotAFileError extends Error {}

/** Throws NotAFileError unless `path` is a regular file or absent (then false). Never follows a symlink. */
export function checkRegular(path: string): boolean {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if (st.isFile()) return true;
  const what = st.isSymbolicLink() ? 'a symbolic link (not followed)' : st.isDirectory() ? 'a directory' : 'not a regular file';
  throw new NotAFileError(`${path} is ${what}`);
}

/** The tail of a rotated (read-only) journal file, or null when there is none. Throws when it is not a readable regular file. */
export function readFileTail(path: string, window: number): Tail | null {
  if (!checkRegular(path)) return null;
  const fd = openSync(path, READ_FLAGS);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotAFileError(`${path} is not a regular file`);
    return readTail(fd, st.size, window);
  } finally {
    closeSync(fd);
  }
}

/** Decodes the records in the last `window` bytes of the open file `fd` of `size` bytes. */
export function readTail(fd: number, size: number, window: number): Tail {
  const from = Math.max(0, size - Math.max(1, window));
  // One byte before the window tells whether the window starts on a line boundary.
  const lead = from > 0 ? 1 : 0;
  const data = readAt(fd, from - lead, size - from + lead);
  const tail: Tail = { records: [], corrupt: 0, torn: data.length > 0 && data[data.length - 1] !== NEWLINE, skipped: from, bytes: data.length };
  let pos = 0;
  if (lead) {
    const nl = data.indexOf(NEWLINE);
    if (nl < 0) {
      // The whole window lies inside one line longer than any record.
      tail.corrupt = 1;
      return tail;
    }
    pos = nl + 1; // the part of a line cut by the window is not a line of its own
  }
  while (pos < data.length) {
    const nl = data.indexOf(NEWLINE, pos);
    const end = nl < 0 ? data.length : nl;
    if (end - pos > MAX_RECORD_CHARS) tail.corrupt++;
    else if (end > pos) {
      const line = data.toString('utf8', pos, end);
      const r = decodeRecord(line);
      if (r) tail.records.push(r);
      else if (line.trim() !== '') tail.corrupt++;
    }
    pos = end + 1;
  }
  return tail;
}

/** Reads up to `length` bytes at `position` (fewer if the file is shorter now). */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.max(0, length));
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}
