/** A fake clock and transmitter around the pure Detector, for unit tests. */
import { Detector, type DetectorOptions, type Transmission, type Transmission6 } from '../../src/core/detector.js';
import type { DetectorEvent, SendOutcome } from '../../src/core/events.js';
import { type ArpFrame, OP_REPLY, OP_REQUEST } from '../../src/core/arp.js';
import { parseIpv4, type Ipv4 } from '../../src/core/ipv4.js';
import type { Mac } from '../../src/core/mac.js';
import type { IpAddress } from '../../src/core/address.js';
import { ALL_NODES, type Ipv6, UNSPECIFIED, linkLocalFromMac, parseIpv6, solicitedNodeGroup } from '../../src/core/ipv6.js';
import { type NdFrame, TYPE_NEIGHBOR_ADVERTISEMENT, TYPE_NEIGHBOR_SOLICITATION } from '../../src/core/ndp.js';
import { observeNd, toObservation } from '../../src/core/ndp-observation.js';
import type { WatchList, WatchSpec } from '../../src/core/watchlist.js';

export const ip = (s: string): Ipv4 => {
  const v = parseIpv4(s);
  if (v === null) throw new Error(`bad ip ${s}`);
  return v;
};

export const OWN_MAC = '02:00:00:00:00:01';
export const IF = 'eth0';
/** The fake interface's own address: the sender IP of ordinary requests for delegates held elsewhere. */
export const OWN_IP = 0xc0000201; // 192.0.2.1
export const OWN_ADDRESSES = [{ address: OWN_IP, prefixLength: 24 }];
/** The fake interface's IPv6 link-local address (the source of ordinary NSs). */
export const OWN_LINK_LOCAL = linkLocalFromMac('02:00:00:00:00:01');
export const ip6 = (s: string): Ipv6 => {
  const v = parseIpv6(s);
  if (v === null) throw new Error(`bad ipv6 ${s}`);
  return v;
};

/** Deterministic PRNG (mulberry32). */
export function seeded(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Sent extends Transmission {
  at: number;
}

export interface Sent6 extends Transmission6 {
  at: number;
}

export class FakeWorld {
  now = 1_000_000;
  readonly sent: Sent[] = [];
  /** IPv6 (Neighbor Discovery) transmissions, kept apart from the ARP ones. */
  readonly sent6: Sent6[] = [];
  readonly events: DetectorEvent[] = [];
  outcome: SendOutcome = 'sent';
  readonly detector: Detector;
  /** Called for every transmitted frame, e.g. to make a fake peer answer probes. */
  onTransmit: ((t: Sent) => void) | null = null;
  onTransmit6: ((t: Sent6) => void) | null = null;
  private pending: Array<() => void> = [];
  /** Distinct moments the detector had to be woken at (each is one timer wake-up in the daemon). */
  wakeups = 0;
  /** How late each fake timer fires (real ones fire 0–5 ms late, never the same twice). */
  timerLateness: (wakeup: number) => number = () => 0;

  constructor(options: Partial<DetectorOptions> = {}) {
    this.detector = new Detector({
      probeIntervalMs: 1000,
      announceIntervalMs: 0,
      defend: 'once',
      clearAfter: 3,
      maxSendRate: 50,
      ignoreMacs: [],
      random: seeded(42),
      transmit: (t) => this.transmit(t),
      ...options,
    });
  }

  /** The fake transmitter: records the frame (sent, sent6) and returns `outcome`. */
  transmit(t: Transmission | Transmission6): SendOutcome {
    if (t.family === 'ipv6') {
      const s6 = { ...t, at: this.now };
      this.sent6.push(s6);
      if (this.onTransmit6) this.pending.push(() => this.onTransmit6?.(s6));
      return this.outcome;
    }
    const s = { ...t, at: this.now };
    this.sent.push(s);
    if (this.onTransmit) this.pending.push(() => this.onTransmit?.(s));
    return this.outcome;
  }

  watch(specs: Array<Partial<WatchSpec> & { address: IpAddress }>, extra: Partial<WatchList> = {}): void {
    this.detector.setWatchList(
      {
        interfaces: [{ name: IF, ifindex: 2, mac: OWN_MAC, up: true, hostAddresses: OWN_ADDRESSES, linkLocal: OWN_LINK_LOCAL }],
        specs: specs.map((s) => ({ ifname: IF, role: 'own', held: true, allowedMacs: [], ...s })),
        ownMacs: [OWN_MAC],
        problems: [],
        ...extra,
      },
      this.now,
    );
    this.drain();
  }

  /** Advances the fake clock to now+ms, firing every deadline on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const d = this.detector.nextDeadline();
      if (d === null || d > end) break;
      // Real timers fire a little late; `timerLateness` makes the fake ones do so too.
      this.now = Math.max(this.now, d + this.timerLateness(this.wakeups));
      this.wakeups++;
      this.detector.handleTimeout(this.now);
      this.drain();
    }
    this.now = end;
  }

  frame(f: ArpFrame, ethernetSource?: Mac): string {
    const v = this.detector.handleFrame(IF, f, ethernetSource ?? f.senderMac, this.now);
    this.drain();
    return v;
  }

  /** A Neighbor Discovery frame received on the fake interface, through the codec's observation as the daemon feeds it. */
  nd(f: NdFrame, ethernetSource: Mac): string {
    const v = this.detector.handleObservation(IF, toObservation(observeNd(f, ethernetSource)), ethernetSource, this.now);
    this.drain();
    return v;
  }

  /** A kernel's answer to our NS for `address` (solicited NA with its TLLA; to :: DAD probes it goes to all-nodes, S=0). */
  advertise(mac: Mac, address: Ipv6, solicited = true): string {
    return this.nd({ type: TYPE_NEIGHBOR_ADVERTISEMENT, source: address, destination: ALL_NODES, target: address, router: false, solicited, override: true, targetLinkLayer: mac }, mac);
  }

  /** A foreign host running DAD for `address` (NS from ::, its own nonce). */
  dad6(mac: Mac, address: Ipv6, nonce = 'a1a2a3a4a5a6'): string {
    return this.nd({ type: TYPE_NEIGHBOR_SOLICITATION, source: UNSPECIFIED, destination: solicitedNodeGroup(address), target: address, sourceLinkLayer: null, nonce }, mac);
  }

  /** A foreign host claiming `address` (ARP request with sender IP = address). */
  claim(mac: Mac, address: Ipv4): string {
    return this.frame({ op: OP_REQUEST, senderMac: mac, senderIp: address, targetMac: '00:00:00:00:00:00', targetIp: ip('192.0.2.254') });
  }

  /** A kernel's reply to our probe. */
  reply(mac: Mac, address: Ipv4): string {
    return this.frame({ op: OP_REPLY, senderMac: mac, senderIp: address, targetMac: OWN_MAC, targetIp: 0 });
  }

  private drain(): void {
    this.events.push(...this.detector.pullEvents());
    while (this.pending.length) {
      const fns = this.pending;
      this.pending = [];
      for (const fn of fns) fn();
      this.events.push(...this.detector.pullEvents());
    }
  }

  states(address?: string): string[] {
    return this.events
      .filter((e): e is Extract<DetectorEvent, { type: 'state' }> => e.type === 'state' && (!address || e.entry.address === address))
      .map((e) => e.to);
  }

  sentOf(kind: Transmission['kind']): Sent[] {
    return this.sent.filter((s) => s.kind === kind);
  }
}
