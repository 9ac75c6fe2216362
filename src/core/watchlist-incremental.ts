/**
 * The watch list kept per interface, so that a change to one interface costs work for that
 * interface only (issue 11: a container host replaces veths all day, and with `interfaces:` naming
 * them every one is watched). Pure, like watchlist.ts, whose helpers it shares: reset() derives
 * everything from the whole host, update() re-derives only the interfaces named as touched and
 * says which of them now watch something else.
 *
 * Locality: an interface's part of the list depends on its own facts and on its link scope. A
 * touched interface whose facts, before and after, make it face nothing (no device, no default
 * route, stacked on nothing, nothing stacked on it or enslaved to it: a veth, a tap) cannot move
 * any other interface's scope, nor whether an uplink exists; anything else (a NIC, a bridge with
 * ports, a default route moving, delegates, which may live on any interface) asks for a reset.
 * test/unit/watchlist-incremental.test.ts checks update() against deriveWatchList() after random
 * sequences of changes.
 */
import type { IpAddress } from './address.js';
import type { Ipv4 } from './ipv4.js';
import type { Mac } from './mac.js';
import { DEFAULT_IPV6_POLICY, type Ipv6WatchPolicy } from './watchlist6.js';
import {
  type HostInterface,
  type LinkScope,
  type WatchConfig,
  type WatchList,
  type WatchSpec,
  type WatchedInterface,
  chooseInterface,
  delegateSpecsOf,
  hasV6Delegates,
  ownMacOf,
  ownSpecsOf,
  scopesOf,
  watchedOf,
} from './watchlist.js';

/** One interface's part of the watch list. */
export interface InterfacePart {
  /** The interface as watched; null when it is not. */
  watched: WatchedInterface | null;
  /** Its own addresses watched (delegates are not per interface: with delegates every change resets). */
  specs: WatchSpec[];
  problems: string[];
}

interface Entry {
  part: InterfacePart;
  /** What the detector, the sockets and the filters see of the part: equal keys, nothing to do. */
  key: string;
  ifindex: number;
  /** Its MAC, when the host's own MACs count it (it faces the network or is watched). */
  mac: Mac | null;
  /** Its IPv4 addresses: this host holds them. */
  held: Ipv4[];
  /** By its own facts it faces nothing and nothing is stacked on it (see the header). */
  neutral: boolean;
}

const NONE: InterfacePart = { watched: null, specs: [], problems: [] };

/** A link that, by its own facts, faces nothing and carries nothing: changing it moves no scope. */
function neutralLink(ifc: HostInterface, hasUpper: boolean): boolean {
  return !hasUpper && ifc.device !== true && ifc.defaultRoute !== true && (ifc.lowers?.length ?? 0) === 0 && ifc.kind !== undefined && ifc.kind !== 'bridge' && ifc.kind !== 'bond';
}

export class IncrementalWatchList {
  private readonly entries = new Map<string, Entry>();
  private readonly macCounts = new Map<Mac, number>();
  /** Every MAC of the host that frames are never foreign from (the list's ownMacs, as a live set). */
  readonly ownMacs = new Set<Mac>();
  private readonly heldCounts = new Map<Ipv4, number>();
  /** Every IPv4 address the host holds, on any interface (a live set). */
  readonly held = new Set<Ipv4>();
  private readonly scopes = new Map<string, LinkScope>();
  /** The scopes of the interfaces the latest change removed (what the events of that change are about). */
  private gone = new Map<string, LinkScope>();
  /** The watched interfaces by ifindex. */
  private readonly watchedIndexes = new Map<number, string>();
  private uplinkFound = false;
  private delegates: { specs: WatchSpec[]; problems: string[] } = { specs: [], problems: [] };
  private cached: WatchList | null = null;
  private config!: WatchConfig;
  private named!: ReadonlySet<string>;
  private v6!: Ipv6WatchPolicy;
  private v6Delegates!: boolean;
  private delegateAddresses!: ReadonlySet<IpAddress>;

  constructor(config: WatchConfig) {
    this.configure(config);
  }

  private configure(config: WatchConfig): void {
    this.config = config;
    this.named = new Set(config.interfaces);
    this.v6 = config.ipv6 ?? DEFAULT_IPV6_POLICY;
    this.v6Delegates = hasV6Delegates(config);
    this.delegateAddresses = new Set(config.delegates.map((d) => d.address));
  }

  /** Derives everything from the whole host (with a new configuration, when given); the live sets stay the same objects. */
  reset(host: readonly HostInterface[], config?: WatchConfig): void {
    if (config) this.configure(config);
    this.gone = new Map(this.scopes);
    for (const m of [this.entries, this.macCounts, this.ownMacs, this.heldCounts, this.held, this.scopes, this.watchedIndexes]) m.clear();
    const { scopes, uplinkFound } = scopesOf(host);
    this.uplinkFound = uplinkFound;
    const uppers = new Set<string>();
    for (const i of host) for (const l of i.master ? [i.master, ...(i.lowers ?? [])] : (i.lowers ?? [])) uppers.add(l);
    const present = new Set<string>();
    for (const i of host) {
      present.add(i.name);
      this.put(i.name, i, scopes.get(i.name) ?? 'host', neutralLink(i, uppers.has(i.name)));
    }
    for (const name of this.named) if (!present.has(name)) this.put(name, undefined, 'host', true);
    this.delegates = { specs: [], problems: [] };
    if (this.config.delegates.length) {
      const byIndex = new Map(host.map((i) => [i.ifindex, i]));
      const chosen = this.chosen().map((e) => byIndex.get(e.ifindex)!);
      this.delegates.specs = delegateSpecsOf(this.config, host, chosen, new Set(chosen.map((i) => i.name)), this.delegates.problems);
    }
    this.cached = null;
  }

  /**
   * Re-derives the interfaces named in `touched` from their current facts (`lookup`: undefined for
   * one that is gone). Returns the interfaces whose part changed, with their previous part, or null
   * when the change may reach beyond them (then reset() with the whole host; nothing was changed).
   */
  update(touched: Iterable<string>, lookup: (name: string) => HostInterface | undefined, hasUpper: (name: string) => boolean): Map<string, InterfacePart> | null {
    if (this.config.delegates.length) return null;
    const fresh: Array<[string, HostInterface | undefined]> = [];
    for (const name of touched) {
      const ifc = lookup(name);
      if (this.entries.get(name)?.neutral === false || (ifc && !neutralLink(ifc, hasUpper(name)))) return null;
      fresh.push([name, ifc]);
    }
    const changed = new Map<string, InterfacePart>();
    this.gone = new Map();
    for (const [name, ifc] of fresh) {
      // A neutral link faces nothing: host-internal, unless no link faces the network (then all do).
      const scope: LinkScope = !ifc || ifc.loopback || this.uplinkFound ? 'host' : 'network';
      const before = this.part(name);
      if (this.put(name, ifc, scope, true) && !changed.has(name)) changed.set(name, before);
    }
    if (fresh.length) this.cached = null; // the own MACs or held addresses may have changed with no part
    return changed;
  }

  /** One interface's link scope, or the one it had when the latest change removed it (undefined: not an interface of the host). */
  scopeOf(name: string): LinkScope | undefined {
    return this.scopes.get(name) ?? this.gone.get(name);
  }

  /** One interface's part (NONE when it has none). */
  part(name: string): InterfacePart {
    return this.entries.get(name)?.part ?? NONE;
  }

  /**
   * The whole list, as deriveWatchList() gives it. Its fields are built when first read and kept
   * until the next change: a netlink batch that only asks whether an interface is watched
   * (`watching`) builds none of them. A field first read after a later change is of that change's
   * state: read the fields you keep before changing the list.
   */
  get list(): WatchList {
    if (this.cached) return this.cached;
    const memo = <T>(f: () => T) => {
      let v: T | undefined;
      return () => (v ??= f());
    };
    const chosen = memo(() => this.chosen());
    const interfaces = memo(() => chosen().map((e) => e.part.watched!));
    const specs = memo(() => [...chosen().flatMap((e) => e.part.specs), ...this.delegates.specs]);
    const ownMacs = memo(() => [...this.ownMacs].sort());
    const problems = memo(() => [...[...this.entries.values()].flatMap((e) => e.part.problems), ...this.delegates.problems]);
    const { entries, watchedIndexes } = this;
    this.cached = {
      get interfaces() {
        return interfaces();
      },
      get specs() {
        return specs();
      },
      get ownMacs() {
        return ownMacs();
      },
      get problems() {
        return problems();
      },
      scopes: this.scopes,
      uplinkFound: this.uplinkFound,
      watching: (name, ifindex) => entries.get(name)?.part.watched != null || (ifindex !== undefined && watchedIndexes.has(ifindex)),
    };
    return this.cached;
  }

  /** The watched interfaces: in the configuration's order when named there, else by ifindex. */
  private chosen(): Entry[] {
    if (this.named.size) return [...this.named].map((n) => this.entries.get(n)).filter((e): e is Entry => e?.part.watched != null);
    return [...this.entries.values()].filter((e) => e.part.watched !== null).sort((a, b) => a.ifindex - b.ifindex);
  }

  /** Replaces one interface's entry; returns whether its part changed. */
  private put(name: string, ifc: HostInterface | undefined, scope: LinkScope, neutral: boolean): boolean {
    const old = this.entries.get(name);
    const problems: string[] = [];
    const chosen = chooseInterface(this.config, this.v6, this.v6Delegates, this.named, name, ifc, scope, problems);
    if (old) {
      if (old.part.watched && this.watchedIndexes.get(old.ifindex) === name) this.watchedIndexes.delete(old.ifindex);
      this.count(this.macCounts, this.ownMacs, old.mac === null ? [] : [old.mac], -1);
      this.count(this.heldCounts, this.held, old.held, -1);
    }
    const was = this.scopes.get(name);
    if (ifc) this.scopes.set(name, scope);
    else if (was !== undefined && this.scopes.delete(name)) this.gone.set(name, was);
    if (!ifc && problems.length === 0) {
      this.entries.delete(name);
      return old !== undefined && old.key !== '';
    }
    const specs = chosen && this.config.ownAddresses ? ownSpecsOf(this.config, this.v6, this.delegateAddresses, ifc!, problems) : [];
    const part: InterfacePart = { watched: chosen ? watchedOf(ifc!, scope) : null, specs, problems };
    const key = part.watched || problems.length ? JSON.stringify([part.watched, specs, problems]) : '';
    const mac = ifc ? ownMacOf(ifc, scope, chosen) : null;
    const held = ifc ? ifc.addresses.map((a) => a.address) : [];
    this.count(this.macCounts, this.ownMacs, mac === null ? [] : [mac], 1);
    this.count(this.heldCounts, this.held, held, 1);
    this.entries.set(name, { part, key, ifindex: ifc?.ifindex ?? 0, mac, held, neutral });
    if (part.watched) this.watchedIndexes.set(part.watched.ifindex, name);
    return (old?.key ?? '') !== key;
  }

  private count<T>(counts: Map<T, number>, set: Set<T>, values: readonly T[], by: 1 | -1): void {
    for (const v of values) {
      const n = (counts.get(v) ?? 0) + by;
      if (n > 0) {
        counts.set(v, n);
        set.add(v);
      } else {
        counts.delete(v);
        set.delete(v);
      }
    }
  }
}
