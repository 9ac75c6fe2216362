/**
 * Detector times are monotonic; logs, metrics and the journal want wall-clock time. The offset is
 * kept stable (one instant maps to one timestamp everywhere) and only re-read when the wall clock
 * was stepped by more than a second.
 */
export class WallClock {
  private offset: number | null = null;

  constructor(private readonly now: () => number) {}

  of(t: number): number {
    const offset = Date.now() - this.now();
    if (this.offset === null || Math.abs(offset - this.offset) > 1000) this.offset = offset;
    return Math.round(t + this.offset);
  }
}
