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

/**
 * Binary min-heap of items ordered by `at`; ties keep insertion order. Kept as three parallel
 * arrays: no wrapper object per scheduled item (an idle daemon schedules a few a second, and each
 * object is garbage for the next scavenge).
 */
export class DeadlineHeap<T> {
  private readonly ats: number[] = [];
  private readonly seqs: number[] = [];
  private readonly values: T[] = [];
  private seq = 0;
  get size(): number {
    return this.ats.length;
  }
  push(at: number, value: T): void {
    this.ats.push(at);
    this.seqs.push(this.seq++);
    this.values.push(value);
    let i = this.ats.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  peekAt(): number | null {
    return this.ats.length ? this.ats[0]! : null;
  }
  /** Removes and returns the earliest item if it is due at or before `now`. */
  popDue(now: number): T | undefined {
    const n = this.ats.length;
    if (!n || this.ats[0]! > now) return undefined;
    const top = this.values[0]!;
    const lastAt = this.ats.pop()!;
    const lastSeq = this.seqs.pop()!;
    const lastValue = this.values.pop()!;
    if (n > 1) {
      this.ats[0] = lastAt;
      this.seqs[0] = lastSeq;
      this.values[0] = lastValue;
      const len = n - 1;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < len && this.less(l, m)) m = l;
        if (r < len && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
  private less(x: number, y: number): boolean {
    const a = this.ats;
    return a[x]! < a[y]! || (a[x] === a[y] && this.seqs[x]! < this.seqs[y]!);
  }
  private swap(x: number, y: number): void {
    const a = this.ats, s = this.seqs, v = this.values;
    const ta = a[x]!, ts = s[x]!, tv = v[x]!;
    a[x] = a[y]!;
    s[x] = s[y]!;
    v[x] = v[y]!;
    a[y] = ta;
    s[y] = ts;
    v[y] = tv;
  }
}
