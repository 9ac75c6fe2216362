// An address removed from the host is never sent for again, however long the netlink watch is still
// coalescing its burst: the daemon reads the watch's queue before each probe tick (flush) and before a
// frame-driven send (a defence). The fake watch here delivers only when read, which is the addon in the
// middle of its coalescing delay; without those reads the removed address would be announced forever.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { OP_REQUEST, decodeArp, encodeArp } from '../../src/core/arp.js';
import { dropAllProgram } from '../../src/core/bpf.js';
import { formatIpv4 } from '../../src/core/ipv4.js';
import { TYPE_NEIGHBOR_ADVERTISEMENT, decodeNd, unsolicitedAdvertisement } from '../../src/core/ndp.js';
import type { HostAddress6 } from '../../src/core/watchlist6.js';
import type { HostInterface } from '../../src/core/watchlist.js';
import { Daemon, type DaemonSocket } from '../../src/daemon/daemon.js';
import { emptyChanges, type HostChanges } from '../../src/platform/netlink.js';
import { ip, ip6 } from '../support/fake-world.js';

const OWN = '02:00:00:00:00:01';
const INTRUDER = '02:00:00:00:00:99';
const A = '192.0.2.10';
const B = '192.0.2.20';
const A6 = '2001:db8::10';
const B6 = '2001:db8::20';

function harness() {
  const addresses = new Set([A, B]);
  const addresses6 = new Set(['fe80::1', A6, B6]);
  const a6 = (address: string): HostAddress6 & { ifindex: number } => ({ ifindex: 2, address: ip6(address), prefixLength: 64, scope: address.startsWith('fe80') ? 'link' : 'global', tentative: false, dadFailed: false, optimistic: false, temporary: false, deprecated: false });
  const advertised: string[] = []; // targets of the NAs this host sent
  let frames6: ((f: Array<{ payload: Uint8Array; sourceMac: string; packetType: number }>) => void) | null = null;
  const socket6: DaemonSocket = {
    setFilter() {},
    send: (payload) => {
      const d = decodeNd(payload);
      if (d.ok && d.frame.type === TYPE_NEIGHBOR_ADVERTISEMENT) advertised.push(d.frame.target);
      return 'sent';
    },
    onFrames: (l) => void (frames6 = l),
    onError() {},
    close() {},
  };
  const host = (): HostInterface[] => [
    { name: 'eth0', ifindex: 2, mac: OWN, up: true, loopback: false, noArp: false, addresses: [...addresses].map((a) => ({ address: ip(a), prefixLength: 24 })) },
  ];
  const sent: Array<{ senderIp: string; targetIp: string }> = [];
  let frames: ((f: Array<{ payload: Uint8Array; sourceMac: string; packetType: number }>) => void) | null = null;
  const socket: DaemonSocket = {
    setFilter() {},
    send: (payload) => {
      const d = decodeArp(payload);
      if (d.ok) sent.push({ senderIp: formatIpv4(d.frame.senderIp), targetIp: formatIpv4(d.frame.targetIp) });
      return 'sent';
    },
    onFrames: (l) => void (frames = l),
    onError() {},
    close() {},
  };
  let onChange: ((c?: HostChanges) => void) | null = null;
  const queued: HostChanges[] = [];
  let flushes = 0;
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const daemon = new Daemon({
    config: { ...defaultConfig(), interfaces: ['eth0'], probeIntervalMs: 1000, announceIntervalMs: 1000, defend: 'once' },
    readHost: host,
    openSocket: () => socket,
    buildFilter: () => ({ program: dropAllProgram(), strategy: 'fake' }),
    watchLinks: (cb) => {
      onChange = cb;
      return {
        close() {},
        flush() {
          flushes++;
          for (const c of queued.splice(0)) onChange!(c);
        },
      };
    },
    nd: {
      openSocket: () => socket6,
      buildFilter: () => dropAllProgram(),
      readAddresses: () => [...addresses6].map(a6),
    },
    logger: pino({ level: 'debug' }, sink),
    observers: [],
    now: () => Date.now(),
    random: () => 0.5,
  });
  /** The kernel removes B; its RTM_DELADDR waits in the watch's queue until someone reads it. */
  const removeB = () => {
    addresses.delete(B);
    const c = emptyChanges();
    c.addresses.push({ ifindex: 2, address: ip(B), prefixLength: 24, deleted: true });
    queued.push(c);
  };
  /** The same for B6: an RTM_DELADDR of an IPv6 address. */
  const removeB6 = () => {
    addresses6.delete(B6);
    const c = emptyChanges();
    c.ipv6 = true;
    queued.push(c);
  };
  /** Another host's unsolicited NA (override) for an IPv6 address: a claim, answered by a defence. */
  const claim6 = (address: string) => frames6!([{ payload: unsolicitedAdvertisement(INTRUDER, ip6(address)).payload, sourceMac: INTRUDER, packetType: 1 }]);
  const claim = (address: string) => {
    const payload = encodeArp({ op: OP_REQUEST, senderMac: INTRUDER, senderIp: ip(address), targetMac: '00:00:00:00:00:00', targetIp: ip('192.0.2.254') });
    frames!([{ payload, sourceMac: INTRUDER, packetType: 1 }]);
  };
  return { daemon, sent, advertised, lines, removeB, removeB6, claim, claim6, flushes: () => flushes };
}

const about = (s: { senderIp: string; targetIp: string }, a: string) => s.senderIp === a || s.targetIp === a;

describe('an address removed while the netlink watch is still coalescing', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('is read before the next probe tick: nothing more is sent for it, and the other address goes on', async () => {
    const h = harness();
    await h.daemon.start();
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.sent.filter((s) => s.senderIp === B && s.targetIp === B).length).toBeGreaterThan(0); // B announced while held
    h.removeB();
    const mark = h.sent.length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.sent.slice(mark).filter((s) => about(s, B))).toEqual([]);
    expect(h.sent.slice(mark).filter((s) => s.senderIp === A).length).toBeGreaterThan(2);
    expect(h.lines.filter((l) => l.event === 'watch-removed' && l.address === B)).toHaveLength(1);
    expect(h.flushes()).toBeGreaterThan(0);
    expect(h.lines.filter((l) => l.event === 'refused-send')).toEqual([]);
    await h.daemon.stop();
  });

  it('is read before a defence: a claim for it right after the removal is not answered', async () => {
    const h = harness();
    await h.daemon.start();
    await vi.advanceTimersByTimeAsync(3000);
    h.removeB();
    const mark = h.sent.length;
    h.claim(B); // before any tick: only the read in the send path can know
    await vi.advanceTimersByTimeAsync(3000);
    expect(h.sent.slice(mark).filter((s) => about(s, B))).toEqual([]);
    // The same claim for A, still held, is defended at once.
    const before = h.sent.length;
    h.claim(A);
    expect(h.sent.slice(before).filter((s) => s.senderIp === A && s.targetIp === A)).toHaveLength(1);
    await h.daemon.stop();
  });

  it('an IPv6 address is read before a defence too: a claim for it right after the removal is not answered', async () => {
    const h = harness();
    await h.daemon.start();
    await vi.advanceTimersByTimeAsync(3000);
    expect(h.advertised.filter((t) => t === ip6(B6)).length).toBeGreaterThan(0); // B6 announced while held
    h.removeB6();
    const mark = h.advertised.length;
    h.claim6(B6); // before any tick and before the IPv6 side re-read its addresses
    await vi.advanceTimersByTimeAsync(3000);
    expect(h.advertised.slice(mark).filter((t) => t === ip6(B6))).toEqual([]);
    expect(h.lines.filter((l) => l.event === 'refused-send')).toEqual([]); // withdrawn, not refused
    const before = h.advertised.length;
    h.claim6(A6); // still held: defended at once
    expect(h.advertised.slice(before).filter((t) => t === ip6(A6))).toHaveLength(1);
    await h.daemon.stop();
  });
});
