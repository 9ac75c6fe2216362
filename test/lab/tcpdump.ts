/**
 * Parser for `tcpdump -l -nn -e -tt -xx` output. The header line gives time and Ethernet addresses;
 * the hex dump (link header included) gives every ARP field, which the text form does not (a reply
 * line has no target address, and a probe's target MAC only shows when non-zero).
 */
import { formatIpv4, readIpv4 } from '../../src/core/ipv4.js';
import { readMac, type Mac } from '../../src/core/mac.js';

export type ArpKind = 'probe' | 'announcement' | 'request' | 'reply' | 'other';

export interface ArpFields {
  /** 1 request, 2 reply */
  op: number;
  /** probe: request with sender IP 0.0.0.0; announcement: request with sender IP = target IP */
  kind: ArpKind;
  senderMac: Mac;
  senderIp: string;
  targetMac: Mac;
  targetIp: string;
}

export interface CapturedFrame {
  /** seconds since the epoch, from tcpdump -tt */
  time: number;
  /** Ethernet source / destination */
  src: Mac;
  dst: Mac;
  ethertype: number;
  /** 802.1Q VLAN id when tagged */
  vlan: number | null;
  /** frame length as reported by tcpdump */
  length: number;
  /** null when the frame is not Ethernet/IPv4 ARP */
  arp: ArpFields | null;
  /** tcpdump's header line, for failure messages */
  line: string;
}

const HEADER = /^(\d+\.\d+) ([0-9a-f:]{17}) > ([0-9a-f:]{17}), .*?length (\d+):/;
const HEX = /^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4}\s?)+)/;

const ip = (b: Uint8Array, o: number): string => formatIpv4(readIpv4(b, o));

/** Decodes a whole Ethernet frame; exported for tests. */
export function decodeFrame(bytes: Uint8Array): Pick<CapturedFrame, 'ethertype' | 'vlan' | 'arp'> {
  if (bytes.length < 14) return { ethertype: -1, vlan: null, arp: null };
  let ethertype = (bytes[12]! << 8) | bytes[13]!;
  let offset = 14;
  let vlan: number | null = null;
  if (ethertype === 0x8100 && bytes.length >= 18) {
    vlan = ((bytes[14]! << 8) | bytes[15]!) & 0x0fff;
    ethertype = (bytes[16]! << 8) | bytes[17]!;
    offset = 18;
  }
  let arp: ArpFields | null = null;
  const p = bytes.subarray(offset);
  if (ethertype === 0x0806 && p.length >= 28) {
    const htype = (p[0]! << 8) | p[1]!;
    const ptype = (p[2]! << 8) | p[3]!;
    if (htype === 1 && ptype === 0x0800 && p[4] === 6 && p[5] === 4) {
      const op = (p[6]! << 8) | p[7]!;
      const senderIp = ip(p, 14);
      const targetIp = ip(p, 24);
      let kind: ArpKind = 'other';
      if (op === 1) kind = senderIp === '0.0.0.0' ? 'probe' : senderIp === targetIp ? 'announcement' : 'request';
      else if (op === 2) kind = 'reply';
      arp = { op, kind, senderMac: readMac(p, 8), senderIp, targetMac: readMac(p, 18), targetIp };
    }
  }
  return { ethertype, vlan, arp };
}

interface Pending {
  time: number;
  src: Mac;
  dst: Mac;
  length: number;
  line: string;
  hex: number[];
}

/** Line-by-line parser; feed it lines, collect completed frames. */
export class TcpdumpParser {
  #pending: Pending | null = null;

  /** Returns the frames completed by this line (0, or 1). */
  push(line: string): CapturedFrame[] {
    const out: CapturedFrame[] = [];
    const h = HEADER.exec(line);
    if (h) {
      const done = this.#flush();
      if (done) out.push(done);
      this.#pending = { time: Number(h[1]), src: h[2]!, dst: h[3]!, length: Number(h[4]), line, hex: [] };
      return out;
    }
    const x = HEX.exec(line);
    if (x && this.#pending) {
      for (const group of x[1]!.trim().split(/\s+/)) {
        for (let i = 0; i + 1 < group.length; i += 2) this.#pending.hex.push(parseInt(group.slice(i, i + 2), 16));
      }
      // Complete once the whole frame is in: emit without waiting for the next header line.
      if (this.#pending.hex.length >= this.#pending.length) {
        const done = this.#flush();
        if (done) out.push(done);
      }
    }
    return out;
  }

  /** Call at end of output: returns a frame whose hex dump was cut short, if any. */
  end(): CapturedFrame[] {
    const done = this.#flush();
    return done ? [done] : [];
  }

  #flush(): CapturedFrame | null {
    const p = this.#pending;
    this.#pending = null;
    if (!p) return null;
    const decoded = decodeFrame(Uint8Array.from(p.hex));
    return { time: p.time, src: p.src, dst: p.dst, length: p.length, line: p.line, ...decoded };
  }
}
