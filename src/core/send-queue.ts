/**
 * One interface's outgoing frames: three lanes (defences first, then announcements, then probes)
 * drained through the per-interface send window. An address is queued at most once per lane.
 */
import type { FrameKind } from './events.js';
import { SendWindow } from './timing.js';

const LANES: readonly FrameKind[] = ['defence', 'announcement', 'probe'];

export class SendQueue<T extends { alive: boolean }> {
  readonly window: SendWindow;
  /** Insertion-ordered: a Set is a FIFO without duplicates. */
  private readonly lanes: Record<FrameKind, Set<T>> = { defence: new Set(), announcement: new Set(), probe: new Set() };
  /** When a flush is scheduled, if one is. */
  flushAt: number | null = null;

  constructor(rate: number) {
    this.window = new SendWindow(rate);
  }

  enqueue(item: T, kind: FrameKind): void {
    this.lanes[kind].add(item);
  }

  /** Forgets everything queued (the link went down). */
  clear(): void {
    for (const kind of LANES) this.lanes[kind].clear();
  }

  /**
   * Sends what the window allows, lane by lane; returns when the window frees for the rest, or
   * null when nothing is left. Not aligned to the tick grid: the window frees at an exact instant,
   * and rounding it up would idle a whole tick per second whenever the cap binds.
   */
  flush(now: number, send: (item: T, kind: FrameKind) => void): number | null {
    for (const kind of LANES) {
      const lane = this.lanes[kind];
      for (const item of lane) {
        if (!item.alive) {
          lane.delete(item);
          continue;
        }
        if (!this.window.tryTake(now)) return this.window.nextAvailable(now);
        lane.delete(item);
        send(item, kind);
      }
    }
    return null;
  }
}
