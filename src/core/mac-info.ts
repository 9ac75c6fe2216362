/**
 * What a MAC address says about the device behind it, pure: the vendor from the IEEE registry
 * (through a lookup the caller supplies: the file is read at the edges, src/platform/oui-file.ts),
 * the locally administered and multicast bits, and well-known virtual MACs.
 */
import type { Mac } from './mac.js';

/** The registered organisation for a MAC (MA-L, MA-M or MA-S assignment), or undefined. */
export type OuiLookup = (mac: Mac) => string | undefined;

export interface MacInfo {
  /** Organisation the block is assigned to in the IEEE registry. */
  vendor?: string;
  /** A well-known virtual MAC: a VRRP router, a hypervisor's NIC range, ... */
  virtual?: string;
  /** The U/L bit: the address was set by software, not burnt in (no vendor can be told). */
  locallyAdministered: boolean;
  /** The I/G bit: a group address; no host should use it as a sender. */
  multicast: boolean;
}

interface KnownPrefix {
  prefix: string;
  name: (mac: Mac) => string;
}

const last = (mac: Mac) => parseInt(mac.slice(15), 16);

/** Longest prefixes first; sources: RFC 5798, RFC 7042, the vendors' documentation. */
const KNOWN: readonly KnownPrefix[] = [
  { prefix: '00:00:5e:00:01:', name: (m) => `VRRP IPv4 virtual router ${last(m)}` },
  { prefix: '00:00:5e:00:02:', name: (m) => `VRRP IPv6 virtual router ${last(m)}` },
  { prefix: '00:00:5e:00:53:', name: () => 'documentation MAC (RFC 7042)' },
  { prefix: '00:00:0c:07:ac:', name: (m) => `Cisco HSRP v1 group ${last(m)}` },
  { prefix: '00:00:0c:9f:f', name: (m) => `Cisco HSRP v2 group ${parseInt(m.slice(13).replace(':', ''), 16)}` },
  { prefix: '00:07:b4:00:', name: () => 'Cisco GLBP virtual forwarder' },
  { prefix: '00:50:56:', name: () => 'VMware virtual NIC' },
  { prefix: '00:0c:29:', name: () => 'VMware virtual NIC (generated)' },
  { prefix: '00:05:69:', name: () => 'VMware virtual NIC' },
  { prefix: '00:15:5d:', name: () => 'Hyper-V virtual NIC' },
  { prefix: '00:03:ff:', name: () => 'Microsoft Virtual PC / Virtual Server NIC' },
  { prefix: '52:54:00:', name: () => 'KVM/QEMU virtual NIC' },
  { prefix: '00:16:3e:', name: () => 'Xen virtual NIC' },
  { prefix: 'fa:16:3e:', name: () => 'OpenStack Neutron port' },
  { prefix: '08:00:27:', name: () => 'VirtualBox virtual NIC' },
  { prefix: '00:1c:42:', name: () => 'Parallels virtual NIC' },
  { prefix: '02:42:', name: () => 'Docker container (default bridge)' },
];

export function describeMac(mac: Mac, lookup?: OuiLookup): MacInfo {
  const first = parseInt(mac.slice(0, 2), 16);
  const info: MacInfo = { locallyAdministered: (first & 2) !== 0, multicast: (first & 1) !== 0 };
  const known = KNOWN.find((k) => mac.startsWith(k.prefix));
  if (known) info.virtual = known.name(mac);
  // A locally administered address is not from a registered block, whatever its first bytes are.
  if (!info.locallyAdministered && !info.multicast && lookup) {
    const vendor = lookup(mac);
    if (vendor) info.vendor = vendor;
  }
  return info;
}

/** One phrase for a log line or a table cell: "VMware, Inc.; VMware virtual NIC", "locally administered". */
export function macLabel(info: MacInfo): string {
  const parts: string[] = [];
  if (info.vendor) parts.push(info.vendor);
  if (info.virtual) parts.push(info.virtual);
  if (info.multicast) parts.push('multicast (not a host address)');
  else if (info.locallyAdministered) parts.push('locally administered');
  if (parts.length === 0) parts.push('unregistered vendor');
  return parts.join('; ');
}

/** A MAC with what it says, as log lines, `dupip status --json`, probe and scan answers carry it. */
export interface MacDetails extends MacInfo {
  mac: Mac;
  /** macLabel(info): one phrase for people. */
  description: string;
}

export function macDetails(mac: Mac, lookup?: OuiLookup): MacDetails {
  const info = describeMac(mac, lookup);
  return { mac, ...info, description: macLabel(info) };
}
