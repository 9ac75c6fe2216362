/**
 * The conflict history journal in the state directory: append-only JSON lines (records.ts), each
 * record written at once and fsync'ed off the event loop (episodes are rare, and the point is to
 * survive a crash), rotated at a size limit, reloaded at start. Nothing about it is fatal:
 *
 * - At start only the tail of each file is read (tail.ts: the last `maxBytes`, what rotation lets a
 *   file hold), so memory stays bounded whatever the file's size; the current file is opened once,
 *   for reading its tail and for appending. That is all history needs: a journal written by
 *   rotation holds no more, `dupip status` shows the last HISTORY_LIMIT (500) episodes and counts
 *   per address, recurrence looks at the last 48 starts of an address. Corrupt lines and a line
 *   torn by a crash are skipped and counted; the next record starts on a new line.
 * - Files are opened with O_NOFOLLOW|O_CLOEXEC (appends with O_APPEND) and only when lstat says they
 *   are regular files: a symbolic link, a directory or a device at the path is never followed,
 *   read or written. Such a path, an unusable state directory or a failed write (ENOSPC, EIO,
 *   EACCES, …) turns history off: the record is dropped, counted in `writeErrors`
 *   (dupip_journal_write_errors_total), logged at most once a minute, and the next record tries
 *   again from a fresh open, so history resumes by itself once the path is fixed. Detection never
 *   waits on it.
 */
import { closeSync, constants, fstatSync, fsync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Role } from '../core/watchlist.js';
import {
  type EpisodeKind,
  type EpisodeRecord,
  type HistoryEpisode,
  MAX_RECORD_MACS,
  RECORD_VERSION,
  encodeRecord,
  replay,
} from './records.js';
import { NotAFileError, O_CLOEXEC, type Tail, checkRegular, readAt, readFileTail, readTail } from './tail.js';

export const JOURNAL_FILE = 'history.jsonl';
export const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Episodes kept in memory (the files hold fewer: ~2 x 1 MiB of ~250-byte records). */
const MAX_EPISODES_IN_MEMORY = 10_000;
/** Distinct MACs beyond MAX_RECORD_MACS counted per episode (memory stays bounded under a flood). */
const MAX_UNLISTED = 1024;
/** At most one error line per this interval; the others are counted in the next line. */
export const ERROR_LOG_INTERVAL_MS = 60_000;
const { O_RDWR, O_WRONLY, O_RDONLY, O_APPEND, O_CREAT, O_TRUNC, O_NOFOLLOW, O_DIRECTORY } = constants;
const APPEND_FLAGS = O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
const TRUNCATE_FLAGS = O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC;

export interface JournalOptions {
  /** Size at which the file is rotated (default 1 MiB); also how much of each file is read at start. */
  maxBytes?: number;
  /** Rotated files kept: history.jsonl.1 … .N (default 1). */
  keep?: number;
  logger?: Pick<Logger, 'warn' | 'error'> & Partial<Pick<Logger, 'info'>>;
  /** Wall clock for the error log's rate limit (default Date.now). */
  now?: () => number;
}

export interface EpisodeStart {
  address: string;
  interface: string;
  role: Role;
  kind: EpisodeKind;
  /** Wall-clock ms. */
  start: number;
  macs: string[];
  /** What each MAC is, by MAC (written with the records). */
  macInfo?: Record<string, string>;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const strings = (macs: readonly unknown[]) => macs.filter((m): m is string => typeof m === 'string' && m.length > 0);
/** An ISO time; a time that is not one (NaN from a broken clock) is told as now rather than thrown on. */
const iso = (ms: number) => new Date(Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? ms : Date.now()).toISOString();

export class Journal {
  readonly path: string;
  /** Lines skipped at load because they were not valid records. */
  corruptLines = 0;
  /** Journal files that could not be read at load (not regular files, I/O errors). */
  readErrors = 0;
  /** Failed opens, writes, flushes and rotations; each dropped record counts once. */
  writeErrors = 0;
  /** Why records are not being written (the last error), or null while they are. */
  off: string | null = null;
  private fd: number | null = null;
  private size = 0;
  /** The file does not end with a newline: the next record starts with one. */
  private pendingNewline = false;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly now: () => number;
  private history: HistoryEpisode[] = [];
  /** Episodes begun by this process and not yet over, by interface/address. */
  private readonly open = new Map<string, HistoryEpisode>();
  /** The entry's cumulative MAC overflow when its open episode began. */
  private readonly overflowAtStart = new Map<string, number>();
  /** MACs not listed because the record already lists MAX_RECORD_MACS, by interface/address (at most MAX_UNLISTED each). */
  private readonly unlisted = new Map<string, Set<string>>();
  private lastErrorLog = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  private constructor(
    readonly dir: string,
    private readonly opts: JournalOptions,
  ) {
    this.path = join(dir, JOURNAL_FILE);
    this.maxBytes = Math.max(1, opts.maxBytes ?? DEFAULT_MAX_BYTES);
    this.keep = Math.max(0, opts.keep ?? 1);
    this.now = opts.now ?? Date.now;
  }

  /**
   * Loads the history and opens the file for appending, creating the directory (0750) and the
   * file (0640) if missing. Never throws: what cannot be read or opened is logged and counted, and
   * the journal runs with history off (see the header).
   */
  static open(dir: string, opts: JournalOptions = {}): Journal {
    const j = new Journal(dir, opts);
    j.load();
    return j;
  }

  private load(): void {
    const t0 = performance.now();
    let bytesRead = 0;
    const records: EpisodeRecord[] = [];
    const take = (file: string, t: Tail) => {
      bytesRead += t.bytes;
      for (const r of t.records) records.push(r);
      this.corruptLines += t.corrupt;
      if (t.skipped > 0) {
        this.opts.logger?.warn(
          { event: 'journal-oversize', path: file, skippedBytes: t.skipped },
          `${file} is larger than rotation allows: only its last ${this.maxBytes} bytes are read`,
        );
      }
    };
    for (let i = this.keep; i >= 1; i--) {
      const file = `${this.path}.${i}`;
      try {
        const t = readFileTail(file, this.maxBytes);
        if (t) take(file, t);
      } catch (err) {
        this.readErrors++;
        this.opts.logger?.warn({ event: 'journal-unreadable', path: file, err: message(err) }, `${file} skipped: ${message(err)}`);
      }
    }
    let action: 'open' | 'read' = 'open';
    try {
      this.openFile();
      action = 'read';
      // The one read of the current file, through the descriptor that appends to it.
      const t = readTail(this.fd!, this.size, this.maxBytes);
      this.pendingNewline = t.torn;
      take(this.path, t);
    } catch (err) {
      this.closeQuietly();
      this.failed(action, err);
    }
    this.history = replay(records).slice(-MAX_EPISODES_IN_MEMORY);
    const ms = Math.round(performance.now() - t0);
    this.opts.logger?.info?.({ event: 'journal-loaded', path: this.path, episodes: this.history.length, bytesRead, ms }, `conflict history: ${this.history.length} episode(s) from ${bytesRead} bytes in ${ms} ms`);
    if (this.corruptLines > 0) {
      this.opts.logger?.warn({ event: 'journal-corrupt', path: this.path, lines: this.corruptLines }, `${this.path}: skipped ${this.corruptLines} corrupt line(s)`);
    }
  }

  /** Opens (creating) the current file for appending; throws when it is not a regular file or cannot be opened. */
  private openFile(truncate = false): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o750 });
    const existed = checkRegular(this.path);
    const fd = openSync(this.path, truncate ? TRUNCATE_FLAGS : APPEND_FLAGS, 0o640);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new NotAFileError(`${this.path} is not a regular file`);
      this.size = st.size;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    this.fd = fd;
    if (!existed || truncate) this.syncDir();
  }

  /** Every episode known, oldest first: reloaded ones, then this run's (open ones with end null). */
  episodes(): HistoryEpisode[] {
    return this.history.map((e) => ({ ...e, macs: [...e.macs] }));
  }

  begin(s: EpisodeStart, overflow = 0): void {
    const key = `${s.interface}/${s.address}`;
    if (this.open.has(key)) this.end(key, s.start, [], overflow);
    const e: HistoryEpisode = {
      address: s.address,
      interface: s.interface,
      role: s.role,
      kind: s.kind,
      start: iso(s.start),
      end: null,
      status: 'open',
      macs: [],
      macOverflow: 0,
    };
    this.open.set(key, e);
    this.unlisted.set(key, new Set());
    this.listMacs(key, e, s.macs);
    if (s.macInfo) this.describeMacs(e, s.macInfo);
    this.overflowAtStart.set(key, overflow);
    this.history.push(e);
    if (this.history.length > MAX_EPISODES_IN_MEMORY) this.history.shift();
    this.write({ v: RECORD_VERSION, event: 'start', ...this.fields(e) });
  }

  /** A MAC seen during the open episode of interface/address (kept in memory; written with the end). */
  addMac(key: string, mac: string, description?: string): void {
    const e = this.open.get(key);
    if (!e) return;
    this.listMacs(key, e, [mac]);
    if (description !== undefined) this.describeMacs(e, { [mac]: description });
  }

  /** Adds MACs to an open episode: strings only (a record must stay decodable), at most MAX_RECORD_MACS, the rest counted. */
  private listMacs(key: string, e: HistoryEpisode, macs: readonly unknown[]): void {
    for (const mac of strings(macs)) {
      if (e.macs.includes(mac)) continue;
      if (e.macs.length < MAX_RECORD_MACS) e.macs.push(mac);
      else {
        const unlisted = this.unlisted.get(key);
        if (unlisted && unlisted.size < MAX_UNLISTED) unlisted.add(mac);
      }
    }
  }

  /** Keeps the descriptions of listed MACs only (a record must stay decodable: bounded, strings). */
  private describeMacs(e: HistoryEpisode, info: Readonly<Record<string, unknown>>): void {
    for (const mac of e.macs) {
      const d = info[mac];
      if (typeof d === 'string') (e.macInfo ??= {})[mac] = d.slice(0, 256);
    }
  }

  /** Ends the open episode of interface/address (key), if any. `overflow` is the entry's cumulative MAC overflow. */
  end(key: string, at: number, macs: string[], overflow = 0, macInfo?: Record<string, string>): void {
    const e = this.open.get(key);
    if (!e) return;
    this.listMacs(key, e, macs);
    this.open.delete(key);
    e.end = iso(at);
    e.status = 'ended';
    const counted = Number.isFinite(overflow) ? overflow - (this.overflowAtStart.get(key) ?? 0) : 0;
    e.macOverflow = Math.max(0, Math.trunc(counted)) + (this.unlisted.get(key)?.size ?? 0);
    if (macInfo) this.describeMacs(e, macInfo);
    this.overflowAtStart.delete(key);
    this.unlisted.delete(key);
    this.write({ v: RECORD_VERSION, event: 'end', ...this.fields(e), end: e.end, macOverflow: e.macOverflow });
  }

  isOpen(key: string): boolean {
    return this.open.has(key);
  }

  private fields(e: HistoryEpisode) {
    return { address: e.address, interface: e.interface, role: e.role, kind: e.kind, start: e.start, macs: e.macs, ...(e.macInfo ? { macInfo: e.macInfo } : {}) };
  }

  private write(r: EpisodeRecord): void {
    const line = encodeRecord(r);
    try {
      if (this.fd === null) {
        this.openFile();
        this.pendingNewline = this.size > 0 && readAt(this.fd!, this.size - 1, 1)[0] !== 0x0a;
      }
      if (this.size > 0 && this.size + Buffer.byteLength(line) > this.maxBytes) this.rotate();
      const fd = this.fd!;
      const data = Buffer.from(this.pendingNewline && this.size > 0 ? `\n${line}` : line);
      const n = writeSync(fd, data);
      this.size += n;
      if (n < data.length) throw new Error(`short write (${n} of ${data.length} bytes)`);
      this.pendingNewline = false;
      // The record is in the page cache now (it survives the process being killed); the fsync
      // that makes it survive the machine runs on libuv's thread pool, because a stalled disk
      // must not stall frame handling on the event loop.
      fsync(fd, (err) => {
        if (err && this.fd === fd) this.failed('flush', err);
      });
      if (this.off !== null) {
        this.off = null;
        this.opts.logger?.info?.({ event: 'journal-resumed', path: this.path }, `the conflict history ${this.path} is written again`);
      }
    } catch (err) {
      // A fresh open for the next record: it finds out whether this one left a torn line.
      this.closeQuietly();
      this.failed('write', err);
    }
  }

  /** Counts a failure, turns history off, and logs it (at most once per ERROR_LOG_INTERVAL_MS). */
  private failed(action: 'open' | 'read' | 'write' | 'flush' | 'sync the directory of', err: unknown): void {
    this.writeErrors++;
    const why = message(err);
    if (action !== 'sync the directory of') this.off = why;
    const now = this.now();
    if (now - this.lastErrorLog < ERROR_LOG_INTERVAL_MS) {
      this.suppressed++;
      return;
    }
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.lastErrorLog = now;
    const off = this.fd === null ? '; history is off (detection goes on), the next record tries again' : '';
    const more = suppressed ? ` (and ${suppressed} more error(s) since the last such line)` : '';
    this.opts.logger?.error(
      { event: 'journal-error', path: this.path, action, err: why, historyOff: this.fd === null, writeErrors: this.writeErrors, suppressed },
      `cannot ${action} the conflict history ${this.path}: ${why}${off}${more}`,
    );
  }

  /** Flushes and closes the current file (rotation and shutdown); throws if the flush fails (the file is closed anyway). */
  private closeFile(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  private closeQuietly(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
    this.fd = null;
  }

  private rotate(): void {
    this.closeFile();
    if (this.keep === 0) {
      this.openFile(true);
    } else {
      // rename() moves a symbolic link itself, never its target.
      for (let i = this.keep; i >= 1; i--) {
        const from = i === 1 ? this.path : `${this.path}.${i - 1}`;
        if (exists(from)) renameSync(from, `${this.path}.${i}`);
      }
      this.openFile();
    }
    this.pendingNewline = false;
  }

  /** Makes a new or renamed file's directory entry durable. */
  private syncDir(): void {
    let dirFd: number | null = null;
    try {
      dirFd = openSync(this.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      fsyncSync(dirFd);
    } catch (err) {
      this.failed('sync the directory of', err);
    } finally {
      if (dirFd !== null) closeSync(dirFd);
    }
  }

  close(): void {
    try {
      this.closeFile();
    } catch (err) {
      this.failed('flush', err);
    }
  }
}

function exists(path: string): boolean {
  try {
    checkRegular(path);
    return true;
  } catch (err) {
    return err instanceof NotAFileError;
  }
}
