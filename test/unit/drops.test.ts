/**
 * When the kernel's drop counter is read (src/daemon/drops.ts): while frames arrive, at most every
 * READ_MS, and at once after a batch that shows a backlog; the periodic poll is only the safety net
 * for the drops of a burst followed by silence, so an idle daemon wakes for it rarely.
 */
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { BACKLOG_FRAMES, DROP_POLL_MS, DropAccount, READ_MS } from '../../src/daemon/drops.js';
import { Guard } from '../../src/daemon/guard.js';

function setup() {
  let now = 1_000_000;
  const reported: number[] = [];
  const logger = pino({ level: 'silent' });
  const drops = new DropAccount(logger, new Guard(logger), (_ifname, n) => reported.push(n), () => now);
  let listener: ((frames: { length: number }) => void) | null = null;
  const source = {
    drops: 0,
    reads: 0,
    stats() {
      this.reads++;
      return { drops: this.drops };
    },
    onFrames(l: (frames: { length: number }) => void) {
      listener = l;
    },
    close() {},
  };
  const delivered: number[] = [];
  const socket = drops.follow('eth0', source);
  socket.onFrames((frames) => delivered.push(frames.length));
  return {
    source,
    reported,
    delivered,
    batch: (n: number) => listener!({ length: n }),
    advance: (ms: number) => (now += ms),
    drops,
  };
}

describe('drop counter reads', () => {
  it('small batches read it at most every READ_MS; every batch still reaches the listener', () => {
    const w = setup();
    for (let i = 0; i < 10; i++) {
      w.advance(100);
      w.batch(1);
    }
    expect(w.source.reads).toBe(0);
    w.advance(READ_MS);
    w.source.drops = 7;
    w.batch(1);
    expect(w.source.reads).toBe(1);
    expect(w.reported).toEqual([7]);
    w.batch(1);
    expect(w.source.reads).toBe(1);
    expect(w.delivered).toHaveLength(12);
  });

  it('a batch that shows a backlog reads it at once', () => {
    const w = setup();
    w.advance(200);
    w.source.drops = 500;
    w.batch(BACKLOG_FRAMES);
    expect(w.reported).toEqual([500]);
    w.batch(BACKLOG_FRAMES - 1);
    expect(w.source.reads).toBe(1);
  });

  it('the safety net is armed only by frames no read followed: a daemon that receives nothing is never woken for drops', () => {
    vi.useFakeTimers();
    try {
      const w = setup();
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(10 * DROP_POLL_MS);
      expect(w.source.reads).toBe(0);
      w.advance(100);
      w.source.drops = 4; // the last frames of a burst, then silence
      w.batch(1);
      w.batch(1);
      expect(w.source.reads).toBe(0);
      expect(vi.getTimerCount()).toBe(1); // one timer for any number of unread batches
      vi.advanceTimersByTime(DROP_POLL_MS);
      expect(w.reported).toEqual([4]);
      expect(vi.getTimerCount()).toBe(0);
      w.drops.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('the safety-net poll is at least 30 s apart: an idle daemon does not wake for drops every few seconds', () => {
    expect(DROP_POLL_MS).toBeGreaterThanOrEqual(30_000);
    const w = setup();
    w.source.drops = 3;
    w.drops.poll();
    expect(w.reported).toEqual([3]);
  });
});
