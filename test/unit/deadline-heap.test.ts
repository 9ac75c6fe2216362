/** The detector's deadline heap (src/core/timing.ts): earliest first, ties in insertion order, against a sorted reference. */
import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from '../../src/core/timing.js';
import { seeded } from '../support/fake-world.js';

describe('DeadlineHeap', () => {
  it('pops what is due in deadline order, ties first-in first-out, like a sorted list (20,000 random operations)', () => {
    const random = seeded(5227);
    const heap = new DeadlineHeap<number>();
    const reference: { at: number; seq: number }[] = [];
    let seq = 0;
    let popped = 0;
    for (let op = 0; op < 20_000; op++) {
      if (random() < 0.55) {
        const at = Math.floor(random() * 50); // few distinct deadlines: many ties
        heap.push(at, seq);
        reference.push({ at, seq: seq++ });
      } else {
        const now = Math.floor(random() * 50);
        reference.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const expected = reference.length && reference[0]!.at <= now ? reference.shift()!.seq : undefined;
        const got = heap.popDue(now);
        expect(got).toBe(expected);
        if (got !== undefined) popped++;
      }
      expect(heap.size).toBe(reference.length);
      expect(heap.peekAt()).toBe(reference.length ? Math.min(...reference.map((r) => r.at)) : null);
    }
    expect(popped).toBeGreaterThan(1000);
  });
});
