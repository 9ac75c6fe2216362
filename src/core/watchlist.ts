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
}

export interface DelegateSpec {
  address: Ipv4;
  interface?: string | undefined;
  allowedMacs: Mac[];
}

export interface WatchConfig {
  /** Interface names; empty means every non-loopback, ARP-capable interface with IPv4. */
  interfaces: string[];
  ownAddresses: boolean;
  excludeAddresses: { prefix: Ipv4; length: number }[];
  delegates: DelegateSpec[];
}

export interface WatchedInterface {
  name: string;
  ifindex: number;
  mac: Mac;
  up: boolean;
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
}

function eligible(ifc: HostInterface): boolean {
  return !ifc.loopback && !ifc.noArp && ifc.addresses.length > 0;
}

export function deriveWatchList(config: WatchConfig, host: HostInterface[]): WatchList {
  const problems: string[] = [];
  const byName = new Map(host.map((i) => [i.name, i]));
  let chosen: HostInterface[];
  if (config.interfaces.length) {
    chosen = [];
    for (const name of config.interfaces) {
      const ifc = byName.get(name);
      if (!ifc) problems.push(`interface ${name} does not exist`);
      else if (ifc.loopback || ifc.noArp) problems.push(`interface ${name} does not use ARP`);
      else chosen.push(ifc);
    }
  } else {
    chosen = host.filter(eligible);
  }
  const chosenNames = new Set(chosen.map((i) => i.name));
  const ownMacs = [...new Set(host.filter((i) => !i.loopback && i.mac !== '00:00:00:00:00:00').map((i) => i.mac))];

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
    interfaces: chosen.map((i) => ({ name: i.name, ifindex: i.ifindex, mac: i.mac, up: i.up, hostAddresses: i.addresses })),
    specs,
    ownMacs,
    problems,
  };
}
