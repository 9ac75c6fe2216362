/**
 * One `dupip probe` run, pure: which received frames are answers for the probed address.
 * Like `arping -D`, but frames from any of the host's own MACs and outgoing frames never count,
 * and every foreign MAC is kept, not just the first.
 */
import type { ReceivedArp } from './arp.js';
import type { Ipv4 } from './ipv4.js';
import type { Mac } from './mac.js';
import { PACKET_OUTGOING } from './packet-constants.js';


export interface ProbeAnswer {
  mac: Mac;
  /** Milliseconds from the first probe sent to this MAC's first answer. */
  firstAnswerMs: number;
  frames: number;
  /** Present when the Ethernet source differs from the ARP sender MAC. */
  ethernetSource?: Mac;
}

export interface ProbeResult {
  duplicate: boolean;
  answers: ProbeAnswer[];
  /** Hosts probing for the same address at the same time (sender IP 0.0.0.0). */
  probers: Mac[];
  sent: number;
  received: number;
}

export class ProbeSession {
  private readonly answers = new Map<Mac, ProbeAnswer>();
  private readonly probers = new Set<Mac>();
  private firstSentAt: number | null = null;
  private sent = 0;
  private received = 0;

  constructor(
    private readonly address: Ipv4,
    private readonly ownMacs: ReadonlySet<Mac>,
  ) {}

  probeSent(now: number): void {
    this.sent++;
    if (this.firstSentAt === null) this.firstSentAt = now;
  }

  /** Returns what the frame was, for the caller's counters. */
  frame(frame: ReceivedArp, ethernetSource: Mac, packetType: number, now: number): 'answer' | 'prober' | 'own' | 'other' {
    if (packetType === PACKET_OUTGOING || this.ownMacs.has(frame.senderMac) || this.ownMacs.has(ethernetSource)) return 'own';
    if (frame.senderIp === this.address) {
      if (this.firstSentAt === null) return 'other'; // nothing asked yet
      this.received++;
      const seen = this.answers.get(frame.senderMac);
      if (seen) seen.frames++;
      else {
        const a: ProbeAnswer = { mac: frame.senderMac, firstAnswerMs: now - this.firstSentAt, frames: 1 };
        if (ethernetSource !== frame.senderMac) a.ethernetSource = ethernetSource;
        this.answers.set(frame.senderMac, a);
      }
      return 'answer';
    }
    if (frame.senderIp === 0 && frame.targetIp === this.address && frame.op === 1) {
      this.probers.add(frame.senderMac);
      return 'prober';
    }
    return 'other';
  }

  result(): ProbeResult {
    const answers = [...this.answers.values()].sort((a, b) => a.firstAnswerMs - b.firstAnswerMs);
    return { duplicate: answers.length > 0, answers, probers: [...this.probers], sent: this.sent, received: this.received };
  }
}
