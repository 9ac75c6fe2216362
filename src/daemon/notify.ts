/**
 * Notifications without Prometheus: a command run on every episode start and end (like
 * keepalived's notify scripts), with the episode as JSON on stdin and DUPIP_* variables in its
 * environment. It never blocks detection: the child is spawned and not waited for, at most
 * MAX_RUNNING run at once and MAX_QUEUED wait (beyond that a notification is dropped, logged and
 * counted), and one that outlives its timeout gets SIGTERM, then SIGKILL after KILL_GRACE_MS.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AddressState, DetectorEvent, EntrySnapshot } from '../core/events.js';
import { macDetails } from '../platform/oui-file.js';
import type { DaemonView, Observer } from './observer.js';

export const MAX_RUNNING = 4;
export const MAX_QUEUED = 64;
export const KILL_GRACE_MS = 1000;
/** Bytes of the command's stderr kept for the log line. */
const STDERR_KEEP = 1024;

export type NotifyFailure = 'exit' | 'timeout' | 'spawn' | 'dropped';
export const NOTIFY_FAILURES: readonly NotifyFailure[] = ['exit', 'timeout', 'spawn', 'dropped'];

export interface NotifyOptions {
  command: readonly string[];
  timeoutMs: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Counts every run (ok is false when it failed, with why). */
  counted?: (ok: boolean, failure?: NotifyFailure) => void;
  graceMs?: number;
}

/** What the command reads on stdin. */
export interface NotifyPayload {
  event: 'start' | 'end';
  host: string;
  address: string;
  interface: string;
  role: string;
  kind: 'conflict' | 'split-brain';
  state: AddressState;
  reason: string;
  start: string;
  end: string | null;
  macs: Array<ReturnType<typeof macDetails> & { firstSeen: string; lastSeen: string; frames: number; ethernetSource?: string }>;
}

const isEpisode = (s: AddressState): s is 'conflict' | 'split-brain' => s === 'conflict' || s === 'split-brain';

export function notifyObserver(opts: NotifyOptions): Observer & { running(): number; queued(): number } {
  let wall = (t: number) => t;
  const host = hostname();
  const queue: NotifyPayload[] = [];
  const children = new Set<ReturnType<typeof spawn>>();
  const grace = opts.graceMs ?? KILL_GRACE_MS;
  const [program, ...args] = opts.command;
  let closed = false;

  const iso = (t: number) => new Date(wall(t)).toISOString();
  const payload = (event: 'start' | 'end', e: Extract<DetectorEvent, { type: 'state' }>, kind: 'conflict' | 'split-brain', entry: EntrySnapshot): NotifyPayload => ({
    event,
    host,
    address: entry.address,
    interface: entry.interface,
    role: entry.role,
    kind,
    state: e.to,
    reason: e.reason,
    start: iso(e.episode?.start ?? (event === 'start' ? e.at : entry.episodeStart ?? e.at)),
    end: event === 'end' ? iso(e.episode?.end ?? e.at) : null,
    macs: entry.macs.map((m) => ({
      ...macDetails(m.mac),
      firstSeen: iso(m.firstSeen),
      lastSeen: iso(m.lastSeen),
      frames: m.frames,
      ...(m.ethernetSource ? { ethernetSource: m.ethernetSource } : {}),
    })),
  });

  const failed = (p: NotifyPayload, failure: NotifyFailure, detail: string) => {
    opts.counted?.(false, failure);
    opts.logger.error(
      { event: 'notify-failed', failure, address: p.address, interface: p.interface, episodeEvent: p.event, command: program, detail },
      `notify command ${program} for the ${p.event} of the ${p.kind} on ${p.address} (${p.interface}) failed: ${detail}`,
    );
  };

  const run = (p: NotifyPayload) => {
    let child: ReturnType<typeof spawn>;
    const env = { ...process.env, DUPIP_EVENT: p.event, DUPIP_ADDRESS: p.address, DUPIP_INTERFACE: p.interface, DUPIP_KIND: p.kind, DUPIP_ROLE: p.role };
    try {
      // Its own process group, so that a timeout kills what it started too (a shell's children).
      child = spawn(program!, args, { stdio: ['pipe', 'ignore', 'pipe'], env, detached: true });
    } catch (err) {
      failed(p, 'spawn', (err as Error).message);
      return next();
    }
    children.add(child);
    let stderr = '';
    let timedOut = false;
    let done = false;
    child.stderr!.on('data', (b: Buffer) => {
      if (stderr.length < STDERR_KEEP) stderr += b.toString('utf8').slice(0, STDERR_KEEP - stderr.length);
    });
    child.stdin!.on('error', () => {}); // the command need not read its stdin
    child.stdin!.end(`${JSON.stringify(p)}\n`);
    let kill: NodeJS.Timeout | undefined;
    const term = setTimeout(() => {
      timedOut = true;
      signalGroup(child, 'SIGTERM');
      kill = setTimeout(() => signalGroup(child, 'SIGKILL'), grace);
    }, opts.timeoutMs);
    const finish = (failure: NotifyFailure | null, detail: string) => {
      if (done) return;
      done = true;
      clearTimeout(term);
      clearTimeout(kill);
      children.delete(child);
      if (failure) failed(p, failure, detail);
      else opts.counted?.(true);
      next();
    };
    child.on('error', (err) => finish('spawn', err.message));
    child.on('exit', (code, signal) => {
      const why = stderr.trim() ? `; stderr: ${stderr.trim()}` : '';
      if (timedOut) finish('timeout', `still running after ${opts.timeoutMs} ms: killed (${signal ?? `exit ${code}`})${why}`);
      else if (code !== 0) finish('exit', `${signal ? `killed by ${signal}` : `exit status ${code}`}${why}`);
      else finish(null, '');
    });
  };

  const next = () => {
    while (!closed && children.size < MAX_RUNNING && queue.length) run(queue.shift()!);
  };

  const submit = (p: NotifyPayload) => {
    if (closed) return;
    if (queue.length >= MAX_QUEUED) {
      failed(p, 'dropped', `${MAX_RUNNING} commands running and ${MAX_QUEUED} waiting: this notification is dropped`);
      return;
    }
    queue.push(p);
    next();
  };

  return {
    attach(view: DaemonView) {
      wall = (t) => view.toWallClock(t);
    },
    event(e: DetectorEvent) {
      if (e.type !== 'state' || !program) return;
      if (isEpisode(e.from)) submit(payload('end', e, e.from, e.entry));
      if (isEpisode(e.to)) submit(payload('start', e, e.to, e.entry));
    },
    close() {
      closed = true;
      queue.length = 0;
      for (const c of children) signalGroup(c, 'SIGTERM');
    },
    running: () => children.size,
    queued: () => queue.length,
  };
}

function signalGroup(child: ReturnType<typeof spawn>, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal); // the group is gone already
  }
}
