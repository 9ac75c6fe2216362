/**
 * Reads the host's interfaces: name, index, MAC and link state from /sys/class/net, IPv4
 * addresses from getifaddrs (through the addon: os.networkInterfaces() hides the addresses of
 * interfaces that are down, and a down interface must stay watched). Behind the HostReader interface so the
 * daemon can be driven by a fake in tests. A read that fails for lack of resources (EMFILE from
 * getifaddrs or /sys) throws rather than return a partial host.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parseIpv4 } from '../core/ipv4.js';
import { parseMac } from '../core/mac.js';
import type { HostAddress, HostInterface } from '../core/watchlist.js';
import { loadNative } from './native.js';

export type HostReader = () => HostInterface[];

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_NOARP = 0x80;
const DOWN_OPERSTATES = new Set(['down', 'lowerlayerdown', 'notpresent']);

/** errnos that mean "this interface is gone" (it vanished between listing and reading). */
const VANISHED = new Set(['ENOENT', 'ENODEV', 'ENXIO', 'ENOTDIR']);

/**
 * One attribute, or null when the interface vanished. Any other failure (EMFILE, ENFILE, ENOMEM,
 * EACCES) throws: a host view without that interface would be wrong, and the daemon keeps the
 * last good view and retries instead (src/daemon/guard.ts).
 */
function readSys(name: string, attr: string): string | null {
  try {
    return readFileSync(`/sys/class/net/${name}/${attr}`, 'utf8').trim();
  } catch (err) {
    if (VANISHED.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err;
  }
}

export const readHostInterfaces: HostReader = () => {
  const v4 = new Map<string, HostAddress[]>();
  for (const a of loadNative().ipv4Addresses()) {
    const dev = a.name.split(':')[0]!; // "eth0:1" alias labels belong to eth0
    const address = parseIpv4(a.address);
    if (address === null) continue;
    const list = v4.get(dev) ?? [];
    if (!list.some((x) => x.address === address)) list.push({ address, prefixLength: a.prefixLength });
    v4.set(dev, list);
  }
  let names: string[];
  try {
    names = readdirSync('/sys/class/net');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // EMFILE and the like: not "no interfaces"
    names = [...v4.keys()];
  }
  const out: HostInterface[] = [];
  for (const name of names) {
    const flags = Number.parseInt(readSys(name, 'flags') ?? '', 16);
    const ifindex = Number(readSys(name, 'ifindex'));
    if (!Number.isFinite(flags) || !Number.isFinite(ifindex)) continue;
    const operstate = readSys(name, 'operstate') ?? 'unknown';
    out.push({
      name,
      ifindex,
      mac: parseMac(readSys(name, 'address') ?? '') ?? '00:00:00:00:00:00',
      up: (flags & IFF_UP) !== 0 && !DOWN_OPERSTATES.has(operstate),
      loopback: (flags & IFF_LOOPBACK) !== 0,
      noArp: (flags & IFF_NOARP) !== 0,
      addresses: v4.get(name) ?? [],
    });
  }
  return out;
};
