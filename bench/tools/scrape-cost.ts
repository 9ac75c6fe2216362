/**
 * What one metrics scrape costs at N delegates (bench/notes/profiles-memory.md, "RSS at idle"): the daemon's
 * DupipMetrics over a fake view of N delegate addresses on one interface (every counter series
 * created), without process metrics. Prints the exposition size, the time per scrape and the bytes
 * the JS heap grew by per scrape (sampled, GC off between) and the heap kept after GC.
 *
 *   npx vite-node bench/tools/scrape-cost.ts -- [--delegates N]   (node --expose-gc is set below)
 */
import { DupipMetrics } from '../../src/metrics/metrics.js';
import { FakeView, entry, iface } from '../../test/support/fake-view.js';

const i = process.argv.indexOf('--delegates');
const n = i >= 0 ? Number(process.argv[i + 1]) : 4096;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const entries = Array.from({ length: n }, (_, k) => entry({ address: `198.18.${16 + (k >> 8)}.${k & 255}`, role: 'delegate', held: false, holders: ['02:00:00:00:00:a1'] }));
const view = new FakeView(entries, [iface({ name: 'eth0' })]);
gc();
const heap0 = process.memoryUsage().heapUsed;
const m = new DupipMetrics({ version: 'bench', processMetrics: false });
m.attach(view);
let text = await m.metrics(); // creates the counter series
gc();
const kept = process.memoryUsage().heapUsed - heap0;
const rounds = 10;
let grown = 0;
const t0 = performance.now();
for (let r = 0; r < rounds; r++) {
  gc();
  const before = process.memoryUsage().heapUsed;
  text = await m.metrics();
  grown += process.memoryUsage().heapUsed - before;
}
const ms = (performance.now() - t0) / rounds;
console.log(`${n} delegates: exposition ${(text.length / 1e6).toFixed(2)} MB, ${text.split('\n').filter((l) => l && !l.startsWith('#')).length} series; ${ms.toFixed(1)} ms per scrape; heap grown per scrape ~${(grown / rounds / 1e6).toFixed(1)} MB (garbage, before GC); kept between scrapes ${(kept / 1e6).toFixed(2)} MB`);
