/**
 * Reads the host's interfaces: name, index, MAC, link state and what the link is (its kind, whether
 * it is a device, its ports and lower links) from /sys/class/net, IPv4 addresses from getifaddrs
 * (through the addon: os.networkInterfaces() hides the addresses of interfaces that are down, and a
 * down interface must stay watched), the interfaces of the default route from /proc/net/route.
 * Behind the HostReader interface so the daemon can be driven by a fake in tests. A read that fails
 * for lack of resources (EMFILE from getifaddrs or /sys) throws rather than return a partial host.
 *
 * `readHostInterfaces` reads everything (start, reload, lost notifications, the safety poll);
 * `readInterface` and `readDefaultRouteInterfaces` serve the incremental path (src/daemon/host-view.ts),
 * which touches only the interfaces a netlink notification names.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { parseIpv4 } from '../core/ipv4.js';
import { parseMac } from '../core/mac.js';
import type { HostAddress, HostInterface, LinkKind } from '../core/watchlist.js';
import { loadNative } from './native.js';

export type HostReader = () => HostInterface[];

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_NOARP = 0x80;
const DOWN_OPERSTATES = new Set(['down', 'lowerlayerdown', 'notpresent']);
const SYS = '/sys/class/net';

/** errnos that mean "this interface is gone" (it vanished between listing and reading). */
const VANISHED = new Set(['ENOENT', 'ENODEV', 'ENXIO', 'ENOTDIR']);

/**
 * One attribute, or null when the interface vanished. Any other failure (EMFILE, ENFILE, ENOMEM,
 * EACCES) throws: a host view without that interface would be wrong, and the daemon keeps the
 * last good view and retries instead (src/daemon/guard.ts).
 */
function readSys(name: string, attr: string): string | null {
  try {
    return readFileSync(`${SYS}/${name}/${attr}`, 'utf8').trim();
  } catch (err) {
    if (VANISHED.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err;
  }
}

function linkKind(flags: number, entries: Set<string>, devtype: string | null, ifindex: number, iflink: number, lowers: string[]): LinkKind {
  if (flags & IFF_LOOPBACK) return 'loopback';
  if (entries.has('bridge') || devtype === 'bridge') return 'bridge';
  if (entries.has('bonding') || devtype === 'bond') return 'bond';
  if (entries.has('tun_flags')) return 'tun';
  if (devtype === 'vlan') return 'vlan';
  if (entries.has('device')) return 'physical';
  if (lowers.length > 0) return 'stacked'; // macvlan, ipvlan, macvtap, … over a lower link
  if (iflink !== ifindex && iflink > 0) return 'veth'; // a pair end whose peer is another link (or netns)
  return 'virtual';
}

/** One interface's link facts, without addresses; null when it does not exist (any more). */
export function readInterface(name: string): Omit<HostInterface, 'addresses' | 'defaultRoute'> | null {
  const flags = Number.parseInt(readSys(name, 'flags') ?? '', 16);
  const ifindex = Number(readSys(name, 'ifindex'));
  if (!Number.isFinite(flags) || !Number.isFinite(ifindex) || ifindex <= 0) return null;
  let entries: Set<string>;
  try {
    entries = new Set(readdirSync(`${SYS}/${name}`));
  } catch (err) {
    if (VANISHED.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err; // EMFILE and the like: not "the interface vanished"
  }
  const lowers = [...entries].filter((e) => e.startsWith('lower_')).map((e) => e.slice(6));
  let master: string | null = null;
  if (entries.has('master')) {
    try {
      master = readlinkSync(`${SYS}/${name}/master`).split('/').pop() ?? null;
    } catch (err) {
      if (!VANISHED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
      master = null;
    }
  }
  const devtype = /^DEVTYPE=(.*)$/m.exec(readSys(name, 'uevent') ?? '')?.[1] ?? null;
  const iflink = Number(readSys(name, 'iflink'));
  const operstate = readSys(name, 'operstate') ?? 'unknown';
  return {
    name,
    ifindex,
    mac: parseMac(readSys(name, 'address') ?? '') ?? '00:00:00:00:00:00',
    up: (flags & IFF_UP) !== 0 && !DOWN_OPERSTATES.has(operstate),
    loopback: (flags & IFF_LOOPBACK) !== 0,
    noArp: (flags & IFF_NOARP) !== 0,
    kind: linkKind(flags, entries, devtype, ifindex, Number.isFinite(iflink) ? iflink : ifindex, lowers),
    device: entries.has('device'),
    master,
    lowers,
  };
}

/** Names of the interfaces that carry an IPv4 default route (the host's way out), any table in /proc/net/route. */
export function readDefaultRouteInterfaces(): Set<string> {
  const out = new Set<string>();
  let text: string;
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out; // no IPv4 routing table
    throw err; // EMFILE and the like: a partial view would drop the uplink
  }
  // Iface Destination Gateway Flags RefCnt Use Metric Mask …; a default route has destination and mask 0.
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8 && f[1] === '00000000' && f[7] === '00000000') out.add(f[0]!);
  }
  return out;
}

/** Every IPv4 address of the host by interface name ("eth0:1" alias labels belong to eth0). */
export function readIpv4Addresses(): Map<string, HostAddress[]> {
  const v4 = new Map<string, HostAddress[]>();
  for (const a of loadNative().ipv4Addresses()) {
    const dev = a.name.split(':')[0]!;
    const address = parseIpv4(a.address);
    if (address === null) continue;
    const list = v4.get(dev) ?? [];
    if (!list.some((x) => x.address === address)) list.push({ address, prefixLength: a.prefixLength });
    v4.set(dev, list);
  }
  return v4;
}

export const readHostInterfaces: HostReader = () => {
  const v4 = readIpv4Addresses();
  const routes = readDefaultRouteInterfaces();
  let names: string[];
  try {
    names = readdirSync(SYS);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // EMFILE and the like: not "no interfaces"
    names = [...v4.keys()];
  }
  const out: HostInterface[] = [];
  for (const name of names) {
    const ifc = readInterface(name);
    if (ifc) out.push({ ...ifc, addresses: v4.get(name) ?? [], defaultRoute: routes.has(name) });
  }
  return out;
};
