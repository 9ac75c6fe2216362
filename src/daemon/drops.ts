/**
 * Frames the kernel dropped because a socket's receive queue was full (PACKET_STATISTICS
 * tp_drops, which the kernel resets on every read; the socket accumulates them). Read when frames
 * arrive (the kernel drops only while frames arrive): at most every READ_MS, and at once after a
 * batch that shows a backlog (the queue may have overflowed); DROP_POLL_MS after frames that
 * arrived without a read (the last drops of a burst followed by silence); and when a socket
 * closes; and while drops wait for their log line. A daemon that receives nothing is never woken
 * for them: the kernel drops only frames that arrive, and those are followed by a read within
 * DROP_POLL_MS. The new drops go to the observers
 * (dupip_frames_dropped_total) and to the log, at warn, at most one line per interface per
 * LOG_WINDOW_MS with the count since the previous line.
 */
import type { Logger } from 'pino';
import type { Guard } from './guard.js';

export const DROP_POLL_MS = 30_000;
/** While frames arrive, a socket's counter is read at most this often... */
export const READ_MS = 5000;
/** ...and at once (but at most every BACKLOG_READ_MS) after a batch of at least BACKLOG_FRAMES. */
export const BACKLOG_FRAMES = 32;
const BACKLOG_READ_MS = 100;
const LOG_WINDOW_MS = 60_000;

/** What the daemon needs of a socket: cumulative drops since it was opened, the buffer it got. */
export interface DropSource {
  stats?(): { drops: number };
  onFrames?(listener: (frames: { length: number }) => void): void;
  readonly receiveBuffer?: { requested: number; bytes: number; forced: boolean };
  close(): void;
}

interface Tracked {
  source: DropSource;
  seen: number;
  pending: number;
  loggedAt: number;
  total: number;
  readAt: number;
}

export class DropAccount {
  private readonly tracked = new Map<string, Tracked>();
  private toldSmallBuffer = false;
  /** The safety-net poll, armed while frames arrived that no read followed. */
  private safety: NodeJS.Timeout | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly guard: Guard,
    private readonly onDrops: (ifname: string, count: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Follows a freshly opened socket until it is closed (its close() takes the last drops first);
   * logs the receive buffer it got: at info the first time it is smaller than asked, else at debug.
   */
  follow<S extends DropSource>(ifname: string, socket: S): S {
    const rb = socket.receiveBuffer;
    if (rb) {
      const small = rb.bytes < rb.requested && !this.toldSmallBuffer;
      this.toldSmallBuffer ||= small;
      this.logger[small ? 'info' : 'debug'](
        { event: 'receive-buffer', interface: ifname, bytes: rb.bytes, requested: rb.requested, forced: rb.forced },
        `ARP socket on ${ifname}: receive buffer ${Math.round(rb.bytes / 1024)} KiB${small ? ` (asked ${Math.round(rb.requested / 1024)} KiB: without CAP_NET_ADMIN the kernel caps it at net.core.rmem_max)` : ''}`,
      );
    }
    this.track(ifname, socket);
    const onFrames = socket.onFrames?.bind(socket);
    if (onFrames) {
      socket.onFrames = (listener) =>
        onFrames((frames) => {
          this.guard.run('frames', () => this.received(ifname, socket, frames.length));
          listener(frames);
        });
    }
    const close = socket.close.bind(socket);
    socket.close = () => {
      this.guard.run('frames', () => this.untrack(ifname, socket));
      close();
    };
    return socket;
  }

  /** Starts following a socket's drops; `ifname` keeps one socket at a time. */
  track(ifname: string, source: DropSource): void {
    this.tracked.set(ifname, { source, seen: 0, pending: 0, loggedAt: -Infinity, total: 0, readAt: this.now() });
  }

  /** A batch of `count` frames arrived on the socket: reads its counter when due (see the top). */
  received(ifname: string, source: DropSource, count: number): void {
    const t = this.tracked.get(ifname);
    if (!t || t.source !== source) return;
    const since = this.now() - t.readAt;
    if (since < READ_MS && (count < BACKLOG_FRAMES || since < BACKLOG_READ_MS)) {
      this.safety ??= this.armSafety();
      return;
    }
    this.collect(ifname, t);
    this.flushLog(ifname, t, false);
    if (t.pending > 0) this.safety ??= this.armSafety(); // its line is logged once the window ends
  }

  /** Takes the socket's last drops, then forgets it (the socket is closing). */
  untrack(ifname: string, source: DropSource): void {
    const t = this.tracked.get(ifname);
    if (!t || t.source !== source) return;
    this.collect(ifname, t);
    this.flushLog(ifname, t, true);
    this.tracked.delete(ifname);
  }

  /** Reads every socket's counters; throws only after every socket was read (the first error). */
  poll(): void {
    let first: unknown = null;
    for (const [ifname, t] of this.tracked) {
      try {
        this.collect(ifname, t);
      } catch (err) {
        first ??= err;
      }
      this.flushLog(ifname, t, false);
      if (t.pending > 0) this.safety ??= this.armSafety();
    }
    if (first !== null) throw first;
  }

  /** Stops the safety-net poll (the daemon stops). */
  stop(): void {
    if (this.safety) clearTimeout(this.safety);
    this.safety = null;
  }

  private armSafety(): NodeJS.Timeout {
    const timer = setTimeout(this.guard.wrap('timer', () => {
      this.safety = null;
      this.poll();
    }), DROP_POLL_MS);
    timer.unref?.();
    return timer;
  }

  private collect(ifname: string, t: Tracked): void {
    t.readAt = this.now();
    const drops = t.source.stats?.().drops;
    if (drops === undefined || drops <= t.seen) return;
    const delta = drops - t.seen;
    t.seen = drops;
    t.pending += delta;
    t.total += delta;
    this.onDrops(ifname, delta);
  }

  private flushLog(ifname: string, t: Tracked, closing: boolean): void {
    if (t.pending === 0) return;
    const now = this.now();
    if (!closing && now - t.loggedAt < LOG_WINDOW_MS) return;
    t.loggedAt = now;
    this.logger.warn(
      { event: 'frames-dropped', interface: ifname, dropped: t.pending, total: t.total },
      `${ifname}: the kernel dropped ${t.pending} ARP frame(s) (receive queue full: a burst faster than dupip reads); ${t.total} since the socket opened`,
    );
    t.pending = 0;
  }
}
