/**
 * Scenario 6, a sweep for duplicates: `dupip scan` of a /24 against `arp-scan --localnet`
 * (Debian's arp-scan) on the same lab segment: 254 addresses, one held by two hosts, one by
 * three, six more answered once. Wall time of each tool (process start to exit) and whether they
 * found the same duplicates with the same MACs. dupip runs at its default pace (50 requests/s,
 * the daemon's max_send_rate) and at 500/s; arp-scan at its defaults (256 kbit/s, 2 retries).
 */
import { join } from 'node:path';
import { Lab, type LabHost } from '../../test/lab/lab.js';
import { REPO } from '../lib/daemon.js';
import { progress, round } from '../lib/util.js';

export interface ScanRun {
  tool: string;
  command: string;
  seconds: number[];
  /** address → MACs (sorted), of the last run */
  duplicates: Record<string, string[]>;
  exitCode: number | null;
}

export interface ScanResult {
  addresses: number;
  expected: Record<string, string[]>;
  runs: ScanRun[];
  /** every tool found exactly the expected duplicates */
  agree: boolean;
}

function arpScanDuplicates(stdout: string): Record<string, string[]> {
  const seen = new Map<string, Set<string>>();
  for (const line of stdout.split('\n')) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\s+([0-9a-f:]{17})\s/i.exec(line);
    if (m) seen.set(m[1]!, (seen.get(m[1]!) ?? new Set()).add(m[2]!.toLowerCase()));
  }
  return Object.fromEntries([...seen].filter(([, s]) => s.size > 1).map(([a, s]) => [a, [...s].sort()]));
}

async function timed(host: LabHost, cmd: string, args: string[]) {
  const t0 = performance.now();
  const r = await host.exec(cmd, args, { timeoutMs: 120_000 });
  return { r, seconds: (performance.now() - t0) / 1000 };
}

export async function runScan(opts: { quick: boolean }): Promise<ScanResult> {
  const trials = opts.quick ? 1 : 3;
  const lab = await Lab.create({ hosts: 7 });
  try {
    const h = Array.from({ length: 7 }, (_, i) => lab.host(i));
    await h[0]!.addAddress('192.0.2.1/24');
    for (let i = 1; i < 7; i++) await h[i]!.addAddress(`192.0.2.${100 + i}/24`);
    for (const i of [1, 2]) await h[i]!.addAddress('192.0.2.20/24');
    for (const i of [3, 4, 5]) await h[i]!.addAddress('192.0.2.30/24');
    const expected = { '192.0.2.20': [h[1]!.mac, h[2]!.mac].sort(), '192.0.2.30': [h[3]!.mac, h[4]!.mac, h[5]!.mac].sort() };
    const bin = join(REPO, 'bin', 'dupip');
    const tools: Array<{ tool: string; cmd: string; args: string[]; parse: (out: string) => Record<string, string[]> }> = [
      ...[50, 500].map((rate) => ({
        tool: `dupip scan (${rate}/s)`,
        cmd: process.execPath,
        args: [bin, 'scan', '192.0.2.0/24', '--rate', String(rate), '--json'],
        parse: (out: string) => {
          const j = JSON.parse(out) as { interfaces: Array<{ duplicates: Array<{ address: string; macs: Array<{ mac: string }> }> }> };
          return Object.fromEntries(j.interfaces.flatMap((i) => i.duplicates.map((d) => [d.address, d.macs.map((m) => m.mac).sort()])));
        },
      })),
      { tool: 'arp-scan --localnet', cmd: 'arp-scan', args: ['--localnet', '--interface', 'eth0'], parse: arpScanDuplicates },
    ];
    const runs: ScanRun[] = [];
    for (const t of tools) {
      const run: ScanRun = { tool: t.tool, command: [t.cmd === process.execPath ? 'dupip' : t.cmd, ...t.args.slice(t.cmd === process.execPath ? 1 : 0)].join(' '), seconds: [], duplicates: {}, exitCode: null };
      for (let k = 0; k < trials; k++) {
        const { r, seconds } = await timed(h[0]!, t.cmd, t.args);
        run.seconds.push(round(seconds, 3));
        run.exitCode = r.code;
        run.duplicates = t.parse(r.stdout);
      }
      progress(`scan: ${t.tool}: ${run.seconds.join(', ')} s, exit ${run.exitCode}, ${Object.keys(run.duplicates).length} duplicated`);
      runs.push(run);
    }
    const same = (d: Record<string, string[]>) => JSON.stringify(Object.entries(d).sort()) === JSON.stringify(Object.entries(expected).sort());
    return { addresses: 254, expected, runs, agree: runs.every((r) => same(r.duplicates)) };
  } finally {
    await lab.destroy();
  }
}

/** The Markdown section of bench/report.ts's document. */
export function scanSection(s: ScanResult): string[] {
  const dups = (d: Record<string, string[]>) => Object.entries(d).map(([a, m]) => `${a} (${m.length})`).join(', ') || 'none';
  return [
    '## 6. Scan of a /24',
    '',
    `${s.addresses} addresses on one segment: one held by two hosts, one by three, six more answered once. Wall time from process start to exit, run from the same host, one after the other; expected duplicates: ${dups(s.expected)}. ${s.agree ? 'Every tool found exactly these, with every MAC.' : '**The tools disagree** (see the JSON).'}`,
    '',
    '| tool | command | seconds (each trial) | exit | duplicates found |',
    '|---|---|---:|---:|---|',
    ...s.runs.map((r) => `| ${r.tool} | \`${r.command}\` | ${r.seconds.map((x) => x.toFixed(2)).join(', ')} | ${r.exitCode ?? '—'} | ${dups(r.duplicates)} |`),
    '',
    'dupip paces its requests (one per address, from the host\'s own address, then 1 s of listening); at its default of 50 requests/s a /24 takes about 6 s. arp-scan exits 0 whether or not it found duplicates; dupip scan exits 1 when it did.',
    '',
  ];
}
