/**
 * The detector's records: one Entry per watched address on one interface (its machine and its
 * schedule), one Iface per interface, and how they are reported (snapshots, episodes).
 */
import type { ArpFrame } from './arp.js';
import { type DelegateMachine, newDelegateMachine } from './delegate-machine.js';
import type { AddressState, DetectorEvent, EntrySnapshot, Episode, FrameKind, SendOutcome } from './events.js';
import { type HeldMachine, newHeldMachine } from './held-machine.js';
import { type Ipv4, formatIpv4 } from './ipv4.js';
import { type Mac, isVrrpMac } from './mac.js';
import type { SendQueue } from './send-queue.js';
import { type Tally, newTally } from './sightings.js';
import type { Random } from './timing.js';
import type { HostAddress, Role, WatchSpec } from './watchlist.js';

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
  /** Watched addresses one MAC must answer for to be taken for proxy ARP (proxy-watch.ts); 0: off. */
  proxyThreshold?: number;
  /** Interfaces whose network the operator declared proxied (the fabric answers ARP). */
  proxiedNetworks?: string[];
  /** Period of the per-episode frame summary. */
  summaryIntervalMs?: number;
  random: Random;
  transmit: (t: Transmission) => SendOutcome;
}

/** What handleFrame made of a frame (for counters and tests). */
export type FrameVerdict = 'claim' | 'answer' | 'probe' | 'own' | 'ignored' | 'unwatched' | 'late' | 'proxied';

export interface Entry {
  key: string;
  ip: Ipv4;
  label: string;
  ifname: string;
  role: Role;
  allowedMacs: Set<Mac>;
  alive: boolean;
  machine: HeldMachine | DelegateMachine;
  tally: Tally;
  episodeStart: number | null;
  /** The last MAC known to hold the address (this host's, while it holds it). */
  lastHolder: Mac | null;
  /** A delegate held elsewhere on an interface with no IPv4 address of its own: not probed, only listened for. */
  passive: boolean;
  // probing
  probeDueAt: number;
  lastProbeAt: number | null;
  roundOpen: boolean;
  evaluateAt: number;
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
  entries: Map<Ipv4, Entry>;
  /** The interface's own IPv4 addresses (senders of ordinary requests) and the delegates among its entries. */
  addresses: readonly HostAddress[];
  delegates: Set<Ipv4>;
  /** Smoothed time between two probes of the same address: the real round length. */
  roundMs: number;
  capped: boolean;
}

export type Timer =
  | { kind: 'probe' | 'evaluate' | 'announce'; entry: Entry; at: number }
  | { kind: 'flush'; iface: Iface; at: number }
  | { kind: 'summary'; at: number };

export const keyOf = (ifname: string, ip: Ipv4) => `${ifname}/${formatIpv4(ip)}`;
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
    label: formatIpv4(spec.address),
    ifname: spec.ifname,
    role: spec.role,
    allowedMacs: new Set(spec.allowedMacs),
    alive: true,
    machine: spec.held ? newHeldMachine(tally) : newDelegateMachine(tally),
    tally,
    episodeStart: null,
    lastHolder: null,
    passive: false,
    probeDueAt: firstProbe,
    lastProbeAt: null,
    roundOpen: false,
    evaluateAt: 0,
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

/** A MAC never counted for `entry`: the ignore list, and VRRP virtual MACs for delegates (unless configured otherwise). */
export function ignoredMac(entry: Entry, mac: Mac, ignoreMacs: ReadonlySet<Mac>, ignoreVrrpForDelegates: boolean): boolean {
  return ignoreMacs.has(mac) || (entry.role === 'delegate' && ignoreVrrpForDelegates && isVrrpMac(mac));
}
