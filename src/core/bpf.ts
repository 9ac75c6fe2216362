/**
 * Classic BPF (cBPF) program builder for the ARP packet socket.
 *
 * Pure: no I/O. The program is attached with SO_ATTACH_FILTER to an
 * AF_PACKET/SOCK_DGRAM socket bound to ETH_P_ALL (a tap, see below), so the filter sees the frame
 * starting at the network header (offset 0 = htype for ARP; the Ethernet header is gone).
 *
 * ARP header for Ethernet/IPv4 (28 bytes):
 *   0 htype(2)  2 ptype(2)  4 hlen(1)  5 plen(1)  6 op(2)
 *   8 sender MAC(6)  14 sender IP(4)  18 target MAC(6)  24 target IP(4)
 *
 * The socket is bound to ETH_P_ALL (see native/packet-socket.c): only a tap sees a frame of a VLAN
 * that has no VLAN device here while its tag is still in the skb's metadata (the kernel clears
 * the tag and marks the frame PACKET_OTHERHOST before it reaches an ETH_P_ARP socket, so there
 * it would look untagged). The program therefore first drops what is not ARP (SKF_AD_PROTOCOL),
 * and every frame that passes goes through one tail that tests the VLAN tag
 * (SKF_AD_VLAN_TAG): a frame tagged for another VLAN (VID != 0) is cut
 * to its first VLAN_SNAP (8) bytes, htype to op: its addresses never reach userspace, which
 * sees the tag in PACKET_AUXDATA, counts the frame as ignored and drops it (a cut frame also
 * fails ARP decoding, so either check alone keeps it out of detection). The same address in
 * another VLAN is not a duplicate. Tagged frames about unwatched addresses are dropped by the
 * membership test like any other. VID 0 (a priority tag) is the native VLAN and passes whole.
 * On a VLAN device (eth0.200) the tag has been consumed before its taps run: its frames pass.
 *
 * A frame passes when it is well-formed Ethernet/IPv4 ARP (length >= 28,
 * htype 1, ptype 0x0800, hlen 6, plen 4, op request or reply), was not sent by
 * this host (pkttype != OUTGOING), its ARP sender MAC is not ours, and
 *   sender IP is watched, or sender IP is 0.0.0.0 (a probe) and target IP is watched.
 *
 * Membership strategies, chosen by size (BPF_MAXINSNS = 4096 instructions):
 *   exact     one `jeq` per address;
 *   ranges    addresses sorted and merged into contiguous ranges, `jge`/`jgt` per range;
 *   covering  not exact, but narrow: when even the ranges do not fit (thousands of scattered
 *             addresses), the smallest gaps between them are closed until they do, so the kernel
 *             passes the watched addresses and those in the closed gaps (coveredCount) and drops
 *             the rest of the address space; userspace drops the few extra ones;
 *   userspace no membership test in the kernel: every well-formed ARP frame not
 *             from ownMac passes and the caller must check membership itself (only reached
 *             with a budget too small for even one range).
 * Whatever the strategy, callers should still re-check every frame in userspace.
 *
 * Conditional jumps have 8-bit offsets, so the membership tests are laid out
 * in chunks of at most 255 instructions, each chunk followed by its own
 * `ret #accept`, which every test in the chunk can reach. The tests are in ascending address
 * order, and every chunk but the last starts with a guard that jumps over it when the address is
 * above the chunk's last one; an address that is not above it and matched none of its tests is
 * dropped at the chunk's end (no later chunk can hold it). A frame therefore runs at most
 * 2 instructions per chunk it skips and one chunk's tests, not the whole list.
 */
import type { Ipv4 } from './ipv4.js';
import { formatIpv4 } from './ipv4.js';
import type { Mac } from './mac.js';
import { macBytes } from './mac.js';
import { PACKET_OUTGOING } from './packet-constants.js';
import { type Range, coveringRanges, mergeRanges } from './bpf-ranges.js';

export { mergeRanges } from './bpf-ranges.js';
import {
  ACCEPT,
  ARP_MIN_LENGTH,
  BPF_ABS,
  BPF_B,
  BPF_H,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LEN,
  BPF_MAXINSNS,
  BPF_MAX_JUMP,
  BPF_RET,
  BPF_W,
  type BpfInstruction,
  type BpfProgram,
  DROP,
  ETH_P_ARP,
  SKF_AD_IFINDEX_K,
  SKF_AD_PKTTYPE_K,
  SKF_AD_PROTOCOL_K,
  SKF_AD_VLAN_TAG_K,
  VLAN_SNAP,
  VLAN_VID_MASK,
  insn,
  program,
} from './bpf-insn.js';

export * from './bpf-insn.js';

export interface ArpFilterInput {
  /** This interface's MAC: frames whose ARP sender MAC equals it are dropped. */
  ownMac: Mac;
  /** Addresses to watch (order and duplicates do not matter; 0.0.0.0 is ignored). */
  watched: Iterable<Ipv4>;
  /** Instruction budget (defaults to the kernel limit, BPF_MAXINSNS). */
  maxInstructions?: number;
  /**
   * The interface the socket is bound to. When given, frames the kernel delivers for another
   * device are dropped: an ETH_P_ARP socket bound to a VLAN trunk parent also receives the frames
   * of its VLAN devices (skb->dev = the VLAN device, orig_dev = the parent). The tap that dupip
   * binds sees them on the parent before the VLAN device takes them, still tagged (see the VLAN
   * tail); the check stays as a second guard.
   */
  ifindex?: number;
}

// ---- the header: well-formedness, direction and own-MAC checks --------------------

/**
 * Emits the checks shared by all strategies, ending with the shared DROP
 * instruction. Jump targets are computed from the final layout below; each
 * conditional jump to DROP is at most 20 instructions long. With an ifindex,
 * two instructions (ld ifindex; jeq #ifindex) come before DROP, which moves to 21.
 * Every index below is counted after the prefix of PREFIX_LENGTH (2) instructions:
 *   p0 ld protocol; p1 jeq #0x0806 (else DROP)
 *
 *   0  ld len            13 ld [8]
 *   1  jge #28           14 jeq #ownHi
 *   2  ldh [0]           15 ldh [12]
 *   3  jeq #1            16 jeq #ownLo
 *   4  ldh [2]           17 ld pkttype
 *   5  jeq #0x0800       18 jeq #OUTGOING
 *   6  ldb [4]           19 ret #0            <- DROP
 *   7  jeq #6
 *   8  ldb [5]
 *   9  jeq #4
 *  10  ldh [6]
 *  11  jeq #1
 *  12  jeq #2
 *
 * With an ifindex, 18 jumps to DROP itself and the device check follows:
 *  18  jeq #OUTGOING      20 jeq #ifindex (equal: skip DROP)
 *  19  ld ifindex         21 ret #0            <- DROP
 */
/** Instructions the protocol and VLAN checks put before the ARP header checks. */
const PREFIX_LENGTH = 2;

function header(ownMac: Mac, ifindex: number | undefined): BpfInstruction[] {
  const DROP_INDEX = PREFIX_LENGTH + (ifindex === undefined ? 19 : 21);
  const mac = macBytes(ownMac);
  const macHi = ((mac[0]! << 24) | (mac[1]! << 16) | (mac[2]! << 8) | mac[3]!) >>> 0;
  const macLo = ((mac[4]! << 8) | mac[5]!) >>> 0;
  const out: BpfInstruction[] = [];
  /** Offset from the instruction about to be pushed to DROP. */
  const toDrop = (): number => DROP_INDEX - out.length - 1;

  // The prefix (PREFIX_LENGTH instructions): ARP only (the socket is a tap).
  out.push(insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, SKF_AD_PROTOCOL_K, 'A = ethertype (ancillary SKF_AD_PROTOCOL; the inner one of a tagged frame)'));
  out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, toDrop(), ETH_P_ARP, 'not ARP (0x0806)? drop'));
  if (out.length !== PREFIX_LENGTH) throw new Error('bpf: prefix layout changed; fix PREFIX_LENGTH');
  out.push(insn(BPF_LD | BPF_W | BPF_LEN, 0, 0, 0, 'A = frame length (from the ARP header on)'));
  out.push(insn(BPF_JMP | BPF_JGE | BPF_K, 0, toDrop(), ARP_MIN_LENGTH, 'shorter than an Ethernet/IPv4 ARP header (28)? drop'));
  out.push(insn(BPF_LD | BPF_H | BPF_ABS, 0, 0, 0, 'A = htype'));
  out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, toDrop(), 1, 'htype != 1 (Ethernet)? drop'));
  out.push(insn(BPF_LD | BPF_H | BPF_ABS, 0, 0, 2, 'A = ptype'));
  out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, toDrop(), 0x0800, 'ptype != 0x0800 (IPv4)? drop'));
  out.push(insn(BPF_LD | BPF_B | BPF_ABS, 0, 0, 4, 'A = hlen'));
  out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, toDrop(), 6, 'hlen != 6? drop'));
  out.push(insn(BPF_LD | BPF_B | BPF_ABS, 0, 0, 5, 'A = plen'));
  out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, toDrop(), 4, 'plen != 4? drop'));
  out.push(insn(BPF_LD | BPF_H | BPF_ABS, 0, 0, 6, 'A = op'));
  out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1, 'op == 1 (request)? skip the reply test'));
  out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, toDrop(), 2, 'op != 2 (reply)? drop'));
  out.push(insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, 8, 'A = sender MAC bytes 0-3'));
  out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, macHi, `sender MAC bytes 0-3 != ${ownMac.slice(0, 11)}? not ours, go to the pkttype test`));
  out.push(insn(BPF_LD | BPF_H | BPF_ABS, 0, 0, 12, 'A = sender MAC bytes 4-5'));
  out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, toDrop(), 0, macLo, `sender MAC == ${ownMac} (ours)? drop`));
  out.push(insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, SKF_AD_PKTTYPE_K, 'A = packet type (ancillary SKF_AD_PKTTYPE)'));
  if (ifindex === undefined) {
    out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, PACKET_OUTGOING, 'outgoing (sent by this host)? drop, else skip the drop'));
  } else {
    out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, toDrop(), 0, PACKET_OUTGOING, 'outgoing (sent by this host)? drop'));
    out.push(insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, SKF_AD_IFINDEX_K, 'A = ifindex of the receiving device (ancillary SKF_AD_IFINDEX)'));
    out.push(insn(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, ifindex, `delivered for ifindex ${ifindex} (ours)? skip the drop, else drop (e.g. a VLAN device's frame)`));
  }
  if (out.length !== DROP_INDEX) throw new Error('bpf: header layout changed; fix DROP_INDEX');
  out.push(insn(BPF_RET | BPF_K, 0, 0, DROP, 'DROP: not a frame we want'));
  return out;
}

/** Loads the address to test into A: sender IP, or target IP when sender IP is 0 (a probe). */
function loadAddressUnderTest(): BpfInstruction[] {
  return [
    insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, 14, 'A = sender IP'),
    insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0, 'sender IP == 0.0.0.0 (a probe)? test the target IP instead'),
    insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, 24, 'A = target IP'),
  ];
}

// ---- membership tests ----------------------------------------------------------------

/** One membership test: `size` instructions, emitted once the chunk's accept is known. */
interface Test {
  size: number;
  /** The highest address the test accepts (tests are laid out in ascending order). */
  last: Ipv4;
  /** `toAccept(i)` = offset from the test's i-th instruction to the chunk's accept. */
  emit(toAccept: (i: number) => number): BpfInstruction[];
}

function exactTest(ip: Ipv4): Test {
  return {
    size: 1,
    last: ip,
    emit: (toAccept) => [insn(BPF_JMP | BPF_JEQ | BPF_K, toAccept(0), 0, ip, `A == ${formatIpv4(ip)}? accept`)],
  };
}

function rangeTest(range: Range): Test {
  if (range.first === range.last) return exactTest(range.first);
  const text = `${formatIpv4(range.first)}-${formatIpv4(range.last)}`;
  return {
    size: 2,
    last: range.last,
    emit: (toAccept) => [
      insn(BPF_JMP | BPF_JGE | BPF_K, 0, 1, range.first, `A < ${formatIpv4(range.first)}? not in ${text}, next test`),
      insn(BPF_JMP | BPF_JGT | BPF_K, 0, toAccept(1), range.last, `A <= ${formatIpv4(range.last)}? in ${text}, accept`),
    ],
  };
}

/**
 * Lays tests (ascending) out in chunks so that no jump to an accept exceeds 255:
 *   chunk:  jgt #last (0/1) ; ja NEXT CHUNK ; test ... test ; ret #0 ; ja TAIL (the accept)
 *   last:                                     test ... test ; ret #0 ; ja TAIL (the accept)
 *   TAIL:   the VLAN tail (vlanTail)
 * From a chunk's first test instruction to its accept the offset is the number of
 * test instructions in the chunk, so a chunk holds at most 255 of them.
 */
function layoutTests(tests: readonly Test[]): BpfInstruction[] {
  const chunks: Test[][] = [];
  let current: Test[] = [];
  let currentSize = 0;
  for (const test of tests) {
    if (currentSize + test.size > BPF_MAX_JUMP) {
      chunks.push(current);
      current = [];
      currentSize = 0;
    }
    current.push(test);
    currentSize += test.size;
  }
  chunks.push(current);

  const out: BpfInstruction[] = [];
  const accepts: number[] = [];
  chunks.forEach((chunk, index) => {
    const size = chunk.reduce((n, t) => n + t.size, 0);
    const lastOfChunk = chunk[chunk.length - 1]?.last;
    if (index < chunks.length - 1 && lastOfChunk !== undefined) {
      out.push(insn(BPF_JMP | BPF_JGT | BPF_K, 0, 1, lastOfChunk, `A > ${formatIpv4(lastOfChunk)} (above this chunk)? skip the chunk`));
      out.push(insn(BPF_JMP | BPF_JA, 0, 0, size + 2, 'to the next chunk'));
    }
    let position = 0; // index of the next test instruction within the chunk
    for (const test of chunk) {
      const start = position;
      // The accept sits after the test instructions and one ja/ret: offset from instruction p is size - p.
      out.push(...test.emit((i) => size - (start + i)));
      position += test.size;
    }
    out.push(insn(BPF_RET | BPF_K, 0, 0, DROP, 'no watched address matched (later chunks hold only higher ones): drop'));
    accepts.push(out.length);
    out.push(insn(BPF_JMP | BPF_JA, 0, 0, 0, 'watched address: go to the VLAN tail'));
  });
  // ja offsets are 32-bit: every accept reaches the tail right after the last chunk.
  for (const at of accepts) out[at] = { ...out[at]!, k: out.length - at - 1 };
  return [...out, ...vlanTail()];
}

/**
 * Where every frame that passed ends: whole unless it carries the tag of another VLAN.
 *   t0 ld vlan_tag    t1 jset #0x0fff (t2/t3)    t2 ret #VLAN_SNAP    t3 ret #ACCEPT
 * Only the VID bits of SKF_AD_VLAN_TAG are tested: an untagged frame reads 0, and so does a
 * priority tag (VID 0, the native VLAN). SKF_AD_VLAN_TAG_PRESENT is not needed for that, and on
 * the kernel of the lab it read 0 for tagged frames that SKF_AD_VLAN_TAG reported (checked by
 * test/e2e/vlan-e2e.test.ts); old kernels also mask the present bit out of SKF_AD_VLAN_TAG.
 */
function vlanTail(): BpfInstruction[] {
  return [
    insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, SKF_AD_VLAN_TAG_K, 'A = VLAN TCI (ancillary SKF_AD_VLAN_TAG; 0 when untagged)'),
    insn(BPF_JMP | BPF_JSET | BPF_K, 0, 1, VLAN_VID_MASK, 'VID 0 (untagged, or a priority tag: the native VLAN)? accept'),
    insn(BPF_RET | BPF_K, 0, 0, VLAN_SNAP, 'another VLAN: keep only htype..op, for userspace to count it as ignored'),
    insn(BPF_RET | BPF_K, 0, 0, ACCEPT, 'ACCEPT: keep the whole frame'),
  ];
}

/** Instructions of vlanTail(). */
const VLAN_TAIL_LENGTH = 4;

/** Number of instructions `layoutTests` emits for tests of the given sizes (same chunking). */
function layoutSize(testSizes: readonly number[]): number {
  let chunks = 1;
  let current = 0;
  let total = 0;
  for (const size of testSizes) {
    if (current + size > BPF_MAX_JUMP) {
      chunks++;
      current = 0;
    }
    current += size;
    total += size;
  }
  return total + 2 * chunks + 2 * (chunks - 1) + VLAN_TAIL_LENGTH;
}

/** Instructions the membership part of ranges takes once laid out (range tests: 1 or 2 each). */
function rangesSize(ranges: readonly Range[]): number {
  return layoutSize(ranges.map((r) => (r.first === r.last ? 1 : 2)));
}

// ---- builder -----------------------------------------------------------------------

/** Builds the ARP filter for one interface. See the module comment for what passes. */
export function buildArpFilter(input: ArpFilterInput): BpfProgram {
  const budget = Math.min(input.maxInstructions ?? BPF_MAXINSNS, BPF_MAXINSNS);
  const watched = [...new Set([...input.watched].map((a) => a >>> 0))].filter((a) => a !== 0).sort((a, b) => a - b);
  if (watched.length === 0) {
    return program('exact', [insn(BPF_RET | BPF_K, 0, 0, DROP, 'no watched addresses: drop everything')], 0);
  }

  const ifindex = input.ifindex;
  if (ifindex !== undefined && !(Number.isInteger(ifindex) && ifindex > 0 && ifindex <= 0x7fffffff)) {
    throw new RangeError(`bpf: ifindex must be a positive integer, got ${ifindex}`);
  }
  const head = [...header(input.ownMac, ifindex), ...loadAddressUnderTest()];

  const exact = watched.map(exactTest);
  if (head.length + layoutSize(exact.map((t) => t.size)) <= budget) {
    return program('exact', [...head, ...layoutTests(exact)], watched.length);
  }

  const merged = mergeRanges(watched);
  const ranges = merged.map(rangeTest);
  if (head.length + layoutSize(ranges.map((t) => t.size)) <= budget) {
    return program('ranges', [...head, ...layoutTests(ranges)], watched.length);
  }

  const covering = coveringRanges(merged, budget - head.length, rangesSize);
  if (covering !== null) {
    const covered = covering.reduce((n, r) => n + (r.last - r.first + 1), 0);
    return program('covering', [...head, ...layoutTests(covering.map(rangeTest))], watched.length, covered);
  }

  // Too many addresses for the kernel: pass every well-formed foreign ARP frame.
  const userspace = [
    ...header(input.ownMac, ifindex),
    // Membership is checked in userspace (too many addresses for the kernel).
    ...vlanTail(),
  ];
  return program('userspace', userspace, watched.length);
}
