/**
 * The detector's sending side: each interface's send queue drained through its send window, the
 * frames of one drain handed to the transmitter together, and what a sent probe schedules.
 *
 * While the detector runs a tick's deadlines (tick()), frames are queued, not sent: at the end of
 * the tick each interface's queue is drained once and its frames go out as one batch (the daemon
 * sends them with one sendmmsg per socket), and the per-interface work due whenever a probe is
 * (proxy canaries and their expiry) runs once per interface instead of once per probe. Frames that
 * a received frame calls for (a defence, a confirmation probe) are sent at once, as before.
 * Timing is unchanged: every frame of a tick goes out at that tick's `now`, through the same
 * window, lane by lane (defences, announcements, probes). Pure.
 */
import { delegateRoundStart } from './delegate-machine.js';
import { type AnyTransmission, type DetectorOptions, type Entry, type Iface, type Timer, snapshotOf } from './entry.js';
import type { DetectorEvent, FrameKind, SendOutcome } from './events.js';
import type { TickGrid } from './grid.js';
import type { OwnNonces } from './nd-sender.js';
import { transmissionFor, withheldReason } from './outgoing.js';
import type { ProxyWatch } from './proxy-watch.js';

export interface OutboxHost {
  readonly opts: Pick<Required<DetectorOptions>, 'random' | 'transmit'> & Pick<DetectorOptions, 'transmitBatch'>;
  readonly grid: TickGrid;
  readonly nonces: OwnNonces;
  readonly proxies: ProxyWatch;
  schedule(t: Timer): void;
  emit(e: DetectorEvent): void;
}

interface Outgoing {
  entry: Entry;
  kind: FrameKind;
  t: AnyTransmission;
}

export class Outbox {
  private depth = 0;
  /** Interfaces with frames queued during the tick, in the order they were first queued. */
  private readonly queued = new Set<Iface>();
  /** Interfaces a probe was due on during the tick. */
  private readonly probed = new Set<Iface>();

  constructor(private readonly d: OutboxHost) {}

  /**
   * Runs a tick's deadlines (`fn`) with sends deferred; then the proxy canaries once for every
   * interface a probe was due on, and one drain of every interface with frames queued. When
   * `fn` throws nothing is drained: what it queued stays queued for the next drain.
   */
  tick(fn: () => void, now: number): void {
    this.depth++;
    try {
      fn();
    } finally {
      this.depth--;
    }
    if (this.depth > 0) return;
    for (const iface of this.probed) {
      this.probed.delete(iface);
      for (const e of this.d.proxies.probeTick(iface.name, iface.mac, now, this.d.opts.transmit)) this.d.emit(e);
    }
    for (const iface of this.queued) {
      this.queued.delete(iface);
      this.flush(iface, now);
    }
  }

  /** A probe of an address on `iface` fell due (only ever inside tick()). */
  probeDue(iface: Iface): void {
    this.probed.add(iface);
  }

  /** Queues a frame; it goes out now, or at the end of the tick under way. */
  enqueue(iface: Iface, entry: Entry, kind: FrameKind, now: number): void {
    iface.queue.enqueue(entry, kind);
    this.wake(iface, now);
  }

  /** The interface's send window may have room again (its flush timer). */
  wake(iface: Iface, now: number): void {
    if (this.depth > 0) this.queued.add(iface);
    else this.flush(iface, now);
  }

  /** Drains what the send window allows from the interface's queue, as one batch. */
  private flush(iface: Iface, now: number): void {
    const batch: Outgoing[] = [];
    const at = iface.queue.flush(now, (entry, kind) => {
      // Never announce or defend an address this host does not hold; never probe one DAD-style (outgoing.ts).
      const t = transmissionFor(iface, entry, kind, this.d.opts.random, this.d.nonces);
      if (t !== null) batch.push({ entry, kind, t });
      else if (kind === 'probe') this.withhold(entry, now);
    });
    if (batch.length) {
      const outcomes = this.transmit(batch);
      for (let i = 0; i < batch.length; i++) this.sent(iface, batch[i]!, outcomes[i]!, now);
    }
    if (at !== null && (iface.queue.flushAt === null || iface.queue.flushAt > at)) this.d.schedule({ kind: 'flush', iface, at: (iface.queue.flushAt = at) });
  }

  /** One outcome per frame, in order: through transmitBatch when there is one and more than one frame. */
  private transmit(batch: readonly Outgoing[]): SendOutcome[] {
    const { transmit, transmitBatch } = this.d.opts;
    if (!transmitBatch || batch.length === 1) return batch.map((b) => transmit(b.t));
    const outcomes = transmitBatch(batch.map((b) => b.t));
    if (outcomes.length !== batch.length) throw new Error(`transmitBatch: ${outcomes.length} outcomes for ${batch.length} frames`);
    return outcomes;
  }

  private sent(iface: Iface, { entry, kind }: Outgoing, outcome: SendOutcome, now: number): void {
    const m = entry.machine;
    entry.passive = false;
    const confirmation = m.role === 'delegate' && m.confirmWanted;
    this.d.emit({ type: 'sent', at: now, interface: iface.name, kind, address: entry.label, outcome });
    if (kind !== 'probe') return;
    const grid = this.d.grid;
    if (entry.lastProbeAt !== null && !confirmation) iface.roundMs += (now - entry.lastProbeAt - iface.roundMs) / 8;
    entry.probeDueAt = grid.nextProbe(now);
    this.d.schedule({ kind: 'probe', entry, at: entry.probeDueAt });
    if (outcome !== 'sent') return;
    entry.lastProbeAt = now;
    entry.roundOpen = true;
    if (m.role === 'delegate') delegateRoundStart(m);
    // A round of the schedule is judged on the grid; a confirmation (a failover or a claim being
    // checked) one reply window after it, exactly: its verdict should not wait for a tick.
    entry.evaluateAt = confirmation ? now + grid.replyWindowMs : grid.alignUp(now + grid.replyWindowMs);
    // The end of a quiet round of a held address in `ok` changes nothing (heldRound): no deadline,
    // unless a frame about the address makes the round count (detector.ts roundCounts).
    entry.evaluationTimed = m.role !== 'held' || m.state !== 'ok';
    if (entry.evaluationTimed) this.d.schedule({ kind: 'evaluate', entry, at: entry.evaluateAt });
  }

  /** No address to send an ordinary request from: listen only, say so once, look again next interval. */
  private withhold(entry: Entry, now: number): void {
    this.d.schedule({ kind: 'probe', entry, at: (entry.probeDueAt = this.d.grid.nextProbe(now)) });
    if (entry.passive) return;
    entry.passive = true;
    this.d.emit({ type: 'probe-withheld', at: now, entry: snapshotOf(entry), reason: withheldReason(entry) });
  }
}
