// The daemon on a container host, with fake edges: container churn reads no link (a veth's NEWLINK says it all),
// derives nothing, opens no socket, rebuilds no filter and logs one summary a minute; a change on the
// uplink still reaches its socket's filter.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { dropAllProgram } from '../../src/core/bpf.js';
import type { HostInterface } from '../../src/core/watchlist.js';
import { Daemon, type DaemonSocket } from '../../src/daemon/daemon.js';
import type { LinkFacts } from '../../src/daemon/host-view.js';
import { emptyChanges, type HostChanges } from '../../src/platform/netlink.js';
import { ip } from '../support/fake-world.js';

function facts(name: string, ifindex: number, over: Partial<LinkFacts> = {}): LinkFacts {
  const mac = `02:00:00:${((ifindex >> 16) & 255).toString(16).padStart(2, '0')}:${((ifindex >> 8) & 255).toString(16).padStart(2, '0')}:${(ifindex & 255).toString(16).padStart(2, '0')}`;
  return { name, ifindex, mac, up: true, loopback: false, noArp: false, kind: 'veth', device: false, master: null, lowers: [], ...over };
}

function harness(veths: number, interfaces: string[] = []) {
  const links = new Map<number, LinkFacts>();
  const addrs = new Map<number, string[]>();
  links.set(2, facts('eth0', 2, { kind: 'physical', device: true }));
  addrs.set(2, ['192.0.2.10']);
  for (let i = 0; i < veths; i++) {
    links.set(100 + i, facts(`s-${i}`, 100 + i));
    addrs.set(100 + i, ['203.0.113.1']);
  }
  const calls = { readHost: 0, readInterface: 0, open: 0, filter: 0 };
  let onChange: ((c?: HostChanges) => void) | null = null;
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const host = (): HostInterface[] =>
    [...links.values()].map((l) => ({ ...l, addresses: (addrs.get(l.ifindex) ?? []).map((a) => ({ address: ip(a), prefixLength: l.name === 'eth0' ? 24 : 32 })), defaultRoute: l.name === 'eth0' }));
  const socket = (): DaemonSocket => ({ setFilter() {}, send: () => 'sent', onFrames() {}, onError() {}, close() {} });
  const daemon = new Daemon({
    config: { ...defaultConfig(), interfaces, announceIntervalMs: 0 },
    readHost: () => {
      calls.readHost++;
      return host();
    },
    readInterface: (name) => {
      calls.readInterface++;
      return [...links.values()].find((l) => l.name === name) ?? null;
    },
    readDefaultRoutes: () => new Set(['eth0']),
    openSocket: () => {
      calls.open++;
      return socket();
    },
    buildFilter: () => {
      calls.filter++;
      return { program: dropAllProgram(), strategy: 'fake' };
    },
    watchLinks: (cb) => {
      onChange = cb;
      return { close() {} };
    },
    logger: pino({ level: 'info' }, sink),
    observers: [],
    now: () => Date.now(),
    random: () => 0.5,
  });
  let next = 10_000;
  /** Replaces veth `i`: its link goes, a new one with the same name comes, gets its address, goes up. */
  const replace = (i: number) => {
    const old = [...links.values()].find((l) => l.name === `s-${i}`)!;
    links.delete(old.ifindex);
    const n = next++;
    links.set(n, facts(`s-${i}`, n));
    addrs.set(n, ['203.0.113.1']);
    const c = emptyChanges();
    c.links.set(old.ifindex, { name: old.name, deleted: true });
    // What the kernel's NEWLINK says of a veth: the host view needs no sysfs read for it.
    const f = facts(`s-${i}`, n);
    c.links.set(n, { name: `s-${i}`, deleted: false, message: { flags: 0x1003, mac: f.mac, kind: 'veth', master: 0, link: 0, operstate: 6 } });
    c.addresses.push({ ifindex: n, address: ip('203.0.113.1'), prefixLength: 32, deleted: false });
    onChange!(c);
  };
  /** Removes veth `i` (its own batch: the daemon sees it missing for a while). */
  const remove = (i: number) => {
    const old = [...links.values()].find((l) => l.name === `s-${i}`)!;
    links.delete(old.ifindex);
    const c = emptyChanges();
    c.links.set(old.ifindex, { name: old.name, deleted: true });
    onChange!(c);
  };
  /** Creates veth `i` again with a new ifindex, addressed and up. */
  const create = (i: number) => {
    const n = next++;
    const f = facts(`s-${i}`, n);
    links.set(n, f);
    addrs.set(n, ['203.0.113.1']);
    const c = emptyChanges();
    c.links.set(n, { name: `s-${i}`, deleted: false, message: { flags: 0x1003, mac: f.mac, kind: 'veth', master: 0, link: 0, operstate: 6 } });
    c.addresses.push({ ifindex: n, address: ip('203.0.113.1'), prefixLength: 32, deleted: false });
    onChange!(c);
  };
  const addUplinkAddress = (a: string) => {
    addrs.set(2, [...addrs.get(2)!, a]);
    const c = emptyChanges();
    c.addresses.push({ ifindex: 2, address: ip(a), prefixLength: 24, deleted: false });
    onChange!(c);
  };
  return { daemon, calls, lines, replace, remove, create, addUplinkAddress };
}

describe('the daemon on a container host', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('default settings: churn of 250 container veths reads only those links and touches no socket; one summary line a minute', async () => {
    const h = harness(250);
    await h.daemon.start();
    expect(h.calls).toMatchObject({ readHost: 1, open: 1, filter: 1 });
    const before = h.lines.length;
    for (let k = 0; k < 300; k++) {
      h.replace(k % 250);
      await vi.advanceTimersByTimeAsync(200); // 5 a second, each its own burst
    }
    expect(h.calls.readInterface).toBe(0); // each veth from its NEWLINK message
    expect(h.calls.open).toBe(1);
    expect(h.calls.filter).toBe(1);
    expect(h.calls.readHost).toBe(1); // the start only: nothing per change (the safety poll is every 5 min)
    // The uplink address's first probe round (unknown → ok) is the only other line.
    const churnLines = h.lines.slice(before).filter((l) => !(l.event === 'state' && l.address === '192.0.2.10'));
    expect(churnLines.map((l) => l.event)).toEqual(['interfaces-changed']);
    expect(churnLines[0]).toMatchObject({ linksAdded: 300, linksRemoved: 300, addressChanges: 300, socketsOpened: 0, socketsClosed: 0, watched: 1 });

    // The uplink still follows: an address added there reaches its filter.
    h.addUplinkAddress('192.0.2.11');
    await vi.advanceTimersByTimeAsync(200);
    expect(h.calls.filter).toBe(2);
    await h.daemon.stop();
  });

  it('interfaces naming the veths: a replaced veth gets a new socket, the others are left alone', async () => {
    const h = harness(20, ['eth0', ...Array.from({ length: 20 }, (_, i) => `s-${i}`)]);
    await h.daemon.start();
    expect(h.calls).toMatchObject({ open: 21, filter: 21 });
    h.replace(3);
    await vi.advanceTimersByTimeAsync(200);
    expect(h.calls.open).toBe(22);
    expect(h.calls.filter).toBe(22);
    // Then the uplink (a full derivation: it carries the default route) gets an address: its filter follows.
    h.addUplinkAddress('192.0.2.11');
    await vi.advanceTimersByTimeAsync(200);
    expect(h.calls.open).toBe(22);
    expect(h.calls.filter).toBe(23);
    await h.daemon.stop();
  });

  it('interfaces naming 250 veths: a veth gone and back touches its own socket and filter only, reads nothing, and is counted in the summary, not logged', async () => {
    const names = Array.from({ length: 250 }, (_, i) => `s-${i}`);
    const h = harness(250, ['eth0', ...names]);
    await h.daemon.start();
    await vi.advanceTimersByTimeAsync(5000); // the start-up probe rounds
    expect(h.calls).toMatchObject({ readHost: 1, open: 251, filter: 251 });
    const before = h.lines.length;
    for (let k = 0; k < 100; k++) {
      h.remove(k);
      await vi.advanceTimersByTimeAsync(100); // its own batch: missing for a moment
      h.create(k);
      await vi.advanceTimersByTimeAsync(100);
    }
    await vi.advanceTimersByTimeAsync(5000); // the new veths' first probe rounds
    expect(h.calls.readHost).toBe(1);
    expect(h.calls.readInterface).toBe(0);
    expect(h.calls.open).toBe(251 + 100); // one new socket per veth that came back
    expect(h.calls.filter).toBe(251 + 100); // and its filter; nobody else's
    await vi.advanceTimersByTimeAsync(60_000);
    const churnLines = h.lines.slice(before).filter((l) => !(l.event === 'state' && l.interface === 'eth0'));
    expect(churnLines.map((l) => l.event)).toEqual(['interfaces-changed']);
    expect(churnLines[0]).toMatchObject({ linksAdded: 100, linksRemoved: 100, socketsOpened: 100, socketsClosed: 100, namedMissing: 100, missingNowCount: 0, watched: 251 });
    expect(churnLines[0]!.watchChanges).toBeGreaterThanOrEqual(200); // each gateway address unwatched and watched again
    const st = h.daemon.view().addresses();
    expect(st.filter((a) => a.interface.startsWith('s-')).length).toBe(250);
    expect(st.filter((a) => a.interface.startsWith('s-') && a.state === 'ok').length).toBe(250);
    await h.daemon.stop();
  });
});
