/**
 * The conflict history journal in the state directory: append-only JSON lines (records.ts), each
 * record written at once and fsync'ed off the event loop (episodes are rare, and the point is to survive a crash), rotated at a size
 * limit, reloaded at start. A corrupt or truncated line is skipped and counted, never fatal; a write
 * error is logged and counted, and never stops detection.
 */
import { closeSync, existsSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Role } from '../core/watchlist.js';
import {
  type EpisodeKind,
  type EpisodeRecord,
  type HistoryEpisode,
  RECORD_VERSION,
  decodeRecord,
  encodeRecord,
  mergeMacs,
  replay,
} from './records.js';

export const JOURNAL_FILE = 'history.jsonl';
export const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Episodes kept in memory (the files hold fewer: ~2 x 1 MiB of ~250-byte records). */
const MAX_EPISODES_IN_MEMORY = 10_000;

export interface JournalOptions {
  /** Size at which the file is rotated (default 1 MiB). */
  maxBytes?: number;
  /** Rotated files kept: history.jsonl.1 … .N (default 1). */
  keep?: number;
  logger?: Pick<Logger, 'warn' | 'error'>;
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

export class Journal {
  readonly path: string;
  /** Lines skipped at load because they were not valid records. */
  readonly corruptLines: number;
  writeErrors = 0;
  private fd: number | null = null;
  private size = 0;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly history: HistoryEpisode[];
  /** Episodes begun by this process and not yet over, by interface/address. */
  private readonly open = new Map<string, HistoryEpisode>();
  /** The entry's cumulative MAC overflow when its open episode began. */
  private readonly overflowAtStart = new Map<string, number>();

  private constructor(
    readonly dir: string,
    private readonly opts: JournalOptions,
  ) {
    this.path = join(dir, JOURNAL_FILE);
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.keep = Math.max(0, opts.keep ?? 1);
    const { records, corrupt } = this.load();
    this.corruptLines = corrupt;
    this.history = replay(records).slice(-MAX_EPISODES_IN_MEMORY);
    if (corrupt > 0) opts.logger?.warn({ event: 'journal-corrupt', path: this.path, lines: corrupt }, `${this.path}: skipped ${corrupt} corrupt line(s)`);
  }

  /** Creates the directory (0750) if missing, loads the history, opens the file for appending. Throws on I/O errors. */
  static open(dir: string, opts: JournalOptions = {}): Journal {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const j = new Journal(dir, opts);
    j.openFile();
    return j;
  }

  private files(): string[] {
    const rotated = Array.from({ length: this.keep }, (_, i) => `${this.path}.${this.keep - i}`);
    return [...rotated, this.path];
  }

  private load(): { records: EpisodeRecord[]; corrupt: number } {
    const records: EpisodeRecord[] = [];
    let corrupt = 0;
    for (const file of this.files()) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const r = decodeRecord(line);
        if (r) records.push(r);
        else corrupt++;
      }
    }
    return { records, corrupt };
  }

  private openFile(): void {
    const created = !existsSync(this.path);
    this.fd = openSync(this.path, 'a', 0o640);
    if (created) this.syncDir();
    this.size = statSync(this.path).size;
    if (this.size > 0) {
      // A line cut short by a crash must not swallow the next record.
      const buf = readFileSync(this.path);
      if (buf[buf.length - 1] !== 0x0a) this.size += writeSync(this.fd, '\n');
    }
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
      start: new Date(s.start).toISOString(),
      end: null,
      status: 'open',
      macs: [...s.macs],
      macOverflow: 0,
      ...(s.macInfo ? { macInfo: { ...s.macInfo } } : {}),
    };
    this.open.set(key, e);
    this.overflowAtStart.set(key, overflow);
    this.history.push(e);
    if (this.history.length > MAX_EPISODES_IN_MEMORY) this.history.shift();
    this.write({ v: RECORD_VERSION, event: 'start', ...this.fields(e) });
  }

  /** A MAC seen during the open episode of interface/address (kept in memory; written with the end). */
  addMac(key: string, mac: string, description?: string): void {
    const e = this.open.get(key);
    if (e && !e.macs.includes(mac)) e.macs.push(mac);
    if (e && description !== undefined) e.macInfo = { ...e.macInfo, [mac]: description };
  }

  /** Ends the open episode of interface/address (key), if any. `overflow` is the entry's cumulative MAC overflow. */
  end(key: string, at: number, macs: string[], overflow = 0, macInfo?: Record<string, string>): void {
    const e = this.open.get(key);
    if (!e) return;
    this.open.delete(key);
    e.end = new Date(at).toISOString();
    e.status = 'ended';
    e.macs = mergeMacs(e.macs, macs);
    if (macInfo) e.macInfo = { ...e.macInfo, ...macInfo };
    e.macOverflow = Math.max(0, overflow - (this.overflowAtStart.get(key) ?? 0));
    this.overflowAtStart.delete(key);
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
    const bytes = Buffer.byteLength(line);
    try {
      if (this.fd === null) this.openFile();
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      this.size += writeSync(this.fd!, line);
      // The record is in the page cache now (it survives the process being killed); the fsync
      // that makes it survive the machine runs on libuv's thread pool, because a stalled disk
      // must not stall frame handling on the event loop.
      const fd = this.fd!;
      fsync(fd, (err) => {
        if (err && this.fd === fd) this.syncFailed(err);
      });
    } catch (err) {
      this.writeErrors++;
      this.opts.logger?.error({ event: 'journal-error', path: this.path, err: (err as Error).message }, `cannot write the conflict history ${this.path}: ${(err as Error).message}`);
    }
  }

  private syncFailed(err: Error): void {
    this.writeErrors++;
    this.opts.logger?.error({ event: 'journal-error', path: this.path, err: err.message }, `cannot flush the conflict history ${this.path}: ${err.message}`);
  }

  /** Flushes and closes the current file (rotation and shutdown). */
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

  private rotate(): void {
    this.closeFile();
    this.fd = null;
    if (this.keep === 0) {
      this.fd = openSync(this.path, 'w', 0o640);
    } else {
      for (let i = this.keep; i >= 1; i--) {
        const from = i === 1 ? this.path : `${this.path}.${i - 1}`;
        if (existsSync(from)) renameSync(from, `${this.path}.${i}`);
      }
      this.fd = openSync(this.path, 'a', 0o640);
    }
    this.size = 0;
    this.syncDir();
  }

  /** Makes a new or renamed file's directory entry durable. */
  private syncDir(): void {
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  close(): void {
    this.closeFile();
  }
}
