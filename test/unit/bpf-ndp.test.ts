import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPF_MAXINSNS, type BpfProgram } from '../../src/core/bpf.js';
import { GROUP_ADDRESSES, buildNdFilter } from '../../src/core/bpf-ndp.js';
import { ALL_NODES, UNSPECIFIED, parseIpv6, readIpv6, solicitedNodeGroup, type Ipv6 } from '../../src/core/ipv6.js';
import { observeNd } from '../../src/core/ndp-observation.js';
import { decodeNd, encodeNd, icmpv6Sum, type NdFrame } from '../../src/core/ndp.js';
import { checkProgram, decodeProgram, runBpf, type PacketContext } from '../support/bpf-interpreter.js';

const v6 = (t: string): Ipv6 => parseIpv6(t)!;
const KERNEL = JSON.parse(readFileSync(new URL('../fixtures/ndp/kernel-frames.json', import.meta.url), 'utf8')) as {
  frames: Array<{ payload: string }>;
};
const K = KERNEL.frames.map((f) => Uint8Array.from(Buffer.from(f.payload, 'hex')));
const [dadNs, dadNa, ordinaryNs, solicitedNa] = K as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
const PACKET_HOST = 0;
const PACKET_MULTICAST = 2;

const decodedPrograms = new WeakMap<BpfProgram, ReturnType<typeof decodeProgram>>();
/** The verdict from the instruction list and from the encoded bytes; they must agree. */
function passes(p: BpfProgram, packet: Uint8Array, ctx: Partial<PacketContext> = {}): boolean {
  let bytes = decodedPrograms.get(p);
  if (!bytes) decodedPrograms.set(p, (bytes = decodeProgram(p.encode())));
  const c = { pkttype: PACKET_MULTICAST, ...ctx };
  const a = runBpf(p.instructions, packet, c);
  if (runBpf(bytes, packet, c) !== a) throw new Error('encoded program disagrees with its instructions');
  return a !== 0;
}
const mutate = (b: Uint8Array, f: (c: Uint8Array) => void): Uint8Array => {
  const c = b.slice();
  f(c);
  return c;
};
function withExtension(b: Uint8Array, type: number): Uint8Array {
  const out = new Uint8Array(b.length + 8);
  out.set(b.subarray(0, 40));
  out.set([b[6]!, 0, 1, 4, 0, 0, 0, 0], 40);
  out.set(b.subarray(40), 48);
  out[6] = type;
  out[5] = b[5]! + 8;
  return out;
}

describe('buildNdFilter on the kernel\'s frames', () => {
  const p = buildNdFilter({ watched: [v6('2001:db8::10')] });

  it('is a valid program with a comment on every instruction', () => {
    expect(p.strategy).toBe('exact');
    expect(checkProgram(p.instructions)).toEqual([]);
    for (const i of p.instructions) expect(i.comment.length).toBeGreaterThan(3);
  });

  it('passes the DAD probe and the holder\'s NA for a watched address', () => {
    expect(passes(p, dadNs)).toBe(true);
    expect(passes(p, dadNa)).toBe(true);
  });

  it('drops ordinary resolution between other addresses, and tests an NS by its source', () => {
    expect(passes(p, ordinaryNs)).toBe(false); // from ::1 for ::20
    expect(passes(p, solicitedNa, { pkttype: PACKET_HOST })).toBe(false); // for ::20
    expect(passes(buildNdFilter({ watched: [v6('2001:db8::1')] }), ordinaryNs)).toBe(true);
    expect(passes(buildNdFilter({ watched: [v6('2001:db8::20')] }), ordinaryNs)).toBe(false); // resolving a watched target says nothing
    expect(passes(buildNdFilter({ watched: [v6('2001:db8::20')] }), solicitedNa, { pkttype: PACKET_HOST })).toBe(true);
  });

  it('drops what the header checks refuse', () => {
    expect(passes(p, dadNa, { pkttype: 4 })).toBe(false); // outgoing
    expect(passes(p, dadNa, { pkttype: 3 })).toBe(false); // otherhost
    expect(passes(p, dadNa, { vlanTagPresent: true })).toBe(false);
    expect(passes(p, dadNa.subarray(0, 63))).toBe(false);
    expect(passes(p, mutate(dadNa, (b) => (b[0] = 0x40)))).toBe(false);
    expect(passes(p, mutate(dadNa, (b) => (b[0] = 0x70)))).toBe(false);
    expect(passes(p, mutate(dadNa, (b) => (b[0] = 0x6f)))).toBe(true); // traffic class bits do not matter
    expect(passes(p, mutate(dadNa, (b) => (b[7] = 254)))).toBe(false);
    expect(passes(p, mutate(dadNa, (b) => (b[6] = 17)))).toBe(false);
    expect(passes(p, mutate(dadNa, (b) => (b[40] = 134)))).toBe(false);
    expect(passes(p, mutate(dadNa, (b) => (b[41] = 1)))).toBe(false);
    expect(passes(p, withExtension(dadNa, 44))).toBe(false); // fragment header
  });

  it('passes hop-by-hop and destination options chains to userspace, which decodes them', () => {
    for (const t of [0, 60]) {
      const b = withExtension(dadNa, t);
      expect(passes(p, b)).toBe(true);
      expect(decodeNd(b).ok).toBe(true);
    }
  });

  it('checks the receiving device when given an ifindex', () => {
    const q = buildNdFilter({ watched: [v6('2001:db8::10')], ifindex: 7 });
    expect(passes(q, dadNa, { ifindex: 7 })).toBe(true);
    expect(passes(q, dadNa, { ifindex: 8 })).toBe(false);
    expect(() => buildNdFilter({ watched: [], ifindex: 0 })).toThrow(RangeError);
  });

  it('drops everything with nothing to watch (:: and multicast do not count)', () => {
    for (const watched of [[], [UNSPECIFIED, ALL_NODES]]) {
      const q = buildNdFilter({ watched });
      expect(q.instructions).toHaveLength(1);
      expect(K.some((f) => passes(q, f))).toBe(false);
    }
  });
});

// ---- agreement with the userspace rule, over generated frames and watched sets ---------------

const low = fc.integer({ min: 0, max: 300 });
/** Addresses in a few /64s with small host parts, so that watched sets and frames collide often. */
const addr = fc.tuple(fc.integer({ min: 0, max: 2 }), low).map(([net, host]) => v6(`2001:db8:0:${net}::${host.toString(16)}`));
const mac = fc.constantFrom('02:00:00:00:00:01', '02:00:00:00:00:02');
const frame: fc.Arbitrary<NdFrame> = fc.oneof(
  fc.record({ source: fc.oneof(fc.constant(UNSPECIFIED), addr), target: addr, sll: fc.option(mac), nonce: fc.option(fc.constant('0102030405ff')) }).map(
    ({ source, target, sll, nonce }) => ({ type: 135 as const, source, destination: solicitedNodeGroup(target), target, sourceLinkLayer: source === UNSPECIFIED ? null : sll, nonce }),
  ),
  fc.record({ source: addr, target: addr, tll: fc.option(mac), s: fc.boolean(), o: fc.boolean(), toAll: fc.boolean() }).map(({ source, target, tll, s, o, toAll }) => ({
    type: 136 as const, source, destination: toAll ? ALL_NODES : source, target, router: false, solicited: s && !toAll, override: o, targetLinkLayer: tll,
  })),
);

describe('the kernel filter agrees with the userspace rule (seeded properties)', () => {
  it('an ND frame passes exactly when the address it speaks for is watched', () => {
    fc.assert(
      fc.property(fc.uniqueArray(addr, { maxLength: 140 }), fc.array(frame, { minLength: 1, maxLength: 20 }), (watched, frames) => {
        const p = buildNdFilter({ watched });
        const set = new Set(watched);
        for (const f of frames) {
          const want = set.has(observeNd(f, '02:00:00:00:00:09').address);
          if (passes(p, encodeNd(f)) !== want) expect({ frame: f, passes: !want }).toBe('the userspace verdict');
        }
      }),
      { seed: 2464, numRuns: 400 },
    );
  });

  it('random and mutated packets never make the program misbehave, and it only passes ND-shaped packets', () => {
    const p = buildNdFilter({ watched: [v6('2001:db8::10'), v6('2001:db8::20'), v6('2001:db8::1')] });
    const packet = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      fc.tuple(fc.constantFrom(...K), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 })).map(([b, edits]) =>
        mutate(b, (c) => edits.forEach(([at, v]) => (c[at % c.length] = v))),
      ),
    );
    fc.assert(
      fc.property(packet, (b) => {
        if (!passes(p, b)) return;
        const shaped = b.length >= 64 && b[0]! >> 4 === 6 && b[7] === 255 && (b[6] === 0 || b[6] === 60 || (b[6] === 58 && b[41] === 0 && (b[40] === 135 || b[40] === 136)));
        if (!shaped) expect(Buffer.from(b).toString('hex')).toBe('an ND-shaped packet');
      }),
      { seed: 8200, numRuns: 3000 },
    );
  });
});

describe('size strategies', () => {
  const inOne64 = (n: number) => Array.from({ length: n }, (_, i) => v6(`2001:db8::${(i + 1).toString(16)}`));
  const spread = (n: number) => Array.from({ length: n }, (_, i) => v6(`2001:db8:${(i + 1).toString(16)}::10`));

  it('groups addresses by /64: 900 addresses of one /64 still fit exactly, with every jump in range', () => {
    const watched = inOne64(900);
    const p = buildNdFilter({ watched });
    expect(p.strategy).toBe('exact');
    expect(p.watchedCount).toBe(900);
    expect(p.instructions.length).toBeLessThanOrEqual(BPF_MAXINSNS);
    expect(checkProgram(p.instructions)).toEqual([]);
    // first, last, every group boundary, and neighbours that are not watched
    for (const i of [0, 1, GROUP_ADDRESSES - 1, GROUP_ADDRESSES, GROUP_ADDRESSES + 1, 450, 899]) {
      const target = watched[i]!;
      expect(passes(p, encodeNd({ type: 136, source: target, destination: ALL_NODES, target, router: false, solicited: false, override: true, targetLinkLayer: null }))).toBe(true);
    }
    for (const t of ['2001:db8::', '2001:db8::385', '2001:db8:0:1::1', '2001:db9::1']) {
      const target = v6(t);
      expect(passes(p, encodeNd({ type: 136, source: target, destination: ALL_NODES, target, router: false, solicited: false, override: true, targetLinkLayer: null }))).toBe(false);
    }
  });

  it('falls back to userspace above the budget, passing every NS/NA', () => {
    const exact = buildNdFilter({ watched: spread(400) });
    expect(exact.strategy).toBe('exact');
    const p = buildNdFilter({ watched: spread(500) });
    expect(p.strategy).toBe('userspace');
    expect(checkProgram(p.instructions)).toEqual([]);
    expect(K.every((f) => passes(p, f, { pkttype: PACKET_HOST }))).toBe(true);
    expect(passes(p, mutate(dadNa, (b) => (b[40] = 128)))).toBe(false);
    expect(buildNdFilter({ watched: inOne64(20), maxInstructions: 60 }).strategy).toBe('userspace');
  });
});

describe('checksum helper used by the fixtures', () => {
  it('every kernel frame sums to 0xffff', () => {
    for (const b of K) expect(icmpv6Sum(b, 8, 24, 40, b.length - 40)).toBe(0xffff);
    expect(readIpv6(dadNs, 8)).toBe(UNSPECIFIED);
  });
});
