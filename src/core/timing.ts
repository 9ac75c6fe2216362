/** Pure timing helpers: jitter, token bucket and a deadline heap. Time is always passed in. */

export type Random = () => number;

/** interval ± fraction (default ±20%), uniformly distributed. */
export function jittered(intervalMs: number, random: Random, fraction = 0.2): number {
  return intervalMs * (1 - fraction + 2 * fraction * random());
}

/**
 * Token bucket that caps frames per second on one interface. Its capacity is a single token, so
 * frames are paced evenly (1/rate apart) and no one-second window ever holds more than `rate`.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private ratePerSecond: number,
    now: number,
  ) {
    this.tokens = this.capacity();
    this.last = now;
  }
  private capacity(): number {
    return 1;
  }
  setRate(ratePerSecond: number, now: number): void {
    this.refill(now);
    this.ratePerSecond = ratePerSecond;
    this.tokens = Math.min(this.tokens, this.capacity());
  }
  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
      this.last = now;
    }
  }
  tryTake(now: number): boolean {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
  /** When the next token will be available (now if one is). */
  nextAvailable(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) return now;
    return now + Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
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
      [a[i], a[p]] = [a[p]!, a[i]!];
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
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top.value;
  }
  private less(x: { at: number; seq: number }, y: { at: number; seq: number }): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}
