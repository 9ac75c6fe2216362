/**
 * Fault isolation at the daemon's edges. Every way into the daemon's code — a frame batch, a
 * timer, an rtnetlink change, a host re-read, an observer call, a control or HTTP request — runs
 * through a Guard: an exception there is logged (error level, with its stack, at most
 * LOG_BURST lines per place and LOG_WINDOW_MS), counted by place (dupip_internal_errors_total{where})
 * and swallowed, and the daemon carries on with the state it had.
 *
 * An exception anywhere else is a bug in a place nobody thought of; installCrashPolicy() makes
 * that explicit: log it as fatal with its stack, flush the log, exit 70 (EX_SOFTWARE) so that the
 * supervisor (systemd Restart=on-failure, monit under BOSH) starts a clean process. Continuing
 * after an exception whose cause and extent are unknown could leave a daemon that looks healthy
 * and detects nothing, which is worse than a restart.
 */
import type { Logger } from 'pino';
import { EXIT_INTERNAL } from '../cli/exit-codes.js';
import { FAULT_PLACES, type FaultPlace, type Observer } from './observer.js';

export { FAULT_PLACES, type FaultPlace };

/** Lines logged per place within one window; the rest are counted and summarised. */
const LOG_BURST = 5;
const LOG_WINDOW_MS = 60_000;

/** EX_SOFTWARE (sysexits.h): an internal software error; listed with every exit status in cli/exit-codes.ts. */
export { EXIT_INTERNAL as EXIT_INTERNAL_ERROR };

interface PlaceState {
  count: number;
  windowStart: number;
  logged: number;
  suppressed: number;
}

export class Guard {
  private readonly places = new Map<FaultPlace, PlaceState>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    for (const p of FAULT_PLACES) this.places.set(p, { count: 0, windowStart: -Infinity, logged: 0, suppressed: 0 });
  }

  /** Counts and (rate-limited) logs an exception caught at `where`. Never throws. */
  report(where: FaultPlace, err: unknown): void {
    const s = this.places.get(where) ?? this.places.get('observer')!;
    s.count++;
    const t = this.now();
    if (t - s.windowStart >= LOG_WINDOW_MS) {
      s.windowStart = t;
      s.logged = 0;
    }
    if (s.logged >= LOG_BURST) {
      s.suppressed++;
      return;
    }
    s.logged++;
    const e = err instanceof Error ? err : new Error(String(err));
    const suppressed = s.suppressed;
    s.suppressed = 0;
    try {
      this.logger.error(
        { event: 'internal-error', where, err: { type: e.name, message: e.message, stack: e.stack, code: (e as { code?: unknown }).code }, total: s.count, ...(suppressed ? { suppressed } : {}) },
        `internal error in ${where} (the daemon carries on): ${e.message}${suppressed ? ` (${suppressed} more not logged)` : ''}`,
      );
    } catch {
      /* a broken log sink must not turn a fault into a crash */
    }
  }

  /** Runs fn; an exception is reported and `undefined` returned. */
  run<T>(where: FaultPlace, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.report(where, err);
      return undefined;
    }
  }

  /**
   * A callback that never throws: an exception is reported, then `recover` runs (guarded as well),
   * e.g. to deliver what was done before the fault and re-arm a timer.
   */
  wrap<A extends unknown[]>(where: FaultPlace, fn: (...args: A) => void, recover?: () => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        this.report(where, err);
        if (recover) this.run(where, recover);
      }
    };
  }

  /** Faults counted so far, every place (0 included), in FAULT_PLACES order. */
  counts(): Array<{ where: FaultPlace; count: number }> {
    return FAULT_PLACES.map((where) => ({ where, count: this.places.get(where)!.count }));
  }
}

/**
 * Runs an action (re-reading the host) that may fail for a while (EMFILE): a failure is reported
 * and retried after a backoff that doubles from `firstMs` to `maxMs`; success resets it. Between
 * attempts the daemon keeps what the last successful run set up.
 */
export class Retrying {
  private timer: NodeJS.Timeout | null = null;
  private delay: number;
  private stopped = false;

  constructor(
    private readonly guard: Guard,
    private readonly where: FaultPlace,
    private readonly action: () => void,
    private readonly opts: { firstMs: number; maxMs: number } = { firstMs: 1000, maxMs: 30_000 },
    /** Runs (guarded) after each failure, e.g. to repair what the action left half done. */
    private readonly onFailure?: () => void,
  ) {
    this.delay = opts.firstMs;
  }

  /** Runs the action now; true when it succeeded. `fatal(err)` true: rethrow instead (a start-up failure). */
  run(fatal?: (err: unknown) => boolean): boolean {
    if (this.stopped) return false;
    try {
      this.action();
    } catch (err) {
      if (fatal?.(err)) throw err;
      this.guard.report(this.where, err);
      if (this.onFailure) this.guard.run(this.where, this.onFailure);
      if (!this.timer) {
        const wait = this.delay;
        this.delay = Math.min(this.delay * 2, this.opts.maxMs);
        this.timer = setTimeout(() => {
          this.timer = null;
          this.run();
        }, wait);
      }
      return false;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.delay = this.opts.firstMs;
    return true;
  }

  /** Whether a retry is waiting (the last attempt failed). */
  get pending(): boolean {
    return this.timer !== null;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * The observers, each call guarded: an observer that throws (or rejects) is reported under its
 * own `where` ('observer' when it names none) and neither the detector nor the other observers
 * notice.
 */
export function isolateObservers(observers: readonly Observer[], guard: Guard): Observer[] {
  return observers.map((o) => {
    const where: FaultPlace = o.where ?? 'observer';
    const call = <A extends unknown[]>(fn: ((...a: A) => void | Promise<void>) | undefined) =>
      fn === undefined
        ? undefined
        : (...a: A): void | Promise<void> => {
            try {
              const r = fn.apply(o, a);
              if (r && typeof (r as Promise<void>).then === 'function') return (r as Promise<void>).catch((err: unknown) => guard.report(where, err));
              return undefined;
            } catch (err) {
              guard.report(where, err);
              return undefined;
            }
          };
    // Every hook of Observer, checked by the compiler: a hook added to Observer and not listed here
    // would be silently dropped by the isolation.
    const isolated: { [K in keyof Required<Observer>]: Observer[K] } = {
      where,
      attach: call(o.attach),
      event: call(o.event),
      framesReceived: call(o.framesReceived),
      framesDropped: call(o.framesDropped),
      frameInvalid: call(o.frameInvalid),
      frameIgnored: call(o.frameIgnored),
      sendError: call(o.sendError),
      close: call(o.close),
    };
    return isolated;
  });
}

/**
 * The process-wide policy for exceptions that no guard caught and promise rejections nobody
 * handled: fatal log line with the stack, the log flushed, exit 70. Returns a function that
 * removes the handlers (tests).
 */
export function installCrashPolicy(logger: Logger, flush: () => void, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  const crash = (kind: string) => (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    try {
      logger.fatal({ event: 'crash', kind, err: { type: e.name, message: e.message, stack: e.stack } }, `${kind} outside the isolated entry points, exiting with ${EXIT_INTERNAL}: ${e.message}`);
      flush();
    } catch {
      /* the log is gone; stderr below still says it */
    }
    try {
      process.stderr.write(`dupip daemon: ${kind}: ${e.stack ?? e.message}\n`);
    } catch {
      /* nothing left to tell */
    }
    exit(EXIT_INTERNAL);
  };
  const onException = crash('uncaught exception');
  const onRejection = crash('unhandled promise rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
