import { describe, expect, it } from 'vitest';
import { OP_REQUEST } from '../../src/core/arp.js';
import type { DetectorEvent } from '../../src/core/events.js';
import { MAX_PROXIES_PER_INTERFACE, ProxyWatch, planCanaries, proxyOptions } from '../../src/core/proxy-watch.js';
import type { HostInterface } from '../../src/core/watchlist.js';
import { FakeWorld, IF, OWN_MAC, ip } from '../support/fake-world.js';

const ROUTER = '02:00:00:00:0f:01';
const HOST1 = '02:00:00:00:00:a1';
const HOST2 = '02:00:00:00:00:a2';
const OWN = ip('192.0.2.10');
const CANARY = ip('192.0.2.254');
const D = [21, 22, 23, 24, 25, 26].map((n) => ip(`192.0.2.${n}`));

const watch = (o: Partial<Parameters<typeof proxyOptions>[0]> = {}) => new ProxyWatch(proxyOptions({ probeIntervalMs: 1000, ...o }));

describe('planCanaries', () => {
  const host: HostInterface[] = [
    { name: 'eth0', ifindex: 2, mac: OWN_MAC, up: true, loopback: false, noArp: false, addresses: [{ address: OWN, prefixLength: 24 }] },
    { name: 'eth1', ifindex: 3, mac: '02:00:00:00:01:01', up: true, loopback: false, noArp: false, addresses: [{ address: ip('198.51.100.5'), prefixLength: 24 }] },
  ];

  it('sends each canary on the interface whose subnet holds it, from its address there', () => {
    expect(planCanaries([CANARY, ip('198.51.100.254')], host, ['eth0', 'eth1'])).toEqual({
      canaries: [
        { ifname: 'eth0', address: CANARY, sender: OWN },
        { ifname: 'eth1', address: ip('198.51.100.254'), sender: ip('198.51.100.5') },
      ],
      problems: [],
    });
  });

  it('refuses an own address, one outside every monitored subnet, and unmonitored interfaces', () => {
    const r = planCanaries([OWN, ip('203.0.113.9'), ip('198.51.100.254')], host, ['eth0']);
    expect(r.canaries).toEqual([]);
    expect(r.problems).toEqual([
      'proxy canary 192.0.2.10 is an address of this host; choose one no host has',
      'proxy canary 203.0.113.9: no monitored interface has a subnet that contains it',
      'proxy canary 198.51.100.254: no monitored interface has a subnet that contains it',
    ]);
  });
});

describe('ProxyWatch', () => {
  it('a reply for the canary makes a proxy, reported once', () => {
    const p = watch();
    p.setCanaries([{ ifname: IF, address: CANARY, sender: OWN }], 0);
    expect(p.observe(IF, CANARY, ROUTER, true, 10)).toBe(true);
    expect(p.observe(IF, CANARY, ROUTER, true, 20)).toBe(true);
    expect(p.isProxy(IF, ROUTER)).toBe(true);
    expect(p.isProxy('eth1', ROUTER)).toBe(false);
    expect(p.pullEvents()).toEqual([{ type: 'proxy', at: 10, interface: IF, mac: ROUTER, change: 'found', reason: 'canary', addresses: ['192.0.2.254'] }]);
    expect(p.pullEvents()).toEqual([]);
  });

  it('a host that uses the canary as its own address (a request from it) is no proxy', () => {
    const p = watch();
    p.setCanaries([{ ifname: IF, address: CANARY, sender: OWN }], 0);
    expect(p.observe(IF, CANARY, HOST1, false, 10)).toBe(false);
    expect(p.observe(IF, CANARY, HOST1, true, 20)).toBe(false);
    expect(p.isProxy(IF, HOST1)).toBe(false);
  });

  it('replies for threshold addresses within the window make a proxy; fewer, or slower, do not', () => {
    const p = watch({ proxyThreshold: 4 });
    for (const [i, a] of D.slice(0, 3).entries()) expect(p.observe(IF, a, ROUTER, true, i * 100)).toBe(false);
    expect(p.observe(IF, D[3]!, ROUTER, true, 5000)).toBe(false); // the first three are older than 3 intervals
    expect(p.isProxy(IF, ROUTER)).toBe(false);
    for (const a of D.slice(0, 3)) p.observe(IF, a, ROUTER, true, 5500);
    expect(p.isProxy(IF, ROUTER)).toBe(true);
    expect(p.pullEvents().map((e) => [e.reason, e.addresses.length])).toEqual([['many-addresses', 4]]);
  });

  it('addresses a MAC claims itself (requests, announcements) are held, not proxied', () => {
    const p = watch({ proxyThreshold: 4 });
    for (const a of D.slice(0, 4)) p.observe(IF, a, HOST1, false, 0);
    for (const a of D.slice(0, 4)) p.observe(IF, a, HOST1, true, 100);
    expect(p.isProxy(IF, HOST1)).toBe(false);
  });

  it('threshold 0 turns the pattern off; a proxied network needs only 2 addresses', () => {
    const off = watch({ proxyThreshold: 0 });
    for (const a of D) off.observe(IF, a, ROUTER, true, 0);
    expect(off.isProxy(IF, ROUTER)).toBe(false);
    const proxied = watch({ proxiedNetworks: [IF] });
    proxied.observe(IF, D[0]!, ROUTER, true, 0);
    expect(proxied.isProxy(IF, ROUTER)).toBe(false);
    proxied.observe(IF, D[1]!, ROUTER, true, 0);
    expect(proxied.isProxy(IF, ROUTER)).toBe(true);
    expect(proxied.excusedFor(IF, ROUTER)).toBe(true);
    expect(watch().excusedFor(IF, ROUTER)).toBe(false);
  });

  it('reports at most MAX_PROXIES_PER_INTERFACE MACs per interface, and remembers a bounded number of candidates', () => {
    const p = watch();
    p.setCanaries([{ ifname: IF, address: CANARY, sender: OWN }], 0);
    for (let i = 0; i < 1000; i++) p.observe(IF, CANARY, `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, true, i);
    expect(p.findings()).toHaveLength(MAX_PROXIES_PER_INTERFACE);
    expect(p.pullEvents()).toHaveLength(MAX_PROXIES_PER_INTERFACE);
  });

  it('a candidate evicted by a flood of new MACs and reused for another carries nothing over', () => {
    const p = watch({ proxyThreshold: 4 });
    const flood = (from: number, n: number, at: number) => {
      for (let i = from; i < from + n; i++) p.observe(IF, D[0]!, `02:00:00:01:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, false, at);
    };
    // HOST1 answers for three addresses and claims D[4] itself; then a flood of claims evicts it.
    for (const a of D.slice(0, 3)) p.observe(IF, a, HOST1, true, 10);
    p.observe(IF, D[4]!, HOST1, false, 10);
    flood(0, 200, 20);
    // Its candidate (reused meanwhile by flood MACs) is new again: three old replies are forgotten,
    // and D[4] is no longer held by it, so four replies now make it a proxy.
    for (const a of [D[0]!, D[1]!, D[2]!]) expect(p.observe(IF, a, HOST1, true, 30)).toBe(false);
    expect(p.observe(IF, D[4]!, HOST1, true, 30)).toBe(true);
    // A flood MAC whose slot once held HOST1's replies and claims holds only what it claimed itself.
    flood(1000, 200, 40);
    const m = '02:00:00:02:00:01';
    p.observe(IF, D[5]!, m, false, 50);
    for (const a of D.slice(0, 4)) p.observe(IF, a, m, true, 60);
    expect(p.isProxy(IF, m)).toBe(true);
    p.observe(IF, D[5]!, m, true, 70);
    expect(p.findings().find((f) => f.mac === m)?.addresses).toEqual(D.slice(0, 4).map((a) => `192.0.2.${a & 255}`));
  });

  it('a finding ends once the MAC has answered nothing for expireMs', () => {
    const o = proxyOptions({ probeIntervalMs: 1000 });
    const p = new ProxyWatch(o);
    p.setCanaries([{ ifname: IF, address: CANARY, sender: OWN }], 0);
    p.observe(IF, CANARY, ROUTER, true, 0);
    p.expire(o.expireMs);
    expect(p.isProxy(IF, ROUTER)).toBe(true);
    p.expire(o.expireMs + 1);
    expect(p.isProxy(IF, ROUTER)).toBe(false);
    expect(p.pullEvents().map((e) => e.change)).toEqual(['found', 'gone']);
  });

  it('canary requests are ordinary requests from our own address, at once and then once per interval', () => {
    const o = proxyOptions({ probeIntervalMs: 1000 });
    const p = new ProxyWatch(o);
    p.setCanaries([{ ifname: IF, address: CANARY, sender: OWN }], 0);
    const first = p.canariesDue(IF, OWN_MAC, 0);
    expect(first).toHaveLength(1);
    expect(first[0]!.frame).toMatchObject({ op: OP_REQUEST, senderMac: OWN_MAC, senderIp: OWN, targetIp: CANARY });
    expect(first[0]!.frame.senderIp).not.toBe(0);
    expect(p.canariesDue(IF, OWN_MAC, 5)).toEqual([]);
    // Re-reading the host with the same canaries keeps the schedule.
    p.setCanaries([{ ifname: IF, address: CANARY, sender: OWN }], 100);
    expect(p.canariesDue(IF, OWN_MAC, 100)).toEqual([]);
    expect(p.canariesDue(IF, OWN_MAC, o.canaryIntervalMs)).toHaveLength(1);
    expect(p.canaryAddresses(IF)).toEqual([CANARY]);
    p.setCanaries([], 200);
    expect(p.canaryAddresses(IF)).toEqual([]);
  });
});

/**
 * The detector behind a Linux router with proxy_arp: the router answers ordinary ARP requests for
 * the delegates and the canary (routed through its other interface), never a probe from 0.0.0.0.
 * Delegate probes are answered whatever their sender here, as they will be once they are ordinary
 * requests (takeover-safe probing): that is the case the proxy awareness is for.
 */
function proxiedWorld(opts: { canary?: boolean; proxied?: boolean; holders?: Map<number, string[]> } = {}) {
  const w = new FakeWorld(opts.proxied ? { proxiedNetworks: [IF] } : {});
  const routed = new Set([...D, CANARY]);
  w.onTransmit = (t) => {
    if (t.kind !== 'probe') return;
    const delegate = D.includes(t.address);
    if (routed.has(t.address) && (delegate || t.frame.senderIp !== 0)) w.reply(ROUTER, t.address);
    for (const mac of opts.holders?.get(t.address) ?? []) w.reply(mac, t.address);
  };
  w.watch([{ address: OWN }, ...D.map((address) => ({ address, role: 'delegate' as const, held: false }))]);
  if (opts.canary !== false) w.detector.proxies.setCanaries([{ ifname: IF, address: CANARY, sender: OWN }], w.now);
  return w;
}

const ofType = <T extends DetectorEvent['type']>(w: FakeWorld, type: T) => w.events.filter((e): e is Extract<DetectorEvent, { type: T }> => e.type === type);

describe('the detector behind proxy ARP', () => {
  it('with a canary: one finding, no delegate ok or held by the router, no conflict', () => {
    const w = proxiedWorld();
    w.advance(10_000);
    expect(ofType(w, 'proxy')).toHaveLength(1);
    expect(ofType(w, 'proxy')[0]).toMatchObject({ mac: ROUTER, change: 'found', reason: 'canary' });
    // The canary went out first, as an ordinary request from our own address.
    const first = w.sentOf('probe')[0]!;
    expect(first.frame).toMatchObject({ senderIp: OWN, targetIp: CANARY });
    for (const a of D) expect(w.states(`192.0.2.${a & 255}`)).toEqual(['unanswered']);
    expect(w.detector.snapshotAll().flatMap((s) => s.holders)).toEqual([]);
    expect(w.events.some((e) => e.type === 'state' && (e.to === 'conflict' || e.to === 'split-brain' || e.to === 'ok') && e.entry.role === 'delegate')).toBe(false);
    expect(ofType(w, 'conflict-mac')).toEqual([]);
    expect(w.states('192.0.2.10')).toEqual(['ok']);
  });

  it('without a canary, the pattern finds it; no conflict or split brain, and no delegate stays held by it', () => {
    const w = proxiedWorld({ canary: false });
    w.advance(10_000);
    expect(ofType(w, 'proxy')).toHaveLength(1);
    expect(ofType(w, 'proxy')[0]).toMatchObject({ mac: ROUTER, reason: 'many-addresses' });
    expect(w.events.some((e) => e.type === 'state' && (e.to === 'conflict' || e.to === 'split-brain'))).toBe(false);
    for (const s of w.detector.snapshotAll().filter((x) => x.role === 'delegate')) {
      expect(s.state).toBe('unanswered');
      expect(s.holders).toEqual([]);
    }
  });

  it('a real holder, a real split brain and a real duplicate are still reported', () => {
    const INTRUDER = '02:00:00:00:00:99';
    const holders = new Map([[D[0]!, [HOST1]], [D[1]!, [HOST1, HOST2]], [OWN, [INTRUDER]]]);
    const w = proxiedWorld({ holders });
    w.advance(10_000);
    expect(ofType(w, 'proxy')).toHaveLength(1);
    const snap = new Map(w.detector.snapshotAll().map((s) => [s.address, s]));
    expect(snap.get('192.0.2.21')).toMatchObject({ state: 'ok', holders: [HOST1] });
    expect(snap.get('192.0.2.22')!.state).toBe('split-brain');
    expect(snap.get('192.0.2.22')!.macs.map((m) => m.mac).sort()).toEqual([HOST1, HOST2]);
    expect(snap.get('192.0.2.10')!.state).toBe('conflict');
    expect(snap.get('192.0.2.10')!.macs.map((m) => m.mac)).toEqual([INTRUDER]);
    for (const a of D.slice(2)) expect(snap.get(`192.0.2.${a & 255}`)!.state).toBe('unanswered');
    expect(w.events.some((e) => e.type === 'state' && e.entry.macs.some((m) => m.mac === ROUTER))).toBe(false);
  });

  it('an own address: a proxy MAC answering our probe is a conflict unless the network is declared proxied; its claim always is', () => {
    for (const proxied of [false, true]) {
      const w = proxiedWorld({ proxied });
      w.advance(3000);
      expect(w.detector.proxies.isProxy(IF, ROUTER)).toBe(true);
      expect(w.reply(ROUTER, OWN)).toBe(proxied ? 'proxied' : 'claim');
      expect(w.detector.snapshotAll().find((s) => s.address === '192.0.2.10')!.state).toBe(proxied ? 'ok' : 'conflict');
      expect(w.claim(ROUTER, OWN)).toBe('claim');
      expect(w.detector.snapshotAll().find((s) => s.address === '192.0.2.10')!.state).toBe('conflict');
    }
  });

  it('the kernel filter passes replies from the canary', () => {
    const w = proxiedWorld();
    expect(w.detector.watchedAddresses(IF)).toContain(CANARY);
  });
});
