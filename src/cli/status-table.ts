/** The `dupip status` table. Pure: the time and whether to colour are passed in. */
import type { StatusAddress, StatusReport } from '../control/protocol.js';
import type { AddressState } from '../core/events.js';
import { approx } from '../core/recurrence.js';
import type { HistoryEpisode } from '../journal/records.js';

/** States that make `dupip status` exit 1. */
export const FAILING_STATES: readonly AddressState[] = ['conflict', 'split-brain', 'unanswered'];

const COLOUR: Record<AddressState, string> = {
  ok: '32',
  conflict: '31;1',
  'split-brain': '31;1',
  unanswered: '31;1',
  contested: '33',
  unknown: '33',
};

const ago = (now: number, iso: string | null) => (iso === null ? 'never' : `${approx(Math.max(0, now - Date.parse(iso)))} ago`);

function role(a: StatusAddress): string {
  return a.role === 'own' ? 'own' : a.held ? 'delegate (held)' : 'delegate';
}

function macs(a: StatusAddress): string {
  if (a.macs.length) return a.macs.join(', ') + (a.macOverflow ? ` +${a.macOverflow} more` : '');
  if (a.role === 'delegate' && !a.held && a.holders.length) return `held by ${a.holders.join(', ')}`;
  if (a.passive) return 'not probed: no IPv4 address on the interface to ask from';
  return '-';
}

export function describeEpisode(e: HistoryEpisode | null, now: number): string {
  if (!e) return '-';
  const start = Date.parse(e.start);
  const kind = e.kind === 'split-brain' ? 'split brain' : 'conflict';
  switch (e.status) {
    case 'open':
      return `${kind} now, for ${approx(now - start)}`;
    case 'interrupted':
      return `${kind} ${approx(now - start)} ago (interrupted by a restart)`;
    case 'ended':
      return `${kind} ${approx(now - start)} ago, lasted ${approx(Date.parse(e.end!) - start)}`;
  }
}

export function renderStatus(report: StatusReport, now: number, colour: boolean): string {
  const header = ['ADDRESS', 'ROLE', 'INTERFACE', 'STATE', 'MACS', 'LAST PROBE', 'LAST EPISODE', 'RECURRENCE'];
  const rows = report.addresses.map((a) => [a.address, role(a), a.interface, a.state, macs(a), ago(now, a.lastProbe), describeEpisode(a.lastEpisode, now), a.recurrence ?? '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], states?: AddressState) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : c.padEnd(widths[i]!);
        return colour && states && i === 3 ? `\u001b[${COLOUR[states]}m${padded}\u001b[0m` : padded;
      })
      .join('  ')
      .trimEnd();
  const out = [line(header), ...report.addresses.map((a, k) => line(rows[k]!, a.state))];
  if (report.addresses.length === 0) out.push('(no address is monitored)');
  out.push(...intruderLines(report, now));
  if (report.notes?.length) out.push('', 'Notes:', ...report.notes.map((n) => `  ${n}`));
  const counts = new Map<string, number>();
  for (const a of report.addresses) counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  out.push('', `${report.addresses.length} address(es)${summary ? `: ${summary}` : ''}; ${report.historyTotal} episode(s) in the history${report.daemon.healthy ? '' : '; the daemon is NOT healthy (see its log)'}`);
  for (const p of report.proxies ?? []) {
    const why = p.reason === 'canary' ? 'it answered for the canary address' : `it answered for ${p.addresses.length} watched addresses it never claimed`;
    out.push(`MAC ${p.mac} answers ARP for the subnet on ${p.interface}: proxy ARP or a cloud fabric (${why}; since ${p.since}); its answers are not counted as holders`);
  }
  if (report.journal?.off) out.push(`history is off, new episodes are not recorded: ${report.journal.off}`);
  return `${out.join('\n')}\n`;
}

/** Below the table: every foreign MAC of a current conflict, what it is, since when. */
function intruderLines(report: StatusReport, now: number): string[] {
  const lines: string[] = [];
  for (const a of report.addresses) {
    for (const m of a.intruders ?? []) {
      const eth = m.ethernetSource ? `; Ethernet source ${m.ethernetSource.mac} (${m.ethernetSource.description})` : '';
      lines.push(`  ${a.address} on ${a.interface}: ${m.mac}  ${m.description}${eth}; first seen ${ago(now, m.firstSeen)}, last seen ${ago(now, m.lastSeen)}, ${m.frames} frame(s)`);
    }
  }
  return lines.length ? ['', 'Foreign MACs:', ...lines] : [];
}

export function exitCodeFor(report: StatusReport): number {
  return report.addresses.some((a) => FAILING_STATES.includes(a.state)) ? 1 : 0;
}
