/**
 * RSS of one idle daemon, split into anonymous and file-backed pages (bench/notes/profiles-memory.md,
 * "RSS at idle"): a lab host with N own addresses, the real daemon (bin/dupip, dist/), a bare Node
 * with a 1 s timer beside it; after the warm-up, one metrics scrape (as Prometheus would), then
 * VmRSS, RssAnon, RssFile and the V8 heap of both.
 *
 *   npx vite-node bench/tools/idle-rss.ts -- [--addresses N] [--seconds S] [--no-scrape] [--after S] [--delegates N]
 * --after S: read the memory S seconds after the scrape (default 2).
 * --delegates N: instead of own addresses, a configuration file of N delegates held by nobody, one
 * contiguous block in 198.18.0.0/15 as in the scale scenario (10 s interval, cap 500).
 * Extra Node flags for the daemon: DUPIP_BENCH_NODE_ARGS (bench/lib/daemon.ts).
 */
import { readFileSync } from 'node:fs';
import { Lab } from '../../test/lab/lab.js';
import { BenchDaemon } from '../lib/daemon.js';
import { contiguous } from '../lib/bench-range.js';
import { addAddresses, range } from '../lib/lab-extra.js';
import { delay } from '../lib/util.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const n = arg('addresses', 100);
const delegates = arg('delegates', 0);
const seconds = arg('seconds', 20);
const scrape = !process.argv.includes('--no-scrape');

function memory(pid: number): string {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (f: string) => (Number(new RegExp(`^${f}:\\s*(\\d+)`, 'm').exec(s)?.[1] ?? NaN) / 1024).toFixed(1);
  return `VmRSS ${mb('VmRSS')} MB (anon ${mb('RssAnon')}, file ${mb('RssFile')}, shmem ${mb('RssShmem')})`;
}

/** Resident MB by mapping (file name, or [heap]/[anon]), the largest first. */
function mappings(pid: number): string {
  const by = new Map<string, number>();
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) name = (head[1] || '[anon]') + (process.argv.includes('--by-range') ? ` ${line.split(' ').slice(0, 3).join(' ')}` : '');
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) by.set(name, (by.get(name) ?? 0) + Number(rss[1]) / 1024);
  }
  return [...by].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `  ${v.toFixed(1).padStart(6)} MB ${k}`).join('\n');
}

const lab = await Lab.create({ hosts: 1 });
try {
  const h = lab.host(0);
  const all = [...range('192.0.2', 1, 254), ...range('198.51.100', 1, 254), ...range('203.0.113', 1, 254)];
  await addAddresses(h, all.slice(0, n).map((a) => `${a}/24`));
  const configYaml = delegates
    ? `interfaces: [${h.ifname}]\nown_addresses: false\nprobe_interval: 10s\nmax_send_rate: 500\ndelegates:\n${contiguous(delegates, 4096)
        .map((a) => `  - address: ${a}\n    interface: ${h.ifname}\n`)
        .join('')}`
    : undefined;
  if (delegates) await addAddresses(h, ['198.19.255.254/15']);
  const d = await BenchDaemon.start(h, configYaml ? { configYaml, timeoutMs: 90_000 } : { args: ['--interface', h.ifname] });
  const bare = h.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await delay(seconds * 1000);
  if (scrape) {
    const r = await h.exec('curl', ['-s', `http://127.0.0.1:${d.port}/metrics`]);
    const heap = /^nodejs_heap_size_used_bytes (\S+)/m.exec(r.stdout)?.[1];
    console.log(`scrape: ${r.stdout.length} bytes, heap used ${(Number(heap) / 1e6).toFixed(1)} MB`);
    await delay(arg('after', 2) * 1000);
  }
  console.log(`dupip, ${delegates ? `${delegates} delegates` : `${n} addresses`}: ${memory(d.pid)}`);
  if (process.env.DUPIP_RSS_SIGNAL) {
    process.kill(d.pid, process.env.DUPIP_RSS_SIGNAL as NodeJS.Signals); // a preloaded hook that reports (investigation only)
    await delay(1000);
  }
  console.log(`bare Node:          ${memory(bare.pid!)}`);
  if (process.argv.includes('--smaps')) console.log(`dupip:\n${mappings(d.pid)}\nbare Node:\n${mappings(bare.pid!)}`);
  await d.proc.stop?.();
} finally {
  await lab.destroy();
}
