import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DetectorEvent, EntrySnapshot } from '../../src/core/events.js';
import { DupipMetrics } from '../../src/metrics/metrics.js';
import { FakeView, MAC0, MAC1, entry, iface, sighting } from '../support/fake-view.js';
import { requireTool, which } from '../support/prereq.js';

const GOLDEN = fileURLToPath(new URL('../fixtures/metrics/golden.prom', import.meta.url));
const INTRUDER = '02:00:00:00:00:99';
const INTRUDER2 = '02:00:00:00:00:98';
const PEER = '02:00:00:00:00:a1';
const PEER2 = '02:00:00:00:00:a2';

function world() {
  const conflict = entry({ address: '192.0.2.10', state: 'conflict', macs: [sighting(INTRUDER), sighting(INTRUDER2)], episodeStart: 4000, macOverflow: 3 });
  const entries: EntrySnapshot[] = [
    entry({ address: '192.0.2.11' }),
    conflict,
    entry({ address: '198.51.100.10', role: 'delegate', held: false, holders: [PEER] }),
    entry({ address: '198.51.100.20', role: 'delegate', held: false, state: 'split-brain', macs: [sighting(PEER), sighting(PEER2)], holders: [PEER, PEER2] }),
    entry({ address: '198.51.100.30', role: 'delegate', held: true, lastProbe: 6500 }),
    entry({ address: '203.0.113.5', interface: 'eth1', state: 'unknown', lastProbe: null }),
    entry({ address: '2001:db8::10' }),
    entry({ address: '2001:db8::20', role: 'delegate', held: false, state: 'split-brain', macs: [sighting(PEER), sighting(PEER2)], holders: [PEER, PEER2] }),
  ];
  const view = new FakeView(entries, [iface({ name: 'eth1', ifindex: 3, mac: MAC1, roundMs: 12_500, capped: true }), iface({ name: 'eth0', roundMs: 9_800 })]);
  view.unmonitored = [
    { name: 'bond0', mac: '02:00:00:00:02:01', kind: 'bond', scope: 'network' },
    { name: 'vethc0ffee', mac: '02:00:00:00:03:01', kind: 'veth', scope: 'host' },
  ];
  view.faults = { frames: 2, journal: 1 };
  view.proxyFindings = [{ interface: 'eth1', mac: '02:00:00:00:0f:01', reason: 'canary', since: 2000, lastSeen: 4000, addresses: ['198.51.100.254'] }];
  return { view, conflict };
}

function script(m: DupipMetrics, conflict: EntrySnapshot) {
  const ev = (e: DetectorEvent) => m.event(e);
  ev({ type: 'state', at: 4000, entry: conflict, from: 'ok', to: 'conflict', reason: 'x' });
  ev({ type: 'state', at: 4500, entry: conflict, from: 'conflict', to: 'ok', reason: 'x' });
  ev({ type: 'state', at: 4600, entry: conflict, from: 'ok', to: 'conflict', reason: 'x' });
  const delegate = entry({ address: '198.51.100.10', role: 'delegate', held: false });
  ev({ type: 'failover', at: 4700, entry: delegate, from: PEER2, to: PEER });
  for (let i = 0; i < 5; i++) ev({ type: 'sent', at: 5000, interface: 'eth0', kind: 'probe', address: '192.0.2.10', outcome: 'sent' });
  ev({ type: 'sent', at: 5000, interface: 'eth0', kind: 'probe', address: '192.0.2.10', outcome: 'dropped' });
  ev({ type: 'sent', at: 5000, interface: 'eth0', kind: 'announcement', address: '192.0.2.10', outcome: 'sent' });
  ev({ type: 'sent', at: 5000, interface: 'eth0', kind: 'defence', address: '192.0.2.10', outcome: 'sent' });
  m.sendError('eth0', 'dropped');
  m.framesReceived('eth0', 40);
  m.framesReceived('eth1', 2);
  m.frameInvalid('eth0', 'truncated');
  m.frameIgnored('eth0', 'vlan-tagged');
  m.servers.open.http = 2;
  m.servers.rejected.http = 5;
  m.servers.evicted.http = 1;
  m.servers.rejected.control = 1;
  m.servers.refused['not-found'] = 7;
  m.servers.refused.unauthorized = 3;
  m.framesDropped('eth0', 300);
  m.framesDropped('eth0', 12);
}

/** Only dupip's own families: process_* and nodejs_* vary from run to run. */
function dupipOnly(text: string): string {
  const blocks = text.split(/\n(?=# HELP )/);
  return `${blocks.filter((b) => b.startsWith('# HELP dupip_')).map((b) => b.trimEnd()).join('\n')}\n`;
}

function series(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('metrics exposition', () => {
  it('matches the golden file (node_exporter style)', async () => {
    const { view, conflict } = world();
    const m = new DupipMetrics({ version: '0.1.0', nodeVersion: 'v20.0.0' });
    script(m, conflict);
    m.attach(view);
    const got = dupipOnly(await m.metrics());
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, got);
    expect(got).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  const need = requireTool('promtool');
  it.skipIf(need)(`promtool check metrics passes on the golden file and on a full scrape${need ? ` [skipped: ${need}]` : ''}`, async () => {
    for (const text of [readFileSync(GOLDEN, 'utf8'), await (async () => {
      const { view, conflict } = world();
      const m = new DupipMetrics({ version: '0.1.0' });
      script(m, conflict);
      m.attach(view);
      return m.metrics();
    })()]) {
      const r = spawnSync(which('promtool')!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('includes process metrics unless told not to', async () => {
    const m = new DupipMetrics({ version: '0.1.0' });
    expect(await m.metrics()).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(await new DupipMetrics({ version: '0.1.0', processMetrics: false }).metrics()).not.toMatch(/process_/);
  });

  it('before attach: build info, not healthy, and nothing else (unlabelled gauges read 0)', async () => {
    const m = new DupipMetrics({ version: '0.1.0', processMetrics: false });
    const all = series(await m.metrics());
    // The listeners' counters do not depend on the view: they exist, at 0, from the start.
    const listeners = /^dupip_(connections|http_requests_refused)/;
    const s = all.filter((l) => !listeners.test(l));
    expect(s).toEqual([expect.stringMatching(/^dupip_build_info\{version="0.1.0",node_version="v20/), 'dupip_healthy 0', 'dupip_probe_interval_seconds 0', 'dupip_journal_write_errors_total 0', ...['dropped', 'exit', 'ok', 'spawn', 'timeout'].map((o) => `dupip_notify_total{outcome="${o}"} 0`)]);
    expect(all.filter((l) => listeners.test(l))).toHaveLength(13);
    expect(all.filter((l) => listeners.test(l)).every((l) => l.endsWith(' 0'))).toBe(true);
  });

  it('an address that is no longer monitored disappears, gauges and counters alike', async () => {
    const { view, conflict } = world();
    const m = new DupipMetrics({ version: '0.1.0', processMetrics: false });
    script(m, conflict);
    m.attach(view);
    expect((await m.metrics()).match(/192\.0\.2\.10"/g)!.length).toBeGreaterThan(5);
    view.entries = view.entries.filter((e) => e.address !== '192.0.2.10');
    m.event({ type: 'watch', at: 9000, entry: conflict, change: 'removed' });
    const after = await m.metrics();
    expect(after).not.toMatch(/192\.0\.2\.10"/);
    view.ifaces = view.ifaces.filter((i) => i.name !== 'eth1');
    view.entries = view.entries.filter((e) => e.interface !== 'eth1');
    const s = series(await m.metrics());
    expect(s.filter((l) => l.includes('eth1'))).toEqual([]);
    expect(s).toContain('dupip_frames_received_total{interface="eth0"} 40');
  });

  it('counters exist at 0 from the moment an address is monitored', async () => {
    const view = new FakeView([entry({ address: '192.0.2.10' }), entry({ address: '198.51.100.10', role: 'delegate', held: false })], [iface({ name: 'eth0' })]);
    const m = new DupipMetrics({ version: '0.1.0', processMetrics: false });
    m.attach(view);
    const s = series(await m.metrics());
    expect(s).toContain('dupip_conflicts_total{address="192.0.2.10",interface="eth0",role="own"} 0');
    expect(s).toContain('dupip_delegate_failovers_total{address="198.51.100.10"} 0');
    expect(s).toContain('dupip_probes_sent_total{interface="eth0"} 0');
    expect(s).toContain('dupip_frames_invalid_total{interface="eth0",reason="bad-op"} 0');
    expect(s).not.toContain(expect.stringMatching(/^dupip_delegate_failovers_total\{address="192/));
  });

  it('healthy and delegate holders follow the view', async () => {
    const { view } = world();
    const m = new DupipMetrics({ version: '0.1.0', processMetrics: false });
    m.attach(view);
    view.isHealthy = false;
    const s = series(await m.metrics());
    expect(s).toContain('dupip_healthy 0');
    expect(s).toContain('dupip_delegate_holders{address="198.51.100.10"} 1');
    expect(s).toContain('dupip_delegate_holders{address="198.51.100.20"} 2');
    expect(s).toContain('dupip_delegate_holders{address="198.51.100.30"} 1');
    expect(s).toContain('dupip_delegate_holders{address="2001:db8::20"} 2');
    expect(s.filter((l) => l.startsWith('dupip_delegate_holders'))).toHaveLength(4);
    view.entries = view.entries.map((e) => (e.address === '198.51.100.10' ? { ...e, state: 'unanswered', holders: [] } : e));
    expect(series(await m.metrics())).toContain('dupip_delegate_holders{address="198.51.100.10"} 0');
    expect(MAC0).not.toBe(MAC1);
  });
});
