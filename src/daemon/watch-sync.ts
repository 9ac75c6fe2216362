/**
 * Keeps the detector, the ARP and ND sockets and their kernel filters in step with the watch list,
 * in proportion to what changed (issue 11): after a netlink batch that touched a few interfaces,
 * only those are re-derived (core/watchlist-incremental.ts), and only the ones whose part changed
 * reach the detector (setInterfaceWatch), their socket and their filter. A full derivation is for
 * the start, a reload, a full re-read of the host, proxy canaries (planned across interfaces) and changes that may move link scopes (a NIC, a
 * bridge with ports, a default route): the incremental list declines those.
 */
import type { Detector } from '../core/detector.js';
import type { Ipv4 } from '../core/ipv4.js';
import { planCanaries } from '../core/proxy-watch.js';
import { IncrementalWatchList } from '../core/watchlist-incremental.js';
import type { HostInterface, WatchList } from '../core/watchlist.js';
import type { DaemonConfig } from '../config/index.js';
import type { ChurnLog } from './churn-log.js';
import type { HostView } from './host-view.js';
import { type NdSockets, ipv6Policy } from './nd-sockets.js';
import type { SocketSet } from './socket-set.js';

export interface WatchSyncDeps {
  detector: Detector;
  sockets: SocketSet;
  nd: NdSockets | null;
  hostView: HostView;
  churnLog: ChurnLog;
  now: () => number;
}

const EMPTY: WatchList = { interfaces: [], specs: [], ownMacs: [], problems: [] };

export class WatchSync {
  private derived: IncrementalWatchList | null = null;
  private config: DaemonConfig | null = null;
  private listKey = '';
  /** Proxy canaries per interface (their addresses pass the kernel filter too). */
  private canaryKeys: ReadonlyMap<string, string> = new Map();

  constructor(private readonly deps: WatchSyncDeps) {}

  /** The watch list now (built on demand after an incremental change). */
  get list(): WatchList {
    return this.derived?.list ?? EMPTY;
  }

  /** The IPv4 addresses the host holds now, on any interface (a live set). */
  get held(): ReadonlySet<Ipv4> {
    return this.derived?.held ?? new Set();
  }

  /** One interface's link scope (for the log: churn of host-internal links goes to the summary). */
  scopeOf(name: string): 'network' | 'host' | undefined {
    return this.derived?.scopeOf(name);
  }

  /** The host's interfaces with their IPv6 addresses, the whole of it (a full derivation). */
  host(): HostInterface[] {
    const { hostView, nd } = this.deps;
    return nd ? nd.withIpv6(hostView.interfaces()) : hostView.interfaces();
  }

  private lookup(name: string): HostInterface | undefined {
    const i = this.deps.hostView.get(name);
    return i && this.deps.nd ? { ...i, ipv6: this.deps.nd.ipv6Of(i.ifindex) } : i;
  }

  /** After the host view changed: the touched interfaces only where that suffices, else everything. */
  sync(config: DaemonConfig): void {
    const touched = this.deps.hostView.takeTouched();
    // IPv6 address changes (a veth's link-local address comes with it) touch their interfaces too.
    for (const i of this.deps.nd?.takeTouched() ?? []) {
      const name = this.deps.hostView.byIfindex(i)?.name;
      if (name !== undefined) touched?.add(name);
    }
    const canIncrement = this.derived && config === this.config && touched && config.proxyCanaries.length === 0;
    if (canIncrement && this.increment(this.derived!, touched)) return;
    this.full(config);
  }

  private increment(derived: IncrementalWatchList, touched: Set<string>): boolean {
    const { detector, hostView } = this.deps;
    const changed = derived.update(touched, (n) => this.lookup(n), (n) => hostView.hasUpper(n));
    if (!changed) return false;
    const now = this.deps.now();
    for (const [name, before] of changed) {
      const part = derived.part(name);
      this.deps.churnLog.interfaceProblems(before.problems, part.problems, now);
      detector.setInterfaceWatch(name, part.watched, part.specs, now, derived.ownMacs);
      this.deps.sockets.syncInterface(name, part.watched);
      this.deps.nd?.syncInterface(name, part.watched);
    }
    if (changed.size) this.listKey = ''; // the next full derivation compares with nothing stale
    return true;
  }

  private full(config: DaemonConfig): void {
    const c = config;
    const host = this.host();
    // What the sockets were synced to, read now: the list's fields are built on demand, from the state then.
    const { interfaces, specs } = this.list;
    const previous: WatchList = { ...EMPTY, interfaces, specs };
    const watch = { interfaces: c.interfaces, excludeInterfaces: c.excludeInterfaces, ownAddresses: c.ownAddresses, excludeAddresses: c.excludeAddresses, delegates: c.delegates, ipv6: ipv6Policy(c) };
    const derived = (this.derived ??= new IncrementalWatchList(watch));
    derived.reset(host, watch);
    this.config = config;
    const list = derived.list;
    const canaries = planCanaries(c.proxyCanaries, host, list.interfaces.map((i) => i.name));
    const key = JSON.stringify([list.interfaces, list.specs, list.ownMacs, canaries.canaries]);
    const previousCanaries = this.canaryKeys;
    const canaryKeys = new Map<string, string>();
    for (const k of canaries.canaries) canaryKeys.set(k.ifname, `${canaryKeys.get(k.ifname) ?? ''}|${k.address}`);
    this.canaryKeys = canaryKeys;
    const now = this.deps.now();
    this.deps.churnLog.problems([...list.problems, ...canaries.problems], now);
    if (key === this.listKey) return;
    this.listKey = key;
    const { detector } = this.deps;
    detector.setWatchList(list, now, derived.ownMacs);
    detector.proxies.setCanaries(canaries.canaries, now);
    this.deps.sockets.syncSockets(previous, list, previousCanaries, this.canaryKeys);
    this.deps.nd?.sync(list);
  }
}
