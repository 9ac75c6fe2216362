/**
 * The pure parts of the issue-14 bench report: the soak's slope, the SVG chart, the before/after
 * table. (The scenarios themselves run in test/e2e/bench-smoke.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { beforeAfterSection, issue14Figures } from '../../bench/report-scale.js';
import { slopePerMinute } from '../../bench/scenarios/soak.js';
import { renderSvg } from '../../bench/svg.js';

describe('soak slope', () => {
  it('is the least-squares slope per minute of evenly spaced samples', () => {
    // +0.5 MB every 5 s sample = 6 MB/min, with noise that cancels out
    const samples = Array.from({ length: 25 }, (_, i) => 80 + 0.5 * i + (i % 2 ? 0.3 : -0.3));
    expect(slopePerMinute(samples, 5)).toBeCloseTo(6, 0);
    expect(slopePerMinute(Array(30).fill(84.8), 5)).toBe(0);
    expect(Number.isNaN(slopePerMinute([1], 5))).toBe(true);
  });
});

describe('SVG chart', () => {
  it('draws one polyline per series, x on a log scale, higher values higher up', () => {
    const svg = renderSvg('t & <t>', [
      { title: 'a', xLabel: 'x', yLabel: 'y', series: [{ name: 'dupip', color: '#000', points: [[1, 1], [100, 2], [10_000, 4]] }] },
      { title: 'b', xLabel: 'x', yLabel: 'y', series: [{ name: 's', color: '#111', points: [[1000, 0]] }, { name: 'u', color: '#222', points: [[1000, 3], [50_000, 3]] }] },
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('t &amp; &lt;t&gt;');
    expect(svg.match(/<polyline /g)).toHaveLength(3);
    const first = /points="([^"]+)"/.exec(svg)![1]!.split(' ').map((p) => p.split(',').map(Number));
    // log x: 1 → 100 → 10,000 evenly spaced; y grows upwards (smaller SVG y)
    expect(first[1]![0]! - first[0]![0]!).toBeCloseTo(first[2]![0]! - first[1]![0]!, 0);
    expect(first[0]![1]!).toBeGreaterThan(first[1]![1]!);
    expect(first[1]![1]!).toBeGreaterThan(first[2]![1]!);
  });
});

describe('before/after table', () => {
  it('reads both builds, judges the after column, and leaves out rows nobody measured', () => {
    const u = (cpuH: number, rss: number) => ({ cpuSecondsPerHour: cpuH, schedCpuSecondsPerHour: cpuH, rssEndMb: rss });
    const after = issue14Figures({ idle: { rows: [{ addresses: 1, usage: u(4, 44) }, { addresses: 100, usage: u(7, 46) }], nodeBaseline: u(3.5, 40) } });
    const before = issue14Figures({ idle: { rows: [{ addresses: 1, usage: u(8.4, 59) }, { addresses: 100, usage: u(15.6, 59.4) }], nodeBaseline: u(3.3, 39.5) } });
    const md = beforeAfterSection(after, before, 'note').join('\n');
    expect(md).toContain('| idle CPU, 100 own addresses, default intervals | 15.6 CPU-s/h | 7.0 CPU-s/h | bare Node 3.50; 2.00× | ≤ 2× bare Node | meets |');
    expect(md).toContain('| idle CPU, 1 address | 8.4 CPU-s/h | 4.0 CPU-s/h | bare Node 3.50; 1.14× | ≤ 1.3× bare Node | meets |');
    expect(md).toContain('| RSS at idle (100 addresses) | 59.4 MB (+19.9 MB) | 46.0 MB (+6.0 MB)');
    expect(md).not.toContain('spoofing flood');
    expect(md).not.toContain('chatty');
    const miss = beforeAfterSection(issue14Figures({ idle: { rows: [{ addresses: 100, usage: u(9, 60) }], nodeBaseline: u(3.5, 40) } }), null, 'n').join('\n');
    expect(miss).toMatch(/idle CPU, 100 own addresses.*\*\*MISSES\*\*/);
  });
});
