/**
 * A spoofing flood from a second lab host (test/tools/arp-flood.mjs --mode spoof: gratuitous ARP
 * claiming an address the daemon's host holds, each from a new random sender MAC), with the bridge
 * counters that prove how many frames were delivered.
 */
import { join } from 'node:path';
import type { Lab, LabHost } from '../../test/lab/lab.js';
import { linkCounters } from './lab-extra.js';
import { REPO } from './daemon.js';
import { round } from './util.js';

export interface SpoofFlood {
  requestedRate: number;
  seconds: number;
  sent: number | null;
  /** frames the flooder's bridge port received, per second of the flood */
  deliveredRate: number;
}

/** Floods `address` from `from` at `rate` frames/s for `seconds`; resolves when the flooder exits. */
export async function spoofFlood(lab: Lab, from: LabHost, address: string, rate: number, seconds: number, seed = 5227): Promise<SpoofFlood> {
  const port = `p${lab.hosts.indexOf(from)}`;
  const before = await linkCounters(lab.bridge, port);
  const t0 = Date.now();
  const args = [join(REPO, 'test/tools/arp-flood.mjs'), '--interface', from.ifname, '--mode', 'spoof', '--address', address];
  args.push('--count', String(Math.round(rate * seconds)), '--rate', String(rate), '--seed', String(seed));
  const r = await from.exec(process.execPath, args, { timeoutMs: (seconds + 60) * 1000 });
  const took = (Date.now() - t0) / 1000;
  const after = await linkCounters(lab.bridge, port);
  let sent: number | null = null;
  try {
    sent = (JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { sent: number }).sent;
  } catch {
    /* reported as null */
  }
  if (r.code !== 0 && sent === null) throw new Error(`bench: arp-flood failed (${r.code}): ${r.stderr.trim()}`);
  return { requestedRate: rate, seconds, sent, deliveredRate: round((after.rxPackets - before.rxPackets) / Math.max(took, seconds), 0) };
}
