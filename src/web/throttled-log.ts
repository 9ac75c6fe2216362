/**
 * Log lines anyone on the network can cause, kept to a bounded rate: the first occurrence after a
 * quiet period is logged at once, later ones are tallied and summarised in one line per interval
 * (default a minute), and the summaries stop after an interval with nothing to report. So a flood
 * of 10,000 bad requests writes two lines a minute, not 10,000, and cannot push real conflict lines
 * out of journald's rate limit.
 */

/** The subset of pino's Logger the listeners use. */
export interface WebLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const SUMMARY_INTERVAL_MS = 60_000;
/** Distinct clients remembered per interval, for "from N clients" (beyond: "at least N"). */
const MAX_CLIENTS = 1024;

export class Tally {
  total = 0;
  readonly byKind = new Map<string, number>();
  readonly clients = new Set<string>();
  last: Error | null = null;

  add(kind: string, client: string | undefined, err?: Error): void {
    this.total++;
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    if (client !== undefined && this.clients.size < MAX_CLIENTS) this.clients.add(client);
    if (err) this.last = err;
  }

  describe(): string {
    const kinds = [...this.byKind].map(([k, n]) => `${k}: ${n}`).join(', ');
    const clients = this.clients.size >= MAX_CLIENTS ? `at least ${MAX_CLIENTS}` : String(this.clients.size);
    return `${kinds}; from ${clients} client(s)`;
  }
}

/**
 * Calls `first` for the first occurrence after a quiet period, and `summary` with the tally of
 * the rest at the end of each interval that had any.
 */
export class Throttle {
  private tally: Tally | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly first: (kind: string, client: string | undefined, err?: Error) => void,
    private readonly summary: (t: Tally, intervalMs: number) => void,
    private readonly intervalMs = SUMMARY_INTERVAL_MS,
  ) {}

  note(kind: string, client: string | undefined, err?: Error): void {
    if (this.tally) {
      this.tally.add(kind, client, err);
      return;
    }
    this.tally = new Tally();
    this.first(kind, client, err);
    this.arm();
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      const t = this.tally!;
      if (t.total === 0) {
        this.tally = null;
        this.timer = null;
        return;
      }
      this.tally = new Tally();
      try {
        this.summary(t, this.intervalMs);
      } finally {
        this.arm();
      }
    }, this.intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.tally = null;
  }
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** Refused requests and connections: one warn line, then a summary per interval. */
export function refusalThrottle(log: WebLog, intervalMs = SUMMARY_INTERVAL_MS): Throttle {
  return new Throttle(
    (kind, client) =>
      log.warn({ event: 'http-refused', kind, client }, `HTTP: refused ${kind} from ${client ?? 'a client'}; further refusals are summarised every ${seconds(intervalMs)} (each at debug level)`),
    (t, ms) => log.warn({ event: 'http-refused', count: t.total, kinds: Object.fromEntries(t.byKind), clients: t.clients.size }, `HTTP: refused ${t.total} more in the last ${seconds(ms)} (${t.describe()})`),
    intervalMs,
  );
}

/** Internal errors (HTTP 500): the first with its stack, then a summary with the last stack. */
export function errorThrottle(log: WebLog, where: string, intervalMs = SUMMARY_INTERVAL_MS): Throttle {
  return new Throttle(
    (_kind, client, err) => log.error({ event: 'http-error', where, client, err: err?.message, stack: err?.stack }, `HTTP: internal error: ${err?.message}`),
    (t, ms) =>
      log.error({ event: 'http-error', where, count: t.total, err: t.last?.message, stack: t.last?.stack }, `HTTP: ${t.total} more internal error(s) in the last ${seconds(ms)}, the last: ${t.last?.message}`),
    intervalMs,
  );
}
