/**
 * The detector with IPv6 entries (fake clock): which Neighbor Discovery frame goes out for an
 * address held here, one held elsewhere, one the kernel marked dadfailed, and for announcements
 * and defences; and that the family-neutral machines decide IPv6 as they do IPv4.
 */
import { describe, expect, it } from 'vitest';
import { ALL_NODES, ALL_NODES_MAC, UNSPECIFIED, solicitedNodeGroup, solicitedNodeMac } from '../../src/core/ipv6.js';
import { TYPE_NEIGHBOR_ADVERTISEMENT, TYPE_NEIGHBOR_SOLICITATION, decodeNd } from '../../src/core/ndp.js';
import { DEFEND_INTERVAL_MS } from '../../src/core/rfc5227.js';
import { OwnNonces, newNonce } from '../../src/core/nd-sender.js';
import { FakeWorld, IF, OWN_ADDRESSES, OWN_LINK_LOCAL, OWN_MAC, ip, ip6, seeded } from '../support/fake-world.js';

const A6 = ip6('2001:db8::10');
const D6 = ip6('2001:db8::20');
const A4 = ip('192.0.2.10');
const INTRUDER = '02:00:00:00:00:99';
const PEER1 = '02:00:00:00:00:a1';
const PEER2 = '02:00:00:00:00:a2';

const stateEvents = (w: FakeWorld) => w.events.filter((e) => e.type === 'state');

describe('IPv6 sends', () => {
  it('a held address is probed DAD-style: NS from :: with a nonce of ours, to its solicited-node group and 33:33:ff MAC', () => {
    const w = new FakeWorld();
    w.watch([{ address: A6 }]);
    w.advance(2000);
    expect(w.states('2001:db8::10')).toEqual(['ok']);
    expect(w.sent).toEqual([]); // nothing on the ARP socket for an IPv6 entry
    const probes = w.sent6.filter((s) => s.kind === 'probe');
    expect(probes.length).toBeGreaterThanOrEqual(1);
    const p = probes[0]!;
    expect(p.family).toBe('ipv6');
    expect(p.destination).toBe(solicitedNodeMac(A6));
    expect(p.frame.frame).toMatchObject({ type: TYPE_NEIGHBOR_SOLICITATION, source: UNSPECIFIED, destination: solicitedNodeGroup(A6), target: A6, sourceLinkLayer: null });
    expect(p.frame.frame.type === TYPE_NEIGHBOR_SOLICITATION && p.frame.frame.nonce).toMatch(/^[0-9a-f]{12}$/);
    // the bytes on the wire decode to the same frame (checksum, hop limit 255)
    const decoded = decodeNd(p.frame.payload);
    expect(decoded.ok && decoded.frame).toMatchObject({ source: UNSPECIFIED, target: A6 });
  });

  it('a delegate held elsewhere is probed with an ordinary NS from our link-local address with our SLLA, never from ::', () => {
    const w = new FakeWorld();
    w.watch([{ address: D6, role: 'delegate', held: false }]);
    w.advance(5000);
    const probes = w.sent6.filter((s) => s.kind === 'probe');
    expect(probes.length).toBeGreaterThanOrEqual(3);
    for (const p of probes) {
      expect(p.frame.frame).toMatchObject({ type: TYPE_NEIGHBOR_SOLICITATION, source: OWN_LINK_LOCAL, target: D6, sourceLinkLayer: OWN_MAC, nonce: null });
      expect(p.destination).toBe(solicitedNodeMac(D6));
    }
    expect(w.sent6.filter((s) => s.kind !== 'probe')).toEqual([]); // never announced
  });

  it('no link-local address: the delegate is only listened for, and that is said once', () => {
    const w = new FakeWorld({ announceIntervalMs: 1000 });
    w.watch([{ address: D6, role: 'delegate', held: false }], { interfaces: [{ name: IF, ifindex: 2, mac: OWN_MAC, up: true, hostAddresses: OWN_ADDRESSES, linkLocal: null }] });
    w.advance(5000);
    expect(w.sent6).toEqual([]);
    const withheld = w.events.filter((e) => e.type === 'probe-withheld');
    expect(withheld).toHaveLength(1);
    expect(withheld[0]!.type === 'probe-withheld' && withheld[0]!.reason).toMatch(/link-local/);
    expect(w.detector.snapshotAll()[0]!.passive).toBe(true);
  });

  it('announcements of a held address are unsolicited NAs, S=0 O=1 with our TLLA, to all-nodes', () => {
    const w = new FakeWorld({ announceIntervalMs: 1000 });
    w.watch([{ address: A6 }]);
    w.advance(3500);
    const ann = w.sent6.filter((s) => s.kind === 'announcement');
    expect(ann.length).toBeGreaterThanOrEqual(2);
    for (const a of ann) {
      expect(a.destination).toBe(ALL_NODES_MAC);
      expect(a.frame.frame).toMatchObject({ type: TYPE_NEIGHBOR_ADVERTISEMENT, source: A6, destination: ALL_NODES, target: A6, solicited: false, override: true, router: false, targetLinkLayer: OWN_MAC });
    }
  });

  it('a chatty claim (unsolicited NA) is a conflict at once naming its MAC, defended at most once per DEFEND_INTERVAL', () => {
    const w = new FakeWorld();
    w.watch([{ address: A6 }]);
    w.advance(1500);
    expect(w.advertise(INTRUDER, A6, false)).toBe('claim');
    const conflict = stateEvents(w).find((e) => e.type === 'state' && e.to === 'conflict');
    expect(conflict?.type === 'state' && conflict.entry.macs.map((m) => m.mac)).toEqual([INTRUDER]);
    expect(conflict?.type === 'state' && conflict.entry.address).toBe('2001:db8::10');
    for (let i = 0; i < 5; i++) {
      w.advance(500);
      w.advertise(INTRUDER, A6, false);
    }
    let defences = w.sent6.filter((s) => s.kind === 'defence');
    expect(defences).toHaveLength(1);
    expect(defences[0]!.frame.frame).toMatchObject({ type: TYPE_NEIGHBOR_ADVERTISEMENT, solicited: false, override: true, targetLinkLayer: OWN_MAC });
    w.advance(DEFEND_INTERVAL_MS);
    w.advertise(INTRUDER, A6, false);
    defences = w.sent6.filter((s) => s.kind === 'defence');
    expect(defences).toHaveLength(2);
  });

  it('a silent holder answering our DAD probe is a conflict naming its MAC', () => {
    const w = new FakeWorld();
    w.onTransmit6 = (t) => t.kind === 'probe' && w.advertise(INTRUDER, t.address, false);
    w.watch([{ address: A6 }]);
    w.advance(1300);
    expect(w.states('2001:db8::10')).toEqual(['conflict']);
  });

  it('our own DAD probe looped back (our nonce) is ours, even from another MAC; a foreign one contests', () => {
    const w = new FakeWorld();
    w.watch([{ address: A6 }]);
    w.advance(1500);
    const probe = w.sent6.find((s) => s.kind === 'probe')!;
    const nonce = probe.frame.frame.type === TYPE_NEIGHBOR_SOLICITATION ? probe.frame.frame.nonce! : '';
    expect(w.dad6('02:00:00:00:00:77', A6, nonce)).toBe('own');
    expect(w.dad6(OWN_MAC, A6, 'ffffffffffff')).toBe('own');
    expect(w.states('2001:db8::10')).toEqual(['ok']);
    expect(w.dad6(INTRUDER, A6, '0102030405ff')).toBe('probe');
    expect(w.states('2001:db8::10')).toEqual(['ok', 'contested']);
  });

  it('a peer doing DAD for a delegate held elsewhere is not our business: nothing sent in reply, no state change', () => {
    const w = new FakeWorld({ announceIntervalMs: 1000 });
    w.onTransmit6 = (t) => t.kind === 'probe' && w.advertise(PEER1, t.address);
    w.watch([{ address: D6, role: 'delegate', held: false }]);
    w.advance(3000);
    const before = w.sent6.length;
    expect(w.dad6(PEER2, D6)).toBe('unwatched');
    w.advance(50);
    expect(w.sent6.slice(before).every((s) => s.kind === 'probe' && s.frame.frame.source === OWN_LINK_LOCAL)).toBe(true);
  });

  it('delegates: ok with one holder, split brain naming both, VRRP IPv6 MACs ignored', () => {
    const w = new FakeWorld();
    let holders = [PEER1, '00:00:5e:00:02:07'];
    w.onTransmit6 = (t) => t.kind === 'probe' && holders.forEach((m) => w.advertise(m, t.address));
    w.watch([{ address: D6, role: 'delegate', held: false }]);
    w.advance(3000);
    expect(w.states('2001:db8::20')).toEqual(['ok']);
    holders = [PEER1, PEER2];
    w.advance(4000);
    const sb = stateEvents(w).find((e) => e.type === 'state' && e.to === 'split-brain');
    expect(sb?.type === 'state' && sb.entry.macs.map((m) => m.mac).sort()).toEqual([PEER1, PEER2]);
  });

  it('an own address the kernel marked dadfailed: ordinary NS only, never an NA, a conflict naming the holder that stays', () => {
    const w = new FakeWorld({ announceIntervalMs: 1000, clearAfter: 1 });
    let answering = true;
    w.onTransmit6 = (t) => {
      if (t.kind !== 'probe') return;
      expect(t.frame.frame.source).toBe(OWN_LINK_LOCAL);
      if (answering) w.advertise(INTRUDER, t.address);
    };
    w.watch([{ address: A6, dadFailed: true }]);
    w.advance(1500);
    expect(w.states('2001:db8::10')).toEqual(['conflict']);
    const c = stateEvents(w)[0]!;
    expect(c.type === 'state' && c.entry.macs.map((m) => m.mac)).toEqual([INTRUDER]);
    answering = false;
    w.advance(5000);
    expect(w.states('2001:db8::10')).toEqual(['conflict']); // a quiet round does not clear the kernel's verdict
    expect(w.sent6.filter((s) => s.kind !== 'probe')).toEqual([]);
    expect(w.detector.watchedIpv6(IF)).toEqual([{ address: A6, held: false }]);
  });

  it('IPv4 and IPv6 entries live side by side, keyed apart, the ARP filter seeing only IPv4', () => {
    const w = new FakeWorld();
    w.watch([{ address: A4 }, { address: A6 }]);
    w.advance(2000);
    expect(w.detector.watchedAddresses(IF)).toEqual([A4]);
    expect(w.detector.snapshotAll().map((s) => s.address).sort()).toEqual(['192.0.2.10', '2001:db8::10']);
    expect(w.sent.every((s) => s.address === A4)).toBe(true);
    expect(w.sent6.every((s) => s.address === A6)).toBe(true);
  });
});

describe('nonces', () => {
  it('are 6 bytes of hex from the injected random source, and remembered in a bounded ring', () => {
    const r = seeded(1);
    const n = newNonce(r);
    expect(n).toMatch(/^[0-9a-f]{12}$/);
    const ring = new OwnNonces(3);
    for (const x of ['a', 'b', 'c', 'd']) ring.add(x);
    expect(ring.size).toBe(3);
    expect(ring.has('a')).toBe(false);
    expect(ring.has('d')).toBe(true);
  });
});
