/**
 * The detector: scheduler and topology over one state machine per address. Pure: no sockets,
 * files or clocks. As in n-acd, handleFrame() (or handleObservation()) takes every received frame
 * and handleTimeout() runs when nextDeadline() is reached. This layer knows interfaces, timers and
 * the send queue; the machines decide states (held-machine.ts: addresses this host holds,
 * delegate-machine.ts: delegates it does not). Frames go out through the injected transmit();
 * what the world should learn is queued as events and pulled with pullEvents().
 */
import { type ReceivedArp, observeArp } from './arp.js';
import { type DelegateMachine, type DelegateStep, delegateAnswer, delegateEnter, delegateReset, delegateRound, delegateSignal, newDelegateMachine } from './delegate-machine.js';
import { type DetectorOptions, type Entry, type FrameVerdict, type Iface, type IfaceStatus, type Timer, ifaceStatus, newIface, transitionOf, ignoredMac, keyOf, macSet, newEntry, sendCapped, snapshotOf, summaryEvents } from './entry.js';
import type { AddressState, DetectorEvent, EntrySnapshot, FrameKind } from './events.js';
import { type HeldMachine, type HeldStep, heldClaim, heldEnter, heldProbe, heldReset, heldRound, newHeldMachine } from './held-machine.js';
import type { Ipv4 } from './ipv4.js';
import type { Ipv6 } from './ipv6.js';
import type { Mac } from './mac.js';
import { OwnNonces } from './nd-sender.js';
import type { Observation } from './observation.js';
import { holdsNow } from './outgoing.js';
import { DEFAULT_PROXY_THRESHOLD, ProxyWatch, proxyOptions } from './proxy-watch.js';
import { ANNOUNCE_WAIT_MS } from './rfc5227.js';
import { TickGrid } from './grid.js';
import { Outbox } from './outbox.js';
import { DeadlineHeap } from './timing.js';
import { type WatchList, type WatchSpec, type WatchedInterface, specsByInterface } from './watchlist.js';

export type { AnyTransmission, DetectorOptions, FrameVerdict, Transmission, Transmission6 } from './entry.js';

export class Detector {
  private readonly opts: Required<Omit<DetectorOptions, 'transmitBatch'>> & Pick<DetectorOptions, 'transmitBatch'>;
  private readonly grid: TickGrid;
  private readonly ifaces = new Map<string, Iface>();
  private readonly entries = new Map<string, Entry>();
  private readonly timers = new DeadlineHeap<Timer>();
  /** The send queues' drains; a tick's frames go out together at its end. */
  private readonly outbox: Outbox;
  private ownMacs: ReadonlySet<Mac> = new Set<Mac>();
  private ignoreMacs: Set<Mac>;
  private events: DetectorEvent[] = [];
  private started = false;
  private summaryAt: number | null = null;
  /** Nonces of our recent DAD probes: one looped back is ours (RFC 7527). */
  private readonly nonces = new OwnNonces();
  /** Proxy ARP and fabric MACs (proxy-watch.ts): their replies are no holders; claims still count. */
  readonly proxies: ProxyWatch = new ProxyWatch(() => proxyOptions(this.opts));

  constructor(options: DetectorOptions) {
    this.opts = { ignoreVrrpForDelegates: true, summaryIntervalMs: 60_000, proxyThreshold: DEFAULT_PROXY_THRESHOLD, proxiedNetworks: [], ...options };
    this.ignoreMacs = new Set(options.ignoreMacs);
    this.grid = new TickGrid(this.opts);
    const self = { opts: this.opts, grid: this.grid, nonces: this.nonces, proxies: this.proxies, schedule: (t: Timer) => this.schedule(t), emit: (e: DetectorEvent) => this.emit(e) };
    this.outbox = new Outbox(self);
  }

  /** Applies new timing and policy (a configuration reload); address state is kept. */
  setOptions(options: Partial<Omit<DetectorOptions, 'random' | 'transmit'>>, now: number): void {
    Object.assign(this.opts, options);
    if (options.ignoreMacs) this.ignoreMacs = new Set(options.ignoreMacs);
    for (const iface of this.ifaces.values()) {
      iface.queue.window.setRate(this.opts.maxSendRate);
      iface.capped = false;
      this.checkCapacity(iface, now);
    }
  }

  // ---------------------------------------------------------------- topology

  /** Applies a new watch list (from configuration and the host's interfaces); `ownMacs`: its own MACs as a live set. */
  setWatchList(list: WatchList, now: number, ownMacs: ReadonlySet<Mac> = new Set(list.ownMacs)): void {
    const initial = this.begin(now, ownMacs);
    const specs = specsByInterface(list);
    for (const name of [...this.ifaces.keys()]) if (!specs.has(name)) this.setInterfaceWatch(name, null, [], now, undefined, initial);
    for (const ifc of list.interfaces) this.setInterfaceWatch(ifc.name, ifc, specs.get(ifc.name)!, now, undefined, initial);
  }

  private begin(now: number, ownMacs: ReadonlySet<Mac> = this.ownMacs): boolean {
    this.ownMacs = ownMacs;
    if (this.summaryAt === null) this.schedule({ kind: 'summary', at: (this.summaryAt = now + this.opts.summaryIntervalMs) });
    return !this.started && (this.started = true);
  }

  /** One interface's part of the watch list (null: no longer watched), the others left alone; `ownMacs`: a live set the caller keeps. */
  setInterfaceWatch(name: string, ifc: WatchedInterface | null, specs: readonly WatchSpec[], now: number, ownMacs?: ReadonlySet<Mac>, initial = this.begin(now, ownMacs)): void {
    let iface = this.ifaces.get(name);
    if (!ifc) {
      for (const e of iface?.entries.values() ?? []) this.removeEntry(e, now);
      return void (this.ifaces.delete(name), this.proxies.forget(name));
    }
    if (!iface) this.ifaces.set(name, (iface = newIface(ifc, this.opts)));
    else {
      Object.assign(iface, { mac: ifc.mac, addresses: ifc.hostAddresses, linkLocal: ifc.linkLocal ?? null });
      if (iface.up !== ifc.up) this.setLink(iface, ifc.up, now);
    }
    const wanted = new Map(specs.map((s) => [s.address, s]));
    for (const [address, entry] of iface.entries) if (!wanted.has(address)) this.removeEntry(entry, now);
    for (const [address, spec] of wanted) {
      const entry = iface.entries.get(address);
      if (!entry) this.addEntry(keyOf(name, address), spec, initial, now);
      else this.updateEntry(entry, spec, now);
    }
    iface.delegates = new Set([...iface.entries.values()].filter((e) => e.role === 'delegate').map((e) => e.ip));
    this.checkCapacity(iface, now);
  }

  /** The IPv4 addresses whose frames an interface's ARP kernel filter must pass. */
  watchedAddresses(ifname: string): Ipv4[] {
    const iface = this.ifaces.get(ifname);
    return iface ? [...iface.entries.keys()].filter((a): a is Ipv4 => typeof a === 'number').concat(this.proxies.canaryAddresses(ifname)) : [];
  }

  /** The IPv6 addresses watched on an interface (its ND filter's targets, its solicited-node groups). */
  watchedIpv6(ifname: string): { address: Ipv6; held: boolean }[] {
    return [...(this.ifaces.get(ifname)?.entries.values() ?? [])].flatMap((e) => (typeof e.ip === 'string' ? [{ address: e.ip, held: holdsNow(e) }] : []));
  }

  private addEntry(key: string, spec: WatchSpec, initial: boolean, now: number): void {
    const iface = this.ifaces.get(spec.ifname)!;
    const interval = this.opts.probeIntervalMs;
    // At start-up probes spread over one interval; an address that appears later is probed at once.
    const firstProbe = this.grid.align(now + this.opts.random() * (initial ? interval : Math.min(100, interval)), now);
    const entry = newEntry(key, spec, firstProbe);
    this.entries.set(key, entry);
    iface.entries.set(spec.address, entry);
    this.schedule({ kind: 'probe', entry, at: firstProbe });
    this.scheduleAnnounce(entry, now + (initial ? this.opts.random() * this.opts.announceIntervalMs : ANNOUNCE_WAIT_MS), now);
    this.emit({ type: 'watch', at: now, entry: snapshotOf(entry), change: 'added' });
  }

  private updateEntry(entry: Entry, spec: WatchSpec, now: number): void {
    entry.allowedMacs = macSet(spec.allowedMacs);
    const dadFailed = spec.dadFailed === true; // the kernel's DAD failed: ask at once (ordinary NS) who has it
    if (entry.dadFailed !== dadFailed && (entry.dadFailed = dadFailed)) this.reprobeSoon(entry, now);
    if ((entry.machine.role === 'held') === spec.held) return;
    // A delegate moved onto or off this host: start over in the other role's machine.
    const previousHolder = entry.lastHolder;
    this.reset(entry, now, spec.held ? 'now held by this host' : 'no longer held by this host');
    entry.machine = spec.held ? newHeldMachine(entry.tally) : newDelegateMachine(entry.tally);
    entry.roundOpen = false;
    const iface = this.ifaces.get(entry.ifname)!;
    if (spec.held) {
      if (previousHolder && previousHolder !== iface.mac) {
        this.emit({ type: 'failover', at: now, entry: snapshotOf(entry), from: previousHolder, to: iface.mac });
      }
      entry.lastHolder = iface.mac;
      this.scheduleAnnounce(entry, now + ANNOUNCE_WAIT_MS, now);
    }
    this.reprobeSoon(entry, now);
  }

  private removeEntry(entry: Entry, now: number): void {
    this.reset(entry, now, 'no longer monitored');
    entry.alive = false;
    this.entries.delete(entry.key);
    this.ifaces.get(entry.ifname)?.entries.delete(entry.ip);
    this.emit({ type: 'watch', at: now, entry: snapshotOf(entry), change: 'removed' });
  }

  /** The reset input of the entry's machine: back to unknown. */
  private reset(entry: Entry, now: number, reason: string): void {
    const m = entry.machine;
    if (m.role === 'held') this.applyHeld(entry, m, { ...heldReset(m), reason }, now);
    else this.applyDelegate(entry, m, { ...delegateReset(m), reason }, now);
  }

  private reprobeSoon(entry: Entry, now: number): void {
    entry.probeDueAt = this.grid.align(now + this.opts.random() * Math.min(100, this.opts.probeIntervalMs), now);
    this.schedule({ kind: 'probe', entry, at: entry.probeDueAt });
  }

  private setLink(iface: Iface, up: boolean, now: number): void {
    iface.up = up;
    this.emit({ type: 'interface', at: now, interface: iface.name, up });
    if (!up) iface.queue.clear();
    for (const e of iface.entries.values()) if (up) this.reprobeSoon(e, now); else e.roundOpen = false;
  }

  /** Says so once when the send cap cannot fit one probe per address per interval. */
  private checkCapacity(iface: Iface, now: number): void {
    const capped = sendCapped(iface, this.opts, now);
    if (capped && !iface.capped) this.emit(capped);
    iface.capped = capped !== null;
  }

  // ---------------------------------------------------------------- frames

  /**
   * One decoded ARP frame received on `ifname`. `ethernetSource` is the link-layer source,
   * which usually equals frame.senderMac.
   */
  handleFrame(ifname: string, frame: ReceivedArp, ethernetSource: Mac, now: number): FrameVerdict {
    const obs = observeArp(frame);
    if (obs) return this.handleObservation(ifname, obs, ethernetSource, now);
    const iface = this.ifaces.get(ifname);
    return iface && this.isOwn(iface, frame.senderMac) ? 'own' : 'unwatched';
  }

  /** One observation from any address family's codec, received on `ifname`. */
  handleObservation(ifname: string, obs: Observation, ethernetSource: Mac, now: number): FrameVerdict {
    const iface = this.ifaces.get(ifname);
    if (!iface) return 'unwatched';
    if (this.isOwn(iface, obs.mac) || (obs.kind === 'probe' && obs.nonce && this.nonces.has(obs.nonce))) return 'own';
    const entry = iface.entries.get(obs.address);
    if (obs.kind === 'claim' && typeof obs.address === 'number' && !this.ignoreMacs.has(obs.mac) && this.proxies.setsAside(ifname, obs as { address: Ipv4; mac: Mac; reply: boolean }, entry?.machine.role, now)) return 'proxied';
    if (!entry) return 'unwatched';
    const from = { mac: obs.mac, ethernetSource };
    const m = entry.machine;
    this.roundCounts(entry, now);
    switch (obs.kind) {
      case 'claim':
        if (ignoredMac(entry, obs.mac, this.ignoreMacs, this.opts.ignoreVrrpForDelegates)) return 'ignored';
        if (m.role === 'held') {
          this.applyHeld(entry, m, heldClaim(m, obs, from, entry.label, this.opts, now), now);
          return 'claim';
        }
        // A delegate held elsewhere: whoever speaks for it while our probe round is open is a holder;
        // a new MAC claiming it between rounds is a takeover signal, confirmed with a probe of our own.
        if (!entry.roundOpen) {
          this.applyDelegate(entry, m, delegateSignal(m, from, entry.lastHolder, this.opts.probeIntervalMs, now), now);
          return 'late';
        }
        this.applyDelegate(entry, m, delegateAnswer(m, from, entry.label, now), now);
        return 'answer';
      case 'probe':
        if (m.role !== 'held') return 'unwatched'; // peers probing a delegate we do not hold: not our business
        if (ignoredMac(entry, obs.mac, this.ignoreMacs, this.opts.ignoreVrrpForDelegates) || entry.allowedMacs.has(obs.mac)) return 'ignored';
        this.applyHeld(entry, m, heldProbe(m, from, entry.label, now), now);
        return 'probe';
    }
  }

  /**
   * A frame about the address: its open round now counts, so it is judged when its reply window
   * ends even if its probe set no deadline (outbox.ts). A round whose window has passed ended
   * quiet, as its evaluation would have found.
   */
  private roundCounts(entry: Entry, now: number): void {
    if (!entry.roundOpen || entry.evaluationTimed) return;
    if (now >= entry.evaluateAt) {
      entry.roundOpen = false;
      return;
    }
    entry.evaluationTimed = true;
    this.schedule({ kind: 'evaluate', entry, at: entry.evaluateAt });
  }

  private isOwn(iface: Iface, mac: Mac): boolean {
    return this.ownMacs.has(mac) || mac === iface.mac;
  }

  private applyHeld(entry: Entry, m: HeldMachine, step: HeldStep, now: number): void {
    const to = step.to;
    if (to) this.transition(entry, to, () => heldEnter(m, to), now, step.reason ?? '');
    if (step.addedMac) this.emit({ type: 'conflict-mac', at: now, entry: snapshotOf(entry), mac: step.addedMac });
    if (step.defend) this.enqueue(entry, 'defence', now);
  }

  private applyDelegate(entry: Entry, m: DelegateMachine, step: DelegateStep, now: number): void {
    if (step.failover) this.emit({ type: 'failover', at: now, entry: snapshotOf(entry), ...step.failover });
    if (step.holder) entry.lastHolder = step.holder;
    if (step.unexpected) this.emit({ type: 'unexpected-holder', at: now, entry: snapshotOf(entry), mac: step.unexpected });
    const to = step.to;
    if (to) this.transition(entry, to, () => delegateEnter(m, to), now, step.reason ?? '');
    if (step.addedMac) this.emit({ type: 'conflict-mac', at: now, entry: snapshotOf(entry), mac: step.addedMac });
    // A confirmation round: probe now (within the send cap), not at the next interval.
    if (step.confirm && this.ifaces.get(entry.ifname)?.up) this.enqueue(entry, 'probe', now);
  }

  // ---------------------------------------------------------------- time

  nextDeadline(): number | null {
    return this.timers.peekAt();
  }

  handleTimeout(now: number): void {
    this.outbox.tick(() => this.runDue(now), now);
  }

  private runDue(now: number): void {
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
          if (t.iface.queue.flushAt === t.at) {
            t.iface.queue.flushAt = null;
            this.outbox.wake(t.iface, now);
          }
          break;
        case 'summary':
          this.events.push(...summaryEvents(this.entries.values(), now));
          this.schedule({ kind: 'summary', at: (this.summaryAt = this.grid.alignUp(now + this.opts.summaryIntervalMs)) });
          break;
      }
    }
  }

  private probeDue(entry: Entry, now: number): void {
    const iface = this.ifaces.get(entry.ifname)!;
    if (!iface.up) {
      // Nothing can be learnt on a down link; try again next interval (link-up reprobes at once).
      entry.probeDueAt = this.grid.nextProbe(now);
      this.schedule({ kind: 'probe', entry, at: entry.probeDueAt });
      return;
    }
    this.outbox.probeDue(iface);
    this.enqueue(entry, 'probe', now);
  }

  private announceDue(entry: Entry, now: number): void {
    if (this.opts.announceIntervalMs <= 0 || entry.machine.role !== 'held') return;
    const iface = this.ifaces.get(entry.ifname)!;
    const state = entry.machine.state;
    if (!iface.up || state === 'unknown') {
      // Never announce before a probe round has come back clean.
      this.scheduleAnnounce(entry, now + Math.max(this.grid.replyWindowMs, 100), now);
      return;
    }
    // In a conflict, announcing is defending: that is the defend policy's call, not the refresh timer's.
    if (state !== 'conflict') this.enqueue(entry, 'announcement', now);
    // Reckoned from when this one was due, not from when the timer fired: late timers and the
    // grid's rounding must not add up. After a stall of more than a tick, start afresh.
    const base = now - entry.announceIdealAt > this.grid.tickMs ? now : entry.announceIdealAt;
    this.scheduleAnnounce(entry, base + this.grid.announceStep(), now);
  }

  /** Schedules the next announcement for `ideal`, rounded down to the grid but always after `now`. */
  private scheduleAnnounce(entry: Entry, ideal: number, now: number): void {
    if (this.opts.announceIntervalMs <= 0 || entry.machine.role !== 'held') return;
    entry.announceIdealAt = ideal;
    entry.announceDueAt = this.grid.announceAt(ideal, now);
    this.schedule({ kind: 'announce', entry, at: entry.announceDueAt });
  }

  /** End of a probe round's reply window. */
  private evaluate(entry: Entry, now: number): void {
    entry.roundOpen = false;
    const m = entry.machine;
    if (entry.dadFailed) return; // the kernel's verdict stands: a quiet round does not clear it
    if (m.role === 'held') this.applyHeld(entry, m, heldRound(m, this.opts), now);
    else this.applyDelegate(entry, m, delegateRound(m, entry.lastHolder, entry.allowedMacs), now);
  }

  // ---------------------------------------------------------------- sending (outbox.ts)

  private enqueue(entry: Entry, kind: FrameKind, now: number): void {
    this.outbox.enqueue(this.ifaces.get(entry.ifname)!, entry, kind, now);
  }

  // ---------------------------------------------------------------- state and events

  /** Applies a state change its machine decided, and reports it with the episode it begins or ends. */
  private transition(entry: Entry, to: AddressState, enter: () => void, now: number, reason: string): void {
    const e = transitionOf(entry, to, enter, now, reason);
    if (e) this.emit(e);
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
    out.push(...this.proxies.pullEvents());
    return out;
  }

  /** Every monitored address, for status and metrics. */
  snapshotAll(): EntrySnapshot[] {
    return [...this.entries.values()].map(snapshotOf);
  }

  interfaceStatus(): IfaceStatus[] {
    return [...this.ifaces.values()].map(ifaceStatus);
  }
}
