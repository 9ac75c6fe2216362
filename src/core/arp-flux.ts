/**
 * ARP flux: with arp_ignore=0 (Linux's default) a host answers ARP on every interface that
 * receives the request, each with its own MAC, so a host with two interfaces on one segment looks
 * exactly like two holders. This pure helper reads the detector's snapshots (it changes nothing)
 * and tells, for each pair of MACs answering one address together, what else it may be:
 *   - the pair also answers together for other addresses: likely one host (flux), say so;
 *   - the MACs differ only in the last octet (ports of one NIC): likely one host;
 *   - neither: cannot be told apart from a split brain; say that it may also be flux.
 * Bounded: at most MAX_MACS_PER_ADDRESS MACs per address (28 pairs) and MAX_FINDINGS findings.
 */
import type { EntrySnapshot } from './events.js';
import type { Mac } from './mac.js';
import { compareNatural } from './natural-order.js';

export const MAX_FINDINGS = 16;

export const FLUX_ADVICE = 'set net.ipv4.conf.all.arp_ignore=1 and net.ipv4.conf.all.arp_announce=2 on it';

export type FluxEvidence = 'several-addresses' | 'same-nic' | 'one-address';

export interface FluxFinding {
  macs: [Mac, Mac];
  /** Addresses both MACs answer for, sorted. */
  addresses: string[];
  evidence: FluxEvidence;
  text: string;
}

/** The foreign MACs answering for an address now, as the snapshot has them. */
export function answeringMacs(e: EntrySnapshot): Mac[] {
  if (e.role === 'delegate' && !e.held && e.holders.length >= 2) return [...e.holders];
  return e.macs.map((m) => m.mac);
}

/** True when two MACs differ only in their last octet (consecutive ports of one NIC, usually). */
export function sameNic(a: Mac, b: Mac): boolean {
  return a !== b && a.slice(0, 14) === b.slice(0, 14);
}

const MULTI: ReadonlySet<string> = new Set(['split-brain', 'conflict', 'contested']);

export function fluxFindings(entries: readonly EntrySnapshot[]): FluxFinding[] {
  const sets = entries.map((e) => ({ address: e.address, macs: new Set(answeringMacs(e)) }));
  const pairs = new Map<string, [Mac, Mac]>();
  for (const e of entries) {
    if (!MULTI.has(e.state)) continue;
    const macs = [...new Set(answeringMacs(e))].sort();
    for (let i = 0; i < macs.length; i++) for (let j = i + 1; j < macs.length; j++) pairs.set(`${macs[i]} ${macs[j]}`, [macs[i]!, macs[j]!]);
  }
  const findings: FluxFinding[] = [];
  for (const [x, y] of pairs.values()) {
    const addresses = [...new Set(sets.filter((s) => s.macs.has(x) && s.macs.has(y)).map((s) => s.address))].sort(compareNatural);
    const evidence: FluxEvidence = addresses.length >= 2 ? 'several-addresses' : sameNic(x, y) ? 'same-nic' : 'one-address';
    findings.push({ macs: [x, y], addresses, evidence, text: describe(x, y, addresses, evidence) });
  }
  const rank: Record<FluxEvidence, number> = { 'several-addresses': 0, 'same-nic': 1, 'one-address': 2 };
  return findings.sort((p, q) => rank[p.evidence] - rank[q.evidence] || q.addresses.length - p.addresses.length).slice(0, MAX_FINDINGS);
}

function describe(x: Mac, y: Mac, addresses: string[], evidence: FluxEvidence): string {
  const list = addresses.join(', ');
  switch (evidence) {
    case 'several-addresses':
      return `MACs ${x} and ${y} answer together for ${list}: may be one host with two interfaces on the segment (ARP flux): ${FLUX_ADVICE}`;
    case 'same-nic':
      return `MACs ${x} and ${y} answer together for ${list} and differ only in the last octet (two ports of one NIC?): may be one host with two interfaces on the segment (ARP flux): ${FLUX_ADVICE}`;
    case 'one-address':
      return `MACs ${x} and ${y} both answer for ${list}: two holders (split brain), or one host with two interfaces on the segment (ARP flux; if so, ${FLUX_ADVICE})`;
  }
}
