/**
 * Scenario 5, scale (issue 14): 4,096 delegates in RFC 2544's 198.18.0.0/15, literally, and 1,000 own
 * addresses. Three runs side by side, each in its own lab:
 *   contiguous  4,096 delegates in one block (198.18.16.0-198.18.31.255): the kernel filter is ranges
 *   scattered   4,096 delegates spread at random over the whole /15: too many for one instruction per
 *               address or per range; the filter strategy that ran is reported, with how many
 *               addresses it lets through (bench/lib/bench-range.ts rebuilds it with the daemon's builder)
 *   own         1,000 own addresses (scattered over 198.19.0.0/16) held by the daemon's host, default
 *               intervals, no delegates
 * Delegate runs: configuration file, `interface: eth0` each, own_addresses off, probe interval 10 s,
 * max_send_rate 500 (4,096 / 10 s = 409.6 probes/s fits under it), a second host holding one in four
 * of them (its kernel answers), the daemon's host holding 198.19.255.254/32 as the sender of its
 * requests (delegates held elsewhere are asked with ordinary requests, never from 0.0.0.0). tcpdump
 * on the daemon's bridge port records every probe; per address: probes per interval and the gaps.
 */
import { Lab } from '../../test/lab/lab.js';
import { contiguous, filterFor, scattered } from '../lib/bench-range.js';
import { BenchDaemon } from '../lib/daemon.js';
import { addAddresses, linkCounters, metricValue, Poller } from '../lib/lab-extra.js';
import { UsageMeter, type UsageWindow, readCpu, readMem } from '../lib/proc.js';
import { delay, distribution, progress, round, type Distribution } from '../lib/util.js';
import { Wire } from '../lib/wire.js';

export interface ScaleRun {
  name: 'contiguous' | 'scattered' | 'own';
  delegates: number;
  ownAddresses: number;
  heldByPeer: number;
  intervalMs: number;
  maxSendRate: number;
  /** the 'filter' debug line(s): strategy and address count */
  filter: Array<{ strategy: string; addresses: number }>;
  /** the same set through the daemon's filter builder: instructions, and addresses it passes */
  filterPlan: { strategy: string; instructions: number; covered: number };
  sendCapped: { neededPerSecond: number; cap: number; roundSeconds: number } | null;
  metrics: { probeRoundSeconds: number | null; sendCapped: number | null };
  startupS: number;
  usage: UsageWindow;
  /** scrapes after the window, as Prometheus makes them: the most CPU one took (ms, all threads) and the highest RSS between them */
  scrape?: { count: number; everyS: number; cpuMs: number; bytes: number; rssAfterMb: number };
  wire: {
    windowS: number;
    probes: number;
    probesPerSecond: number;
    addressesProbed: number;
    /** per delegate: probes in the window × interval / window (null for the own run) */
    probesPerAddressPerInterval: Distribution | null;
    /** all gaps between two probes of the same address, seconds */
    gapS: Distribution | null;
    /** delegates whose longest gap was ≤ 1.2 × interval + 0.5 s */
    addressesWithinInterval: number;
    /** frames/s the daemon's bridge port received over the window (all its frames, a cross-check) */
    portFramesPerSecond: number;
    /** frames tcpdump itself says it lost (then the per-address figures undercount) */
    witnessDropped: number | null;
  };
}

export interface ScaleResult {
  warmupS: number;
  windowS: number;
  runs: ScaleRun[];
}

const SENDER = '198.19.255.254';
const DELEGATES = 4096;
const INTERVAL_MS = 10_000;
const CAP = 500;
/** Scrapes after the window, 15 s apart (a common Prometheus scrape_interval); one, 3 s later, in a quick run. */
const SCRAPES = { full: { count: 3, everyMs: 15_000 }, quick: { count: 1, everyMs: 3000 } };

function configYaml(delegates: readonly string[], own: boolean): string {
  const lines = ['interfaces: [eth0]', `own_addresses: ${own}`, 'log_level: debug'];
  if (delegates.length) {
    lines.push(`probe_interval: ${INTERVAL_MS}ms`, `max_send_rate: ${CAP}`, 'delegates:', ...delegates.map((a) => `  - address: ${a}\n    interface: eth0`));
  }
  return `${lines.join('\n')}\n`;
}

interface Spec {
  name: ScaleRun['name'];
  delegates: string[];
  own: string[];
}

async function one(spec: Spec, warmupMs: number, windowMs: number, scrapes: { count: number; everyMs: number }): Promise<ScaleRun> {
  const { delegates, own } = spec;
  const held = delegates.filter((_, i) => i % 4 === 0);
  const lab = await Lab.create({ hosts: 2 });
  try {
    const [h0, h1] = [lab.host(0), lab.host(1)];
    if (held.length) await addAddresses(h1, held.map((a) => `${a}/32`));
    await addAddresses(h0, delegates.length ? [`${SENDER}/32`] : own.map((a) => `${a}/32`));
    const seen: Array<{ ip: string; time: number }> = [];
    const wire = await Wire.start(lab.bridge, 'p0', () => false);
    wire.subscribe((f) => {
      if ((f.kind === 'probe' || f.kind === 'request') && f.src === h0.mac) seen.push({ ip: f.ip, time: f.time });
    });
    const t0 = Date.now();
    const daemon = await BenchDaemon.start(h0, { configYaml: configYaml(delegates, own.length > 0), timeoutMs: 90_000 });
    const startupS = round((Date.now() - t0) / 1000, 2);
    const poller = await Poller.start(h0, daemon.port, daemon.controlSocket);
    await delay(warmupMs);
    const portBefore = await linkCounters(lab.bridge, 'p0');
    const meter = new UsageMeter(daemon.pid, 2000).start();
    const ws = Date.now() / 1000;
    await delay(windowMs);
    const we = Date.now() / 1000;
    const usage = meter.stop();
    const portAfter = await linkCounters(lab.bridge, 'p0');
    // Then scraped as Prometheus would, `scrapes.count` times `scrapes.everyMs` apart: each scrape's CPU
    // (all threads) and the RSS just before the next (what repeated scrapes keep resident).
    let text = '';
    const scrapeCpu: number[] = [];
    let rssAfterMb = 0;
    for (let i = 0; i < scrapes.count; i++) {
      const before = readCpu(daemon.pid);
      text = await poller.scrape();
      scrapeCpu.push((readCpu(daemon.pid).schedS - before.schedS) * 1000);
      await delay(scrapes.everyMs); // also lets tcpdump hand over its buffered frames
      rssAfterMb = Math.max(rssAfterMb, readMem(daemon.pid).rssKb / 1024);
    }
    const witness = await wire.stop();
    poller.close();
    await daemon.stop();

    const windowS = we - ws;
    const probes = new Map<string, number[]>();
    let total = 0;
    for (const p of seen) {
      if (p.time < ws || p.time >= we) continue;
      total++;
      let list = probes.get(p.ip);
      if (!list) probes.set(p.ip, (list = []));
      list.push(p.time);
    }
    const perInterval: number[] = [];
    const gaps: number[] = [];
    let within = 0;
    for (const a of delegates) {
      const ts = probes.get(a) ?? [];
      perInterval.push(round((ts.length * (INTERVAL_MS / 1000)) / windowS, 3));
      let maxGap = 0;
      for (let i = 1; i < ts.length; i++) {
        const g = ts[i]! - ts[i - 1]!;
        gaps.push(round(g, 3));
        maxGap = Math.max(maxGap, g);
      }
      if (ts.length >= 2 && maxGap <= (1.2 * INTERVAL_MS) / 1000 + 0.5) within++;
    }
    const capped = daemon.events('send-capped')[0]?.line;
    return {
      name: spec.name,
      delegates: delegates.length,
      ownAddresses: own.length,
      heldByPeer: held.length,
      intervalMs: delegates.length ? INTERVAL_MS : 0,
      maxSendRate: delegates.length ? CAP : 0,
      filter: daemon.events('filter').map((l) => ({ strategy: String(l.line.strategy), addresses: Number(l.line.addresses) })),
      filterPlan: filterFor(delegates.length ? delegates : own),
      sendCapped: capped ? { neededPerSecond: Number(capped.neededPerSecond), cap: Number(capped.cap), roundSeconds: Number(capped.roundSeconds) } : null,
      metrics: {
        probeRoundSeconds: metricValue(text, 'dupip_probe_round_duration_seconds'),
        sendCapped: metricValue(text, 'dupip_send_capped'),
      },
      startupS,
      usage,
      scrape: { count: scrapes.count, everyS: scrapes.everyMs / 1000, cpuMs: round(Math.max(...scrapeCpu), 1), bytes: Buffer.byteLength(text), rssAfterMb: round(rssAfterMb, 1) },
      wire: {
        windowS: round(windowS, 2),
        probes: total,
        probesPerSecond: round(total / windowS, 1),
        addressesProbed: [...probes.keys()].length,
        probesPerAddressPerInterval: delegates.length ? distribution(perInterval) : null,
        gapS: distribution(gaps),
        addressesWithinInterval: within,
        portFramesPerSecond: round((portAfter.rxPackets - portBefore.rxPackets) / windowS, 1),
        witnessDropped: witness.droppedByKernel,
      },
    };
  } finally {
    await lab.destroy();
  }
}

export async function runScale(opts: { quick: boolean }): Promise<ScaleResult> {
  const warmupMs = opts.quick ? 4000 : 16_000;
  const windowMs = opts.quick ? 12_000 : 60_000;
  progress(`scale: ${DELEGATES} delegates contiguous and scattered over 198.18.0.0/15, 1,000 own addresses; 3 runs side by side; warm-up ${warmupMs / 1000} s, window ${windowMs / 1000} s`);
  const specs: Spec[] = [
    { name: 'contiguous', delegates: contiguous(DELEGATES, 4096), own: [] },
    { name: 'scattered', delegates: scattered(DELEGATES, 14, { exclude: [SENDER] }), own: [] },
    { name: 'own', delegates: [], own: scattered(1000, 1000, { from: 65_536, span: 65_536 - 2, exclude: [SENDER] }) },
  ];
  const runs = await Promise.all(specs.map((s) => one(s, warmupMs, windowMs, opts.quick ? SCRAPES.quick : SCRAPES.full)));
  return { warmupS: warmupMs / 1000, windowS: windowMs / 1000, runs };
}
