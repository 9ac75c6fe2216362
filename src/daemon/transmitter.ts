/**
 * The daemon's transmit path: what the detector sends, frame by frame (one()) or as the frames of
 * one drain of an interface's send queue (batch(), src/core/outbox.ts). Each frame is checked on
 * its own (the last line: never announce or defend an address the host does not hold); in a batch
 * the IPv4 frames that pass go to their ARP socket in one sendBatch (sendmmsg), IPv6 frames one by
 * one through the ND sockets. One outcome per frame, in order; a send that threw or failed is
 * logged and counted (observers' sendError) and reported as 'dropped'.
 */
import type { Logger } from 'pino';
import { encodeArp } from '../core/arp.js';
import type { AnyTransmission, Transmission, Transmission6 } from '../core/detector.js';
import type { SendOutcome } from '../core/events.js';
import { type Ipv4, formatIpv4 } from '../core/ipv4.js';
import type { Mac } from '../core/mac.js';
import type { Observer } from './observer.js';
import type { DaemonSocket } from './socket-set.js';

export interface TransmitterDeps {
  logger: Logger;
  observers: () => readonly Observer[];
  /** The interface's ARP socket, if one is open. */
  socket(ifname: string): DaemonSocket | undefined;
  /** The host holds this IPv4 address now. */
  holds(address: Ipv4): boolean;
  /**
   * Before frames other than probes: reads the host's pending changes (host-changes.ts peek), after
   * which `withdrawn` names a held address removed a moment ago: not sent, and no error either.
   */
  refresh(): void;
  withdrawn(address: Ipv4): boolean;
  /** An IPv6 frame through the ND sockets (may throw). */
  nd(t: Transmission6): SendOutcome;
  /** A probe went out. */
  probeSent(): void;
}

export class Transmitter {
  constructor(private readonly d: TransmitterDeps) {}

  one(t: AnyTransmission): SendOutcome {
    if (t.family === 'ipv6') return this.sending(t.interface, t.kind, () => this.d.nd(t));
    const s = this.d.socket(t.interface);
    if (!s) return 'interface-down';
    if (t.kind !== 'probe') this.d.refresh();
    return this.refused(t) ?? this.sending(t.interface, t.kind, () => s.send(encodeArp(t.frame), t.destination));
  }

  batch(ts: readonly AnyTransmission[]): SendOutcome[] {
    const out = new Array<SendOutcome>(ts.length);
    if (ts.some((t) => t.kind !== 'probe')) this.d.refresh();
    const groups = new Map<DaemonSocket, number[]>(); // per ARP socket: its frames that passed the check
    let ifname: string | null = null; // a drain's frames share one interface: one socket look-up
    let socket: DaemonSocket | undefined;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      if (t.family !== 'ipv6' && t.interface !== ifname) socket = this.d.socket((ifname = t.interface));
      const s = t.family === 'ipv6' ? undefined : socket;
      if (!s?.sendBatch) {
        out[i] = this.one(t);
        continue;
      }
      const refused = this.refused(t as Transmission);
      if (refused !== null) {
        out[i] = refused;
        continue;
      }
      const g = groups.get(s);
      if (g) g.push(i);
      else groups.set(s, [i]);
    }
    let probed = false;
    for (const [s, indices] of groups) {
      const frames = indices.map((i) => ts[i] as Transmission);
      let results: (SendOutcome | Error)[];
      try {
        results = s.sendBatch!(frames.map((t) => encodeArp(t.frame)), frames.map((t): Mac => t.destination));
      } catch (err) {
        results = frames.map(() => err as Error);
      }
      for (let k = 0; k < frames.length; k++) {
        const r = results[k];
        const outcome = typeof r === 'string' ? r : this.failed(frames[k]!.interface, r);
        probed ||= outcome === 'sent' && frames[k]!.kind === 'probe';
        out[indices[k]!] = outcome;
      }
    }
    if (probed) this.d.probeSent(); // once per batch: it reads two clocks
    return out;
  }

  /** null when the frame may go; else it is refused (and logged): the detector only announces held addresses. */
  private refused(t: Transmission): SendOutcome | null {
    if (t.kind === 'probe') return null;
    if (this.d.withdrawn(t.address)) return 'dropped'; // the watch list follows at once
    if (this.d.holds(t.address)) return null;
    this.d.logger.error({ event: 'refused-send', address: formatIpv4(t.address), kind: t.kind }, `refused to announce ${formatIpv4(t.address)}: this host does not hold it`);
    return 'dropped';
  }

  private sending(ifname: string, kind: AnyTransmission['kind'], send: () => SendOutcome): SendOutcome { // either family: a throw is logged and counted
    try {
      const outcome = send();
      if (outcome === 'sent' && kind === 'probe') this.d.probeSent();
      return outcome;
    } catch (err) {
      return this.failed(ifname, err);
    }
  }

  private failed(ifname: string, err: unknown): SendOutcome {
    const message = err instanceof Error ? err.message : String(err);
    this.d.logger.error({ event: 'send-error', interface: ifname, err: message }, `send on ${ifname} failed: ${message}`);
    for (const o of this.d.observers()) o.sendError?.(ifname, 'error');
    return 'dropped';
  }
}
