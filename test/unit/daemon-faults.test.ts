/**
 * Fault isolation at the daemon's edges (src/daemon/guard.ts), with the real Daemon on fake edges
 * (test/support/fake-host.ts): a host read failing with EMFILE, a frame batch, a timer, an
 * observer or the log sink throwing. Each time nothing escapes to the caller (the event loop), the
 * fault is counted by place and logged with its stack, the last good host view stays, and a claim
 * made after the fault is still reported. Also the kernel's drop counter and the crash policy.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DROP_POLL_MS } from '../../src/daemon/drops.js';
import { EXIT_INTERNAL_ERROR, Guard, installCrashPolicy } from '../../src/daemon/guard.js';
import { FAULT_PLACES } from '../../src/daemon/observer.js';
import { PacketSocketError } from '../../src/platform/socket-error.js';
import { ADDRESS, FakeHost, emfile, hostWith } from '../support/fake-host.js';
import pino from 'pino';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(async () => {
  vi.useRealTimers();
});

async function started(opts: ConstructorParameters<typeof FakeHost>[0] = {}): Promise<FakeHost> {
  const h = new FakeHost(opts);
  await h.daemon.start();
  await vi.advanceTimersByTimeAsync(3000); // first probe rounds: the address is ok
  return h;
}

const OTHER = '192.0.2.77' as typeof ADDRESS; // not watched: its claim is just a frame
const watched = (h: FakeHost) => h.daemon.view().addresses().map((a) => a.address);

describe('a host read that fails (EMFILE from getifaddrs)', () => {
  it('keeps the watch list and the socket, retries with backoff, and detection goes on', async () => {
    const h = await started();
    const socket = h.socket;
    expect(watched(h)).toEqual([ADDRESS]);

    h.host = emfile();
    const reads = h.hostReads;
    expect(() => h.linkChange!()).not.toThrow();
    await vi.advanceTimersByTimeAsync(150); // the link-change settle delay (100 ms)
    expect(h.hostReads).toBe(reads + 1);
    expect(h.faults('refresh')).toBe(1);
    expect(watched(h)).toEqual([ADDRESS]);
    expect(socket.closed).toBe(false);
    const line = h.logsOf('internal-error')[0]!;
    expect(line).toMatchObject({ level: 50, where: 'refresh', err: { code: 'EMFILE' } });
    expect((line.err as { stack: string }).stack).toContain('EMFILE');

    // Backoff: 1 s, then 2 s, then 4 s…
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.hostReads).toBe(reads + 2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.hostReads).toBe(reads + 2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.hostReads).toBe(reads + 3);
    expect(h.faults('refresh')).toBe(3);

    // Probes kept going on the old view, and a claim is still a conflict.
    const sent = socket.sent;
    await vi.advanceTimersByTimeAsync(2000);
    expect(socket.sent).toBeGreaterThan(sent);
    socket.claim();
    expect(h.conflicts()).toHaveLength(1);

    // Descriptors are back: the next retry succeeds and the backoff stops.
    h.host = hostWith();
    await vi.advanceTimersByTimeAsync(4000);
    const after = h.hostReads;
    expect(h.faults('refresh')).toBe(3);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.hostReads).toBe(after); // no retry timer left (the 30 s poll is further away)
    await h.daemon.stop();
  });

  it('at start: the daemon starts with nothing watched and picks the host up once it can read it', async () => {
    const h = new FakeHost();
    h.host = emfile();
    await expect(h.daemon.start()).resolves.toBeUndefined();
    expect(watched(h)).toEqual([]);
    expect(h.faults('refresh')).toBe(1);
    h.host = hostWith();
    await vi.advanceTimersByTimeAsync(1000);
    expect(watched(h)).toEqual([ADDRESS]);
    await vi.advanceTimersByTimeAsync(3000);
    h.socket.claim();
    expect(h.conflicts()).toHaveLength(1);
    await h.daemon.stop();
  });

  it('no CAP_NET_RAW at start is still fatal (nothing would ever work)', async () => {
    const h = new FakeHost();
    h.openError = new PacketSocketError('socket EPERM', 'EPERM', 1, 'permission', 'socket');
    await expect(h.daemon.start()).rejects.toThrow('EPERM');
    await h.daemon.stop();
  });
});

describe('a frame batch whose handling throws', () => {
  it('is counted under frames; the next batch is handled and a claim reported', async () => {
    let fail = false;
    const h = await started({
      now: () => {
        if (fail) throw new RangeError('clock fault while handling a batch');
        return Date.now();
      },
    });
    fail = true;
    expect(() => h.socket.claim()).not.toThrow();
    fail = false;
    expect(h.faults('frames')).toBe(1);
    expect(h.conflicts()).toHaveLength(0);
    h.socket.claim();
    expect(h.conflicts()).toHaveLength(1);
    await h.daemon.stop();
  });
});

describe('a timer callback that throws', () => {
  it('is counted under timer, retried a second later (not in a tight loop), and probing resumes', async () => {
    let fail = false;
    let calls = 0;
    const h = await started({
      now: () => {
        calls++;
        if (fail) throw new Error('timer fault');
        return Date.now();
      },
    });
    const socket = h.socket;
    fail = true;
    await vi.advanceTimersByTimeAsync(1500); // the next deadline fires and throws, then the hold
    const faults = h.faults('timer');
    expect(faults).toBeGreaterThanOrEqual(1);
    expect(faults).toBeLessThanOrEqual(3); // about one attempt per second, not thousands
    fail = false;
    const sent = socket.sent;
    await vi.advanceTimersByTimeAsync(3000);
    expect(socket.sent).toBeGreaterThan(sent);
    expect(h.faults('timer')).toBe(faults);
    socket.claim();
    expect(h.conflicts()).toHaveLength(1);
    expect(calls).toBeGreaterThan(0);
    await h.daemon.stop();
  });
});

describe('an observer that throws', () => {
  it('breaks neither the detector nor the other observers; counted under its place', async () => {
    const h = await started({
      observers: [
        {
          where: 'journal',
          event: () => {
            throw new Error('journal: disk full');
          },
          framesReceived: () => {
            throw new Error('framesReceived');
          },
        },
        {
          attach: () => Promise.reject(new Error('attach rejected')),
        },
      ],
    });
    expect(h.faults('observer')).toBe(1); // the rejected attach
    const before = h.faults('journal');
    expect(before).toBeGreaterThan(0);
    h.socket.claim();
    expect(h.conflicts()).toHaveLength(1); // the recorder after the throwing observer saw it
    expect(h.faults('journal')).toBeGreaterThan(before);
    await h.daemon.stop();
  });

  it('a log sink that throws is counted under log; events still reach the observers', async () => {
    const h = await started();
    const logger = (h.daemon as unknown as { deps: { logger: pino.Logger } }).deps.logger;
    const error = vi.spyOn(logger, 'error').mockImplementationOnce(() => {
      throw new Error('EPIPE');
    });
    h.socket.claim();
    expect(h.conflicts()).toHaveLength(1);
    expect(h.faults('log')).toBe(1);
    error.mockRestore();
    await h.daemon.stop();
  });
});

describe('the Guard', () => {
  it('logs at most 5 lines per place a minute and says how many it left out', () => {
    const lines: Array<{ where: string; suppressed?: number }> = [];
    let t = 0;
    const g = new Guard(pino({}, { write: (l: string) => void lines.push(JSON.parse(l)) }), () => t);
    for (let i = 0; i < 100; i++) g.report('http', new Error(`boom ${i}`));
    expect(lines).toHaveLength(5);
    t = 60_000;
    g.report('http', new Error('again'));
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatchObject({ where: 'http', suppressed: 95 });
    expect(g.counts().find((c) => c.where === 'http')!.count).toBe(101);
    expect(g.counts().map((c) => c.where)).toEqual([...FAULT_PLACES]);
  });
});

describe('frames dropped by the kernel', () => {
  it('are passed on as deltas of the cumulative counter, and logged at warn at most once a minute per interface', async () => {
    const h = await started();
    const s = h.socket;
    s.drops = 120;
    s.claim(undefined, OTHER); // drops come with frames: a batch the counter was not read after arms the safety net
    await vi.advanceTimersByTimeAsync(DROP_POLL_MS);
    expect(h.dropped).toEqual([['eth0', 120]]);
    expect(h.logsOf('frames-dropped')).toEqual([expect.objectContaining({ level: 40, interface: 'eth0', dropped: 120, total: 120 })]);
    s.drops = 150;
    s.claim(undefined, OTHER);
    await vi.advanceTimersByTimeAsync(DROP_POLL_MS);
    expect(h.dropped).toEqual([['eth0', 120], ['eth0', 30]]);
    expect(h.logsOf('frames-dropped')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.logsOf('frames-dropped')).toHaveLength(2);
    expect(h.logsOf('frames-dropped')[1]).toMatchObject({ dropped: 30, total: 150 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.logsOf('frames-dropped')).toHaveLength(2); // nothing new, nothing said
    await h.daemon.stop();
  });

  it('the receive buffer is logged once when it is smaller than asked', async () => {
    const h = await started();
    expect(h.logsOf('receive-buffer')).toEqual([expect.objectContaining({ level: 30, interface: 'eth0', bytes: 212_992, requested: 2 * 1024 * 1024 })]);
    await h.daemon.stop();
  });
});

describe('the crash policy for exceptions outside the isolated entry points', () => {
  it('logs the stack as fatal, flushes, and exits 70', () => {
    const lines: Array<{ level: number; event: string; err: { stack: string } }> = [];
    const codes: number[] = [];
    let flushed = 0;
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const remove = installCrashPolicy(pino({}, { write: (l: string) => void lines.push(JSON.parse(l)) }), () => void flushed++, (c) => void codes.push(c));
    try {
      const handler = process.listeners('uncaughtException').at(-1)!;
      handler(new TypeError('somewhere unexpected'), 'uncaughtException');
      expect(codes).toEqual([EXIT_INTERNAL_ERROR]);
      expect(EXIT_INTERNAL_ERROR).toBe(70);
      expect(flushed).toBe(1);
      expect(lines[0]).toMatchObject({ level: 60, event: 'crash' });
      expect(lines[0]!.err.stack).toContain('somewhere unexpected');
      const rejection = process.listeners('unhandledRejection').at(-1)!;
      rejection(new Error('nobody awaited me'), Promise.resolve());
      expect(codes).toEqual([70, 70]);
    } finally {
      remove();
      write.mockRestore();
    }
  });
});
