/**
 * src/metrics/registry.ts: the text exposition format 0.0.4 (HELP/TYPE, label-value escaping,
 * registration order, set/inc per label set, unlabelled families at 0) and the process metrics,
 * checked by promtool where it matters.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readMaxFds, readStatusMemory, registerProcessMetrics } from '../../src/metrics/process.js';
import { CONTENT_TYPE, Registry, escapeLabelValue, formatValue } from '../../src/metrics/registry.js';
import { requireTool, which } from '../support/prereq.js';

describe('registry', () => {
  it('writes the exposition in chunks with the same bytes as the text in one piece, multi-byte label values across chunk ends', async () => {
    const r = new Registry();
    const values = Array.from({ length: 6000 }, (_, i) => `eth${i}-é😀${'x'.repeat(i % 17)}`);
    r.gauge('big', 'Many series.', ['iface'], (s) => {
      for (let i = 0; i < values.length; i++) s.set([values[i]!], i);
    });
    r.counter('after_total', 'A family after the big one.', [], (s) => s.inc([], 7));
    const expected = [
      '# HELP big Many series.',
      '# TYPE big gauge',
      ...values.map((v, i) => `big{iface="${v}"} ${i}`),
      '',
      '# HELP after_total A family after the big one.',
      '# TYPE after_total counter',
      'after_total 7',
      '',
    ].join('\n');
    const bytes = await r.exposition();
    expect(bytes.length).toBeGreaterThan(4 * 32 * 1024); // several chunks
    expect(bytes.length).toBe(Buffer.byteLength(expected));
    expect(bytes.equals(Buffer.from(expected, 'utf8'))).toBe(true);
    expect(await r.metrics()).toBe(expected);
  });

  it('appended series: the same bytes as set(), escaped alike, written before the set() ones, across buffer ends', async () => {
    const values = Array.from({ length: 6000 }, (_, i) => [`198.18.${i >> 8}.${i & 255}`, `é"\\\n😀${'x'.repeat(i % 17)}`]);
    const viaSet = new Registry();
    const viaAppend = new Registry();
    viaSet.gauge('g', 'Help.', ['address', 'odd'], (s) => values.forEach((v, i) => s.set(v, i / 3)));
    viaAppend.gauge('g', 'Help.', ['address', 'odd'], (s) => values.forEach((v, i) => s.append(v, i / 3)));
    const [a, b] = [await viaSet.exposition(), await viaAppend.exposition()];
    expect(b.length).toBeGreaterThan(4 * 32 * 1024); // several chunks
    expect(b.equals(a)).toBe(true);

    const mixed = new Registry();
    mixed.counter('m_total', 'Mixed.', ['k'], (s) => {
      s.inc(['set-first'], 1);
      s.append(['appended'], 2);
      s.inc(['set-first'], 1);
    });
    mixed.gauge('u', 'Unlabelled, appended.', [], (s) => s.append([], 4));
    expect(await mixed.metrics()).toBe(
      ['# HELP m_total Mixed.', '# TYPE m_total counter', 'm_total{k="appended"} 2', 'm_total{k="set-first"} 2', '', '# HELP u Unlabelled, appended.', '# TYPE u gauge', 'u 4', ''].join('\n'),
    );
  });

  it('renders families in registration order with HELP, TYPE and escaped label values', async () => {
    const r = new Registry();
    r.gauge('b_gauge', 'Help with a \\ backslash\nand a newline.', ['name', 'kind'], (s) => {
      s.set(['x"y', 'a\\b'], 1);
      s.set(['line\nbreak', ''], 2.5);
      s.set(['x"y', 'a\\b'], 3); // replaces, keeps its place
    });
    r.counter('a_total', 'A counter.', ['reason'], (s) => {
      s.inc(['one'], 2);
      s.inc(['two'], 1);
      s.inc(['one'], 3);
    });
    r.gauge('c_unlabelled', 'Reads 0 when nothing was set.', [], () => {});
    r.gauge('d_empty', 'A labelled family with no series.', ['x'], () => {});
    expect(await r.metrics()).toBe(
      [
        '# HELP b_gauge Help with a \\\\ backslash\\nand a newline.',
        '# TYPE b_gauge gauge',
        'b_gauge{name="x\\"y",kind="a\\\\b"} 3',
        'b_gauge{name="line\\nbreak",kind=""} 2.5',
        '',
        '# HELP a_total A counter.',
        '# TYPE a_total counter',
        'a_total{reason="one"} 5',
        'a_total{reason="two"} 1',
        '',
        '# HELP c_unlabelled Reads 0 when nothing was set.',
        '# TYPE c_unlabelled gauge',
        'c_unlabelled 0',
        '',
        '# HELP d_empty A labelled family with no series.',
        '# TYPE d_empty gauge',
        '',
      ].join('\n'),
    );
    expect(r.contentType).toBe(CONTENT_TYPE);
    expect(CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('collects again at every scrape: a series not set this time is gone', async () => {
    const r = new Registry();
    let n = 2;
    r.gauge('g', 'G.', ['i'], (s) => {
      for (let i = 0; i < n; i++) s.set([String(i)], i);
    });
    expect(await r.metrics()).toContain('g{i="1"} 1');
    n = 1;
    expect(await r.metrics()).not.toContain('g{i="1"}');
  });

  it('refuses names the format does not allow and a name registered twice', () => {
    const r = new Registry();
    expect(() => r.gauge('1bad', 'x', [], () => {})).toThrow(/invalid metric name/);
    expect(() => r.gauge('ok', 'x', ['a-b'], () => {})).toThrow(/invalid label name/);
    expect(() => r.gauge('ok', 'x', ['__reserved'], () => {})).toThrow(/invalid label name/);
    expect(() => r.gauge('ok', 'x', ['a', 'a'], () => {})).toThrow(/repeated/);
    r.gauge('ok', 'x', [], () => {});
    expect(() => r.counter('ok', 'x', [], () => {})).toThrow(/already registered/);
  });

  it('formats special values as the format spells them', () => {
    expect([NaN, Infinity, -Infinity, 0, -1.5, 1e21].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '0', '-1.5', '1e+21']);
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  const need = requireTool('promtool');
  it.skipIf(need)(`promtool accepts escaped label values and the process metrics${need ? ` [skipped: ${need}]` : ''}`, async () => {
    const r = new Registry();
    r.gauge('dupip_test_info', 'Escaping "quotes", \\ and\nnewlines in help.', ['value'], (s) => {
      s.set(['"quoted"'], 1);
      s.set(['back\\slash'], 1);
      s.set(['new\nline'], 1);
      s.set(['ünïcode'], 1);
    });
    registerProcessMetrics(r);
    const text = await r.metrics();
    const res = spawnSync(which('promtool')!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${res.stdout}${res.stderr}`.trim()).toBe('');
    expect(res.status).toBe(0);
  });
});

describe('process metrics', () => {
  it('parses /proc/self/status and /proc/self/limits', () => {
    const status = 'Name:\tnode\nVmSize:\t 1000 kB\nVmData:\t  300 kB\nVmRSS:\t  200 kB\nThreads:\t7\n';
    expect(readStatusMemory(status)).toEqual({ size: 1024_000, data: 307_200, rss: 204_800 });
    expect(readStatusMemory('')).toEqual({ size: undefined, data: undefined, rss: undefined });
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
    expect(readMaxFds(limits)).toBe(1024);
    expect(readMaxFds('')).toBeUndefined();
  });

  it('reads this process truthfully: RSS, descriptors, CPU, heap, version', async () => {
    const r = new Registry();
    registerProcessMetrics(r);
    const text = await r.metrics();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
    const rss = Number(/^VmRSS:\s*(\d+) kB$/m.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
    expect(Math.abs(value('process_resident_memory_bytes') - rss) / rss).toBeLessThan(0.2);
    expect(value('process_virtual_memory_bytes')).toBeGreaterThan(value('process_resident_memory_bytes'));
    expect(value('process_open_fds')).toBeGreaterThanOrEqual(3);
    expect(value('process_max_fds')).toBeGreaterThan(value('process_open_fds'));
    const cpu = process.cpuUsage();
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value('process_cpu_seconds_total')).toBeLessThanOrEqual((cpu.user + cpu.system) / 1e6 + 0.5);
    expect(value('process_cpu_seconds_total')).toBeCloseTo(value('process_cpu_user_seconds_total') + value('process_cpu_system_seconds_total'), 1);
    expect(Math.abs(value('process_start_time_seconds') - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
    expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(value('nodejs_heap_size_total_bytes')).toBeGreaterThanOrEqual(value('nodejs_heap_size_used_bytes'));
    expect(text).toContain(`nodejs_version_info{version="${process.version}",major="${process.versions.node.split('.')[0]}",`);
    expect(text).not.toMatch(/nodejs_gc_duration_seconds|nodejs_heap_space_size/);
  });
});
