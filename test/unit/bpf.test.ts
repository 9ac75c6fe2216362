import { describe, expect, it } from 'vitest';
import {
  ACCEPT,
  BPF_JMP,
  BPF_MAXINSNS,
  buildArpFilter,
  dropAllProgram,
  encodeInstructions,
  formatProgram,
  mergeRanges,
  type BpfProgram,
  VLAN_SNAP,
} from '../../src/core/bpf.js';
import { parseIpv4, type Ipv4 } from '../../src/core/ipv4.js';
import { PACKET_BROADCAST, PACKET_HOST, PACKET_OTHERHOST, PACKET_OUTGOING } from '../../src/core/packet-constants.js';
import { checkProgram, decodeProgram, runBpf } from '../support/bpf-interpreter.js';

const OWN_MAC = '02:00:00:00:aa:01';
const PEER_MAC = '02:00:00:00:bb:02';

function ip(text: string): Ipv4 {
  const v = parseIpv4(text);
  if (v === null) throw new Error(`bad test address ${text}`);
  return v;
}

interface ArpFields {
  htype?: number;
  ptype?: number;
  hlen?: number;
  plen?: number;
  op?: number;
  senderMac?: string;
  senderIp?: string;
  targetMac?: string;
  targetIp?: string;
}

/** Local ARP payload builder (what a SOCK_DGRAM packet socket sees: the ARP header on). */
function arp(fields: ArpFields = {}): Uint8Array {
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  v.setUint16(0, fields.htype ?? 1);
  v.setUint16(2, fields.ptype ?? 0x0800);
  v.setUint8(4, fields.hlen ?? 6);
  v.setUint8(5, fields.plen ?? 4);
  v.setUint16(6, fields.op ?? 1);
  const mac = (off: number, text: string): void => text.split(':').forEach((h, i) => v.setUint8(off + i, parseInt(h, 16)));
  mac(8, fields.senderMac ?? PEER_MAC);
  v.setUint32(14, ip(fields.senderIp ?? '0.0.0.0'));
  mac(18, fields.targetMac ?? '00:00:00:00:00:00');
  v.setUint32(24, ip(fields.targetIp ?? '0.0.0.0'));
  return b;
}

/** Runs the program both from its instruction list and from its encoded bytes; they must agree. */
const decoded = new WeakMap<BpfProgram, ReturnType<typeof decodeProgram>>();
function verdict(program: BpfProgram, packet: Uint8Array, pkttype = PACKET_BROADCAST): number {
  let bytes = decoded.get(program);
  if (bytes === undefined) decoded.set(program, (bytes = decodeProgram(program.encode())));
  const fromInstructions = runBpf(program.instructions, packet, { pkttype });
  const fromBytes = runBpf(bytes, packet, { pkttype });
  if (fromBytes !== fromInstructions) throw new Error('encoded program disagrees with its instructions');
  return fromInstructions;
}
const passes = (p: BpfProgram, packet: Uint8Array, pkttype?: number): boolean => verdict(p, packet, pkttype) !== 0;
/** For bulk loops: interprets the instruction list only (encode() round-trips are tested separately). */
const passesFast = (p: BpfProgram, packet: Uint8Array): boolean => runBpf(p.instructions, packet, { pkttype: PACKET_BROADCAST }) !== 0;

/** encode() must carry exactly the instructions (comments aside). */
function expectRoundTrip(p: BpfProgram): void {
  expect(decodeProgram(p.encode())).toEqual(p.instructions.map(({ code, jt, jf, k }) => ({ code, jt, jf, k })));
}

const dotted = (a: Ipv4): string => [(a >>> 24) & 255, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');

const WATCHED = ['192.0.2.10', '192.0.2.20', '198.51.100.7'].map(ip);

function maxJump(program: BpfProgram): number {
  return Math.max(...program.instructions.filter((i) => (i.code & 7) === BPF_JMP).flatMap((i) => [i.jt, i.jf]));
}

describe('buildArpFilter: what passes (exact strategy)', () => {
  const program = buildArpFilter({ ownMac: OWN_MAC, watched: WATCHED });

  it('uses the exact strategy for a few addresses and is structurally valid', () => {
    expect(program.strategy).toBe('exact');
    expect(checkProgram(program.instructions)).toEqual([]);
  });

  it('passes a probe (sender IP 0) for a watched address', () => {
    expect(verdict(program, arp({ op: 1, senderIp: '0.0.0.0', targetIp: '192.0.2.10' }))).toBe(ACCEPT);
  });

  it('passes a reply from a watched address (unicast to us)', () => {
    expect(passes(program, arp({ op: 2, senderIp: '192.0.2.20', targetIp: '0.0.0.0', targetMac: OWN_MAC }), PACKET_HOST)).toBe(true);
  });

  it('passes a request and an announcement whose sender IP is watched', () => {
    expect(passes(program, arp({ op: 1, senderIp: '198.51.100.7', targetIp: '198.51.100.1' }))).toBe(true);
    expect(passes(program, arp({ op: 1, senderIp: '192.0.2.10', targetIp: '192.0.2.10' }))).toBe(true);
  });

  it('passes frames to other hosts seen promiscuously', () => {
    expect(passes(program, arp({ op: 2, senderIp: '192.0.2.10' }), PACKET_OTHERHOST)).toBe(true);
  });

  it('drops ARP about unwatched addresses', () => {
    expect(passes(program, arp({ op: 1, senderIp: '192.0.2.11', targetIp: '192.0.2.1' }))).toBe(false);
    expect(passes(program, arp({ op: 2, senderIp: '203.0.113.5', targetIp: '192.0.2.10' }))).toBe(false);
  });

  it('drops a probe for an unwatched target (sender IP 0)', () => {
    expect(passes(program, arp({ op: 1, senderIp: '0.0.0.0', targetIp: '192.0.2.11' }))).toBe(false);
  });

  it('does not test the target IP when the sender IP is set', () => {
    // Sender unwatched, target watched: an ordinary "who-has our address" request, not a conflict.
    expect(passes(program, arp({ op: 1, senderIp: '192.0.2.99', targetIp: '192.0.2.10' }))).toBe(false);
  });

  it('drops frames whose ARP sender MAC is ours, but only on an exact match', () => {
    expect(passes(program, arp({ senderMac: OWN_MAC, senderIp: '192.0.2.10' }))).toBe(false);
    expect(passes(program, arp({ senderMac: OWN_MAC, senderIp: '0.0.0.0', targetIp: '192.0.2.10' }))).toBe(false);
    // Same first four bytes, different last two; and the other way round.
    expect(passes(program, arp({ senderMac: '02:00:00:00:aa:02', senderIp: '192.0.2.10' }))).toBe(true);
    expect(passes(program, arp({ senderMac: '02:00:00:01:aa:01', senderIp: '192.0.2.10' }))).toBe(true);
  });

  it('drops frames this host sent (pkttype OUTGOING)', () => {
    expect(passes(program, arp({ senderIp: '192.0.2.10' }), PACKET_OUTGOING)).toBe(false);
  });

  it('drops malformed ARP', () => {
    const good = { senderIp: '192.0.2.10' };
    expect(passes(program, arp(good))).toBe(true);
    expect(passes(program, arp({ ...good, htype: 6 }))).toBe(false);
    expect(passes(program, arp({ ...good, ptype: 0x86dd }))).toBe(false);
    expect(passes(program, arp({ ...good, hlen: 8 }))).toBe(false);
    expect(passes(program, arp({ ...good, plen: 16 }))).toBe(false);
    expect(passes(program, arp({ ...good, op: 3 }))).toBe(false);
    expect(passes(program, arp({ ...good, op: 0 }))).toBe(false);
  });

  it('drops truncated frames and accepts padded ones', () => {
    const full = arp({ senderIp: '0.0.0.0', targetIp: '192.0.2.10' });
    for (const length of [0, 7, 18, 27]) expect(passes(program, full.subarray(0, length))).toBe(false);
    const padded = new Uint8Array(46);
    padded.set(full);
    expect(passes(program, padded)).toBe(true);
  });

  it('ignores 0.0.0.0 in the watched set (it must not make every probe pass)', () => {
    const p = buildArpFilter({ ownMac: OWN_MAC, watched: [0, ip('192.0.2.10')] });
    expect(p.watchedCount).toBe(1);
    expect(passes(p, arp({ senderIp: '0.0.0.0', targetIp: '0.0.0.0' }))).toBe(false);
    expect(passes(p, arp({ senderIp: '0.0.0.0', targetIp: '192.0.2.10' }))).toBe(true);
  });
});

describe('buildArpFilter: device check (ifindex)', () => {
  const run = (p: BpfProgram, packet: Uint8Array, ifindex: number, pkttype = PACKET_BROADCAST): number =>
    runBpf(p.instructions, packet, { pkttype, ifindex });
  const probeFor = arp({ senderIp: '0.0.0.0', targetIp: '192.0.2.10' });

  it('passes frames delivered for the bound device and drops those of other devices', () => {
    const p = buildArpFilter({ ownMac: OWN_MAC, watched: WATCHED, ifindex: 3 });
    expect(checkProgram(p.instructions)).toEqual([]);
    expect(run(p, probeFor, 3)).toBe(ACCEPT);
    expect(run(p, probeFor, 4)).toBe(0); // e.g. arrived tagged for a VLAN device on top of ifindex 3
    expect(run(p, arp({ senderIp: '192.0.2.11' }), 3)).toBe(0);
    expect(run(p, probeFor, 3, PACKET_OUTGOING)).toBe(0);
    expect(run(p, arp({ senderMac: OWN_MAC, senderIp: '192.0.2.10' }), 3)).toBe(0);
    expect(run(p, arp({ senderIp: '192.0.2.10', hlen: 8 }), 3)).toBe(0);
  });

  it('applies to the ranges, covering and userspace strategies too', () => {
    const ranges = buildArpFilter({ ownMac: OWN_MAC, watched: Array.from({ length: 4096 }, (_, i) => ip('192.0.0.0') + i), ifindex: 3 });
    expect(ranges.strategy).toBe('ranges');
    expect(run(ranges, probeFor, 3)).toBe(ACCEPT);
    expect(run(ranges, probeFor, 5)).toBe(0);
    const covering = buildArpFilter({ ownMac: OWN_MAC, watched: [ip('192.0.2.10'), ...Array.from({ length: 4096 }, (_, i) => 0x0a000000 + 2 * i)], ifindex: 3 });
    expect(covering.strategy).toBe('covering');
    expect(run(covering, probeFor, 3)).toBe(ACCEPT);
    expect(run(covering, probeFor, 5)).toBe(0);
    const userspace = buildArpFilter({ ownMac: OWN_MAC, watched: Array.from({ length: 4096 }, (_, i) => 0x0a000000 + 2 * i), ifindex: 3, maxInstructions: 32 });
    expect(userspace.strategy).toBe('userspace');
    expect(run(userspace, probeFor, 3)).toBe(ACCEPT);
    expect(run(userspace, probeFor, 5)).toBe(0);
  });

  it('rejects an invalid ifindex', () => {
    for (const bad of [0, -1, 1.5, 2 ** 31]) expect(() => buildArpFilter({ ownMac: OWN_MAC, watched: WATCHED, ifindex: bad })).toThrow(RangeError);
  });
});

describe('buildArpFilter: protocol and VLAN checks (every strategy)', () => {
  const probeFor = arp({ senderIp: '0.0.0.0', targetIp: '192.0.2.10' });
  const claim = arp({ op: 1, senderIp: '192.0.2.10', targetIp: '192.0.2.10' });
  const reply = arp({ op: 2, senderIp: '192.0.2.10', targetMac: OWN_MAC });
  const run = (p: BpfProgram, packet: Uint8Array, ctx: { vlanTci?: number; protocol?: number; pkttype?: number; ifindex?: number }): number =>
    runBpf(p.instructions, packet, { pkttype: PACKET_BROADCAST, ...ctx });
  const strategies: Array<[string, BpfProgram]> = [
    ['exact', buildArpFilter({ ownMac: OWN_MAC, watched: WATCHED })],
    ['exact with ifindex', buildArpFilter({ ownMac: OWN_MAC, watched: WATCHED, ifindex: 3 })],
    ['ranges', buildArpFilter({ ownMac: OWN_MAC, watched: Array.from({ length: 4096 }, (_, i) => ip('192.0.0.0') + i) })],
    ['covering', buildArpFilter({ ownMac: OWN_MAC, watched: [ip('192.0.2.10'), ...Array.from({ length: 4096 }, (_, i) => 0x0a000000 + 2 * i)] })],
    ['userspace', buildArpFilter({ ownMac: OWN_MAC, watched: Array.from({ length: 4096 }, (_, i) => 0x0a000000 + 2 * i), maxInstructions: 30 })],
  ];
  for (const [name, p] of strategies) {
    const withIf = name.includes('ifindex') ? { ifindex: 3 } : {};
    it(`${name}: cuts tagged claims, probes and replies of another VLAN to 8 bytes; keeps untagged and VID 0 whole`, () => {
      expect(checkProgram(p.instructions)).toEqual([]);
      if (name !== 'exact with ifindex') expect(p.strategy).toBe(name);
      for (const packet of [claim, probeFor, reply]) {
        expect(run(p, packet, { ...withIf })).toBe(ACCEPT);
        expect(run(p, packet, { ...withIf, pkttype: PACKET_OTHERHOST })).toBe(ACCEPT);
        for (const tci of [200, 1, 0x0fff, 0xe0c8 /* priority 7, VID 200 */, 0x1001 /* DEI, VID 1 */]) {
          expect(run(p, packet, { ...withIf, vlanTci: tci })).toBe(VLAN_SNAP);
        }
        // Tagged, but about an unwatched address or not from a foreign MAC: dropped as ever.
        expect(run(p, arp({ senderIp: '203.0.113.9', senderMac: OWN_MAC }), { ...withIf, vlanTci: 200 })).toBe(0);
        expect(run(p, packet, { ...withIf, vlanTci: 200, pkttype: PACKET_OUTGOING })).toBe(0);
        // A priority tag (VID 0, any priority) belongs to the native VLAN.
        expect(run(p, packet, { ...withIf, vlanTci: 0 })).toBe(ACCEPT);
        expect(run(p, packet, { ...withIf, vlanTci: 0xa000 })).toBe(ACCEPT);
      }
    });
    it(`${name}: drops what is not ARP (the socket is an ETH_P_ALL tap)`, () => {
      for (const protocol of [0x0800, 0x86dd, 0x8100, 0x88a8, 0x8035]) expect(run(p, claim, { ...withIf, protocol })).toBe(0);
      expect(run(p, claim, { ...withIf, protocol: 0x0806 })).toBe(ACCEPT);
    });
  }

  it('tagged frames of unwatched addresses are dropped by the membership test (exact, ranges, covering)', () => {
    for (const [, p] of strategies.slice(0, 4)) {
      expect(run(p, arp({ senderIp: '203.0.113.9' }), { vlanTci: 200, ifindex: 3 })).toBe(0);
      expect(run(p, arp({ senderIp: '0.0.0.0', targetIp: '203.0.113.9' }), { vlanTci: 200, ifindex: 3 })).toBe(0);
    }
  });

  it('loads the ancillary fields with k = SKF_AD_OFF + 0 (protocol) and 44 (VLAN tag), as in linux/filter.h', () => {
    const ks = buildArpFilter({ ownMac: OWN_MAC, watched: WATCHED }).instructions.map((i) => i.k);
    expect(ks).toEqual(expect.arrayContaining([0xfffff000, 0xfffff02c]));
    expect(ks).not.toContain(0xfffff028); // SKF_AD_ALU_XOR_X: A ^= X, not a load
  });
});

describe('buildArpFilter: edge cases and strategies', () => {
  it('drops everything when nothing is watched', () => {
    const p = buildArpFilter({ ownMac: OWN_MAC, watched: [] });
    expect(p.instructions).toHaveLength(1);
    expect(passes(p, arp({ senderIp: '192.0.2.10' }))).toBe(false);
    expect(passes(p, arp({ senderIp: '0.0.0.0', targetIp: '192.0.2.10' }))).toBe(false);
    expect(passes(dropAllProgram(), arp({ senderIp: '192.0.2.10' }))).toBe(false);
  });

  it('handles the extreme addresses 0.0.0.1 and 255.255.255.255', () => {
    const p = buildArpFilter({ ownMac: OWN_MAC, watched: [1, 0xffffffff] });
    expect(passes(p, arp({ senderIp: '0.0.0.1' }))).toBe(true);
    expect(passes(p, arp({ senderIp: '255.255.255.255' }))).toBe(true);
    expect(passes(p, arp({ senderIp: '255.255.255.254' }))).toBe(false);
  });

  it('does not depend on order or duplicates', () => {
    const a = buildArpFilter({ ownMac: OWN_MAC, watched: [...WATCHED, ...WATCHED].reverse() });
    const b = buildArpFilter({ ownMac: OWN_MAC, watched: WATCHED });
    expect(a.encode()).toEqual(b.encode());
    expect(a.watchedCount).toBe(3);
  });

  /** Deterministic scattered addresses in 10.0.0.0/8, no two adjacent (every other address). */
  function scattered(count: number, seed = 1): Ipv4[] {
    const out = new Set<Ipv4>();
    let s = seed;
    while (out.size < count) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      out.add((0x0a000000 + ((s >>> 8) & 0x7ffffe)) >>> 0); // even offsets only: never contiguous
    }
    return [...out];
  }

  it('2,000 scattered addresses fit in the kernel (exact or ranges) with jumps <= 255', { timeout: 30_000 }, () => {
    const watched = scattered(2000);
    const p = buildArpFilter({ ownMac: OWN_MAC, watched });
    expect(['exact', 'ranges']).toContain(p.strategy);
    expect(p.instructions.length).toBeLessThanOrEqual(BPF_MAXINSNS);
    expect(maxJump(p)).toBeLessThanOrEqual(255);
    expect(checkProgram(p.instructions)).toEqual([]);
    // Every watched address passes, as sender and as probe target; neighbours do not.
    const wrong: string[] = [];
    for (const w of watched) {
      const text = dotted(w);
      const next = dotted(w + 1); // never watched: scattered() uses even offsets only
      if (!passesFast(p, arp({ senderIp: text }))) wrong.push(`sender ${text} dropped`);
      if (!passesFast(p, arp({ senderIp: '0.0.0.0', targetIp: text }))) wrong.push(`probe for ${text} dropped`);
      if (passesFast(p, arp({ senderIp: next }))) wrong.push(`sender ${next} passed`);
    }
    expect(wrong).toEqual([]);
    expectRoundTrip(p);
  });

  it('4,096 contiguous addresses use ranges', () => {
    const base = ip('10.51.0.0'); // pure test data: nothing is sent
    const watched = Array.from({ length: 4096 }, (_, i) => base + i);
    const p = buildArpFilter({ ownMac: OWN_MAC, watched });
    expect(p.strategy).toBe('ranges');
    expect(checkProgram(p.instructions)).toEqual([]);
    expect(passes(p, arp({ senderIp: '10.51.0.0' }))).toBe(true);
    expect(passes(p, arp({ senderIp: '10.51.15.255' }))).toBe(true);
    expect(passes(p, arp({ senderIp: '10.51.16.0' }))).toBe(false);
    expect(passes(p, arp({ senderIp: '10.50.255.255' }))).toBe(false);
    expect(passes(p, arp({ senderIp: '0.0.0.0', targetIp: '10.51.7.7' }))).toBe(true);
  });

  it('ranges: many ranges of different sizes, chunked across the 255 jump limit', { timeout: 30_000 }, () => {
    // 2,000 ranges of 1..4 addresses (5,000 in all) with gaps: too many for exact, fits as ranges.
    const watched: Ipv4[] = [];
    const members = new Set<Ipv4>();
    let next = ip('10.0.0.0');
    for (let r = 0; r < 2000; r++) {
      const size = (r % 4) + 1;
      for (let i = 0; i < size; i++) {
        watched.push(next + i);
        members.add(next + i);
      }
      next += size + 1 + (r % 3); // a gap of at least one address
    }
    const p = buildArpFilter({ ownMac: OWN_MAC, watched });
    expect(p.strategy).toBe('ranges');
    expect(p.instructions.length).toBeLessThanOrEqual(BPF_MAXINSNS);
    expect(maxJump(p)).toBeLessThanOrEqual(255);
    expect(checkProgram(p.instructions)).toEqual([]);
    // Every range boundary from both sides, and everything in between for every tenth range.
    const probes = new Set<Ipv4>();
    for (const r of mergeRanges(watched)) {
      for (const a of [r.first - 1, r.first, r.last, r.last + 1]) probes.add(a);
      if (r.first % 10 === 0) for (let a = r.first; a <= r.last; a++) probes.add(a);
    }
    const wrong: string[] = [];
    for (const a of probes) {
      if (passesFast(p, arp({ senderIp: dotted(a) })) !== members.has(a)) wrong.push(dotted(a));
    }
    expect(wrong).toEqual([]);
    expectRoundTrip(p);
  });

  it('4,096 scattered addresses over a /15 are covered: every watched one passes, and only the closed gaps beside them', { timeout: 60_000 }, () => {
    // The benchmark's case: 4,096 addresses scattered over 198.18.0.0/15 (RFC 2544), too many for
    // exact or ranges. Every address of the /15 and around it is tried (test data, nothing is sent).
    const base = ip('198.18.0.0');
    const members = new Set<Ipv4>();
    let s = 7;
    while (members.size < 4096) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      members.add(base + ((s >>> 8) % 131072));
    }
    const watched = [...members];
    const p = buildArpFilter({ ownMac: OWN_MAC, watched });
    expect(p.strategy).toBe('covering');
    expect(p.watchedCount).toBe(4096);
    expect(p.instructions.length).toBeLessThanOrEqual(BPF_MAXINSNS);
    expect(maxJump(p)).toBeLessThanOrEqual(255);
    expect(checkProgram(p.instructions)).toEqual([]);
    expectRoundTrip(p);
    const sorted = [...members].sort((a, b) => a - b);
    let passed = 0;
    let mostExecuted = 0;
    const wrong: string[] = [];
    for (let a = base - 256; a < base + 131072 + 256; a++) {
      const executed = { count: 0 };
      const sender = runBpf(p.instructions, arp({ senderIp: dotted(a) }), { pkttype: PACKET_BROADCAST, executed }) !== 0;
      mostExecuted = Math.max(mostExecuted, executed.count);
      if (sender) passed++;
      if (members.has(a) && !sender) wrong.push(`${dotted(a)} dropped`);
      if ((a < sorted[0]! || a > sorted.at(-1)!) && sender) wrong.push(`${dotted(a)} outside the watched span passed`);
    }
    for (const a of sorted.filter((_, i) => i % 64 === 0)) {
      if (!passesFast(p, arp({ senderIp: '0.0.0.0', targetIp: dotted(a) }))) wrong.push(`probe for ${dotted(a)} dropped`);
    }
    expect(wrong).toEqual([]);
    // What passes is what the program says it covers; far less than the /15, let alone everything.
    expect(passed).toBe(p.coveredCount);
    expect(p.coveredCount!).toBeLessThan(131072 / 2);
    // The largest gaps stay open: the largest gap between two watched addresses is dropped inside.
    const gaps = sorted.slice(1).map((a, i) => ({ from: sorted[i]!, to: a })).sort((x, y) => y.to - y.from - (x.to - x.from));
    const widest = gaps[0]!;
    expect(passesFast(p, arp({ senderIp: dotted(widest.from + 1) }))).toBe(false);
    expect(passesFast(p, arp({ senderIp: dotted(widest.to - 1) }))).toBe(false);
    // Chunk guards: a frame runs the header, the guards of the chunks below it and one chunk.
    expect(mostExecuted).toBeLessThan(400);
  });

  it('covering closes the smallest gaps first and keeps the widest open', () => {
    // 100, 102, 200, 202, 10000: gaps of 1, 97, 1 and 9797 addresses. 34 instructions leave room for
    // three tests (25 header + 2 per chunk + 4 tail): closing the two gaps of 1 does not shrink the
    // program (two singletons become one range of 2 instructions), the gap of 97 must go too.
    const base = ip('10.0.0.0');
    const watched = [100, 102, 200, 202, 10_000].map((o) => base + o);
    const p = buildArpFilter({ ownMac: OWN_MAC, watched, maxInstructions: 34 });
    expect(p.strategy).toBe('covering');
    expect(p.instructions.length).toBeLessThanOrEqual(34);
    expect(p.coveredCount).toBe(103 + 1);
    const passesAt = (o: number) => passes(p, arp({ senderIp: dotted(base + o) }));
    for (const o of [100, 101, 150, 202, 10_000]) expect(passesAt(o), String(o)).toBe(true);
    for (const o of [99, 203, 5000, 9999, 10_001]) expect(passesAt(o), String(o)).toBe(false);
    // One instruction less: a single range from the first to the last.
    const one = buildArpFilter({ ownMac: OWN_MAC, watched, maxInstructions: 33 });
    expect(one.strategy).toBe('covering');
    expect(one.coveredCount).toBe(10_000 - 100 + 1);
  });

  it('exact also skips whole chunks: a frame never runs the whole list', () => {
    const watched = scattered(3000);
    const p = buildArpFilter({ ownMac: OWN_MAC, watched });
    expect(p.strategy).toBe('exact');
    expect(p.instructions.length).toBeGreaterThan(3000);
    let most = 0;
    for (const a of [...watched, ...watched.map((w) => w + 1), 0x0a000000 - 1, 0x0b000000]) {
      const executed = { count: 0 };
      runBpf(p.instructions, arp({ senderIp: dotted(a) }), { pkttype: PACKET_BROADCAST, executed });
      most = Math.max(most, executed.count);
    }
    expect(most).toBeLessThan(330);
  });

  it('falls back to userspace when not even one range fits: every well-formed foreign ARP passes', () => {
    const p = buildArpFilter({ ownMac: OWN_MAC, watched: scattered(4096), maxInstructions: 30 });
    expect(p.strategy).toBe('userspace');
    expect(p.watchedCount).toBe(4096);
    expect(checkProgram(p.instructions)).toEqual([]);
    expect(passes(p, arp({ senderIp: '203.0.113.9' }))).toBe(true);
    expect(passes(p, arp({ senderIp: '203.0.113.9', senderMac: OWN_MAC }))).toBe(false);
    expect(passes(p, arp({ senderIp: '203.0.113.9' }), PACKET_OUTGOING)).toBe(false);
    expect(passes(p, arp({ senderIp: '203.0.113.9', op: 9 }))).toBe(false);
  });

  it('chooses exact when it fits and ranges just beyond (small budget)', () => {
    const contiguous = Array.from({ length: 100 }, (_, i) => ip('192.0.2.0') + i);
    expect(buildArpFilter({ ownMac: OWN_MAC, watched: contiguous }).strategy).toBe('exact');
    const tight = buildArpFilter({ ownMac: OWN_MAC, watched: contiguous, maxInstructions: 64 });
    expect(tight.strategy).toBe('ranges');
    expect(tight.instructions.length).toBeLessThanOrEqual(64);
    const covering = buildArpFilter({ ownMac: OWN_MAC, watched: scattered(100), maxInstructions: 64 });
    expect(covering.strategy).toBe('covering');
    expect(covering.instructions.length).toBeLessThanOrEqual(64);
    for (const w of scattered(100)) expect(passes(covering, arp({ senderIp: dotted(w) }))).toBe(true);
    const tooTight = buildArpFilter({ ownMac: OWN_MAC, watched: scattered(100), maxInstructions: 30 });
    expect(tooTight.strategy).toBe('userspace');
  });

  it('every instruction carries a comment', () => {
    const programs = [
      buildArpFilter({ ownMac: OWN_MAC, watched: WATCHED }),
      buildArpFilter({ ownMac: OWN_MAC, watched: Array.from({ length: 4096 }, (_, i) => 0x0a000000 + i) }),
      buildArpFilter({ ownMac: OWN_MAC, watched: scattered(4096) }), // covering
      buildArpFilter({ ownMac: OWN_MAC, watched: scattered(4096), maxInstructions: 30 }), // userspace
      buildArpFilter({ ownMac: OWN_MAC, watched: [] }),
    ];
    for (const p of programs) {
      for (const ins of p.instructions) expect(ins.comment.trim().length).toBeGreaterThan(0);
      expect(formatProgram(p).split('\n')).toHaveLength(p.instructions.length);
    }
  });
});

describe('encoding and helpers', () => {
  it('encodes struct sock_filter little-endian, 8 bytes per instruction', () => {
    const bytes = encodeInstructions([{ code: 0x0015, jt: 3, jf: 250, k: 0xc0000201, comment: 'x' }]);
    expect([...bytes]).toEqual([0x15, 0x00, 3, 250, 0x01, 0x02, 0x00, 0xc0]);
  });

  it('encodes the ancillary pkttype load with k = 0xfffff004', () => {
    const p = buildArpFilter({ ownMac: OWN_MAC, watched: WATCHED });
    expect(p.instructions.some((i) => i.k === 0xfffff004)).toBe(true);
  });

  it('merges sorted, de-duplicated addresses into contiguous ranges', () => {
    expect(mergeRanges([5, 3, 4, 4, 10, 12, 11, 20])).toEqual([
      { first: 3, last: 5 },
      { first: 10, last: 12 },
      { first: 20, last: 20 },
    ]);
    expect(mergeRanges([])).toEqual([]);
  });
});
