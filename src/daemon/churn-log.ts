/**
 * Log volume under interface churn: one summary line per interval with counts (links added,
 * removed, changed, address changes, ARP sockets opened and closed) instead of a line per veth,
 * and a problem that comes and goes with churn (a named interface missing for a moment) logged at
 * most once per interval.
 */
import type { Logger } from 'pino';
import { type ChurnCounts, zeroChurn } from './host-view.js';

export class ChurnLog {
  /** Counted by the daemon as it opens and closes sockets; reset by each summary. */
  readonly sockets = { opened: 0, closed: 0 };
  private logged = zeroChurn();
  private current = new Set<string>();
  /** When each problem was last logged. */
  private readonly loggedAt = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  /** The derivation's problems, now: new ones are logged unless logged within the interval. */
  problems(problems: readonly string[], now: number): void {
    for (const p of problems) {
      const at = this.loggedAt.get(p);
      if (!this.current.has(p) && (at === undefined || now - at >= this.intervalMs)) {
        this.logger.warn({ event: 'problem' }, p);
        this.loggedAt.set(p, now);
      }
    }
    this.current = new Set(problems);
    if (this.loggedAt.size > 1000) {
      for (const [p, at] of this.loggedAt) if (now - at >= this.intervalMs) this.loggedAt.delete(p);
    }
  }

  /** One line with what changed since the last summary, when something did. */
  summary(c: ChurnCounts, watched: number): void {
    const l = this.logged;
    const d = {
      linksAdded: c.linksAdded - l.linksAdded,
      linksRemoved: c.linksRemoved - l.linksRemoved,
      linksChanged: c.linksChanged - l.linksChanged,
      addressChanges: c.addressChanges - l.addressChanges,
      socketsOpened: this.sockets.opened,
      socketsClosed: this.sockets.closed,
    };
    this.logged = { ...c };
    this.sockets.opened = this.sockets.closed = 0;
    if (!d.linksAdded && !d.linksRemoved && !d.linksChanged && !d.addressChanges && !d.socketsOpened && !d.socketsClosed) return;
    this.logger.info(
      { event: 'interfaces-changed', ...d, watched },
      `interfaces in the last ${this.intervalMs / 1000} s: ${d.linksAdded} added, ${d.linksRemoved} removed, ${d.linksChanged} changed, ${d.addressChanges} address change(s); ARP sockets ${d.socketsOpened} opened, ${d.socketsClosed} closed; watching ${watched} interface(s)`,
    );
  }
}
