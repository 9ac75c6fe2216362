/**
 * Scenario 7, a container host (issue 11): a Diego cell / Docker / Kubernetes node in the lab.
 *
 *   h0  the container host: eth0 (its uplink: it carries the default route, as a NIC would) holds
 *       192.0.2.1 and the trial addresses; N host-side veths whose peers are in a containers'
 *       namespace, each with 203.0.113.1/32 (one gateway address on every veth, as silk does);
 *       dupip with default settings (watches eth0 only) or with `interfaces:` naming eth0 and every veth
 *   h1  the intruder on the uplink: one gratuitous ARP per trial claiming one of h0's addresses
 *
 * Per configuration (N veths, default or explicit, churn rate): a quiet window (no churn), then a
 * churn window in which test/lab/containers.ts replaces veths (delete, create, address, up) at the
 * rate, then, with the churn going on, h1 claims a fresh address every 150–250 ms. Measured: dupip's CPU and RSS in both
 * windows, its open fds, its log lines in the churn window (per minute, before the claims), and the latency of each
 * claim from the sender's clock right before send() to dupip's conflict line (its own timestamp, in microseconds).
 * A baseline run with no veths at all is the quiet host the RSS is compared with.
 */
import { readdirSync } from 'node:fs';
import { makeContainerHost, startChurn } from '../../test/lab/containers.js';
import { Lab } from '../../test/lab/lab.js';
import { BenchDaemon } from '../lib/daemon.js';
import { addAddresses, ArpSender, range } from '../lib/lab-extra.js';
import { measure, UsageMeter, type UsageWindow } from '../lib/proc.js';
import { delay, distribution, progress, round, uniform, type Distribution } from '../lib/util.js';

export interface ContainersRun {
  veths: number;
  mode: 'default' | 'explicit';
  /** replacements per second asked for, and done */
  rate: number;
  achievedRate: number;
  watchedInterfaces: number;
  quiet: UsageWindow;
  churn: UsageWindow;
  fdsQuiet: number;
  fdsChurn: number;
  logLinesPerMinute: number;
  logLines: number;
  trials: number;
  detected: Distribution | null;
  missed: number;
}

/** The same host without veths: its quiet cost and the uplink claims' latency without churn. */
export interface QuietHost {
  quiet: UsageWindow;
  fds: number;
  trials?: number;
  detected?: Distribution | null;
  missed?: number;
}

export interface ContainersResult {
  quietHost: QuietHost;
  runs: ContainersRun[];
  /** after start-up, before the quiet window (as the idle scenario's warm-up) */
  warmS?: number;
  quietS: number;
  churnS: number;
}

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

async function oneHost(opts: { veths: number; configs: Array<{ mode: 'default' | 'explicit'; rate: number; churnS: number }>; warmS: number; quietS: number; trials: number; claims: number }) {
  const lab = await Lab.create({ hosts: 2 });
  try {
    const [h0, h1] = [lab.host(0), lab.host(1)];
    const addresses = range('192.0.2', 10, 10 + opts.trials - 1);
    await addAddresses(h0, ['192.0.2.1/24', ...addresses.map((a) => `${a}/24`)]);
    await addAddresses(h1, ['192.0.2.2/24']);
    const c = await makeContainerHost(lab, h0, opts.veths);
    const sender = await ArpSender.start(h1);
    const out: Array<Omit<ContainersRun, 'veths'> | QuietHost> = [];
    /** h1 claims h0's addresses one by one; the latency of each, sender's clock → dupip's conflict line. */
    const claims = async (d: BenchDaemon, from: number) => {
      const sent: Array<{ address: string; at: number }> = [];
      for (let k = 0; k < Math.min(addresses.length, opts.claims); k++) {
        const address = addresses[k]!;
        sent.push({ address, at: await sender.claim(address) });
        await delay(uniform(150, 250));
      }
      await delay(500);
      const latencies: number[] = [];
      let missed = 0;
      for (const s of sent) {
        const l = d.find((x) => x.event === 'state' && x.address === s.address && x.to === 'conflict', from);
        if (l) latencies.push(round(l.loggedBy - s.at, 3));
        else missed++;
      }
      return { trials: sent.length, detected: distribution(latencies), missed };
    };
    if (opts.configs.length === 0) {
      const d = await BenchDaemon.start(h0);
      await d.waitStates(addresses, 'ok', 30_000);
      await delay(opts.warmS * 1000); // start-up's probes, JIT and first major GC out of the window
      const quiet = await measure(d.pid, opts.quietS * 1000);
      const n = fds(d.pid);
      // The same claims without churn: the latency the churn figures compare with.
      out.push({ quiet, fds: n, ...(await claims(d, d.lines.length)) });
      await d.stop();
    }
    for (const cfg of opts.configs) {
      const yaml = cfg.mode === 'explicit' ? `interfaces: [${[h0.ifname, ...c.names].join(', ')}]\n` : undefined;
      const d = await BenchDaemon.start(h0, yaml === undefined ? {} : { configYaml: yaml });
      const watched = ((d.find((l) => l.event === 'started')?.line.interfaces as string[] | undefined) ?? []).length;
      await d.waitStates(addresses, 'ok', 30_000);
      progress(`containers: ${opts.veths} veths, ${cfg.mode}, watching ${watched} interface(s): warm-up ${opts.warmS} s, quiet ${opts.quietS} s, then ${cfg.rate}/s churn for ${cfg.churnS} s`);
      await delay(opts.warmS * 1000);
      const quiet = await measure(d.pid, opts.quietS * 1000);
      const fdsQuiet = fds(d.pid);
      const mark = d.lines.length;
      // First the churn alone (its CPU, RSS and log lines), then the claims on the uplink while it goes on.
      const churn = startChurn(h0, c, cfg.rate);
      const meter = new UsageMeter(d.pid).start();
      const t0 = Date.now();
      await delay(cfg.churnS * 1000);
      const usage = meter.stop();
      const fdsChurn = fds(d.pid);
      const churnEnd = Date.now();
      const claimed = await claims(d, mark);
      const done = await churn.stop();
      const elapsed = (Date.now() - t0) / 1000;
      const lines = d.lines.slice(mark).filter((l) => l.readAt <= churnEnd);
      out.push({
        mode: cfg.mode,
        rate: cfg.rate,
        achievedRate: round(done / elapsed, 2),
        watchedInterfaces: watched,
        quiet,
        churn: usage,
        fdsQuiet,
        fdsChurn,
        logLines: lines.length,
        logLinesPerMinute: round((lines.length * 60) / elapsed, 1),
        ...claimed,
      });
      await d.stop();
      // The next configuration starts from the full set of veths again.
      await delay(500);
    }
    sender.close();
    return out;
  } finally {
    await lab.destroy();
  }
}

type Config = { veths: number; mode: 'default' | 'explicit'; rate: number };

/**
 * DUPIP_BENCH_CONTAINERS="250:default:5,1000:explicit:20" runs only those configurations (with the
 * full run's windows), to investigate one figure; the quiet host is measured first either way.
 */
function selected(): Config[] | null {
  const spec = process.env.DUPIP_BENCH_CONTAINERS;
  if (!spec) return null;
  return spec.split(',').filter(Boolean).map((s) => {
    const [veths, mode, rate] = s.split(':');
    if (!/^\d+$/.test(veths ?? '') || (mode !== 'default' && mode !== 'explicit') || !/^\d+$/.test(rate ?? '')) {
      throw new Error(`DUPIP_BENCH_CONTAINERS: "${s}" is not VETHS:default|explicit:RATE`);
    }
    return { veths: Number(veths), mode, rate: Number(rate) };
  });
}

export async function runContainers(opts: { quick: boolean }): Promise<ContainersResult> {
  const quietS = opts.quick ? 3 : 10;
  const warmS = opts.quick ? 0 : 10;
  const churnS = opts.quick ? 4 : 20;
  const trials = opts.quick ? 10 : 100;
  const only = selected();
  let wanted: Config[] = [];
  if (only) wanted = only;
  else {
    for (const veths of opts.quick ? [250] : [250, 1000]) {
      for (const mode of opts.quick ? (['default'] as const) : (['default', 'explicit'] as const)) {
        for (const rate of opts.quick ? [5] : [5, 20]) wanted.push({ veths, mode, rate });
      }
    }
  }
  const base = await oneHost({ veths: 0, configs: [], warmS, quietS, trials, claims: trials });
  const runs: ContainersRun[] = [];
  for (const veths of [...new Set(wanted.map((w) => w.veths))]) {
    const configs = wanted.filter((w) => w.veths === veths).map(({ mode, rate }) => ({ mode, rate, churnS: veths === 250 && rate === 5 && !opts.quick ? 40 : churnS }));
    const r = await oneHost({ veths, configs, warmS, quietS, trials, claims: trials });
    for (const x of r) runs.push({ veths, ...(x as Omit<ContainersRun, 'veths'>) });
  }
  return { quietHost: base[0] as QuietHost, runs, warmS, quietS, churnS };
}

/** The Markdown section (bench/report.ts). */
export function containersSection(r: ContainersResult, fmtMs: (v: number | null | undefined) => string): string[] {
  const q = r.quietHost;
  const rows = r.runs.map((x) => {
    const rss = round(x.churn.rssMaxMb - q.quiet.rssMaxMb, 1);
    return `| ${x.veths} | ${x.mode} (${x.watchedInterfaces} watched) | ${x.rate} (${x.achievedRate}) | ${x.quiet.schedCorePercent.toFixed(2)} % | ${x.churn.schedCorePercent.toFixed(2)} % | ${x.churn.rssMaxMb} MB (${rss >= 0 ? '+' : ''}${rss}) | ${x.fdsQuiet} / ${x.fdsChurn} | ${x.logLinesPerMinute} | ${x.trials - x.missed}/${x.trials} | ${fmtMs(x.detected?.p50)} | ${fmtMs(x.detected?.p99)} | ${fmtMs(x.detected?.max)} |`;
  });
  return [
    '## 7. Container host',
    '',
    `h0 has an uplink (eth0, default route) and N container veths (peers in another namespace, all with 203.0.113.1/32); veths are replaced at the given rate (asked, and achieved). ` +
      `${r.warmS ? `A warm-up of ${r.warmS} s after start-up (its probes, JIT and first major GC are not churn), a` : 'A'} quiet window of ${r.quietS} s, then a churn window (40 s for 250 veths at 5/s, else ${r.churnS} s) (CPU, RSS, fds and log lines are of this window), followed by the intruder's claims of h0's uplink addresses, one every 150–250 ms, while the churn goes on. ` +
      `Quiet host (eth0 only, no veths): ${q.quiet.schedCorePercent.toFixed(2)} % of a core, RSS ${q.quiet.rssMaxMb} MB, ${q.fds} fds` +
      (q.detected ? `; the same claims without churn: ${(q.trials ?? 0) - (q.missed ?? 0)}/${q.trials} detected, p50 ${fmtMs(q.detected.p50)}, p99 ${fmtMs(q.detected.p99)}, max ${fmtMs(q.detected.max)} (the machine's floor for the latency columns).` : '.') +
      ` Latency: sender's clock right before send() → dupip's conflict line (its own timestamp, in microseconds). CPU: schedstat, percent of one core.`,
    '',
    '| veths | dupip | churn /s (achieved) | CPU quiet | CPU churn | RSS max in churn (vs quiet host) | fds quiet / churn | log lines /min | uplink claims detected | p50 | p99 | max |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Targets (issue 11): default settings, 250 veths, 5/s: ≤ 1 % of a core, RSS within +5 MB of the quiet host, fewer than 60 log lines a minute, uplink duplicate within 10 ms p99; explicitly watched: ≤ 5 % of a core, nothing missed on the uplink.',
    '',
  ];
}
