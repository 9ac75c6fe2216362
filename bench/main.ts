/**
 * dupip benchmark suite (issue 6): detection latency and cost, side by side with arpwatch and arping,
 * in the namespace lab. Started by bench/run.mjs (`npm run bench`), which runs this file with vite-node.
 *
 *   npm run bench                      full run (~22 min, estimated): bench/results/full-*.json, docs/benchmarks.md and
 *                                      docs/benchmarks.svg (the scaling curves), a baseline build of 53893cb
 *                                      measured beside it for the before/after table
 *   npm run bench -- --quick           CI smoke (< 90 s): bench/results/quick-*.json, bench/results/benchmarks-quick.md
 *   options: --only chatty,silent,nd6,idle,flood,scale,curves,soak,scan,containers   --out DIR   --doc FILE
 *            --render RESULTS.json   --baseline COMMIT|none (default: 53893cb in a full run, none in quick)
 *
 * Needs root (namespaces, raw sockets), iproute2, tcpdump, arping (iputils), arpwatch, stdbuf, and a
 * built tree (npm run build, native addon). Benchmarks print figures; they do not pass or fail on
 * targets. Exit status: 0 when every scenario ran, 1 when one failed (its error is in the results), 2
 * on a usage or prerequisite error.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { clockTicks } from './lib/proc.js';
import { REPO } from './lib/daemon.js';
import { progress } from './lib/util.js';
import { renderMarkdown, verdicts, type BenchResults, type Machine, type Noise } from './report.js';
import { runChatty } from './scenarios/chatty.js';
import { runContainers } from './scenarios/containers.js';
import { runFlood } from './scenarios/flood.js';
import { runIdle } from './scenarios/idle.js';
import { runScale } from './scenarios/scale.js';
import { runScan } from './scenarios/scan.js';
import { runSilent } from './scenarios/silent.js';
import { runNd6 } from './scenarios/nd6.js';
import { runCurves } from './scenarios/curves.js';
import { runSoak } from './scenarios/soak.js';
import { prepareBaseline, runBaseline, type BaselineRun } from './lib/baseline.js';
import { curvesSvg } from './svg.js';

const SCENARIOS = ['chatty', 'silent', 'nd6', 'idle', 'flood', 'scale', 'scan', 'containers', 'curves', 'soak'] as const;
/** The scenarios the baseline build runs beside this one (their figures fill the "before" column). */
const BASELINE_SCENARIOS = ['idle', 'flood', 'chatty', 'scale'] as const;
const DEFAULT_BASELINE = '53893cb';
type Scenario = (typeof SCENARIOS)[number];

interface Args {
  quick: boolean;
  only: Scenario[];
  out: string;
  doc: string | null;
  render: string | null;
  baseline: string | null | undefined;
}

function usage(msg: string): never {
  process.stderr.write(`bench: ${msg}\nusage: npm run bench -- [--quick] [--only ${SCENARIOS.join(',')}] [--out DIR] [--doc FILE] [--render RESULTS.json]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, only: [...SCENARIOS], out: join(REPO, 'bench', 'results'), doc: null, render: null, baseline: undefined };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? usage(`${k} needs a value`);
    if (k === '--quick') a.quick = true;
    else if (k === '--only') {
      const list = value().split(',').filter(Boolean);
      for (const s of list) if (!(SCENARIOS as readonly string[]).includes(s)) usage(`unknown scenario ${s}`);
      a.only = list as Scenario[];
    } else if (k === '--out') a.out = resolve(value());
    else if (k === '--doc') a.doc = resolve(value());
    else if (k === '--render') a.render = resolve(value());
    else if (k === '--baseline') {
      const v = value();
      a.baseline = v === 'none' ? null : v;
    }
    else if (k === '--') continue;
    else usage(`unknown option ${k}`);
  }
  return a;
}

function which(tool: string): boolean {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin']) {
    if (dir && existsSync(join(dir, tool))) return true;
  }
  return false;
}

function preflight(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('must run as root (network namespaces, raw sockets)');
  for (const t of ['ip', 'tcpdump', 'arping', 'arpwatch', 'stdbuf', 'arp-scan']) if (!which(t)) problems.push(`${t} is missing (scripts/install-deps.sh)`);
  for (const f of ['dist/cli/main.js', 'build/Release/dupip_packet.node', 'test/tools/arp-flood.mjs']) {
    if (!existsSync(join(REPO, f))) problems.push(`${f} is missing (npm run build / node-gyp rebuild)`);
  }
  if (problems.length) {
    process.stderr.write(problems.map((p) => `bench: ${p}\n`).join(''));
    process.exit(2);
  }
}

function sh(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return (e.stdout || e.stderr || '').trim() || null;
  }
}

function machine(): Machine {
  const status = sh('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no']);
  return {
    cores: os.availableParallelism?.() ?? os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    kernel: os.release(),
    node: process.version,
    dupipVersion: (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version,
    gitCommit: sh('git', ['-C', REPO, 'rev-parse', 'HEAD']),
    gitDirty: status === null ? null : status.length > 0,
    // Tracked files only: what the daemon was built from (untracked files are new tests, docs, bench/).
    // `XY path`; sh() trimmed the first line's leading space (` M path`), so the status letters are matched, not counted.
    gitChanges: (status ?? '').split('\n').filter(Boolean).map((l) => l.replace(/^[ MTADRCU?!]{1,2} /, '')),
    arpwatch: sh('dpkg-query', ['-W', '-f=${Version}', 'arpwatch']),
    arping: sh('arping', ['-V'])?.split('\n')[0] ?? null,
    clockTicks: clockTicks(),
  };
}

interface MachineSnapshot {
  at: number;
  busy: number;
  total: number;
  steal: number;
  pressureUs: number | null;
  otherLabs: number;
}

/** Whole-machine CPU (/proc/stat), CPU pressure (/proc/pressure/cpu) and other processes' lab namespaces. */
function snapshot(): MachineSnapshot {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  let pressureUs: number | null = null;
  try {
    pressureUs = Number(/^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? NaN);
  } catch {
    /* no PSI */
  }
  let otherLabs = 0;
  try {
    const owners = new Set(readdirSync('/run/netns').map((n) => /^dupiplab-(\d+)-/.exec(n)?.[1]).filter((p): p is string => !!p && Number(p) !== process.pid));
    otherLabs = owners.size;
  } catch {
    /* none */
  }
  return { at: Date.now(), busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal, steal, pressureUs, otherLabs };
}

function noise(a: MachineSnapshot, b: MachineSnapshot): Noise {
  const ticks = b.total - a.total;
  const wallUs = (b.at - a.at) * 1000;
  return {
    machineBusyPercent: ticks > 0 ? Math.round((1000 * (b.busy - a.busy)) / ticks) / 10 : null,
    stealPercent: ticks > 0 ? Math.round((1000 * (b.steal - a.steal)) / ticks) / 10 : null,
    cpuPressurePercent: a.pressureUs !== null && b.pressureUs !== null && wallUs > 0 ? Math.round((1000 * (b.pressureUs - a.pressureUs)) / wallUs) / 10 : null,
    otherProcessesWithLabs: Math.max(a.otherLabs, b.otherLabs),
  };
}

function writeOutputs(res: BenchResults, args: Args): { json: string; md: string } {
  mkdirSync(args.out, { recursive: true });
  const stamp = res.startedAt.replace(/[:.]/g, '-');
  const json = join(args.out, `${res.mode}-${stamp}.json`);
  const text = `${JSON.stringify(res, null, 1)}\n`;
  writeFileSync(json, text);
  writeFileSync(join(args.out, `latest-${res.mode}.json`), text);
  const md = args.doc ?? (res.mode === 'full' ? join(REPO, 'docs', 'benchmarks.md') : join(args.out, 'benchmarks-quick.md'));
  mkdirSync(dirname(md), { recursive: true });
  if (res.scenarios.curves) {
    res.svgName = basename(md).replace(/\.md$/, '') + '.svg';
    writeFileSync(join(dirname(md), res.svgName), curvesSvg(res.scenarios.curves, `${res.mode} run ${res.startedAt.slice(0, 10)}`));
  }
  writeFileSync(md, renderMarkdown(res));
  return { json, md };
}

/** bench/notes/*.md (profiles and other write-ups), rendered verbatim into the report. */
function readNotes(): Record<string, string> {
  const dir = join(REPO, 'bench', 'notes');
  const out: Record<string, string> = {};
  try {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.md')).sort()) out[f] = readFileSync(join(dir, f), 'utf8');
  } catch {
    /* no notes */
  }
  return out;
}

function summary(res: BenchResults): string {
  return res.verdicts.map((v) => `  ${v.meets === null ? '?   ' : v.meets ? 'ok  ' : 'MISS'} ${v.what}: ${v.dupip} | ${v.anchor} | target ${v.target}`).join('\n');
}

async function main(): Promise<number> {
  // vite-node leaves [node, vite-node.mjs, ...arguments after --] in process.argv.
  const args = parseArgs(process.argv.slice(2));
  if (args.render) {
    const res = JSON.parse(readFileSync(args.render, 'utf8')) as BenchResults;
    res.verdicts = verdicts(res.scenarios);
    const out = writeOutputs(res, args);
    process.stdout.write(`bench: rendered ${out.md}\n${summary(res)}\n`);
    return 0;
  }
  preflight();
  const mode = args.quick ? 'quick' : 'full';
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  const res: BenchResults = { schema: 1, mode, startedAt, durationS: 0, machine: machine(), scenarios: {}, noise: {}, errors: {}, verdicts: [] };
  progress(`${mode} run: ${args.only.join(', ')} on ${res.machine.cores} cores, Linux ${res.machine.kernel}`);

  /** Full run: the soak runs while the curves measure their idle address points (see below). */
  let soakRunning: Promise<void> | null = null;
  const runners: Record<Scenario, () => Promise<void>> = {
    chatty: async () => void (res.scenarios.chatty = await runChatty({ quick: args.quick })),
    silent: async () => void (res.scenarios.silent = await runSilent({ quick: args.quick })),
    nd6: async () => void (res.scenarios.nd6 = await runNd6({ quick: args.quick })),
    idle: async () => void (res.scenarios.idle = await runIdle({ quick: args.quick })),
    flood: async () => void (res.scenarios.flood = await runFlood({ quick: args.quick })),
    scale: async () => void (res.scenarios.scale = await runScale({ quick: args.quick })),
    scan: async () => void (res.scenarios.scan = await runScan({ quick: args.quick })),
    containers: async () => void (res.scenarios.containers = await runContainers({ quick: args.quick })),
    curves: async () => void (res.scenarios.curves = await runCurves({ quick: args.quick, beforeRates: () => soakRunning ?? Promise.resolve() })),
    soak: async () => void (res.scenarios.soak = await runSoak({ quick: args.quick })),
  };
  res.notes = readNotes();
  // The baseline build runs its own bench beside this run's scenarios of the same names.
  const baselineCommit = args.baseline === undefined ? (args.quick ? null : DEFAULT_BASELINE) : args.baseline;
  const baselineOnly = BASELINE_SCENARIOS.filter((s) => args.only.includes(s));
  let baselineDir: string | null = null;
  if (baselineCommit && baselineOnly.length) {
    try {
      baselineDir = prepareBaseline(baselineCommit);
    } catch (err) {
      res.baseline = { commit: baselineCommit, note: `"before": commit ${baselineCommit}.`, scenarios: null, error: (err as Error).message };
    }
  }
  /** Merges one baseline invocation's results into res.baseline. */
  const addBaseline = (b: BaselineRun) => {
    const prev = res.baseline;
    res.baseline = {
      commit: b.commit,
      note: b.note,
      scenarios: b.scenarios || prev?.scenarios ? { ...(prev?.scenarios ?? {}), ...(b.scenarios ?? {}) } : null,
      ...(prev?.error || b.error ? { error: [prev?.error, b.error].filter(Boolean).join('; ') } : {}),
    };
  };
  const runOne = async (s: Scenario) => {
    const started = Date.now();
    const before = snapshot();
    try {
      await runners[s]();
      (res.noise ??= {})[s] = noise(before, snapshot());
      progress(`${s}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } catch (err) {
      res.errors[s] = (err as Error).stack ?? String(err);
      progress(`${s}: FAILED: ${(err as Error).message}`);
    }
  };
  const selected = SCENARIOS.filter((s) => args.only.includes(s));
  const paired = baselineDir ? selected.filter((s) => (BASELINE_SCENARIOS as readonly string[]).includes(s)) : [];
  if (args.quick) {
    const b = baselineDir ? runBaseline(baselineDir, baselineCommit!, paired, true).then(addBaseline) : null;
    // Two lanes side by side to keep the smoke test short; quick figures are not meant to be read.
    const first = ['chatty', 'silent', 'curves'];
    const lanes = [selected.filter((s) => first.includes(s)), selected.filter((s) => !first.includes(s))];
    await Promise.all(lanes.map(async (lane) => {
      for (const s of lane) await runOne(s);
    }));
    await b;
  } else {
    // The 10-minute soak measures RSS, not latency: it overlaps the curves' idle address points
    // (per-process CPU of idle daemons in other labs), and the curves' floods wait for its end.
    const overlap = selected.includes('soak') && selected.includes('curves');
    for (const s of selected) {
      if (overlap && s === 'soak') continue;
      if (overlap && s === 'curves') {
        soakRunning = runOne('soak');
        await runOne('curves');
        await soakRunning;
      } else if (!paired.includes(s)) await runOne(s);
      else if (s === 'chatty' || s === 'flood') {
        // One after the other: latency percentiles suffer from sharing 2 cores, and two flooders
        // (50,000 frames/s each, phases not aligned) would measure the machine, not the daemons.
        await runOne(s);
        addBaseline(await runBaseline(baselineDir!, baselineCommit!, [s], false));
      } else {
        // CPU and RSS: the two builds side by side, under the same load.
        const [, b] = await Promise.all([runOne(s), runBaseline(baselineDir!, baselineCommit!, [s], false)]);
        addBaseline(b);
      }
    }
  }
  res.durationS = Math.round((Date.now() - t0) / 1000);
  res.verdicts = verdicts(res.scenarios);
  const out = writeOutputs(res, args);
  process.stdout.write(`bench: ${mode} run in ${res.durationS} s\n  results: ${out.json}\n  table:   ${out.md}\n${summary(res)}\n`);
  return Object.keys(res.errors).length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
