/**
 * Where the daemon's time and memory go (issue 14): CPU and allocation profiles of the real daemon
 * in the namespace lab, in the two situations the bench measures its cost in.
 *
 *   idle    the daemon at default intervals holding N own addresses (default 100) on a quiet
 *           segment, as bench/scenarios/idle.ts runs it
 *   flood   gratuitous ARP claiming a held address at R frames/s (default 10,000), each from a new
 *           random sender MAC (test/tools/arp-flood.mjs --mode spoof), as bench/scenarios/flood.ts
 *
 *   vite-node bench/profile.ts -- [idle|flood] [--seconds S] [--addresses N] [--rate R] [--keep DIR]
 *
 * The daemon runs with bench/tools/profile-hook.cjs (V8's CPU profiler and sampling heap profiler,
 * started after the warm-up, in the daemon's thread). Printed: CPU seconds and RSS over the window
 * (from /proc, profiler included), wake-ups per second by thread (voluntary context switches), the
 * top functions by self time and the top allocation sites (bytes allocated, collected or not).
 * Needs root and a built tree, like the bench.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, type LabHost } from '../test/lab/lab.js';
import { BenchDaemon, REPO } from './lib/daemon.js';
import { addAddresses, range } from './lib/lab-extra.js';
import { readCpu, readMem } from './lib/proc.js';
import { delay } from './lib/util.js';

interface Args {
  mode: 'idle' | 'flood';
  seconds: number;
  addresses: number;
  rate: number;
  keep: string | null;
  top: number;
  /** no profilers: the daemon as it runs (CPU, RSS, wake-ups and a syscall count only) */
  bare: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { mode: 'idle', seconds: 60, addresses: 100, rate: 10_000, keep: null, top: 15, bare: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => argv[++i] ?? '';
    if (k === 'idle' || k === 'flood') a.mode = k;
    else if (k === '--seconds') a.seconds = Number(v());
    else if (k === '--addresses') a.addresses = Number(v());
    else if (k === '--rate') a.rate = Number(v());
    else if (k === '--keep') a.keep = v();
    else if (k === '--top') a.top = Number(v());
    else if (k === '--bare') a.bare = true;
    else if (k !== '--') throw new Error(`profile: unknown argument ${k}`);
  }
  return a;
}

// ---- CPU profile (Profiler.Profile of the DevTools protocol) ----

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const short = (url: string) => url.replace(/^file:\/\//, '').replace(`${REPO}/`, '').replace(/^.*node_modules\//, '');
const where = (f: { functionName: string; url: string; lineNumber: number }) => `${f.functionName || '(anonymous)'} ${f.url ? `${short(f.url)}:${f.lineNumber + 1}` : ''}`.trim();

export function topSelfTime(profile: { nodes: CpuNode[]; samples: number[]; timeDeltas: number[] }, n: number): string[] {
  const self = new Map<number, number>();
  // timeDeltas[i] is the time before sample i: attribute it to the sample's node.
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byFn = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    const key = where(node.callFrame);
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  const idle = byFn.get('(idle)') ?? 0;
  const total = [...byFn.values()].reduce((s, v) => s + v, 0);
  const busy = total - idle;
  const rows = [...byFn].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `profiled ${(total / 1e6).toFixed(1)} s, of which not idle ${(busy / 1e3).toFixed(1)} ms`,
    ...rows.map(([k, us]) => `${(us / 1e3).toFixed(1).padStart(9)} ms ${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)} %  ${k}`),
  ];
}

// ---- sampling heap profile (HeapProfiler.SamplingHeapProfile) ----

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

export function topAllocations(profile: { head: HeapNode }, n: number): string[] {
  const bySite = new Map<string, number>();
  const walk = (node: HeapNode, parent: string) => {
    // Allocations inside Node's or a library's code are charged to the nearest frame of ours too.
    const here = where(node.callFrame);
    const ours = node.callFrame.url.includes('/dist/') || node.callFrame.url.includes('/src/');
    const site = node.callFrame.url ? (ours ? here : `${here} ← ${parent}`) : `${here} ← ${parent}`;
    if (node.selfSize > 0) bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    for (const c of node.children) walk(c, ours ? here : parent);
  };
  walk(profile.head, '(root)');
  const total = [...bySite.values()].reduce((s, v) => s + v, 0);
  const rows = [...bySite].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `allocated (sampled) ${(total / 1e6).toFixed(2)} MB`,
    ...rows.map(([k, b]) => `${(b / 1e3).toFixed(0).padStart(9)} kB ${((100 * b) / Math.max(1, total)).toFixed(1).padStart(5)} %  ${k}`),
  ];
}

// ---- wake-ups ----

function threadSwitches(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? tid;
      const v = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      out.set(name, (out.get(name) ?? 0) + v);
    } catch {
      /* exited */
    }
  }
  return out;
}

/** `strace -c -f` on the process for `seconds`: the summary rows with at least one call. */
function syscallCount(pid: number, seconds: number): string[] {
  const r = spawnSync('timeout', ['-s', 'INT', String(seconds), 'strace', '-c', '-f', '-p', String(pid)], { encoding: 'utf8' });
  return (r.stderr ?? '').split('\n').filter((l) => /^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+/.test(l)).slice(0, 15).map((l) => l.trim());
}

// ---- the run ----

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.keep ?? mkdtempSync(join(tmpdir(), 'dupip-profile-'));
  const warmupMs = 15_000;
  process.env.DUPIP_PROFILE_DIR = dir;
  process.env.DUPIP_PROFILE_DELAY_MS = String(warmupMs);
  if (!args.bare) process.env.DUPIP_BENCH_NODE_ARGS = `${process.env.DUPIP_BENCH_NODE_ARGS ?? ''} --require ${join(REPO, 'bench/tools/profile-hook.cjs')}`;
  const lab = await Lab.create({ hosts: args.mode === 'flood' ? 2 : 1 });
  let daemon: BenchDaemon | null = null;
  try {
    const h0 = lab.host(0);
    const own =
      args.mode === 'idle'
        ? [...range('192.0.2', 1, 254), ...range('198.51.100', 1, 254), ...range('203.0.113', 1, 254)].slice(0, args.addresses)
        : ['192.0.2.1', ...range('192.0.2', 10, 19)];
    await addAddresses(h0, own.map((a) => `${a}/24`));
    let h1: LabHost | null = null;
    if (args.mode === 'flood') {
      h1 = lab.host(1);
      await addAddresses(h1, ['192.0.2.2/24']);
    }
    daemon = await BenchDaemon.start(h0, { args: ['--interface', h0.ifname] });
    process.stderr.write(`profile: ${args.mode}, ${own.length} own addresses, daemon pid ${daemon.pid}; warm-up ${warmupMs / 1000} s, then ${args.seconds} s profiled\n`);
    await delay(warmupMs + 500);
    const cpu0 = readCpu(daemon.pid);
    const sw0 = threadSwitches(daemon.pid);
    const rss0 = readMem(daemon.pid).rssKb;
    if (h1) {
      const count = Math.round(args.rate * args.seconds);
      await h1.exec(process.execPath, [join(REPO, 'test/tools/arp-flood.mjs'), '--interface', h1.ifname, '--mode', 'spoof', '--address', '192.0.2.10', '--count', String(count), '--rate', String(args.rate), '--seed', '5227'], {
        timeoutMs: (args.seconds + 60) * 1000,
      });
      await delay(1000);
    } else {
      await delay(args.seconds * 1000);
    }
    const cpu1 = readCpu(daemon.pid);
    const sw1 = threadSwitches(daemon.pid);
    const mem1 = readMem(daemon.pid);
    const wall = (cpu1.at - cpu0.at) / 1000;
    const cpuS = cpu1.schedS - cpu0.schedS;
    const syscalls = args.bare && args.mode === 'idle' ? syscallCount(daemon.pid, 20) : [];
    await daemon.stop();
    daemon = null;
    const out: string[] = [];
    out.push(`## ${args.mode}: ${own.length} own addresses${args.mode === 'flood' ? `, spoofing flood ${args.rate} frames/s` : ''}, ${wall.toFixed(0)} s`);
    out.push(`CPU ${cpuS.toFixed(3)} s = ${((3600 * cpuS) / wall).toFixed(1)} CPU-s/h = ${((100 * cpuS) / wall).toFixed(2)} % of a core${args.bare ? '' : ' (profilers running)'} (user ${(cpu1.utimeS - cpu0.utimeS).toFixed(2)} s, system ${(cpu1.stimeS - cpu0.stimeS).toFixed(2)} s); RSS ${(rss0 / 1024).toFixed(1)} → ${(mem1.rssKb / 1024).toFixed(1)} MB (peak ${(mem1.hwmKb / 1024).toFixed(1)})`);
    out.push(`wake-ups/s by thread: ${[...sw1].map(([k, v]) => `${k} ${((v - (sw0.get(k) ?? 0)) / wall).toFixed(2)}`).join(', ')}`);
    if (syscalls.length) out.push('', 'system calls in 20 s (strace -c, after the window):', ...syscalls);
    if (!args.bare) {
      out.push('', 'top self time:');
      out.push(...topSelfTime(JSON.parse(readFileSync(join(dir, 'cpu.cpuprofile'), 'utf8')), args.top));
      out.push('', 'top allocation sites:');
      out.push(...topAllocations(JSON.parse(readFileSync(join(dir, 'heap.heapprofile'), 'utf8')), args.top));
    }
    process.stdout.write(`${out.join('\n')}\n`);
    if (args.keep) process.stderr.write(`profile: profiles kept in ${dir} (open in Chrome DevTools)\n`);
  } finally {
    if (daemon) await daemon.stop();
    await lab.destroy();
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`profile: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
