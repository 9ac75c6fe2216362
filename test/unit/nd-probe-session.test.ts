/**
 * The pure IPv6 probe session: which probe it builds, and what counts as an answer. Frames are
 * the kernel's own (test/fixtures/ndp/kernel-frames.json) or built with dupip's encoders.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UNSPECIFIED, parseIpv6, solicitedNodeGroup, type Ipv6 } from '../../src/core/ipv6.js';
import { chooseNdProbeMethod, NdProbeSession } from '../../src/core/nd-probe-session.js';
import { dadProbe, decodeNd, solicitation, type NdFrame, type NeighborAdvertisement } from '../../src/core/ndp.js';
import { PACKET_HOST, PACKET_MULTICAST, PACKET_OUTGOING } from '../../src/core/packet-constants.js';

const v6 = (t: string): Ipv6 => parseIpv6(t)!;
const KERNEL = JSON.parse(readFileSync(new URL('../fixtures/ndp/kernel-frames.json', import.meta.url), 'utf8')) as {
  hosts: { a: string; b: string };
  frames: Array<{ ethernetSource: string; payload: string }>;
};
const kernel = (i: number): NdFrame => {
  const r = decodeNd(Uint8Array.from(Buffer.from(KERNEL.frames[i]!.payload, 'hex')));
  if (!r.ok) throw new Error(r.reason);
  return r.frame;
};
const TARGET = v6('2001:db8::10');
const OWN = '02:00:00:00:aa:01';
const OWN_OTHER = '02:00:00:00:aa:02';
const LL = v6('fe80::aa:1');
const X = '02:00:00:00:bb:01';
const Y = '02:00:00:00:bb:02';
const na = (mac: Mac | null, target = TARGET, solicited = false): NeighborAdvertisement => ({
  type: 136, source: target, destination: v6('ff02::1'), target, router: false, solicited, override: true, targetLinkLayer: mac,
});
type Mac = string;
const session = (method: 'dad' | 'solicitation' = 'solicitation') => new NdProbeSession(TARGET, method, { mac: OWN, linkLocal: LL }, new Set([OWN, OWN_OTHER]));
const NONCE = Uint8Array.from([1, 2, 3, 4, 5, 6]);

describe('chooseNdProbeMethod', () => {
  it('DAD semantics only for an address held here with DAD done; an ordinary NS otherwise', () => {
    expect(chooseNdProbeMethod({ held: true, tentative: false })).toBe('dad');
    expect(chooseNdProbeMethod({ held: false, tentative: false })).toBe('solicitation');
    expect(chooseNdProbeMethod({ held: false, tentative: true })).toBe('solicitation'); // our own DAD must not fail
  });
});

describe('NdProbeSession probes', () => {
  it('an ordinary NS from our link-local with our MAC, never from ::', () => {
    const t = session('solicitation').nextProbe(NONCE);
    expect(t.frame).toMatchObject({ type: 135, source: LL, destination: solicitedNodeGroup(TARGET), target: TARGET, sourceLinkLayer: OWN, nonce: null });
    expect(t.frame.source).not.toBe(UNSPECIFIED);
    expect(t.payload).toEqual(solicitation(LL, OWN, TARGET).payload);
    expect(t.destinationMac).toBe('33:33:ff:00:00:10');
  });
  it('a DAD probe from :: with the nonce given, byte for byte what dadProbe builds', () => {
    const t = session('dad').nextProbe(NONCE);
    expect(t.frame).toMatchObject({ source: UNSPECIFIED, sourceLinkLayer: null, nonce: '010203040506' });
    expect(t.payload).toEqual(dadProbe(TARGET, '010203040506').payload);
    expect(() => session('dad').nextProbe(new Uint8Array(5))).toThrow(RangeError);
  });
});

describe('NdProbeSession answers', () => {
  it('counts the kernel\'s NA naming its holder by the target link-layer option', () => {
    const s = session('dad');
    s.probeSent(100);
    expect(s.frame(kernel(1), KERNEL.hosts.b, PACKET_MULTICAST, 103.5)).toBe('answer');
    expect(s.result()).toEqual({ duplicate: true, answers: [{ mac: KERNEL.hosts.b, firstAnswerMs: 3.5, frames: 1 }], probers: [], sent: 1, received: 1 });
  });

  it('keeps every foreign MAC, in the order they first answered, and counts repeats', () => {
    const s = session();
    s.probeSent(0);
    s.frame(na(Y, TARGET, true), Y, PACKET_HOST, 5);
    s.frame(na(X, TARGET, true), X, PACKET_HOST, 2);
    s.frame(na(Y, TARGET, true), Y, PACKET_HOST, 9);
    const r = s.result();
    expect(r.answers.map((a) => [a.mac, a.frames])).toEqual([[X, 1], [Y, 2]]);
    expect(r).toMatchObject({ duplicate: true, received: 3 });
  });

  it('without a target link-layer option the Ethernet source is the holder; a differing one is reported', () => {
    const s = session();
    s.probeSent(0);
    s.frame(na(null, TARGET, true), X, PACKET_HOST, 1);
    s.frame(na(Y), X, PACKET_MULTICAST, 2);
    expect(s.result().answers).toEqual([
      { mac: X, firstAnswerMs: 1, frames: 1 },
      { mac: Y, firstAnswerMs: 2, frames: 1, ethernetSource: X },
    ]);
  });

  it('an NS from the address is a holder too (its sender uses it)', () => {
    const s = session();
    s.probeSent(0);
    expect(s.frame(solicitation(TARGET, X, v6('2001:db8::1')).frame, X, PACKET_MULTICAST, 1)).toBe('answer');
  });

  it('never counts the host\'s own MACs (any interface), outgoing frames, other addresses, or answers before asking', () => {
    const s = session();
    expect(s.frame(na(X), X, PACKET_MULTICAST, 0)).toBe('other'); // before the first probe
    s.probeSent(1);
    expect(s.frame(na(OWN_OTHER), OWN_OTHER, PACKET_MULTICAST, 2)).toBe('own');
    expect(s.frame(na(X), OWN, PACKET_MULTICAST, 2)).toBe('own'); // our MAC as the Ethernet source
    expect(s.frame(na(X), X, PACKET_OUTGOING, 2)).toBe('own');
    expect(s.frame(na(X, v6('2001:db8::11')), X, PACKET_MULTICAST, 2)).toBe('other');
    expect(s.frame(kernel(2), KERNEL.hosts.a, PACKET_MULTICAST, 2)).toBe('other'); // A resolving ::20 from ::1
    expect(s.result()).toMatchObject({ duplicate: false, answers: [], received: 0, sent: 1 });
  });

  it('recognises its own looped-back DAD probe by nonce; another host\'s DAD probe is a prober', () => {
    const s = session('dad');
    const mine = s.nextProbe(NONCE);
    s.probeSent(0);
    expect(s.frame(mine.frame, X, PACKET_MULTICAST, 1)).toBe('own'); // e.g. reflected by a switch
    expect(s.frame(dadProbe(TARGET, 'aabbccddeeff').frame, X, PACKET_MULTICAST, 1)).toBe('prober');
    expect(s.frame(dadProbe(TARGET, 'aabbccddeeff').frame, OWN_OTHER, PACKET_MULTICAST, 1)).toBe('own');
    expect(s.result()).toMatchObject({ duplicate: false, probers: [X] });
  });
});
