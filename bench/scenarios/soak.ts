/**
 * Spoofing soak (issue 14): a 10-minute spoofing flood (10,000 frames/s, a new sender MAC per frame,
 * claiming one held and watched address) with dupip and arpwatch side by side; RSS sampled every
 * 5 s. V8 collects on its own schedule, so single samples jump; what must hold is the trend after
 * the first minute (least-squares slope, MB per minute) and the end against the start. Quick mode
 * (the smoke test) floods for 10 s.
 */
import { Lab } from '../../test/lab/lab.js';
import { Arpwatch } from '../lib/arpwatch.js';
import { BenchDaemon } from '../lib/daemon.js';
import { addAddresses } from '../lib/lab-extra.js';
import { UsageMeter, type UsageWindow } from '../lib/proc.js';
import { spoofFlood, type SpoofFlood } from '../lib/spoof.js';
import { delay, progress, round } from '../lib/util.js';

export interface SoakSeries {
  usage: UsageWindow;
  /** RSS samples after the settling part (the first minute; a third in quick mode) */
  slopeMbPerMin: number;
  settledStartMb: number;
  settledMaxMb: number;
}

export interface SoakResult {
  rate: number;
  seconds: number;
  sampleS: number;
  settleS: number;
  flood: SpoofFlood;
  dupip: SoakSeries;
  arpwatch: SoakSeries;
}

const SPOOFED = '198.18.1.10';

/** Least-squares slope of samples taken every `sampleS`, in units per minute. */
export function slopePerMinute(samples: readonly number[], sampleS: number): number {
  const n = samples.length;
  if (n < 2) return NaN;
  const mx = ((n - 1) * sampleS) / 2;
  const my = samples.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let den = 0;
  samples.forEach((v, i) => {
    num += (i * sampleS - mx) * (v - my);
    den += (i * sampleS - mx) ** 2;
  });
  return (num / den) * 60;
}

function series(usage: UsageWindow, sampleS: number, settleS: number): SoakSeries {
  const settled = usage.rssSeriesMb.slice(Math.ceil(settleS / sampleS));
  return {
    usage,
    slopeMbPerMin: round(slopePerMinute(settled, sampleS), 3),
    settledStartMb: settled[0] ?? NaN,
    settledMaxMb: Math.max(...settled),
  };
}

export async function runSoak(opts: { quick: boolean }): Promise<SoakResult> {
  const rate = 10_000;
  const seconds = opts.quick ? 10 : 600;
  const sampleS = opts.quick ? 1 : 5;
  const settleS = opts.quick ? 3 : 60;
  const lab = await Lab.create({ hosts: 2 });
  try {
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await addAddresses(h0, [`${SPOOFED}/24`]);
    await addAddresses(h1, ['198.18.1.2/24']);
    const daemon = await BenchDaemon.start(h0, { args: ['--interface', h0.ifname] });
    const arpwatch = await Arpwatch.start(h0, { known: [{ ip: SPOOFED, mac: h0.mac }], nets: ['198.18.1.0/24'], discardOutput: true });
    await delay(opts.quick ? 1000 : 5000);
    progress(`soak: spoofing flood ${rate} frames/s for ${seconds} s, RSS every ${sampleS} s`);
    const md = new UsageMeter(daemon.pid, sampleS * 1000).start();
    const ma = new UsageMeter(arpwatch.pid, sampleS * 1000).start();
    const flood = await spoofFlood(lab, h1, SPOOFED, rate, seconds, 600);
    const result: SoakResult = { rate, seconds, sampleS, settleS, flood, dupip: series(md.stop(), sampleS, settleS), arpwatch: series(ma.stop(), sampleS, settleS) };
    await Promise.all([daemon.stop(), arpwatch.stop()]);
    return result;
  } finally {
    await lab.destroy();
  }
}
