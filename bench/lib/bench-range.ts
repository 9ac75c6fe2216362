/**
 * Address sets in RFC 2544's benchmarking range 198.18.0.0/15 (test/lab/addresses.ts allows it in
 * lab namespaces): thousands of addresses, contiguous or scattered, deterministic from a seed.
 */
import { buildArpFilter } from '../../src/core/bpf.js';
import { formatIpv4, parseIpv4 } from '../../src/core/ipv4.js';

export const BENCH_BASE = parseIpv4('198.18.0.0')!;
export const BENCH_SIZE = 131_072; // a /15

/** `count` consecutive addresses from 198.18.0.0 + offset. */
export function contiguous(count: number, offset: number): string[] {
  return Array.from({ length: count }, (_, i) => formatIpv4((BENCH_BASE + offset + i) >>> 0));
}

/**
 * `count` distinct addresses spread at random over [from, from + span) of the /15 (offsets), never
 * one of `exclude`, in ascending order. The default span is the whole /15.
 */
export function scattered(count: number, seed: number, opts: { from?: number; span?: number; exclude?: readonly string[] } = {}): string[] {
  const from = opts.from ?? 0;
  const span = opts.span ?? BENCH_SIZE;
  const exclude = new Set((opts.exclude ?? []).map((a) => parseIpv4(a)));
  const out = new Set<number>();
  let s = seed >>> 0;
  while (out.size < count) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const a = (BENCH_BASE + from + ((s >>> 4) % span)) >>> 0;
    const last = a & 255;
    if (last === 0 || last === 255 || exclude.has(a)) continue; // no .0/.255, for readability
    out.add(a);
  }
  return [...out].sort((x, y) => x - y).map(formatIpv4);
}

/** What dupip's kernel filter does with these addresses (the same builder the daemon uses). */
export function filterFor(addresses: readonly string[]): { strategy: string; instructions: number; covered: number } {
  const p = buildArpFilter({ ownMac: '02:00:00:00:00:01', watched: addresses.map((a) => parseIpv4(a)!) });
  return { strategy: p.strategy, instructions: p.instructions.length, covered: p.coveredCount ?? p.watchedCount };
}
