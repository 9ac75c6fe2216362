/**
 * Scenario 3, idle cost: dupip at default settings (10 s probe interval ±20%, 60 s announcements,
 * cap 50 frames/s) monitoring N own addresses on a quiet segment, after a warm-up, over a window.
 * The sizes run at the same time, each in its own lab (separate segments), next to two floors: a bare
 * Node process with a 1 s timer, and Node with dupip's metrics registry only (src/metrics:
 * DupipMetrics with its process metrics and event-loop sampler, dist/) and nothing else.
 *
 * Sizes: 1, 100, and 762 — every usable address of the three documentation /24s, the most the lab
 * may use (the house rules allow no other addresses); 1,000 own addresses cannot be built here. At
 * 762 the default cap already binds (762/10 s + 762/60 s = 89 frames/s > 50), as it would at
 * 1,000, so the daemon sends 50 frames/s in both cases.
 */
import { Lab, type LabHost } from '../../test/lab/lab.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BenchDaemon, REPO } from '../lib/daemon.js';
import { addAddresses, range } from '../lib/lab-extra.js';
import { UsageMeter, type UsageWindow } from '../lib/proc.js';
import { delay, progress } from '../lib/util.js';

export interface IdleRow {
  addresses: number;
  usage: UsageWindow;
  /** the daemon's send-capped line, when the cap binds */
  sendCapped: { neededPerSecond: number; cap: number; roundSeconds: number } | null;
}

export interface IdleResult {
  warmupS: number;
  windowS: number;
  rows: IdleRow[];
  nodeBaseline: UsageWindow;
  /** Node with dupip's metrics registry (DupipMetrics, process metrics included) and nothing else */
  metricsBaseline: UsageWindow;
}

function ownAddresses(n: number): string[] {
  const all = [...range('192.0.2', 1, 254), ...range('198.51.100', 1, 254), ...range('203.0.113', 1, 254)];
  if (n > all.length) throw new Error(`bench: only ${all.length} documentation addresses`);
  return all.slice(0, n).map((a) => `${a}/24`);
}

export async function runIdle(opts: { quick: boolean }): Promise<IdleResult> {
  const sizes = [1, 100, 762];
  const warmupMs = opts.quick ? 3000 : 20_000;
  const windowMs = opts.quick ? 8000 : 90_000;
  const labs: Lab[] = [];
  try {
    const hosts: LabHost[] = [];
    for (const n of sizes) {
      const lab = await Lab.create({ hosts: 1 });
      labs.push(lab);
      const h = lab.host(0);
      await addAddresses(h, ownAddresses(n));
      hosts.push(h);
    }
    const daemons = await Promise.all(hosts.map((h) => BenchDaemon.start(h, { args: ['--interface', h.ifname] })));
    const baseline = hosts[0]!.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const metricsModule = pathToFileURL(join(REPO, 'dist/metrics/metrics.js')).href;
    const metricsOnly = hosts[0]!.spawn(
      process.execPath,
      ['--input-type=module', '-e', `const { DupipMetrics } = await import(${JSON.stringify(metricsModule)}); new DupipMetrics({ version: 'bench' }); setInterval(() => {}, 1000);`],
      { stdio: 'ignore' },
    );
    progress(`idle: ${sizes.join(', ')} addresses; warm-up ${warmupMs / 1000} s, then ${windowMs / 1000} s measured`);
    await delay(warmupMs);
    const meters = daemons.map((d) => new UsageMeter(d.pid, 5000).start());
    const baseMeter = new UsageMeter(baseline.pid!, 5000).start();
    const metricsMeter = new UsageMeter(metricsOnly.pid!, 5000).start();
    await delay(windowMs);
    const usages = meters.map((m) => m.stop());
    const nodeBaseline = baseMeter.stop();
    const metricsBaseline = metricsMeter.stop();
    const rows = sizes.map((n, i) => {
      const capped = daemons[i]!.events('send-capped')[0]?.line;
      return {
        addresses: n,
        usage: usages[i]!,
        sendCapped: capped ? { neededPerSecond: Number(capped.neededPerSecond), cap: Number(capped.cap), roundSeconds: Number(capped.roundSeconds) } : null,
      };
    });
    await Promise.all(daemons.map((d) => d.stop()));
    baseline.kill('SIGTERM');
    metricsOnly.kill('SIGTERM');
    return { warmupS: warmupMs / 1000, windowS: windowMs / 1000, rows, nodeBaseline, metricsBaseline };
  } finally {
    for (const lab of labs) await lab.destroy();
  }
}
