/**
 * Where the daemon's flow ends: frames → codec → detector → events → observers (log, metrics,
 * journal, status). Observers only watch; they never feed back into the detector.
 */
import type { InvalidReason } from '../core/arp.js';
import type { DetectorEvent, EntrySnapshot } from '../core/events.js';
import type { WatchedInterface } from '../core/watchlist.js';

export type SendErrorReason = 'dropped' | 'interface-down' | 'error';

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
}

export interface Observer {
  /** Called once, when the daemon has opened its sockets. */
  attach?(view: DaemonView): void | Promise<void>;
  event?(e: DetectorEvent): void;
  framesReceived?(ifname: string, count: number): void;
  frameInvalid?(ifname: string, reason: InvalidReason): void;
  sendError?(ifname: string, reason: SendErrorReason): void;
  /** Closing: flush what must survive (journal) and release resources. */
  close?(): void | Promise<void>;
}
