/**
 * One `dupip scan` run, pure: which addresses of the swept prefixes were answered by which MACs.
 * The requests are ordinary ARP requests from the host's own address (never sender 0.0.0.0, which
 * a host taking an address over would read as a competing probe); an answer is an ARP reply whose
 * sender IP is a scanned address. Frames from the host's own MACs and outgoing frames never count.
 */
import { OP_REPLY, OP_REQUEST, type ArpFrame, type ReceivedArp } from './arp.js';
import { type Ipv4 } from './ipv4.js';
import type { Mac } from './mac.js';
import { PACKET_OUTGOING } from './packet-constants.js';

/** MACs kept per address; more are counted, not kept (bounded memory whatever the segment sends). */
export const MAX_MACS_PER_ADDRESS = 16;
/** A MAC answering for at least this many addresses is named as a likely proxy ARP responder. */
export const PROXY_MIN_ADDRESSES = 8;
/** The largest sweep: a /16. */
export const MAX_SCAN_ADDRESSES = 65_536;

export interface ScanAnswer {
  mac: Mac;
  firstSeen: number;
  lastSeen: number;
  frames: number;
  /** Present when the Ethernet source differs from the ARP sender MAC. */
  ethernetSource?: Mac;
}

export interface ScanDuplicate {
  address: Ipv4;
  /** Every foreign MAC that answered (at most MAX_MACS_PER_ADDRESS), first answer first. */
  answers: ScanAnswer[];
  /** This host holds the address too: one foreign answer is already a duplicate. */
  ownAddress: boolean;
  overflow: number;
}

export interface ScanResult {
  /** Addresses answered by two or more MACs (this host counting for its own addresses), in address order. */
  duplicates: ScanDuplicate[];
  /** Addresses answered at all. */
  answered: number;
  /** MACs that answered for at least PROXY_MIN_ADDRESSES addresses. */
  proxies: Array<{ mac: Mac; addresses: number }>;
  sent: number;
  received: number;
  /** When the first request went out (the caller's clock); answers' times are on the same clock. */
  firstSentAt: number;
}

export class ScanSession {
  private readonly answers = new Map<Ipv4, { macs: Map<Mac, ScanAnswer>; overflow: number }>();
  private readonly perMac = new Map<Mac, number>();
  private sent = 0;
  private received = 0;
  private firstSentAt: number | null = null;

  constructor(
    private readonly targets: ReadonlySet<Ipv4>,
    private readonly ownMacs: ReadonlySet<Mac>,
    private readonly ownAddresses: ReadonlySet<Ipv4> = new Set(),
  ) {}

  requestSent(now: number): void {
    this.sent++;
    if (this.firstSentAt === null) this.firstSentAt = now;
  }

  /** Returns what the frame was, for the caller's counters. */
  frame(frame: ReceivedArp, ethernetSource: Mac, packetType: number, now: number): 'answer' | 'own' | 'other' {
    if (packetType === PACKET_OUTGOING || this.ownMacs.has(frame.senderMac) || this.ownMacs.has(ethernetSource)) return 'own';
    if (frame.op !== OP_REPLY || frame.senderIp === 0 || !this.targets.has(frame.senderIp) || this.sent === 0) return 'other';
    this.received++;
    let entry = this.answers.get(frame.senderIp);
    if (!entry) this.answers.set(frame.senderIp, (entry = { macs: new Map(), overflow: 0 }));
    const seen = entry.macs.get(frame.senderMac);
    if (seen) {
      seen.frames++;
      seen.lastSeen = now;
    } else if (entry.macs.size >= MAX_MACS_PER_ADDRESS) entry.overflow++;
    else {
      const a: ScanAnswer = { mac: frame.senderMac, firstSeen: now, lastSeen: now, frames: 1 };
      if (ethernetSource !== frame.senderMac) a.ethernetSource = ethernetSource;
      entry.macs.set(frame.senderMac, a);
      this.perMac.set(frame.senderMac, (this.perMac.get(frame.senderMac) ?? 0) + 1);
    }
    return 'answer';
  }

  result(): ScanResult {
    const duplicates: ScanDuplicate[] = [];
    for (const [address, e] of [...this.answers].sort((a, b) => a[0] - b[0])) {
      const own = this.ownAddresses.has(address);
      if (e.macs.size + (own ? 1 : 0) < 2) continue;
      duplicates.push({ address, answers: [...e.macs.values()].sort((a, b) => a.firstSeen - b.firstSeen), ownAddress: own, overflow: e.overflow });
    }
    const proxies = [...this.perMac]
      .filter(([, n]) => n >= PROXY_MIN_ADDRESSES)
      .sort((a, b) => b[1] - a[1])
      .map(([mac, addresses]) => ({ mac, addresses }));
    return { duplicates, answered: this.answers.size, proxies, sent: this.sent, received: this.received, firstSentAt: this.firstSentAt ?? 0 };
  }
}

/** An ordinary ARP request ("who has target? tell sender"): sender IP is the host's own address. */
export function requestFrame(ownMac: Mac, ownAddress: Ipv4, target: Ipv4): ArpFrame {
  if (ownAddress === 0) throw new RangeError('scan requests must come from an address of this host, never 0.0.0.0');
  return { op: OP_REQUEST, senderMac: ownMac, senderIp: ownAddress, targetMac: '00:00:00:00:00:00', targetIp: target };
}

/** The addresses a prefix sweeps: every address but the network and broadcast ones (all of a /31 or /32). */
export function prefixAddresses(prefix: Ipv4, length: number): Ipv4[] {
  const size = 2 ** (32 - length);
  const base = length === 0 ? 0 : (prefix & ((0xffffffff << (32 - length)) >>> 0)) >>> 0;
  if (size <= 2) return Array.from({ length: size }, (_, i) => (base + i) >>> 0);
  return Array.from({ length: size - 2 }, (_, i) => (base + 1 + i) >>> 0);
}
