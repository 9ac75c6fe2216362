/**
 * Pure derivation of what to watch from the configuration and a snapshot of the host's
 * interfaces: which interfaces, which own addresses, where each delegate lives and whether
 * this host currently holds it.
 */
import { type IpAddress, formatAddress } from './address.js';
import { type Ipv4, inSubnet } from './ipv4.js';
import type { Ipv6 } from './ipv6.js';
import { type Mac, ZERO_MAC } from './mac.js';
import { DEFAULT_IPV6_POLICY, type HostAddress6, type Ipv6WatchPolicy, linkLocal6, onLink6, ownIpv6Status, usable6 } from './watchlist6.js';

export type Role = 'own' | 'delegate';

export interface HostAddress {
  address: Ipv4;
  prefixLength: number;
}

/** One interface as the platform layer reads it. */
export interface HostInterface {
  name: string;
  ifindex: number;
  mac: Mac;
  up: boolean;
  loopback: boolean;
  /** IFF_NOARP: the interface does not speak ARP (tunnels, wireguard, …). */
  noArp: boolean;
  addresses: HostAddress[];
  /** Its IPv6 addresses with the kernel's flags (absent in fakes that predate IPv6: none). */
  ipv6?: HostAddress6[];
  /** What the link is (sysfs; absent in fakes that predate it: treated as unknown). */
  kind?: LinkKind;
  /** A device behind it (/sys/class/net/X/device): a NIC, virtio, SR-IOV VF. */
  device?: boolean;
  /** The bridge or bond it is a port of. */
  master?: string | null;
  /** Links it is stacked on (lower_*: a VLAN's or macvlan's parent, a bridge's or bond's ports). */
  lowers?: string[];
  /** It carries an IPv4 default route: the host's way out, whatever the link is. */
  defaultRoute?: boolean;
}

export type LinkKind = 'loopback' | 'physical' | 'bridge' | 'bond' | 'vlan' | 'stacked' | 'veth' | 'tun' | 'virtual';

/** network: a link that faces the network outside the host; host: a host-internal link (containers, VMs). */
export type LinkScope = 'network' | 'host';

/**
 * Which links face the network. A link faces the network when it is a device (NIC, virtio, VF), or
 * carries the IPv4 default route, or is stacked on or enslaves a link that faces the network (a VLAN
 * or macvlan on the NIC, a bond of NICs, a bridge with the NIC as a port). Everything else is
 * host-internal: veths, tun/tap, and bridges whose ports are all veths or taps (docker0, cni0,
 * garden's bridges). Names play no part. Pure; cycles (impossible in the kernel) are cut.
 */
export function linkScopes(host: readonly HostInterface[]): Map<string, LinkScope> {
  const byName = new Map(host.map((i) => [i.name, i]));
  const ports = new Map<string, string[]>();
  for (const i of host) if (i.master) ports.set(i.master, [...(ports.get(i.master) ?? []), i.name]);
  const memo = new Map<string, boolean>();
  const faces = (name: string, depth: number): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const i = byName.get(name);
    if (!i || depth > 8) return false;
    memo.set(name, false); // cycle guard
    const r = i.device === true || i.defaultRoute === true || [...(i.lowers ?? []), ...(ports.get(name) ?? [])].some((l) => faces(l, depth + 1));
    memo.set(name, r);
    return r;
  };
  return new Map(host.map((i) => [i.name, faces(i.name, 0) ? 'network' : 'host']));
}

/** linkScopes, and where no link faces the network, every link counts as facing it (deriveWatchList's default). */
export function linkScopesOf(host: readonly HostInterface[]): Map<string, LinkScope> {
  return scopesOf(host).scopes;
}

/** linkScopesOf, and whether some link faces the network (false: the fallback made them all). */
export function scopesOf(host: readonly HostInterface[]): { scopes: Map<string, LinkScope>; uplinkFound: boolean } {
  const scopes = linkScopes(host);
  const uplinkFound = host.some((i) => !i.loopback && scopes.get(i.name) === 'network');
  // Where nothing faces the network, the links there are are this namespace's network.
  if (!uplinkFound) for (const i of host) if (!i.loopback) scopes.set(i.name, 'network');
  return { scopes, uplinkFound };
}

/** IPv6 delegates are configured (an interface with only a global IPv6 prefix is then eligible). */
export const hasV6Delegates = (config: WatchConfig): boolean => config.delegates.some((d) => typeof d.address === 'string');

/**
 * Whether interface `name` is watched (`ifc`: its facts, undefined when it does not exist): when
 * interfaces are named, a named one that is not excluded, with a problem when it cannot be; else
 * an eligible one facing the network, not excluded.
 */
export function chooseInterface(config: WatchConfig, v6: Ipv6WatchPolicy, v6Delegates: boolean, named: ReadonlySet<string>, name: string, ifc: HostInterface | undefined, scope: LinkScope | undefined, problems: string[]): boolean {
  if ((config.excludeInterfaces ?? []).some((p) => matchesInterface(p, name))) return false;
  if (named.size === 0) return ifc !== undefined && eligible(ifc, v6, v6Delegates) && scope === 'network';
  if (!named.has(name)) return false;
  if (!ifc) problems.push(`interface ${name} does not exist`);
  else if (ifc.loopback || ifc.noArp) problems.push(`interface ${name} does not use ARP`);
  else return true;
  return false;
}

/**
 * The MAC of `ifc` whose frames are the host's own, or null. Host-internal links only count where
 * they are watched: their MACs never appear on an uplink, and following them would re-derive the
 * list on every veth.
 */
export function ownMacOf(ifc: HostInterface, scope: LinkScope | undefined, chosen: boolean): Mac | null {
  return !ifc.loopback && ifc.mac !== ZERO_MAC && (scope === 'network' || chosen) ? ifc.mac : null;
}

/** `name` matches a pattern: the exact name, or a prefix ending in `*` ("veth*"). */
export function matchesInterface(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

export interface DelegateSpec {
  address: IpAddress;
  interface?: string | undefined;
  allowedMacs: Mac[];
}

export interface WatchConfig {
  /**
   * Interface names; empty means every non-loopback, ARP-capable interface with IPv4 that faces the
   * network (linkScopes), or all of them on a host where no link faces the network (a namespace with
   * only virtual links: a container running dupip, a test lab).
   */
  interfaces: string[];
  /** Interfaces never watched (names or "prefix*"), whatever `interfaces` or the default says. */
  excludeInterfaces?: string[];
  ownAddresses: boolean;
  excludeAddresses: { prefix: Ipv4; length: number }[];
  delegates: DelegateSpec[];
  /** Which IPv6 addresses count as own (watchlist6.ts); default DEFAULT_IPV6_POLICY. */
  ipv6?: Ipv6WatchPolicy;
}

export interface WatchedInterface {
  name: string;
  ifindex: number;
  mac: Mac;
  up: boolean;
  scope?: LinkScope;
  /** The interface's own IPv4 addresses: the sender IPs of ordinary requests for delegates held elsewhere. */
  hostAddresses: HostAddress[];
  /** The usable IPv6 link-local address: the source of ordinary NSs for IPv6 delegates held elsewhere. */
  linkLocal?: Ipv6 | null;
}

/** One address to watch on one interface. */
export interface WatchSpec {
  address: IpAddress;
  ifname: string;
  role: Role;
  /** True when the host holds the address (always for own addresses). */
  held: boolean;
  allowedMacs: Mac[];
  /** An own IPv6 address the kernel marked dadfailed (another host answered its DAD). */
  dadFailed?: true;
}

export interface WatchList {
  interfaces: WatchedInterface[];
  specs: WatchSpec[];
  /** Every MAC of the host, on all interfaces: frames from them are never foreign. */
  ownMacs: Mac[];
  /** Things the operator should know (a configured interface missing, a delegate with no interface). */
  problems: string[];
  /** Scope of every interface of the host (for metrics: which kind of link an address lives on). */
  scopes?: Map<string, LinkScope>;
  /** False when no link faces the network and the default fell back to every interface. */
  uplinkFound?: boolean;
  /** Whether an interface (by name, or by ifindex when given) is watched, without building `interfaces` (watchlist-incremental.ts). */
  watching?: (name: string, ifindex?: number) => boolean;
}

/** IPv4, an own IPv6 address to watch, or (with IPv6 delegates configured) any on-link IPv6 prefix of its own. */
export function eligible(ifc: HostInterface, policy: Ipv6WatchPolicy, v6Delegates: boolean): boolean {
  if (ifc.loopback || ifc.noArp) return false;
  const v6 = ifc.ipv6 ?? [];
  return ifc.addresses.length > 0 || v6.some((a) => ownIpv6Status(a, policy) !== 'skip') || (v6Delegates && v6.some((a) => usable6(a) && a.scope === 'global'));
}

export function deriveWatchList(config: WatchConfig, host: HostInterface[]): WatchList {
  const problems: string[] = [];
  const v6 = config.ipv6 ?? DEFAULT_IPV6_POLICY;
  const byName = new Map(host.map((i) => [i.name, i]));
  const { scopes, uplinkFound } = scopesOf(host);
  const named = new Set(config.interfaces);
  const v6Delegates = hasV6Delegates(config);
  const choose = (name: string, ifc: HostInterface | undefined) => chooseInterface(config, v6, v6Delegates, named, name, ifc, scopes.get(name), problems);
  const chosen = named.size ? [...named].filter((n) => choose(n, byName.get(n))).map((n) => byName.get(n)!) : host.filter((i) => choose(i.name, i));
  const chosenNames = new Set(chosen.map((i) => i.name));
  // Frames from these MACs are the host's own.
  const ownMacs = [...new Set(host.map((i) => ownMacOf(i, scopes.get(i.name), chosenNames.has(i.name))).filter((m): m is Mac => m !== null))].sort();

  const specs: WatchSpec[] = [];
  if (config.ownAddresses) {
    const delegateAddresses = new Set(config.delegates.map((d) => d.address));
    for (const ifc of chosen) specs.push(...ownSpecsOf(config, v6, delegateAddresses, ifc, problems));
  }
  specs.push(...delegateSpecsOf(config, host, chosen, chosenNames, problems));
  return {
    interfaces: chosen.map((i) => watchedOf(i, scopes.get(i.name) ?? 'host')),
    specs,
    ownMacs,
    problems,
    scopes,
    uplinkFound,
  };
}

/** How a chosen interface appears in the watch list. */
export function watchedOf(i: HostInterface, scope: LinkScope): WatchedInterface {
  return { name: i.name, ifindex: i.ifindex, mac: i.mac, up: i.up, scope, hostAddresses: i.addresses, linkLocal: linkLocal6(i.ipv6 ?? []) };
}

/** The own addresses watched on one chosen interface (with ownAddresses on); dadfailed ones add a problem. */
export function ownSpecsOf(config: WatchConfig, v6: Ipv6WatchPolicy, delegateAddresses: ReadonlySet<IpAddress>, ifc: HostInterface, problems: string[]): WatchSpec[] {
  const specs: WatchSpec[] = [];
  for (const a of ifc.addresses) {
    if (delegateAddresses.has(a.address)) continue;
    if (config.excludeAddresses.some((x) => inSubnet(a.address, x.prefix, x.length))) continue;
    specs.push({ address: a.address, ifname: ifc.name, role: 'own', held: true, allowedMacs: [] });
  }
  for (const a of ifc.ipv6 ?? []) {
    const status = delegateAddresses.has(a.address) ? 'skip' : ownIpv6Status(a, v6);
    if (status === 'held') specs.push({ address: a.address, ifname: ifc.name, role: 'own', held: true, allowedMacs: [] });
    if (status !== 'dadfailed') continue;
    specs.push({ address: a.address, ifname: ifc.name, role: 'own', held: true, allowedMacs: [], dadFailed: true });
    problems.push(`${formatAddress(a.address)} on ${ifc.name}: the kernel's duplicate address detection failed (dadfailed): another host has it; remove it here (ip -6 addr del) or from the other host, then add it again`);
  }
  return specs;
}

/** Where each delegate is watched (it may live on any interface of the host: this reads them all). */
export function delegateSpecsOf(config: WatchConfig, host: readonly HostInterface[], chosen: readonly HostInterface[], chosenNames: ReadonlySet<string>, problems: string[]): WatchSpec[] {
  if (config.delegates.length === 0) return [];
  // Where each address is held: any interface of the host counts (the kernel answers for any local address).
  const heldOn = new Map<IpAddress, string>();
  for (const ifc of host) for (const a of ifc.addresses) if (!heldOn.has(a.address)) heldOn.set(a.address, ifc.name);
  for (const ifc of host) for (const a of ifc.ipv6 ?? []) if (usable6(a) && !heldOn.has(a.address)) heldOn.set(a.address, ifc.name);
  const specs: WatchSpec[] = [];
  for (const d of config.delegates) {
    const holder = heldOn.get(d.address);
    let ifname = d.interface;
    if (!ifname) {
      if (holder && chosenNames.has(holder)) ifname = holder;
      else ifname = chosen.find((i) => (typeof d.address === 'number' ? onLink4(i.addresses, d.address) : onLink6(i.ipv6 ?? [], d.address)))?.name;
    }
    if (!ifname) {
      problems.push(`delegate ${formatAddress(d.address)}: no monitored interface has a subnet that contains it; set its interface`);
      continue;
    }
    if (!chosenNames.has(ifname)) {
      problems.push(`delegate ${formatAddress(d.address)}: interface ${ifname} is not monitored`);
      continue;
    }
    specs.push({ address: d.address, ifname, role: 'delegate', held: holder !== undefined, allowedMacs: d.allowedMacs });
  }
  return specs;
}

function onLink4(addresses: readonly HostAddress[], address: Ipv4): boolean {
  return addresses.some((a) => a.address !== address && inSubnet(address, a.address, a.prefixLength));
}

/** The specs of each watched interface (every watched interface has an entry). */
export function specsByInterface(list: WatchList): Map<string, WatchSpec[]> {
  const specs = new Map(list.interfaces.map((i) => [i.name, [] as WatchSpec[]]));
  for (const s of list.specs) specs.get(s.ifname)?.push(s);
  return specs;
}
