/**
 * Classic BPF program for the Neighbor Discovery packet socket (the IPv6 sibling of bpf.ts).
 *
 * Pure: no I/O. Attached with SO_ATTACH_FILTER to an AF_PACKET/SOCK_DGRAM socket bound to
 * ETH_P_IPV6, so the program sees the IPv6 header at offset 0 (the Ethernet header is gone):
 *   0 version(4 bits)...  4 payload length(2)  6 next header  7 hop limit
 *   8 source(16)  24 destination(16)  40 ICMPv6: type, code, checksum(2), flags(4), target(16)
 *
 * A frame passes when it is at least 64 bytes long, IPv6 (version 6) with hop limit 255, carries
 * no VLAN tag, was neither sent by this host nor addressed to another host's MAC (pkttype not
 * OUTGOING or OTHERHOST), was delivered for our ifindex when one is given, and then either
 *   - its next header is hop-by-hop (0) or destination options (60): passed whole, because a
 *     variable-length header chain is walked by decodeNd in userspace (rare on a real link), or
 *   - its next header is ICMPv6 (58), code 0, type 135 or 136, and the address under test is
 *     watched: the target of an NA, the target of an NS from :: (a DAD probe), the source of any
 *     other NS (its sender says it holds that address). An NS from a host resolving a watched
 *     target says nothing about who holds the target and is dropped.
 *
 * VLANs (verified in the lab, kernel 6.18, test/e2e/ndp-kernel-filter.test.ts): a tagged frame
 * of a VLAN without a device here reaches this socket as PACKET_OTHERHOST with the tag already
 * cleared (__netif_receive_skb_core), so SKF_AD_VLAN_TAG_PRESENT reads 0 and the OTHERHOST test
 * is what drops it; the tag test stays as a second line for paths that keep the tag. Frames of a
 * VLAN device stacked on the interface arrive with that device's ifindex (the ifindex test).
 * Outgoing frames never reach an ETH_P_IPV6 socket (the kernel hands them to ETH_P_ALL taps
 * only); the OUTGOING test is a second line too.
 *
 * Membership (BPF_MAXINSNS = 4096): 'exact' compares the address as four 32-bit words, grouped
 * by their first 64 bits (one prefix test per group, two words per address); above the budget
 * 'userspace' passes every NS/NA that survived the checks above. Callers re-check every frame
 * in userspace whatever the strategy (decodeNd validates the checksum, which BPF cannot).
 *
 * Jumps are written to labels and resolved at the end; conditional offsets are 8-bit, so the
 * address tests come in groups of at most GROUP_ADDRESSES, each with its own `ret #accept`.
 */
import {
  ACCEPT,
  BPF_ABS,
  BPF_B,
  BPF_H,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_IMM,
  BPF_LEN,
  BPF_MAXINSNS,
  BPF_MAX_JUMP,
  BPF_RET,
  BPF_W,
  DROP,
  SKF_AD_IFINDEX_K,
  SKF_AD_PKTTYPE_K,
  SKF_AD_VLAN_TAG_PRESENT_K,
  type BpfInstruction,
  type BpfProgram,
  encodeInstructions,
} from './bpf.js';
import { type Ipv6, formatIpv6, ipv6Word } from './ipv6.js';

/** Load mode: [X + k]. */
export const BPF_IND = 0x40;
/** IPv6 header (40) + the fixed part of an NS/NA (24). */
export const ND_MIN_LENGTH = 64;
/** Addresses tested per group: 4 + 4 × 60 + 2 instructions keeps every jump within 255. */
export const GROUP_ADDRESSES = 60;

const PACKET_OTHERHOST = 3;
const PACKET_OUTGOING = 4;
const OFFSET_SOURCE = 8;
const OFFSET_TARGET = 48;

export interface NdFilterInput {
  /** Addresses to watch (order and duplicates do not matter; :: and multicast are ignored). */
  watched: Iterable<Ipv6>;
  /** Instruction budget (defaults to BPF_MAXINSNS). */
  maxInstructions?: number;
  /** Drop frames the kernel delivers for another device (a VLAN device stacked on the interface). */
  ifindex?: number;
}

// ---- a small assembler with labels ------------------------------------------------------

type Target = string | number;
interface Pending {
  code: number;
  k: number;
  comment: string;
  jt: Target;
  jf: Target;
}

class Assembler {
  readonly items: Pending[] = [];
  private readonly labels = new Map<string, number>();

  label(name: string): void {
    if (this.labels.has(name)) throw new Error(`bpf-ndp: label ${name} defined twice`);
    this.labels.set(name, this.items.length);
  }

  emit(code: number, k: number, comment: string, jt: Target = 0, jf: Target = 0): void {
    this.items.push({ code, k: k >>> 0, comment, jt, jf });
  }

  /** Resolves labels to forward offsets; throws if a jump would exceed its 8-bit field. */
  resolve(): BpfInstruction[] {
    return this.items.map((p, i) => {
      const offset = (t: Target, wide: boolean): number => {
        const o = typeof t === 'number' ? t : this.labels.get(t)! - i - 1;
        if (typeof t === 'string' && !this.labels.has(t)) throw new Error(`bpf-ndp: undefined label ${t}`);
        if (o < 0 || (!wide && o > BPF_MAX_JUMP)) throw new Error(`bpf-ndp: jump from ${i} to ${String(t)} out of range (${o})`);
        return o;
      };
      if (p.code === (BPF_JMP | BPF_JA)) return { code: p.code, jt: 0, jf: 0, k: offset(p.jt, true), comment: p.comment };
      return { code: p.code, jt: offset(p.jt, false), jf: offset(p.jf, false), k: p.k, comment: p.comment };
    });
  }
}

const LDB = BPF_LD | BPF_B | BPF_ABS;
const LDW = BPF_LD | BPF_W | BPF_ABS;
const LDW_IND = BPF_LD | BPF_W | BPF_IND;
const JEQ = BPF_JMP | BPF_JEQ | BPF_K;
const RET = BPF_RET | BPF_K;

/** Checks shared by every strategy; falls through to the membership part with A undefined. */
function header(asm: Assembler, ifindex: number | undefined): void {
  asm.emit(BPF_LD | BPF_W | BPF_LEN, 0, 'A = packet length (from the IPv6 header on)');
  asm.emit(BPF_JMP | BPF_JGE | BPF_K, ND_MIN_LENGTH, 'shorter than IPv6 header + NS/NA (64)? drop', 0, 'drop');
  asm.emit(LDB, 0, 'A = version and traffic class (high bits)');
  asm.emit(BPF_JMP | BPF_JGE | BPF_K, 0x60, 'first byte < 0x60 (version < 6)? drop', 0, 'drop');
  asm.emit(BPF_JMP | BPF_JGT | BPF_K, 0x6f, 'first byte > 0x6f (version > 6)? drop', 'drop', 0);
  asm.emit(LDB, 7, 'A = hop limit');
  asm.emit(JEQ, 255, 'hop limit != 255 (not from this link, RFC 4861 §7.1)? drop', 0, 'drop');
  asm.emit(LDW, SKF_AD_VLAN_TAG_PRESENT_K, 'A = VLAN tag present (ancillary SKF_AD_VLAN_TAG_PRESENT)');
  asm.emit(JEQ, 0, 'tagged (another VLAN)? drop', 0, 'drop');
  asm.emit(LDW, SKF_AD_PKTTYPE_K, 'A = packet type (ancillary SKF_AD_PKTTYPE)');
  asm.emit(JEQ, PACKET_OUTGOING, 'outgoing (sent by this host)? drop', 'drop', 0);
  asm.emit(JEQ, PACKET_OTHERHOST, "to another host's MAC (or a foreign VLAN's frame)? drop", 'drop', 0);
  if (ifindex !== undefined) {
    asm.emit(LDW, SKF_AD_IFINDEX_K, 'A = ifindex of the receiving device (ancillary SKF_AD_IFINDEX)');
    asm.emit(JEQ, ifindex, `delivered for another device than ifindex ${ifindex} (e.g. a VLAN device)? drop`, 0, 'drop');
  }
  asm.emit(LDB, 6, 'A = next header');
  asm.emit(JEQ, 58, 'ICMPv6? go on with the ND checks', 'icmpv6', 0);
  asm.emit(JEQ, 0, 'hop-by-hop options header? pass it to userspace to walk', 'accept-extension', 0);
  asm.emit(JEQ, 60, 'destination options header? pass it to userspace to walk, else drop', 'accept-extension', 'drop');
  asm.label('accept-extension');
  asm.emit(RET, ACCEPT, 'ACCEPT: an extension header chain, decodeNd walks it');
  asm.label('drop');
  asm.emit(RET, DROP, 'DROP: not a frame we want');
  asm.label('icmpv6');
  asm.emit(BPF_LD | BPF_H | BPF_ABS, 40, 'A = ICMPv6 type << 8 | code (NS code 0 = 0x8700, NA code 0 = 0x8800)');
}

/** Sorted, de-duplicated unicast addresses grouped by their first 64 bits, at most GROUP_ADDRESSES a group. */
function groups(watched: readonly Ipv6[]): Ipv6[][] {
  const out: Ipv6[][] = [];
  for (const a of watched) {
    const last = out[out.length - 1];
    if (last && last.length < GROUP_ADDRESSES && last[0]!.slice(0, 16) === a.slice(0, 16)) last.push(a);
    else out.push([a]);
  }
  return out;
}

/** Instructions the exact membership part takes for these groups. */
function exactSize(gs: readonly Ipv6[][]): number {
  return gs.reduce((n, g) => n + 4 + 4 * g.length + 2, 0);
}

function membership(asm: Assembler, gs: readonly Ipv6[][]): void {
  asm.emit(JEQ, 0x8800, 'NA (type 136, code 0)? its target is the address under test', 'na', 0);
  asm.emit(JEQ, 0x8700, 'NS (type 135, code 0)? skip the drop', 1, 0);
  asm.emit(RET, DROP, 'DROP: neither an NS nor an NA with code 0');
  for (let w = 0; w < 4; w++) {
    asm.emit(LDW, OFFSET_SOURCE + 4 * w, `A = NS source word ${w}`);
    asm.emit(JEQ, 0, w < 3 ? `source word ${w} != 0? not from ::, test the source` : 'source is :: (a DAD probe)? test the target', w < 3 ? 0 : 'na', 'ns');
  }
  asm.label('ns');
  asm.emit(BPF_LDX | BPF_W | BPF_IMM, OFFSET_SOURCE, 'X = 8: an NS from an address asserts that address, test the source');
  asm.emit(BPF_JMP | BPF_JA, 0, 'go to the address tests', 'test');
  asm.label('na');
  asm.emit(BPF_LDX | BPF_W | BPF_IMM, OFFSET_TARGET, 'X = 48: test the target');
  asm.label('test');
  gs.forEach((g, gi) => {
    const next = `group-end-${gi}`;
    const accept = `group-accept-${gi}`;
    const prefix = formatIpv6(`${g[0]!.slice(0, 16)}${'0'.repeat(16)}` as Ipv6);
    asm.emit(LDW_IND, 0, 'A = address word 0');
    asm.emit(JEQ, ipv6Word(g[0]!, 0), `word 0 not that of ${prefix}/64? next group`, 0, next);
    asm.emit(LDW_IND, 4, 'A = address word 1');
    asm.emit(JEQ, ipv6Word(g[0]!, 1), `word 1 not that of ${prefix}/64? next group`, 0, next);
    g.forEach((a, ai) => {
      const miss = ai === g.length - 1 ? next : `group-${gi}-${ai + 1}`;
      if (ai > 0) asm.label(`group-${gi}-${ai}`);
      asm.emit(LDW_IND, 8, 'A = address word 2');
      asm.emit(JEQ, ipv6Word(a, 2), `word 2 not that of ${formatIpv6(a)}? next address`, 0, miss);
      asm.emit(LDW_IND, 12, 'A = address word 3');
      asm.emit(JEQ, ipv6Word(a, 3), `${formatIpv6(a)}? accept, else next address`, accept, miss);
    });
    asm.label(next);
    if (gi < gs.length - 1) asm.emit(BPF_JMP | BPF_JA, 0, 'no match in this group: skip its accept', 1);
    else asm.emit(RET, DROP, 'no watched address matched: drop');
    asm.label(accept);
    asm.emit(RET, ACCEPT, 'ACCEPT: a watched address, keep the whole frame');
  });
}

function finish(strategy: BpfProgram['strategy'], asm: Assembler, watchedCount: number): BpfProgram {
  const instructions = Object.freeze(asm.resolve()) as BpfInstruction[];
  return Object.freeze({ strategy, instructions, watchedCount, encode: () => encodeInstructions(instructions) });
}

/** Builds the ND filter for one interface. See the module comment for what passes. */
export function buildNdFilter(input: NdFilterInput): BpfProgram {
  const budget = Math.min(input.maxInstructions ?? BPF_MAXINSNS, BPF_MAXINSNS);
  const watched = [...new Set(input.watched)].filter((a) => !/^(0{32}|ff.*)$/.test(a)).sort();
  const ifindex = input.ifindex;
  if (ifindex !== undefined && !(Number.isInteger(ifindex) && ifindex > 0 && ifindex <= 0x7fffffff)) {
    throw new RangeError(`bpf-ndp: ifindex must be a positive integer, got ${ifindex}`);
  }
  if (watched.length === 0) {
    const asm = new Assembler();
    asm.emit(RET, DROP, 'no watched addresses: drop everything');
    return finish('exact', asm, 0);
  }
  const gs = groups(watched);
  const asm = new Assembler();
  header(asm, ifindex);
  // membership() adds 3 + 8 + 2 + 1 instructions before the groups
  if (asm.items.length + 14 + exactSize(gs) <= budget) {
    membership(asm, gs);
    return finish('exact', asm, watched.length);
  }
  asm.emit(JEQ, 0x8700, 'NS (type 135, code 0)? accept', 'accept-all', 0);
  asm.emit(JEQ, 0x8800, 'NA (type 136, code 0)? accept', 'accept-all', 0);
  asm.emit(RET, DROP, 'DROP: neither an NS nor an NA with code 0');
  asm.label('accept-all');
  asm.emit(RET, ACCEPT, 'ACCEPT: membership is checked in userspace (too many addresses for the kernel)');
  return finish('userspace', asm, watched.length);
}
