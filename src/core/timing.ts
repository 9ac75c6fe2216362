/** Pure timing helpers: jitter, token bucket and a deadline heap. Time is always passed in. */

export type Random = () => number;

/** interval ± fraction (default ±20%), uniformly distributed. */
export function jittered(intervalMs: number, random: Random, fraction = 0.2): number {
  return intervalMs * (1 - fraction + 2 * fraction * random());
}

/**
 * The per-interface send cap: at most `rate` frames in any one-second window. Unlike a paced
 * token bucket it lets frames that fall due together go out together, so the daemon can serve a
 * whole tick of probes in one wake-up, and the bound holds strictly over every window.
 */
export class SendWindow {
  /** Send times of the last `rate` frames, oldest first, as a ring. */
  private ring: number[];
  private head = 0;
  private count = 0;

  constructor(private rate: number) {
    this.ring = new Array<number>(rate);
  }

  setRate(rate: number): void {
    const recent = this.recent();
    this.rate = rate;
    this.ring = new Array<number>(rate);
    this.head = 0;
    this.count = 0;
    for (const t of recent.slice(-rate)) this.push(t);
  }

  private recent(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.ring[(this.head + i) % this.rate]!);
    return out;
  }

  private push(t: number): void {
    this.ring[(this.head + this.count) % this.rate] = t;
    this.count++;
  }

  private expire(now: number): void {
    while (this.count > 0 && this.ring[this.head]! <= now - 1000) {
      this.head = (this.head + 1) % this.rate;
      this.count--;
    }
  }

  tryTake(now: number): boolean {
    this.expire(now);
    if (this.count >= this.rate) return false;
    this.push(now);
    return true;
  }

  /** When the next frame may go (now if one may). */
  nextAvailable(now: number): number {
    this.expire(now);
    return this.count < this.rate ? now : this.ring[this.head]! + 1000;
  }
}

/** Binary min-heap of items ordered by `at`; ties keep insertion order. */
export class DeadlineHeap<T> {
  private items: { at: number; seq: number; value: T }[] = [];
  private seq = 0;
  get size(): number {
    return this.items.length;
  }
  push(at: number, value: T): void {
    const item = { at, seq: this.seq++, value };
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      const t = a[i]!; // swaps without a temporary array (this runs in the interpreter on an idle daemon)
      a[i] = a[p]!;
      a[p] = t;
      i = p;
    }
  }
  peekAt(): number | null {
    return this.items.length ? this.items[0]!.at : null;
  }
  /** Removes and returns the earliest item if it is due at or before `now`. */
  popDue(now: number): T | undefined {
    const a = this.items;
    if (!a.length || a[0]!.at > now) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        const t = a[i]!;
        a[i] = a[m]!;
        a[m] = t;
        i = m;
      }
    }
    return top.value;
  }
  private less(x: { at: number; seq: number }, y: { at: number; seq: number }): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}
