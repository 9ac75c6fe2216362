/**
 * Log volume under interface churn: one summary line per interval with counts (links added,
 * removed, changed, address changes, ARP sockets opened and closed) instead of a line per veth,
 * and a problem that comes and goes with churn (a named interface missing for a moment) logged at
 * most once per interval. With `interfaces:` naming container veths, what their churn makes the
 * detector say (watching an address on a veth or not, the veth down or up, its address unknown
 * until its first probe round, then ok, a probe sent as the veth went down) is counted in the summary too, not logged per veth: only
 * for host-internal links, and never a conflict.
 */
import type { Logger } from 'pino';
import type { DetectorEvent } from '../core/events.js';
import type { LinkScope } from '../core/watchlist.js';
import { type ChurnCounts, zeroChurn } from './host-view.js';

/** A named interface gone: churn, once the daemon runs (at the start it is a typo worth a line). */
const MISSING = /^interface (\S+) does not exist$/;
/** At most this many names of missing interfaces in one summary line. */
const MISSING_NAMED = 5;

export class ChurnLog {
  /** Counted by the daemon as it opens and closes sockets; reset by each summary. */
  readonly sockets = { opened: 0, closed: 0 };
  private logged = zeroChurn();
  private current = new Set<string>();
  /** When each problem was last logged. */
  private readonly loggedAt = new Map<string, number>();
  /** Detector events of host-internal links counted instead of logged, and named interfaces that went missing; reset by each summary. */
  private quieted = { watch: 0, link: 0, state: 0, missing: 0, sendFailed: 0 };

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  /** The derivation's problems, now: new ones are logged unless logged within the interval. */
  problems(problems: readonly string[], now: number): void {
    for (const p of problems) if (!this.current.has(p)) this.tell(p, now);
    this.current = new Set(problems);
    if (this.loggedAt.size > 1000) {
      for (const [p, at] of this.loggedAt) if (now - at >= this.intervalMs) this.loggedAt.delete(p);
    }
  }

  /** One interface's problems changed (an incremental derivation): a named interface gone is counted, others logged as problems() would. */
  interfaceProblems(before: readonly string[], after: readonly string[], now: number): void {
    for (const p of before) if (!after.includes(p)) this.current.delete(p);
    for (const p of after) {
      if (this.current.has(p)) continue;
      this.current.add(p);
      if (MISSING.test(p)) this.quieted.missing++;
      else this.tell(p, now);
    }
  }

  private tell(p: string, now: number): void {
    const at = this.loggedAt.get(p);
    if (at !== undefined && now - at < this.intervalMs) return;
    this.logger.warn({ event: 'problem' }, p);
    this.loggedAt.set(p, now);
  }

  /**
   * Wraps the event log: events of host-internal links that churn makes (watch added or removed,
   * link down or up, unknown ↔ ok) are counted for the summary instead; everything else is logged.
   */
  quieting(log: (e: DetectorEvent) => void, scopeOf: (ifname: string) => LinkScope | undefined): (e: DetectorEvent) => void {
    return (e) => {
      const ifname = e.type === 'watch' || e.type === 'state' ? e.entry.interface : e.type === 'interface' || e.type === 'sent' ? e.interface : null;
      // A link the change removed has the scope it had (a container's veth gone: still host-internal).
      const internal = ifname !== null && scopeOf(ifname) === 'host';
      if (internal && e.type === 'watch') return void this.quieted.watch++;
      if (internal && e.type === 'interface') return void this.quieted.link++;
      if (internal && e.type === 'sent' && e.outcome === 'interface-down') return void this.quieted.sendFailed++; // a probe as its veth went
      if (internal && e.type === 'state' && (e.to === 'unknown' || (e.to === 'ok' && e.from === 'unknown'))) return void this.quieted.state++;
      log(e);
    };
  }

  /** One line with what changed since the last summary, when something did. */
  summary(c: ChurnCounts, watched: number): void {
    const l = this.logged;
    const q = this.quieted;
    const missingNow = [...this.current].flatMap((p) => MISSING.exec(p)?.[1] ?? []);
    const d = {
      linksAdded: c.linksAdded - l.linksAdded,
      linksRemoved: c.linksRemoved - l.linksRemoved,
      linksChanged: c.linksChanged - l.linksChanged,
      addressChanges: c.addressChanges - l.addressChanges,
      socketsOpened: this.sockets.opened,
      socketsClosed: this.sockets.closed,
      ...(q.watch || q.link || q.state || q.missing || q.sendFailed ? { watchChanges: q.watch, linkStateChanges: q.link, stateChanges: q.state, sendsOnLinksGone: q.sendFailed, namedMissing: q.missing, missingNow: missingNow.slice(0, MISSING_NAMED), missingNowCount: missingNow.length } : {}),
    };
    this.logged = { ...c };
    this.sockets.opened = this.sockets.closed = 0;
    this.quieted = { watch: 0, link: 0, state: 0, missing: 0, sendFailed: 0 };
    if (!d.linksAdded && !d.linksRemoved && !d.linksChanged && !d.addressChanges && !d.socketsOpened && !d.socketsClosed && d.watchChanges === undefined) return;
    const quiet = d.watchChanges !== undefined
      ? `; on host-internal links ${d.watchChanges} watch change(s), ${d.linkStateChanges} down/up, ${d.stateChanges} unknown/ok change(s), ${d.sendsOnLinksGone} send(s) on a link gone down, named interfaces missing for a while: ${d.namedMissing}${missingNow.length ? `, missing now: ${missingNow.slice(0, MISSING_NAMED).join(', ')}${missingNow.length > MISSING_NAMED ? ` and ${missingNow.length - MISSING_NAMED} more` : ''}` : ''}`
      : '';
    this.logger.info(
      { event: 'interfaces-changed', ...d, watched },
      `interfaces in the last ${this.intervalMs / 1000} s: ${d.linksAdded} added, ${d.linksRemoved} removed, ${d.linksChanged} changed, ${d.addressChanges} address change(s); ARP sockets ${d.socketsOpened} opened, ${d.socketsClosed} closed; watching ${watched} interface(s)${quiet}`,
    );
  }
}
