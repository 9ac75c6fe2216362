/**
 * The detector's records: one Entry per watched address on one interface (its machine and its
 * schedule), one Iface per interface, and how they are reported (snapshots, episodes).
 */
import { type IpAddress, formatAddress } from './address.js';
import type { ArpFrame } from './arp.js';
import { type DelegateMachine, newDelegateMachine } from './delegate-machine.js';
import type { AddressState, DetectorEvent, EntrySnapshot, Episode, FrameKind, SendOutcome } from './events.js';
import { type HeldMachine, newHeldMachine } from './held-machine.js';
import type { Ipv4 } from './ipv4.js';
import type { Ipv6 } from './ipv6.js';
import { type Mac, isVrrp6Mac, isVrrpMac } from './mac.js';
import type { NdTransmission } from './ndp.js';
import { SendQueue } from './send-queue.js';
import { type Tally, newTally } from './sightings.js';
import type { Random } from './timing.js';
import type { HostAddress, Role, WatchSpec, WatchedInterface } from './watchlist.js';

/** One ARP frame to send on the interface's ARP socket, with its Ethernet destination. */
export interface Transmission {
  interface: string;
  kind: FrameKind;
  family?: 'ipv4';
  address: Ipv4;
  frame: ArpFrame;
  destination: Mac;
}

/** One Neighbor Discovery packet to send on the interface's IPv6 socket, with its Ethernet destination. */
export interface Transmission6 {
  interface: string;
  kind: FrameKind;
  family: 'ipv6';
  address: Ipv6;
  frame: NdTransmission;
  destination: Mac;
}

export type AnyTransmission = Transmission | Transmission6;

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
  /** VRRP virtual MACs (00:00:5e:00:01:xx, IPv6 00:00:5e:00:02:xx) legitimately answer for VIPs; ignored for delegates unless false. */
  ignoreVrrpForDelegates?: boolean;
  /** Watched addresses one MAC must answer for to be taken for proxy ARP (proxy-watch.ts); 0: off. */
  proxyThreshold?: number;
  /** Interfaces whose network the operator declared proxied (the fabric answers ARP). */
  proxiedNetworks?: string[];
  /** Period of the per-episode frame summary. */
  summaryIntervalMs?: number;
  random: Random;
  transmit: (t: AnyTransmission) => SendOutcome;
  /** Several frames of one drain at once (one outcome per frame, in order); absent: transmit() each. */
  transmitBatch?: (ts: AnyTransmission[]) => SendOutcome[];
}

/** What handleFrame made of a frame (for counters and tests). */
export type FrameVerdict = 'claim' | 'answer' | 'probe' | 'own' | 'ignored' | 'unwatched' | 'late' | 'proxied';

export interface Entry {
  key: string;
  ip: IpAddress;
  label: string;
  ifname: string;
  role: Role;
  /** Replaced, never changed in place (macSet): most addresses share one empty set. */
  allowedMacs: ReadonlySet<Mac>;
  alive: boolean;
  machine: HeldMachine | DelegateMachine;
  tally: Tally;
  episodeStart: number | null;
  /** The last MAC known to hold the address (this host's, while it holds it). */
  lastHolder: Mac | null;
  /** A delegate held elsewhere on an interface with no address of its own to ask from: not probed, only listened for. */
  passive: boolean;
  /** An own IPv6 address the kernel marked dadfailed: another host has it; probed only with ordinary NSs, never announced. */
  dadFailed: boolean;
  // probing
  probeDueAt: number;
  lastProbeAt: number | null;
  roundOpen: boolean;
  evaluateAt: number;
  /**
   * The open round's evaluation is on the timer heap. A round of a held address in `ok` gets
   * none when its probe goes out (its end would change nothing), only when a frame about the
   * address arrives before `evaluateAt` (detector.ts `roundCounts`).
   */
  evaluationTimed: boolean;
  // announcing
  announceDueAt: number;
  /** The unaligned time the announcement was due: the next one is reckoned from it, so rounding to the grid never adds up. */
  announceIdealAt: number;
}

export interface Iface {
  name: string;
  mac: Mac;
  up: boolean;
  queue: SendQueue<Entry>;
  entries: Map<IpAddress, Entry>;
  /** The interface's own IPv4 addresses (senders of ordinary requests) and the delegates among its entries. */
  addresses: readonly HostAddress[];
  delegates: Set<IpAddress>;
  /** The usable IPv6 link-local address: the source of ordinary NSs (null: IPv6 delegates held elsewhere are only listened for). */
  linkLocal: Ipv6 | null;
  /** Smoothed time between two probes of the same address: the real round length. */
  roundMs: number;
  capped: boolean;
}

/** A new interface record: no entries yet, the round length the probe interval. */
export function newIface(ifc: WatchedInterface, opts: { maxSendRate: number; probeIntervalMs: number }): Iface {
  return { name: ifc.name, mac: ifc.mac, up: ifc.up, queue: new SendQueue<Entry>(opts.maxSendRate), entries: new Map(), addresses: ifc.hostAddresses, delegates: new Set(), linkLocal: ifc.linkLocal ?? null, roundMs: opts.probeIntervalMs, capped: false };
}

export interface IfaceStatus {
  name: string;
  mac: Mac;
  up: boolean;
  addresses: number;
  roundMs: number;
  capped: boolean;
}

export const ifaceStatus = (i: Iface): IfaceStatus => ({ name: i.name, mac: i.mac, up: i.up, addresses: i.entries.size, roundMs: i.roundMs, capped: i.capped });

export type Timer =
  | { kind: 'probe' | 'evaluate' | 'announce'; entry: Entry; at: number }
  | { kind: 'flush'; iface: Iface; at: number }
  | { kind: 'summary'; at: number };

const NO_MACS: ReadonlySet<Mac> = new Set<Mac>();

/** The set of a spec's allowed MACs; the one shared empty set when it has none (4,096 delegates, 4,096 empty Sets otherwise). */
export const macSet = (macs: readonly Mac[]): ReadonlySet<Mac> => (macs.length ? new Set(macs) : NO_MACS);

export const keyOf = (ifname: string, ip: IpAddress) => `${ifname}/${formatAddress(ip)}`;
export const isEpisodeState = (s: AddressState): s is 'conflict' | 'split-brain' => s === 'conflict' || s === 'split-brain';

export function snapshotOf(entry: Entry): EntrySnapshot {
  const m = entry.machine;
  return {
    address: entry.label,
    ip: entry.ip,
    interface: entry.ifname,
    role: entry.role,
    held: m.role === 'held',
    state: m.state,
    macs: m.macs.snapshot(),
    holders: m.role === 'delegate' ? m.holders.slice() : [],
    unexpectedHolder: m.role === 'delegate' && m.unexpectedHolder,
    lastProbe: entry.lastProbeAt,
    episodeStart: entry.episodeStart,
    macOverflow: entry.tally.macOverflow,
    ...(entry.passive ? { passive: true } : {}),
  };
}

/** The episode of the entry's current MACs. */
export function episodeOf(entry: Entry, kind: 'conflict' | 'split-brain', start: number): Episode {
  return { address: entry.label, interface: entry.ifname, role: entry.role, kind, start, macs: entry.machine.macs.macs() };
}

/** A newly watched address: its role's machine at unknown, its first probe due at `firstProbe`. */
export function newEntry(key: string, spec: WatchSpec, firstProbe: number): Entry {
  const tally = newTally();
  return {
    key,
    ip: spec.address,
    label: formatAddress(spec.address),
    ifname: spec.ifname,
    role: spec.role,
    allowedMacs: macSet(spec.allowedMacs),
    alive: true,
    machine: spec.held ? newHeldMachine(tally) : newDelegateMachine(tally),
    tally,
    episodeStart: null,
    lastHolder: null,
    passive: false,
    dadFailed: spec.dadFailed === true,
    probeDueAt: firstProbe,
    lastProbeAt: null,
    roundOpen: false,
    evaluateAt: 0,
    evaluationTimed: false,
    announceDueAt: 0,
    announceIdealAt: 0,
  };
}

/** Frames per second an interface needs: one probe per address per interval, plus announcements of held ones. */
export function sendsPerSecond(iface: Iface, opts: { probeIntervalMs: number; announceIntervalMs: number }): number {
  let perSecond = (iface.entries.size * 1000) / opts.probeIntervalMs;
  if (opts.announceIntervalMs > 0) {
    let held = 0;
    for (const e of iface.entries.values()) if (e.machine.role === 'held') held++;
    perSecond += (held * 1000) / opts.announceIntervalMs;
  }
  return perSecond;
}

/** The per-episode frame summaries due now (one per address in an episode that saw frames); resets the counts. */
export function summaryEvents(entries: Iterable<Entry>, now: number): DetectorEvent[] {
  const out: DetectorEvent[] = [];
  for (const entry of entries) {
    const t = entry.tally;
    if (t.framesSinceSummary > 0 && isEpisodeState(entry.machine.state)) {
      out.push({ type: 'summary', at: now, entry: snapshotOf(entry), frames: t.framesSinceSummary, overflow: t.overflowSinceSummary });
    }
    t.framesSinceSummary = t.overflowSinceSummary = 0;
  }
  return out;
}

/** The send-capped report when the send cap cannot fit one probe per address per interval, else null. */
export function sendCapped(iface: Iface, opts: { probeIntervalMs: number; announceIntervalMs: number; maxSendRate: number }, now: number): DetectorEvent | null {
  const [n, perSecond, cap] = [iface.entries.size, sendsPerSecond(iface, opts), opts.maxSendRate];
  if (perSecond <= cap) return null;
  return { type: 'send-capped', at: now, interface: iface.name, addresses: n, neededPerSecond: Math.round(perSecond * 10) / 10, cap, roundMs: Math.round((n * 1000) / cap) };
}

/** A MAC never counted for `entry`: the ignore list, and VRRP virtual MACs of its family for delegates (unless configured otherwise). */
export function ignoredMac(entry: Entry, mac: Mac, ignoreMacs: ReadonlySet<Mac>, ignoreVrrpForDelegates: boolean): boolean {
  if (ignoreMacs.has(mac)) return true;
  if (entry.role !== 'delegate' || !ignoreVrrpForDelegates) return false;
  return typeof entry.ip === 'number' ? isVrrpMac(mac) : isVrrp6Mac(mac);
}

/** Applies a state change a machine decided (`enter`) and returns its report with the episode it begins or ends; null when no change. */
export function transitionOf(entry: Entry, to: AddressState, enter: () => void, now: number, reason: string): DetectorEvent | null {
  const from = entry.machine.state;
  if (from === to) return null;
  let episode: Episode | undefined;
  if (isEpisodeState(from) && entry.episodeStart !== null) episode = { ...episodeOf(entry, from, entry.episodeStart), end: now };
  enter();
  entry.episodeStart = isEpisodeState(to) ? now : null;
  if (isEpisodeState(to)) episode = episodeOf(entry, to, now);
  return { type: 'state', at: now, entry: snapshotOf(entry), from, to, reason, ...(episode ? { episode } : {}) };
}
