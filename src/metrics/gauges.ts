/**
 * Gauges computed at scrape time from the daemon's view: reset, then set, so an address or
 * interface that is no longer monitored disappears from the next scrape.
 */
import { ADDRESS_STATES, type EntrySnapshot } from '../core/events.js';
import { compareSnapshots } from '../core/snapshot-order.js';
import type { DaemonView } from '../daemon/observer.js';
import { compareLabels } from './counts.js';
import { type Registry, type Samples } from './registry.js';

type ViewSource = () => DaemonView | null;

const ADDRESS_LABELS = ['address', 'interface', 'role'] as const;

/** Monitored addresses in a stable order: interface, then address (numerically), then role. */
export function sortedAddresses(view: DaemonView): EntrySnapshot[] {
  return view.addresses().sort(compareSnapshots);
}

/** Number of MACs answering for a delegate, or null while unknown (no completed probe round yet). */
export function delegateHolders(e: EntrySnapshot): number | null {
  if (e.role !== 'delegate' || e.state === 'unknown') return null;
  if (e.held) return 1 + (e.state === 'conflict' ? e.macs.length : 0);
  return Math.max(e.holders.length, e.state === 'split-brain' ? e.macs.length : 0);
}

/** What a collect function writes through: a label object (or nothing, unlabelled) and a value. */
export interface GaugeWriter<L extends string> {
  set(labels: Record<L, string>, value: number): void;
  set(value: number): void;
}

/** Adapts Samples to label objects, in the order of `labelNames`. */
export function writer<L extends string>(s: Samples, labelNames: readonly L[]): GaugeWriter<L> {
  const values = (labels: Record<L, string>) => labelNames.map((n) => labels[n]);
  return {
    set(labels: Record<L, string> | number, value?: number) {
      if (typeof labels === 'number') s.set([], labels);
      else s.set(values(labels), value!);
    },
  } as GaugeWriter<L>;
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], fill: (g: GaugeWriter<L>, view: DaemonView) => void, source: ViewSource) {
  registry.gauge(name, help, labelNames, (s) => {
    const view = source();
    if (view) fill(writer(s, labelNames), view);
  });
}

export function registerGauges(registry: Registry, source: ViewSource, build: { version: string; nodeVersion: string }): void {
  registry.gauge('dupip_build_info', 'dupip build information; always 1.', ['version', 'node_version'], (s) => s.set([build.version, build.nodeVersion], 1));

  gauge(registry, 'dupip_healthy', '1 while every monitored, up interface has an open ARP socket and probes are going out.', [], (g, v) => g.set(v.healthy() ? 1 : 0), source);

  gauge(registry, 'dupip_address_info', 'A monitored address; role is own (configured on this host) or delegate (floating); scope is network when its interface faces the network, host when it is host-internal (containers); always 1.', [...ADDRESS_LABELS, 'scope'], (g, v) => {
    const scopes = new Map(v.interfaces().map((i) => [i.name, i.scope ?? 'network']));
    for (const e of sortedAddresses(v)) g.set({ ...labels(e), scope: scopes.get(e.interface) ?? 'network' }, 1);
  }, source);

  gauge(registry, 'dupip_conflict', '1 while a foreign MAC claims an address this host holds (state conflict), else 0.', ADDRESS_LABELS, (g, v) => {
    for (const e of sortedAddresses(v)) g.set(labels(e), e.state === 'conflict' ? 1 : 0);
  }, source);

  gauge(registry, 'dupip_address_state', 'State of a monitored address, one-hot over ok, conflict, contested, split-brain, unanswered and unknown.', [...ADDRESS_LABELS, 'state'], (g, v) => {
    for (const e of sortedAddresses(v)) for (const s of ADDRESS_STATES) g.set({ ...labels(e), state: s }, e.state === s ? 1 : 0);
  }, source);

  gauge(registry, 'dupip_conflict_macs_info', 'A foreign MAC of the current conflict, contest or split brain of an address (at most 8 per address); always 1.', ['address', 'interface', 'mac'], (g, v) => {
    for (const e of sortedAddresses(v)) for (const m of e.macs) g.set({ address: e.address, interface: e.interface, mac: m.mac }, 1);
  }, source);

  gauge(registry, 'dupip_delegate_holders', 'MACs answering for a delegate address in the last probe round, this host included when it holds it (absent until the first round).', ['address'], (g, v) => {
    for (const e of sortedAddresses(v)) {
      const n = delegateHolders(e);
      if (n !== null) g.set({ address: e.address }, n);
    }
  }, source);

  gauge(registry, 'dupip_last_probe_timestamp_seconds', 'Wall-clock time of the last probe sent for an address (absent before the first).', ['address'], (g, v) => {
    const last = new Map<string, number>();
    for (const e of sortedAddresses(v)) {
      if (e.lastProbe === null) continue;
      const t = v.toWallClock(e.lastProbe) / 1000;
      last.set(e.address, Math.max(t, last.get(e.address) ?? 0));
    }
    for (const [address, t] of last) g.set({ address }, t);
  }, source);

  const interfaces = (v: DaemonView) => v.interfaces().sort((a, b) => compareLabels(['name'], a, b));

  gauge(registry, 'dupip_interface_info', "Every ARP-capable interface of this host and its MAC, monitored or not, so another host's conflict can be traced here; kind is what the link is, scope network (faces the network) or host (host-internal); always 1.", ['interface', 'mac', 'kind', 'scope'], (g, v) => {
    for (const i of v.hostInterfaces().sort((a, b) => compareLabels(['name'], a, b))) g.set({ interface: i.name, mac: i.mac, kind: i.kind ?? 'unknown', scope: i.scope ?? 'network' }, 1);
  }, source);

  gauge(registry, 'dupip_probe_interval_seconds', 'The configured probe interval (each probe is jittered ±20%).', [], (g, v) => {
    g.set(v.probeIntervalMs() / 1000);
  }, source);

  gauge(registry, 'dupip_interface_up', '1 while a monitored interface is up and its ARP socket is open.', ['interface'], (g, v) => {
    for (const i of interfaces(v)) g.set({ interface: i.name }, i.up && i.socketOpen ? 1 : 0);
  }, source);

  gauge(registry, 'dupip_probe_round_duration_seconds', 'Smoothed time between two probes of the same address on an interface.', ['interface'], (g, v) => {
    for (const i of interfaces(v)) g.set({ interface: i.name }, i.roundMs / 1000);
  }, source);

  gauge(registry, 'dupip_proxy_arp', '1 for a MAC that answers ARP for addresses nobody holds on an interface (proxy ARP or a cloud fabric); at most 4 per interface.', ['interface', 'mac'], (g, v) => {
    const monitored = new Set(v.interfaces().map((i) => i.name));
    for (const p of (v.proxies?.() ?? []).filter((p) => monitored.has(p.interface))) g.set({ interface: p.interface, mac: p.mac }, 1);
  }, source);

  gauge(registry, 'dupip_send_capped', '1 when max_send_rate cannot fit one probe per address per probe interval on an interface.', ['interface'], (g, v) => {
    for (const i of interfaces(v)) g.set({ interface: i.name }, i.capped ? 1 : 0);
  }, source);
}

function labels(e: EntrySnapshot) {
  return { address: e.address, interface: e.interface, role: e.role };
}
