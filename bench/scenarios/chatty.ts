/**
 * Scenario 1, chatty intruder: another host sends a gratuitous ARP claiming an address the daemon's
 * host holds. One fresh address per trial (the host holds all of them, each is hijacked once), so
 * every trial is a new detection for both tools without waiting for a conflict to clear.
 *
 *   h0  holds 192.0.2.1 and the trial addresses; runs dupip (default intervals) and arpwatch
 *       (database pre-filled with h0's MAC for every address)
 *   h1  the intruder: bench/tools/arp-send.mjs sends one claim per trial, at random gaps
 *   br  tcpdump on the intruder's bridge port p1: the wire time of each claim (t0)
 *   h0  also bench/tools/wake-floor.c: a C reader that only polls and reads ARP frames, the floor
 *       for "claim on the wire → a process has read it" on this machine, beside dupip
 *
 * Per trial: t0 → dupip's 'state … to conflict' line (its own timestamp, which has microseconds;
 * and when the harness read it), → arpwatch's report (when read), → the flip of dupip_conflict on /metrics (even trials) or
 * of the address's state in `dupip status` over the control socket (odd trials), polled back to
 * back from inside h0 as soon as the sender confirms the frame went out.
 */
import { Lab } from '../../test/lab/lab.js';
import { Arpwatch, type ArpwatchReport } from '../lib/arpwatch.js';
import { BenchDaemon } from '../lib/daemon.js';
import { addAddresses, ArpSender, Poller, range } from '../lib/lab-extra.js';
import { delay, distribution, progress, round, uniform, type Distribution } from '../lib/util.js';
import { WakeFloor } from '../lib/wake-floor.js';
import { Wire, type WireFrame } from '../lib/wire.js';

export interface ChattyTrial {
  address: string;
  /** wire time of the claim (ms since the epoch) */
  wireAt: number | null;
  /** sender's clock right before send() */
  sentAt: number;
  dupipLoggedMs: number | null;
  dupipReadMs: number | null;
  /** wire → the minimal C reader's read (the machine's floor) */
  floorMs?: number | null;
  arpwatchMs: number | null;
  arpwatchKind: string | null;
  flipKind: 'metric' | 'status';
  flipMs: number | null;
  flipPolls: number | null;
}

export interface ChattyResult {
  trials: number;
  addressesWatched: number;
  gapMs: [number, number];
  dupipLogged: Distribution | null;
  dupipRead: Distribution | null;
  /** the minimal C reader beside dupip: claim on the wire → read */
  floor?: Distribution | null;
  metricFlip: Distribution | null;
  statusFlip: Distribution | null;
  arpwatch: Distribution | null;
  arpwatchKinds: Record<string, number>;
  missed: { dupip: number; arpwatch: number; metric: number; status: number; wire: number };
  /** send → wire (how far the sender's own timestamp is from tcpdump's) */
  sendToWire: Distribution | null;
  /** trials whose conflict line came more than 10 ms after the claim */
  over10ms: number;
  /** frames tcpdump says it lost */
  witnessDropped: number | null;
  raw: ChattyTrial[];
}

export async function runChatty(opts: { quick: boolean }): Promise<ChattyResult> {
  const trials = opts.quick ? 20 : 240;
  const gap: [number, number] = opts.quick ? [60, 120] : [120, 280];
  const addresses = range('192.0.2', 10, 10 + trials - 1);
  const lab = await Lab.create({ hosts: 2 });
  try {
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await addAddresses(h0, ['192.0.2.1/24', ...addresses.map((a) => `${a}/24`)]);
    await addAddresses(h1, ['192.0.2.2/24']);
    const claims = new Map<string, WireFrame>();
    const wire = await Wire.start(lab.bridge, 'p1', () => false);
    wire.subscribe((f) => {
      if (f.kind === 'claim' && f.src === h1.mac && !claims.has(f.ip)) claims.set(f.ip, f);
    });
    const arpwatch = await Arpwatch.start(h0, { known: addresses.map((ip) => ({ ip, mac: h0.mac })) });
    const firstReport = new Map<string, ArpwatchReport>();
    arpwatch.subscribe((r) => {
      if (!firstReport.has(r.ip)) firstReport.set(r.ip, r);
    });
    const floor = await WakeFloor.start(h0);
    const daemon = await BenchDaemon.start(h0, { args: ['--interface', h0.ifname] });
    progress(`chatty: dupip watching ${addresses.length + 1} addresses; waiting for the first probe round`);
    if (!opts.quick) await daemon.waitStates(addresses, 'ok', 20_000);
    else await delay(1000);
    const poller = await Poller.start(h0, daemon.port, daemon.controlSocket);
    const sender = await ArpSender.start(h1);
    await delay(300);

    const results: ChattyTrial[] = [];
    const flips: Promise<void>[] = [];
    progress(`chatty: ${trials} trials, one claim every ${gap[0]}–${gap[1]} ms`);
    for (let i = 0; i < trials; i++) {
      const address = addresses[i]!;
      const sentAt = await sender.claim(address);
      const trial: ChattyTrial = {
        address,
        wireAt: null,
        sentAt,
        dupipLoggedMs: null,
        dupipReadMs: null,
        floorMs: null,
        arpwatchMs: null,
        arpwatchKind: null,
        flipKind: i % 2 === 0 ? 'metric' : 'status',
        flipMs: null,
        flipPolls: null,
      };
      results.push(trial);
      flips.push(
        poller.flip(trial.flipKind, address).then((r) => {
          if (r.ok && r.t !== undefined) {
            trial.flipMs = r.t; // made relative to the wire time below
            trial.flipPolls = r.polls;
          }
        }),
      );
      await delay(uniform(gap[0], gap[1]));
    }
    await Promise.all(flips);
    await delay(2500); // arpwatch's last reports
    const witness = await wire.stop();

    for (const t of results) {
      const w = claims.get(t.address);
      t.wireAt = w ? w.time * 1000 : null;
      const t0 = t.wireAt ?? t.sentAt;
      const d = daemon.find((l) => l.event === 'state' && l.address === t.address && l.to === 'conflict');
      if (d) {
        // The line's own time (microseconds; a baseline build whose log has whole milliseconds is read
        // at the upper end of its millisecond, so that figure reads up to 1 ms high: loggedBy).
        t.dupipLoggedMs = round(d.loggedBy - t0, 3);
        t.dupipReadMs = round(d.readAt - t0, 3);
      }
      const f = floor.firstRead.get(t.address);
      if (f !== undefined && t.wireAt !== null) t.floorMs = round(f - t.wireAt, 3);
      const a = firstReport.get(t.address);
      if (a) {
        t.arpwatchMs = round(a.readAt - t0, 3);
        t.arpwatchKind = a.kind;
      }
      if (t.flipMs !== null) t.flipMs = round(t.flipMs - t0, 3);
    }
    await Promise.all([daemon.stop(), arpwatch.stop()]);
    floor.stop();
    poller.close();
    sender.close();

    const kinds: Record<string, number> = {};
    for (const t of results) if (t.arpwatchKind) kinds[t.arpwatchKind] = (kinds[t.arpwatchKind] ?? 0) + 1;
    const pick = (f: (t: ChattyTrial) => number | null, sel: (t: ChattyTrial) => boolean = () => true) =>
      results.filter(sel).map(f).filter((v): v is number => v !== null);
    return {
      trials,
      addressesWatched: addresses.length + 1,
      gapMs: gap,
      dupipLogged: distribution(pick((t) => t.dupipLoggedMs)),
      dupipRead: distribution(pick((t) => t.dupipReadMs)),
      floor: distribution(pick((t) => t.floorMs ?? null)),
      metricFlip: distribution(pick((t) => t.flipMs, (t) => t.flipKind === 'metric')),
      statusFlip: distribution(pick((t) => t.flipMs, (t) => t.flipKind === 'status')),
      arpwatch: distribution(pick((t) => t.arpwatchMs)),
      arpwatchKinds: kinds,
      missed: {
        dupip: results.filter((t) => t.dupipLoggedMs === null).length,
        arpwatch: results.filter((t) => t.arpwatchMs === null).length,
        metric: results.filter((t) => t.flipKind === 'metric' && t.flipMs === null).length,
        status: results.filter((t) => t.flipKind === 'status' && t.flipMs === null).length,
        wire: results.filter((t) => t.wireAt === null).length,
      },
      sendToWire: distribution(results.filter((t) => t.wireAt !== null).map((t) => round(t.wireAt! - t.sentAt, 3))),
      over10ms: results.filter((t) => t.dupipLoggedMs !== null && t.dupipLoggedMs > 10).length,
      witnessDropped: witness.droppedByKernel,
      raw: results,
    };
  } finally {
    await lab.destroy();
  }
}
