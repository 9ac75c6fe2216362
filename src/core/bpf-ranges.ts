/**
 * Address sets as ranges, for the ARP kernel filter (bpf.ts): contiguous runs merged, and for sets
 * too scattered for the instruction limit, the covering that closes the smallest gaps first.
 */
import type { Ipv4 } from './ipv4.js';

/** A closed interval of addresses [first, last]. */
export interface Range {
  first: Ipv4;
  last: Ipv4;
}

/** Sorts, de-duplicates and merges addresses into maximal contiguous ranges. */
export function mergeRanges(addresses: readonly Ipv4[]): Range[] {
  const sorted = [...new Set(addresses.map((a) => a >>> 0))].sort((a, b) => a - b);
  const ranges: Range[] = [];
  for (const ip of sorted) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && ip === last.last + 1) last.last = ip;
    else ranges.push({ first: ip, last: ip });
  }
  return ranges;
}

/**
 * The fewest addresses covered by ranges whose tests fit in `budget` instructions: the ranges
 * with the k smallest gaps between neighbours closed, for the smallest k that fits (closing a gap
 * never makes the program longer, so k is found by bisection). Keeping the largest gaps open is
 * what covers the fewest addresses for a given number of ranges. Null when not even one range fits.
 * `rangesSize` is the instruction count of a range set once laid out (bpf.ts).
 */
export function coveringRanges(ranges: readonly Range[], budget: number, rangesSize: (r: readonly Range[]) => number): Range[] | null {
  const close = (k: number, order: readonly number[]): Range[] => {
    const closed = new Set(order.slice(0, k));
    const out: Range[] = [];
    ranges.forEach((r, i) => {
      const prev = out[out.length - 1];
      if (prev !== undefined && closed.has(i - 1)) prev.last = r.last;
      else out.push({ first: r.first, last: r.last });
    });
    return out;
  };
  // order[j] = the index i of the gap between ranges[i] and ranges[i+1], smallest gaps first.
  const order = ranges
    .slice(0, -1)
    .map((r, i) => ({ i, gap: ranges[i + 1]!.first - r.last }))
    .sort((a, b) => a.gap - b.gap || a.i - b.i)
    .map((g) => g.i);
  if (rangesSize(close(order.length, order)) > budget) return null;
  let lo = 0; // does not fit
  let hi = order.length; // fits
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (rangesSize(close(mid, order)) <= budget) hi = mid;
    else lo = mid;
  }
  return close(hi, order);
}
