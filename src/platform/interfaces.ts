/**
 * Reads the host's interfaces: name, index, MAC and link state from /sys/class/net, IPv4
 * addresses from getifaddrs (os.networkInterfaces). Behind the HostReader interface so the
 * daemon can be driven by a fake in tests.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { parseIpv4 } from '../core/ipv4.js';
import { parseMac } from '../core/mac.js';
import type { HostAddress, HostInterface } from '../core/watchlist.js';

export type HostReader = () => HostInterface[];

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_NOARP = 0x80;
const DOWN_OPERSTATES = new Set(['down', 'lowerlayerdown', 'notpresent']);

function readSys(name: string, attr: string): string | null {
  try {
    return readFileSync(`/sys/class/net/${name}/${attr}`, 'utf8').trim();
  } catch {
    return null; // the interface vanished between listing and reading
  }
}

export const readHostInterfaces: HostReader = () => {
  const v4 = new Map<string, HostAddress[]>();
  for (const [label, addrs] of Object.entries(networkInterfaces())) {
    const dev = label.split(':')[0]!; // "eth0:1" alias labels belong to eth0
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4') continue;
      const address = parseIpv4(a.address);
      const prefixLength = a.cidr ? Number(a.cidr.split('/')[1]) : 32;
      if (address === null) continue;
      const list = v4.get(dev) ?? [];
      if (!list.some((x) => x.address === address)) list.push({ address, prefixLength });
      v4.set(dev, list);
    }
  }
  let names: string[];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
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
