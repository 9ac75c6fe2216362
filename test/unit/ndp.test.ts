import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_NODES, UNSPECIFIED, formatIpv6, parseIpv6, readIpv6, solicitedNodeGroup, type Ipv6 } from '../../src/core/ipv6.js';
import type { Mac } from '../../src/core/mac.js';
import {
  ND_INVALID_REASONS,
  dadProbe,
  decodeNd,
  encodeNd,
  icmpv6Sum,
  solicitation,
  unsolicitedAdvertisement,
  type NdFrame,
  type NdInvalidReason,
} from '../../src/core/ndp.js';

const v6 = (t: string): Ipv6 => parseIpv6(t) ?? (() => { throw new Error(t); })();
const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (u: Uint8Array): string => Buffer.from(u).toString('hex');

interface Captured { ethernetDestination: Mac; ethernetSource: Mac; payload: string }
const KERNEL = JSON.parse(readFileSync(new URL('../fixtures/ndp/kernel-frames.json', import.meta.url), 'utf8')) as {
  frames: Captured[];
};
const [dadNs, dadNa, ordinaryNs, solicitedNa, unsolicitedNa, , linkLocalNa] = KERNEL.frames.map((f) => ({ ...f, bytes: fromHex(f.payload) }));

function decoded(bytes: Uint8Array): NdFrame {
  const r = decodeNd(bytes);
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.frame;
}

/** Recomputes the ICMPv6 checksum of a packet without extension headers, after a test mutated it. */
function reChecksum(b: Uint8Array, at = 40): Uint8Array {
  const end = 40 + ((b[4]! << 8) | b[5]!);
  b[at + 2] = b[at + 3] = 0;
  const c = 0xffff - icmpv6Sum(b, 8, 24, at, end - at);
  b[at + 2] = c >> 8;
  b[at + 3] = c & 0xff;
  return b;
}

describe('frames sent by the Linux kernel (test/fixtures/ndp)', () => {
  it('decodes the DAD probe: from ::, to the solicited-node group, a nonce, no SLLA', () => {
    expect(decoded(dadNs!.bytes)).toEqual({
      type: 135, source: UNSPECIFIED, destination: v6('ff02::1:ff00:10'), target: v6('2001:db8::10'), sourceLinkLayer: null, nonce: 'f0eac77b9363',
    });
    expect(dadNs!.ethernetDestination).toBe('33:33:ff:00:00:10');
  });

  it('decodes the holder\'s answer to the probe: NA to ff02::1, S=0 O=1, its MAC in the TLLA', () => {
    expect(decoded(dadNa!.bytes)).toEqual({
      type: 136, source: v6('2001:db8::10'), destination: ALL_NODES, target: v6('2001:db8::10'),
      router: false, solicited: false, override: true, targetLinkLayer: dadNa!.ethernetSource,
    });
  });

  it('decodes ordinary resolution: NS with SLLA, unicast NA with S=1 O=1', () => {
    expect(decoded(ordinaryNs!.bytes)).toMatchObject({ type: 135, source: v6('2001:db8::1'), target: v6('2001:db8::20'), sourceLinkLayer: ordinaryNs!.ethernetSource, nonce: null });
    expect(decoded(solicitedNa!.bytes)).toMatchObject({ type: 136, destination: v6('2001:db8::1'), solicited: true, override: true, targetLinkLayer: solicitedNa!.ethernetSource });
  });

  it('decodes the unsolicited NAs after a MAC change (global and link-local)', () => {
    expect(decoded(unsolicitedNa!.bytes)).toMatchObject({ type: 136, solicited: false, override: true, targetLinkLayer: '02:00:00:00:0b:0b' });
    expect(formatIpv6(decoded(linkLocalNa!.bytes).target)).toBe('fe80::20e1:cfff:fe97:9c8');
  });

  it('re-encodes every kernel frame byte for byte, checksum included', () => {
    for (const f of KERNEL.frames) expect(toHex(encodeNd(decoded(fromHex(f.payload))))).toBe(f.payload);
  });

  it('builds the same frames the kernel sends', () => {
    const probe = dadProbe(v6('2001:db8::10'), 'f0eac77b9363');
    expect(toHex(probe.payload)).toBe(dadNs!.payload);
    expect(probe.destinationMac).toBe(dadNs!.ethernetDestination);
    const ns = solicitation(v6('2001:db8::1'), ordinaryNs!.ethernetSource, v6('2001:db8::20'));
    expect(toHex(ns.payload)).toBe(ordinaryNs!.payload);
    expect(ns.destinationMac).toBe(ordinaryNs!.ethernetDestination);
    const na = unsolicitedAdvertisement('02:00:00:00:0b:0b', v6('2001:db8::20'));
    expect(toHex(na.payload)).toBe(unsolicitedNa!.payload);
    expect(na.destinationMac).toBe('33:33:00:00:00:01');
  });

  it('an ordinary NS from a link-local address goes to the solicited-node group', () => {
    const ns = solicitation(v6('fe80::ff:fe00:b0b'), '02:00:00:00:0b:0b', v6('2001:db8::abcd:10'));
    expect(ns.destinationMac).toBe('33:33:ff:cd:00:10');
    expect(decoded(ns.payload)).toMatchObject({ destination: solicitedNodeGroup(v6('2001:db8::abcd:10')), sourceLinkLayer: '02:00:00:00:0b:0b' });
    expect(() => dadProbe(v6('2001:db8::10'), 'abcd')).toThrow(RangeError);
  });
});

/** Each malformed class, made from a valid kernel frame, with the reason it must give. */
const MALFORMED: Array<[NdInvalidReason, string, () => Uint8Array]> = [
  ['truncated', 'shorter than an IPv6 header', () => dadNs!.bytes.slice(0, 39)],
  ['truncated', 'shorter than the payload length says', () => dadNs!.bytes.slice(0, dadNs!.bytes.length - 1)],
  ['bad-version', 'version 4', () => { const b = dadNs!.bytes.slice(); b[0] = 0x45; return b; }],
  ['bad-hop-limit', 'hop limit 254 (routed)', () => { const b = dadNa!.bytes.slice(); b[7] = 254; return b; }],
  ['bad-next-header', 'UDP', () => { const b = dadNa!.bytes.slice(); b[6] = 17; return b; }],
  ['fragmented', 'a fragment header', () => withExtension(dadNa!.bytes, 44, 0)],
  ['bad-next-header', 'hop-by-hop after destination options', () => withExtension(withExtension(dadNa!.bytes, 0, 0), 60, 0)],
  ['too-many-extension-headers', 'five destination options headers', () => [1, 2, 3, 4, 5].reduce((b) => withExtension(b, 60, 0), dadNa!.bytes)],
  ['truncated', 'an extension header longer than the packet', () => { const b = withExtension(dadNa!.bytes, 60, 0); b[41] = 200; return b; }],
  ['bad-length', 'ICMPv6 message shorter than 24 bytes', () => { const b = dadNa!.bytes.slice(0, 60); b[5] = 20; return b; }],
  ['bad-type', 'a router advertisement', () => reChecksum(((b) => ((b[40] = 134), b))(dadNa!.bytes.slice()))],
  ['bad-code', 'code 1', () => reChecksum(((b) => ((b[41] = 1), b))(dadNa!.bytes.slice()))],
  ['bad-checksum', 'one target bit flipped', () => { const b = dadNa!.bytes.slice(); b[63]! ^= 1; return b; }],
  ['bad-option-length', 'option length 0', () => reChecksum(((b) => ((b[65] = 0), b))(dadNa!.bytes.slice()))],
  ['bad-option-length', 'option running past the end', () => reChecksum(((b) => ((b[65] = 2), b))(dadNa!.bytes.slice()))],
  ['bad-option-length', 'a lone option type byte', () => reChecksum(withTail(dadNa!.bytes, [1]))],
  ['bad-link-layer-option', 'TLLA of length 2', () => reChecksum(withTail(((b) => ((b[65] = 2), b))(dadNa!.bytes.slice()), [0, 0, 0, 0, 0, 0, 0, 0]))],
  ['bad-link-layer-option', 'multicast TLLA', () => reChecksum(((b) => ((b[66] = 0x33), b))(dadNa!.bytes.slice()))],
  ['bad-link-layer-option', 'all-zero SLLA', () => reChecksum(((b) => (b.fill(0, 66, 72), b))(ordinaryNs!.bytes.slice()))],
  ['bad-source', 'multicast source', () => reChecksum(((b) => ((b[8] = 0xff), b))(dadNa!.bytes.slice()))],
  ['multicast-target', 'NS for ff02::1', () => encodeNd({ ...decoded(ordinaryNs!.bytes), target: ALL_NODES } as NdFrame)],
  ['multicast-target', 'NA for ff02::1', () => encodeNd({ ...decoded(dadNa!.bytes), target: ALL_NODES } as NdFrame)],
  ['bad-dad-destination', 'DAD NS to ff02::1', () => encodeNd({ ...decoded(dadNs!.bytes), destination: ALL_NODES } as NdFrame)],
  ['dad-with-source-link-layer', 'DAD NS with SLLA', () => encodeNd({ ...decoded(dadNs!.bytes), sourceLinkLayer: '02:00:00:00:0a:0a' } as NdFrame)],
  ['solicited-to-multicast', 'NA to ff02::1 with S=1', () => encodeNd({ ...decoded(dadNa!.bytes), solicited: true } as NdFrame)],
];

/** Inserts an 8-byte extension header of type `type` (next header = the old one). */
function withExtension(b: Uint8Array, type: number, extraLength: number): Uint8Array {
  const ext = new Uint8Array(8 + extraLength * 8);
  ext[0] = b[6]!;
  ext[1] = extraLength;
  ext[2] = 1; // PadN over the rest
  ext[3] = ext.length - 4;
  const out = new Uint8Array(b.length + ext.length);
  out.set(b.subarray(0, 40));
  out.set(ext, 40);
  out.set(b.subarray(40), 40 + ext.length);
  out[6] = type;
  const plen = ((b[4]! << 8) | b[5]!) + ext.length;
  out[4] = plen >> 8;
  out[5] = plen & 255;
  return out;
}

function withTail(b: Uint8Array, tail: number[]): Uint8Array {
  const out = new Uint8Array(b.length + tail.length);
  out.set(b);
  out.set(tail, b.length);
  const plen = out.length - 40;
  out[4] = plen >> 8;
  out[5] = plen & 255;
  return out;
}

describe('decodeNd refuses malformed frames with a reason', () => {
  it.each(MALFORMED)('%s: %s', (reason, _what, make) => {
    expect(decodeNd(make())).toEqual({ ok: false, reason });
  });

  it('every reason has a case', () => {
    expect(new Set(MALFORMED.map(([r]) => r))).toEqual(new Set(ND_INVALID_REASONS));
  });

  it('walks hop-by-hop and destination options headers, and ignores trailing bytes and unknown options', () => {
    const want = decoded(dadNa!.bytes);
    expect(decoded(withExtension(dadNa!.bytes, 0, 1))).toEqual(want);
    expect(decoded(withExtension(withExtension(dadNa!.bytes, 60, 0), 0, 2))).toEqual(want);
    const padded = new Uint8Array(dadNa!.bytes.length + 6);
    padded.set(dadNa!.bytes);
    expect(decoded(padded)).toEqual(want);
    expect(decoded(reChecksum(withTail(dadNa!.bytes, [200, 1, 9, 9, 9, 9, 9, 9])))).toEqual(want);
    // RFC 4861 §4.6: the first link-layer option counts
    expect(decoded(reChecksum(withTail(dadNa!.bytes, [2, 1, 2, 0, 0, 0, 0, 9])))).toEqual(want);
  });
});

// ---- property-based -------------------------------------------------------------------------

const hexBytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(toHex);
const unicast = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  if (b[0] === 0xff) b[0] = 0x20;
  return readIpv6(b, 0);
});
const station = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => {
  b[0] = b[0]! & 0xfe;
  b[5] = b[5]! | 1;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
});
const anyDestination = fc.oneof(unicast, unicast.map(solicitedNodeGroup), fc.constant(ALL_NODES));
const nsFrame: fc.Arbitrary<NdFrame> = fc.oneof(
  fc.record({ target: unicast, nonce: fc.option(hexBytes(6)) }).map(({ target, nonce }) => ({
    type: 135 as const, source: UNSPECIFIED, destination: solicitedNodeGroup(target), target, sourceLinkLayer: null, nonce,
  })),
  fc.record({ source: unicast.filter((a) => a !== UNSPECIFIED), destination: anyDestination, target: unicast, sourceLinkLayer: fc.option(station), nonce: fc.option(fc.oneof(hexBytes(6), hexBytes(14))) }).map(
    (f) => ({ type: 135 as const, ...f }),
  ),
);
const naFrame: fc.Arbitrary<NdFrame> = fc
  .record({ source: unicast, destination: anyDestination, target: unicast, router: fc.boolean(), solicited: fc.boolean(), override: fc.boolean(), targetLinkLayer: fc.option(station) })
  .map((f) => ({ type: 136 as const, ...f, solicited: f.solicited && !f.destination.startsWith('ff') }));

const REASONS = new Set<string>(ND_INVALID_REASONS);

describe('properties (seeded)', () => {
  it('encode then decode is the identity for valid frames', () => {
    fc.assert(fc.property(fc.oneof(nsFrame, naFrame), (f) => {
      const r = decodeNd(encodeNd(f));
      if (!r.ok || JSON.stringify(r.frame) !== JSON.stringify(f)) expect(r).toEqual({ ok: true, frame: f });
    }), { seed: 4861, numRuns: 3000 });
  });

  it('random buffers never throw and are refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), (b) => {
        const r = decodeNd(b);
        if (r.ok || !REASONS.has(r.reason)) expect(r).toBe('refused with a known reason');
      }),
      { seed: 1, numRuns: 3000 },
    );
  });

  it('mutated kernel and generated frames never throw; a decoded one re-encodes to a valid frame', () => {
    const base = fc.oneof(fc.constantFrom(...KERNEL.frames.map((f) => fromHex(f.payload))), fc.oneof(nsFrame, naFrame).map(encodeNd));
    const mutated = fc.tuple(base, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.integer({ min: -8, max: 8 }), fc.boolean()).map(
      ([b, edits, cut, fix]) => {
        let out: Uint8Array = b.slice();
        for (const [at, v] of edits) out[at % out.length] = v;
        if (cut < 0) out = out.slice(0, Math.max(0, out.length + cut));
        else if (cut > 0) out = withTail(out, new Array<number>(cut).fill(cut));
        // half of the runs repair the checksum so that the checks behind it are reached too
        if (fix && out.length >= 64 && out[6] === 58 && 40 + ((out[4]! << 8) | out[5]!) <= out.length) reChecksum(out);
        return out;
      },
    );
    fc.assert(
      fc.property(mutated, (b) => {
        const r = decodeNd(b);
        if (r.ok) {
          const again = decodeNd(encodeNd(r.frame));
          if (JSON.stringify(again) !== JSON.stringify(r)) expect(again).toEqual(r);
        } else if (!REASONS.has(r.reason)) expect(r.reason).toBe('a known reason');
      }),
      { seed: 7527, numRuns: 4000 },
    );
  });
});
