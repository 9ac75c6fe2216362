/**
 * Scenario 4, floods: test/tools/arp-flood.mjs on h1 while dupip and arpwatch run side by side on h0.
 *
 *   unwatched  50,000 frames/s of ARP requests between random addresses of 198.51.100.0/24, each
 *              from a new random sender MAC: nothing dupip watches (h0 holds 192.0.2.1 and
 *              192.0.2.10-19), so its kernel filter should drop every frame; arpwatch is told the
 *              subnet is local (-n), as an operator watching that segment would, and processes each
 *   spoof      10,000 frames/s of gratuitous ARP claiming 192.0.2.10 (held and watched by h0), each
 *              from a new random sender MAC
 *
 * Each flood runs for the same duration; CPU (utime+stime) and RSS of both processes are taken over
 * the flood plus one second of drain, next to an idle window before the floods. Delivery is proven
 * by the bridge's counters: frames received on the flooder's port p1 and sent out of h0's port p0,
 * and received on h0's eth0, plus dupip's own dupip_frames_received_total.
 */
import { join } from 'node:path';
import { Lab } from '../../test/lab/lab.js';
import { Arpwatch } from '../lib/arpwatch.js';
import { BenchDaemon, REPO } from '../lib/daemon.js';
import { addAddresses, counterDelta, linkCounters, metricValue, Poller, range, type LinkCounters } from '../lib/lab-extra.js';
import { UsageMeter, type UsageWindow } from '../lib/proc.js';
import { delay, progress, round } from '../lib/util.js';

export interface FloodRun {
  mode: 'unwatched' | 'spoof';
  requestedRate: number;
  seconds: number;
  flooder: { sent: number; dropped: number; seconds: number; rate: number } | null;
  /** bridge port of the flooder: frames received */
  bridgeIn: LinkCounters;
  /** bridge port of h0: frames sent towards h0 */
  bridgeOut: LinkCounters;
  /** h0's eth0 */
  hostIn: LinkCounters;
  deliveredRate: number;
  dupip: UsageWindow;
  arpwatch: UsageWindow;
  /** dupip_frames_received_total during the flood (frames that passed its kernel filter) */
  dupipFramesReceived: number | null;
  dupipOverflowMacs: number | null;
}

export interface FloodResult {
  idle: { dupip: UsageWindow; arpwatch: UsageWindow };
  runs: FloodRun[];
}

const WATCHED = range('192.0.2', 10, 19);

export async function runFlood(opts: { quick: boolean }): Promise<FloodResult> {
  const seconds = opts.quick ? 4 : 30;
  const lab = await Lab.create({ hosts: 2 });
  try {
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await addAddresses(h0, ['192.0.2.1/24', ...WATCHED.map((a) => `${a}/24`)]);
    await addAddresses(h1, ['192.0.2.2/24']);
    const daemon = await BenchDaemon.start(h0, { args: ['--interface', h0.ifname] });
    const arpwatch = await Arpwatch.start(h0, {
      known: ['192.0.2.1', ...WATCHED].map((ip) => ({ ip, mac: h0.mac })),
      nets: ['198.51.100.0/24'],
      discardOutput: true,
    });
    const poller = await Poller.start(h0, daemon.port, daemon.controlSocket);
    await delay(opts.quick ? 1500 : 10_000);
    const idleWindow = opts.quick ? 2000 : 10_000;
    progress(`flood: idle window ${idleWindow / 1000} s`);
    const idleD = new UsageMeter(daemon.pid, 1000).start();
    const idleA = new UsageMeter(arpwatch.pid, 1000).start();
    await delay(idleWindow);
    const idle = { dupip: idleD.stop(), arpwatch: idleA.stop() };

    const runs: FloodRun[] = [];
    for (const [mode, rate] of [
      ['unwatched', 50_000],
      ['spoof', 10_000],
    ] as const) {
      progress(`flood: ${mode}, ${rate} frames/s for ${seconds} s`);
      const before = { p1: await linkCounters(lab.bridge, 'p1'), p0: await linkCounters(lab.bridge, 'p0'), eth0: await linkCounters(h0, h0.ifname) };
      const scrapeBefore = await poller.scrape();
      const md = new UsageMeter(daemon.pid, 1000).start();
      const ma = new UsageMeter(arpwatch.pid, 1000).start();
      const args = [join(REPO, 'test/tools/arp-flood.mjs'), '--interface', h1.ifname, '--mode', mode, '--count', String(rate * seconds), '--rate', String(rate), '--seed', '5227'];
      args.push(...(mode === 'spoof' ? ['--address', WATCHED[0]!] : ['--subnet', '198.51.100.0/24']));
      const r = await h1.exec(process.execPath, args, { timeoutMs: (seconds + 60) * 1000 });
      await delay(1000); // let both drain their queues
      const dupipUse = md.stop();
      const awUse = ma.stop();
      const after = { p1: await linkCounters(lab.bridge, 'p1'), p0: await linkCounters(lab.bridge, 'p0'), eth0: await linkCounters(h0, h0.ifname) };
      const scrapeAfter = await poller.scrape();
      let flooder: FloodRun['flooder'] = null;
      try {
        const o = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { sent: number; dropped: number; seconds: number; rate: number };
        flooder = { sent: o.sent, dropped: o.dropped, seconds: o.seconds, rate: o.rate };
      } catch {
        progress(`flood: ${mode}: flooder said ${r.stdout} ${r.stderr}`);
      }
      const diff = (name: string) => {
        const a = metricValue(scrapeBefore, name);
        const b = metricValue(scrapeAfter, name);
        return a === null || b === null ? null : b - a;
      };
      const bridgeIn = counterDelta(before.p1, after.p1);
      runs.push({
        mode,
        requestedRate: rate,
        seconds,
        flooder,
        bridgeIn,
        bridgeOut: counterDelta(before.p0, after.p0),
        hostIn: counterDelta(before.eth0, after.eth0),
        deliveredRate: round(bridgeIn.rxPackets / (flooder?.seconds ?? seconds), 0),
        dupip: dupipUse,
        arpwatch: awUse,
        dupipFramesReceived: diff('dupip_frames_received_total'),
        dupipOverflowMacs: diff('dupip_conflict_macs_overflow_total'),
      });
      await delay(opts.quick ? 1000 : 5000);
    }
    poller.close();
    await Promise.all([daemon.stop(), arpwatch.stop()]);
    return { idle, runs };
  } finally {
    await lab.destroy();
  }
}
