/**
 * The detector: per-address state machines for own and delegate addresses.
 *
 * Pure: no sockets, files or clocks. Two entry points drive it, as in n-acd: handleFrame() for
 * every decoded ARP frame and handleTimeout() when nextDeadline() is reached. Frames go out
 * through the injected transmit(); everything the outside world should learn is queued as
 * events and pulled with pullEvents().
 */
import { type ArpFrame, announcementFrame, probeFrame } from './arp.js';
import type { AddressState, DetectorEvent, EntrySnapshot, Episode, FrameKind, MacSighting, SendOutcome } from './events.js';
import { type Ipv4, formatIpv4 } from './ipv4.js';
import { BROADCAST_MAC, type Mac, isVrrpMac } from './mac.js';
import { ANNOUNCE_WAIT_MS, DEFEND_INTERVAL_MS } from './rfc5227.js';
import { DeadlineHeap, type Random, SendWindow, jittered } from './timing.js';
import type { Role, WatchList, WatchSpec } from './watchlist.js';

/** Foreign MACs remembered per address; more are counted as overflow, so a spoofing flood stays bounded. */
export const MAX_MACS_PER_ADDRESS = 8;
/** Empty probe rounds in a row before a delegate is declared unanswered (one lost reply is not an outage). */
export const UNANSWERED_ROUNDS = 2;
/** Longest time answers to a probe are collected. */
export const MAX_REPLY_WINDOW_MS = 1000;
/**
 * Deadlines are aligned to a grid of ticks (interval/10, at most 1 s) so that the probes,
 * evaluations and announcements of many addresses share one wake-up: on a VM a wake-up costs
 * more than the work it does. Probe and announcement times are rounded down (a gap never
 * exceeds 1.2 × interval), evaluations up.
 */
export const MAX_TICK_MS = 1000;

export interface Transmission {
  interface: string;
  kind: FrameKind;
  address: Ipv4;
  frame: ArpFrame;
  destination: Mac;
}

export interface DetectorOptions {
  probeIntervalMs: number;
  /** 0 disables periodic announcements. */
  announceIntervalMs: number;
  defend: 'once' | 'never';
  /** Clean probe rounds before a conflict (or contest) is declared over. */
  clearAfter: number;
  /** Frames per second per interface, all kinds together. */
  maxSendRate: number;
  ignoreMacs: Mac[];
  /** VRRP virtual MACs (00:00:5e:00:01:xx) legitimately answer for VIPs; ignored for delegates unless false. */
  ignoreVrrpForDelegates?: boolean;
  /** Period of the per-episode frame summary. */
  summaryIntervalMs?: number;
  random: Random;
  transmit: (t: Transmission) => SendOutcome;
}

/** What handleFrame made of a frame (for counters and tests). */
export type FrameVerdict = 'claim' | 'answer' | 'probe' | 'own' | 'ignored' | 'unwatched' | 'late';

type Lane = 0 | 1 | 2; // defences first, then announcements, then probes
const LANE: Record<FrameKind, Lane> = { defence: 0, announcement: 1, probe: 2 };

interface Entry {
  key: string;
  ip: Ipv4;
  label: string;
  ifname: string;
  role: Role;
  held: boolean;
  allowedMacs: Set<Mac>;
  alive: boolean;
  state: AddressState;
  macs: Map<Mac, MacSighting>;
  macOverflow: number;
  episodeStart: number | null;
  // probing
  probeDueAt: number;
  queued: [boolean, boolean, boolean];
  lastProbeAt: number | null;
  roundOpen: boolean;
  evaluateAt: number;
  roundMacs: Map<Mac, MacSighting>;
  claims: number;
  contests: number;
  cleanRounds: number;
  missedRounds: number;
  holders: Mac[];
  lastHolder: Mac | null;
  unexpectedHolder: boolean;
  // announcing and defending
  announceDueAt: number;
  lastDefendAt: number;
  framesSinceSummary: number;
  overflowSinceSummary: number;
}

interface Iface {
  name: string;
  mac: Mac;
  up: boolean;
  window: SendWindow;
  lanes: [Entry[], Entry[], Entry[]];
  flushAt: number | null;
  entries: Map<Ipv4, Entry>;
  /** Smoothed time between two probes of the same address: the real round length. */
  roundMs: number;
  capped: boolean;
}

type Timer =
  | { kind: 'probe' | 'evaluate' | 'announce'; entry: Entry; at: number }
  | { kind: 'flush'; iface: Iface; at: number }
  | { kind: 'summary'; at: number };

const keyOf = (ifname: string, ip: Ipv4) => `${ifname}/${formatIpv4(ip)}`;

export class Detector {
  private readonly opts: Required<DetectorOptions>;
  private readonly ifaces = new Map<string, Iface>();
  private readonly entries = new Map<string, Entry>();
  private readonly timers = new DeadlineHeap<Timer>();
  private ownMacs = new Set<Mac>();
  private ignoreMacs: Set<Mac>;
  private events: DetectorEvent[] = [];
  private started = false;
  private summaryAt: number | null = null;

  constructor(options: DetectorOptions) {
    this.opts = { ignoreVrrpForDelegates: true, summaryIntervalMs: 60_000, ...options };
    this.ignoreMacs = new Set(options.ignoreMacs);
  }

  /** Applies new timing and policy (a configuration reload); address state is kept. */
  setOptions(options: Partial<Omit<DetectorOptions, 'random' | 'transmit'>>, now: number): void {
    Object.assign(this.opts, options);
    if (options.ignoreMacs) this.ignoreMacs = new Set(options.ignoreMacs);
    for (const iface of this.ifaces.values()) {
      iface.window.setRate(this.opts.maxSendRate);
      iface.capped = false;
      this.checkCapacity(iface, now);
    }
  }

  private get tickMs(): number {
    return Math.min(MAX_TICK_MS, this.opts.probeIntervalMs / 10);
  }

  /** Rounds a deadline down to the tick grid, never into the past. */
  private align(t: number, now: number): number {
    return Math.max(now, Math.floor(t / this.tickMs) * this.tickMs);
  }

  /** Rounds a deadline up to the tick grid. */
  private alignUp(t: number): number {
    return Math.ceil(t / this.tickMs) * this.tickMs;
  }

  private get replyWindowMs(): number {
    return Math.min(MAX_REPLY_WINDOW_MS, this.opts.probeIntervalMs / 2);
  }

  // ---------------------------------------------------------------- topology

  /** Applies a new watch list (from configuration and the host's interfaces). */
  setWatchList(list: WatchList, now: number): void {
    this.ownMacs = new Set(list.ownMacs);
    const initial = !this.started;
    this.started = true;
    if (this.summaryAt === null) this.schedule({ kind: 'summary', at: (this.summaryAt = now + this.opts.summaryIntervalMs) });

    const wantIfaces = new Set(list.interfaces.map((i) => i.name));
    for (const ifc of list.interfaces) {
      let iface = this.ifaces.get(ifc.name);
      if (!iface) {
        iface = {
          name: ifc.name,
          mac: ifc.mac,
          up: ifc.up,
          window: new SendWindow(this.opts.maxSendRate),
          lanes: [[], [], []],
          flushAt: null,
          entries: new Map(),
          roundMs: this.opts.probeIntervalMs,
          capped: false,
        };
        this.ifaces.set(ifc.name, iface);
      } else {
        iface.mac = ifc.mac;
        if (iface.up !== ifc.up) this.setLink(iface, ifc.up, now);
      }
    }

    const wanted = new Map<string, WatchSpec>();
    for (const s of list.specs) if (wantIfaces.has(s.ifname)) wanted.set(keyOf(s.ifname, s.address), s);
    for (const [key, entry] of this.entries) if (!wanted.has(key)) this.removeEntry(entry, now);
    for (const [key, spec] of wanted) {
      const entry = this.entries.get(key);
      if (!entry) this.addEntry(key, spec, initial, now);
      else this.updateEntry(entry, spec, now);
    }
    for (const [name, iface] of this.ifaces) {
      if (!wantIfaces.has(name)) {
        for (const e of iface.entries.values()) this.removeEntry(e, now);
        this.ifaces.delete(name);
      } else {
        this.checkCapacity(iface, now);
      }
    }
  }

  /** The addresses whose frames an interface's kernel filter must pass. */
  watchedAddresses(ifname: string): Ipv4[] {
    const iface = this.ifaces.get(ifname);
    return iface ? [...iface.entries.keys()] : [];
  }

  private addEntry(key: string, spec: WatchSpec, initial: boolean, now: number): void {
    const iface = this.ifaces.get(spec.ifname)!;
    const interval = this.opts.probeIntervalMs;
    // At start-up probes spread over one interval; an address that appears later is probed at once.
    const firstProbe = this.align(now + this.opts.random() * (initial ? interval : Math.min(100, interval)), now);
    const entry: Entry = {
      key,
      ip: spec.address,
      label: formatIpv4(spec.address),
      ifname: spec.ifname,
      role: spec.role,
      held: spec.held,
      allowedMacs: new Set(spec.allowedMacs),
      alive: true,
      state: 'unknown',
      macs: new Map(),
      macOverflow: 0,
      episodeStart: null,
      probeDueAt: firstProbe,
      queued: [false, false, false],
      lastProbeAt: null,
      roundOpen: false,
      evaluateAt: 0,
      roundMacs: new Map(),
      claims: 0,
      contests: 0,
      cleanRounds: 0,
      missedRounds: 0,
      holders: [],
      lastHolder: null,
      unexpectedHolder: false,
      announceDueAt: 0,
      lastDefendAt: -Infinity,
      framesSinceSummary: 0,
      overflowSinceSummary: 0,
    };
    this.entries.set(key, entry);
    iface.entries.set(spec.address, entry);
    this.schedule({ kind: 'probe', entry, at: firstProbe });
    this.scheduleAnnounce(entry, now + (initial ? this.opts.random() * this.opts.announceIntervalMs : ANNOUNCE_WAIT_MS));
    this.emit({ type: 'watch', at: now, entry: this.snapshot(entry), change: 'added' });
  }

  private updateEntry(entry: Entry, spec: WatchSpec, now: number): void {
    entry.allowedMacs = new Set(spec.allowedMacs);
    if (entry.held === spec.held) return;
    // A delegate moved onto or off this host: start over in the other mode.
    const previousHolder = entry.lastHolder;
    this.transition(entry, 'unknown', now, spec.held ? 'now held by this host' : 'no longer held by this host');
    entry.held = spec.held;
    this.resetRounds(entry);
    const iface = this.ifaces.get(entry.ifname)!;
    if (spec.held) {
      if (previousHolder && previousHolder !== iface.mac) {
        this.emit({ type: 'failover', at: now, entry: this.snapshot(entry), from: previousHolder, to: iface.mac });
      }
      entry.lastHolder = iface.mac;
      this.scheduleAnnounce(entry, now + ANNOUNCE_WAIT_MS);
    }
    this.reprobeSoon(entry, now);
  }

  private removeEntry(entry: Entry, now: number): void {
    this.transition(entry, 'unknown', now, 'no longer monitored');
    entry.alive = false;
    this.entries.delete(entry.key);
    this.ifaces.get(entry.ifname)?.entries.delete(entry.ip);
    this.emit({ type: 'watch', at: now, entry: this.snapshot(entry), change: 'removed' });
  }

  private resetRounds(entry: Entry): void {
    entry.roundOpen = false;
    entry.roundMacs = new Map();
    entry.claims = entry.contests = entry.cleanRounds = entry.missedRounds = 0;
    entry.holders = [];
    entry.unexpectedHolder = false;
  }

  private reprobeSoon(entry: Entry, now: number): void {
    entry.probeDueAt = this.align(now + this.opts.random() * Math.min(100, this.opts.probeIntervalMs), now);
    this.schedule({ kind: 'probe', entry, at: entry.probeDueAt });
  }

  private setLink(iface: Iface, up: boolean, now: number): void {
    iface.up = up;
    this.emit({ type: 'interface', at: now, interface: iface.name, up });
    if (!up) {
      for (const lane of iface.lanes) for (const e of lane.splice(0)) e.queued = [false, false, false];
      for (const e of iface.entries.values()) e.roundOpen = false;
    } else {
      for (const e of iface.entries.values()) this.reprobeSoon(e, now);
    }
  }

  /** Says so once when the send cap cannot fit one probe per address per interval. */
  private checkCapacity(iface: Iface, now: number): void {
    const n = iface.entries.size;
    let perSecond = (n * 1000) / this.opts.probeIntervalMs;
    if (this.opts.announceIntervalMs > 0) {
      let held = 0;
      for (const e of iface.entries.values()) if (e.held) held++;
      perSecond += (held * 1000) / this.opts.announceIntervalMs;
    }
    const capped = perSecond > this.opts.maxSendRate;
    if (capped && !iface.capped) {
      this.emit({
        type: 'send-capped',
        at: now,
        interface: iface.name,
        addresses: n,
        neededPerSecond: Math.round(perSecond * 10) / 10,
        cap: this.opts.maxSendRate,
        roundMs: Math.round((n * 1000) / this.opts.maxSendRate),
      });
    }
    iface.capped = capped;
  }

  // ---------------------------------------------------------------- frames

  /**
   * One decoded ARP frame received on `ifname`. `ethernetSource` is the link-layer source,
   * which usually equals frame.senderMac.
   */
  handleFrame(ifname: string, frame: ArpFrame, ethernetSource: Mac, now: number): FrameVerdict {
    const iface = this.ifaces.get(ifname);
    if (!iface) return 'unwatched';
    if (this.ownMacs.has(frame.senderMac) || frame.senderMac === iface.mac) return 'own';
    if (frame.senderIp !== 0) {
      const entry = iface.entries.get(frame.senderIp);
      if (!entry) return 'unwatched';
      if (this.ignored(entry, frame.senderMac)) return 'ignored';
      return entry.held ? this.claim(entry, frame, ethernetSource, now) : this.answer(entry, frame, ethernetSource, now);
    }
    const entry = iface.entries.get(frame.targetIp);
    if (!entry || frame.op !== 1) return 'unwatched';
    if (!entry.held) return 'unwatched'; // peers probing a delegate we do not hold: not our business
    if (this.ignored(entry, frame.senderMac) || entry.allowedMacs.has(frame.senderMac)) return 'ignored';
    return this.contest(entry, frame, ethernetSource, now);
  }

  private ignored(entry: Entry, mac: Mac): boolean {
    return this.ignoreMacs.has(mac) || (entry.role === 'delegate' && this.opts.ignoreVrrpForDelegates && isVrrpMac(mac));
  }

  /** A foreign MAC says it has an address this host holds: a hard conflict. */
  private claim(entry: Entry, frame: ArpFrame, ethernetSource: Mac, now: number): FrameVerdict {
    entry.claims++;
    entry.cleanRounds = 0;
    entry.framesSinceSummary++;
    const isNew = this.sight(entry, entry.macs, frame.senderMac, ethernetSource, now);
    if (entry.state !== 'conflict') {
      if (entry.state === 'contested') entry.macs = new Map([[frame.senderMac, entry.macs.get(frame.senderMac)!]]);
      this.transition(entry, 'conflict', now, `${frame.senderMac} ${frame.op === 2 ? 'answers' : 'claims'} ${entry.label}`);
    } else if (isNew) {
      this.emit({ type: 'conflict-mac', at: now, entry: this.snapshot(entry), mac: entry.macs.get(frame.senderMac)! });
    }
    if (this.opts.defend === 'once' && now - entry.lastDefendAt >= DEFEND_INTERVAL_MS) {
      entry.lastDefendAt = now;
      this.enqueue(entry, 'defence', now);
    }
    return 'claim';
  }

  /** A MAC answers for a delegate this host does not hold: it is a holder, if it answered our probe. */
  private answer(entry: Entry, frame: ArpFrame, ethernetSource: Mac, now: number): FrameVerdict {
    if (!entry.roundOpen) return 'late';
    const isNew = this.sight(entry, entry.roundMacs, frame.senderMac, ethernetSource, now);
    if (entry.roundMacs.size >= 2) {
      entry.framesSinceSummary++;
      if (entry.state !== 'split-brain') {
        entry.macs = new Map(entry.roundMacs);
        this.transition(entry, 'split-brain', now, `${[...entry.roundMacs.keys()].join(', ')} all answer for ${entry.label}`);
      } else if (isNew && !entry.macs.has(frame.senderMac)) {
        this.sight(entry, entry.macs, frame.senderMac, ethernetSource, now);
        this.emit({ type: 'conflict-mac', at: now, entry: this.snapshot(entry), mac: entry.macs.get(frame.senderMac)! });
      }
    }
    return 'answer';
  }

  /** Another host probes for an address this host holds: a soft conflict. */
  private contest(entry: Entry, frame: ArpFrame, ethernetSource: Mac, now: number): FrameVerdict {
    entry.contests++;
    if (entry.state === 'ok' || entry.state === 'unknown') {
      entry.macs = new Map();
      this.sight(entry, entry.macs, frame.senderMac, ethernetSource, now);
      entry.cleanRounds = 0;
      this.transition(entry, 'contested', now, `${frame.senderMac} probes for ${entry.label}`);
    } else if (entry.state === 'contested') {
      entry.cleanRounds = 0;
      if (this.sight(entry, entry.macs, frame.senderMac, ethernetSource, now)) {
        this.emit({ type: 'conflict-mac', at: now, entry: this.snapshot(entry), mac: entry.macs.get(frame.senderMac)! });
      }
    }
    return 'probe';
  }

  /** Records a sighting; returns true when the MAC is new. Bounded by MAX_MACS_PER_ADDRESS. */
  private sight(entry: Entry, into: Map<Mac, MacSighting>, mac: Mac, ethernetSource: Mac, now: number): boolean {
    const seen = into.get(mac);
    if (seen) {
      seen.lastSeen = now;
      seen.frames++;
      return false;
    }
    if (into.size >= MAX_MACS_PER_ADDRESS) {
      entry.macOverflow++;
      entry.overflowSinceSummary++;
      return false;
    }
    const s: MacSighting = { mac, firstSeen: now, lastSeen: now, frames: 1 };
    if (ethernetSource !== mac) s.ethernetSource = ethernetSource;
    into.set(mac, s);
    return true;
  }

  // ---------------------------------------------------------------- time

  nextDeadline(): number | null {
    return this.timers.peekAt();
  }

  handleTimeout(now: number): void {
    for (let t = this.timers.popDue(now); t; t = this.timers.popDue(now)) {
      switch (t.kind) {
        case 'probe':
          if (t.entry.alive && t.at === t.entry.probeDueAt) this.probeDue(t.entry, now);
          break;
        case 'evaluate':
          if (t.entry.alive && t.entry.roundOpen && t.at === t.entry.evaluateAt) this.evaluate(t.entry, now);
          break;
        case 'announce':
          if (t.entry.alive && t.at === t.entry.announceDueAt) this.announceDue(t.entry, now);
          break;
        case 'flush':
          if (t.iface.flushAt === t.at) {
            t.iface.flushAt = null;
            this.flush(t.iface, now);
          }
          break;
        case 'summary':
          this.summarise(now);
          this.schedule({ kind: 'summary', at: (this.summaryAt = this.alignUp(now + this.opts.summaryIntervalMs)) });
          break;
      }
    }
  }

  private probeDue(entry: Entry, now: number): void {
    const iface = this.ifaces.get(entry.ifname)!;
    if (!iface.up) {
      // Nothing can be learnt on a down link; try again next interval (link-up reprobes at once).
      entry.probeDueAt = this.align(now + jittered(this.opts.probeIntervalMs, this.opts.random), now);
      this.schedule({ kind: 'probe', entry, at: entry.probeDueAt });
      return;
    }
    this.enqueue(entry, 'probe', now);
  }

  private announceDue(entry: Entry, now: number): void {
    if (this.opts.announceIntervalMs <= 0 || !entry.held) return;
    const iface = this.ifaces.get(entry.ifname)!;
    if (!iface.up || entry.state === 'unknown') {
      // Never announce before a probe round has come back clean.
      this.scheduleAnnounce(entry, now + Math.max(this.replyWindowMs, 100));
      return;
    }
    // In a conflict, announcing is defending: that is the defend policy's call, not the refresh timer's.
    if (entry.state !== 'conflict') this.enqueue(entry, 'announcement', now);
    this.scheduleAnnounce(entry, now + jittered(this.opts.announceIntervalMs, this.opts.random));
  }

  private scheduleAnnounce(entry: Entry, at: number): void {
    if (this.opts.announceIntervalMs <= 0 || !entry.held) return;
    entry.announceDueAt = Math.max(Math.floor(at / this.tickMs) * this.tickMs, 0);
    this.schedule({ kind: 'announce', entry, at: entry.announceDueAt });
  }

  /** End of a probe round's reply window. */
  private evaluate(entry: Entry, now: number): void {
    entry.roundOpen = false;
    if (entry.held) {
      const quiet = entry.state === 'conflict' ? entry.claims === 0 : entry.contests === 0;
      entry.claims = entry.contests = 0;
      if (entry.state === 'unknown') this.transition(entry, 'ok', now, 'no other host answered the probe');
      else if (entry.state === 'conflict' || entry.state === 'contested') {
        entry.cleanRounds = quiet ? entry.cleanRounds + 1 : 0;
        if (entry.cleanRounds >= this.opts.clearAfter) {
          this.transition(entry, 'ok', now, `${entry.cleanRounds} clean probe rounds`);
        }
      }
      return;
    }
    const holders = [...entry.roundMacs.keys()];
    entry.holders = holders;
    if (holders.length === 0) {
      entry.missedRounds++;
      if (entry.missedRounds >= UNANSWERED_ROUNDS && entry.state !== 'unanswered') {
        this.transition(entry, 'unanswered', now, `no host answered ${entry.missedRounds} probe rounds`);
      }
      return;
    }
    entry.missedRounds = 0;
    if (holders.length >= 2) return; // split brain was declared as the second answer came in
    const holder = holders[0]!;
    if (entry.lastHolder !== null && entry.lastHolder !== holder) {
      this.emit({ type: 'failover', at: now, entry: this.snapshot(entry), from: entry.lastHolder, to: holder });
    }
    entry.lastHolder = holder;
    const unexpected = entry.allowedMacs.size > 0 && !entry.allowedMacs.has(holder);
    if (unexpected && !entry.unexpectedHolder) this.emit({ type: 'unexpected-holder', at: now, entry: this.snapshot(entry), mac: holder });
    entry.unexpectedHolder = unexpected;
    if (entry.state !== 'ok') this.transition(entry, 'ok', now, `held by ${holder}`);
  }

  private summarise(now: number): void {
    for (const entry of this.entries.values()) {
      if (entry.framesSinceSummary > 0 && (entry.state === 'conflict' || entry.state === 'split-brain')) {
        this.emit({ type: 'summary', at: now, entry: this.snapshot(entry), frames: entry.framesSinceSummary, overflow: entry.overflowSinceSummary });
      }
      entry.framesSinceSummary = entry.overflowSinceSummary = 0;
    }
  }

  // ---------------------------------------------------------------- sending

  private enqueue(entry: Entry, kind: FrameKind, now: number): void {
    const lane = LANE[kind];
    if (entry.queued[lane]) return;
    const iface = this.ifaces.get(entry.ifname)!;
    entry.queued[lane] = true;
    iface.lanes[lane].push(entry);
    this.flush(iface, now);
  }

  private flush(iface: Iface, now: number): void {
    for (let lane: Lane = 0; lane < 3; lane = (lane + 1) as Lane) {
      const queue = iface.lanes[lane];
      while (queue.length) {
        const entry = queue[0]!;
        if (!entry.alive) {
          queue.shift();
          continue;
        }
        if (!iface.window.tryTake(now)) {
          // Not aligned: the window frees at an exact instant, and rounding it up to the next tick
          // would idle a whole tick per second whenever the cap binds.
          const at = iface.window.nextAvailable(now);
          if (iface.flushAt === null || iface.flushAt > at) this.schedule({ kind: 'flush', iface, at: (iface.flushAt = at) });
          return;
        }
        queue.shift();
        entry.queued[lane] = false;
        this.send(iface, entry, lane === 0 ? 'defence' : lane === 1 ? 'announcement' : 'probe', now);
      }
    }
  }

  private send(iface: Iface, entry: Entry, kind: FrameKind, now: number): void {
    if (kind !== 'probe' && !entry.held) return; // never announce an address this host does not hold
    const frame = kind === 'probe' ? probeFrame(iface.mac, entry.ip) : announcementFrame(iface.mac, entry.ip);
    const outcome = this.opts.transmit({ interface: iface.name, kind, address: entry.ip, frame, destination: BROADCAST_MAC });
    this.emit({ type: 'sent', at: now, interface: iface.name, kind, address: entry.label, outcome });
    if (kind !== 'probe') return;
    if (entry.lastProbeAt !== null) iface.roundMs += (now - entry.lastProbeAt - iface.roundMs) / 8;
    entry.probeDueAt = this.align(now + jittered(this.opts.probeIntervalMs, this.opts.random), now);
    this.schedule({ kind: 'probe', entry, at: entry.probeDueAt });
    if (outcome !== 'sent') return;
    entry.lastProbeAt = now;
    entry.roundOpen = true;
    entry.roundMacs = new Map();
    entry.evaluateAt = this.alignUp(now + this.replyWindowMs);
    this.schedule({ kind: 'evaluate', entry, at: entry.evaluateAt });
  }

  // ---------------------------------------------------------------- state and events

  private transition(entry: Entry, to: AddressState, now: number, reason: string): void {
    const from = entry.state;
    if (from === to) return;
    const wasEpisode = from === 'conflict' || from === 'split-brain';
    const isEpisode = to === 'conflict' || to === 'split-brain';
    let episode: Episode | undefined;
    if (wasEpisode && entry.episodeStart !== null) {
      episode = this.episode(entry, from, entry.episodeStart);
      episode.end = now;
    }
    if (isEpisode) entry.episodeStart = now;
    else entry.episodeStart = null;
    entry.state = to;
    if (isEpisode) episode = this.episode(entry, to, now);
    if (to === 'ok' || to === 'unknown' || to === 'unanswered') {
      // The ended episode keeps its MACs; the address itself has none now.
      entry.macs = new Map();
      entry.cleanRounds = 0;
    }
    const snapshot = this.snapshot(entry);
    this.emit({ type: 'state', at: now, entry: snapshot, from, to, reason, ...(episode ? { episode } : {}) });
  }

  private episode(entry: Entry, kind: 'conflict' | 'split-brain', start: number): Episode {
    return { address: entry.label, interface: entry.ifname, role: entry.role, kind, start, macs: [...entry.macs.keys()] };
  }

  private emit(e: DetectorEvent): void {
    this.events.push(e);
  }

  private schedule(t: Timer): void {
    this.timers.push(t.at, t);
  }

  /** Takes the queued events, oldest first. */
  pullEvents(): DetectorEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private snapshot(entry: Entry): EntrySnapshot {
    return {
      address: entry.label,
      ip: entry.ip,
      interface: entry.ifname,
      role: entry.role,
      held: entry.held,
      state: entry.state,
      macs: [...entry.macs.values()].map((m) => ({ ...m })),
      holders: entry.holders.slice(),
      unexpectedHolder: entry.unexpectedHolder,
      lastProbe: entry.lastProbeAt,
      episodeStart: entry.episodeStart,
      macOverflow: entry.macOverflow,
    };
  }

  /** Every monitored address, for status and metrics. */
  snapshotAll(): EntrySnapshot[] {
    return [...this.entries.values()].map((e) => this.snapshot(e));
  }

  interfaceStatus(): { name: string; mac: Mac; up: boolean; addresses: number; roundMs: number; capped: boolean }[] {
    return [...this.ifaces.values()].map((i) => ({ name: i.name, mac: i.mac, up: i.up, addresses: i.entries.size, roundMs: i.roundMs, capped: i.capped }));
  }
}
