/**
 * Renders a benchmark result (bench/results/*.json) as Markdown (docs/benchmarks.md): the machine,
 * a summary against the targets of issue 6 with dupip's figure, the anchor's and their ratio, then
 * one section per scenario with the distributions and the method. Pure: no I/O.
 */
import type { ChattyResult } from './scenarios/chatty.js';
import type { FloodResult, FloodRun } from './scenarios/flood.js';
import type { IdleResult } from './scenarios/idle.js';
import type { ScaleResult } from './scenarios/scale.js';
import type { CurvesResult } from './scenarios/curves.js';
import type { SoakResult } from './scenarios/soak.js';
import { beforeAfterSection, curvesSection, issue14Figures, notesSections, scaleSection, scaleVerdicts, soakSection } from './report-scale.js';
import { scanSection, type ScanResult } from './scenarios/scan.js';
import { containersSection, type ContainersResult } from './scenarios/containers.js';
import type { SilentResult } from './scenarios/silent.js';
import { nd6Section, type Nd6Result } from './scenarios/nd6.js';
import type { Distribution } from './lib/util.js';
import type { UsageWindow } from './lib/proc.js';

export interface Machine {
  cores: number;
  cpuModel: string;
  kernel: string;
  node: string;
  dupipVersion: string;
  gitCommit: string | null;
  gitDirty: boolean | null;
  /** files with uncommitted changes (git status --porcelain), when dirty */
  gitChanges?: string[];
  arpwatch: string | null;
  arping: string | null;
  clockTicks: number;
}

/** What else the machine did while a scenario ran (the figures are per process, but share 2 cores). */
export interface Noise {
  /** all cores, user+system+irq+steal, % of the machine */
  machineBusyPercent: number | null;
  stealPercent: number | null;
  /** /proc/pressure/cpu "some": share of the time some task waited for a CPU */
  cpuPressurePercent: number | null;
  /** other processes with lab namespaces (other test or benchmark runs) */
  otherProcessesWithLabs: number;
}

export interface BenchResults {
  schema: 1;
  mode: 'full' | 'quick';
  startedAt: string;
  durationS: number;
  machine: Machine;
  scenarios: {
    chatty?: ChattyResult;
    silent?: SilentResult;
    nd6?: Nd6Result;
    idle?: IdleResult;
    flood?: FloodResult;
    scale?: ScaleResult;
    curves?: CurvesResult;
    soak?: SoakResult;
    scan?: ScanResult;
    containers?: ContainersResult;
  };
  noise?: Record<string, Noise>;
  errors: Record<string, string>;
  verdicts: Verdict[];
  /** the baseline build (53893cb) measured in the same run: its own bench's results, and how */
  baseline?: { commit: string; note: string; scenarios: Record<string, unknown> | null; error?: string };
  /** bench/notes/*.md at the time of the run, by file name */
  notes?: Record<string, string>;
  /** the SVG of the scaling curves, written next to the Markdown */
  svgName?: string;
}

export interface Verdict {
  id: string;
  what: string;
  dupip: string;
  anchor: string;
  ratio: string;
  target: string;
  /** null: could not be judged (missing data) */
  meets: boolean | null;
  note?: string;
}

// ---------------------------------------------------------------------------------- formatting

const num = (v: number, digits: number) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Milliseconds, with a unit that suits the magnitude. */
export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 10_000) return `${num(v / 1000, 1)} s`;
  if (Math.abs(v) >= 1000) return `${num(v / 1000, 2)} s`;
  if (Math.abs(v) >= 100) return `${num(v, 0)} ms`;
  if (Math.abs(v) >= 10) return `${num(v, 1)} ms`;
  return `${num(v, 2)} ms`;
}

const pct = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${num(v, digits)} %`);
const mb = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${num(v, 1)} MB`);
const int = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : num(v, 0));
/** "a ÷ b = r" with r to two significant-ish digits, or — */
const quotient = (label: string, a: number | null | undefined, b: number | null | undefined) => {
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0 || a < 0) return '—';
  const r = a / b;
  return `${label} = ${r >= 100 ? num(r, 0) : r >= 10 ? num(r, 1) : num(r, 2)}`;
};
const verdictText = (v: boolean | null) => (v === null ? 'not judged' : v ? 'meets' : '**MISSES**');

function distRow(label: string, d: Distribution | null | undefined, extra = ''): string {
  if (!d) return `| ${label} | 0 | — | — | — | — | — |${extra}`;
  return `| ${label} | ${d.n} | ${fmtMs(d.min)} | ${fmtMs(d.p50)} | ${fmtMs(d.p99)} | ${fmtMs(d.max)} | ${fmtMs(d.mean)} |${extra}`;
}

const DIST_HEAD = '| | n | min | p50 | p99 | max | mean |\n|---|---:|---:|---:|---:|---:|---:|';

/** The spoof flood's RSS counts as flat when it grows by at most max(4 MB, 10 %) over the flood. */
export function rssFlat(u: UsageWindow): boolean {
  return u.rssEndMb - u.rssStartMb <= Math.max(4, 0.1 * u.rssStartMb);
}

// ---------------------------------------------------------------------------------- verdicts

export function verdicts(r: BenchResults['scenarios']): Verdict[] {
  const out: Verdict[] = [];
  const c = r.chatty;
  if (c) {
    const p99 = c.dupipLogged?.p99 ?? null;
    out.push({
      id: 'chatty',
      what: `Chatty intruder: claim on the wire → conflict logged, p99 (${c.trials} trials)`,
      dupip: `${fmtMs(p99)} (p50 ${fmtMs(c.dupipLogged?.p50)})`,
      anchor: `arpwatch ${fmtMs(c.arpwatch?.p99)} (p50 ${fmtMs(c.arpwatch?.p50)})`,
      ratio: quotient('arpwatch p50 ÷ dupip p50', c.arpwatch?.p50, c.dupipLogged?.p50),
      target: '≤ 10 ms',
      meets: p99 === null ? null : p99 <= 10 && c.missed.dupip === 0,
      note: [c.missed.dupip ? `${c.missed.dupip} trial(s) not detected` : '', c.over10ms ? `${c.over10ms} of ${c.trials} trials over 10 ms` : ''].filter(Boolean).join('; ') || undefined,
    });
  }
  for (const s of r.silent?.series ?? []) {
    const p99 = s.dupip?.p99 ?? null;
    out.push({
      id: `silent-${s.intervalMs}`,
      what: `Silent intruder, probe interval ${s.intervalMs / 1000} s: address taken → conflict, p99 (${s.trials} trials)`,
      dupip: `${fmtMs(p99)} (p50 ${fmtMs(s.dupip?.p50)})`,
      anchor: `arping -D loop ${fmtMs(s.arping?.p99)} (p50 ${fmtMs(s.arping?.p50)})`,
      ratio: quotient('arping p50 ÷ dupip p50', s.arping?.p50, s.dupip?.p50),
      target: `≤ ${fmtMs(s.targetP99Ms)}`,
      meets: p99 === null ? null : p99 <= s.targetP99Ms && s.missed.dupip === 0,
      ...(s.missed.dupip ? { note: `${s.missed.dupip} trial(s) not detected` } : {}),
    });
  }
  const idle = r.idle?.rows.find((x) => x.addresses === 100);
  if (idle) {
    const cpuH = idle.usage.cpuSecondsPerHour;
    const schedH = idle.usage.schedCpuSecondsPerHour;
    out.push({
      id: 'idle-100',
      what: `Idle, 100 addresses, default intervals (${r.idle!.windowS} s window)`,
      dupip: `${num(cpuH, 1)} CPU-s/h (schedstat ${num(schedH, 1)}), RSS ${mb(idle.usage.rssEndMb)}`,
      anchor: `bare Node timer: ${num(r.idle!.nodeBaseline.schedCpuSecondsPerHour, 2)} CPU-s/h, ${mb(r.idle!.nodeBaseline.rssEndMb)}`,
      ratio: '—',
      target: '≤ 2 CPU-s/h, RSS ≤ 64 MB',
      meets: Math.max(cpuH, schedH) <= 2 && idle.usage.rssMaxMb <= 64,
    });
  }
  for (const f of r.flood?.runs ?? []) {
    if (f.mode === 'unwatched') {
      const added = f.dupip.corePercent - (r.flood!.idle.dupip.corePercent ?? 0);
      out.push({
        id: 'flood-unwatched',
        what: `Unwatched flood, ${int(f.requestedRate)} frames/s requested, ${int(f.deliveredRate)}/s delivered`,
        dupip: `adds ${added < 0.005 ? `nothing measurable (${pct(added)})` : pct(added)} of a core (${pct(f.dupip.corePercent)} in all); ${int(f.dupipFramesReceived)} frames passed its filter`,
        anchor: `arpwatch ${pct(f.arpwatch.corePercent)} (drops them as "ethernet mismatch")`,
        ratio: quotient('dupip ÷ arpwatch CPU', f.dupip.corePercent, f.arpwatch.corePercent),
        target: '≤ 1 % of a core added',
        meets: added <= 1,
      });
    } else {
      const flat = rssFlat(f.dupip);
      out.push({
        id: 'flood-spoof',
        what: `Spoofing flood, ${int(f.requestedRate)} frames/s requested, ${int(f.deliveredRate)}/s delivered`,
        dupip: `${pct(f.dupip.corePercent)} of a core; RSS ${mb(f.dupip.rssStartMb)} → ${mb(f.dupip.rssEndMb)} (max ${mb(f.dupip.rssMaxMb)})`,
        anchor: `arpwatch ${pct(f.arpwatch.corePercent)} (drops them as "ethernet mismatch"); RSS ${mb(f.arpwatch.rssStartMb)} → ${mb(f.arpwatch.rssEndMb)}`,
        ratio: quotient('dupip ÷ arpwatch CPU', f.dupip.corePercent, f.arpwatch.corePercent),
        target: '≤ 25 % of a core, RSS flat',
        meets: f.dupip.corePercent <= 25 && flat,
      });
    }
  }
  out.push(...scaleVerdicts(r.scale, r.soak, r.idle?.rows.find((x) => x.addresses === 100)?.usage.rssEndMb ?? null));
  return out;
}

// ---------------------------------------------------------------------------------- sections

function usageRow(label: string, u: UsageWindow): string {
  return `| ${label} | ${num(u.seconds, 0)} s | ${num(u.cpuSeconds, 2)} | ${pct(u.corePercent, 3)} | ${pct(u.schedCorePercent, 3)} | ${pct(u.sliceCorePercentMedian, 3)} | ${mb(u.rssStartMb)} | ${mb(u.rssEndMb)} | ${mb(u.rssMaxMb)} |`;
}
const USAGE_HEAD =
  '| | window | CPU s (utime+stime) | % of a core | % of a core (schedstat) | median slice (schedstat) | RSS start | RSS end | RSS max |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|';

function chattySection(c: ChattyResult): string[] {
  return [
    '## 1. Chatty intruder',
    '',
    `${c.trials} trials, one fresh address each (h0 holds ${c.addressesWatched}, default intervals), one gratuitous ARP from the intruder every ${c.gapMs[0]}–${c.gapMs[1]} ms. ` +
      't0 = tcpdump timestamp of the claim on the intruder\'s bridge port.',
    '',
    DIST_HEAD,
    distRow('dupip: conflict line, its own timestamp (microseconds)', c.dupipLogged),
    distRow('dupip: conflict line read by the harness', c.dupipRead),
    ...(c.floor ? [distRow('floor: a C reader in h0 that only polls and reads (bench/tools/wake-floor.c), frame read', c.floor)] : []),
    distRow('dupip: `dupip_conflict` = 1 on /metrics (scrape answered)', c.metricFlip),
    distRow('dupip: state `conflict` in `dupip status` (control socket answered)', c.statusFlip),
    distRow('arpwatch: report read (stdout, line-buffered)', c.arpwatch),
    '',
    `arpwatch reports: ${Object.entries(c.arpwatchKinds).map(([k, n]) => `${n} × "${k}"`).join(', ') || 'none'}. ` +
      `dupip trials over 10 ms: ${c.over10ms ?? '—'} of ${c.trials}. Not detected: dupip ${c.missed.dupip}, arpwatch ${c.missed.arpwatch}; flips not seen: metric ${c.missed.metric}, status ${c.missed.status}; claims not seen by tcpdump: ${c.missed.wire} (it reports ${c.witnessDropped ?? '?'} lost). ` +
      `Sender timestamp → wire: p50 ${fmtMs(c.sendToWire?.p50)}, max ${fmtMs(c.sendToWire?.max)}.`,
    '',
    'The floor row is the machine, not dupip: a process that does nothing but wait in poll() and read the frame, woken by the same claim beside dupip (its time is taken right after recv()). dupip\'s row adds to it the batch\'s callback into JavaScript, the decode, the detector, the defence it sends and the log line.',
    '',
    'The metric and status flips are polled back to back from inside the host as soon as the sender has sent the frame (even trials: /metrics, odd trials: status); each figure includes one scrape or status round trip.',
    '',
  ];
}

function silentSection(s: SilentResult): string[] {
  const out = [
    '## 2. Silent intruder',
    '',
    'The intruder adds the address (Linux announces nothing) and its kernel only answers probes. t0 = middle of the `ip addr add` that added it; each address is taken at a random moment within one interval. dupip: default settings except the probe interval; anchor: one `arping -q -D -c 1 -w 1` every interval per address in a shell loop (`sleep interval−1`), from another host holding its own set of addresses.',
    '',
    '| interval | tool | n | min | p50 | p99 | max | mean | target p99 | missed |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const x of s.series) {
    const row = (tool: string, d: Distribution | null, missed: number, target: string) =>
      d
        ? `| ${x.intervalMs / 1000} s | ${tool} | ${d.n} | ${fmtMs(d.min)} | ${fmtMs(d.p50)} | ${fmtMs(d.p99)} | ${fmtMs(d.max)} | ${fmtMs(d.mean)} | ${target} | ${missed} |`
        : `| ${x.intervalMs / 1000} s | ${tool} | 0 | — | — | — | — | — | ${target} | ${missed} |`;
    out.push(row('dupip', x.dupip, x.missed.dupip, fmtMs(x.targetP99Ms)));
    out.push(row('arping -D loop', x.arping, x.missed.arping, '—'));
  }
  out.push(
    '',
    'dupip jitters each wait by ±20 % (0.8–1.2 × interval), so the wait for the next probe can reach 1.2 × interval; its p99 is expected near 1.11 × interval. The arping loop has a fixed period (interval plus process start), so its worst case is one interval; it has no jitter (and, per address, no rate cap).',
    '',
  );
  return out;
}

function idleSection(i: IdleResult): string[] {
  const out = [
    '## 3. Idle cost',
    '',
    `Default settings (probe every 10 s ±20 %, announce every 60 s, cap 50 frames/s), own addresses on one interface, quiet segment; ${i.warmupS} s warm-up, then ${i.windowS} s measured. All sizes ran at the same time in separate labs, next to two floors: a bare \`node -e "setInterval(() => {}, 1000)"\`, and Node running only dupip's metrics registry (src/metrics: \`new DupipMetrics()\` with its process metrics and its 5 s event-loop sampler, never scraped).`,
    '',
    '| addresses | CPU-s per hour (utime+stime) | CPU-s per hour (schedstat) | % of a core (median 5 s slice) | RSS end | RSS max | send cap |',
    '|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of i.rows) {
    out.push(
      `| ${int(r.addresses)} | ${num(r.usage.cpuSecondsPerHour, 1)} | ${num(r.usage.schedCpuSecondsPerHour, 1)} | ${pct(r.usage.sliceCorePercentMedian, 3)} | ${mb(r.usage.rssEndMb)} | ${mb(r.usage.rssMaxMb)} | ${r.sendCapped ? `binds: needs ${r.sendCapped.neededPerSecond}/s, round ~${num(r.sendCapped.roundSeconds, 1)} s` : 'no'} |`,
    );
  }
  const b = i.nodeBaseline;
  out.push(`| bare Node (1 s timer) | ${num(b.cpuSecondsPerHour, 1)} | ${num(b.schedCpuSecondsPerHour, 2)} | ${pct(b.sliceCorePercentMedian, 3)} | ${mb(b.rssEndMb)} | ${mb(b.rssMaxMb)} | |`);
  const p = i.metricsBaseline;
  if (p) {
    out.push(`| Node + dupip's metrics registry only, no dupip | ${num(p.cpuSecondsPerHour, 1)} | ${num(p.schedCpuSecondsPerHour, 2)} | ${pct(p.sliceCorePercentMedian, 3)} | ${mb(p.rssEndMb)} | ${mb(p.rssMaxMb)} | |`);
  }
  out.push(
    '',
    `utime+stime has ${'1/100'} s resolution (CLK_TCK): over the window that is ±${num(3600 / i.windowS / 100, 2)} CPU-s/h; the schedstat column (per-thread nanoseconds) has no such step. 762 = every usable address of the three documentation /24s, the most the lab may use; 1,000 cannot be built under the house rules. From 762 on, the default cap binds (as it would at 1,000), so the frame rate no longer grows with the address count.`,
    '',
  );
  return out;
}

function floodRunRows(f: FloodRun): string[] {
  return [usageRow(`dupip, ${f.mode}`, f.dupip), usageRow(`arpwatch, ${f.mode}`, f.arpwatch)];
}

function floodSection(f: FloodResult): string[] {
  const out = [
    '## 4. Floods',
    '',
    'test/tools/arp-flood.mjs on the intruder host; dupip (default settings, 11 own addresses) and arpwatch on the same host, same frames. "unwatched": requests between random addresses of 198.51.100.0/24 (arpwatch told the subnet is local with -n), each from a new sender MAC; "spoof": gratuitous ARP claiming 192.0.2.10 (held and watched) from a new random MAC each. CPU over the flood plus 1 s of drain. The flooder sends through a SOCK_DGRAM packet socket, so the Ethernet source is always its interface\'s MAC while the ARP sender MAC varies: arpwatch discards every such frame early as "ethernet mismatch", so its figure is its cheapest path, a lower bound; dupip handles the same frames in full.',
    '',
    '| flood | requested | flooder sent | seconds | bridge in (p1 rx) | bridge out to h0 (p0 tx) | h0 eth0 rx | delivered/s | passed dupip\'s filter | MACs over dupip\'s 8 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of f.runs) {
    out.push(
      `| ${r.mode} | ${int(r.requestedRate)}/s × ${r.seconds} s | ${int(r.flooder?.sent)} | ${r.flooder ? num(r.flooder.seconds, 2) : '—'} | ${int(r.bridgeIn.rxPackets)} | ${int(r.bridgeOut.txPackets)} | ${int(r.hostIn.rxPackets)} | ${int(r.deliveredRate)} | ${int(r.dupipFramesReceived)} | ${int(r.dupipOverflowMacs)} |`,
    );
  }
  out.push('', USAGE_HEAD, usageRow('dupip, idle before the floods', f.idle.dupip), usageRow('arpwatch, idle before the floods', f.idle.arpwatch));
  for (const r of f.runs) out.push(...floodRunRows(r));
  for (const r of f.runs) {
    const series = (r.dupip.rssSeriesMb ?? []).filter((_, i, a) => i % 5 === 0 || i === a.length - 1);
    if (series.length) out.push('', `dupip RSS during the ${r.mode} flood, every 5 s: ${series.map((v) => num(v, 1)).join(', ')} MB.`);
  }
  out.push('', '"RSS flat" is judged as growth over the flood of at most max(4 MB, 10 %).', '');
  return out;
}

export function renderMarkdown(res: BenchResults): string {
  const m = res.machine;
  const lines = [
    '# dupip benchmarks',
    '',
    `Generated by \`npm run bench${res.mode === 'quick' ? ' -- --quick' : ''}\` (bench/run.mjs) on ${res.startedAt.slice(0, 10)} in ${num(res.durationS / 60, 1)} min; do not edit by hand. Raw figures: bench/results/ (not committed).`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), Linux ${m.kernel}, Node ${m.node}, CLK_TCK ${m.clockTicks}. dupip ${m.dupipVersion}${m.gitCommit ? ` at ${m.gitCommit.slice(0, 12)}${(m.gitChanges ? m.gitChanges.length > 0 : m.gitDirty) ? ` with uncommitted changes${m.gitChanges?.length ? ` (${m.gitChanges.slice(0, 12).join(', ')}${m.gitChanges.length > 12 ? ', …' : ''})` : ''}` : ''}` : ''}. Anchors: arpwatch ${m.arpwatch ?? '?'}, arping ${m.arping ?? '?'}.`,
    '',
    'Everything runs in network namespaces on one lab segment (a bridge), with documentation addresses only. CPU is the measured process\'s own (utime+stime from /proc/PID/stat, and per-thread schedstat), not the machine\'s: the flooder, tcpdump and the kernel\'s forwarding are not charged to dupip. Latency percentiles are over all trials of the run.',
    '',
  ];
  if (res.mode === 'quick') lines.push('**Quick mode** (CI smoke): few trials and short windows; the figures are not meaningful.', '');
  if (res.baseline || s0(res).idle) {
    const before = res.baseline?.scenarios ? issue14Figures(res.baseline.scenarios) : null;
    lines.push(...beforeAfterSection(issue14Figures(res.scenarios), before, res.baseline ? `${res.baseline.note}${res.baseline.error ? ` The baseline run failed: ${res.baseline.error.split('\n')[0]}` : ''}` : 'No baseline build in this run (npm run bench -- --baseline COMMIT).', res.baseline?.commit.slice(0, 7)));
  }
  lines.push('## Against the targets of issue 6', '', '| | dupip | anchor | ratio | target | verdict |', '|---|---|---|---|---|---|');
  for (const v of res.verdicts) lines.push(`| ${v.what} | ${v.dupip} | ${v.anchor} | ${v.ratio} | ${v.target} | ${verdictText(v.meets)}${v.note ? ` (${v.note})` : ''} |`);
  lines.push('');
  const errs = Object.entries(res.errors);
  if (errs.length) {
    lines.push('## Scenarios that failed', '');
    for (const [k, e] of errs) lines.push(`- ${k}: ${e.split('\n')[0]}`);
    lines.push('');
  }
  const noiseRows = Object.entries(res.noise ?? {});
  if (noiseRows.length) {
    lines.push(
      '## The machine while each scenario ran',
      '',
      'Figures are per process, but everything shares the same cores; other work on the machine shows up as latency outliers more than as CPU.',
      '',
      '| scenario | machine busy (all cores) | steal | CPU pressure (some) | other processes running labs |',
      '|---|---:|---:|---:|---:|',
      ...noiseRows.map(([k, n]) => `| ${k} | ${pct(n.machineBusyPercent, 1)} | ${pct(n.stealPercent, 1)} | ${pct(n.cpuPressurePercent, 1)} | ${n.otherProcessesWithLabs} |`),
      '',
    );
  }
  const s = res.scenarios;
  if (s.chatty) lines.push(...chattySection(s.chatty));
  if (s.silent) lines.push(...silentSection(s.silent));
  if (s.nd6) lines.push(...nd6Section(s.nd6, fmtMs));
  if (s.idle) lines.push(...idleSection(s.idle));
  if (s.flood) lines.push(...floodSection(s.flood));
  if (s.scale) lines.push(...scaleSection(s.scale, s.idle?.rows.find((x) => x.addresses === 100)?.usage.rssEndMb ?? null));
  if (s.curves) lines.push(...curvesSection(s.curves, res.svgName ?? 'benchmarks.svg'));
  if (s.soak) lines.push(...soakSection(s.soak));
  if (s.scan) lines.push(...scanSection(s.scan));
  if (s.containers) lines.push(...containersSection(s.containers, fmtMs));
  if (res.notes && Object.keys(res.notes).length) lines.push(...notesSections(res.notes));
  return `${lines.join('\n').trimEnd()}\n`;
}

const s0 = (res: BenchResults) => res.scenarios;
