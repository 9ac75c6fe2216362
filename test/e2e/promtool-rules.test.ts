/**
 * The shipped alert rules: `promtool check rules` and `promtool test rules` pass, and every alert
 * is tested both ways: each rule (alert name plus its static labels) has a test case where it fires,
 * and each alert name has one where it must not.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prereqs, requireTool } from '../support/prereq.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULE_FILE = join(ROOT, 'alerts/dupip.alerts.yml');
const TEST_DIR = join(ROOT, 'alerts/tests');
const TEST_FILES = readdirSync(TEST_DIR)
  .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
  .sort()
  .map((f) => join(TEST_DIR, f));

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}
interface ExpAlert {
  exp_labels?: Record<string, string>;
  exp_annotations?: Record<string, string>;
}
interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: ExpAlert[] | null;
}
interface TestFile {
  rule_files?: string[];
  tests?: Array<{ name?: string; alert_rule_test?: AlertRuleTest[] }>;
}

function promtool(...args: string[]) {
  const r = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

const ruleFile = parse(readFileSync(RULE_FILE, 'utf8')) as RuleFile;
const alertRules = ruleFile.groups.flatMap((g) => g.rules.filter((r): r is Rule & { alert: string } => r.alert !== undefined));
const testFiles = TEST_FILES.map((path) => ({ path, doc: parse(readFileSync(path, 'utf8')) as TestFile }));
const cases = testFiles.flatMap(({ path, doc }) =>
  (doc.tests ?? []).flatMap((t) =>
    (t.alert_rule_test ?? []).map((a) => ({ file: relative(ROOT, path), test: t.name ?? '(unnamed)', ...a })),
  ),
);

/** Every rule that `labels` could have come from: same name, static labels all present. */
function matchesRule(rule: Rule & { alert: string }, alertname: string, labels: Record<string, string>): boolean {
  return rule.alert === alertname && Object.entries(rule.labels ?? {}).every(([k, v]) => labels[k] === String(v));
}

describe('alert rule file and its unit tests (static checks)', () => {
  it('has one group "dupip" with alerts that follow the conventions', () => {
    expect(ruleFile.groups.map((g) => g.name)).toEqual(['dupip']);
    expect(alertRules.length).toBeGreaterThan(0);
    for (const r of alertRules) {
      expect(r.alert, 'CamelCase alert name').toMatch(/^[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$/);
      expect(['critical', 'warning', 'info'], `severity of ${r.alert}`).toContain(r.labels?.severity);
      expect(r.annotations?.summary, `summary of ${r.alert}`).toBeTruthy();
      expect(r.annotations?.description, `description of ${r.alert}`).toBeTruthy();
    }
  });

  it('ships the alerts operators rely on', () => {
    const names = new Set(alertRules.map((r) => r.alert));
    for (const name of [
      'DuplicateIPAddress',
      'DelegateIPSplitBrain',
      'DelegateIPUnanswered',
      'DelegateIPFlapping',
      'DupipProbesStalled',
      'IPAddressOnMultipleHosts',
      'DuplicateIPRecurring',
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it('has test files that all load the shipped rule file', () => {
    expect(testFiles.length).toBeGreaterThan(0);
    for (const { path, doc } of testFiles) {
      const loaded = (doc.rule_files ?? []).map((f) => resolve(dirname(path), f));
      expect(loaded, relative(ROOT, path)).toEqual([RULE_FILE]);
    }
  });

  it('tests only alerts that exist (a misspelled name would pass as "does not fire")', () => {
    const names = new Set(alertRules.map((r) => r.alert));
    const unknown = cases.filter((c) => !names.has(c.alertname)).map((c) => `${c.file}: ${c.test}: ${c.alertname}`);
    expect(unknown).toEqual([]);
  });

  it('has, for every alert rule, a case where it fires and a case where it must not', () => {
    const missing: string[] = [];
    for (const rule of alertRules) {
      const label = `${rule.alert}${JSON.stringify(rule.labels ?? {})}`;
      const fires = cases.some((c) =>
        (c.exp_alerts ?? []).some((e) => matchesRule(rule, c.alertname, e.exp_labels ?? {})),
      );
      const silent = cases.some((c) => c.alertname === rule.alert && (c.exp_alerts ?? []).length === 0);
      if (!fires) missing.push(`${label}: no firing case`);
      if (!silent) missing.push(`${label}: no non-firing case`);
    }
    expect(missing).toEqual([]);
  });

  it('spells out every label and annotation of an expected alert', () => {
    // promtool compares exactly, but a forgotten annotation block would only show as a failure
    // there; this points at the case instead.
    const incomplete = cases.flatMap((c) =>
      (c.exp_alerts ?? [])
        .filter((e) => !e.exp_labels?.severity || !e.exp_annotations?.summary || !e.exp_annotations.description)
        .map(() => `${c.file}: ${c.test}: ${c.alertname} @ ${c.eval_time}`),
    );
    expect(incomplete).toEqual([]);
  });
});

const need = prereqs(requireTool('promtool'));

describe.skipIf(need.skip)(need.title('promtool'), () => {
  it('promtool check rules accepts the rule file', () => {
    const r = promtool('check', 'rules', RULE_FILE);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });

  it('promtool test rules passes every unit test', () => {
    const r = promtool('test', 'rules', ...TEST_FILES);
    expect(r.status, r.output).toBe(0);
    expect(r.output).not.toContain('FAILED');
    expect(r.output.match(/SUCCESS/g)?.length, r.output).toBe(TEST_FILES.length);
  });
});
