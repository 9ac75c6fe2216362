/**
 * One `dupip probe` run for an IPv6 address, pure: which probes to send and which received
 * Neighbor Discovery frames are answers. The IPv6 sibling of probe-session.ts, with the same
 * result so that the CLI prints both alike.
 *
 * Which probe (RFC 4862 §5.4.2 against RFC 4861 §7.2.2, field notes §7):
 *   'dad'           a DAD-style NS: from ::, to the solicited-node group, no source link-layer
 *                   option, a nonce of ours (RFC 7527). Every other holder answers it with an NA
 *                   to ff02::1. Only for an address this host holds (configured, DAD done): a
 *                   peer that is taking the address over would take our probe for a rival and
 *                   mark it dadfailed.
 *   'solicitation'  an ordinary NS from our link-local address with our source link-layer
 *                   option: every holder answers with a unicast solicited NA. Harmless to a
 *                   host doing DAD (it only ever gives up an address for a probe from ::), so
 *                   this is what an address this host does not hold gets, and also one it holds
 *                   only tentatively (a probe from :: would fail our own DAD).
 *
 * What counts (like `arping -D`, but stricter): every foreign MAC that says it holds the address,
 * by an NA for it (the target link-layer option, else the Ethernet source) or an NS from it; our
 * own looped-back DAD probes (by nonce), outgoing frames and frames from any of the host's own
 * MACs never count. Hosts running DAD for the address at the same time are noted as probers.
 */
import type { Ipv6 } from './ipv6.js';
import type { Mac } from './mac.js';
import { type NdFrame, type NdTransmission, NONCE_LENGTH, dadProbe, solicitation } from './ndp.js';
import { observeNd } from './ndp-observation.js';
import { PACKET_OUTGOING } from './packet-constants.js';
import type { ProbeAnswer, ProbeResult } from './probe-session.js';

export type NdProbeMethod = 'dad' | 'solicitation';

/** What the host knows about the address under test. */
export interface NdProbeContext {
  /** Configured on this host with DAD done (an optimistic address counts), on any interface. */
  held: boolean;
  /** Configured here but still tentative (DAD running): never probe it from ::. */
  tentative: boolean;
}

/** RFC 4862 DAD semantics only for what we hold; an ordinary NS for anything else. */
export function chooseNdProbeMethod(context: NdProbeContext): NdProbeMethod {
  return context.held && !context.tentative ? 'dad' : 'solicitation';
}

export interface NdProbeSource {
  /** The interface's MAC (source link-layer option of an ordinary NS). */
  mac: Mac;
  /** The interface's link-local address (source of an ordinary NS). */
  linkLocal: Ipv6;
}

export class NdProbeSession {
  private readonly answers = new Map<Mac, ProbeAnswer>();
  private readonly probers = new Set<Mac>();
  private readonly nonces = new Set<string>();
  private firstSentAt: number | null = null;
  private sent = 0;
  private received = 0;

  constructor(
    readonly address: Ipv6,
    readonly method: NdProbeMethod,
    private readonly source: NdProbeSource,
    private readonly ownMacs: ReadonlySet<Mac>,
  ) {}

  /**
   * The next probe to send. `nonceBytes` (6 random bytes, the caller's: the core has no
   * randomness) becomes the nonce of a DAD probe and is remembered to recognise its loop-back.
   */
  nextProbe(nonceBytes: Uint8Array): NdTransmission {
    if (this.method === 'solicitation') return solicitation(this.source.linkLocal, this.source.mac, this.address);
    if (nonceBytes.length !== NONCE_LENGTH) throw new RangeError(`nd-probe: a nonce is ${NONCE_LENGTH} bytes`);
    const nonce = Array.from(nonceBytes, (b) => b.toString(16).padStart(2, '0')).join('');
    this.nonces.add(nonce);
    return dadProbe(this.address, nonce);
  }

  probeSent(now: number): void {
    this.sent++;
    if (this.firstSentAt === null) this.firstSentAt = now;
  }

  /** Returns what the frame was, for the caller's counters. */
  frame(frame: NdFrame, ethernetSource: Mac, packetType: number, now: number): 'answer' | 'prober' | 'own' | 'other' {
    if (packetType === PACKET_OUTGOING) return 'own';
    const o = observeNd(frame, ethernetSource);
    if (o.address !== this.address) return 'other';
    if (this.ownMacs.has(o.mac) || this.ownMacs.has(o.ethernetSource)) return 'own';
    if (o.kind === 'probe') {
      if (o.nonce !== null && this.nonces.has(o.nonce)) return 'own'; // our DAD probe, looped back
      this.probers.add(o.mac);
      return 'prober';
    }
    if (this.firstSentAt === null) return 'other'; // nothing asked yet
    this.received++;
    const seen = this.answers.get(o.mac);
    if (seen) seen.frames++;
    else {
      const a: ProbeAnswer = { mac: o.mac, firstAnswerMs: now - this.firstSentAt, frames: 1 };
      if (o.ethernetSource !== o.mac) a.ethernetSource = o.ethernetSource;
      this.answers.set(o.mac, a);
    }
    return 'answer';
  }

  result(): ProbeResult {
    const answers = [...this.answers.values()].sort((a, b) => a.firstAnswerMs - b.firstAnswerMs);
    return { duplicate: answers.length > 0, answers, probers: [...this.probers], sent: this.sent, received: this.received };
  }
}
