/**
 * Pure derivation of what to watch from the configuration and a snapshot of the host's
 * interfaces: which interfaces, which own addresses, where each delegate lives and whether
 * this host currently holds it.
 */
import { type Ipv4, formatIpv4, inSubnet } from './ipv4.js';
import type { Mac } from './mac.js';

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
  const scopes = linkScopes(host);
  if (!host.some((i) => !i.loopback && scopes.get(i.name) === 'network')) for (const i of host) if (!i.loopback) scopes.set(i.name, 'network');
  return scopes;
}

/** `name` matches a pattern: the exact name, or a prefix ending in `*` ("veth*"). */
export function matchesInterface(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

export interface DelegateSpec {
  address: Ipv4;
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
}

export interface WatchedInterface {
  name: string;
  ifindex: number;
  mac: Mac;
  up: boolean;
  scope?: LinkScope;
  /** The interface's own IPv4 addresses: the sender IPs of ordinary requests for delegates held elsewhere. */
  hostAddresses: HostAddress[];
}

/** One address to watch on one interface. */
export interface WatchSpec {
  address: Ipv4;
  ifname: string;
  role: Role;
  /** True when the host holds the address (always for own addresses). */
  held: boolean;
  allowedMacs: Mac[];
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
}

function eligible(ifc: HostInterface): boolean {
  return !ifc.loopback && !ifc.noArp && ifc.addresses.length > 0;
}

export function deriveWatchList(config: WatchConfig, host: HostInterface[]): WatchList {
  const problems: string[] = [];
  const byName = new Map(host.map((i) => [i.name, i]));
  const scopes = linkScopes(host);
  const uplinkFound = host.some((i) => !i.loopback && scopes.get(i.name) === 'network');
  // Where nothing faces the network, the links there are are this namespace's network (linkScopesOf).
  if (!uplinkFound) for (const i of host) if (!i.loopback) scopes.set(i.name, 'network');
  const excluded = (name: string) => (config.excludeInterfaces ?? []).some((p) => matchesInterface(p, name));
  let chosen: HostInterface[];
  if (config.interfaces.length) {
    chosen = [];
    for (const name of config.interfaces) {
      const ifc = byName.get(name);
      if (excluded(name)) continue;
      if (!ifc) problems.push(`interface ${name} does not exist`);
      else if (ifc.loopback || ifc.noArp) problems.push(`interface ${name} does not use ARP`);
      else chosen.push(ifc);
    }
  } else {
    chosen = host.filter((i) => eligible(i) && !excluded(i.name) && scopes.get(i.name) === 'network');
  }
  const chosenNames = new Set(chosen.map((i) => i.name));
  // Frames from these MACs are the host's own. Host-internal links only count where they are watched:
  // their MACs never appear on an uplink, and following them would re-derive the list on every veth.
  const ownMacs = [
    ...new Set(
      host
        .filter((i) => !i.loopback && i.mac !== '00:00:00:00:00:00' && (scopes.get(i.name) === 'network' || chosenNames.has(i.name)))
        .map((i) => i.mac),
    ),
  ].sort();

  // Where each address is held: any interface of the host counts (the kernel answers for any local address).
  const heldOn = new Map<Ipv4, string>();
  for (const ifc of host) for (const a of ifc.addresses) if (!heldOn.has(a.address)) heldOn.set(a.address, ifc.name);

  const delegateAddresses = new Set(config.delegates.map((d) => d.address));
  const specs: WatchSpec[] = [];
  if (config.ownAddresses) {
    for (const ifc of chosen) {
      for (const a of ifc.addresses) {
        if (delegateAddresses.has(a.address)) continue;
        if (config.excludeAddresses.some((x) => inSubnet(a.address, x.prefix, x.length))) continue;
        specs.push({ address: a.address, ifname: ifc.name, role: 'own', held: true, allowedMacs: [] });
      }
    }
  }
  for (const d of config.delegates) {
    const holder = heldOn.get(d.address);
    let ifname = d.interface;
    if (!ifname) {
      if (holder && chosenNames.has(holder)) ifname = holder;
      else ifname = chosen.find((i) => i.addresses.some((a) => a.address !== d.address && inSubnet(d.address, a.address, a.prefixLength)))?.name;
    }
    if (!ifname) {
      problems.push(`delegate ${formatIpv4(d.address)}: no monitored interface has a subnet that contains it; set its interface`);
      continue;
    }
    if (!chosenNames.has(ifname)) {
      problems.push(`delegate ${formatIpv4(d.address)}: interface ${ifname} is not monitored`);
      continue;
    }
    specs.push({ address: d.address, ifname, role: 'delegate', held: holder !== undefined, allowedMacs: d.allowedMacs });
  }
  return {
    interfaces: chosen.map((i) => ({ name: i.name, ifindex: i.ifindex, mac: i.mac, up: i.up, scope: scopes.get(i.name) ?? 'host', hostAddresses: i.addresses })),
    specs,
    ownMacs,
    problems,
    scopes,
    uplinkFound,
  };
}
