/**
 * The long-running detector: wires the pure Detector to the host's interfaces, one ARP socket per
 * monitored interface, a timer and the observers. Everything it touches comes in through DaemonDeps,
 * so the e2e tests run the real thing and nothing here decides what a frame means.
 */
import type { Logger } from 'pino';
import type { BpfProgram } from '../core/bpf-insn.js';
import type { IpAddress } from '../core/address.js';
import { Detector, type Transmission6 } from '../core/detector.js';
import type { DetectorEvent, SendOutcome } from '../core/events.js';
import type { Ipv4 } from '../core/ipv4.js';
import type { Mac } from '../core/mac.js';
import { type HostInterface, type WatchList, linkScopesOf } from '../core/watchlist.js';
import type { DaemonConfig } from '../config/index.js';
import type { HostChanges } from '../platform/netlink.js';
import { lateTimeout } from '../metrics/event-loop.js';
import { socketErrorKind } from '../platform/socket-error.js';
import { ChurnLog } from './churn-log.js';
import { ChurnSummaryTimer } from './churn-summary.js';
import { DropAccount } from './drops.js';
import { eventLog, logsEvent } from './event-log.js';
import { Guard, Retrying, isolateObservers } from './guard.js';
import { type LinkWatch, HostChangeQueue } from './host-changes.js';
import { HostView, type LinkFacts, cannotMatter } from './host-view.js';
import { type NdPlatform, NdSockets } from './nd-sockets.js';
import type { DaemonView, Observer } from './observer.js';
import { type DaemonSocket, SocketSet } from './socket-set.js';
import { Transmitter } from './transmitter.js';
import { WallClock } from './wall-clock.js';
import { WatchSync } from './watch-sync.js';

export type { DaemonSocket } from './socket-set.js';

export interface DaemonDeps {
  config: DaemonConfig;
  readHost: () => HostInterface[];
  /** One interface's link facts (no addresses); with readDefaultRoutes, lets a change re-read only what it names. */
  readInterface?: (name: string) => LinkFacts | null;
  readDefaultRoutes?: () => Set<string>;
  openSocket: (ifindex: number) => DaemonSocket;
  /** Builds the kernel filter program for one interface. */
  buildFilter: (ownMac: Mac, watched: Ipv4[], ifindex: number) => { program: BpfProgram; strategy: string };
  /** Calls back on rtnetlink link, address and default-route changes; without details: re-read everything. */
  watchLinks: (onChange: (changes?: HostChanges) => void) => LinkWatch;
  logger: Logger;
  observers: Observer[];
  nd?: NdPlatform; // the IPv6 side (nd-sockets.ts: ND sockets, IPv6 addresses, multicast groups); absent: IPv4 only
  /** Isolates faults at the entry points (shared with the HTTP and control servers); default: a new one. */
  guard?: Guard;
  /** Monotonic milliseconds on the epoch scale. */
  now?: () => number;
  random?: () => number;
}

/**
 * How long to let bursts of rtnetlink messages settle before acting on them (the addon already
 * coalesces each burst for LINK_COALESCE_MS; this joins the bursts of one veth replacement).
 */
const LINK_SETTLE_MS = 50;
/** Safety net for a netlink message lost unreported (ENOBUFS re-reads at once); a full read grows with the links. */
const HOST_POLL_MS = 300_000;
/** Interface churn is logged as one summary line per interval, not a line per link. */
const CHURN_SUMMARY_MS = 60_000;
/** After the timer callback threw, wait this long before running the detector's deadlines again. */
const TIMER_FAULT_HOLD_MS = 1000;

const monotonicNow = () => performance.timeOrigin + performance.now();

export class Daemon {
  private config: DaemonConfig;
  private readonly detector: Detector;
  private readonly now: () => number;
  private readonly socketSet: SocketSet;
  private readonly nd: NdSockets | null;
  private readonly watch: WatchSync;
  private readonly hostView: HostView;
  private readonly churnTimer: ChurnSummaryTimer; // runs only while interfaces churn
  private readonly churnLog: ChurnLog;
  private timer: NodeJS.Timeout | null = null;
  private armedAt: number | null = null;
  private poll: NodeJS.Timeout | null = null;
  private readonly changes: HostChangeQueue;
  /** Held addresses whose removal was read but not yet applied to the watch list: never sent for. */
  private withdrawn = new Set<IpAddress>();
  private lastProbeAt: number | null = null;
  private stopped = false;
  private readonly wallClock: WallClock;
  readonly startedAt = Date.now();
  private readonly log: ReturnType<typeof eventLog>;
  readonly guard: Guard;
  /** refresh(), isolated: a failed host read keeps the last good view and is retried with backoff. */
  private readonly refresher: Retrying;
  private readonly drops: DropAccount;
  private readonly transmitter: Transmitter;
  private timerHeld = false;
  /** The deadline timer's callback, made once (not a closure per tick). */
  private readonly onDeadline: () => void;
  /** logsEvent (event-log.ts): whether an event can make a line at all (the log level needs a restart). */
  private readonly logs: (e: DetectorEvent) => boolean;
  private readonly eventHooks: readonly Observer[];

  constructor(private readonly deps: DaemonDeps) {
    this.guard = deps.guard ?? new Guard(deps.logger);
    this.deps = { ...deps, observers: isolateObservers(deps.observers, this.guard) };
    this.eventHooks = this.deps.observers.filter((o) => o.event);
    this.config = deps.config;
    this.now = deps.now ?? monotonicNow;
    this.wallClock = new WallClock(this.now);
    this.logs = logsEvent(deps.logger);
    this.churnLog = new ChurnLog(deps.logger, CHURN_SUMMARY_MS);
    this.churnTimer = new ChurnSummaryTimer(this.guard, CHURN_SUMMARY_MS, () => {
      const c = this.hostView.churn;
      return c.linksAdded + c.linksRemoved + c.linksChanged + c.addressChanges + this.churnLog.sockets.opened + this.churnLog.sockets.closed;
    }, () => this.churnLog.summary(this.hostView.churn, this.list.interfaces.length));
    this.changes = new HostChangeQueue({
      settleMs: LINK_SETTLE_MS,
      apply: (p) => this.applyChanges(p),
      held: (a) => this.heldNow.has(a),
      withdraw: (a) => this.withdrawn.add(a),
      stopped: () => this.stopped,
    });
    this.hostView = new HostView({ readHost: deps.readHost, readInterface: deps.readInterface, readDefaultRoutes: deps.readDefaultRoutes });
    this.log = this.guard.wrap('log', this.churnLog.quieting(eventLog(deps.logger, (t) => this.toWallClock(t)), (n) => this.watch.scopeOf(n)));
    // A refresh that threw may have stopped half-way through re-arming the timer: re-arm it after the hold.
    this.refresher = new Retrying(this.guard, 'refresh', () => this.refresh(), undefined, () => this.holdTimer());
    this.drops = new DropAccount(deps.logger, this.guard, (ifname, n) => {
      for (const o of this.deps.observers) o.framesDropped?.(ifname, n);
    });
    this.onDeadline = this.guard.wrap('timer', () => {
      const d = this.armedAt ?? this.now();
      this.timer = null;
      this.armedAt = null;
      this.changes.flush(); // an address removed a moment ago leaves the watch list before anything is sent
      // libuv's millisecond clock may fire a hair before `d` on ours: that is the deadline,
      // not a reason for a second wake-up a millisecond later.
      this.detector.handleTimeout(Math.max(this.now(), d));
      this.pump();
    }, () => {
      this.holdTimer();
      this.pump();
    });
    this.transmitter = new Transmitter({
      logger: deps.logger,
      observers: () => this.deps.observers,
      socket: (ifname) => this.socketSet.sockets.get(ifname)?.socket,
      holds: (address) => this.heldNow.has(address),
      refresh: () => this.changes.peek(), // an address removed a moment ago is withdrawn, not announced
      withdrawn: (address) => this.withdrawn.has(address),
      nd: (t) => this.sendNd(t),
      probeSent: () => (this.lastProbeAt = this.toWallClock(this.now())),
    });
    this.detector = new Detector({
      ...this.detectorOptions(deps.config),
      random: deps.random ?? Math.random,
      transmit: (t) => this.transmitter.one(t), // transmitter.ts: the checks, the send, its failures
      transmitBatch: (ts) => this.transmitter.batch(ts), // one sendmmsg per socket for a drain's frames
    });
    this.socketSet = new SocketSet({
      openSocket: deps.openSocket,
      buildFilter: deps.buildFilter,
      logger: deps.logger,
      observers: this.deps.observers,
      guard: this.guard,
      drops: this.drops,
      churnLog: this.churnLog,
      detector: this.detector,
      now: this.now,
      stopped: () => this.stopped,
      pump: () => this.pump(),
      recover: () => this.recover(),
    });
    this.nd = deps.nd ? new NdSockets({ platform: deps.nd, logger: deps.logger, observers: this.deps.observers, guard: this.guard, detector: this.detector, now: this.now, stopped: () => this.stopped, pump: () => this.pump(), recover: () => this.recover() }) : null;
    this.watch = new WatchSync({ detector: this.detector, sockets: this.socketSet, nd: this.nd, hostView: this.hostView, churnLog: this.churnLog, now: this.now });
  }

  /** The watch list now (watch-sync.ts keeps it); the IPv4 addresses the host holds, on any interface. */
  private get list(): WatchList {
    return this.watch.list;
  }
  private get heldNow(): ReadonlySet<Ipv4> {
    return this.watch.held;
  }

  /** The host's interfaces with their IPv6 addresses (sorted on demand: churn that cannot matter never sorts). */
  private get host(): HostInterface[] {
    return this.watch.host();
  }

  private detectorOptions(c: DaemonConfig) {
    return {
      probeIntervalMs: c.probeIntervalMs,
      announceIntervalMs: c.announceIntervalMs,
      defend: c.defend,
      clearAfter: c.clearAfter,
      maxSendRate: c.maxSendRate,
      ignoreMacs: c.ignoreMacs,
      proxyThreshold: c.proxyThreshold,
      proxiedNetworks: c.proxiedNetworks,
    };
  }

  async start(): Promise<void> {
    // Watch first, read second: a change between the two is applied after the read, not lost.
    this.changes.attach(this.deps.watchLinks(this.guard.wrap('netlink', (c?: HostChanges) => this.changes.push(c))));
    // Without CAP_NET_RAW nothing will ever work: that one is fatal at start; anything else is retried.
    this.refresher.run((err) => socketErrorKind(err) === 'permission');
    this.churnLog.sockets.opened = 0; // the summary is about churn, not the start
    for (const o of this.deps.observers) await o.attach?.(this.view());
    this.poll = setInterval(() => this.refresher.run(), HOST_POLL_MS);
    this.churnTimer.baseline();
    this.deps.logger.info(
      { event: 'started', interfaces: this.list.interfaces.map((i) => i.name), addresses: this.list.specs.length },
      `dupip monitoring ${this.list.specs.length} address(es) on ${this.list.interfaces.map((i) => i.name).join(', ') || 'no interface'}`,
    );
  }

  /** A configuration reload (SIGHUP): new timing, policy and watch settings; sockets and state are kept. */
  reconfigure(config: DaemonConfig): void {
    const restartOnly = (['stateDir', 'controlSocket', 'logLevel'] as const).filter((k) => config[k] !== this.config[k]);
    if (JSON.stringify(config.web) !== JSON.stringify(this.config.web)) restartOnly.push('web' as never);
    this.config = config;
    this.detector.setOptions(this.detectorOptions(config), this.now());
    this.refresher.run();
    this.deps.logger.info({ event: 'reloaded', needsRestart: restartOnly }, restartOnly.length ? `configuration reloaded; ${restartOnly.join(', ')} take effect after a restart` : 'configuration reloaded');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    this.churnTimer.stop();
    this.drops.stop();
    this.refresher.stop();
    this.changes.close();
    this.socketSet.closeAll();
    this.nd?.closeAll();
    for (const o of this.deps.observers) await o.close?.();
  }

  /** One batch of notifications (host-changes.ts joins bursts), applied off the frame path. */
  private applyChanges(p: HostChanges): void {
    // A failed incremental read (EMFILE...) falls back to a full re-read, retried with backoff;
    // meanwhile the watch list, sockets and filters stay as the last good view made them.
    if (p.lost) {
      this.refresher.run();
      return;
    }
    const ok = this.guard.run('refresh', () => {
      const v6 = this.nd !== null && this.nd.concerned(p, this.list) && (this.nd.readAddresses(), true);
      const { changed, touched } = this.hostView.apply(p);
      if (!changed && !v6) return true;
      if (!v6 && touched && touched.every((i) => cannotMatter(i, this.config, this.list, this.hostView))) {
        return true; // a container's veth came or went: the watch list is the same by construction
      }
      this.rederive();
      return true;
    });
    if (!ok) this.refresher.run();
    if (!this.stopped) this.churnTimer.check();
  }

  /** An IPv6 frame: pending netlink read first; an IPv6 change re-reads the addresses, one that went is withdrawn. */
  private sendNd(t: Transmission6): SendOutcome {
    if (!this.nd) return 'interface-down';
    this.changes.peek();
    if (this.changes.takeIpv6()) for (const a of this.nd.readAddresses()) this.withdrawn.add(a);
    if (this.withdrawn.has(t.address)) return 'dropped';
    return this.nd.transmit(t);
  }

  /** Re-reads the whole host, updates the watch list, sockets and kernel filters. */
  private refresh(): void {
    if (this.stopped) return;
    this.hostView.readAll();
    this.nd?.readAddresses();
    this.rederive();
    if (!this.stopped) this.churnTimer.check();
  }

  /**
   * Brings the watch list up to date with the host view: the interfaces that changed only, where
   * that suffices (watch-sync.ts); the detector, the sockets and the filters hear of what changed.
   */
  private rederive(): void {
    if (this.stopped) return;
    this.watch.sync(this.config);
    this.withdrawn.clear(); // the watch list now says what the host holds
    this.pump();
  }

  /** Delivers queued detector events to the log and observers, then re-arms the timer. */
  private pump(): void {
    const events = this.detector.pullEvents();
    for (let i = 0; i < events.length; i++) this.deliver(events[i]!);
    this.arm();
  }

  private deliver(e: DetectorEvent): void {
    if (this.logs(e)) this.log(e); // not a frame sent (most events at idle) below trace
    if (e.type === 'sent' && e.outcome !== 'sent') {
      for (const o of this.deps.observers) o.sendError?.(e.interface, e.outcome);
    }
    const hooks = this.eventHooks; // per event: no iterator, no observer without the hook
    for (let i = 0; i < hooks.length; i++) hooks[i]!.event!(e);
  }

  private arm(): void {
    if (this.stopped || this.timerHeld) return;
    const d = this.detector.nextDeadline();
    if (d === this.armedAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.armedAt = d;
    if (d === null) return;
    // lateTimeout: its lateness feeds nodejs_eventloop_lag_* (metrics/event-loop.ts), no sampler wake-up of its own.
    this.timer = lateTimeout(this.onDeadline, Math.max(0, Math.ceil(d - this.now())));
  }

  /** After a fault: deliver the events of what was done before it and re-arm; if that throws too, hold the timer. */
  private recover(): void {
    try {
      this.pump();
    } catch (err) {
      this.holdTimer();
      throw err;
    }
  }

  /**
   * The timer (or what re-arms it) threw: run the detector's deadlines again TIMER_FAULT_HOLD_MS
   * later, not in a tight loop at a deadline that keeps failing; frames are handled meanwhile.
   */
  private holdTimer(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerHeld = true;
    this.armedAt = null;
    this.timer = setTimeout(this.guard.wrap('timer', () => {
      this.timer = null;
      this.timerHeld = false;
      this.pump();
    }, () => this.holdTimer()), TIMER_FAULT_HOLD_MS);
  }

  /** A detector (monotonic) time as wall-clock milliseconds (wall-clock.ts). */
  toWallClock(t: number): number {
    return this.wallClock.of(t);
  }

  view(): DaemonView {
    return {
      startedAt: this.startedAt,
      addresses: () => this.detector.snapshotAll(),
      interfaces: () => {
        const st = new Map(this.detector.interfaceStatus().map((s) => [s.name, s]));
        return this.list.interfaces.map((i) => ({
          ...i,
          up: st.get(i.name)?.up ?? i.up,
          socketOpen: this.socketSet.sockets.has(i.name),
          addresses: st.get(i.name)?.addresses ?? 0,
          roundMs: st.get(i.name)?.roundMs ?? this.config.probeIntervalMs,
          capped: st.get(i.name)?.capped ?? false,
        }));
      },
      hostInterfaces: () => {
        const host = this.host;
        const scopes = linkScopesOf(host); // computed on a scrape: churn may have skipped the derivation
        // Host-internal links only when watched: hundreds of short-lived veths would be as many
        // series, and their MACs never speak on the network another host's alert is about.
        return host
          .filter((i) => !i.loopback && !i.noArp && i.mac !== '00:00:00:00:00:00')
          .map((i) => ({ name: i.name, mac: i.mac, kind: i.kind ?? 'unknown', scope: scopes.get(i.name) ?? 'network' }))
          .filter((i) => i.scope !== 'host' || this.list.interfaces.some((w) => w.name === i.name));
      },
      probeIntervalMs: () => this.config.probeIntervalMs,
      lastProbeSentAt: () => this.lastProbeAt,
      healthy: () => this.healthy(),
      toWallClock: (t) => this.toWallClock(t),
      internalErrors: () => this.guard.counts(),
      proxies: () => this.detector.proxies.findings(),
    };
  }

  private healthy(): boolean {
    if (this.stopped) return false;
    const up = this.list.interfaces.filter((i) => i.up);
    if (up.some((i) => !this.socketSet.sockets.has(i.name))) return false;
    const watching = up.some((i) => this.detector.watchedAddresses(i.name).length > 0);
    if (!watching) return true;
    let round = this.config.probeIntervalMs * 1.2;
    for (const s of this.detector.interfaceStatus()) round = Math.max(round, s.roundMs);
    const grace = 2 * round + 1000;
    const last = this.lastProbeAt ?? this.startedAt;
    return Date.now() - last <= grace;
  }
}
