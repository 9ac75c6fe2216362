/**
 * Classic BPF (cBPF) building blocks shared by the ARP (bpf.ts) and ND (bpf-ndp.ts) programs:
 * the opcodes and ancillary offsets of linux/filter.h, the program model, the instruction
 * constructor, the struct sock_filter encoding and a bpf_asm-like listing. Pure: no I/O.
 */

// ---- opcodes (linux/bpf_common.h, linux/filter.h) --------------------------------

/** Instruction classes. */
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;
/** Load sizes. */
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
/** Load modes. */
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_LEN = 0x80;
/** Jump operations. */
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
/** Operand source: the constant k. */
export const BPF_K = 0x00;
/** BPF_MISC operations. */
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** Ancillary data loads: ld [SKF_AD_OFF + SKF_AD_PKTTYPE] reads skb->pkt_type. */
export const SKF_AD_OFF = -0x1000;
export const SKF_AD_PKTTYPE = 4;
/** `k` of the ancillary pkttype load, as an unsigned 32-bit value (0xfffff004). */
export const SKF_AD_PKTTYPE_K = (SKF_AD_OFF + SKF_AD_PKTTYPE) >>> 0;
/** ld [SKF_AD_OFF + SKF_AD_IFINDEX] reads skb->dev->ifindex (the device the frame is delivered for). */
export const SKF_AD_IFINDEX = 8;
export const SKF_AD_IFINDEX_K = (SKF_AD_OFF + SKF_AD_IFINDEX) >>> 0;
/** ld [SKF_AD_OFF + SKF_AD_PROTOCOL] reads ntohs(skb->protocol): the ethertype (the inner one of a tagged frame). */
export const SKF_AD_PROTOCOL = 0;
export const SKF_AD_PROTOCOL_K = (SKF_AD_OFF + SKF_AD_PROTOCOL) >>> 0;
/** ld [SKF_AD_OFF + SKF_AD_VLAN_TAG] reads the 802.1Q TCI held in the skb's metadata (priority, DEI, VID). Offsets as in linux/filter.h. */
export const SKF_AD_VLAN_TAG = 44;
export const SKF_AD_VLAN_TAG_K = (SKF_AD_OFF + SKF_AD_VLAN_TAG) >>> 0;
/** ld [SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT] reads 1 when the skb still carries a VLAN tag in its metadata. */
export const SKF_AD_VLAN_TAG_PRESENT = 48;
export const SKF_AD_VLAN_TAG_PRESENT_K = (SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT) >>> 0;
/** The VLAN identifier bits of a TCI; VID 0 is a priority tag, i.e. the untagged (native) VLAN. */
export const VLAN_VID_MASK = 0x0fff;
/** What the filter keeps of a frame tagged for another VLAN: the fixed ARP header fields, no address. */
export const VLAN_SNAP = 8;
/** Ethertype of ARP. */
export const ETH_P_ARP = 0x0806;

/** Kernel limit on classic BPF program length. */
export const BPF_MAXINSNS = 4096;
/** Conditional jump offsets (jt/jf) are 8-bit. */
export const BPF_MAX_JUMP = 255;

/** Return value that keeps the whole frame. */
export const ACCEPT = 0xffffffff;
/** Return value that drops the frame. */
export const DROP = 0;
/** Shortest well-formed Ethernet/IPv4 ARP payload. */
export const ARP_MIN_LENGTH = 28;

// ---- program model ---------------------------------------------------------------

export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
  /** What the instruction does, in words. Every instruction has one. */
  comment: string;
}

export type BpfStrategy = 'exact' | 'ranges' | 'covering' | 'userspace';

export interface BpfProgram {
  /**
   * How watched addresses are tested. 'userspace' means the kernel does not
   * test membership at all. An empty watched set yields 'exact' with a
   * single drop-everything instruction.
   */
  readonly strategy: BpfStrategy;
  readonly instructions: readonly BpfInstruction[];
  /** Distinct watched addresses the program was built for (0.0.0.0 excluded). */
  readonly watchedCount: number;
  /**
   * 'covering' only: how many addresses the membership test passes (the watched ones and those
   * in the gaps it closed); the other strategies pass exactly the watched set, or (userspace) all.
   */
  readonly coveredCount?: number;
  /** struct sock_filter[] as bytes: u16 code, u8 jt, u8 jf, u32 k, little-endian. */
  encode(): Uint8Array;
}

export function insn(code: number, jt: number, jf: number, k: number, comment: string): BpfInstruction {
  return { code, jt, jf, k: k >>> 0, comment };
}

/** Encodes instructions as struct sock_filter[] (little-endian, 8 bytes each). */
export function encodeInstructions(instructions: readonly BpfInstruction[]): Uint8Array {
  const bytes = new Uint8Array(instructions.length * 8);
  const view = new DataView(bytes.buffer);
  instructions.forEach((ins, i) => {
    view.setUint16(i * 8, ins.code, true);
    view.setUint8(i * 8 + 2, ins.jt);
    view.setUint8(i * 8 + 3, ins.jf);
    view.setUint32(i * 8 + 4, ins.k >>> 0, true);
  });
  return bytes;
}

export function program(strategy: BpfStrategy, instructions: BpfInstruction[], watchedCount: number, coveredCount?: number): BpfProgram {
  Object.freeze(instructions);
  return Object.freeze({
    strategy,
    instructions,
    watchedCount,
    ...(coveredCount === undefined ? {} : { coveredCount }),
    encode: () => encodeInstructions(instructions),
  });
}

/** A one-instruction program that drops every frame (used before the real filter is known). */
export function dropAllProgram(): BpfProgram {
  return program('exact', [insn(BPF_RET | BPF_K, 0, 0, DROP, 'drop everything')], 0);
}

/** Human-readable listing (bpf_asm-like), one instruction per line with its comment. */
export function formatProgram(p: Pick<BpfProgram, 'instructions'>): string {
  return p.instructions
    .map((ins, i) => {
      const code = `0x${ins.code.toString(16).padStart(4, '0')}`;
      const k = `0x${(ins.k >>> 0).toString(16).padStart(8, '0')}`;
      return `${String(i).padStart(4)}: { ${code}, ${String(ins.jt).padStart(3)}, ${String(ins.jf).padStart(3)}, ${k} }  ${ins.comment}`;
    })
    .join('\n');
}
