/** Builds the `status` answer from the daemon's view and the conflict history. */
import { fluxFindings } from '../core/arp-flux.js';
import { describeRecurrence } from '../core/recurrence.js';
import { compareSnapshots } from '../core/snapshot-order.js';
import type { DaemonView } from '../daemon/observer.js';
import type { HistoryEpisode } from '../journal/records.js';
import { macDetails } from '../platform/oui-file.js';
import type { StatusAddress, StatusReport } from './protocol.js';

export const HISTORY_LIMIT = 500;

export interface ReportContext {
  version: string;
  pid: number;
  /** Wall-clock ms. */
  now: number;
  /** Minutes east of UTC, for "recurs at minutes …" (the daemon's local time). */
  tzOffsetMinutes: number;
  journal: StatusReport['journal'];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function buildStatus(view: DaemonView, history: readonly HistoryEpisode[], ctx: ReportContext): StatusReport {
  const byAddress = new Map<string, HistoryEpisode[]>();
  for (const e of history) {
    const key = `${e.interface}/${e.address}`;
    const list = byAddress.get(key);
    if (list) list.push(e);
    else byAddress.set(key, [e]);
  }
  const addresses: StatusAddress[] = view.addresses().sort(compareSnapshots).map((e) => {
    const episodes = byAddress.get(`${e.interface}/${e.address}`) ?? [];
    const recurrence = describeRecurrence(episodes.map((x) => Date.parse(x.start)), { tzOffsetMinutes: ctx.tzOffsetMinutes });
    return {
      address: e.address,
      interface: e.interface,
      role: e.role,
      held: e.held,
      state: e.state,
      macs: e.macs.map((m) => m.mac),
      intruders: e.macs.map((m) => ({
        ...macDetails(m.mac),
        firstSeen: iso(view.toWallClock(m.firstSeen))!,
        lastSeen: iso(view.toWallClock(m.lastSeen))!,
        frames: m.frames,
        ...(m.ethernetSource ? { ethernetSource: macDetails(m.ethernetSource) } : {}),
      })),
      macOverflow: e.macOverflow,
      holders: [...e.holders],
      lastProbe: iso(e.lastProbe === null ? null : view.toWallClock(e.lastProbe)),
      ...(e.passive ? { passive: true as const } : {}),
      episodeStart: iso(e.episodeStart === null ? null : view.toWallClock(e.episodeStart)),
      episodes: episodes.length,
      lastEpisode: episodes.at(-1) ?? null,
      recurrence: recurrence?.text ?? null,
    };
  });
  return {
    daemon: { version: ctx.version, pid: ctx.pid, startedAt: new Date(view.startedAt).toISOString(), healthy: view.healthy(), now: new Date(ctx.now).toISOString() },
    addresses,
    history: history.slice(-HISTORY_LIMIT),
    historyTotal: history.length,
    journal: ctx.journal,
    proxies: (view.proxies?.() ?? []).map((p) => ({ ...p, since: iso(view.toWallClock(p.since))!, lastSeen: iso(view.toWallClock(p.lastSeen))! })),
    notes: fluxFindings(view.addresses()).map((f) => f.text),
  };
}
