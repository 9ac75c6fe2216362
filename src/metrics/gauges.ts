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

function gauge(registry: Registry, name: string, help: string, labelNames: readonly string[], fill: (s: Samples, view: DaemonView) => void, source: ViewSource) {
  registry.gauge(name, help, labelNames, (s) => {
    const view = source();
    if (view) fill(s, view);
  });
}

export function registerGauges(registry: Registry, source: ViewSource, build: { version: string; nodeVersion: string }): void {
  registry.gauge('dupip_build_info', 'dupip build information; always 1.', ['version', 'node_version'], (s) => s.set([build.version, build.nodeVersion], 1));

  gauge(registry, 'dupip_healthy', '1 while every monitored, up interface has an open ARP socket and probes are going out.', [], (s, v) => s.set([], v.healthy() ? 1 : 0), source);

  gauge(registry, 'dupip_address_info', 'A monitored address; role is own (configured on this host) or delegate (floating); scope is network when its interface faces the network, host when it is host-internal (containers); always 1.', [...ADDRESS_LABELS, 'scope'], (s, v) => {
    const scopes = new Map(v.interfaces().map((i) => [i.name, i.scope ?? 'network']));
    for (const e of sortedAddresses(v)) s.append([e.address, e.interface, e.role, scopes.get(e.interface) ?? 'network'], 1);
  }, source);

  gauge(registry, 'dupip_conflict', '1 while a foreign MAC claims an address this host holds (state conflict), else 0.', ADDRESS_LABELS, (s, v) => {
    for (const e of sortedAddresses(v)) s.append([e.address, e.interface, e.role], e.state === 'conflict' ? 1 : 0);
  }, source);

  gauge(registry, 'dupip_address_state', 'State of a monitored address, one-hot over ok, conflict, contested, split-brain, unanswered and unknown.', [...ADDRESS_LABELS, 'state'], (s, v) => {
    const values = ['', '', '', ''];
    for (const e of sortedAddresses(v)) {
      values[0] = e.address;
      values[1] = e.interface;
      values[2] = e.role;
      for (const state of ADDRESS_STATES) {
        values[3] = state;
        s.append(values, e.state === state ? 1 : 0);
      }
    }
  }, source);

  gauge(registry, 'dupip_conflict_macs_info', 'A foreign MAC of the current conflict, contest or split brain of an address (at most 8 per address); always 1.', ['address', 'interface', 'mac'], (s, v) => {
    for (const e of sortedAddresses(v)) for (const m of e.macs) s.append([e.address, e.interface, m.mac], 1);
  }, source);

  gauge(registry, 'dupip_delegate_holders', 'MACs answering for a delegate address in the last probe round, this host included when it holds it (absent until the first round).', ['address'], (s, v) => {
    for (const e of sortedAddresses(v)) {
      const n = delegateHolders(e);
      if (n !== null) s.set([e.address], n); // a delegate on two interfaces: one series
    }
  }, source);

  gauge(registry, 'dupip_last_probe_timestamp_seconds', 'Wall-clock time of the last probe sent for an address (absent before the first).', ['address'], (s, v) => {
    const last = new Map<string, number>();
    for (const e of sortedAddresses(v)) {
      if (e.lastProbe === null) continue;
      const t = v.toWallClock(e.lastProbe) / 1000;
      last.set(e.address, Math.max(t, last.get(e.address) ?? 0));
    }
    for (const [address, t] of last) s.append([address], t);
  }, source);

  const interfaces = (v: DaemonView) => v.interfaces().sort((a, b) => compareLabels(['name'], a, b));

  gauge(registry, 'dupip_interface_info', "Every ARP-capable interface of this host and its MAC, monitored or not, so another host's conflict can be traced here; kind is what the link is, scope network (faces the network) or host (host-internal); always 1.", ['interface', 'mac', 'kind', 'scope'], (s, v) => {
    for (const i of v.hostInterfaces().sort((a, b) => compareLabels(['name'], a, b))) s.set([i.name, i.mac, i.kind ?? 'unknown', i.scope ?? 'network'], 1);
  }, source);

  gauge(registry, 'dupip_probe_interval_seconds', 'The configured probe interval (each probe is jittered ±20%).', [], (s, v) => {
    s.set([], v.probeIntervalMs() / 1000);
  }, source);

  gauge(registry, 'dupip_interface_up', '1 while a monitored interface is up and its ARP socket is open.', ['interface'], (s, v) => {
    for (const i of interfaces(v)) s.set([i.name], i.up && i.socketOpen ? 1 : 0);
  }, source);

  gauge(registry, 'dupip_probe_round_duration_seconds', 'Smoothed time between two probes of the same address on an interface.', ['interface'], (s, v) => {
    for (const i of interfaces(v)) s.set([i.name], i.roundMs / 1000);
  }, source);

  gauge(registry, 'dupip_proxy_arp', '1 for a MAC that answers ARP for addresses nobody holds on an interface (proxy ARP or a cloud fabric); at most 4 per interface.', ['interface', 'mac'], (s, v) => {
    const monitored = new Set(v.interfaces().map((i) => i.name));
    for (const p of (v.proxies?.() ?? []).filter((p) => monitored.has(p.interface))) s.set([p.interface, p.mac], 1);
  }, source);

  gauge(registry, 'dupip_send_capped', '1 when max_send_rate cannot fit one probe per address per probe interval on an interface.', ['interface'], (s, v) => {
    for (const i of interfaces(v)) s.set([i.name], i.capped ? 1 : 0);
  }, source);
}
