/**
 * The daemon's picture of the host's interfaces, kept current in proportion to what changes: a
 * netlink batch naming interfaces re-reads those interfaces only (a few sysfs files each) and
 * applies address notifications as they come; only a lost batch, a reload or the safety poll
 * re-reads the whole host. A veth or tun/tap is taken from its NEWLINK message alone (it has no
 * device and is stacked on nothing, so the message says all sysfs would): a container coming or
 * going costs no file read. Counts what changed, for the daemon's churn summary.
 */
import { ZERO_MAC } from '../core/mac.js';
import { type HostInterface, type LinkKind, type WatchList, matchesInterface } from '../core/watchlist.js';
import type { DaemonConfig } from '../config/index.js';
import type { HostChanges, LinkMessage } from '../platform/netlink.js';

export type LinkFacts = Omit<HostInterface, 'addresses' | 'defaultRoute'>;

export interface HostViewDeps {
  readHost: () => HostInterface[];
  /** One interface's link facts; without it every change re-reads the host (fakes in tests). */
  readInterface?: ((name: string) => LinkFacts | null) | undefined;
  /** Names of the interfaces with an IPv4 default route. */
  readDefaultRoutes?: (() => Set<string>) | undefined;
}

export interface ChurnCounts {
  linksAdded: number;
  linksRemoved: number;
  linksChanged: number;
  addressChanges: number;
  fullReads: number;
  /** links re-read from sysfs (the rest were taken from their rtnetlink message) */
  linkReads: number;
}

export const zeroChurn = (): ChurnCounts => ({ linksAdded: 0, linksRemoved: 0, linksChanged: 0, addressChanges: 0, fullReads: 0, linkReads: 0 });

/** Link kinds (IFLA_INFO_KIND) whose NEWLINK says everything sysfs would: no device, no lower links. */
const MESSAGE_KINDS = new Map<string, LinkKind>([
  ['veth', 'veth'],
  ['tun', 'tun'],
]);
/** Touched names kept between two derivations at most (default settings skip most churn without a derivation). */
const MAX_TOUCHED = 4096;
const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_NOARP = 0x80;

/**
 * A link's facts from its NEWLINK message, as src/platform/interfaces.ts readInterface() would
 * read them from sysfs; null when the message cannot tell (a NIC, a bridge, a VLAN, …: those are
 * read), or names a master not known yet.
 */
export function linkFactsOf(ifindex: number, name: string, m: LinkMessage, masterName: string | undefined): LinkFacts | null {
  const kind = m.kind === null ? undefined : MESSAGE_KINDS.get(m.kind);
  if (kind === undefined || (m.master !== 0 && masterName === undefined)) return null;
  // IF_OPER_NOTPRESENT (1), DOWN (2), LOWERLAYERDOWN (3): down whatever the admin state.
  const down = m.operstate >= 1 && m.operstate <= 3;
  return {
    name,
    ifindex,
    mac: m.mac ?? ZERO_MAC,
    up: (m.flags & IFF_UP) !== 0 && !down,
    loopback: (m.flags & IFF_LOOPBACK) !== 0,
    noArp: (m.flags & IFF_NOARP) !== 0,
    kind,
    device: false,
    master: m.master !== 0 ? masterName! : null,
    lowers: [],
  };
}

export class HostView {
  private readonly byIndex = new Map<number, HostInterface>();
  private readonly byName = new Map<string, number>();
  /** How many links name each link as their master or a lower link (hasUpper without a scan). */
  private readonly uppers = new Map<string, number>();
  private cached: HostInterface[] | null = [];
  /** Names touched since takeTouched(); null after a full read (or too many to keep: then as after one). */
  private touchedNames: Set<string> | null = null;
  readonly churn: ChurnCounts = zeroChurn();

  constructor(private readonly deps: HostViewDeps) {}

  private count(ifc: HostInterface, by: 1 | -1): void {
    const below = ifc.master ? [...(ifc.lowers ?? []), ifc.master] : (ifc.lowers ?? []);
    for (const name of below) {
      const n = (this.uppers.get(name) ?? 0) + by;
      if (n > 0) this.uppers.set(name, n);
      else this.uppers.delete(name);
    }
  }

  private set(ifc: HostInterface): void {
    const old = this.byIndex.get(ifc.ifindex);
    if (old) {
      if (old.name !== ifc.name && this.byName.get(old.name) === ifc.ifindex) this.byName.delete(old.name);
      this.count(old, -1);
    }
    this.byIndex.set(ifc.ifindex, ifc);
    this.byName.set(ifc.name, ifc.ifindex);
    this.count(ifc, 1);
  }

  private remove(ifindex: number): void {
    const old = this.byIndex.get(ifindex);
    if (!old) return;
    this.byIndex.delete(ifindex);
    if (this.byName.get(old.name) === ifindex) this.byName.delete(old.name);
    this.count(old, -1);
  }

  /** The current interfaces (the same array until something changes). */
  interfaces(): HostInterface[] {
    if (!this.cached) this.cached = [...this.byIndex.values()].sort((a, b) => a.ifindex - b.ifindex);
    return this.cached;
  }

  /** Re-reads the whole host. */
  readAll(): HostInterface[] {
    const fresh = this.deps.readHost(); // throws (EMFILE...) before anything is lost: the last good view stays
    this.byIndex.clear();
    this.byName.clear();
    this.uppers.clear();
    for (const i of fresh) this.set(i);
    this.cached = null;
    this.touchedNames = null;
    this.churn.fullReads++;
    return this.interfaces();
  }

  /**
   * Applies one (coalesced) batch of notifications; returns whether anything may have changed, and
   * the interfaces it touched (before and after), or null after a full read.
   */
  apply(c: HostChanges): { changed: boolean; touched: HostInterface[] | null } {
    const { readInterface, readDefaultRoutes } = this.deps;
    if (c.lost || !readInterface || !readDefaultRoutes) {
      this.readAll();
      return { changed: true, touched: null };
    }
    const touched: HostInterface[] = [];
    for (const i of c.links.keys()) {
      const old = this.byIndex.get(i);
      if (old) touched.push(old);
    }
    let changed = false;
    let routes = c.defaultRoute;
    for (const [ifindex, l] of c.links) {
      const old = this.byIndex.get(ifindex);
      if (old?.defaultRoute) routes = true; // the kernel drops routes of a link going down without telling
      if (l.deleted) {
        if (old) {
          this.remove(ifindex);
          this.churn.linksRemoved++;
          changed = true;
        }
        continue;
      }
      const name = l.name ?? old?.name;
      const m = l.message;
      let fresh = name && m ? linkFactsOf(ifindex, name, m, m.master !== 0 ? this.byIndex.get(m.master)?.name : undefined) : null;
      if (!fresh && name) {
        fresh = readInterface(name);
        this.churn.linkReads++;
      }
      if (!fresh || fresh.ifindex !== ifindex) {
        // Gone again already, or the name moved on: the message is stale. If the name is now
        // another link's, that link's own notification follows (or is in this batch).
        if (old) {
          this.remove(ifindex);
          this.churn.linksRemoved++;
          changed = true;
        }
        continue;
      }
      const other = this.byName.get(fresh.name);
      if (other !== undefined && other !== ifindex) this.remove(other); // the name's previous link is gone
      const now = { ...fresh, addresses: old?.addresses ?? [], defaultRoute: old?.defaultRoute ?? false };
      this.set(now);
      touched.push(now);
      if (old) this.churn.linksChanged++;
      else this.churn.linksAdded++;
      changed = true;
    }
    for (const a of c.addresses) {
      const ifc = this.byIndex.get(a.ifindex);
      if (!ifc) continue; // its link is gone (a DELADDR after DELLINK) or its NEWLINK is still to come and brings a read
      const rest = ifc.addresses.filter((x) => x.address !== a.address);
      const addresses = a.deleted ? rest : [...rest, { address: a.address, prefixLength: a.prefixLength }];
      const now = { ...ifc, addresses };
      this.set(now);
      touched.push(ifc, now);
      this.churn.addressChanges++;
      changed = true;
    }
    if (routes) {
      const names = readDefaultRoutes();
      for (const ifc of this.byIndex.values()) {
        const d = names.has(ifc.name);
        if (d !== (ifc.defaultRoute ?? false)) {
          const now = { ...ifc, defaultRoute: d };
          this.set(now);
          touched.push(ifc, now);
          changed = true;
        }
      }
    }
    if (changed) this.cached = null;
    if (this.touchedNames) for (const i of touched) this.touchedNames.add(i.name);
    if ((this.touchedNames?.size ?? 0) > MAX_TOUCHED) this.touchedNames = null;
    return { changed, touched };
  }

  /**
   * The names of the interfaces changed since the last call (before and after: a rename names
   * both), or null when the whole host was re-read since (or more changed than is worth tracking).
   */
  takeTouched(): Set<string> | null {
    const t = this.touchedNames;
    this.touchedNames = new Set();
    return t;
  }

  /** One interface by name. */
  get(name: string): HostInterface | undefined {
    const i = this.byName.get(name);
    return i === undefined ? undefined : this.byIndex.get(i);
  }

  /** One interface by ifindex. */
  byIfindex(ifindex: number): HostInterface | undefined {
    return this.byIndex.get(ifindex);
  }

  /** Whether some interface is stacked on `name` (lists it among its lower links). */
  hasUpper(name: string): boolean {
    return this.uppers.has(name);
  }
}

/** Merges batch `b` into `a` (coalescing a burst into one piece of work). */
export function mergeChanges(a: HostChanges, b: HostChanges): HostChanges {
  for (const [i, l] of b.links) {
    const prev = a.links.get(i);
    const name = l.name ?? prev?.name ?? null;
    a.links.set(i, l.message && !l.deleted ? { name, deleted: false, message: l.message } : { name, deleted: l.deleted });
  }
  a.addresses.push(...b.addresses);
  a.defaultRoute ||= b.defaultRoute;
  a.lost ||= b.lost;
  if (b.ipv6) a.ipv6 = true;
  if (b.ipv6LinkLocal) (a.ipv6LinkLocal ??= []).push(...b.ipv6LinkLocal);
  a.malformed += b.malformed;
  return a;
}

/**
 * True when a change to `ifc` cannot change the watch list: it is host-internal by its own facts
 * (no device, no default route, stacked on nothing, nothing stacked on it), not watched, not named
 * in `interfaces`, holds no delegate, and some link faces the network (else all are watched).
 */
export function cannotMatter(ifc: HostInterface, c: Pick<DaemonConfig, 'interfaces' | 'delegates'>, list: WatchList, view: HostView): boolean {
  if (!list.uplinkFound) return false;
  if (ifc.device || ifc.defaultRoute || (ifc.lowers?.length ?? 0) > 0 || ifc.kind === undefined) return false;
  if (ifc.kind === 'bridge' || ifc.kind === 'bond') return false; // its ports decide; re-derive
  if (c.interfaces.some((p) => matchesInterface(p, ifc.name))) return false;
  if (list.watching ? list.watching(ifc.name, ifc.ifindex) : list.interfaces.some((w) => w.name === ifc.name || w.ifindex === ifc.ifindex)) return false;
  if (c.delegates.length > 0 && ifc.addresses.some((a) => c.delegates.some((d) => d.address === a.address))) return false;
  if (ifc.master && list.scopes?.get(ifc.master) === 'network') return false; // a port of the uplink's bridge
  return !view.hasUpper(ifc.name);
}
