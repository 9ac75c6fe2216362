/**
 * The Prometheus metrics of the daemon, on their own registry (registry.ts; plus Node's process
 * metrics, process.ts).
 * Gauges are computed at scrape time from the DaemonView (gauges.ts); counters count observer
 * callbacks.
 *
 * Label sets stay bounded: no counter is labelled by MAC; per-address counters are removed when
 * the address stops being monitored (a counter reset if it comes back, which rate() and increase()
 * handle), per-interface counters when the interface is no longer monitored; both are created at 0
 * as soon as the address or interface is monitored, so that increase() sees the first event.
 */
import { INVALID_REASONS, type InvalidReason } from '../core/arp.js';
import type { NdInvalidReason } from '../core/ndp.js';
import type { DetectorEvent } from '../core/events.js';
import { NOTIFY_FAILURES, type NotifyFailure } from '../daemon/notify.js';
import { FAULT_PLACES, IGNORED_REASONS, type DaemonView, type IgnoredReason, type Observer, type SendErrorReason } from '../daemon/observer.js';
import { Counts, countsCounter } from './counts.js';
import { registerEventLoopLag } from './event-loop.js';
import { registerGauges, sortedAddresses } from './gauges.js';
import { registerHoldingGauges } from './holding.js';
import { registerProcessMetrics } from './process.js';
import { Registry } from './registry.js';
import { scrapeView } from './scrape-view.js';
import { ServerStats, registerServerMetrics } from './servers.js';

export const SEND_ERROR_REASONS: readonly SendErrorReason[] = ['dropped', 'interface-down', 'error'];

export interface MetricsOptions {
  version: string;
  nodeVersion?: string;
  /** Node process metrics (process_*, nodejs_*); default true. */
  processMetrics?: boolean;
}

type Iface = 'interface';

export class DupipMetrics implements Observer {
  readonly registry = new Registry();
  private view: DaemonView | null = null;
  /** The view of the scrape under way (scrape-view.ts), else null. */
  private scraping: DaemonView | null = null;
  private readonly conflicts = new Counts(['address', 'interface', 'role'] as const);
  private readonly failovers = new Counts(['address'] as const);
  private readonly probes = new Counts<Iface>(['interface']);
  private readonly announcements = new Counts<Iface>(['interface']);
  private readonly defences = new Counts<Iface>(['interface']);
  private readonly received = new Counts<Iface>(['interface']);
  private readonly dropped = new Counts<Iface>(['interface']);
  private readonly invalid = new Counts(['interface', 'reason'] as const);
  private readonly ignored = new Counts(['interface', 'reason'] as const);
  private readonly sendErrors = new Counts(['interface', 'reason'] as const);
  private journal: { readonly writeErrors: number } | null = null;
  /** Written by the HTTP and control listeners. */
  readonly servers = new ServerStats();
  private readonly notifyRuns = new Counts(['outcome'] as const);

  constructor(opts: MetricsOptions) {
    const source = () => this.scraping ?? this.view;
    registerGauges(this.registry, source, { version: opts.version, nodeVersion: opts.nodeVersion ?? process.version });
    registerHoldingGauges(this.registry, source);
    const r = this.registry;
    const sync = () => this.sync();
    countsCounter(r, 'dupip_conflicts_total', 'Conflict and split-brain episodes started on a monitored address.', this.conflicts, sync);
    // Computed at scrape time: the detector counts overflow per monitored address, for as long as it is monitored.
    r.counter('dupip_conflict_macs_overflow_total', 'Foreign MACs seen for an address beyond the 8 that are listed (a spoofing flood, proxy ARP).', ['address'], (s) => {
      const view = source();
      if (!view) return;
      for (const e of sortedAddresses(view)) s.inc([e.address], e.macOverflow);
    });
    countsCounter(r, 'dupip_delegate_failovers_total', 'Times a delegate address moved to another MAC.', this.failovers);
    countsCounter(r, 'dupip_probes_sent_total', 'ARP probes sent.', this.probes);
    countsCounter(r, 'dupip_announcements_sent_total', 'Gratuitous ARP announcements sent for held addresses.', this.announcements);
    countsCounter(r, 'dupip_defences_sent_total', 'Defensive ARP announcements sent in reply to a conflicting claim.', this.defences);
    countsCounter(r, 'dupip_frames_received_total', 'ARP frames received through the kernel filter.', this.received);
    countsCounter(r, 'dupip_frames_dropped_total', 'ARP frames the kernel dropped because the receive queue was full (PACKET_STATISTICS).', this.dropped);
    r.counter('dupip_internal_errors_total', 'Exceptions caught and isolated at an entry point of the daemon (the daemon carried on), by place.', ['where'], (s) => {
      const view = source();
      if (!view) return;
      const counts = view.internalErrors?.() ?? FAULT_PLACES.map((where) => ({ where, count: 0 }));
      for (const { where, count } of counts) s.inc([where], count);
    });
    countsCounter(r, 'dupip_frames_invalid_total', 'Received ARP frames refused as malformed, by reason.', this.invalid);
    countsCounter(r, 'dupip_frames_ignored_total', 'Received ARP frames left out of detection, by reason (vlan-tagged: tagged for another VLAN).', this.ignored);
    countsCounter(r, 'dupip_send_errors_total', 'Frames that could not be sent, by reason.', this.sendErrors);
    r.counter(
      'dupip_journal_write_errors_total',
      'Conflict history journal failures: records not written (the path unusable, a write or rotation failed; history is off meanwhile) and failed flushes.',
      [],
      (s) => s.set([], this.journal?.writeErrors ?? 0),
    );
    registerServerMetrics(r, this.servers);
    for (const outcome of ['ok', ...NOTIFY_FAILURES]) this.notifyRuns.touch({ outcome });
    countsCounter(r, 'dupip_notify_total', 'Notify command runs (notify.command) by outcome: ok, exit (non-zero status), timeout (killed), spawn (could not start), dropped (queue full).', this.notifyRuns);
    if (opts.processMetrics ?? true) {
      registerProcessMetrics(r);
      registerEventLoopLag(r);
    }
  }

  attach(view: DaemonView): void {
    this.view = view;
  }

  /** The journal whose failures dupip_journal_write_errors_total shows (0 until one is given). */
  watchJournal(journal: { readonly writeErrors: number }): void {
    this.journal = journal;
  }

  /** Creates at 0 the series of what is monitored now, and drops those of addresses and interfaces no longer monitored. */
  private sync(): void {
    const view = this.scraping ?? this.view;
    if (!view) return;
    const entries = view.addresses();
    const monitored = new Set(entries.map((e) => `${e.address}/${e.interface}/${e.role}`));
    const delegates = new Set(entries.filter((e) => e.role === 'delegate').map((e) => e.address));
    this.conflicts.prune((l) => !monitored.has(`${l.address}/${l.interface}/${l.role}`));
    this.failovers.prune((l) => !delegates.has(l.address));
    for (const e of entries) {
      this.conflicts.touch({ address: e.address, interface: e.interface, role: e.role });
      if (e.role === 'delegate') this.failovers.touch({ address: e.address });
    }
    const names = new Set(view.interfaces().map((i) => i.name));
    for (const c of [this.probes, this.announcements, this.defences, this.received, this.dropped, this.invalid, this.ignored, this.sendErrors]) {
      c.prune((l) => !names.has(l.interface));
    }
    for (const name of names) {
      for (const c of [this.probes, this.announcements, this.defences, this.received, this.dropped]) c.touch({ interface: name });
      for (const reason of INVALID_REASONS) this.invalid.touch({ interface: name, reason });
      for (const reason of IGNORED_REASONS) this.ignored.touch({ interface: name, reason });
      for (const reason of SEND_ERROR_REASONS) this.sendErrors.touch({ interface: name, reason });
    }
  }

  event(e: DetectorEvent): void {
    switch (e.type) {
      case 'state':
        if (e.to === 'conflict' || e.to === 'split-brain') {
          this.conflicts.inc({ address: e.entry.address, interface: e.entry.interface, role: e.entry.role });
        }
        return;
      case 'failover':
        this.failovers.inc({ address: e.entry.address });
        return;
      case 'sent':
        if (e.outcome !== 'sent') return;
        (e.kind === 'probe' ? this.probes : e.kind === 'announcement' ? this.announcements : this.defences).inc({ interface: e.interface });
        return;
      case 'watch':
        if (e.change === 'removed') {
          const { address, interface: ifname } = e.entry;
          this.conflicts.prune((l) => l.address === address && l.interface === ifname);
          if (!this.view?.addresses().some((a) => a.address === address && a.role === 'delegate')) {
            this.failovers.prune((l) => l.address === address);
          }
        }
        return;
      default:
        return;
    }
  }

  framesReceived(ifname: string, count: number): void {
    this.received.inc({ interface: ifname }, count);
  }

  framesDropped(ifname: string, count: number): void {
    this.dropped.inc({ interface: ifname }, count);
  }

  frameInvalid(ifname: string, reason: InvalidReason | NdInvalidReason): void {
    this.invalid.inc({ interface: ifname, reason });
  }

  frameIgnored(ifname: string, reason: IgnoredReason): void {
    this.ignored.inc({ interface: ifname, reason });
  }

  sendError(ifname: string, reason: SendErrorReason): void {
    this.sendErrors.inc({ interface: ifname, reason });
  }

  /** A notify command run ended (or could not run). */
  notified(ok: boolean, failure?: NotifyFailure): void {
    this.notifyRuns.inc({ outcome: ok ? 'ok' : (failure ?? 'exit') });
  }

  /** The exposition in the text format, as the HTTP endpoint sends it (UTF-8). */
  async exposition(): Promise<Buffer> {
    const scraping = this.view ? scrapeView(this.view) : null;
    this.scraping = scraping;
    try {
      return await this.registry.exposition();
    } finally {
      if (this.scraping === scraping) this.scraping = null;
    }
  }

  /** The exposition as text (tests, tools). */
  async metrics(): Promise<string> {
    return (await this.exposition()).toString('utf8');
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
