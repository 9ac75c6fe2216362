/**
 * A small classic-BPF interpreter for unit tests of src/core/bpf.ts.
 *
 * It implements only what the builder emits (and a little more), with the
 * kernel's semantics where they matter:
 *   ld/ldh/ldb [k] (absolute, big-endian), ld len,
 *   ld [SKF_AD_OFF+SKF_AD_PKTTYPE|IFINDEX|PROTOCOL|VLAN_TAG|VLAN_TAG_PRESENT],
 *   ld #k, jeq/jgt/jge/jset #k, ja k, ret #k, tax, txa;
 * and for src/core/bpf-ndp.ts: ld/ldh/ldb [x+k] (indirect), ldx #k.
 * A load beyond the end of the packet ends the program with 0 (drop), as in
 * the kernel. Any other opcode throws, so an unexpected instruction fails the
 * test instead of being silently misinterpreted.
 */
import {
  BPF_ABS,
  BPF_B,
  BPF_H,
  BPF_IMM,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MAXINSNS,
  BPF_MISC,
  BPF_RET,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  SKF_AD_IFINDEX_K,
  SKF_AD_PKTTYPE_K,
  type BpfInstruction,
  SKF_AD_PROTOCOL_K,
  SKF_AD_VLAN_TAG_K,
  SKF_AD_VLAN_TAG_PRESENT_K,
} from '../../src/core/bpf.js';
import { BPF_IND } from '../../src/core/bpf-ndp.js';

/** An instruction as the kernel sees it: the builder's, without its comment. */
export type Insn = Omit<BpfInstruction, 'comment'>;

export interface PacketContext {
  /** sll_pkttype of the frame (0 host, 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing). */
  pkttype: number;
  /** skb->dev->ifindex (default 0). */
  ifindex?: number;
  /** skb_vlan_tag_present() (default false; true as well when vlanTci is given). */
  vlanTagPresent?: boolean;
  /** ntohs(skb->protocol), the ethertype (default 0x0806, ARP). */
  protocol?: number;
  /** The 802.1Q TCI in the skb's metadata; absent = no VLAN tag present (unless vlanTagPresent). */
  vlanTci?: number;
  /** When given, counts the instructions the run executed (for tests of the cost per frame). */
  executed?: { count: number };
}

const CLASS = 0x07;
const SIZE = 0x18;
const MODE = 0xe0;
const OP = 0xf0;
const SRC = 0x08;

/**
 * Structural checks in the spirit of the kernel's bpf_check_classic():
 * 1..4096 instructions, jt/jf within 0..255, every jump lands inside the
 * program, the last instruction is a return. Returns a list of problems.
 */
export function checkProgram(program: readonly Insn[]): string[] {
  const problems: string[] = [];
  if (program.length === 0 || program.length > BPF_MAXINSNS) problems.push(`length ${program.length} not in 1..${BPF_MAXINSNS}`);
  program.forEach((ins, pc) => {
    if (ins.jt < 0 || ins.jt > 255 || ins.jf < 0 || ins.jf > 255) problems.push(`${pc}: jt/jf out of 0..255`);
    if ((ins.code & CLASS) === BPF_JMP) {
      const targets = (ins.code & OP) === BPF_JA ? [pc + 1 + ins.k] : [pc + 1 + ins.jt, pc + 1 + ins.jf];
      for (const t of targets) if (t >= program.length) problems.push(`${pc}: jump to ${t} beyond the end`);
    }
  });
  const last = program[program.length - 1];
  if (last !== undefined && (last.code & CLASS) !== BPF_RET) problems.push('last instruction is not a return');
  return problems;
}

/** Runs `program` on `packet`; returns the filter's verdict (0 = drop, else bytes to keep). */
export function runBpf(program: readonly Insn[], packet: Uint8Array, ctx: PacketContext): number {
  let a = 0;
  let x = 0;
  let pc = 0;
  // Every jump is forward, so a program ends within program.length steps; guard anyway.
  for (let steps = 0; steps <= program.length; steps++) {
    const ins = program[pc];
    if (ins === undefined) throw new Error(`bpf: pc ${pc} outside the program`);
    if (ctx.executed) ctx.executed.count++;
    pc++;
    const cls = ins.code & CLASS;
    if (cls === BPF_LD) {
      const mode = ins.code & MODE;
      const size = ins.code & SIZE;
      if (mode === BPF_LEN && size === BPF_W) a = packet.length;
      else if (mode === BPF_IMM && size === BPF_W) a = ins.k >>> 0;
      else if (mode === BPF_ABS && ins.k >>> 0 === SKF_AD_PKTTYPE_K) a = ctx.pkttype;
      else if (mode === BPF_ABS && ins.k >>> 0 === SKF_AD_IFINDEX_K) a = ctx.ifindex ?? 0;
      else if (mode === BPF_ABS && ins.k >>> 0 === SKF_AD_PROTOCOL_K) a = ctx.protocol ?? 0x0806;
      else if (mode === BPF_ABS && ins.k >>> 0 === SKF_AD_VLAN_TAG_PRESENT_K) a = ctx.vlanTagPresent || ctx.vlanTci !== undefined ? 1 : 0;
      else if (mode === BPF_ABS && ins.k >>> 0 === SKF_AD_VLAN_TAG_K) a = ctx.vlanTci ?? 0;
      else if (mode === BPF_IND) {
        const width = size === BPF_W ? 4 : size === BPF_H ? 2 : size === BPF_B ? 1 : 0;
        if (width === 0) throw new Error(`bpf: unsupported load size in code 0x${ins.code.toString(16)}`);
        const at = (x + ins.k) >>> 0;
        if (at + width > packet.length) return 0; // out of bounds: the kernel drops
        a = 0;
        for (let i = 0; i < width; i++) a = a * 256 + packet[at + i]!;
      } else if (mode === BPF_ABS) {
        const width = size === BPF_W ? 4 : size === BPF_H ? 2 : size === BPF_B ? 1 : 0;
        if (width === 0) throw new Error(`bpf: unsupported load size in code 0x${ins.code.toString(16)}`);
        if (ins.k >= 0x80000000) throw new Error(`bpf: unsupported ancillary load k=0x${ins.k.toString(16)}`);
        if (ins.k + width > packet.length) return 0; // out of bounds: the kernel drops
        a = 0;
        for (let i = 0; i < width; i++) a = a * 256 + packet[ins.k + i]!;
      } else throw new Error(`bpf: unsupported load mode in code 0x${ins.code.toString(16)}`);
      continue;
    }
    if (cls === BPF_LDX) {
      if (ins.code !== (BPF_LDX | BPF_W | BPF_IMM)) throw new Error(`bpf: unsupported ldx code 0x${ins.code.toString(16)}`);
      x = ins.k >>> 0;
      continue;
    }
    if (cls === BPF_JMP) {
      const op = ins.code & OP;
      if ((ins.code & SRC) !== BPF_K) throw new Error('bpf: only BPF_K jumps are supported');
      if (op === BPF_JA) {
        pc += ins.k;
        continue;
      }
      const k = ins.k >>> 0;
      let taken: boolean;
      if (op === BPF_JEQ) taken = a >>> 0 === k;
      else if (op === BPF_JGT) taken = a >>> 0 > k;
      else if (op === BPF_JGE) taken = a >>> 0 >= k;
      else if (op === BPF_JSET) taken = (a & k) !== 0;
      else throw new Error(`bpf: unsupported jump in code 0x${ins.code.toString(16)}`);
      pc += taken ? ins.jt : ins.jf;
      continue;
    }
    if (cls === BPF_RET) {
      if ((ins.code & 0x18) !== BPF_K) throw new Error('bpf: only ret #k is supported');
      return ins.k >>> 0;
    }
    if (cls === BPF_MISC) {
      if ((ins.code & 0xf8) === BPF_TAX) x = a;
      else if ((ins.code & 0xf8) === BPF_TXA) a = x;
      else throw new Error(`bpf: unsupported misc code 0x${ins.code.toString(16)}`);
      continue;
    }
    throw new Error(`bpf: unsupported instruction class in code 0x${ins.code.toString(16)}`);
  }
  throw new Error('bpf: program did not return');
}

/** Decodes struct sock_filter[] bytes (little-endian) back into instructions. */
export function decodeProgram(bytes: Uint8Array): Insn[] {
  if (bytes.length % 8 !== 0) throw new Error('bpf: program length is not a multiple of 8');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let off = 0; off < bytes.length; off += 8) {
    out.push({ code: view.getUint16(off, true), jt: view.getUint8(off + 2), jf: view.getUint8(off + 3), k: view.getUint32(off + 4, true) });
  }
  return out;
}
