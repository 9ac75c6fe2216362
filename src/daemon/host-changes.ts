/**
 * The queue between the rtnetlink watch and the daemon's host view: bursts are joined for
 * LINK_SETTLE_MS (one veth replacement is several bursts), except for what makes a send wrong.
 *
 * An address removed from this host must be known before dupip sends anything more for it: after
 * a failover, an announcement from the old holder would pull the address back from the host that
 * has just taken it over. The addon's coalescing delay and the settle delay add up to ~100 ms, so
 * the queue (1) reads the socket synchronously before each probe tick (`flush()`, the addon's
 * flushWatch) and applies a removal of a held address at once, and (2) for a frame-driven send
 * (a defence) marks the removed address withdrawn as soon as its message is read, so that the
 * daemon's last-line check refuses it even before the watch list is re-derived. For IPv6 the
 * daemon re-reads the IPv6 addresses at once when a peek found a change of them (takeIpv6), and
 * withdraws those no longer usable the same way.
 */
import type { Ipv4 } from '../core/ipv4.js';
import type { HostChanges } from '../platform/netlink.js';
import { emptyChanges } from '../platform/netlink.js';
import { mergeChanges } from './host-view.js';

export interface LinkWatch {
  close(): void;
  /** Reads what the kernel has queued now; the watch's callback runs before it returns. */
  flush?(): void;
}

export interface HostChangeQueueOptions {
  settleMs: number;
  /** Applies one (joined) batch; runs outside the watch callback's caller when deferred. */
  apply: (changes: HostChanges) => void;
  /** Whether this host holds the address now (as the last derived watch list says). */
  held: (address: Ipv4) => boolean;
  /** A held address was just removed: refuse sends for it from now on. */
  withdraw: (address: Ipv4) => void;
  stopped: () => boolean;
}

export class HostChangeQueue {
  private pending: HostChanges | null = null;
  private settle: NodeJS.Timeout | null = null;
  /** The pending batch holds a change that must be applied before the next send. */
  private urgent = false;
  private watch: LinkWatch | null = null;
  /** The socket was read in this turn of the event loop (a tick's flush): a peek would read it again. */
  private fresh = false;
  /** An IPv6 address change was read and not yet asked for by takeIpv6() nor applied. */
  private ipv6 = false;

  constructor(private readonly o: HostChangeQueueOptions) {}

  attach(watch: LinkWatch): void {
    this.watch = watch;
  }

  /** The watch's callback: without details, re-read everything. */
  push(changes?: HostChanges): void {
    if (this.o.stopped()) return;
    const c = changes ?? emptyChanges(true);
    for (const a of c.addresses) {
      if (a.deleted && this.o.held(a.address)) {
        this.o.withdraw(a.address);
        this.urgent = true;
      }
    }
    // An IPv6 address that went or failed DAD: the IPv6 side refuses by its own list, re-read now.
    if (c.ipv6) this.urgent = this.ipv6 = true;
    this.pending = this.pending ? mergeChanges(this.pending, c) : c;
    if (this.settle) {
      if (!this.urgent) return;
      clearTimeout(this.settle);
    }
    // Urgent: next turn of the loop (the caller may be in the middle of the detector's work).
    this.settle = setTimeout(() => {
      this.settle = null;
      this.applyPending();
    }, this.urgent ? 0 : this.o.settleMs);
  }

  /**
   * Before a probe tick: reads what is queued on the netlink socket and applies at once a batch that
   * removes a held address (or changes IPv6 addresses); other changes keep their settle delay.
   */
  flush(): void {
    this.read();
    if (!this.urgent) return;
    if (this.settle) clearTimeout(this.settle);
    this.settle = null;
    this.applyPending();
  }

  /** Reads what is queued without applying it: removed addresses are withdrawn (a frame-driven send). */
  peek(): void {
    if (!this.fresh) this.read();
  }

  /**
   * After a peek: whether an IPv6 address change was read since the last call and is not applied
   * yet (the IPv6 side then re-reads its addresses before a frame-driven send). True once per change.
   */
  takeIpv6(): boolean {
    const v = this.ipv6;
    this.ipv6 = false;
    return v;
  }

  private read(): void {
    this.watch?.flush?.();
    this.fresh = true;
    queueMicrotask(() => (this.fresh = false)); // once the tick (or frame batch) that read it is over
  }

  close(): void {
    if (this.settle) clearTimeout(this.settle);
    this.settle = null;
    this.pending = null;
    this.watch?.close();
    this.watch = null;
  }

  private applyPending(): void {
    const p = this.pending;
    this.pending = null;
    this.urgent = this.ipv6 = false;
    if (p && !this.o.stopped()) this.o.apply(p);
  }
}
