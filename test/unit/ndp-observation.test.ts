import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIpv6, type Ipv6 } from '../../src/core/ipv6.js';
import { classifyNd, observeNd, type NdContext } from '../../src/core/ndp-observation.js';
import { decodeNd, dadProbe, solicitation, unsolicitedAdvertisement, type NdFrame } from '../../src/core/ndp.js';

const v6 = (t: string): Ipv6 => parseIpv6(t)!;
const KERNEL = JSON.parse(readFileSync(new URL('../fixtures/ndp/kernel-frames.json', import.meta.url), 'utf8')) as {
  hosts: { a: string; b: string };
  frames: Array<{ ethernetSource: string; payload: string }>;
};
const frame = (i: number): NdFrame => {
  const r = decodeNd(Uint8Array.from(Buffer.from(KERNEL.frames[i]!.payload, 'hex')));
  if (!r.ok) throw new Error(r.reason);
  return r.frame;
};
const { a: A, b: B } = KERNEL.hosts;
const PROXY = '02:00:00:00:99:99';

describe('observeNd on the kernel\'s frames', () => {
  it('a DAD probe is a probe for its target, with the prober\'s nonce', () => {
    expect(observeNd(frame(0), A)).toEqual({ kind: 'probe', address: v6('2001:db8::10'), mac: A, ethernetSource: A, nonce: 'f0eac77b9363' });
  });
  it('the NA answering it names the holder by its target link-layer option', () => {
    expect(observeNd(frame(1), B)).toEqual({
      kind: 'holder', address: v6('2001:db8::10'), mac: B, ethernetSource: B, via: 'advertisement', solicited: false, override: true,
    });
  });
  it('an ordinary NS asserts its source address, not its target', () => {
    expect(observeNd(frame(2), A)).toMatchObject({ kind: 'holder', address: v6('2001:db8::1'), mac: A, via: 'solicitation' });
  });
  it('a solicited unicast NA is a holder with S=1', () => {
    expect(observeNd(frame(3), B)).toMatchObject({ kind: 'holder', address: v6('2001:db8::20'), mac: B, solicited: true, override: true });
  });
});

describe('observeNd on built frames', () => {
  it('keeps the asserted MAC apart from the Ethernet source (a proxy relaying an NA)', () => {
    const na = unsolicitedAdvertisement(B, v6('2001:db8::10')).frame;
    expect(observeNd(na, PROXY)).toMatchObject({ mac: B, ethernetSource: PROXY });
  });
  it('falls back to the Ethernet source when the option is absent', () => {
    const na = { ...unsolicitedAdvertisement(B, v6('2001:db8::10')).frame, targetLinkLayer: null, solicited: true, destination: v6('2001:db8::1') } as NdFrame;
    expect(observeNd(na, PROXY)).toMatchObject({ mac: PROXY, ethernetSource: PROXY });
    const ns = { ...solicitation(v6('2001:db8::10'), B, v6('2001:db8::1')).frame, sourceLinkLayer: null } as NdFrame;
    expect(observeNd(ns, PROXY)).toMatchObject({ kind: 'holder', address: v6('2001:db8::10'), mac: PROXY });
  });
  it('a probe without a nonce has nonce null', () => {
    const p = { ...dadProbe(v6('2001:db8::10'), '000000000001').frame, nonce: null } as NdFrame;
    expect(observeNd(p, A)).toMatchObject({ kind: 'probe', nonce: null });
  });
});

describe('classifyNd carries the ARP rules over', () => {
  const ctx = (held: boolean, over: Partial<NdContext> = {}): NdContext => ({ held, ownMacs: new Set([A]), ownNonces: new Set(['aaaaaaaaaaaa']), ...over });
  const holder = observeNd(frame(1), B);
  const probe = observeNd(frame(0), A);
  if (probe.kind !== 'probe') throw new Error('fixture 0 is a probe');
  const foreignProbe = { ...probe, mac: B, ethernetSource: B };

  it('a foreign holder is a claim for a held address, an answer for a delegate held elsewhere', () => {
    expect(classifyNd(holder, ctx(true))).toBe('claim');
    expect(classifyNd(holder, ctx(false))).toBe('answer');
  });
  it('a foreign DAD probe contests a held address and is left alone for one held elsewhere', () => {
    expect(classifyNd(foreignProbe, ctx(true))).toBe('probe');
    expect(classifyNd(foreignProbe, ctx(false))).toBe('unwatched');
  });
  it('our own MACs and our own looped-back nonces are ours', () => {
    expect(classifyNd(probe, ctx(true))).toBe('own'); // from A, one of our MACs
    expect(classifyNd(holder, ctx(true, { ownMacs: new Set([B]) }))).toBe('own');
    expect(classifyNd({ ...holder, ethernetSource: A }, ctx(true))).toBe('own'); // relayed through our MAC
    expect(classifyNd({ ...foreignProbe, nonce: 'aaaaaaaaaaaa' }, ctx(true))).toBe('own');
    expect(classifyNd({ ...foreignProbe, nonce: 'aaaaaaaaaaab' }, ctx(true))).toBe('probe');
  });
});
