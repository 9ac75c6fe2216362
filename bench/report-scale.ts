/**
 * The issue-14 parts of docs/benchmarks.md: the before/after table (this build beside a baseline
 * build of 53893cb measured in the same run), scale (4,096 delegates in 198.18.0.0/15, 1,000 own
 * addresses), the scaling curves, the soak, and bench/notes/*.md verbatim. Pure: no I/O.
 */
import type { Verdict } from './report.js';
import type { UsageWindow } from './lib/proc.js';
import type { CurvesResult } from './scenarios/curves.js';
import type { ScaleResult, ScaleRun } from './scenarios/scale.js';
import type { SoakResult, SoakSeries } from './scenarios/soak.js';

const num = (v: number, digits: number) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ok = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
const pct = (v: number | null | undefined, digits = 2) => (ok(v) ? `${num(v, digits)} %` : '—');
const mb = (v: number | null | undefined) => (ok(v) ? `${num(v, 1)} MB` : '—');
const int = (v: number | null | undefined) => (ok(v) ? num(v, 0) : '—');
const fix = (v: number | null | undefined, digits: number) => (ok(v) ? num(v, digits) : '—');
const ratio = (a: number | null | undefined, b: number | null | undefined) => (ok(a) && ok(b) && b > 0 ? `${num(a / b, 2)}×` : '—');
const verdict = (v: boolean | null) => (v === null ? 'not judged' : v ? 'meets' : '**MISSES**');

/** The figures the issue-14 table needs, read from one run's scenarios (this build's or the baseline's). */
export interface Issue14Figures {
  idle100CpuH: number | null;
  idle1CpuH: number | null;
  idleRssMb: number | null;
  nodeCpuH: number | null;
  nodeRssMb: number | null;
  spoofCorePercent: number | null;
  spoofArpwatchCorePercent: number | null;
  spoofRssStartMb: number | null;
  spoofRssEndMb: number | null;
  chattyP99Ms: number | null;
  chattyP50Ms: number | null;
  arpwatchP50Ms: number | null;
  /** the scale figure: 4,096 delegates (this build) or the 768-delegate stand-in (53893cb) */
  scaleCorePercent: number | null;
  scaleRssMb: number | null;
  scaleWhat: string;
}

/** Results of another version of the bench: read field by field, nothing assumed. */
type Loose = Record<string, any>;

/** Reads the figures defensively: the baseline's results come from another version of the bench. */
export function issue14Figures(s: Loose | undefined): Issue14Figures {
  const idleRow = (n: number) => (s?.idle?.rows as Loose[] | undefined)?.find((r) => r.addresses === n)?.usage as UsageWindow | undefined;
  const cpuH = (u: UsageWindow | undefined) => (u ? Math.max(u.cpuSecondsPerHour, u.schedCpuSecondsPerHour) : null);
  const spoof = (s?.flood?.runs as Loose[] | undefined)?.find((r) => r.mode === 'spoof');
  const runs = (s?.scale?.runs as Loose[] | undefined) ?? [];
  const scale = runs.find((r) => r.name === 'scattered') ?? runs.find((r) => r.name === 'equiv');
  return {
    idle100CpuH: cpuH(idleRow(100)),
    idle1CpuH: cpuH(idleRow(1)),
    idleRssMb: idleRow(100)?.rssEndMb ?? null,
    nodeCpuH: cpuH(s?.idle?.nodeBaseline),
    nodeRssMb: s?.idle?.nodeBaseline?.rssEndMb ?? null,
    spoofCorePercent: spoof?.dupip?.corePercent ?? null,
    spoofArpwatchCorePercent: spoof?.arpwatch?.corePercent ?? null,
    spoofRssStartMb: spoof?.dupip?.rssStartMb ?? null,
    spoofRssEndMb: spoof?.dupip?.rssEndMb ?? null,
    chattyP99Ms: s?.chatty?.dupipLogged?.p99 ?? null,
    chattyP50Ms: s?.chatty?.dupipLogged?.p50 ?? null,
    arpwatchP50Ms: s?.chatty?.arpwatch?.p50 ?? null,
    scaleCorePercent: scale?.usage?.corePercent ?? null,
    scaleRssMb: ok(scale?.usage?.rssEndMb) ? scrapedRssMb(scale as ScaleRun) : null,
    scaleWhat: scale?.name === 'scattered' ? '4,096 scattered delegates at 10 s' : scale ? '768-delegate stand-in at 1.875 s' : '—',
  };
}

/** The RSS a scraped daemon has: the window's, or after the scrapes if they left more resident (runs that record them). */
function scrapedRssMb(r: Pick<ScaleRun, 'usage' | 'scrape'>): number {
  return Math.max(r.usage.rssEndMb, r.scrape?.rssAfterMb ?? 0);
}

/** The table of issue 14 with a "before" column (baseline build, same run) and the verdict. */
export function beforeAfterSection(after: Issue14Figures, before: Issue14Figures | null, baselineNote: string, beforeCommit = '53893cb'): string[] {
  const b = before;
  const rows: Array<[string, string, string, string, string, boolean | null]> = [];
  const f = after;
  rows.push(['idle CPU, 100 own addresses, default intervals', b ? `${fix(b.idle100CpuH, 1)} CPU-s/h` : '—', `${fix(f.idle100CpuH, 1)} CPU-s/h`, `bare Node ${fix(f.nodeCpuH, 2)}; ${ratio(f.idle100CpuH, f.nodeCpuH)}`, '≤ 2× bare Node', ok(f.idle100CpuH) && ok(f.nodeCpuH) ? f.idle100CpuH <= 2 * f.nodeCpuH : null]);
  rows.push(['idle CPU, 1 address', b ? `${fix(b.idle1CpuH, 1)} CPU-s/h` : '—', `${fix(f.idle1CpuH, 1)} CPU-s/h`, `bare Node ${fix(f.nodeCpuH, 2)}; ${ratio(f.idle1CpuH, f.nodeCpuH)}`, '≤ 1.3× bare Node', ok(f.idle1CpuH) && ok(f.nodeCpuH) ? f.idle1CpuH <= 1.3 * f.nodeCpuH : null]);
  const over = (x: Issue14Figures) => (ok(x.idleRssMb) && ok(x.nodeRssMb) ? x.idleRssMb - x.nodeRssMb : null);
  rows.push(['RSS at idle (100 addresses)', b ? `${mb(b.idleRssMb)} (+${mb(over(b))})` : '—', `${mb(f.idleRssMb)} (+${mb(over(f))})`, `bare Node ${mb(f.nodeRssMb)}`, '≤ +8 MB', ok(over(f)) ? over(f)! <= 8 : null]);
  rows.push(['spoofing flood, 10,000 frames/s from new MACs', b ? pct(b.spoofCorePercent) : '—', pct(f.spoofCorePercent), `arpwatch ${pct(f.spoofArpwatchCorePercent)}; ${ratio(f.spoofCorePercent, f.spoofArpwatchCorePercent)}`, '≤ 1.5× arpwatch', ok(f.spoofCorePercent) && ok(f.spoofArpwatchCorePercent) ? f.spoofCorePercent <= 1.5 * f.spoofArpwatchCorePercent : null]);
  const growth = (x: Issue14Figures) => (ok(x.spoofRssEndMb) && ok(x.spoofRssStartMb) ? x.spoofRssEndMb - x.spoofRssStartMb : null);
  rows.push(['RSS during that flood', b ? `${mb(b.spoofRssStartMb)} → ${mb(b.spoofRssEndMb)}` : '—', `${mb(f.spoofRssStartMb)} → ${mb(f.spoofRssEndMb)}`, 'arpwatch flat', '≤ +2 MB (10-minute soak: section below)', ok(growth(f)) ? growth(f)! <= 2 : null]);
  rows.push(['chatty intruder, claim → conflict event, p99', b ? `${fix(b.chattyP99Ms, 2)} ms (p50 ${fix(b.chattyP50Ms, 2)})` : '—', `${fix(f.chattyP99Ms, 2)} ms (p50 ${fix(f.chattyP50Ms, 2)})`, `arpwatch p50 ${fix(f.arpwatchP50Ms, 0)} ms`, 'p99 ≤ 2 ms', ok(f.chattyP99Ms) ? f.chattyP99Ms <= 2 : null]);
  rows.push([`delegates (after: ${f.scaleWhat}; before: ${b?.scaleWhat ?? '—'})`, b ? `${pct(b.scaleCorePercent)}, RSS ${mb(b.scaleRssMb)}` : '—', `${pct(f.scaleCorePercent)}, RSS ${mb(f.scaleRssMb)}`, `idle RSS ${mb(f.idleRssMb)}`, '≤ 2 %, RSS ≤ idle + 10 MB', ok(f.scaleCorePercent) && ok(f.scaleRssMb) && ok(f.idleRssMb) ? f.scaleCorePercent <= 2 && f.scaleRssMb <= f.idleRssMb + 10 : null]);
  return [
    '## Issue 14: before and after, same run',
    '',
    baselineNote,
    '',
    `| figure | before (${beforeCommit}) | after (this build) | floor / anchor, same run | target | verdict |`,
    '|---|---|---|---|---|---|',
    // A row whose figures neither build measured in this run (scenario not selected) is left out.
    ...rows
      .filter(([, bf, af]) => /\d/.test(bf.replace(/^—.*/, '')) || /\d/.test(af.split(' ')[0] ?? ''))
      .map(([what, bf, af, anchor, target, meets]) => `| ${what} | ${bf} | ${af} | ${anchor} | ${target} | ${verdict(meets)} |`),
    '',
    'CPU figures from a shared machine are noisy: read the before/after and dupip/anchor ratios, taken side by side in one run.',
    '',
  ];
}

function scaleRow(r: ScaleRun): string {
  const w = r.wire;
  const strategy = r.filter.length ? [...new Set(r.filter.map((x) => `${x.strategy} (${x.addresses})`))].join(', ') : '—';
  const plan = `${r.filterPlan.strategy}: ${int(r.filterPlan.instructions)} insns, passes ${int(r.filterPlan.covered)}`;
  const lost = w.witnessDropped ? ` (tcpdump lost ${int(w.witnessDropped)})` : '';
  const perInterval = w.probesPerAddressPerInterval ? `${num(w.probesPerAddressPerInterval.p50, 2)} (min ${num(w.probesPerAddressPerInterval.min, 2)})` : '—';
  const gaps = w.gapS && r.delegates ? `${num(w.gapS.p50, 2)} / ${num(w.gapS.p99, 2)} / ${num(w.gapS.max, 2)} s` : '—';
  return `| ${r.name} | ${r.delegates ? `${int(r.delegates)} (${int(r.heldByPeer)} held by h1)` : '—'} | ${r.ownAddresses ? int(r.ownAddresses) : '—'} | ${strategy} | ${plan} | ${r.sendCapped ? `yes: needs ${r.sendCapped.neededPerSecond}/s` : 'no'} | ${num(w.probesPerSecond, 1)}${lost} / ${num(w.portFramesPerSecond, 1)} | ${r.delegates ? `${int(w.addressesProbed)}` : '—'} | ${perInterval} | ${gaps} | ${r.delegates ? `${int(w.addressesWithinInterval)}/${int(r.delegates)}` : '—'} | ${num(r.startupS, 1)} s | ${pct(r.usage.corePercent)} (schedstat ${pct(r.usage.schedCorePercent)}) | ${mb(r.usage.rssEndMb)} (max ${mb(r.usage.rssMaxMb)}) | ${r.scrape ? `${num(r.scrape.cpuMs, 0)} ms of CPU, ${mb(r.scrape.bytes / 1048576)}; RSS ${mb(r.scrape.rssAfterMb)}` : '—'} |`;
}

export function scaleSection(s: ScaleResult, idleRssMb: number | null): string[] {
  return [
    '## 5. Scale: 4,096 delegates and 1,000 own addresses in 198.18.0.0/15',
    '',
    `RFC 2544's benchmarking range, inside the lab's namespaces only. Delegate runs: probe interval 10 s, max_send_rate 500, every fourth delegate held by a second host whose kernel answers; "contiguous" is one block (198.18.16.0-198.18.31.255), "scattered" 4,096 addresses at random over the whole /15. "own": 1,000 own addresses scattered over 198.19.0.0/16, default intervals. ${s.warmupS} s warm-up, ${s.windowS} s window, the three runs side by side in separate labs; tcpdump on the daemon's bridge port counts its probes. Idle RSS (100 addresses, same run) for the target: ${mb(idleRssMb)}.`,
    '',
    "| run | delegates | own addresses | kernel filter (daemon's log) | filter plan: instructions, addresses it passes | send-capped | probes/s seen by tcpdump / frames/s on the daemon's port | delegates probed | probes per delegate per interval (median, min) | gap p50 / p99 / max | delegates with every gap ≤ 12.5 s | start-up | CPU | RSS | scrapes after the window (full run: three, 15 s apart): CPU of the costliest, size; highest RSS before the next |",
    '|---|---:|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...s.runs.map(scaleRow),
    '',
    'CPU and RSS are of the window, which no scrape falls in; the last column is the daemon scraped as Prometheus would (every 15 s here): what one scrape costs (at a 15 s scrape interval add CPU ms / 150 to the % of a core), and the RSS a scraped daemon keeps. The verdicts and the issue-14 table take the larger of the two RSS figures.',
    '',
    'Kernel filter strategies (src/core/bpf.ts): exact (one test per address), ranges (one per contiguous range), covering (too many ranges: the smallest gaps between them closed until the program fits in 4,096 instructions; the kernel passes the watched addresses and those gaps, userspace drops the few extra), userspace (nothing tested in the kernel). Every layout skips whole chunks of tests, so a frame runs at most one chunk (≤ 255 tests) plus two instructions per chunk below it.',
    '',
  ];
}

function usageCells(u: UsageWindow): string {
  return `${pct(u.corePercent, 3)} | ${pct(u.schedCorePercent, 3)} | ${mb(u.rssMaxMb)}`;
}

export function curvesSection(c: CurvesResult, svgName: string): string[] {
  return [
    '## Scaling curves',
    '',
    `![CPU and RSS against watched addresses and spoofing rate](${svgName})`,
    '',
    `Against the number of watched (own) addresses, in 198.18.0.0/15, default intervals, idle segment; ${c.windowS} s window; the four runs side by side (in a full run the spoofing soak runs meanwhile in its own lab: these are per-process CPU figures of idle daemons, and the floods below wait for the soak's end), arpwatch beside in each lab (arpwatch keeps no list of addresses, so its column is the anchor, not a curve of its own):`,
    '',
    '| own addresses | kernel filter | dupip % of a core | dupip % (schedstat) | dupip RSS max | arpwatch % of a core | arpwatch % (schedstat) | arpwatch RSS max |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
    ...c.addresses.map((p) => `| ${int(p.addresses)} | ${p.filter} | ${usageCells(p.dupip)} | ${usageCells(p.arpwatch)} |`),
    '',
    `Against the spoofing rate (gratuitous ARP claiming a held, watched address, a new sender MAC per frame), ${c.floodS} s per rate, dupip and arpwatch on the same host:`,
    '',
    '| requested frames/s | delivered frames/s | dupip % of a core | dupip % (schedstat) | dupip RSS max | arpwatch % of a core | arpwatch % (schedstat) | arpwatch RSS max | dupip ÷ arpwatch CPU |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...c.rates.map((p) => `| ${int(p.flood.requestedRate)} | ${int(p.flood.deliveredRate)} | ${usageCells(p.dupip)} | ${usageCells(p.arpwatch)} | ${ratio(p.dupip.corePercent, p.arpwatch.corePercent)} |`),
    '',
  ];
}

function soakRow(name: string, s: SoakSeries): string {
  const u = s.usage;
  return `| ${name} | ${pct(u.corePercent)} | ${mb(u.rssStartMb)} | ${mb(s.settledStartMb)} | ${mb(u.rssEndMb)} | ${mb(u.rssMaxMb)} | ${ok(s.slopeMbPerMin) ? `${num(s.slopeMbPerMin, 3)} MB/min` : '—'} |`;
}

/** Flat: over the settled part, the fitted trend stays within 2 MB over the whole soak. */
export function soakFlat(s: SoakResult): boolean {
  return ok(s.dupip.slopeMbPerMin) && (s.dupip.slopeMbPerMin * (s.seconds - s.settleS)) / 60 <= 2;
}

export function soakSection(s: SoakResult): string[] {
  const series = s.dupip.usage.rssSeriesMb;
  const step = Math.max(1, Math.ceil(series.length / 24));
  return [
    '## Spoofing soak',
    '',
    `${int(s.rate)} frames/s of spoofed gratuitous ARP for ${num(s.seconds / 60, 1)} min (${int(s.flood.deliveredRate)}/s delivered), RSS sampled every ${s.sampleS} s. The slope is a least-squares fit after the first ${s.settleS} s (V8 collects on its own schedule, so single samples jump). Verdict (fitted growth over the rest of the soak ≤ 2 MB): ${verdict(soakFlat(s))}.`,
    '',
    '| process | CPU | RSS at start | RSS after settling | RSS at end | RSS max | slope after settling |',
    '|---|---:|---:|---:|---:|---:|---:|',
    soakRow('dupip', s.dupip),
    soakRow('arpwatch', s.arpwatch),
    '',
    `dupip RSS over time (every ${step * s.sampleS} s, MB): ${series.filter((_, i) => i % step === 0).map((v) => num(v, 1)).join(', ')}`,
    '',
  ];
}

/** bench/notes/*.md, verbatim, each under its file name. */
export function notesSections(notes: Record<string, string>): string[] {
  return Object.entries(notes)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([name, text]) => [`<!-- bench/notes/${name} (verbatim) -->`, '', text.trim(), '']);
}

/** Verdicts for scale and soak, in the shape of report.ts's Verdict. */
export function scaleVerdicts(scale: ScaleResult | undefined, soak: SoakResult | undefined, idleRssMb: number | null): Verdict[] {
  const out: Verdict[] = [];
  for (const r of scale?.runs ?? []) {
    const strategy = [...new Set(r.filter.map((x) => x.strategy))].join(', ') || '—';
    const scraped = r.scrape ? ` (scraped${ok(r.scrape.everyS) ? ` every ${num(r.scrape.everyS, 0)} s` : ''}: ${mb(r.scrape.rssAfterMb)}, ${num(r.scrape.cpuMs, 0)} ms of CPU a scrape)` : '';
    const rssOk = ok(idleRssMb) ? scrapedRssMb(r) <= idleRssMb + 10 : null;
    if (r.delegates) {
      out.push({
        id: `scale-${r.name}`,
        what: `${int(r.delegates)} ${r.name} delegates at 10 s, cap 500: each probed once per interval`,
        dupip: `${int(r.wire.addressesWithinInterval)}/${int(r.delegates)} never waited > 12.5 s; filter ${strategy} (passes ${int(r.filterPlan.covered)}); ${pct(r.usage.corePercent)} of a core, RSS ${mb(r.usage.rssEndMb)}${scraped}`,
        anchor: `idle RSS ${mb(idleRssMb)}`,
        ratio: '—',
        target: `${int(r.delegates)}/${int(r.delegates)}; ≤ 2 %; RSS ≤ idle + 10 MB`,
        meets: rssOk === null ? null : r.wire.addressesWithinInterval === r.delegates && r.usage.corePercent <= 2 && rssOk,
      });
    } else {
      out.push({
        id: `scale-${r.name}`,
        what: `${int(r.ownAddresses)} own addresses, default intervals`,
        dupip: `filter ${strategy}; ${pct(r.usage.corePercent)} of a core, RSS ${mb(r.usage.rssEndMb)}${scraped}`,
        anchor: `idle RSS ${mb(idleRssMb)}`,
        ratio: '—',
        target: '≤ 2 %; RSS ≤ idle + 10 MB',
        meets: rssOk === null ? null : r.usage.corePercent <= 2 && rssOk,
      });
    }
  }
  if (soak) {
    out.push({
      id: 'soak',
      what: `Spoofing soak, ${int(soak.rate)} frames/s for ${num(soak.seconds / 60, 1)} min: RSS flat`,
      dupip: `RSS ${mb(soak.dupip.usage.rssStartMb)} → ${mb(soak.dupip.usage.rssEndMb)} (max ${mb(soak.dupip.usage.rssMaxMb)}), slope ${num(soak.dupip.slopeMbPerMin, 3)} MB/min after ${soak.settleS} s`,
      anchor: `arpwatch ${mb(soak.arpwatch.usage.rssStartMb)} → ${mb(soak.arpwatch.usage.rssEndMb)}`,
      ratio: '—',
      target: 'fitted growth ≤ 2 MB',
      meets: soakFlat(soak),
    });
  }
  return out;
}
