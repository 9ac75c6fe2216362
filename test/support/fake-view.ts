/** A DaemonView with fixed contents, for metrics, control socket and status tests. */
import { parseAddress } from '../../src/core/address.js';
import type { EntrySnapshot, MacSighting } from '../../src/core/events.js';
import type { ProxyFinding } from '../../src/core/proxy-watch.js';
import { FAULT_PLACES, type DaemonView, type FaultPlace } from '../../src/daemon/observer.js';

/** Detector times are monotonic ms; this view maps them to wall-clock by adding OFFSET. */
export const OFFSET = 1_700_000_000_000;
export const MAC0 = '02:00:00:00:00:01';
export const MAC1 = '02:00:00:00:01:01';

export function sighting(mac: string, at = 1000): MacSighting {
  return { mac, firstSeen: at, lastSeen: at, frames: 1 };
}

export function entry(p: Partial<EntrySnapshot> & { address: string }): EntrySnapshot {
  return {
    ip: parseAddress(p.address)!,
    interface: 'eth0',
    role: 'own',
    held: true,
    state: 'ok',
    macs: [],
    holders: [],
    unexpectedHolder: false,
    lastProbe: 5000,
    episodeStart: null,
    macOverflow: 0,
    ...p,
  };
}

export type ViewInterface = ReturnType<DaemonView['interfaces']>[number];

export function iface(p: Partial<ViewInterface> & { name: string }): ViewInterface {
  return { ifindex: 2, mac: MAC0, up: true, hostAddresses: [], socketOpen: true, addresses: 1, roundMs: 10_000, capped: false, ...p };
}

export class FakeView implements DaemonView {
  startedAt = OFFSET;
  isHealthy = true;
  /** ARP-capable interfaces of the host that dupip does not monitor. */
  unmonitored: Array<{ name: string; mac: string; kind?: string; scope?: 'network' | 'host' }> = [];
  /** Isolated exceptions by place (the others read 0). */
  faults: Partial<Record<FaultPlace, number>> = {};
  /** MACs answering ARP for the subnet (proxy ARP, fabrics). */
  proxyFindings: ProxyFinding[] = [];
  constructor(
    public entries: EntrySnapshot[],
    public ifaces: ViewInterface[],
  ) {}
  addresses(): EntrySnapshot[] {
    return this.entries.map((e) => ({ ...e, macs: e.macs.map((m) => ({ ...m })), holders: [...e.holders] }));
  }
  interfaces(): ViewInterface[] {
    return this.ifaces.map((i) => ({ ...i }));
  }
  hostInterfaces(): Array<{ name: string; mac: string; kind?: string; scope?: 'network' | 'host' }> {
    return [...this.ifaces.map((i) => ({ name: i.name, mac: i.mac, kind: 'physical', scope: i.scope ?? 'network' })), ...this.unmonitored];
  }
  probeIntervalMs(): number {
    return 10_000;
  }
  lastProbeSentAt(): number | null {
    return OFFSET + 5000;
  }
  healthy(): boolean {
    return this.isHealthy;
  }
  toWallClock(t: number): number {
    return t + OFFSET;
  }
  proxies(): ProxyFinding[] {
    return this.proxyFindings.map((p) => ({ ...p, addresses: [...p.addresses] }));
  }
  internalErrors(): Array<{ where: FaultPlace; count: number }> {
    return FAULT_PLACES.map((where) => ({ where, count: this.faults[where] ?? 0 }));
  }
}
