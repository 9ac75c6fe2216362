/**
 * The Grafana dashboard: importable (a `${DS_PROMETHEUS}` input used by every datasource reference,
 * a stable uid, instance/address variables), and every PromQL expression in it (panel targets,
 * annotation queries, variable queries) is valid: with the template variables substituted as
 * Grafana would, each one is wrapped in a recording rule and checked by `promtool check rules`,
 * then evaluated by `promtool test rules` against a small synthetic fleet, where it must return
 * data without an evaluation error (many-to-many joins, a filter on a label the metric lacks).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { prereqs, requireTool } from '../support/prereq.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DASHBOARD = join(ROOT, 'dashboards/dupip.json');
const DS_REF = '${DS_PROMETHEUS}';

/** What the daemon exports (plus Prometheus' `up`). */
const EXPORTED = new Set([
  'up',
  'dupip_build_info',
  'dupip_address_info',
  'dupip_conflict',
  'dupip_address_state',
  'dupip_conflict_macs_info',
  'dupip_conflict_macs_overflow_total',
  'dupip_conflicts_total',
  'dupip_delegate_holders',
  'dupip_delegate_failovers_total',
  'dupip_delegate_held',
  'dupip_delegate_holder_info',
  'dupip_interface_info',
  'dupip_probes_sent_total',
  'dupip_announcements_sent_total',
  'dupip_defences_sent_total',
  'dupip_frames_received_total',
  'dupip_frames_invalid_total',
  'dupip_send_errors_total',
  'dupip_last_probe_timestamp_seconds',
  'dupip_probe_round_duration_seconds',
  'dupip_notify_total',
]);
/** Exported, but deliberately not on the dashboard (alert-only). */
const NOT_ON_DASHBOARD = new Set(['dupip_conflict_macs_overflow_total', 'dupip_notify_total' /* for installs without Prometheus */]);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Target {
  refId?: string;
  expr?: string;
  datasource?: Json;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: Json;
  targets?: Target[];
  panels?: Panel[];
  gridPos?: { h: number; w: number; x: number; y: number };
}
interface Variable {
  name: string;
  type: string;
  datasource?: Json;
  query?: string | { query?: string };
  definition?: string;
  includeAll?: boolean;
  multi?: boolean;
  allValue?: string;
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  __inputs?: Array<{ name: string; type: string; pluginId: string }>;
  panels: Panel[];
  templating: { list: Variable[] };
  annotations?: { list: Array<{ name: string; expr?: string; datasource?: Json }> };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}
const panels = allPanels(dashboard.panels);
const variables = dashboard.templating.list;

/** Where each expression comes from, with a name usable as a recording rule name. */
interface Expr {
  where: string;
  record: string;
  expr: string;
}
function expressions(): Expr[] {
  const out: Expr[] = [];
  for (const p of panels) {
    for (const t of p.targets ?? []) {
      if (t.expr === undefined) continue;
      out.push({ where: `panel ${p.id} "${p.title}" ${t.refId}`, record: `dashboard:panel_${p.id}_${t.refId}`, expr: t.expr });
    }
  }
  (dashboard.annotations?.list ?? []).forEach((a, i) => {
    if (a.expr !== undefined) out.push({ where: `annotation "${a.name}"`, record: `dashboard:annotation_${i}`, expr: a.expr });
  });
  for (const v of variables.filter((v) => v.type === 'query')) {
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    // label_values(selector, label) -> selector; label_values(label) has no PromQL; query_result(expr) -> expr
    const lv = /^\s*label_values\(\s*(.+),\s*[A-Za-z_]\w*\s*\)\s*$/s.exec(q);
    const qr = /^\s*query_result\(\s*(.+)\)\s*$/s.exec(q);
    const expr = lv?.[1] ?? qr?.[1];
    if (expr !== undefined) out.push({ where: `variable $${v.name}`, record: `dashboard:variable_${v.name}`, expr });
  }
  return out;
}

/** Grafana's escaping of a variable value used inside a PromQL regex string. */
const promRegexEscape = (v: string) => v.replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');

/** Global variables Grafana fills in, with plausible values. */
const BUILTINS: Record<string, string> = {
  __rate_interval: '4m',
  __rate_interval_ms: '240000',
  __interval: '1m',
  __interval_ms: '60000',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
};

/**
 * Substitutes `$name`, `${name}`, `${name:fmt}` and `[[name]]`. Unknown names are left in place
 * (like Grafana) so the caller can report them; `$1`-style label_replace references are not
 * variables.
 */
function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]|\$([A-Za-z_]\w*)/g, (m, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    return values[name] ?? m;
  });
}
const leftovers = (expr: string) => expr.match(/\$\{\w+[^}]*\}|\[\[\w+\]\]|\$[A-Za-z_]\w*/g) ?? [];

/** "All" selected: the variable's allValue (or Grafana's default alternation). */
const ALL: Record<string, string> = {
  ...BUILTINS,
  ...Object.fromEntries(variables.map((v) => [v.name, v.allValue ?? '.*'])),
};
/** A concrete selection, as Grafana renders it: one instance, two addresses (multi-value). */
const SELECTED: Record<string, string> = {
  ...BUILTINS,
  instance: promRegexEscape('host-a:10227'),
  address: `(${promRegexEscape('192.0.2.10')}|${promRegexEscape('198.51.100.10')})`,
};

const exprs = expressions();

describe('dashboard JSON (static checks)', () => {
  it('has a stable uid, a title and a current schema', () => {
    expect(dashboard.uid).toBe('dupip-overview');
    expect(dashboard.title).toMatch(/dupip/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard).not.toHaveProperty('id', expect.any(Number));
  });

  it('declares a DS_PROMETHEUS input and uses it for every datasource reference', () => {
    expect(dashboard.__inputs).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }));
    const bad: string[] = [];
    let refs = 0;
    const walk = (node: Json, path: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`));
      if (node === null || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (k === 'datasource') {
          refs++;
          const ok =
            v === DS_REF ||
            (v !== null && typeof v === 'object' && !Array.isArray(v) && v.uid === DS_REF && (v.type ?? 'prometheus') === 'prometheus');
          if (!ok) bad.push(`${path}.datasource = ${JSON.stringify(v)}`);
        }
        walk(v, `${path}.${k}`);
      }
    };
    walk(dashboard as unknown as Json, '$');
    expect(bad).toEqual([]);
    expect(refs).toBeGreaterThan(0);
    for (const p of panels.filter((p) => (p.targets ?? []).length > 0)) {
      expect(p.datasource, `panel ${p.id} "${p.title}" datasource`).toBeDefined();
    }
  });

  it('has instance and address query variables over label_values', () => {
    for (const name of ['instance', 'address']) {
      const v = variables.find((x) => x.name === name);
      expect(v, `variable ${name}`).toBeDefined();
      expect(v?.type).toBe('query');
      const q = typeof v?.query === 'string' ? v.query : v?.query?.query;
      expect(q).toMatch(new RegExp(`^label_values\\(.*,\\s*${name}\\)$`));
    }
  });

  it('has unique panel ids and a grid position for every panel', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) expect(p.gridPos, `panel ${p.id}`).toBeDefined();
  });

  it('has the panels an operator needs', () => {
    const find = (type: string, title: RegExp) => panels.find((p) => p.type === type && title.test(p.title));
    const exprOf = (p: Panel | undefined) => (p?.targets ?? []).map((t) => t.expr ?? '').join('\n');
    expect(find('stat', /conflicts now/i)).toBeDefined();
    expect(exprOf(find('table', /address state/i))).toContain('dupip_address_state');
    const macs = exprOf(find('table', /conflicting macs/i));
    expect(macs).toContain('dupip_interface_info');
    expect(macs).toContain('conflicting_instance');
    expect(exprOf(find('timeseries', /holders/i))).toContain('dupip_delegate_holders');
    expect(exprOf(find('timeseries', /failovers/i))).toContain('dupip_delegate_failovers_total');
  });

  it('uses only exported metrics, and all of them', () => {
    const used = new Set(exprs.flatMap((e) => e.expr.match(/\b(?:dupip_\w+|up)\b/g) ?? []));
    expect([...used].filter((m) => !EXPORTED.has(m))).toEqual([]);
    expect([...EXPORTED].filter((m) => !used.has(m) && !NOT_ON_DASHBOARD.has(m))).toEqual([]);
  });

  it('uses only variables that exist', () => {
    expect(exprs.length).toBeGreaterThan(10);
    const unknown = exprs.flatMap((e) => leftovers(substitute(e.expr, ALL)).map((l) => `${e.where}: ${l}`));
    expect(unknown).toEqual([]);
  });
});

// ------------------------------------------------------------------------------ promtool checks

/** A small fleet at 1-minute resolution for 2 hours: every panel has something to show. */
function fleetSeries(): Array<{ series: string; values: string }> {
  const s: Array<{ series: string; values: string }> = [];
  const add = (series: string, values: string) => s.push({ series, values });
  const hosts = ['host-a:10227', 'host-b:10227', 'host-c:10227', 'host-d:10227'];
  const macs: Record<string, string> = { 'host-a:10227': '02:00:00:00:00:0a', 'host-b:10227': '02:00:00:00:00:0b' };
  for (const h of hosts) {
    const l = `instance="${h}",job="dupip"`;
    add(`up{${l}}`, h === 'host-d:10227' ? '1x60 0x60' : '1x120');
    add(`dupip_build_info{${l},version="0.1.0",node_version="v20.19.0"}`, '1x120');
    add(`dupip_interface_info{${l},interface="eth0",mac="${macs[h] ?? '02:00:00:00:00:cc'}"}`, '1x120');
    add(`dupip_probe_round_duration_seconds{${l},interface="eth0"}`, '0.2x120');
    for (const m of ['probes_sent', 'announcements_sent', 'defences_sent', 'frames_received']) {
      add(`dupip_${m}_total{${l},interface="eth0"}`, '0+5x120');
    }
    add(`dupip_frames_invalid_total{${l},interface="eth0",reason="bad-op"}`, '0+1x120');
    add(`dupip_send_errors_total{${l},interface="eth0",reason="ENOBUFS"}`, '0+1x120');
  }
  // host-b's MAC is on a VLAN sub-interface too; 02:00:00:00:00:cc is on host-c and host-d.
  add('dupip_interface_info{instance="host-b:10227",job="dupip",interface="eth0.100",mac="02:00:00:00:00:0b"}', '1x120');
  for (const h of ['host-a:10227', 'host-b:10227']) {
    const l = `instance="${h}",job="dupip"`;
    const own = `${l},address="192.0.2.10",interface="eth0",role="own"`;
    const vip = `${l},address="198.51.100.10",interface="eth0",role="delegate"`;
    add(`dupip_address_info{${own}}`, '1x120');
    add(`dupip_address_info{${vip}}`, '1x120');
    add(`dupip_conflict{${own}}`, '1x120');
    add(`dupip_conflict{${vip}}`, '0x120');
    add(`dupip_conflicts_total{${own}}`, '0x30 1x30 2x37 3x21');
    add(`dupip_conflicts_total{${vip}}`, '0x120');
    add(`dupip_address_state{${own},state="conflict"}`, '1x120');
    add(`dupip_address_state{${own},state="ok"}`, '0x120');
    add(`dupip_address_state{${vip},state="split-brain"}`, '1x120');
    add(`dupip_address_state{${vip},state="ok"}`, '0x120');
    add(`dupip_delegate_holders{${l},address="198.51.100.10"}`, '2x120');
    add(`dupip_delegate_failovers_total{${l},address="198.51.100.10"}`, '0+1x120');
    add(`dupip_conflict_macs_overflow_total{${l},address="192.0.2.10"}`, '0x120');
    for (const address of ['192.0.2.10', '198.51.100.10']) {
      add(`dupip_last_probe_timestamp_seconds{${l},address="${address}"}`, '0+60x120');
    }
  }
  // Fleet-wide holding: host-a and host-b both hold the delegate; host-c sees both of their MACs answer.
  for (const [h, held] of [['host-a:10227', '1'], ['host-b:10227', '1'], ['host-c:10227', '0']] as const) {
    add(`dupip_delegate_held{instance="${h}",job="dupip",address="198.51.100.10",interface="eth0"}`, `${held}x120`);
  }
  for (const mac of ['02:00:00:00:00:0a', '02:00:00:00:00:0b']) {
    add(`dupip_delegate_holder_info{instance="host-c:10227",job="dupip",address="198.51.100.10",mac="${mac}"}`, '1x120');
  }
  const a = 'instance="host-a:10227",job="dupip",address="192.0.2.10",interface="eth0"';
  add(`dupip_conflict_macs_info{${a},mac="02:00:00:00:00:0b"}`, '1x120');
  add(`dupip_conflict_macs_info{${a},mac="02:00:00:00:00:cc"}`, '1x120');
  add('dupip_conflict_macs_info{instance="host-b:10227",job="dupip",address="192.0.2.10",interface="eth0",mac="02:00:00:00:00:0a"}', '1x120');
  return s;
}

const need = prereqs(requireTool('promtool'));
const work = mkdtempSync(join(tmpdir(), 'dupip-dashboard-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function promtool(...args: string[]) {
  const r = spawnSync('promtool', args, { cwd: work, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function ruleFile(values: Record<string, string>): string {
  return stringify({
    groups: [{ name: 'dashboard', rules: exprs.map((e) => ({ record: e.record, expr: substitute(e.expr, values) })) }],
  });
}

describe.skipIf(need.skip)(need.title('dashboard expressions (promtool)'), () => {
  for (const [label, values] of [
    ['"All" selected', ALL],
    ['one instance, two addresses selected', SELECTED],
  ] as const) {
    it(`every expression parses (promtool check rules), ${label}`, () => {
      const file = join(work, `parse-${label.replace(/\W+/g, '-')}.yml`);
      writeFileSync(file, ruleFile(values));
      const r = promtool('check', 'rules', file);
      expect(r.status, `${r.output}\n(rule names map to: ${exprs.map((e) => `${e.record} = ${e.where}`).join('; ')})`).toBe(0);
      expect(r.output).toContain(`SUCCESS: ${exprs.length} rules found`);
    });

    it(`every expression evaluates to data on a synthetic fleet (promtool test rules), ${label}`, () => {
      const file = join(work, `eval-${label.replace(/\W+/g, '-')}.test.yml`);
      writeFileSync(
        file,
        stringify({
          rule_files: [],
          evaluation_interval: '1m',
          tests: [
            {
              interval: '1m',
              input_series: fleetSeries(),
              promql_expr_test: exprs.map((e) => ({
                expr: `count(\n${substitute(e.expr, values)}\n) > bool 0`,
                eval_time: '100m',
                exp_samples: [{ labels: '{}', value: 1 }],
              })),
            },
          ],
        }),
      );
      const r = promtool('test', 'rules', file);
      expect(r.status, r.output).toBe(0);
      expect(r.output).toContain('SUCCESS');
    });
  }
});
