/**
 * Where the daemon's flow ends: frames → codec → detector → events → observers (log, metrics,
 * journal, status). Observers only watch; they never feed back into the detector.
 */
import type { InvalidReason } from '../core/arp.js';
import type { NdInvalidReason } from '../core/ndp.js';
import type { DetectorEvent, EntrySnapshot } from '../core/events.js';
import type { ProxyFinding } from '../core/proxy-watch.js';
import type { WatchedInterface } from '../core/watchlist.js';

export type SendErrorReason = 'dropped' | 'interface-down' | 'error';

/**
 * Where an exception was caught and isolated (src/daemon/guard.ts): the label values of
 * dupip_internal_errors_total{where}, a fixed set.
 *   frames   handling a received frame batch     timer    the detector's timer
 *   netlink  an rtnetlink change notification    refresh  re-reading the host, applying the watch list
 *   control  a control socket request            http     an HTTP request
 *   journal, metrics, log  those observers       observer any other observer
 */
export const FAULT_PLACES = ['frames', 'timer', 'netlink', 'refresh', 'control', 'http', 'journal', 'metrics', 'log', 'observer'] as const;
export type FaultPlace = (typeof FAULT_PLACES)[number];

export interface DaemonView {
  /** Monitored addresses, now. */
  addresses(): EntrySnapshot[];
  /** Monitored interfaces with link state, socket state and probe round figures. */
  interfaces(): Array<WatchedInterface & { socketOpen: boolean; addresses: number; roundMs: number; capped: boolean }>;
  /**
   * Every ARP-capable interface of the host with its MAC, monitored or not: a conflicting MAC that
   * is one of them can be traced to this host from another host's alert. `kind` is what the link
   * is (physical, bridge, bond, vlan, stacked, veth, tun, virtual; src/core/watchlist.ts LinkKind),
   * `scope` whether it faces the network or is host-internal (containers, VMs).
   */
  hostInterfaces(): Array<{ name: string; mac: string; kind?: string; scope?: 'network' | 'host' }>;
  /** The configured probe interval (before jitter). */
  probeIntervalMs(): number;
  /** Wall-clock milliseconds of the newest probe sent (null before the first). */
  lastProbeSentAt(): number | null;
  /** True while every monitored, up interface has an open socket and probes are going out. */
  healthy(): boolean;
  /** Wall-clock start of the daemon. */
  startedAt: number;
  /** Converts a detector time (monotonic ms) to wall-clock ms since the epoch. */
  toWallClock(t: number): number;
  /** Exceptions caught and isolated so far, for every place (0 included). */
  internalErrors?(): Array<{ where: FaultPlace; count: number }>;
  /** MACs answering ARP for the subnet (proxy ARP, cloud fabrics), per interface; detector times. */
  proxies?(): ProxyFinding[];
}

/**
 * Why a well-formed frame was left out of detection. 'vlan-tagged': it still carried an 802.1Q tag
 * of another VLAN (no VLAN device here consumed it); the same address there is not a duplicate.
 */
export const IGNORED_REASONS = ['vlan-tagged'] as const;
export type IgnoredReason = (typeof IGNORED_REASONS)[number];

export interface Observer {
  /** The place an exception thrown by this observer is counted under (default 'observer'). */
  readonly where?: FaultPlace;
  /** Called once, when the daemon has opened its sockets. */
  attach?(view: DaemonView): void | Promise<void>;
  event?(e: DetectorEvent): void;
  framesReceived?(ifname: string, count: number): void;
  /** Frames the kernel dropped on this interface's socket since the last call (its receive queue was full). */
  framesDropped?(ifname: string, count: number): void;
  frameInvalid?(ifname: string, reason: InvalidReason | NdInvalidReason): void;
  frameIgnored?(ifname: string, reason: IgnoredReason): void;
  sendError?(ifname: string, reason: SendErrorReason): void;
  /** Closing: flush what must survive (journal) and release resources. */
  close?(): void | Promise<void>;
}
