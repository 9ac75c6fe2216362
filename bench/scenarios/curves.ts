/**
 * Scaling curves (issue 14): dupip's CPU and RSS against
 *   addresses  the number of watched (own) addresses: 1, 100, 1,000, 4,096 in 198.18.0.0/15, held
 *              by the daemon's host, default intervals, nothing else on the segment; arpwatch beside
 *              in each lab as the anchor (its cost does not depend on a list of addresses);
 *   rate       a spoofing flood (new sender MAC per frame) claiming one held, watched address at
 *              1,000, 10,000 and 50,000 frames/s, dupip and arpwatch side by side on the same host.
 * The address runs go side by side, one lab each; the rate runs one after another in one lab.
 * bench/svg.ts draws both as docs/benchmarks.svg.
 */
import { Lab } from '../../test/lab/lab.js';
import { Arpwatch } from '../lib/arpwatch.js';
import { scattered, filterFor } from '../lib/bench-range.js';
import { BenchDaemon } from '../lib/daemon.js';
import { addAddresses } from '../lib/lab-extra.js';
import { UsageMeter, type UsageWindow } from '../lib/proc.js';
import { spoofFlood, type SpoofFlood } from '../lib/spoof.js';
import { delay, progress } from '../lib/util.js';

export interface AddressPoint {
  addresses: number;
  filter: string;
  dupip: UsageWindow;
  arpwatch: UsageWindow;
}

export interface RatePoint {
  flood: SpoofFlood;
  dupip: UsageWindow;
  arpwatch: UsageWindow;
}

export interface CurvesResult {
  windowS: number;
  floodS: number;
  addresses: AddressPoint[];
  rates: RatePoint[];
}

export const ADDRESS_COUNTS = [1, 100, 1000, 4096] as const;
export const RATES = [1000, 10_000, 50_000] as const;
const SPOOFED = '198.18.0.10';

async function addressPoint(n: number, warmupMs: number, windowMs: number): Promise<AddressPoint> {
  const lab = await Lab.create({ hosts: 1 });
  try {
    const h0 = lab.host(0);
    const own = n === 1 ? [SPOOFED] : scattered(n, 100 + n);
    await addAddresses(h0, own.map((a) => `${a}/32`));
    const daemon = await BenchDaemon.start(h0, { args: ['--interface', h0.ifname], timeoutMs: 90_000 });
    const arpwatch = await Arpwatch.start(h0, { known: own.slice(0, 1).map((ip) => ({ ip, mac: h0.mac })), discardOutput: true });
    await delay(warmupMs);
    const md = new UsageMeter(daemon.pid, 2000).start();
    const ma = new UsageMeter(arpwatch.pid, 2000).start();
    await delay(windowMs);
    const point = { addresses: n, filter: filterFor(own).strategy, dupip: md.stop(), arpwatch: ma.stop() };
    await Promise.all([daemon.stop(), arpwatch.stop()]);
    return point;
  } finally {
    await lab.destroy();
  }
}

async function ratePoints(floodS: number, settleMs: number): Promise<RatePoint[]> {
  const lab = await Lab.create({ hosts: 2 });
  try {
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await addAddresses(h0, [`${SPOOFED}/24`]);
    await addAddresses(h1, ['198.18.0.2/24']);
    const daemon = await BenchDaemon.start(h0, { args: ['--interface', h0.ifname] });
    const arpwatch = await Arpwatch.start(h0, { known: [{ ip: SPOOFED, mac: h0.mac }], nets: ['198.18.0.0/24'], discardOutput: true });
    await delay(settleMs);
    const out: RatePoint[] = [];
    for (const rate of RATES) {
      progress(`curves: spoofing flood ${rate} frames/s for ${floodS} s`);
      const md = new UsageMeter(daemon.pid, 1000).start();
      const ma = new UsageMeter(arpwatch.pid, 1000).start();
      const flood = await spoofFlood(lab, h1, SPOOFED, rate, floodS, 14_000 + rate);
      await delay(1000); // drain
      out.push({ flood, dupip: md.stop(), arpwatch: ma.stop() });
      await delay(settleMs);
    }
    await Promise.all([daemon.stop(), arpwatch.stop()]);
    return out;
  } finally {
    await lab.destroy();
  }
}

/**
 * `beforeRates`: awaited between the address points and the floods (the full run lets the soak,
 * which floods for 10 minutes, overlap the idle address points but not these floods).
 */
export async function runCurves(opts: { quick: boolean; beforeRates?: () => Promise<unknown> }): Promise<CurvesResult> {
  const warmupMs = opts.quick ? 2000 : 10_000;
  const windowMs = opts.quick ? 4000 : 60_000;
  const floodS = opts.quick ? 2 : 20;
  progress(`curves: ${ADDRESS_COUNTS.join(', ')} own addresses side by side (${windowMs / 1000} s window), then floods at ${RATES.join(', ')} frames/s`);
  const addresses = await Promise.all(ADDRESS_COUNTS.map((n) => addressPoint(n, warmupMs, windowMs)));
  await opts.beforeRates?.();
  const rates = await ratePoints(floodS, opts.quick ? 500 : 5000);
  return { windowS: windowMs / 1000, floodS, addresses, rates };
}
