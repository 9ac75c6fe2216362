/**
 * The daemon's IPv6 side with fake sockets and the real detector: sockets and solicited-node
 * memberships follow the watch list, received ND frames reach the detector through the codec
 * (malformed ones counted), and the send path refuses a DAD probe or an advertisement for an
 * address the host does not hold, whatever it is asked.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Detector, type AnyTransmission } from '../../src/core/detector.js';
import { solicitedNodeGroup } from '../../src/core/ipv6.js';
import { dadProbe, unsolicitedAdvertisement, solicitation } from '../../src/core/ndp.js';
import { deriveWatchList, type HostInterface } from '../../src/core/watchlist.js';
import type { HostAddress6 } from '../../src/core/watchlist6.js';
import { Guard } from '../../src/daemon/guard.js';
import { NdSockets } from '../../src/daemon/nd-sockets.js';
import type { DaemonSocket } from '../../src/daemon/socket-set.js';
import { ip6, seeded } from '../support/fake-world.js';

const MAC = '02:00:00:00:00:01';
const PEER = '02:00:00:00:00:a1';
const LL = ip6('fe80::1');
const OWN = ip6('2001:db8::10');
const DELEGATE = ip6('2001:db8::20');

const a6 = (address: string, p: Partial<HostAddress6> = {}): HostAddress6 & { ifindex: number } => ({ ifindex: 2, address: ip6(address), prefixLength: 64, scope: address.startsWith('fe80') ? 'link' : 'global', tentative: false, dadFailed: false, optimistic: false, temporary: false, deprecated: false, ...p });

class FakeSocket implements DaemonSocket {
  sent: Array<{ payload: Uint8Array; destination: string }> = [];
  filters = 0;
  closed = false;
  listener: Parameters<DaemonSocket['onFrames']>[0] = () => {};
  setFilter(): void {
    this.filters++;
  }
  send(payload: Uint8Array, destination: string) {
    this.sent.push({ payload, destination });
    return 'sent' as const;
  }
  onFrames(l: Parameters<DaemonSocket['onFrames']>[0]): void {
    this.listener = l;
  }
  onError(): void {}
  close(): void {
    this.closed = true;
  }
}

function setup(addresses: Array<HostAddress6 & { ifindex: number }>) {
  const sockets: FakeSocket[] = [];
  const groups = new Map<string, number>();
  const invalid: string[] = [];
  let now = 1_000_000;
  const sentByDetector: AnyTransmission[] = [];
  const detector = new Detector({ probeIntervalMs: 1000, announceIntervalMs: 0, defend: 'once', clearAfter: 2, maxSendRate: 50, ignoreMacs: [], random: seeded(3), transmit: (t) => (sentByDetector.push(t), 'sent') });
  const logger = pino({ level: 'silent' });
  const nd = new NdSockets({
    platform: {
      openSocket: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      buildFilter: () => ({ instructions: [], strategy: 'exact' }) as never,
      readAddresses: () => addresses,
      joinGroup: (g, ifname) => {
        const k = `${g}%${ifname}`;
        groups.set(k, (groups.get(k) ?? 0) + 1);
        return { leave: () => groups.set(k, groups.get(k)! - 1) };
      },
    },
    logger,
    observers: [{ frameInvalid: (_i, r) => invalid.push(r) }],
    guard: new Guard(logger),
    detector,
    now: () => now,
    stopped: () => false,
    pump: () => {},
    recover: () => {},
  });
  const apply = (delegates: Array<{ address: ReturnType<typeof ip6>; allowedMacs: string[] }>) => {
    nd.readAddresses();
    const host: HostInterface[] = nd.withIpv6([{ name: 'eth0', ifindex: 2, mac: MAC, up: true, loopback: false, noArp: false, addresses: [] }]);
    const list = deriveWatchList({ interfaces: [], ownAddresses: true, excludeAddresses: [], delegates }, host);
    detector.setWatchList(list, now);
    nd.sync(list);
    return list;
  };
  return { nd, detector, sockets, groups, invalid, apply, advance: (ms: number) => (now += ms), sentByDetector };
}

describe('NdSockets', () => {
  it('one ND socket per interface with IPv6 entries; the solicited-node group of a delegate held elsewhere only', () => {
    const w = setup([a6('fe80::1'), a6('2001:db8::10')]);
    w.apply([{ address: DELEGATE, allowedMacs: [] }]);
    expect(w.sockets).toHaveLength(1);
    expect(w.sockets[0]!.filters).toBe(1);
    expect([...w.groups]).toEqual([[`${solicitedNodeGroup(DELEGATE)}%eth0`, 1]]);
    w.apply([]);
    expect([...w.groups]).toEqual([[`${solicitedNodeGroup(DELEGATE)}%eth0`, 0]]);
    expect(w.sockets[0]!.filters).toBe(2);
  });

  it('frames go through the codec to the detector; malformed ones are counted by reason', () => {
    const w = setup([a6('fe80::1'), a6('2001:db8::10')]);
    w.apply([]);
    const na = unsolicitedAdvertisement(PEER, OWN).payload;
    const broken = na.slice();
    broken[45] = broken[45]! ^ 0xff; // inside the target: the checksum no longer matches
    w.sockets[0]!.listener([
      { payload: broken, sourceMac: PEER, packetType: 1 },
      { payload: na, sourceMac: PEER, packetType: 1 },
    ]);
    expect(w.invalid).toEqual(['bad-checksum']);
    const snap = w.detector.snapshotAll().find((s) => s.ip === OWN)!;
    expect(snap.state).toBe('conflict');
    expect(snap.macs.map((m) => m.mac)).toEqual([PEER]);
  });

  it('refuses a DAD probe or an advertisement for an address this host does not hold; an ordinary NS goes out', () => {
    const w = setup([a6('fe80::1'), a6('2001:db8::10')]);
    w.apply([{ address: DELEGATE, allowedMacs: [] }]);
    const s = w.sockets[0]!;
    const base = { interface: 'eth0', family: 'ipv6' as const };
    expect(w.nd.transmit({ ...base, kind: 'probe', address: DELEGATE, frame: dadProbe(DELEGATE, '010203040506'), destination: '33:33:ff:00:00:20' })).toBe('dropped');
    expect(w.nd.transmit({ ...base, kind: 'announcement', address: DELEGATE, frame: unsolicitedAdvertisement(MAC, DELEGATE), destination: '33:33:00:00:00:01' })).toBe('dropped');
    expect(s.sent).toEqual([]);
    expect(w.nd.transmit({ ...base, kind: 'probe', address: DELEGATE, frame: solicitation(LL, MAC, DELEGATE), destination: '33:33:ff:00:00:20' })).toBe('sent');
    expect(w.nd.transmit({ ...base, kind: 'probe', address: OWN, frame: dadProbe(OWN, '010203040506'), destination: '33:33:ff:00:00:10' })).toBe('sent');
    expect(w.nd.transmit({ ...base, kind: 'announcement', address: OWN, frame: unsolicitedAdvertisement(MAC, OWN), destination: '33:33:00:00:00:01' })).toBe('sent');
    expect(s.sent).toHaveLength(3);
    expect(w.nd.transmit({ ...base, interface: 'eth9', kind: 'probe', address: OWN, frame: dadProbe(OWN, '010203040506'), destination: '33:33:ff:00:00:10' })).toBe('interface-down');
  });

  it('a failed address dump keeps IPv6 off without throwing', () => {
    const w = setup([]);
    const throwing = new NdSockets({ ...(w.nd as unknown as { deps: ConstructorParameters<typeof NdSockets>[0] }).deps, platform: { ...(w.nd as unknown as { deps: ConstructorParameters<typeof NdSockets>[0] }).deps.platform, readAddresses: () => { throw new Error('EAFNOSUPPORT'); } } });
    expect(() => throwing.readAddresses()).not.toThrow();
    expect(throwing.withIpv6([{ name: 'eth0', ifindex: 2, mac: MAC, up: true, loopback: false, noArp: false, addresses: [] }])[0]!.ipv6).toEqual([]);
  });
});
