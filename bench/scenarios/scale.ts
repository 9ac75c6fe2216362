/**
 * Scenario 5, scale: one daemon with many delegate addresses (configuration file, `interface: eth0`
 * each, own_addresses off), a second host holding one in four of them (its kernel answers the
 * probes), debug logging for the 'filter' line that names the kernel filter strategy.
 *
 * The issue asks for 4,096 delegates. The lab may only use the three documentation /24s (house rule),
 * which hold 768 addresses; one is the daemon host's own (delegates held elsewhere are asked with
 * ordinary requests from an own address, never 0.0.0.0), so 767 are delegates, and the runs are:
 *   raised   768 delegates, probe interval 10 s, max_send_rate 500
 *   default  768 delegates, probe interval 10 s, max_send_rate 50 (default): 76.8 probes/s needed,
 *            so the cap binds and the round stretches to ~15.4 s — dupip must say so
 *   equiv    768 delegates, probe interval 1.875 s, max_send_rate 500: 409.6 probes/s and ~102
 *            answers/s, the frame rates of 4,096 delegates at 10 s (the per-address memory of 4,096
 *            entries and the filter strategy of 4,096 addresses are not reproduced)
 * The three run at the same time, each in its own lab. tcpdump on the daemon's bridge port records
 * every probe it sends; per address: probes per interval and the gaps between its probes.
 */
import { Lab } from '../../test/lab/lab.js';
import { BenchDaemon } from '../lib/daemon.js';
import { addAddresses, allDocumentationAddresses, linkCounters, metricValue, Poller } from '../lib/lab-extra.js';
import { UsageMeter, type UsageWindow } from '../lib/proc.js';
import { delay, distribution, progress, round, type Distribution } from '../lib/util.js';
import { Wire } from '../lib/wire.js';

export interface ScaleRun {
  name: 'raised' | 'default' | 'equiv';
  delegates: number;
  heldByPeer: number;
  intervalMs: number;
  maxSendRate: number;
  /** the 'filter' debug line(s): strategy and address count */
  filter: Array<{ strategy: string; addresses: number }>;
  sendCapped: { neededPerSecond: number; cap: number; roundSeconds: number } | null;
  metrics: { probeRoundSeconds: number | null; sendCapped: number | null };
  usage: UsageWindow;
  wire: {
    windowS: number;
    probes: number;
    probesPerSecond: number;
    addressesProbed: number;
    /** per address: probes in the window × interval / window */
    probesPerAddressPerInterval: Distribution | null;
    /** all gaps between two probes of the same address, seconds */
    gapS: Distribution | null;
    /** addresses whose longest gap was ≤ 1.2 × interval + 0.5 s */
    addressesWithinInterval: number;
    /** frames/s the daemon's bridge port received over the window (all its frames, a cross-check) */
    portFramesPerSecond: number;
    /** frames tcpdump itself says it lost (then the per-address figures undercount) */
    witnessDropped: number | null;
  };
}

export interface ScaleResult {
  addressPool: number;
  warmupS: number;
  windowS: number;
  runs: ScaleRun[];
}

/** Every documentation address but one, which is the daemon host's own (the sender of its requests). */
const DELEGATES = allDocumentationAddresses().slice(0, -1);
const OWN = allDocumentationAddresses().at(-1)!;

function configYaml(addresses: readonly string[], intervalMs: number, cap: number): string {
  return [
    'interfaces: [eth0]',
    'own_addresses: false',
    `probe_interval: ${intervalMs}ms`,
    `max_send_rate: ${cap}`,
    'log_level: debug',
    'delegates:',
    ...addresses.map((a) => `  - address: ${a}\n    interface: eth0`),
    '',
  ].join('\n');
}

async function one(name: ScaleRun['name'], intervalMs: number, cap: number, warmupMs: number, windowMs: number): Promise<ScaleRun> {
  const addresses = DELEGATES;
  const held = addresses.filter((_, i) => i % 4 === 0);
  const lab = await Lab.create({ hosts: 2 });
  try {
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await addAddresses(h1, held.map((a) => `${a}/32`));
    // Delegates held elsewhere are asked with ordinary requests from an address of the daemon's
    // host (never 0.0.0.0): h0 holds the one documentation address that is not a delegate.
    await h0.addAddress(`${OWN}/32`);
    // Probes are selected by their own (kernel) timestamps: tcpdump hands lines over in batches.
    const seen: Array<{ ip: string; time: number }> = [];
    const wire = await Wire.start(lab.bridge, 'p0', () => false);
    wire.subscribe((f) => {
      if ((f.kind === 'probe' || f.kind === 'request') && f.src === h0.mac) seen.push({ ip: f.ip, time: f.time });
    });
    const daemon = await BenchDaemon.start(h0, { configYaml: configYaml(addresses, intervalMs, cap), timeoutMs: 60_000 });
    const poller = await Poller.start(h0, daemon.port, daemon.controlSocket);
    await delay(warmupMs);
    const portBefore = await linkCounters(lab.bridge, 'p0');
    const meter = new UsageMeter(daemon.pid, 2000).start();
    const ws = Date.now() / 1000;
    await delay(windowMs);
    const we = Date.now() / 1000;
    const usage = meter.stop();
    const portAfter = await linkCounters(lab.bridge, 'p0');
    const text = await poller.scrape();
    await delay(1500); // tcpdump hands over its buffered frames
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
    for (const a of addresses) {
      const ts = probes.get(a) ?? [];
      perInterval.push(round((ts.length * (intervalMs / 1000)) / windowS, 3));
      let maxGap = 0;
      for (let i = 1; i < ts.length; i++) {
        const g = ts[i]! - ts[i - 1]!;
        gaps.push(round(g, 3));
        maxGap = Math.max(maxGap, g);
      }
      if (ts.length >= 2 && maxGap <= (1.2 * intervalMs) / 1000 + 0.5) within++;
    }
    const capped = daemon.events('send-capped')[0]?.line;
    return {
      name,
      delegates: addresses.length,
      heldByPeer: held.length,
      intervalMs,
      maxSendRate: cap,
      filter: daemon.events('filter').map((l) => ({ strategy: String(l.line.strategy), addresses: Number(l.line.addresses) })),
      sendCapped: capped ? { neededPerSecond: Number(capped.neededPerSecond), cap: Number(capped.cap), roundSeconds: Number(capped.roundSeconds) } : null,
      metrics: {
        probeRoundSeconds: metricValue(text, 'dupip_probe_round_duration_seconds'),
        sendCapped: metricValue(text, 'dupip_send_capped'),
      },
      usage,
      wire: {
        windowS: round(windowS, 2),
        probes: total,
        probesPerSecond: round(total / windowS, 1),
        addressesProbed: [...probes.keys()].length,
        probesPerAddressPerInterval: distribution(perInterval),
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
  progress(`scale: ${DELEGATES.length} delegates, 3 runs side by side; warm-up ${warmupMs / 1000} s, window ${windowMs / 1000} s`);
  const runs = await Promise.all([
    one('raised', 10_000, 500, warmupMs, windowMs),
    one('default', 10_000, 50, warmupMs, windowMs),
    one('equiv', 1875, 500, warmupMs, windowMs),
  ]);
  return { addressPool: 768, warmupS: warmupMs / 1000, windowS: windowMs / 1000, runs };
}
